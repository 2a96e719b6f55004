//! Second factors for [`AuthService`]: TOTP enrolment and verification, recovery codes.
//!
//! A login of a user with a confirmed TOTP yields a session in state `pending`, usable
//! only for `/v1/auth/mfa/*`, until a code or recovery code is shown. A tenant may
//! require a second factor for chosen roles; such a user's session is `enroll_required`
//! until they enrol. Code failures have their own counter per user (5 per 5 minutes,
//! then a 15-minute lock), separate from password failures, so a stolen password does
//! not buy unlimited guesses at a six-digit code.

use crate::AppError;
use crate::audit::{Record, RequestMeta};
use crate::auth::{AuthService, Authenticated, commit};
use nexus_domain::mfa::{MfaState, base32_decode, base32_encode, matching_step, otpauth_uri};
use nexus_domain::session::hash_token;
use serde_json::json;
use std::fmt::Write as _;

/// What an enrolment shows the user, once.
#[derive(Debug, Clone)]
pub struct TotpEnrollment {
    /// Base32 secret, for manual entry.
    pub secret: String,
    /// `otpauth://` URI.
    pub uri: String,
    /// The URI as a QR code, SVG.
    pub qr_svg: String,
}

/// How the user proves the second factor.
#[derive(Debug, Clone)]
pub enum SecondFactor {
    /// A 6-digit TOTP code.
    Totp(String),
    /// A single-use recovery code.
    Recovery(String),
}

fn random_bytes<const N: usize>() -> Result<[u8; N], AppError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| AppError::Internal(e.to_string().into()))?;
    Ok(b)
}

/// Ten recovery codes like `k7q2-9fzm-x3hd`, and their hashes.
fn recovery_codes() -> Result<(Vec<String>, Vec<String>), AppError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut codes = Vec::new();
    for _ in 0..10 {
        let bytes = random_bytes::<12>()?;
        let chars: String = bytes
            .iter()
            .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
            .collect();
        codes.push(format!("{}-{}-{}", &chars[..4], &chars[4..8], &chars[8..]));
    }
    let hashes = codes.iter().map(|c| hash_token(c)).collect();
    Ok((codes, hashes))
}

fn qr_svg(text: &str) -> String {
    let Ok(qr) = qrcodegen::QrCode::encode_text(text, qrcodegen::QrCodeEcc::Medium) else {
        return String::new();
    };
    let border = 4;
    let size = qr.size() + border * 2;
    let mut path = String::new();
    for y in 0..qr.size() {
        for x in 0..qr.size() {
            if qr.get_module(x, y) {
                let _ = write!(path, "M{},{}h1v1h-1z", x + border, y + border);
            }
        }
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" shape-rendering=\"crispEdges\">\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
    )
}

impl AuthService {
    /// Starts a TOTP enrolment (replacing an unconfirmed one). Audited.
    pub async fn totp_enroll(
        &self,
        auth: &Authenticated,
        meta: RequestMeta,
    ) -> Result<TotpEnrollment, AppError> {
        let (tenant, user) = (auth.session.tenant, auth.session.user);
        let account = self
            .users
            .get(tenant, user)
            .await
            .map_err(|e| AppError::from_store("user", e))?
            .email;
        let existing = self
            .mfa
            .totp(tenant, user)
            .await
            .map_err(|e| AppError::from_store("mfa", e))?;
        if existing.is_some_and(|t| t.confirmed_at.is_some()) {
            return Err(AppError::Conflict {
                code: "mfa_already_enrolled",
                message: "a second factor is already enrolled",
            });
        }
        let secret = base32_encode(&random_bytes::<20>()?);
        let mut tx = self.begin(tenant).await?;
        self.mfa
            .put_totp(tx.as_mut(), tenant, user, &secret, self.clock.now())
            .await
            .map_err(|e| AppError::from_store("mfa", e))?;
        let uri = otpauth_uri("FinAI Nexus", account.as_str(), &secret);
        let r = Record {
            tenant: Some(tenant),
            action: "auth.mfa_enroll_started",
            target: format!("user:{user}"),
            diff: None,
        };
        self.audit
            .record_in(tx.as_mut(), &auth.caller(meta), r)
            .await?;
        commit(tx).await?;
        Ok(TotpEnrollment {
            qr_svg: qr_svg(&uri),
            uri,
            secret,
        })
    }

