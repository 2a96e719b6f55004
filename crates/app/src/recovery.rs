//! Password reset by e-mail, and the mail it sends.
//!
//! `forgot_password` always answers the same and does no account lookup on the request
//! path: it enqueues a job that looks the account up and, only if it exists, stores a
//! single-use token (as SHA-256, valid one hour) and mails the link. Neither the answer
//! nor its timing says whether the e-mail is registered.
//!
//! Mail is handed to the configured [`Mailer`] (SMTP, or the development outbox); see
//! [`crate::mail`].

use crate::AppError;
use crate::audit::{Caller, Record, RequestMeta};
use crate::auth::AuthService;
use crate::jobs::{EnqueueOptions, JobFailure, JobPayload, KindOptions, Registry};
use crate::mail::{Mail, MailError, Mailer};
use base64::Engine;
use nexus_domain::access::Actor;
use nexus_domain::session::hash_token;
use nexus_domain::tenancy::Tenant;
use nexus_domain::user::{Email, Password};
use nexus_domain::{Clock, TenantId, UserId};
use nexus_store::{Database, OutboxMail, TokenPurpose};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// How long a reset link works.
pub const RESET_TOKEN_MINUTES: i64 = 60;

/// Deliver one e-mail.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendMail {
    /// Recipient.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

impl JobPayload for SendMail {
    const KIND: &'static str = "identity.send_email";
}

/// Look an account up and, if it exists, mail it a reset link.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PasswordResetRequest {
    /// The e-mail as typed.
    pub login: String,
    /// `scheme://host` the link points at.
    pub link_base: String,
}

impl JobPayload for PasswordResetRequest {
    const KIND: &'static str = "identity.password_reset_request";
}

/// Registers the mail, reset and verification handlers over `mailer`.
pub fn register(
    registry: &mut Registry,
    db: &Arc<dyn Database>,
    clock: Arc<dyn Clock>,
    mailer: Arc<dyn Mailer>,
) {
    let m = mailer.clone();
    registry.register::<SendMail, _, _>(KindOptions::default(), move |ctx, mail| {
        let mailer = m.clone();
        async move {
            let tenant = ctx
                .tenant
                .ok_or_else(|| JobFailure::Permanent("mail without a tenant".into()))?;
            let mail = Mail {
                to: mail.to,
                subject: mail.subject,
                body: mail.body,
            };
            mailer.send(tenant, &mail).await.map_err(mail_failure)
        }
    });
    let (d, c, m) = (db.clone(), clock.clone(), mailer.clone());
    registry.register::<PasswordResetRequest, _, _>(KindOptions::default(), move |ctx, req| {
        let (db, clock, mailer) = (d.clone(), c.clone(), m.clone());
        async move {
            let tenant = ctx
                .tenant
                .ok_or_else(|| JobFailure::Permanent("reset without a tenant".into()))?;
            send_reset(db.as_ref(), clock.as_ref(), mailer.as_ref(), tenant, &req).await
        }
    });
    crate::verification::register(registry, db, clock, mailer);
}

/// A relay's temporary trouble is retried by the queue; a refusal is final.
pub(crate) fn mail_failure(e: MailError) -> JobFailure {
    match e {
        MailError::Transient(m) => JobFailure::Retry(m),
        MailError::Permanent(m) => JobFailure::Permanent(m),
    }
}

/// Stores a fresh single-use token (its SHA-256 only) and returns the token itself.
pub(crate) async fn issue_token(
    db: &dyn Database,
    clock: &dyn Clock,
    tenant: TenantId,
    user: UserId,
    purpose: TokenPurpose,
    ttl: time::Duration,
) -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(e.to_string().into()))?;
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let now = clock.now();
    db.recovery()
        .create_email_token(tenant, user, purpose, &hash_token(&token), now, now + ttl)
        .await
        .map_err(|e| AppError::from_store("e-mail token", e))?;
    Ok(token)
}

async fn send_reset(
    db: &dyn Database,
    clock: &dyn Clock,
    mailer: &dyn Mailer,
    tenant: TenantId,
    req: &PasswordResetRequest,
) -> Result<(), JobFailure> {
    let Ok(email) = Email::parse(&req.login) else {
        return Ok(());
    };
    let Some((user, _)) = db
        .users()
        .find_by_email(tenant, &email)
        .await
        .map_err(|e| JobFailure::Retry(e.to_string()))?
    else {
        return Ok(());
    };
    let ttl = time::Duration::minutes(RESET_TOKEN_MINUTES);
    let token = issue_token(db, clock, tenant, user.id, TokenPurpose::ResetPassword, ttl)
        .await
        .map_err(|e| JobFailure::Retry(e.to_string()))?;
    let body = format!(
        "Hello {},\n\nSomeone asked to reset the password of this account. If it was you, open\n\n  {}/reset-password?token={token}\n\nwithin {RESET_TOKEN_MINUTES} minutes. If not, ignore this message; your password is unchanged.\n",
        user.display_name, req.link_base
    );
    let mail = Mail {
        to: email.as_str().to_owned(),
        subject: "Reset your FinAI Nexus password".into(),
        body,
    };
    mailer.send(tenant, &mail).await.map_err(mail_failure)
}

