//! Invitations and bulk import.
//!
//! An admin (`user:invite`) invites an address with an account role it may grant; the
//! invitee gets a single-use link (valid 7 days, stored as a hash) and sets their own
//! name and password. Bulk import invites every valid CSV row and reports each row's
//! outcome; a row is either invited whole or not at all.

use crate::AppError;
use crate::audit::{Caller, Record, RequestMeta};
use crate::auth::{AuthService, builtin_role};
use crate::jobs::{EnqueueOptions, JobService};
use crate::recovery::SendMail;
use base64::Engine;
use nexus_domain::FieldErrors;
use nexus_domain::access::{Actor, Permission};
use nexus_domain::session::hash_token;
use nexus_domain::tenancy::{Tenant, parse_name};
use nexus_domain::user::{Email, Password, Role, User};
use nexus_store::Invitation;
use serde::Serialize;
use serde_json::json;

/// How long an invitation link works.
pub const INVITATION_DAYS: i64 = 7;
/// Most rows one import may hold.
pub const MAX_IMPORT_ROWS: usize = 1000;

/// One row's outcome in a bulk import.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = UserImportRow))]
pub struct ImportRow {
    /// 1-based line number in the file (the header is line 1).
    pub line: usize,
    /// The address as written.
    pub email: String,
    /// `invited` or `rejected`.
    pub status: &'static str,
    /// Why a row was rejected.
    pub errors: Vec<String>,
}