    /// Confirms the enrolment with a first code; returns ten recovery codes, shown once.
    /// An `enroll_required` session becomes complete. Audited.
    pub async fn totp_confirm(
        &self,
        auth: &Authenticated,
        code: &str,
        meta: RequestMeta,
    ) -> Result<Vec<String>, AppError> {
        let (tenant, user) = (auth.session.tenant, auth.session.user);
        let record = self
            .mfa
            .totp(tenant, user)
            .await
            .map_err(|e| AppError::from_store("mfa", e))?;
        let Some(record) = record.filter(|t| t.confirmed_at.is_none()) else {
            return Err(AppError::Conflict {
                code: "mfa_not_enrolling",
                message: "start an enrolment first",
            });
        };
        self.check_mfa_lock(auth).await?;
        let secret = base32_decode(&record.secret)
            .ok_or_else(|| AppError::Internal("stored TOTP secret is not base32".into()))?;
        let (codes, hashes) = recovery_codes()?;
        // The spent step, the confirmation, the codes, the session upgrade and the
        // record commit together.
        let mut tx = self.begin(tenant).await?;
        let ok = match matching_step(
            &secret,
            code,
            self.clock.now().unix_timestamp(),
            record.last_used_step,
        ) {
            Some(step) => self
                .mfa
                .use_totp_step(tx.as_mut(), tenant, user, step)
                .await
                .map_err(|e| AppError::from_store("mfa", e))?,
            None => false,
        };
        if !ok {
            drop(tx);
            return Err(self.mfa_failed(auth, &meta).await);
        }
        self.mfa
            .confirm_totp(tx.as_mut(), tenant, user, self.clock.now())
            .await
            .map_err(|e| AppError::from_store("mfa", e))?;
        self.mfa
            .replace_recovery_codes(tx.as_mut(), tenant, user, &hashes, self.clock.now())
            .await
            .map_err(|e| AppError::from_store("mfa", e))?;
        let upgrade = auth.session.mfa_state == MfaState::EnrollRequired;
        if upgrade {
            self.complete_mfa_in(tx.as_mut(), auth).await?;
        }
        let r = Record {
            tenant: Some(tenant),
            action: "auth.mfa_enrolled",
            target: format!("user:{user}"),
            diff: None,
        };
        self.audit
            .record_in(tx.as_mut(), &auth.caller(meta), r)
            .await?;
        commit(tx).await?;
        if upgrade {
            self.forget(&auth.token_hash).await;
        }
        Ok(codes)
    }

    /// Completes a `pending` session with a TOTP or recovery code. Audited either way.
    pub async fn mfa_verify(
        &self,
        auth: &Authenticated,
        factor: SecondFactor,
        meta: RequestMeta,
    ) -> Result<(), AppError> {
        let (tenant, user) = (auth.session.tenant, auth.session.user);
        if auth.session.mfa_state != MfaState::Pending {
            return Err(AppError::Conflict {
                code: "mfa_not_pending",
                message: "this session does not await a second factor",
            });
        }
        self.check_mfa_lock(auth).await?;
        let now = self.clock.now();
        // Reads happen before the transaction, which holds a pooled connection.
        let record = match &factor {
            SecondFactor::Totp(_) => self
                .mfa
                .totp(tenant, user)
                .await
                .map_err(|e| AppError::from_store("mfa", e))?,
            SecondFactor::Recovery(_) => None,
        };
        // The spent code, the session upgrade and the record commit together.
        let mut tx = self.begin(tenant).await?;
        let (ok, method) = match &factor {
            SecondFactor::Totp(code) => {
                let step = record.and_then(|r| {
                    let secret = base32_decode(&r.secret)?;
                    matching_step(&secret, code, now.unix_timestamp(), r.last_used_step)
                });
                let ok = match step {
                    Some(step) => self
                        .mfa
                        .use_totp_step(tx.as_mut(), tenant, user, step)
                        .await
                        .map_err(|e| AppError::from_store("mfa", e))?,
                    None => false,
                };
                (ok, "totp")
            }
            SecondFactor::Recovery(code) => {
                let hash = hash_token(&code.trim().to_lowercase());
                (
                    self.mfa
                        .use_recovery_code(tx.as_mut(), tenant, user, &hash, now)
                        .await
                        .map_err(|e| AppError::from_store("mfa", e))?,
                    "recovery_code",
                )
            }
        };
        if !ok {
            drop(tx);
            return Err(self.mfa_failed(auth, &meta).await);
        }
        self.complete_mfa_in(tx.as_mut(), auth).await?;
        let r = Record {
            tenant: Some(tenant),
            action: "auth.mfa_passed",
            target: format!("session:{}", auth.session.id),
            diff: Some(json!({ "method": method })),
        };
        let caller = auth.caller(meta);
        self.audit.record_in(tx.as_mut(), &caller, r).await?;
        self.clear_after_success(
            tx.as_mut(),
            &caller,
            tenant,
            &format!("mfa:{user}"),
            "second_factor",
            &format!("user:{user}"),
        )
        .await?;
        commit(tx).await?;
        self.forget(&auth.token_hash).await;
        Ok(())
    }

