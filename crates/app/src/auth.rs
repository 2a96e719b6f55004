//! Login, sessions and brute-force defence.
//!
//! - Passwords are checked by [`AccountService::verify_login`], which costs one argon2
//!   verification whether or not the account exists, so neither the answer nor its
//!   timing tells an attacker which e-mails are registered.
//! - Failures are counted twice: per account and per (account, client IP). The per-IP
//!   threshold is the lower one, so one attacker locks only themselves out; many
//!   attackers together can still lock an account (Canvas's design). Delays grow with
//!   each failure before a lock; a lock answers 429 with `Retry-After`.
//! - A session token is 32 random bytes, shown once and stored only as a hash. Validation
//!   is cached by token hash; revocation deletes the cache entry, so with Redis it takes
//!   effect at once on every replica.

use crate::AppError;
use crate::accounts::AccountService;
use crate::audit::{AuditService, Caller, Record, RequestMeta};
use base64::Engine;
use nexus_domain::access::{Actor, BuiltinRole, Permission};
use nexus_domain::mfa::MfaState;
use nexus_domain::session::{NewSession, Session, SessionId, ThrottleRule, hash_token};
use nexus_domain::tenancy::Tenant;
use nexus_domain::user::{Email, Password, Role, User};
use nexus_domain::{Clock, TenantId, UserId};
use nexus_store::{CacheStore, SessionStore, ThrottleStore, UserStore};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

/// Brute-force thresholds and cache behaviour.
#[derive(Debug, Clone, Copy)]
pub struct AuthSettings {
    /// Failures for one account from anywhere.
    pub per_account: ThrottleRule,
    /// Failures for one account from one IP (lower, so one source cannot lock others out).
    pub per_account_ip: ThrottleRule,
    /// Failures before each further failure is answered slowly.
    pub delay_after: u32,
    /// The first slowed answer's delay; each further failure doubles it, up to 16×.
    pub delay_base: Duration,
    /// How long a validated session may be served from cache.
    pub cache_ttl: Duration,
    /// Second-factor failures per user, counted apart from password failures.
    pub per_user_mfa: ThrottleRule,
}

impl Default for AuthSettings {
    /// Canvas's pattern: 20 per login and 10 per (login, IP) in 5 minutes.
    fn default() -> Self {
        Self {
            per_account: ThrottleRule {
                window: Duration::from_mins(5),
                threshold: 20,
                lock_for: Duration::from_mins(15),
            },
            per_account_ip: ThrottleRule {
                window: Duration::from_mins(5),
                threshold: 10,
                lock_for: Duration::from_mins(15),
            },
            delay_after: 3,
            delay_base: Duration::from_millis(250),
            cache_ttl: Duration::from_mins(1),
            // Five wrong codes lock the second factor: a correct password does not buy
            // unlimited guesses at a six-digit code.
            per_user_mfa: ThrottleRule {
                window: Duration::from_mins(5),
                threshold: 5,
                lock_for: Duration::from_mins(15),
            },
        }
    }
}

/// A successful login: the secrets are shown to the client once.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    /// The new session.
    pub session: Session,
    /// Bearer token (also the cookie value).
    pub token: String,
    /// CSRF token for cookie-authenticated unsafe requests.
    pub csrf_token: String,
    /// Who logged in.
    pub user: User,
}

/// A validated session.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Authenticated {
    /// The session.
    pub session: Session,
    /// The hash of the token that presented it (the cache key; never sent to clients).
    pub token_hash: String,
    /// The user's effective permissions.
    pub permissions: BTreeSet<Permission>,
    /// Their built-in role.
    pub role: BuiltinRole,
}

impl Authenticated {
    /// As an audit and authorization actor.
    pub fn actor(&self) -> Actor {
        Actor::User {
            tenant: self.session.tenant,
            user: self.session.user,
            permissions: self.permissions.clone(),
        }
    }

    /// As a caller, with this request's facts.
    pub fn caller(&self, meta: RequestMeta) -> Caller {
        Caller {
            actor: self.actor(),
            meta,
        }
    }
}

/// The built-in role a stored account role maps to.
pub fn builtin_role(role: Role) -> BuiltinRole {
    match role {
        Role::Admin => BuiltinRole::TenantAdmin,
        Role::Instructor => BuiltinRole::Instructor,
        Role::Learner => BuiltinRole::Learner,
    }
}

/// Login and session use cases.
#[derive(Clone)]
pub struct AuthService {
    pub(crate) db: Arc<dyn nexus_store::Database>,
    pub(crate) roles: crate::roles::RoleService,
    pub(crate) users: Arc<dyn UserStore>,
    pub(crate) sessions: Arc<dyn SessionStore>,
    pub(crate) throttles: Arc<dyn ThrottleStore>,
    pub(crate) mfa: Arc<dyn nexus_store::MfaStore>,
    pub(crate) recovery: Arc<dyn nexus_store::RecoveryStore>,
    pub(crate) cache: Arc<dyn CacheStore>,
    pub(crate) accounts: AccountService,
    pub(crate) audit: AuditService,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) settings: AuthSettings,
}

