//! Start-up and shutdown of the HTTP server.
//!
//! [`Application::build`] binds the listener first (port 0 works in tests) and serves
//! `/livez` and `/readyz` at once. A background task then connects to the database with
//! capped exponential backoff, migrates, verifies isolation, refreshes the course
//! library, seeds the demo, and only then marks the process ready; until then `/v1`
//! answers 503 with `Retry-After`.
//!
//! On the shutdown signal: stop accepting, let in-flight requests finish within the
//! grace period, flush the usage meter, cancel background tasks through one token, close
//! the pool, return.

use crate::background::{self, Background};
use crate::config::{Backend, Config, DemoSeed};
use crate::wiring::{Wired, wire_with};
use nexus_app::demo::{DemoLogins, seed_if_empty};
use nexus_app::learning::library::PutOutcome;
use nexus_domain::Clock;
use nexus_http::HttpSettings;
use nexus_store::StoreError;
use secrecy::ExposeSecret;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Why the server could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Binding the listen address failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The database is misconfigured or refused a required step.
    #[error("database: {0}")]
    Database(String),
    /// The cache is misconfigured.
    #[error("cache: {0}")]
    Cache(String),
    /// The mail relay is misconfigured.
    #[error("mail: {0}")]
    Mail(String),
    /// The webhook client could not be built.
    #[error("webhooks: {0}")]
    Webhooks(String),
    /// The HTTP server failed.
    #[error("http server: {0}")]
    Serve(String),
    /// Shutdown arrived before start-up finished; not a failure.
    #[error("start-up cancelled by shutdown")]
    Cancelled,
}

/// A bound, not yet serving, server.
pub struct Application {
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    wired: Wired,
    config: Config,
}

impl Application {
    /// Wires the services and binds the listener.
    pub async fn build(config: Config, clock: Arc<dyn Clock>) -> Result<Self, StartError> {
        Self::build_with(config, clock, |_, _| {}).await
    }

    /// As [`Application::build`], registering extra job handlers (tests use this).
    pub async fn build_with(
        config: Config,
        clock: Arc<dyn Clock>,
        extra_jobs: impl FnOnce(&mut nexus_app::jobs::Registry, &Arc<dyn nexus_store::Database>),
    ) -> Result<Self, StartError> {
        let wired = wire_with(&config, clock, extra_jobs)?;
        let addr = config.http.addr;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        let metrics_listener = match config.metrics_addr {
            Some(addr) => {
                crate::telemetry::prometheus();
                Some(
                    TcpListener::bind(addr)
                        .await
                        .map_err(|source| StartError::Bind { addr, source })?,
                )
            }
            None => None,
        };
        Ok(Self {
            listener,
            metrics_listener,
            wired,
            config,
        })
    }

