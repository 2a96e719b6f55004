//! Choosing backends from config and wiring the services over them.

use crate::config::{Backend, Config};
use crate::startup::StartError;
use nexus_app::Services;
use nexus_app::jobs::{Registry, builtin};
use nexus_app::mail::{Mailer, OutboxMailer};
use nexus_app::tenancy::TenancySettings;
use nexus_domain::Clock;
use nexus_domain::webhook::UrlPolicy;
use nexus_mail::SmtpMailer;
use nexus_store::{CacheStore, Database, MemoryCache, MemoryRateLimits, RateLimitStore};
use nexus_store_postgres::{PgDatabase, PgSettings};
use nexus_store_redis::{RedisCache, RedisRateLimits};
use nexus_store_sqlite::{SqliteDatabase, SqliteSettings};
use secrecy::ExposeSecret;
use std::sync::Arc;

/// Keys the in-process rate limiter tracks at most (idle ones are dropped first).
const MEMORY_LIMIT_KEYS: usize = 1_000_000;

/// In-process cache entries; tenants are few, so this bounds memory, not hit rate.
const MEMORY_CACHE_ENTRIES: usize = 10_000;

/// The wired application core.
#[derive(Clone)]
pub struct Wired {
    /// The use cases.
    pub services: Services,
    /// The relational backend.
    pub db: Arc<dyn Database>,
    /// The cache backend.
    pub cache: Arc<dyn CacheStore>,
    /// The injected clock.
    pub clock: Arc<dyn Clock>,
    /// Where mail goes.
    pub mailer: Arc<dyn Mailer>,
    /// The rate limiter's store: Redis when configured (shared by replicas), else in
    /// process.
    pub limits: Arc<dyn RateLimitStore>,
}

/// Registers webhook delivery over the real HTTP(S) client.
fn register_webhooks(
    config: &Config,
    registry: &mut Registry,
    db: &Arc<dyn Database>,
    clock: &Arc<dyn Clock>,
) -> Result<(), StartError> {
    let transport = crate::webhook_client::HttpTransport::new(
        config.webhooks.allow_private_targets,
        config.webhooks.timeout,
    )
    .map_err(StartError::Webhooks)?;
    nexus_app::webhooks::register(
        registry,
        nexus_app::webhooks::Delivery::new(db.clone(), Arc::new(transport), clock.clone()),
    );
    Ok(())
}

/// Builds lazily connecting stores and the services over them. Nothing touches the
/// network here; start-up connects (with retries) afterwards.
pub fn wire(config: &Config, clock: Arc<dyn Clock>) -> Result<Wired, StartError> {
    wire_with(config, clock, |_, _| {})
}

/// As [`wire`], letting the caller register extra job handlers (tests do) next to the
/// built-in ones.
pub fn wire_with(
    config: &Config,
    clock: Arc<dyn Clock>,
    extra_jobs: impl FnOnce(&mut Registry, &Arc<dyn Database>),
) -> Result<Wired, StartError> {
    let url = config.database.url.expose_secret().to_owned();
    let db: Arc<dyn Database> = match config.database.backend {
        Backend::Sqlite => Arc::new(
            SqliteDatabase::connect_lazy(&SqliteSettings {
                url,
                max_connections: config.database.max_connections,
                acquire_timeout: config.database.acquire_timeout,
            })
            .map_err(|e| StartError::Database(e.to_string()))?,
        ),
        Backend::Postgres => Arc::new(
            PgDatabase::connect_lazy(&PgSettings {
                url,
                max_connections: config.database.max_connections,
                acquire_timeout: config.database.acquire_timeout,
                app_role: config.database.app_role.clone(),
            })
            .map_err(|e| StartError::Database(e.to_string()))?,
        ),
    };
    let cache: Arc<dyn CacheStore> = match &config.redis.url {
        Some(url) => Arc::new(
            RedisCache::new(
                url.expose_secret(),
                &config.redis.prefix,
                config.redis.timeout,
            )
            .map_err(|e| StartError::Cache(e.to_string()))?,
        ),
        None => Arc::new(MemoryCache::new(MEMORY_CACHE_ENTRIES)),
    };
    let cache: Arc<dyn CacheStore> = Arc::new(crate::cache_metrics::CountedCache::new(cache));
    let limits: Arc<dyn RateLimitStore> = match &config.redis.url {
        Some(url) => Arc::new(
            RedisRateLimits::new(
                url.expose_secret(),
                &config.redis.prefix,
                config.redis.timeout,
            )
            .map_err(|e| StartError::Cache(e.to_string()))?,
        ),
        None => Arc::new(MemoryRateLimits::new(MEMORY_LIMIT_KEYS)),
    };
    let tenancy = TenancySettings {
        base_domain: config.http.base_domain.clone(),
        allow_tenant_header: config.http.allow_tenant_header,
        cache_ttl: config.tenancy_cache_ttl,
    };
    let mailer: Arc<dyn Mailer> = match &config.mail.smtp_url {
        Some(url) => Arc::new(
            SmtpMailer::new(url.expose_secret(), &config.mail.from, config.mail.timeout)
                .map_err(StartError::Mail)?,
        ),
        None => Arc::new(OutboxMailer::new(db.clone(), clock.clone())),
    };
    let mut registry = Registry::new();
    builtin::register(&mut registry, &db, clock.clone(), mailer.clone());
    register_webhooks(config, &mut registry, &db, &clock)?;
    extra_jobs(&mut registry, &db);
    let mut services = Services::new(
        db.clone(),
        cache.clone(),
        clock.clone(),
        tenancy,
        config.argon2,
        Arc::new(registry),
        config.auth,
    )
    .with_market(Arc::new(nexus_app::sim::hub::MarketHub::new(
        config.sim.seed,
    )))
    .with_quotas(
        nexus_app::usage::QuotaSettings {
            monthly_units: config.metering.monthly_units,
        },
        &db,
    );
    services.webhooks = services
        .webhooks
        .with_policy(if config.webhooks.allow_private_targets {
            UrlPolicy::AllowPrivate
        } else {
            UrlPolicy::PublicHttps
        });
    services.billing =
        services
            .billing
            .with_provider(Arc::new(nexus_app::billing::ManualInvoiceProvider {
                payee: config.billing_payee.clone(),
            }));
    Ok(Wired {
        services,
        db,
        cache,
        clock,
        mailer,
        limits,
    })
}