impl AuthService {
    /// Starts a reset. Always succeeds the same way, whether or not the account exists.
    pub async fn forgot_password(
        &self,
        jobs: &crate::jobs::JobService,
        tenant: &Tenant,
        login: &str,
        link_base: &str,
        meta: RequestMeta,
    ) -> Result<(), AppError> {
        let req = PasswordResetRequest {
            login: login.trim().to_lowercase(),
            link_base: link_base.to_owned(),
        };
        let mut tx = self.begin(tenant.id).await?;
        let opts = EnqueueOptions {
            tenant: Some(tenant.id),
            ..EnqueueOptions::default()
        };
        jobs.enqueue_in(tx.as_mut(), &req, opts).await?;
        let caller = Caller {
            actor: Actor::Anonymous,
            meta,
        };
        let r = Record {
            tenant: Some(tenant.id),
            action: "auth.password_reset_requested",
            target: format!("login:{}", req.login),
            diff: None,
        };
        self.audit.record_in(tx.as_mut(), &caller, r).await?;
        crate::auth::commit(tx).await
    }

    /// Completes a reset: spends the token, sets the new password (strength-checked),
    /// and signs the account out everywhere. Audited.
    pub async fn reset_password(
        &self,
        tenant: &Tenant,
        token: &str,
        password: &str,
        meta: RequestMeta,
    ) -> Result<(), AppError> {
        let weak = |e| AppError::invalid_field("password", e);
        let password = Password::parse(password).map_err(weak)?;
        // Judge the password before spending the link, so a refused attempt can retry.
        crate::accounts::check_strength(&password, &[]).map_err(weak)?;
        // Hash before the transaction: the write lock it takes must not wait on argon2.
        // (An invalid link then costs one hash, as a failed login does.)
        let hash = crate::accounts::hash_password(self.accounts.params(), password.clone()).await?;
        let now = self.clock.now();
        // Spending the link, the new password, the sign-out everywhere and the audit
        // record commit together; any failure leaves the link unspent.
        let mut tx = self.begin(tenant.id).await?;
        let user = self
            .recovery
            .consume_email_token(
                tx.as_mut(),
                tenant.id,
                TokenPurpose::ResetPassword,
                &hash_token(token.trim()),
                now,
            )
            .await
            .map_err(|e| AppError::from_store("reset token", e))?
            .ok_or(AppError::InvalidToken)?;
        let account = self
            .users
            .get_in(tx.as_mut(), tenant.id, user)
            .await
            .map_err(|e| AppError::from_store("user", e))?;
        // Rare: strong in general but built from this user's own name or address.
        crate::accounts::check_strength(
            &password,
            &[account.email.as_str(), &account.display_name],
        )
        .map_err(weak)?;
        let store = |e| AppError::from_store("user", e);
        self.recovery
            .set_password(tx.as_mut(), tenant.id, user, &hash, now)
            .await
            .map_err(store)?;
        // The link was mailed to the account's address, so using it proves the address.
        self.recovery
            .set_email_verified(tx.as_mut(), tenant.id, user, now)
            .await
            .map_err(store)?;
        let revoked = self
            .sessions
            .revoke_all(tx.as_mut(), tenant.id, user, now)
            .await
            .map_err(|e| AppError::from_store("session", e))?;
        let caller = Caller {
            actor: Actor::Anonymous,
            meta,
        };
        let r = Record {
            tenant: Some(tenant.id),
            action: "auth.password_reset",
            target: format!("user:{user}"),
            diff: Some(serde_json::json!({ "sessions_revoked": revoked.len() })),
        };
        self.audit.record_in(tx.as_mut(), &caller, r).await?;
        crate::auth::commit(tx).await?;
        for h in revoked {
            self.forget(&h).await;
        }
        Ok(())
    }

    /// The tenant's development outbox, newest first (admins: `tenant:write`).
    pub async fn outbox(
        &self,
        caller: &Caller,
        tenant: TenantId,
        limit: u32,
    ) -> Result<Vec<OutboxMail>, AppError> {
        caller.require(tenant, nexus_domain::access::Permission::TenantWrite)?;
        self.recovery
            .outbox(tenant, limit)
            .await
            .map_err(|e| AppError::from_store("outbox", e))
    }
}
