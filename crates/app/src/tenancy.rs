//! Tenant registry and per-request tenant resolution.
//!
//! Resolution runs on every request, so it is cached (in-process or Redis) by host for
//! `cache_ttl`. Every change to a tenant invalidates the keys it may be cached under, so
//! a suspension takes effect at once on every replica sharing Redis, and within
//! `cache_ttl` on replicas with only an in-process cache. A cache failure is logged and
//! treated as a miss: it slows resolution down but never fails it.

use crate::AppError;
use crate::audit::{AuditService, Caller, Record};
use nexus_domain::paging::Page;
use nexus_domain::tenancy::{
    DomainName, HostKind, NewTenant, Tenant, TenantPatch, TenantQuery, TenantSlug, TenantStatus,
};
use nexus_domain::{Clock, TenantId};
use nexus_store::{CacheStore, Database, TenantStore, Tx};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// How tenants are resolved from requests.
#[derive(Debug, Clone)]
pub struct TenancySettings {
    /// Tenants are served at `<slug>.<base_domain>`.
    pub base_domain: String,
    /// Whether API clients may name their tenant with `X-Tenant` on a platform host.
    pub allow_tenant_header: bool,
    /// How long a resolved tenant may be served from cache.
    pub cache_ttl: Duration,
}

/// Tenant use cases.
#[derive(Clone)]
pub struct TenantService {
    db: Arc<dyn Database>,
    store: Arc<dyn TenantStore>,
    cache: Arc<dyn CacheStore>,
    clock: Arc<dyn Clock>,
    settings: TenancySettings,
    audit: AuditService,
}

impl TenantService {
    /// The host a tenant's mailed links point at: its first custom domain, else
    /// `<slug>.<base_domain>`. Never the request's `Host`, which a caller controls: a
    /// reset link built from it could carry the token to the caller's own server.
    pub fn public_host(&self, tenant: &Tenant) -> String {
        tenant.domains.first().map_or_else(
            || format!("{}.{}", tenant.slug.as_str(), self.settings.base_domain),
            |d| d.as_str().to_owned(),
        )
    }

    /// Wires the service.
    pub fn new(
        db: Arc<dyn Database>,
        cache: Arc<dyn CacheStore>,
        clock: Arc<dyn Clock>,
        settings: TenancySettings,
        audit: AuditService,
    ) -> Self {
        Self {
            store: db.tenants(),
            db,
            cache,
            clock,
            settings,
            audit,
        }
    }

    /// The resolution settings (the web layer needs the base domain for URLs).
    pub fn settings(&self) -> &TenancySettings {
        &self.settings
    }

    /// Creates a tenant; `slug_taken` if the slug is in use. Audited.
    pub async fn create(&self, caller: &Caller, new: NewTenant) -> Result<Tenant, AppError> {
        caller.require_platform()?;
        let id = TenantId::generate(self.clock.as_ref());
        let mut tx = self.begin(id).await?;
        let tenant = self
            .store
            .create(tx.as_mut(), id, &new, self.clock.now())
            .await
            .map_err(|e| AppError::from_store("tenant", e))?;
        let diff = json!({ "after": audit_view(&tenant) });
        let r = Record {
            tenant: Some(id),
            action: "tenant.create",
            target: target(&tenant),
            diff: Some(diff),
        };
        self.audit.record_in(tx.as_mut(), caller, r).await?;
        commit(tx).await?;
        Ok(tenant)
    }

    async fn begin(&self, id: TenantId) -> Result<Box<dyn Tx>, AppError> {
        self.db
            .begin(Some(id))
            .await
            .map_err(|e| AppError::from_store("tenant", e))
    }

    /// Loads a tenant by ID.
    pub async fn get(&self, id: TenantId) -> Result<Tenant, AppError> {
        self.store
            .get(id)
            .await
            .map_err(|e| AppError::from_store("tenant", e))
    }

    /// Loads a tenant by slug.
    pub async fn get_by_slug(&self, slug: &TenantSlug) -> Result<Tenant, AppError> {
        self.store
            .find_by_slug(slug)
            .await
            .map_err(|e| AppError::from_store("tenant", e))?
            .ok_or(AppError::NotFound { resource: "tenant" })
    }

    /// Counts all tenants.
    pub async fn count(&self) -> Result<u64, AppError> {
        self.store
            .count()
            .await
            .map_err(|e| AppError::from_store("tenant", e))
    }