    /// The bound address (with the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or(self.config.http.addr)
    }

    /// The bound metrics address, when metrics are enabled.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    /// The wired core, for tests that need to reach past HTTP (e.g. to cut the database).
    pub fn wired(&self) -> &Wired {
        &self.wired
    }

    /// Serves until `shutdown` resolves, then drains. Returns an error if start-up hit a
    /// fatal problem (such as a role that bypasses row-level security).
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        let Self {
            listener,
            metrics_listener,
            wired,
            config,
        } = self;
        let addr = listener
            .local_addr()
            .map_err(|e| StartError::Serve(e.to_string()))?;
        let token = CancellationToken::new();
        let settings = http_settings(&config, addr.port(), wired.limits.clone());
        let active = settings.active.clone();
        let router = nexus_http::router(wired.services.clone(), settings, config.role.serves_api());
        if let Some(metrics) = metrics_listener {
            crate::telemetry::serve_metrics(metrics, wired.db.clone(), active, token.clone());
        }
        let serve_token = token.clone();
        let mut server = tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(serve_token.cancelled_owned())
            .await
        });
        let flusher = (config.role.serves_api() && config.metering.enabled).then(|| {
            crate::metering::spawn(
                wired.services.usage.clone(),
                config.metering.flush_interval,
                token.clone(),
            )
        });
        let signal_token = token.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = shutdown => tracing::info!("shutdown signal received; draining in-flight requests"),
                () = signal_token.cancelled() => {}
            }
            signal_token.cancel();
        });
        println!(
            "FinAI Nexus listening on http://{addr} (role: {:?})",
            config.role
        );
        let mut startup = tokio::spawn(start(
            wired.clone(),
            config.clone(),
            addr,
            token.child_token(),
        ));

        let mut fatal = None;
        let mut jobs: Option<Background> = None;
        tokio::select! {
            joined = &mut startup => match joined {
                Ok(Ok(())) => {
                    if config.role.runs_jobs() {
                        jobs = Some(background::spawn(&wired, &config, token.child_token()));
                    }
                    token.cancelled().await;
                }
                Ok(Err(StartError::Cancelled)) => token.cancelled().await,
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "start-up failed; shutting down");
                    fatal = Some(e);
                    token.cancel();
                }
                Err(e) => {
                    fatal = Some(StartError::Serve(format!("start-up task failed: {e}")));
                    token.cancel();
                }
            },
            () = token.cancelled() => startup.abort(),
        }

        fatal = fatal.or(drain(&mut server, config.http.shutdown_grace).await);
        let metered = flusher.is_some();
        if let Some(flusher) = flusher {
            crate::metering::finish(flusher, &wired.services.usage).await;
        }
        if let Some(jobs) = jobs {
            jobs.join().await;
        }
        if metered {
            crate::metering::stragglers(&wired.services.usage).await;
        }
        wired.db.close().await;
        tracing::info!("stopped");
        fatal.map_or(Ok(()), Err)
    }
}

/// Waits up to `grace` for in-flight requests, then closes what remains.
async fn drain(
    server: &mut tokio::task::JoinHandle<std::io::Result<()>>,
    grace: std::time::Duration,
) -> Option<StartError> {
    match tokio::time::timeout(grace, &mut *server).await {
        Ok(Ok(Ok(()))) => {
            tracing::info!("drained; all in-flight requests finished");
            None
        }
        Ok(Ok(Err(e))) => Some(StartError::Serve(e.to_string())),
        Ok(Err(e)) => Some(StartError::Serve(e.to_string())),
        Err(_) => {
            tracing::warn!(
                grace_secs = grace.as_secs_f64(),
                "grace period elapsed; closing remaining connections"
            );
            server.abort();
            None
        }
    }
}

fn http_settings(
    config: &Config,
    listen_port: u16,
    limits: Arc<dyn nexus_store::RateLimitStore>,
) -> HttpSettings {
    let link_port = match (config.http.public_port, config.http.external_tls) {
        (Some(p), _) => Some(p),
        (None, true) => None,
        (None, false) => Some(listen_port),
    };
    HttpSettings {
        link_port,
        body_limit_bytes: config.http.body_limit,
        request_timeout: config.http.request_timeout,
        trusted_proxies: config.http.trusted_proxies.clone(),
        external_tls: config.http.external_tls,
        platform_token: config
            .http
            .platform_token
            .as_ref()
            .map(|t| Arc::from(t.expose_secret())),
        version: env!("CARGO_PKG_VERSION"),
        limiter: Some(Arc::new(rate_limiter(config, limits))),
        metering: config.metering.enabled,
        active: Arc::default(),
        trace_sampler: crate::telemetry::request_sampler(),
    }
}

fn rate_limiter(
    config: &Config,
    limits: Arc<dyn nexus_store::RateLimitStore>,
) -> nexus_http::ratelimit::Limiter {
    use nexus_domain::ratelimit::Quota;
    use nexus_http::ratelimit::{Limiter, OnOutage, RateLimitSettings};
    let r = &config.ratelimit;
    let minute = |n: u32| Quota::per(n, std::time::Duration::from_mins(1));
    let settings = RateLimitSettings {
        enabled: r.enabled,
        per_ip: minute(r.ip_per_minute),
        per_credential: r.plan_per_minute.map(minute),
        tenant_factor: r.tenant_factor,
        on_outage: if r.local_on_redis_error {
            OnOutage::Local
        } else {
            OnOutage::Closed
        },
    };
    Limiter::new(settings, limits)
}

