//! E-mail verification: proving an account's owner reads its address.
//!
//! A link is mailed when an admin creates an account over the API, when the user asks
//! (`POST /v1/auth/email-verification`), or when an admin resends it. The token is
//! single-use, valid for [`VERIFY_TOKEN_HOURS`], and stored only as its SHA-256. An
//! accepted invitation or a completed password reset proves the address too, since
//! each came through a link mailed to it.
//!
//! Nothing is gated on verification yet; it is shown on the account so tenants and
//! later features (SSO account linking, notifications) can rely on it.

use crate::AppError;
use crate::audit::{Caller, Record, RequestMeta};
use crate::auth::AuthService;
use crate::jobs::{EnqueueOptions, JobFailure, JobPayload, KindOptions, Registry};
use crate::mail::{Mail, Mailer};
use crate::recovery::{issue_token, mail_failure};
use nexus_domain::access::{Actor, Permission};
use nexus_domain::session::hash_token;
use nexus_domain::tenancy::Tenant;
use nexus_domain::{Clock, TenantId, UserId};
use nexus_store::{Database, TokenPurpose};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// How long a verification link works.
pub const VERIFY_TOKEN_HOURS: i64 = 24;

/// Mail a verification link to a user, unless their address is already verified.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmailVerificationRequest {
    /// The account.
    pub user: UserId,
    /// `scheme://host` the link points at.
    pub link_base: String,
}

impl JobPayload for EmailVerificationRequest {
    const KIND: &'static str = "identity.email_verification";
}

/// Registers the handler.
pub(crate) fn register(
    registry: &mut Registry,
    db: &Arc<dyn Database>,
    clock: Arc<dyn Clock>,
    mailer: Arc<dyn Mailer>,
) {
    let db = db.clone();
    registry.register::<EmailVerificationRequest, _, _>(KindOptions::default(), move |ctx, req| {
        let (db, clock, mailer) = (db.clone(), clock.clone(), mailer.clone());
        async move {
            let tenant = ctx
                .tenant
                .ok_or_else(|| JobFailure::Permanent("verification without a tenant".into()))?;
            send_link(db.as_ref(), clock.as_ref(), mailer.as_ref(), tenant, &req).await
        }
    });
}

async fn send_link(
    db: &dyn Database,
    clock: &dyn Clock,
    mailer: &dyn Mailer,
    tenant: TenantId,
    req: &EmailVerificationRequest,
) -> Result<(), JobFailure> {
    let user = match db.users().get(tenant, req.user).await {
        Ok(u) => u,
        // Deleted since: nothing to verify.
        Err(nexus_store::StoreError::NotFound) => return Ok(()),
        Err(e) => return Err(JobFailure::Retry(e.to_string())),
    };
    if user.email_verified_at.is_some() {
        return Ok(());
    }
    let ttl = time::Duration::hours(VERIFY_TOKEN_HOURS);
    let token = issue_token(db, clock, tenant, user.id, TokenPurpose::VerifyEmail, ttl)
        .await
        .map_err(|e| JobFailure::Retry(e.to_string()))?;
    let mail = Mail {
        to: user.email.as_str().to_owned(),
        subject: "Confirm your e-mail address for FinAI Nexus".into(),
        body: format!(
            "Hello {},\n\nPlease confirm that this is your address by opening\n\n  {}/verify-email?token={token}\n\nwithin {VERIFY_TOKEN_HOURS} hours. If you do not have a FinAI Nexus account, ignore this message.\n",
            user.display_name, req.link_base
        ),
    };
    mailer.send(tenant, &mail).await.map_err(mail_failure)
}

impl AuthService {
    /// Queues a verification mail for `user`: the user themself, or an admin
    /// (`user:write`). `email_already_verified` if there is nothing to prove. Audited.
    pub async fn request_email_verification(
        &self,
        jobs: &crate::jobs::JobService,
        caller: &Caller,
        tenant: &Tenant,
        user: UserId,
        link_base: &str,
    ) -> Result<(), AppError> {
        let is_self = matches!(&caller.actor, Actor::User { tenant: t, user: u, .. } if *t == tenant.id && *u == user);
        if !is_self {
            caller.require(tenant.id, Permission::UserWrite)?;
        }
        let account = self
            .users
            .get(tenant.id, user)
            .await
            .map_err(|e| AppError::from_store("user", e))?;
        if account.email_verified_at.is_some() {
            return Err(AppError::Conflict {
                code: "email_already_verified",
                message: "this address is already verified",
            });
        }
        // One mail per user per minute however often the button is pressed: the key
        // makes repeats within the minute return the first job.
        let minute = self.clock.now().unix_timestamp() / 60;
        let opts = EnqueueOptions {
            tenant: Some(tenant.id),
            idempotency_key: Some(format!("verify-email:{user}:{minute}")),
            ..EnqueueOptions::default()
        };
        let job = EmailVerificationRequest {
            user,
            link_base: link_base.to_owned(),
        };
        let mut tx = self.begin(tenant.id).await?;
        jobs.enqueue_in(tx.as_mut(), &job, opts).await?;
        let r = Record {
            tenant: Some(tenant.id),
            action: "auth.email_verification_requested",
            target: format!("user:{user}"),
            diff: None,
        };
        self.audit.record_in(tx.as_mut(), caller, r).await?;
        crate::auth::commit(tx).await
    }

    /// Spends a verification link and marks the address verified. Audited.
    pub async fn verify_email(
        &self,
        tenant: &Tenant,
        token: &str,
        meta: RequestMeta,
    ) -> Result<UserId, AppError> {
        let now = self.clock.now();
        let mut tx = self.begin(tenant.id).await?;
        let user = self
            .recovery
            .consume_email_token(
                tx.as_mut(),
                tenant.id,
                TokenPurpose::VerifyEmail,
                &hash_token(token.trim()),
                now,
            )
            .await
            .map_err(|e| AppError::from_store("verification token", e))?
            .ok_or(AppError::InvalidToken)?;
        self.recovery
            .set_email_verified(tx.as_mut(), tenant.id, user, now)
            .await
            .map_err(|e| AppError::from_store("user", e))?;
        let caller = Caller {
            actor: Actor::Anonymous,
            meta,
        };
        let r = Record {
            tenant: Some(tenant.id),
            action: "auth.email_verified",
            target: format!("user:{user}"),
            diff: None,
        };
        self.audit.record_in(tx.as_mut(), &caller, r).await?;
        crate::auth::commit(tx).await?;
        Ok(user)
    }
}