    /// Lists tenants.
    pub async fn list(&self, query: &TenantQuery) -> Result<Page<Tenant>, AppError> {
        self.store
            .list(query)
            .await
            .map_err(|e| AppError::from_store("tenant", e))
    }

    /// Applies a partial update, invalidates cached resolutions, and audits the change
    /// with a before/after diff.
    pub async fn update(
        &self,
        caller: &Caller,
        id: TenantId,
        patch: TenantPatch,
    ) -> Result<Tenant, AppError> {
        caller.require_platform()?;
        let before = self.get(id).await?;
        let after = patch.apply(before.clone(), self.clock.now());
        let action = match (before.status, after.status) {
            (TenantStatus::Active, TenantStatus::Suspended) => "tenant.suspend",
            (TenantStatus::Suspended, TenantStatus::Active) => "tenant.activate",
            _ => "tenant.update",
        };
        let diff = json!({ "before": audit_view(&before), "after": audit_view(&after) });
        let mut tx = self.begin(id).await?;
        self.store
            .update(tx.as_mut(), &after)
            .await
            .map_err(|e| AppError::from_store("tenant", e))?;
        let r = Record {
            tenant: Some(id),
            action,
            target: target(&after),
            diff: Some(diff),
        };
        self.audit.record_in(tx.as_mut(), caller, r).await?;
        commit(tx).await?;
        self.invalidate(&after).await;
        Ok(after)
    }

    /// Sets a tenant's status.
    pub async fn set_status(
        &self,
        caller: &Caller,
        id: TenantId,
        status: TenantStatus,
    ) -> Result<Tenant, AppError> {
        caller.require_platform()?;
        self.update(
            caller,
            id,
            TenantPatch {
                status: Some(status),
                ..TenantPatch::default()
            },
        )
        .await
    }

    /// Attaches a custom domain; `domain_taken` if any tenant owns it. Audited.
    pub async fn add_domain(
        &self,
        caller: &Caller,
        id: TenantId,
        domain: &DomainName,
    ) -> Result<Tenant, AppError> {
        caller.require_platform()?;
        let before = self.get(id).await?;
        let mut tx = self.begin(id).await?;
        self.store
            .add_domain(tx.as_mut(), id, domain, self.clock.now())
            .await
            .map_err(|e| AppError::from_store("tenant", e))?;
        let diff = json!({ "after": { "domain": domain.as_str() } });
        let r = Record {
            tenant: Some(id),
            action: "tenant.domain_add",
            target: target(&before),
            diff: Some(diff),
        };
        self.audit.record_in(tx.as_mut(), caller, r).await?;
        commit(tx).await?;
        // Every cached resolution (slug and each domain) carries the domain list.
        self.cache_delete(&domain_key(domain)).await;
        let after = self.get(id).await?;
        self.invalidate(&after).await;
        Ok(after)
    }

    /// Detaches a custom domain. Audited.
    pub async fn remove_domain(
        &self,
        caller: &Caller,
        id: TenantId,
        domain: &DomainName,
    ) -> Result<Tenant, AppError> {
        caller.require_platform()?;
        let before = self.get(id).await?;
        let mut tx = self.begin(id).await?;
        self.store
            .remove_domain(tx.as_mut(), id, domain)
            .await
            .map_err(|e| AppError::from_store("domain", e))?;
        let diff = json!({ "before": { "domain": domain.as_str() } });
        let r = Record {
            tenant: Some(id),
            action: "tenant.domain_remove",
            target: target(&before),
            diff: Some(diff),
        };
        self.audit.record_in(tx.as_mut(), caller, r).await?;
        commit(tx).await?;
        // Every cached resolution (slug and each domain) carries the domain list.
        self.cache_delete(&domain_key(domain)).await;
        let after = self.get(id).await?;
        self.invalidate(&after).await;
        Ok(after)
    }