    /// Replaces the recovery codes (the old ones stop working). Audited.
    pub async fn regenerate_recovery_codes(
        &self,
        auth: &Authenticated,
        meta: RequestMeta,
    ) -> Result<Vec<String>, AppError> {
        let (tenant, user) = (auth.session.tenant, auth.session.user);
        let enrolled = self
            .mfa
            .totp(tenant, user)
            .await
            .map_err(|e| AppError::from_store("mfa", e))?
            .is_some_and(|t| t.confirmed_at.is_some());
        if !enrolled {
            return Err(AppError::Conflict {
                code: "mfa_not_enrolled",
                message: "enrol a second factor first",
            });
        }
        let (codes, hashes) = recovery_codes()?;
        let mut tx = self.begin(tenant).await?;
        self.mfa
            .replace_recovery_codes(tx.as_mut(), tenant, user, &hashes, self.clock.now())
            .await
            .map_err(|e| AppError::from_store("mfa", e))?;
        let r = Record {
            tenant: Some(tenant),
            action: "auth.recovery_codes_regenerated",
            target: format!("user:{user}"),
            diff: None,
        };
        self.audit
            .record_in(tx.as_mut(), &auth.caller(meta), r)
            .await?;
        commit(tx).await?;
        Ok(codes)
    }

    async fn check_mfa_lock(&self, auth: &Authenticated) -> Result<(), AppError> {
        let key = format!("mfa:{}", auth.session.user);
        let now = self.clock.now();
        match self
            .throttles
            .locked_until(auth.session.tenant, &key, now)
            .await
            .map_err(|e| AppError::from_store("throttle", e))?
        {
            Some(until) => Err(AppError::TooManyAttempts {
                retry_after_secs: u64::try_from((until - now).whole_seconds())
                    .unwrap_or(0)
                    .max(1),
            }),
            None => Ok(()),
        }
    }

    async fn mfa_failed(&self, auth: &Authenticated, meta: &RequestMeta) -> AppError {
        let (tenant, user) = (auth.session.tenant, auth.session.user);
        let rule = self.settings.per_user_mfa;
        let state = match self
            .throttles
            .record_failure(tenant, &format!("mfa:{user}"), rule, self.clock.now())
            .await
        {
            Ok(s) => s,
            Err(e) => return AppError::from_store("throttle", e),
        };
        tracing::warn!(tenant_id = %tenant, user_id = %user, failures = state.failures, "second factor failed");
        let caller = auth.caller(meta.clone());
        let r = Record {
            tenant: Some(tenant),
            action: "auth.mfa_failed",
            target: format!("user:{user}"),
            diff: Some(json!({ "failures": state.failures })),
        };
        if let Err(e) = self.audit.record(&caller, r).await {
            return e;
        }
        if state.failures == rule.threshold && state.locked_until.is_some() {
            let r = Record {
                tenant: Some(tenant),
                action: "auth.mfa_locked",
                target: format!("user:{user}"),
                diff: None,
            };
            if let Err(e) = self.audit.record(&caller, r).await {
                return e;
            }
        }
        AppError::InvalidSecondFactor
    }

    /// Marks the session's second factor done, in the caller's transaction; the caller
    /// drops the cached session after committing.
    async fn complete_mfa_in(
        &self,
        tx: &mut dyn nexus_store::Tx,
        auth: &Authenticated,
    ) -> Result<(), AppError> {
        self.sessions
            .set_mfa_state(tx, auth.session.tenant, auth.session.id, MfaState::Passed)
            .await
            .map_err(|e| AppError::from_store("session", e))
    }
}
