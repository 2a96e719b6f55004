//! The table of every setting: key, default, whether it is secret, and its documentation.
//!
//! This table is the single source for parsing, `nexus config check` and
//! docs/CONFIGURATION.md (a test checks the document lists every key). The environment
//! variable of a key is `NEXUS_` + the key upper-cased with `.` → `_`.

/// One documented setting.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    /// Dotted key, as in the TOML file (`[http]` / `addr` → `http.addr`).
    pub key: &'static str,
    /// Default value as text; `""` means unset.
    pub default: &'static str,
    /// Redacted in `config check` and logs.
    pub secret: bool,
    /// What it does and what it accepts.
    pub doc: &'static str,
}

/// The environment variable that sets `key`.
pub fn env_name(key: &str) -> String {
    format!("NEXUS_{}", key.replace('.', "_").to_ascii_uppercase())
}

/// Every setting.
#[rustfmt::skip] // a table: one setting per line reads best
pub const SETTINGS: &[Setting] = &[
    Setting { key: "server.role", default: "all", secret: false, doc: "What this process does: `api` (HTTP only), `worker` (background jobs; HTTP serves only probes) or `all` (both; the embedded default). `serve --role` overrides it." },
    Setting { key: "http.addr", default: "127.0.0.1:8080", secret: false, doc: "Address to listen on, `host:port`. Port 0 picks a free port." },
    Setting { key: "http.base_domain", default: "localhost", secret: false, doc: "Tenants are served at `<slug>.<base_domain>`. Other hosts are looked up as custom domains." },
    Setting { key: "http.allow_tenant_header", default: "true", secret: false, doc: "Accept `X-Tenant: <slug>` on platform hosts (the base domain or an IP), for API clients." },
    Setting { key: "http.trusted_proxies", default: "", secret: false, doc: "Comma-separated CIDRs whose `X-Forwarded-For` is believed, e.g. `10.0.0.0/8`. Empty: never." },
    Setting { key: "http.body_limit", default: "1MiB", secret: false, doc: "Largest request body; larger gets 413. Bytes, or with a `KiB`/`MiB` suffix." },
    Setting { key: "http.request_timeout", default: "30s", secret: false, doc: "Per-request deadline; a slower request gets 503 `request_timeout`. Duration like `500ms`, `30s`, `2m`." },
    Setting { key: "http.shutdown_grace", default: "30s", secret: false, doc: "On SIGTERM/Ctrl-C, how long in-flight requests may take to finish before the process exits anyway." },
    Setting { key: "http.external_tls", default: "false", secret: false, doc: "TLS is terminated in front of the server (ingress): send `Strict-Transport-Security`." },
    Setting { key: "http.public_port", default: "", secret: false, doc: "Port that links in mail (password reset, invitations, verification) carry after the tenant's host. Empty: none when `http.external_tls` (the ingress serves 443), otherwise the port the server listens on. Never taken from a request." },
    Setting { key: "http.platform_token", default: "", secret: true, doc: "Bearer token for the platform operator API `/v1/platform/*`. Empty disables it (401). At least 32 characters." },
    Setting { key: "database.url", default: "sqlite://./data/nexus.db", secret: true, doc: "`sqlite://path` (embedded, the default) or `postgres://user:pass@host:port/db`." },
    Setting { key: "database.max_connections", default: "10", secret: false, doc: "Connection pool size (on SQLite: the readers; writes use one more, dedicated connection, and WAL checkpoints another)." },
    Setting { key: "database.acquire_timeout", default: "5s", secret: false, doc: "How long a request waits for a pooled connection before failing with 503." },
    Setting { key: "database.run_migrations", default: "true", secret: false, doc: "Apply pending migrations at start-up. Set false for multi-replica deploys and run `nexus migrate` as a job." },
    Setting { key: "database.app_role", default: "nexus_app", secret: false, doc: "PostgreSQL only: role to `SET ROLE` to on each connection, so row-level security applies. Empty: use the login role (which must not bypass RLS)." },
    Setting { key: "database.retry_max_backoff", default: "10s", secret: false, doc: "Start-up retries to reach the database back off exponentially up to this interval." },
    Setting { key: "redis.url", default: "", secret: true, doc: "`redis://host:port/db`. Empty: in-process cache (single node only)." },
    Setting { key: "redis.prefix", default: "nexus", secret: false, doc: "Namespace for every Redis key, so deployments can share a Redis." },
    Setting { key: "redis.timeout", default: "500ms", secret: false, doc: "Per-command Redis timeout; a slower Redis is treated as a cache miss." },
    Setting { key: "mail.smtp_url", default: "", secret: true, doc: "SMTP relay for outgoing mail: `smtp://host:25` (plain), `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtps://user:pass@host:465`. Empty: mail goes to each tenant's development outbox (`GET /v1/outbox`, admins only), which holds live links in clear text; do not run production without a relay." },
    Setting { key: "mail.from", default: "FinAI Nexus <no-reply@localhost>", secret: false, doc: "The `From` mailbox of outgoing mail, e.g. `FinAI Nexus <no-reply@learn.example.com>`." },
    Setting { key: "mail.timeout", default: "10s", secret: false, doc: "SMTP connect and command timeout; a slower relay fails the attempt, which the job queue retries with backoff." },
    Setting { key: "tenancy.cache_ttl", default: "30s", secret: false, doc: "How long a resolved tenant is cached. Changes invalidate at once through Redis; in-process caches on other replicas may lag this long." },
    Setting { key: "demo.seed", default: "auto", secret: false, doc: "Seed the `demo` tenant on an empty database: `auto` (only on SQLite), `true` or `false`." },
    Setting { key: "worker.concurrency", default: "16", secret: false, doc: "Jobs a worker runs at once." },
    Setting { key: "worker.batch", default: "64", secret: false, doc: "Most jobs claimed per database round trip." },
    Setting { key: "worker.poll_interval", default: "250ms", secret: false, doc: "How long an idle worker waits before looking for due jobs again." },
    Setting { key: "worker.visibility_timeout", default: "30s", secret: false, doc: "How long a claimed job stays claimed without a heartbeat; a crashed worker's jobs rerun after this. Live workers renew every third of it." },
    Setting { key: "worker.schedule_tick", default: "1s", secret: false, doc: "How often the scheduler checks for due recurring runs." },
    Setting { key: "sim.seed", default: "2026", secret: false, doc: "Seed of the simulated market: the same seed gives the same prices on every machine." },
    Setting { key: "ratelimit.enabled", default: "true", secret: false, doc: "Rate limits on `/v1` (per API key or user, per tenant and per client IP, with route cost weights; 429 with `Retry-After` and `RateLimit` fields). Shared through Redis when `redis.url` is set, per node otherwise." },
    Setting { key: "ratelimit.ip_per_minute", default: "600", secret: false, doc: "Cost units per minute per client IP (after the `http.trusted_proxies` rule)." },
    Setting { key: "ratelimit.free_per_minute", default: "60", secret: false, doc: "Cost units per minute per API key or user on the free plan." },
    Setting { key: "ratelimit.basic_per_minute", default: "300", secret: false, doc: "The same on the basic plan." },
    Setting { key: "ratelimit.advanced_per_minute", default: "600", secret: false, doc: "The same on the advanced plan." },
    Setting { key: "ratelimit.professional_per_minute", default: "1200", secret: false, doc: "The same on the professional plan." },
    Setting { key: "ratelimit.tenant_factor", default: "10", secret: false, doc: "A tenant's whole budget per minute, in users' worth of its plan (only authenticated requests are charged to it)." },
    Setting { key: "ratelimit.on_redis_error", default: "local", secret: false, doc: "When Redis cannot be reached: `local` decides with this node's own limiter, `closed` refuses with 503 `rate_limiter_unavailable`. Either way a warning is logged." },
    Setting { key: "webhooks.allow_private_targets", default: "false", secret: false, doc: "Let tenants register `http` and internal (loopback, private, link-local) webhook targets. Off in production: a tenant must not make the server call its own network. Checked at registration and again on every delivery against the addresses the name resolves to." },
    Setting { key: "webhooks.timeout", default: "10s", secret: false, doc: "How long one webhook delivery attempt may take (1s to 15s) before it counts as failed and is retried." },
    Setting { key: "billing.payee", default: "the account on your contract", secret: false, doc: "Where invoices ask customers to pay by bank transfer (the built-in manual payment provider), e.g. `Example Ltd, IBAN GB00 0000 0000 0000 00`." },
    Setting { key: "metering.enabled", default: "true", secret: false, doc: "Meter every `/v1` request (by tenant, API key, route template, status class and latency bucket, with cost units) and enforce the monthly quotas. Counted in memory, written on an interval and at shutdown." },
    Setting { key: "metering.flush_interval", default: "10s", secret: false, doc: "How often each node writes its usage counts (1s to 10m). With n replicas a tenant can overrun its monthly quota by about n intervals' worth of traffic." },
    Setting { key: "quota.free_per_month", default: "10000", secret: false, doc: "Monthly API units on the free plan (API-key requests, by route cost); past it, 429 `quota_exhausted` until the next month (UTC). The default equals the free plan's included units, since free has no overage. 0: unlimited." },
    Setting { key: "quota.basic_per_month", default: "2000000", secret: false, doc: "Monthly API units on the basic plan: a ceiling on overage (units beyond the plan's allowance are billed). 0: unlimited." },
    Setting { key: "quota.advanced_per_month", default: "20000000", secret: false, doc: "Monthly API units on the advanced plan. 0: unlimited." },
    Setting { key: "quota.professional_per_month", default: "0", secret: false, doc: "Monthly API units on the professional plan. 0: unlimited." },
    Setting { key: "sim.tick", default: "1s", secret: false, doc: "How often the simulator works resting orders against the price path (on one node, under the `sim.tick` lease)." },
    Setting { key: "metrics.addr", default: "", secret: false, doc: "Serve Prometheus metrics at `http://<addr>/metrics` on a separate listener, e.g. `0.0.0.0:9464`. Empty: off." },
    Setting { key: "metrics.kpi_interval", default: "30s", secret: false, doc: "How often the one node holding the lease recounts KPIs read from stored state (`nexus_users_registered`). At least 100ms." },
    Setting { key: "log.format", default: "text", secret: false, doc: "`text` for people, `json` for log pipelines." },
    Setting { key: "log.level", default: "info", secret: false, doc: "A tracing filter, e.g. `info` or `info,nexus_http=debug`." },
    Setting { key: "security.login_delay", default: "250ms", secret: false, doc: "After 3 failed logins from one IP for one account, each further failure is answered this much later, doubling up to 16×. `0ms` disables (tests)." },
    Setting { key: "security.argon2_memory_kib", default: "19456", secret: false, doc: "argon2id memory cost in KiB (OWASP baseline 19 MiB)." },
    Setting { key: "security.argon2_iterations", default: "2", secret: false, doc: "argon2id passes." },
    Setting { key: "security.argon2_parallelism", default: "1", secret: false, doc: "argon2id lanes." },
];

/// Looks up a setting by key.
pub fn find(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.key == key)
}
