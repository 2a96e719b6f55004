//! User accounts and password hashing.
//!
//! Passwords are hashed with argon2id at the OWASP baseline (19 MiB, 2 passes, 1 lane)
//! on the blocking pool, so a burst of logins cannot stall the async workers. Clear-text
//! passwords exist only inside [`Password`] and are dropped after hashing.

use crate::AppError;
use crate::audit::{AuditService, Caller, Record};
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use nexus_domain::access::Permission;
use nexus_domain::paging::Page;
use nexus_domain::user::{Email, NewUser, Password, PasswordHash, Role, User, UserQuery};
use nexus_domain::webhook::EventType;
use nexus_domain::{Clock, TenantId, UserId};
use nexus_store::{Database, UserStore};
use std::sync::Arc;

/// argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for HashParams {
    /// OWASP Password Storage Cheat Sheet: m=19 MiB, t=2, p=1.
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl HashParams {
    fn hasher(self) -> Result<Argon2<'static>, AppError> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| AppError::Internal(e.to_string().into()))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

/// A request to create an account, parsed at the edge.
#[derive(Debug, Clone)]
pub struct CreateAccount {
    /// Login address.
    pub email: Email,
    /// Shown name.
    pub display_name: String,
    /// Coarse role.
    pub role: Role,
    /// Initial password.
    pub password: Password,
}

/// A new account whose password has been judged and hashed.
#[derive(Debug, Clone)]
pub struct HashedAccount {
    /// Login address.
    pub email: Email,
    /// Shown name.
    pub display_name: String,
    /// Coarse role.
    pub role: Role,
    /// argon2id hash of the chosen password.
    pub password_hash: PasswordHash,
}

/// A too-weak password, reported against the `password` field.
pub fn password_error(e: nexus_domain::FieldError) -> AppError {
    AppError::invalid_field("password", e)
}

/// What is known about a new account's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressProof {
    /// Unproven: mail a verification link pointing at `link_base` (`scheme://host`).
    SendLink {
        /// Where the link points.
        link_base: String,
    },
    /// Already proven: the account comes from a link mailed to this address.
    Proven,
    /// Unproven and nothing is sent (operator-created from the CLI); the user can ask
    /// for a link later.
    Unverified,
}

/// Account use cases.
#[derive(Clone)]
pub struct AccountService {
    db: Arc<dyn Database>,
    store: Arc<dyn UserStore>,
    jobs: crate::jobs::JobService,
    clock: Arc<dyn Clock>,
    params: HashParams,
    dummy: Arc<tokio::sync::OnceCell<PasswordHash>>,
    audit: AuditService,
    outbox: crate::webhooks::Outbox,
}

impl AccountService {
    /// Wires the service.
    pub fn new(
        db: Arc<dyn Database>,
        jobs: crate::jobs::JobService,
        clock: Arc<dyn Clock>,
        params: HashParams,
        audit: AuditService,
    ) -> Self {
        Self {
            store: db.users(),
            outbox: crate::webhooks::Outbox::new(&db, clock.clone()),
            db,
            jobs,
            clock,
            params,
            dummy: Arc::default(),
            audit,
        }
    }

    /// A hash of a random password with the live parameters, verified against when the
    /// e-mail is unknown so both paths cost the same.
    async fn dummy_hash(&self) -> Result<PasswordHash, AppError> {
        let params = self.params;
        self.dummy
            .get_or_try_init(|| async move {
                let p = Password::parse(&random_password(24)?)
                    .map_err(|e| AppError::Internal(Box::new(e)))?;
                hash_password(params, p).await
            })
            .await
            .cloned()
    }

    /// The hashing parameters in force.
    pub fn params(&self) -> HashParams {
        self.params
    }

    /// Creates an account in `tenant` with an unverified address and no mail; see
    /// [`AccountService::create_with`].
    pub async fn create(
        &self,
        caller: &Caller,
        tenant: TenantId,
        cmd: CreateAccount,
    ) -> Result<User, AppError> {
        self.create_with(caller, tenant, cmd, AddressProof::Unverified)
            .await
    }

