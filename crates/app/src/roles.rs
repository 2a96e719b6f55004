//! Role-based access control: custom roles per tenant and role grants to users.
//!
//! Every check happens here, in the service, against the caller's effective permissions,
//! and every change is audited with a before/after record. A caller can never grant a
//! role carrying a permission they do not hold themselves, so `user:write` alone cannot
//! be escalated into `billing:write`. Each change commits in one transaction with its
//! audit record, so no change exists unaudited and no record describes a change that
//! did not happen.

use crate::AppError;
use crate::audit::{AuditService, Caller, Record};
use nexus_domain::access::{BuiltinRole, CustomRole, CustomRoleId, Permission, RoleRef};
use nexus_domain::user::Role;
use nexus_domain::{Clock, FieldErrors, TenantId, UserId};
use nexus_store::{CacheStore, Database, RoleStore, SessionStore, UserStore};
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::Arc;

/// A parsed request to create or change a custom role.
#[derive(Debug, Clone)]
pub struct RoleDraft {
    /// Unique name, 1–60 characters.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// What it grants.
    pub permissions: BTreeSet<Permission>,
}

/// RBAC use cases.
#[derive(Clone)]
pub struct RoleService {
    pub(crate) db: Arc<dyn Database>,
    pub(crate) roles: Arc<dyn RoleStore>,
    pub(crate) users: Arc<dyn UserStore>,
    pub(crate) sessions: Arc<dyn SessionStore>,
    pub(crate) cache: Arc<dyn CacheStore>,
    pub(crate) audit: AuditService,
    pub(crate) clock: Arc<dyn Clock>,
}

/// Checks a role name: trimmed, 1–60 characters.
pub fn parse_role_name(raw: &str) -> Result<String, nexus_domain::FieldError> {
    let s = raw.trim();
    if s.is_empty() || s.chars().count() > 60 {
        return Err(nexus_domain::validation::invalid(
            "length",
            "must be 1 to 60 characters",
        ));
    }
    Ok(s.to_owned())
}

/// A taken role name is the user's to fix (409), not a generic conflict.
fn role_conflict(e: nexus_store::StoreError) -> AppError {
    match e {
        nexus_store::StoreError::Conflict { .. } => AppError::Conflict {
            code: "role_name_taken",
            message: "a role with this name already exists",
        },
        other => AppError::from_store("role", other),
    }
}

impl RoleService {
    /// Permissions a user holds in `tenant`: their account role's plus every granted role's.
    pub async fn effective_permissions(
        &self,
        tenant: TenantId,
        user: UserId,
        primary: Role,
    ) -> Result<BTreeSet<Permission>, AppError> {
        let grants = self
            .roles
            .grants(tenant, user)
            .await
            .map_err(|e| AppError::from_store("role", e))?;
        let mut perms = crate::auth::builtin_role(primary).permissions();
        perms.extend(self.permissions_of(tenant, &grants).await?);
        Ok(perms)
    }

    /// What role keys (`auditor`, `custom:<id>`) grant. A deleted custom role grants
    /// nothing; an unparseable key is logged and grants nothing.
    pub(crate) async fn permissions_of(
        &self,
        tenant: TenantId,
        keys: &[String],
    ) -> Result<BTreeSet<Permission>, AppError> {
        let mut perms = BTreeSet::new();
        for key in keys {
            match RoleRef::parse(key) {
                Ok(RoleRef::Builtin(r)) => perms.extend(r.permissions()),
                Ok(RoleRef::Custom(id)) => match self.roles.get(tenant, id).await {
                    Ok(role) => perms.extend(role.permissions),
                    Err(nexus_store::StoreError::NotFound) => {}
                    Err(e) => return Err(AppError::from_store("role", e)),
                },
                Err(_) => {
                    tracing::warn!(tenant_id = %tenant, role = %key, "ignoring an unparseable role grant");
                }
            }
        }
        Ok(perms)
    }