impl AuthService {
    /// Invites `email` with `role`. Audited.
    pub async fn invite(
        &self,
        jobs: &JobService,
        caller: &Caller,
        tenant: &Tenant,
        email: &Email,
        role: Role,
        link_base: &str,
    ) -> Result<(), AppError> {
        caller.require(tenant.id, Permission::UserInvite)?;
        if builtin_role(role)
            .permissions()
            .iter()
            .any(|p| !caller.actor.can(tenant.id, *p))
        {
            return Err(AppError::Forbidden(
                "cannot invite with a role carrying permissions you do not hold",
            ));
        }
        if self
            .users
            .find_by_email(tenant.id, email)
            .await
            .map_err(|e| AppError::from_store("user", e))?
            .is_some()
        {
            return Err(AppError::Conflict {
                code: "email_taken",
                message: "an account with this e-mail already exists in this tenant",
            });
        }
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(e.to_string().into()))?;
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let now = self.clock.now();
        let inv = Invitation {
            email: email.as_str().to_owned(),
            role: role.as_str().to_owned(),
            invited_by: caller.actor.audit_name(),
        };
        let mut tx = self.begin(tenant.id).await?;
        self.recovery
            .create_invitation(
                tx.as_mut(),
                tenant.id,
                &hash_token(&token),
                &inv,
                now,
                now + time::Duration::days(INVITATION_DAYS),
            )
            .await
            .map_err(|e| AppError::from_store("invitation", e))?;
        let body = format!(
            "Hello,\n\nYou are invited to {} on FinAI Nexus as {}. Open\n\n  {link_base}/accept-invitation?token={token}\n\nwithin {INVITATION_DAYS} days to choose your name and password.\n",
            tenant.branding.display_name,
            role.as_str()
        );
        let mail = SendMail {
            to: inv.email.clone(),
            subject: format!("Your invitation to {}", tenant.branding.display_name),
            body,
        };
        let opts = EnqueueOptions {
            tenant: Some(tenant.id),
            ..EnqueueOptions::default()
        };
        jobs.enqueue_in(tx.as_mut(), &mail, opts).await?;
        let r = Record {
            tenant: Some(tenant.id),
            action: "user.invite",
            target: format!("login:{}", inv.email),
            diff: Some(json!({ "after": { "email": inv.email, "role": inv.role } })),
        };
        self.audit.record_in(tx.as_mut(), caller, r).await?;
        crate::auth::commit(tx).await
    }

    /// Accepts an invitation: creates the account with the invited role. Audited.
    pub async fn accept_invitation(
        &self,
        tenant: &Tenant,
        token: &str,
        display_name: &str,
        password: &str,
        meta: RequestMeta,
    ) -> Result<User, AppError> {
        let mut errs = FieldErrors::new();
        let name = errs.check("display_name", parse_name(display_name));
        let password = errs.check("password", Password::parse(password));
        if let Some(p) = &password {
            errs.check("password", crate::accounts::check_strength(p, &[]));
        }
        let (Some(name), Some(password)) = (name, password) else {
            return Err(AppError::Validation(errs));
        };
        if !errs.is_empty() {
            return Err(AppError::Validation(errs));
        }
        // Hash before the transaction, so the write lock never waits on argon2.
        let password_hash =
            crate::accounts::hash_password(self.accounts.params(), password.clone()).await?;
        // Spending the invitation, the account and both records commit together: a
        // failure anywhere leaves the invitation usable.
        let mut tx = self.begin(tenant.id).await?;
        let inv = self
            .recovery
            .accept_invitation(
                tx.as_mut(),
                tenant.id,
                &hash_token(token.trim()),
                self.clock.now(),
            )
            .await
            .map_err(|e| AppError::from_store("invitation", e))?
            .ok_or(AppError::InvalidToken)?;
        let email = Email::parse(&inv.email).map_err(|e| AppError::Internal(Box::new(e)))?;
        let role = Role::parse(&inv.role).map_err(|e| AppError::Internal(Box::new(e)))?;
        // Strong in general, but not if built from the invitee's own name or address.
        crate::accounts::check_strength(&password, &[email.as_str(), &name])
            .map_err(crate::accounts::password_error)?;
        let account = crate::accounts::HashedAccount {
            email,
            display_name: name,
            role,
            password_hash,
        };
        // The account is created on the inviter's authority, recorded as the system acting
        // on a valid invitation; the acceptance itself is recorded below.
        let user = self
            .accounts
            .insert_in(
                tx.as_mut(),
                &Caller::system(),
                tenant.id,
                account,
                crate::accounts::AddressProof::Proven,
            )
            .await?;
        let caller = Caller {
            actor: Actor::Anonymous,
            meta,
        };
        let r = Record {
            tenant: Some(tenant.id),
            action: "user.invitation_accepted",
            target: format!("user:{}", user.id),
            diff: Some(json!({ "invited_by": inv.invited_by, "role": inv.role })),
        };
        self.audit.record_in(tx.as_mut(), &caller, r).await?;
        crate::auth::commit(tx).await?;
        metrics::counter!("nexus_users_registered_total").increment(1);
        Ok(user)
    }

    /// Invites every valid row of a CSV with header `email,role` (role optional, default
    /// `learner`). Each row is checked whole before anything is written for it.
    pub async fn import(
        &self,
        jobs: &JobService,
        caller: &Caller,
        tenant: &Tenant,
        csv: &str,
        link_base: &str,
    ) -> Result<Vec<ImportRow>, AppError> {
        caller.require(tenant.id, Permission::UserInvite)?;
        let mut lines = csv
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let header: Vec<String> = match lines.next() {
            Some((_, h)) => h.split(',').map(|c| c.trim().to_lowercase()).collect(),
            None => {
                return Err(AppError::Validation(one(
                    "file",
                    "empty",
                    "the file has no header row",
                )));
            }
        };
        let (Some(email_col), role_col) = (
            header.iter().position(|c| c == "email"),
            header.iter().position(|c| c == "role"),
        ) else {
            return Err(AppError::Validation(one(
                "file",
                "missing_column",
                "the header must name an email column",
            )));
        };
        let rows: Vec<(usize, &str)> = lines.collect();
        if rows.len() > MAX_IMPORT_ROWS {
            return Err(AppError::Validation(one(
                "file",
                "too_many_rows",
                &format!("at most {MAX_IMPORT_ROWS} rows per import"),
            )));
        }
        let mut out = Vec::new();
        for (i, line) in rows {
            let cells: Vec<&str> = line.split(',').map(str::trim).collect();
            let raw_email = cells.get(email_col).copied().unwrap_or_default();
            let mut errors = Vec::new();
            if cells.len() != header.len() {
                errors.push(format!(
                    "expected {} columns, found {}",
                    header.len(),
                    cells.len()
                ));
            }
            let email = Email::parse(raw_email)
                .map_err(|e| errors.push(format!("email: {}", e.message)))
                .ok();
            let role = role_col
                .and_then(|c| cells.get(c))
                .filter(|r| !r.is_empty())
                .map_or(Ok(Role::Learner), |r| Role::parse(r));
            let role = role
                .map_err(|e| errors.push(format!("role: {}", e.message)))
                .ok();
            if let (Some(email), Some(role), true) = (&email, role, errors.is_empty())
                && let Err(e) = self
                    .invite(jobs, caller, tenant, email, role, link_base)
                    .await
            {
                errors.push(e.to_string());
            }
            let status = if errors.is_empty() {
                "invited"
            } else {
                "rejected"
            };
            out.push(ImportRow {
                line: i + 1,
                email: raw_email.to_owned(),
                status,
                errors,
            });
        }
        Ok(out)
    }
}

fn one(field: &str, code: &'static str, message: &str) -> FieldErrors {
    let mut e = FieldErrors::new();
    e.push(field, code, message);
    e
}