/// Connect (retrying), migrate, verify, seed, mark ready.
async fn start(
    wired: Wired,
    config: Config,
    addr: SocketAddr,
    token: CancellationToken,
) -> Result<(), StartError> {
    let backend = wired.db.backend();
    let max = config.database.retry_max_backoff;
    // Migrate before the first pooled connection: on PostgreSQL the pool switches to the
    // application role on connect, and on a fresh cluster migration 0001 creates it.
    if config.database.run_migrations {
        retry(&token, max, "migrating", backend, || wired.db.migrate()).await?;
        tracing::info!(backend, "migrations applied");
    }
    retry(&token, max, "connecting to the database", backend, || {
        wired.db.ping()
    })
    .await?;
    tracing::info!(backend, "database reachable");
    if !config.database.run_migrations {
        retry(
            &token,
            max,
            "waiting for `nexus migrate`",
            backend,
            || async {
                if wired.db.is_migrated().await? {
                    Ok(())
                } else {
                    Err(StoreError::Unavailable(
                        "schema is behind; run `nexus migrate`".into(),
                    ))
                }
            },
        )
        .await?;
    }
    wired
        .db
        .verify_setup()
        .await
        .map_err(|e| StartError::Database(nexus_app::error_chain(&e)))?;
    if let Some(cache_err) = wired.cache.ping().await.err() {
        tracing::warn!(error = %cache_err, "cache unreachable at start-up; continuing, reads fall back to the database");
    }
    // Every start, so an upgrade refreshes the shipped curriculum; unchanged packages
    // are not rewritten, and racing replicas both succeed (the store upserts).
    match wired.services.library.seed_builtin().await {
        Ok(entries) => {
            for (entry, outcome) in entries {
                if outcome != PutOutcome::Unchanged {
                    tracing::info!(slug = %entry.slug, ?outcome, "library course refreshed");
                }
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "seeding the course library failed; continuing without it");
        }
    }
    let seed = match config.demo_seed {
        DemoSeed::On => true,
        DemoSeed::Off => false,
        DemoSeed::Auto => config.database.backend == Backend::Sqlite,
    };
    if seed {
        match seed_if_empty(&wired.services).await {
            Ok(Some(logins)) => print_demo(&logins, &config, addr),
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "demo seed failed; continuing without it"),
        }
    }
    wired.services.health.mark_started();
    if wired.mailer.kind() == "outbox" {
        tracing::warn!(
            "mail.smtp_url is not set: mail goes to the development outbox, where tenant admins can read every link; set a relay for production"
        );
    }
    tracing::info!(%addr, backend, cache = wired.cache.backend(), mail = wired.mailer.kind(), "ready");
    Ok(())
}

/// Retries `op` while it reports `Unavailable`, backing off from 250 ms to `max`; any
/// other error is fatal. Gives up quietly when cancelled (shutdown during start-up).
async fn retry<F, Fut>(
    token: &CancellationToken,
    max: Duration,
    what: &str,
    backend: &str,
    mut op: F,
) -> Result<(), StartError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), StoreError>>,
{
    let mut delay = Duration::from_millis(250).min(max);
    for attempt in 1u32.. {
        match op().await {
            Ok(()) => return Ok(()),
            Err(StoreError::Unavailable(e)) => {
                tracing::warn!(attempt, backend, retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX), error = %e, "{what}: not yet available; retrying");
            }
            Err(e) => {
                return Err(StartError::Database(format!(
                    "{what}: {}",
                    nexus_app::error_chain(&e)
                )));
            }
        }
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = token.cancelled() => return Err(StartError::Cancelled),
        }
        delay = (delay * 2).min(max);
    }
    Ok(())
}

fn print_demo(logins: &DemoLogins, config: &Config, addr: SocketAddr) {
    let host = format!("{}.{}", logins.tenant.slug, config.http.base_domain);
    println!();
    println!(
        "  Demo tenant seeded: {} ({})",
        logins.tenant.name, logins.tenant.slug
    );
    println!("  URL:  http://{host}:{}/", addr.port());
    println!(
        "        (or any host with header `X-Tenant: {}`)",
        logins.tenant.slug
    );
    for (role, email, password) in &logins.accounts {
        println!("  {:<8} {email}  password: {password}", role.as_str());
    }
    println!("  These passwords are shown once. Create more with `nexus user create`.");
    println!();
}