    /// Creates an account in `tenant`; `email_taken` if the address is in use there.
    ///
    /// The account, its audit record and (with [`AddressProof::SendLink`]) the job that
    /// mails the verification link are written in one transaction: either all of them
    /// happen or none does, so no account exists unaudited.
    pub async fn create_with(
        &self,
        caller: &Caller,
        tenant: TenantId,
        cmd: CreateAccount,
        proof: AddressProof,
    ) -> Result<User, AppError> {
        caller.require(tenant, Permission::UserWrite)?;
        check_strength(&cmd.password, &[cmd.email.as_str(), &cmd.display_name])
            .map_err(password_error)?;
        // Hash before the transaction, so no lock waits on argon2.
        let password_hash = hash_password(self.params, cmd.password).await?;
        let account = HashedAccount {
            email: cmd.email,
            display_name: cmd.display_name,
            role: cmd.role,
            password_hash,
        };
        let store_err = |e| AppError::from_store("user", e);
        let mut tx = self.db.begin(Some(tenant)).await.map_err(store_err)?;
        let user = self
            .insert_in(tx.as_mut(), caller, tenant, account, proof)
            .await?;
        tx.commit().await.map_err(store_err)?;
        metrics::counter!("nexus_users_registered_total").increment(1);
        tracing::info!(tenant_id = %tenant, user_id = %user.id, role = user.role.as_str(), "account created");
        Ok(user)
    }

    /// Writes an account whose password is already judged and hashed, with its audit
    /// record (and verification job), inside the caller's transaction (begun for
    /// `tenant`): for use cases that create an account as part of a larger change.
    pub async fn insert_in(
        &self,
        tx: &mut dyn nexus_store::Tx,
        caller: &Caller,
        tenant: TenantId,
        account: HashedAccount,
        proof: AddressProof,
    ) -> Result<User, AppError> {
        caller.require(tenant, Permission::UserWrite)?;
        let now = self.clock.now();
        let new = NewUser {
            email: account.email,
            display_name: account.display_name,
            role: account.role,
            password_hash: account.password_hash,
            email_verified_at: (proof == AddressProof::Proven).then_some(now),
        };
        let id = UserId::generate(self.clock.as_ref());
        let user = self
            .store
            .create_in(tx, tenant, id, &new, now)
            .await
            .map_err(|e| AppError::from_store("user", e))?;
        if let AddressProof::SendLink { link_base } = proof {
            let job = crate::verification::EmailVerificationRequest {
                user: user.id,
                link_base,
            };
            let opts = crate::jobs::EnqueueOptions {
                tenant: Some(tenant),
                ..Default::default()
            };
            self.jobs.enqueue_in(tx, &job, opts).await?;
        }
        let diff = serde_json::json!({ "after": { "email": user.email.as_str(), "display_name": user.display_name, "role": user.role.as_str(), "email_verified": user.email_verified_at.is_some() } });
        let r = Record {
            tenant: Some(tenant),
            action: "user.create",
            target: format!("user:{}", user.id),
            diff: Some(diff),
        };
        self.audit.record_in(tx, caller, r).await?;
        // IDs only: a receiver that needs more asks the API, under its own access rules.
        let data = serde_json::json!({ "user_id": user.id, "role": user.role.as_str() });
        self.outbox
            .emit_in(tx, tenant, EventType::UserCreated, Some(user.id), data)
            .await?;
        Ok(user)
    }

    /// Loads an account of `tenant`.
    pub async fn get(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: UserId,
    ) -> Result<User, AppError> {
        caller.require(tenant, Permission::UserRead)?;
        self.store
            .get(tenant, id)
            .await
            .map_err(|e| AppError::from_store("user", e))
    }

    /// Lists accounts of `tenant`.
    pub async fn list(
        &self,
        caller: &Caller,
        tenant: TenantId,
        query: &UserQuery,
    ) -> Result<Page<User>, AppError> {
        caller.require(tenant, Permission::UserRead)?;
        self.store
            .list(tenant, query)
            .await
            .map_err(|e| AppError::from_store("user", e))
    }

