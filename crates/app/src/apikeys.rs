//! API keys: create, list, rotate and revoke (each audited), and authenticating a
//! presented key.
//!
//! A key acts for the admin who created it (its owner), with the key's scopes as far
//! as the owner still holds them: a key can never do more than its owner can today, so
//! demoting the owner narrows their keys at once. Nobody can create a key with a scope
//! they do not hold.
//!
//! Authentication is cached by key hash in the `CacheStore`, as sessions are. An entry
//! carries when it was read from the database and is ignored once older than
//! [`CACHE_TTL`], however often it is used or rewritten, so nothing cached is staler
//! than that. Revoking or rotating a key deletes its entry: with Redis (shared by every
//! replica) or on one node the next request reads the database and fails; with
//! in-process caches on several replicas, within the TTL. A request of this process
//! racing the revocation cannot put the key back: decoded copies carry a generation
//! that every revocation moves, and an entry written from a read that straddled one is
//! deleted again. A request on another replica racing it may rewrite a shared entry
//! (after a database read or when it records the key's use), which then lives out the
//! rest of its TTL. A change to the owner's roles reaches their keys within the TTL.

use crate::AppError;
use crate::audit::{AuditService, Caller, Record};
use crate::roles::RoleService;
use nexus_domain::access::{Actor, Permission};
use nexus_domain::apikey::{ApiKey, ApiKeyId, ApiKeySecret, MAX_OVERLAP, NewApiKey};
use nexus_domain::paging::{Page, PageRequest};
use nexus_domain::session::hex_digest;
use nexus_domain::{Clock, TenantId, UserId};
use nexus_store::{ApiKeyStore, CacheStore, Database, UserStore};
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::Arc;

mod decoded;
pub(crate) use decoded::DecodedKeys;

/// How often a key's last use is written at most (the hot path does not write).
const TOUCH_EVERY: time::Duration = time::Duration::MINUTE;
/// How long an authenticated key is cached.
pub const CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(30);

fn cache_key(hash: &str) -> String {
    format!("apikey:{hash}")
}

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
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct KeyAuthenticated {
    /// The key's tenant.
    pub tenant: TenantId,
    /// When this was read from the database (the cache's freshness).
    #[serde(with = "time::serde::rfc3339")]
    pub loaded_at: time::OffsetDateTime,
    /// The key.
    pub key: ApiKey,
    /// What it may do now: its scopes, as far as its owner holds them.
    pub permissions: BTreeSet<Permission>,
}

impl KeyAuthenticated {
    /// Still fresh at `now`: read from the database less than [`CACHE_TTL`] ago.
    pub(crate) fn is_fresh(&self, now: time::OffsetDateTime) -> bool {
        let ttl = time::Duration::try_from(CACHE_TTL).unwrap_or(time::Duration::ZERO);
        now - self.loaded_at < ttl
    }

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
    pub(crate) cache: Arc<dyn CacheStore>,
    pub(crate) audit: AuditService,
    pub(crate) clock: Arc<dyn Clock>,
    /// Cache entries already decoded by this process.
    pub(crate) decoded: Arc<DecodedKeys>,
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
    /// switch without downtime. The caller must hold every scope; the new key acts for
    /// the old one's owner, as before (rotating must not change whom a key acts for).
    pub async fn rotate(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: ApiKeyId,
        overlap: time::Duration,
    ) -> Result<Issued, AppError> {
        caller.require(tenant, Permission::ApiKeyManage)?;
        owner_of(caller, tenant)?;
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
            old.owner,
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
            .map_err(|e| match e {
                // Revoked since it was read: nothing is created (the transaction rolls back).
                nexus_store::StoreError::NotFound => AppError::Conflict {
                    code: "api_key_not_live",
                    message: "only a live key can be rotated: this one is revoked or expired",
                },
                e => store_err(e),
            })?;
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
        self.forget(&old.hash).await;
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
        self.forget(&before.hash).await;
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
        ip: Option<std::net::IpAddr>,
    ) -> Result<Arc<KeyAuthenticated>, AppError> {
        let secret = ApiKeySecret::parse(presented).map_err(|_| AppError::Unauthenticated)?;
        // Bytes first: the hex form is only needed off the fast path.
        let digest = secret.digest();
        let now = self.clock.now();
        let (cached, generation) = self.cached(&digest, now).await;
        let (mut auth, fresh) = match cached {
            Some(a) => (a, false),
            None => (
                Arc::new(self.load(tenant, &hex_digest(&digest), now).await?),
                true,
            ),
        };
        // The cache is keyed by hash alone: a key of another tenant is unknown here.
        if !auth.key.is_live(now) || auth.tenant != tenant {
            return Err(AppError::Unauthenticated);
        }
        let mut touched = false;
        if auth.key.last_used_at.is_none_or(|t| now - t >= TOUCH_EVERY) {
            // Best effort: a failed write must not fail the request it describes.
            // Formatted here, once a minute, not on every request.
            let ip = ip.map(|i| i.to_string());
            match self
                .keys
                .touch(tenant, auth.key.id, now, ip.as_deref())
                .await
            {
                Ok(()) => {
                    // Copied here, once a minute; a plain hit shares the decoded entry.
                    let a = Arc::make_mut(&mut auth);
                    a.key.last_used_at = Some(now);
                    a.key.last_used_ip = ip;
                    touched = true;
                }
                Err(e) => {
                    tracing::warn!(error = %e, api_key = %auth.key.id, "could not record an API key's use");
                }
            }
        }
        // Written after a database read, or when the last use changed; a plain hit
        // leaves the entry alone (its freshness is `loaded_at`, not the write).
        if fresh || touched {
            self.remember(&digest, &auth, now, generation).await;
        }
        Ok(auth)
    }