fn random_token(prefix: &str) -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(e.to_string().into()))?;
    Ok(format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

fn cache_key(token_hash: &str) -> String {
    format!("session:{token_hash}")
}

impl AuthService {
    /// Logs in with e-mail and password, or explains (without enumerating accounts) why not.
    pub async fn login(
        &self,
        tenant: &Tenant,
        email: &str,
        password: &str,
        meta: RequestMeta,
    ) -> Result<LoginOutcome, AppError> {
        let login = email.trim().to_lowercase();
        let ip = meta.ip.clone().unwrap_or_default();
        let (acct, acct_ip) = (format!("acct:{login}"), format!("acct_ip:{login}|{ip}"));
        let now = self.clock.now();
        for key in [&acct_ip, &acct] {
            if let Some(until) = self
                .throttles
                .locked_until(tenant.id, key, now)
                .await
                .map_err(|e| AppError::from_store("throttle", e))?
            {
                let secs = u64::try_from((until - now).whole_seconds())
                    .unwrap_or(0)
                    .max(1);
                return Err(AppError::TooManyAttempts {
                    retry_after_secs: secs,
                });
            }
        }
        let caller = Caller {
            actor: Actor::Anonymous,
            meta: meta.clone(),
        };
        let verified = match (Email::parse(&login), Password::parse(password)) {
            (Ok(e), Ok(p)) => self.accounts.verify_login(tenant.id, &e, p).await,
            // Malformed input is still a failed attempt, answered the same way.
            _ => Err(AppError::Unauthenticated),
        };
        let user = match verified {
            Ok(user) => user,
            Err(AppError::Unauthenticated) => {
                return Err(self
                    .failed(tenant.id, &caller, &login, &acct, &acct_ip)
                    .await);
            }
            Err(other) => return Err(other),
        };
        // Read what the session owes before the transaction: it holds a connection (and
        // on SQLite the write lock), so no pool read may wait inside it.
        let mfa_state = self.mfa_state_for(tenant, &user).await?;
        // Clearing the counters, the session and the record commit together.
        let mut tx = self.begin(tenant.id).await?;
        let target = format!("login:{login}");
        self.clear_after_success(tx.as_mut(), &caller, tenant.id, &acct, "account", &target)
            .await?;
        self.clear_after_success(
            tx.as_mut(),
            &caller,
            tenant.id,
            &acct_ip,
            "account_ip",
            &target,
        )
        .await?;
        let (token, csrf_token) = (random_token("nxs_")?, random_token("csrf_")?);
        let idle = Duration::from_secs(u64::from(tenant.settings.session_idle_minutes) * 60);
        let new = NewSession {
            id: SessionId::generate(self.clock.as_ref()),
            user: user.id,
            token_hash: hash_token(&token),
            csrf_hash: hash_token(&csrf_token),
            created_at: now,
            expires_at: now
                + time::Duration::hours(i64::from(tenant.settings.session_absolute_hours)),
            idle_timeout: idle,
            ip: meta.ip.clone(),
            user_agent: meta.user_agent.clone(),
            mfa_state,
        };
        let session = self
            .sessions
            .create(tx.as_mut(), tenant.id, &new)
            .await
            .map_err(|e| AppError::from_store("session", e))?;
        let user_caller = Caller {
            actor: Actor::User {
                tenant: tenant.id,
                user: user.id,
                permissions: BTreeSet::new(),
            },
            meta,
        };
        let r = Record {
            tenant: Some(tenant.id),
            action: "auth.login",
            target: format!("session:{}", session.id),
            diff: None,
        };
        self.audit.record_in(tx.as_mut(), &user_caller, r).await?;
        commit(tx).await?;
        Ok(LoginOutcome {
            session,
            token,
            csrf_token,
            user,
        })
    }

    /// What a fresh session owes: a code if the user enrolled TOTP, enrolment if the
    /// tenant requires a second factor for any role they hold (their account role or a
    /// granted one) or they hold platform_admin, otherwise nothing.
    async fn mfa_state_for(&self, tenant: &Tenant, user: &User) -> Result<MfaState, AppError> {
        let enrolled = self
            .mfa
            .totp(tenant.id, user.id)
            .await
            .map_err(|e| AppError::from_store("mfa", e))?
            .is_some_and(|t| t.confirmed_at.is_some());
        // One read of the grants serves both rules below (this is on the login path).
        let mut held = self
            .roles
            .roles
            .grants(tenant.id, user.id)
            .await
            .map_err(|e| AppError::from_store("role", e))?;
        // Whoever can operate the platform owes a second factor, through whichever role
        // (no account role grants it, so the grants alone decide).
        let operates = self
            .roles
            .permissions_of(tenant.id, &held)
            .await?
            .contains(&Permission::PlatformOperate);
        held.push(builtin_role(user.role).as_str().to_owned());
        let required = operates
            || held
                .iter()
                .any(|r| tenant.settings.mfa_required_roles.contains(r));
        Ok(match (enrolled, required) {
            (true, _) => MfaState::Pending,
            (false, true) => MfaState::EnrollRequired,
            (false, false) => MfaState::None,
        })
    }

    /// Counts a failure on both keys, audits it (and any lock it starts), slows the
    /// answer down progressively, and returns the uniform error.
    async fn failed(
        &self,
        tenant: TenantId,
        caller: &Caller,
        login: &str,
        acct: &str,
        acct_ip: &str,
    ) -> AppError {
        let now = self.clock.now();
        let s = self.settings;
        let per_ip = match self
            .throttles
            .record_failure(tenant, acct_ip, s.per_account_ip, now)
            .await
        {
            Ok(st) => st,
            Err(e) => return AppError::from_store("throttle", e),
        };
        let per_acct = match self
            .throttles
            .record_failure(tenant, acct, s.per_account, now)
            .await
        {
            Ok(st) => st,
            Err(e) => return AppError::from_store("throttle", e),
        };
        tracing::warn!(tenant_id = %tenant, failures_ip = per_ip.failures, failures_account = per_acct.failures, "login failed");
        let target = format!("login:{login}");
        let diff = json!({ "failures_from_ip": per_ip.failures, "failures_for_account": per_acct.failures });
        let r = Record {
            tenant: Some(tenant),
            action: "auth.login_failed",
            target: target.clone(),
            diff: Some(diff),
        };
        if let Err(e) = self.audit.record(caller, r).await {
            return e;
        }
        for (scope, state, rule) in [
            ("account_ip", per_ip, s.per_account_ip),
            ("account", per_acct, s.per_account),
        ] {
            if state.failures == rule.threshold && state.locked_until.is_some() {
                tracing::warn!(tenant_id = %tenant, scope, "login locked after repeated failures");
                let diff = json!({ "scope": scope, "locked_until": state.locked_until.map(time::OffsetDateTime::unix_timestamp) });
                let r = Record {
                    tenant: Some(tenant),
                    action: "auth.locked",
                    target: target.clone(),
                    diff: Some(diff),
                };
                if let Err(e) = self.audit.record(caller, r).await {
                    return e;
                }
            }
        }
        if per_ip.failures > s.delay_after {
            // base, 2×, 4× … capped at 16×: cheap for us, slow for a guesser.
            let exp = (per_ip.failures - s.delay_after - 1).min(4);
            tokio::time::sleep(s.delay_base * (1 << exp)).await;
        }
        AppError::InvalidCredentials
    }

    /// Validates a bearer/cookie token for `tenant`.
    pub async fn validate(&self, tenant: TenantId, token: &str) -> Result<Authenticated, AppError> {
        let hash = hash_token(token);
        let now = self.clock.now();
        let key = cache_key(&hash);
        let cached: Option<Authenticated> = match self.cache.get(&key).await {
            Ok(Some(bytes)) => serde_json::from_slice(&bytes).ok(),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "session cache read failed; using the database");
                None
            }
        };
        let mut auth = match cached {
            Some(a) if a.session.tenant == tenant => a,
            Some(_) => return Err(AppError::Unauthenticated),
            None => {
                let session = self
                    .sessions
                    .find_by_token_hash(tenant, &hash)
                    .await
                    .map_err(|e| AppError::from_store("session", e))?
                    .ok_or(AppError::Unauthenticated)?;
                let user = self
                    .users
                    .get(tenant, session.user)
                    .await
                    .map_err(|e| match e {
                        nexus_store::StoreError::NotFound => AppError::Unauthenticated,
                        other => AppError::from_store("user", other),
                    })?;
                let role = builtin_role(user.role);
                let permissions = self
                    .roles
                    .effective_permissions(tenant, user.id, user.role)
                    .await?;
                Authenticated {
                    session,
                    token_hash: hash.clone(),
                    permissions,
                    role,
                }
            }
        };
        if !auth.session.is_live(now) {
            self.cache_delete(&key).await;
            return Err(AppError::Unauthenticated);
        }
        // Record use at most once a minute: idle timeouts need it, the hot path does not.
        if now - auth.session.last_seen_at >= time::Duration::MINUTE {
            self.sessions
                .touch(tenant, auth.session.id, now)
                .await
                .map_err(|e| AppError::from_store("session", e))?;
            auth.session.last_seen_at = now;
        }
        self.cache_put(&key, &auth).await;
        Ok(auth)
    }

    /// Ends the caller's own session.
    pub async fn logout(&self, auth: &Authenticated, meta: RequestMeta) -> Result<(), AppError> {
        let s = &auth.session;
        let mut tx = self.begin(s.tenant).await?;
        let hash = self
            .sessions
            .revoke(tx.as_mut(), s.tenant, s.id, None, self.clock.now())
            .await
            .map_err(|e| AppError::from_store("session", e))?;
        let r = Record {
            tenant: Some(s.tenant),
            action: "auth.logout",
            target: format!("session:{}", s.id),
            diff: None,
        };
        self.audit
            .record_in(tx.as_mut(), &auth.caller(meta), r)
            .await?;
        commit(tx).await?;
        self.cache_delete(&cache_key(&hash)).await;
        Ok(())
    }

    /// The caller's live sessions.
    pub async fn my_sessions(&self, auth: &Authenticated) -> Result<Vec<Session>, AppError> {
        let s = &auth.session;
        self.sessions
            .list_for_user(s.tenant, s.user, self.clock.now())
            .await
            .map_err(|e| AppError::from_store("session", e))
    }

    /// Revokes a session: one's own, or anyone's with `session:revoke`. Audited.
    pub async fn revoke(
        &self,
        auth: &Authenticated,
        id: SessionId,
        meta: RequestMeta,
    ) -> Result<(), AppError> {
        let tenant = auth.session.tenant;
        let only_own = if auth.permissions.contains(&Permission::SessionRevoke) {
            None
        } else {
            Some(auth.session.user)
        };
        let mut tx = self.begin(tenant).await?;
        let hash = self
            .sessions
            .revoke(tx.as_mut(), tenant, id, only_own, self.clock.now())
            .await
            .map_err(|e| AppError::from_store("session", e))?;
        let r = Record {
            tenant: Some(tenant),
            action: "session.revoke",
            target: format!("session:{id}"),
            diff: None,
        };
        self.audit
            .record_in(tx.as_mut(), &auth.caller(meta), r)
            .await?;
        commit(tx).await?;
        self.cache_delete(&cache_key(&hash)).await;
        Ok(())
    }

    /// Revokes every session of a user (admin action, e.g. on suspicion). Audited.
    pub async fn revoke_all(
        &self,
        caller: &Caller,
        tenant: TenantId,
        user: UserId,
    ) -> Result<usize, AppError> {
        if !caller.actor.can(tenant, Permission::SessionRevoke) {
            return Err(AppError::Forbidden("session:revoke is required"));
        }
        let mut tx = self.begin(tenant).await?;
        let hashes = self
            .sessions
            .revoke_all(tx.as_mut(), tenant, user, self.clock.now())
            .await
            .map_err(|e| AppError::from_store("session", e))?;
        let diff = json!({ "revoked": hashes.len() });
        let r = Record {
            tenant: Some(tenant),
            action: "session.revoke_all",
            target: format!("user:{user}"),
            diff: Some(diff),
        };
        self.audit.record_in(tx.as_mut(), caller, r).await?;
        commit(tx).await?;
        for h in &hashes {
            self.cache_delete(&cache_key(h)).await;
        }
        Ok(hashes.len())
    }

    /// A transaction for one tenant's change and its audit record.
    pub(crate) async fn begin(
        &self,
        tenant: TenantId,
    ) -> Result<Box<dyn nexus_store::Tx>, AppError> {
        self.db
            .begin(Some(tenant))
            .await
            .map_err(|e| AppError::from_store("transaction", e))
    }

    async fn cache_put(&self, key: &str, auth: &Authenticated) {
        let Ok(bytes) = serde_json::to_vec(auth) else {
            return;
        };
        if let Err(e) = self.cache.set(key, &bytes, self.settings.cache_ttl).await {
            tracing::warn!(error = %e, "session cache write failed");
        }
    }

    /// Drops a session from the validation cache (after its state changed).
    pub(crate) async fn forget(&self, token_hash: &str) {
        self.cache_delete(&cache_key(token_hash)).await;
    }

    async fn cache_delete(&self, key: &str) {
        if let Err(e) = self.cache.delete(key).await {
            tracing::error!(error = %e, "session cache invalidation failed; the entry expires with its TTL");
        }
    }
}

/// Commits a change together with its audit record.
pub(crate) async fn commit(tx: Box<dyn nexus_store::Tx>) -> Result<(), AppError> {
    tx.commit()
        .await
        .map_err(|e| AppError::from_store("transaction", e))
}