    /// Built-in and custom roles with their permissions.
    pub async fn list(
        &self,
        caller: &Caller,
        tenant: TenantId,
    ) -> Result<(Vec<BuiltinRole>, Vec<CustomRole>), AppError> {
        caller.require(tenant, Permission::RoleRead)?;
        let custom = self
            .roles
            .list(tenant)
            .await
            .map_err(|e| AppError::from_store("role", e))?;
        Ok((BuiltinRole::ALL.to_vec(), custom))
    }

    /// Creates a custom role. Audited.
    pub async fn create(
        &self,
        caller: &Caller,
        tenant: TenantId,
        draft: RoleDraft,
    ) -> Result<CustomRole, AppError> {
        caller.require(tenant, Permission::RoleWrite)?;
        Self::no_escalation(caller, tenant, &draft.permissions)?;
        let role = CustomRole {
            id: CustomRoleId::generate(self.clock.as_ref()),
            name: draft.name,
            description: draft.description,
            permissions: draft.permissions,
        };
        let mut tx = self.begin(tenant).await?;
        self.roles
            .create(tx.as_mut(), tenant, &role, self.clock.now())
            .await
            .map_err(role_conflict)?;
        let r = Record {
            tenant: Some(tenant),
            action: "role.create",
            target: format!("role:{}", role.id),
            diff: Some(json!({ "after": role })),
        };
        self.audit.record_in(tx.as_mut(), caller, r).await?;
        Self::commit(tx).await?;
        Ok(role)
    }

    /// Replaces a custom role. Audited with before/after. Holders' cached sessions are
    /// dropped, so the change applies to their next request.
    pub async fn update(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: CustomRoleId,
        draft: RoleDraft,
    ) -> Result<CustomRole, AppError> {
        caller.require(tenant, Permission::RoleWrite)?;
        Self::no_escalation(caller, tenant, &draft.permissions)?;
        let before = self
            .roles
            .get(tenant, id)
            .await
            .map_err(|e| AppError::from_store("role", e))?;
        // Changing what a role grants needs what it granted before, too.
        Self::no_escalation(caller, tenant, &before.permissions)?;
        let after = CustomRole {
            id,
            name: draft.name,
            description: draft.description,
            permissions: draft.permissions,
        };
        // Read before the transaction (no pool waits inside it); their cached
        // permissions are stale once the change commits.
        let holders = self.holders(tenant, id).await?;
        let mut tx = self.begin(tenant).await?;
        self.roles
            .update(tx.as_mut(), tenant, &after, self.clock.now())
            .await
            .map_err(role_conflict)?;
        let r = Record {
            tenant: Some(tenant),
            action: "role.update",
            target: format!("role:{id}"),
            diff: Some(json!({ "before": before, "after": after })),
        };
        self.audit.record_in(tx.as_mut(), caller, r).await?;
        Self::commit(tx).await?;
        self.forget_sessions(tenant, &holders).await?;
        Ok(after)
    }

    /// Deletes a custom role and its grants. Audited.
    pub async fn delete(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: CustomRoleId,
    ) -> Result<(), AppError> {
        caller.require(tenant, Permission::RoleWrite)?;
        let before = self
            .roles
            .get(tenant, id)
            .await
            .map_err(|e| AppError::from_store("role", e))?;
        // Deleting a role takes its permissions from its holders.
        Self::no_escalation(caller, tenant, &before.permissions)?;
        let holders = self.holders(tenant, id).await?;
        let mut tx = self.begin(tenant).await?;
        self.roles
            .delete(tx.as_mut(), tenant, id)
            .await
            .map_err(|e| AppError::from_store("role", e))?;
        let r = Record {
            tenant: Some(tenant),
            action: "role.delete",
            target: format!("role:{id}"),
            diff: Some(json!({ "before": before })),
        };
        self.audit.record_in(tx.as_mut(), caller, r).await?;
        Self::commit(tx).await?;
        self.forget_sessions(tenant, &holders).await
    }

