//! API keys: create, list, rotate and revoke (each audited), and authenticating a
//! presented key.
//!
//! A key acts for the admin who created it (its owner), with the key's scopes as far
//! as the owner still holds them: a key can never do more than its owner can today, so
//! demoting the owner narrows their keys at once. Nobody can create a key with a scope
//! they do not hold. Keys are looked up on every keyed request (no cache), so a
//! revocation takes effect on the next request on every replica.

use crate::AppError;
use crate::audit::{AuditService, Caller, Record};
use crate::roles::RoleService;
use nexus_domain::access::{Actor, Permission};
use nexus_domain::apikey::{ApiKey, ApiKeyId, ApiKeySecret, MAX_OVERLAP, NewApiKey};
use nexus_domain::paging::{Page, PageRequest};
use nexus_domain::{Clock, TenantId, UserId};
use nexus_store::{ApiKeyStore, Database, UserStore};
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::Arc;

/// How often a key's last use is written at most (the hot path does not write).
const TOUCH_EVERY: time::Duration = time::Duration::MINUTE;

/// A key as shown to admins: never the secret.
fn shown(k: &ApiKey) -> serde_json::Value {
    json!({
        "id": k.id,
        "name": k.name,
        "owner": k.owner,
        "scopes": k.scopes,
        "hint": k.hint,
        "expires_at": k.expires_at,
        "revoked_at": k.revoked_at,
        "rotated_from": k.rotated_from,
    })
}

/// A key just made, with its secret (shown this once).
#[derive(Debug, Clone)]
pub struct Issued {
    /// The stored key.
    pub key: ApiKey,
    /// The whole key.
    pub secret: ApiKeySecret,
}

/// A request authenticated by an API key.
#[derive(Debug, Clone)]
pub struct KeyAuthenticated {
    /// The key.
    pub key: ApiKey,
    /// What it may do now: its scopes, as far as its owner holds them.
    pub permissions: BTreeSet<Permission>,
}

impl KeyAuthenticated {
    /// As an authorization and audit actor: the owner, with the key's permissions.
    pub fn actor(&self, tenant: TenantId) -> Actor {
        Actor::User {
            tenant,
            user: self.key.owner,
            permissions: self.permissions.clone(),
        }
    }
}

/// API key use cases.
#[derive(Clone)]
pub struct ApiKeyService {
    pub(crate) db: Arc<dyn Database>,
    pub(crate) keys: Arc<dyn ApiKeyStore>,
    pub(crate) users: Arc<dyn UserStore>,
    pub(crate) roles: RoleService,
    pub(crate) audit: AuditService,
    pub(crate) clock: Arc<dyn Clock>,
}

fn store_err(e: nexus_store::StoreError) -> AppError {
    AppError::from_store("api_key", e)
}

fn owner_of(caller: &Caller, tenant: TenantId) -> Result<UserId, AppError> {
    match &caller.actor {
        Actor::User {
            tenant: t, user, ..
        } if *t == tenant => Ok(*user),
        // A key acts for a person, so only a signed-in user can own one.
        _ => Err(AppError::Forbidden(
            "only a signed-in user can own an API key",
        )),
    }
}

impl ApiKeyService {
    /// Creates a key for the caller. Every scope must be one the caller holds.
    pub async fn create(
        &self,
        caller: &Caller,
        tenant: TenantId,
        new: NewApiKey,
    ) -> Result<Issued, AppError> {
        caller.require(tenant, Permission::ApiKeyManage)?;
        let owner = owner_of(caller, tenant)?;
        if new.scopes.iter().any(|p| !caller.actor.can(tenant, *p)) {
            return Err(AppError::Forbidden(
                "cannot give a key a permission you do not hold",
            ));
        }
        let (key, secret) = self.mint(owner, new.name, new.scopes, new.expires_at, None)?;
        let mut tx = self.begin(tenant).await?;
        self.keys
            .create(tx.as_mut(), tenant, &key)
            .await
            .map_err(store_err)?;
        let r = Record {
            tenant: Some(tenant),
            action: "api_key.create",
            target: format!("api_key:{}", key.id),
            diff: Some(json!({ "after": shown(&key) })),
        };
        self.audit.record_in(tx.as_mut(), caller, r).await?;
        tx.commit().await.map_err(store_err)?;
        Ok(Issued { key, secret })
    }

    /// The tenant's keys, newest first.
    pub async fn list(
        &self,
        caller: &Caller,
        tenant: TenantId,
        page: PageRequest,
    ) -> Result<Page<ApiKey>, AppError> {
        caller.require(tenant, Permission::ApiKeyManage)?;
        self.keys.list(tenant, page).await.map_err(store_err)
    }

    /// One key.
    pub async fn get(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: ApiKeyId,
    ) -> Result<ApiKey, AppError> {
        caller.require(tenant, Permission::ApiKeyManage)?;
        self.keys.get(tenant, id).await.map_err(store_err)
    }