    /// Reads a key and its owner's permissions from the database.
    async fn load(
        &self,
        tenant: TenantId,
        hash: &str,
        now: time::OffsetDateTime,
    ) -> Result<KeyAuthenticated, AppError> {
        let key = self
            .keys
            .find_by_hash(tenant, hash)
            .await
            .map_err(store_err)?
            .ok_or(AppError::Unauthenticated)?;
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
        Ok(KeyAuthenticated {
            tenant,
            loaded_at: now,
            key,
            permissions,
        })
    }

    /// The cached entry, if any, and the decoded copies' generation read before the
    /// cache was (for [`Self::remember`]).
    async fn cached(
        &self,
        digest: &[u8; 32],
        now: time::OffsetDateTime,
    ) -> (Option<Arc<KeyAuthenticated>>, u64) {
        // A process-local cache changes only through this service, and revoke and
        // rotate drop the decoded copy after the entry: while fresh, the copy is the
        // entry, and reading it again (a lock, a lookup and a copy) is skipped. A shared
        // cache is read every time, as another replica may have revoked the key.
        let generation = if self.cache.is_local() {
            let (hit, generation) = self.decoded.fresh(digest, now);
            if hit.is_some() {
                return (hit, generation);
            }
            generation
        } else {
            self.decoded.generation()
        };
        let found = match self.cache.get(&cache_key(&hex_digest(digest))).await {
            Ok(Some(bytes)) => self
                .decoded
                .get(digest, &bytes, now)
                .or_else(|| {
                    let a = Arc::new(serde_json::from_slice::<KeyAuthenticated>(&bytes).ok()?);
                    self.decoded.put(digest, bytes, a.clone(), now, generation);
                    Some(a)
                })
                .filter(|a| a.is_fresh(now)),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "API key cache read failed; using the database");
                None
            }
        };
        (found, generation)
    }

    /// Caches what this request read (`generation`: see [`Self::cached`]).
    async fn remember(
        &self,
        digest: &[u8; 32],
        auth: &Arc<KeyAuthenticated>,
        now: time::OffsetDateTime,
        generation: u64,
    ) {
        let Ok(bytes) = serde_json::to_vec(auth.as_ref()) else {
            return;
        };
        let key = cache_key(&hex_digest(digest));
        if let Err(e) = self.cache.set(&key, &bytes, CACHE_TTL).await {
            tracing::warn!(error = %e, "API key cache write failed");
            return;
        }
        // The decoded copy follows the entry (a new last use must not be re-touched).
        self.decoded
            .put(digest, bytes, Arc::clone(auth), now, generation);
        // A key was revoked or rotated here while this request read the database: what
        // it read may be from before, so the entry it wrote goes too (the next request
        // reads the database again). Another replica's revocation is not seen here; a
        // shared entry then lives out its TTL at most, as documented above.
        if self.decoded.generation() != generation
            && let Err(e) = self.cache.delete(&key).await
        {
            tracing::error!(error = %e, "API key cache invalidation failed; the entry expires with its TTL");
        }
    }

    async fn forget(&self, hash: &str) {
        // The entry first, then the copy: a request in between finds no entry, or finds
        // the generation moved when it tries to keep what it read.
        if let Err(e) = self.cache.delete(&cache_key(hash)).await {
            tracing::error!(error = %e, "API key cache invalidation failed; the entry expires with its TTL");
        }
        let mut digest = [0u8; 32];
        // Stored hashes are our own hex digests; one that is not has no decoded copy.
        if hex::decode_to_slice(hash, &mut digest).is_ok() {
            self.decoded.forget(&digest, self.clock.now());
        }
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