    /// A user's granted roles (on top of their account role).
    pub async fn user_roles(
        &self,
        caller: &Caller,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<String>, AppError> {
        caller.require(tenant, Permission::UserRead)?;
        self.users
            .get(tenant, user)
            .await
            .map_err(|e| AppError::from_store("user", e))?;
        self.roles
            .grants(tenant, user)
            .await
            .map_err(|e| AppError::from_store("role", e))
    }

    /// Replaces a user's granted roles. Takes effect at once (the user's cached sessions
    /// are dropped) and is audited with before/after.
    pub async fn set_user_roles(
        &self,
        caller: &Caller,
        tenant: TenantId,
        user: UserId,
        roles: Vec<RoleRef>,
    ) -> Result<Vec<String>, AppError> {
        caller.require(tenant, Permission::UserWrite)?;
        self.users
            .get(tenant, user)
            .await
            .map_err(|e| AppError::from_store("user", e))?;
        let mut granted = BTreeSet::new();
        let mut errors = FieldErrors::new();
        for r in &roles {
            match r {
                RoleRef::Builtin(b) => granted.extend(b.permissions()),
                RoleRef::Custom(id) => match self.roles.get(tenant, *id).await {
                    Ok(role) => granted.extend(role.permissions),
                    Err(nexus_store::StoreError::NotFound) => errors.push(
                        "roles",
                        "unknown_role",
                        format!("custom:{id} does not exist"),
                    ),
                    Err(e) => return Err(AppError::from_store("role", e)),
                },
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        Self::no_escalation(caller, tenant, &granted)?;
        let before = self
            .roles
            .grants(tenant, user)
            .await
            .map_err(|e| AppError::from_store("role", e))?;
        let keys: Vec<String> = roles
            .iter()
            .map(RoleRef::key)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        // Taking a role away needs its permissions too: a tenant admin cannot strip a
        // platform admin of platform_admin.
        let removed: Vec<String> = before
            .iter()
            .filter(|k| !keys.contains(k))
            .cloned()
            .collect();
        Self::no_escalation(
            caller,
            tenant,
            &self.permissions_of(tenant, &removed).await?,
        )?;
        let mut tx = self.begin(tenant).await?;
        self.roles
            .set_grants(tx.as_mut(), tenant, user, &keys, self.clock.now())
            .await
            .map_err(|e| AppError::from_store("role", e))?;
        let r = Record {
            tenant: Some(tenant),
            action: "user.roles",
            target: format!("user:{user}"),
            diff: Some(json!({ "before": before, "after": keys })),
        };
        self.audit.record_in(tx.as_mut(), caller, r).await?;
        Self::commit(tx).await?;
        // After the commit: a session re-read before it would see the old grants again.
        self.forget_sessions(tenant, &[user]).await?;
        Ok(keys)
    }

    async fn holders(&self, tenant: TenantId, id: CustomRoleId) -> Result<Vec<UserId>, AppError> {
        self.roles
            .holders(tenant, &RoleRef::Custom(id).key())
            .await
            .map_err(|e| AppError::from_store("role", e))
    }

    /// Drops the cached sessions of `users`, so their next request reloads permissions.
    async fn forget_sessions(&self, tenant: TenantId, users: &[UserId]) -> Result<(), AppError> {
        for user in users {
            for hash in self
                .sessions
                .token_hashes(tenant, *user)
                .await
                .map_err(|e| AppError::from_store("session", e))?
            {
                if let Err(e) = self.cache.delete(&format!("session:{hash}")).await {
                    tracing::error!(error = %e, "session cache invalidation failed; the entry expires with its TTL");
                }
            }
        }
        Ok(())
    }

    async fn begin(&self, tenant: TenantId) -> Result<Box<dyn nexus_store::Tx>, AppError> {
        self.db
            .begin(Some(tenant))
            .await
            .map_err(|e| AppError::from_store("role", e))
    }

    async fn commit(tx: Box<dyn nexus_store::Tx>) -> Result<(), AppError> {
        tx.commit()
            .await
            .map_err(|e| AppError::from_store("role", e))
    }

    fn no_escalation(
        caller: &Caller,
        tenant: TenantId,
        perms: &BTreeSet<Permission>,
    ) -> Result<(), AppError> {
        match perms.iter().find(|p| !caller.actor.can(tenant, **p)) {
            Some(_) => Err(AppError::Forbidden(
                "cannot grant a permission you do not hold",
            )),
            None => Ok(()),
        }
    }
}