    /// Resolves the tenant a request addresses, from its `Host` and optional `X-Tenant`.
    ///
    /// A tenant host wins; `X-Tenant` is honoured only on a platform host (and only if
    /// allowed), and must agree with the host when both are given. Unknown →
    /// [`AppError::TenantNotFound`]; suspended → [`AppError::TenantSuspended`].
    pub async fn resolve(&self, host: &str, header: Option<&str>) -> Result<Tenant, AppError> {
        let kind = nexus_domain::tenancy::classify_host(host, &self.settings.base_domain);
        let header_slug = match header.map(str::trim).filter(|h| !h.is_empty()) {
            Some(raw) if self.settings.allow_tenant_header => {
                Some(TenantSlug::parse(raw).map_err(|_| AppError::TenantNotFound)?)
            }
            Some(_) => {
                return Err(AppError::BadRequest(
                    "the X-Tenant header is not accepted by this deployment",
                ));
            }
            None => None,
        };
        let tenant = match (&kind, header_slug) {
            (HostKind::Subdomain(slug), Some(h)) if h != *slug => {
                return Err(AppError::BadRequest(
                    "the X-Tenant header disagrees with the host",
                ));
            }
            (HostKind::Subdomain(slug), _) => self.cached_by_slug(slug).await?,
            (HostKind::Custom(domain), h) => match self.cached_by_domain(domain).await? {
                Some(t) if h.as_ref().is_some_and(|h| *h != t.slug) => {
                    return Err(AppError::BadRequest(
                        "the X-Tenant header disagrees with the host",
                    ));
                }
                Some(t) => Some(t),
                // Not a registered domain: treat it like a platform host.
                None => match h {
                    Some(h) => self.cached_by_slug(&h).await?,
                    None => None,
                },
            },
            (HostKind::Platform, Some(h)) => self.cached_by_slug(&h).await?,
            (HostKind::Platform, None) => None,
        };
        match tenant {
            None => Err(AppError::TenantNotFound),
            Some(t) if t.status == TenantStatus::Suspended => Err(AppError::TenantSuspended),
            Some(t) => Ok(t),
        }
    }

    async fn cached_by_slug(&self, slug: &TenantSlug) -> Result<Option<Tenant>, AppError> {
        let key = slug_key(slug);
        if let Some(t) = self.cache_get(&key).await {
            return Ok(Some(t));
        }
        let found = self
            .store
            .find_by_slug(slug)
            .await
            .map_err(|e| AppError::from_store("tenant", e))?;
        if let Some(t) = &found {
            self.cache_put(&key, t).await;
        }
        Ok(found)
    }

    async fn cached_by_domain(&self, domain: &DomainName) -> Result<Option<Tenant>, AppError> {
        let key = domain_key(domain);
        if let Some(t) = self.cache_get(&key).await {
            return Ok(Some(t));
        }
        let found = self
            .store
            .find_by_domain(domain)
            .await
            .map_err(|e| AppError::from_store("tenant", e))?;
        if let Some(t) = &found {
            self.cache_put(&key, t).await;
        }
        Ok(found)
    }

    async fn cache_get(&self, key: &str) -> Option<Tenant> {
        match self.cache.get(key).await {
            Ok(Some(bytes)) => serde_json::from_slice(&bytes).ok(),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "tenant cache read failed; using the database");
                None
            }
        }
    }

    async fn cache_put(&self, key: &str, tenant: &Tenant) {
        let Ok(bytes) = serde_json::to_vec(tenant) else {
            return;
        };
        if let Err(e) = self.cache.set(key, &bytes, self.settings.cache_ttl).await {
            tracing::warn!(error = %e, "tenant cache write failed");
        }
    }

    async fn cache_delete(&self, key: &str) {
        if let Err(e) = self.cache.delete(key).await {
            // Stale for at most cache_ttl; say so loudly, since a suspension may lag.
            tracing::error!(error = %e, key, "tenant cache invalidation failed; entry expires with its TTL");
        }
    }

    async fn invalidate(&self, tenant: &Tenant) {
        self.cache_delete(&slug_key(&tenant.slug)).await;
        for d in &tenant.domains {
            self.cache_delete(&domain_key(d)).await;
        }
    }
}

fn slug_key(slug: &TenantSlug) -> String {
    format!("tenant:slug:{slug}")
}

fn domain_key(domain: &DomainName) -> String {
    format!("tenant:domain:{}", domain.as_str())
}

async fn commit(tx: Box<dyn Tx>) -> Result<(), AppError> {
    tx.commit()
        .await
        .map_err(|e| AppError::from_store("tenant", e))
}

fn target(t: &Tenant) -> String {
    format!("tenant:{}", t.slug)
}

/// The fields an audit diff shows for a tenant.
fn audit_view(t: &Tenant) -> serde_json::Value {
    json!({
        "name": t.name,
        "status": t.status.as_str(),
        "plan": t.plan.as_str(),
        "branding": t.branding,
        "settings": t.settings,
        "domains": t.domains,
    })
}