    /// Checks a login. Unknown e-mail and wrong password are indistinguishable, and both
    /// cost one hash, so timing does not reveal which accounts exist.
    pub async fn verify_login(
        &self,
        tenant: TenantId,
        email: &Email,
        password: Password,
    ) -> Result<User, AppError> {
        let found = self
            .store
            .find_by_email(tenant, email)
            .await
            .map_err(|e| AppError::from_store("user", e))?;
        let (user, hash) = match found {
            Some((u, h)) => (Some(u), h),
            None => (None, self.dummy_hash().await?),
        };
        let ok = verify_password(password, hash).await?;
        match user {
            Some(u) if ok => Ok(u),
            _ => Err(AppError::Unauthenticated),
        }
    }
}

/// Refuses guessable passwords: zxcvbn must rate it at least 3 of 4 (more than 10^10
/// guesses), judging it against its bundled lists of common passwords, words and names,
/// keyboard patterns, dates, and the user's own details in `context`.
pub fn check_strength(
    password: &Password,
    context: &[&str],
) -> Result<(), nexus_domain::FieldError> {
    // zxcvbn matches user inputs as whole tokens, so offer the pieces people reuse:
    // each value, its words, and its letters and digits run together.
    let mut words: Vec<String> = Vec::new();
    for c in context {
        let lower = c.to_lowercase();
        words.extend(
            lower
                .split(|ch: char| !ch.is_alphanumeric())
                .filter(|w| w.len() > 2)
                .map(str::to_owned),
        );
        words.push(
            lower
                .split('@')
                .next()
                .unwrap_or_default()
                .chars()
                .filter(|ch| ch.is_alphanumeric())
                .collect(),
        );
        words.push(lower.chars().filter(|ch| ch.is_alphanumeric()).collect());
        words.push(lower);
    }
    let inputs: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .filter(|w| !w.is_empty())
        .collect();
    let entropy = zxcvbn::zxcvbn(password.expose(), &inputs);
    if u8::from(entropy.score()) >= 3 {
        return Ok(());
    }
    let why = entropy
        .feedback()
        .and_then(zxcvbn::feedback::Feedback::warning)
        .map_or_else(|| "it is too easy to guess".to_owned(), |w| w.to_string());
    Err(nexus_domain::validation::invalid(
        "too_weak",
        format!("choose a harder password: {why}"),
    ))
}

/// Hashes on the blocking pool.
pub async fn hash_password(
    params: HashParams,
    password: Password,
) -> Result<PasswordHash, AppError> {
    let hasher = params.hasher()?;
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| AppError::Internal(e.to_string().into()))?;
        let phc = hasher
            .hash_password_with_salt(password.expose().as_bytes(), &salt)
            .map_err(|e| AppError::Internal(e.to_string().into()))?;
        Ok(PasswordHash::from_phc(phc.to_string()))
    })
    .await
    .map_err(|e| AppError::Internal(Box::new(e)))?
}

/// Verifies on the blocking pool; the parameters are read from the hash itself.
pub async fn verify_password(password: Password, hash: PasswordHash) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        // A malformed stored hash is a bug or corruption, not a wrong password.
        match Argon2::default().verify_password(password.expose().as_bytes(), hash.as_str()) {
            Ok(()) => Ok(true),
            Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
            Err(e) => Err(AppError::Internal(e.to_string().into())),
        }
    })
    .await
    .map_err(|e| AppError::Internal(Box::new(e)))?
}

/// A random password of `len` characters from an unambiguous alphabet.
pub fn random_password(len: usize) -> Result<String, AppError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(e.to_string().into()))?;
    // 256 is not a multiple of the alphabet size; the bias this leaves is < 1 bit over
    // a 20-character password and irrelevant for first-run demo credentials.
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pw: &str, context: &[&str]) -> Result<(), nexus_domain::FieldError> {
        check_strength(&Password::parse(pw).unwrap(), context)
    }

    #[test]
    fn guessable_passwords_are_refused() {
        for weak in [
            "password1234",
            "qwertyuiop123",
            "123456789012",
            "aaaaaaaaaaaa",
            "iloveyou2026",
        ] {
            let err = check(weak, &[]).unwrap_err();
            assert_eq!(err.code, "too_weak", "{weak}");
        }
        // Fine on its own, weak for this user: it is built from their own name.
        assert!(check("adalovelace1815", &[]).is_ok());
        assert!(
            check(
                "adalovelace1815",
                &["ada.lovelace@example.com", "Ada Lovelace"]
            )
            .is_err()
        );
        assert!(check("correct horse battery staple", &[]).is_ok());
    }
}