    /// Replaces a live key with a new one (same name, owner, scopes and expiry); the
    /// old one keeps working for `overlap` (at most [`MAX_OVERLAP`]) so clients can
    /// switch without downtime. The new key's owner is the caller, who must hold every
    /// scope.
    pub async fn rotate(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: ApiKeyId,
        overlap: time::Duration,
    ) -> Result<Issued, AppError> {
        caller.require(tenant, Permission::ApiKeyManage)?;
        let owner = owner_of(caller, tenant)?;
        if overlap.is_negative() || overlap > MAX_OVERLAP {
            return Err(AppError::invalid_field(
                "overlap_seconds",
                nexus_domain::validation::invalid(
                    "out_of_range",
                    format!("between 0 and {} seconds", MAX_OVERLAP.whole_seconds()),
                ),
            ));
        }
        let old = self.keys.get(tenant, id).await.map_err(store_err)?;
        let now = self.clock.now();
        if !old.is_live(now) {
            return Err(AppError::Conflict {
                code: "api_key_not_live",
                message: "only a live key can be rotated: this one is revoked or expired",
            });
        }
        if old.scopes.iter().any(|p| !caller.actor.can(tenant, *p)) {
            return Err(AppError::Forbidden(
                "cannot give a key a permission you do not hold",
            ));
        }
        let (key, secret) = self.mint(
            owner,
            old.name.clone(),
            old.scopes.clone(),
            old.expires_at,
            Some(old.id),
        )?;
        let old_end = old
            .expires_at
            .map_or(now + overlap, |e| e.min(now + overlap));
        let mut tx = self.begin(tenant).await?;
        self.keys
            .create(tx.as_mut(), tenant, &key)
            .await
            .map_err(store_err)?;
        self.keys
            .set_expiry(tx.as_mut(), tenant, old.id, Some(old_end))
            .await
            .map_err(store_err)?;
        let r = Record {
            tenant: Some(tenant),
            action: "api_key.rotate",
            target: format!("api_key:{}", old.id),
            diff: Some(json!({
                "before": shown(&old),
                "after": { "old_expires_at": old_end, "new": shown(&key) },
            })),
        };
        self.audit.record_in(tx.as_mut(), caller, r).await?;
        tx.commit().await.map_err(store_err)?;
        Ok(Issued { key, secret })
    }

    /// Revokes a key at once. Revoking a revoked key changes nothing and is not
    /// audited again.
    pub async fn revoke(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: ApiKeyId,
    ) -> Result<ApiKey, AppError> {
        caller.require(tenant, Permission::ApiKeyManage)?;
        let before = self.keys.get(tenant, id).await.map_err(store_err)?;
        if before.revoked_at.is_some() {
            return Ok(before);
        }
        let now = self.clock.now();
        let mut tx = self.begin(tenant).await?;
        self.keys
            .revoke(tx.as_mut(), tenant, id, now)
            .await
            .map_err(store_err)?;
        let after = ApiKey {
            revoked_at: Some(now),
            ..before.clone()
        };
        let r = Record {
            tenant: Some(tenant),
            action: "api_key.revoke",
            target: format!("api_key:{id}"),
            diff: Some(json!({ "before": shown(&before), "after": shown(&after) })),
        };
        self.audit.record_in(tx.as_mut(), caller, r).await?;
        tx.commit().await.map_err(store_err)?;
        // As stored (the backend's precision), so a repeated revoke answers the same.
        self.keys.get(tenant, id).await.map_err(store_err)
    }

    /// Authenticates a presented key for `tenant`. Unknown, malformed, revoked and
    /// expired keys are all `Unauthenticated`, alike, so a caller learns nothing about
    /// which keys exist.
    pub async fn authenticate(
        &self,
        tenant: TenantId,
        presented: &str,
        ip: Option<&str>,
    ) -> Result<KeyAuthenticated, AppError> {
        let secret = ApiKeySecret::parse(presented).map_err(|_| AppError::Unauthenticated)?;
        let key = self
            .keys
            .find_by_hash(tenant, &secret.hash())
            .await
            .map_err(store_err)?
            .ok_or(AppError::Unauthenticated)?;
        let now = self.clock.now();
        if !key.is_live(now) {
            return Err(AppError::Unauthenticated);
        }
        let owner = self
            .users
            .get(tenant, key.owner)
            .await
            .map_err(|e| match e {
                nexus_store::StoreError::NotFound => AppError::Unauthenticated,
                other => AppError::from_store("user", other),
            })?;
        let held = self
            .roles
            .effective_permissions(tenant, owner.id, owner.role)
            .await?;
        let permissions = key.scopes.intersection(&held).copied().collect();
        if key.last_used_at.is_none_or(|t| now - t >= TOUCH_EVERY) {
            // Best effort: a failed write must not fail the request it describes.
            if let Err(e) = self.keys.touch(tenant, key.id, now, ip).await {
                tracing::warn!(error = %e, api_key = %key.id, "could not record an API key's use");
            }
        }
        Ok(KeyAuthenticated { key, permissions })
    }

    fn mint(
        &self,
        owner: UserId,
        name: String,
        scopes: BTreeSet<Permission>,
        expires_at: Option<time::OffsetDateTime>,
        rotated_from: Option<ApiKeyId>,
    ) -> Result<(ApiKey, ApiKeySecret), AppError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(e.to_string().into()))?;
        let secret = ApiKeySecret::from_random(bytes);
        let key = ApiKey {
            id: ApiKeyId::generate(self.clock.as_ref()),
            name,
            owner,
            scopes,
            hash: secret.hash(),
            hint: secret.hint(),
            created_at: self.clock.now(),
            expires_at,
            revoked_at: None,
            last_used_at: None,
            last_used_ip: None,
            rotated_from,
        };
        Ok((key, secret))
    }

    async fn begin(&self, tenant: TenantId) -> Result<Box<dyn nexus_store::Tx>, AppError> {
        self.db.begin(Some(tenant)).await.map_err(store_err)
    }
}
