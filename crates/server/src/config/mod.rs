//! Configuration: defaults → optional TOML file → `NEXUS_*` environment variables.
//!
//! Everything is parsed and validated once, here, into [`Config`], which is then passed
//! explicitly; nothing reads the environment later. A bad value fails with one
//! [`ConfigError`] naming the key, its source and what is accepted; the binary exits 2.

mod parse;
pub mod settings;

use ipnet::IpNet;
use secrecy::SecretString;
use settings::{SETTINGS, env_name};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

/// Where a value came from, for error messages and `config check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Built-in default.
    Default,
    /// The TOML file.
    File(String),
    /// An environment variable.
    Env(String),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Default => f.write_str("default"),
            Self::File(p) => write!(f, "file {p}"),
            Self::Env(v) => write!(f, "env {v}"),
        }
    }
}

/// A configuration problem: exactly one, clearly worded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value that does not parse or breaks a rule.
    #[error("invalid config: {key} (from {origin}): {message}")]
    Invalid {
        /// The dotted key.
        key: String,
        /// Where the bad value came from.
        origin: Source,
        /// What is wrong and what is accepted.
        message: String,
    },
    /// A key the file sets that no setting has.
    #[error("invalid config: unknown setting `{key}` in {file}; see docs/CONFIGURATION.md")]
    UnknownKey {
        /// The dotted key.
        key: String,
        /// The file.
        file: String,
    },
    /// The file cannot be read or is not TOML.
    #[error("invalid config: cannot use config file {file}: {message}")]
    File {
        /// The file.
        file: String,
        /// Why.
        message: String,
    },
}

/// How to treat the demo tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoSeed {
    /// Seed on SQLite only.
    Auto,
    /// Always seed an empty database.
    On,
    /// Never.
    Off,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable.
    Text,
    /// One JSON object per line.
    Json,
}

/// What a `serve` process does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// Serve the HTTP API only; never run jobs.
    Api,
    /// Run background jobs; HTTP serves only probes.
    Worker,
    /// Both (the embedded single-node default).
    All,
}

impl Role {
    /// Whether this role serves the API.
    pub fn serves_api(self) -> bool {
        matches!(self, Self::Api | Self::All)
    }
    /// Whether this role runs jobs, schedules and singleton loops.
    pub fn runs_jobs(self) -> bool {
        matches!(self, Self::Worker | Self::All)
    }
}

/// Worker tuning.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Jobs run at once.
    pub concurrency: usize,
    /// Claim batch size.
    pub batch: u32,
    /// Idle poll interval.
    pub poll_interval: Duration,
    /// Claim lifetime without a heartbeat.
    pub visibility_timeout: Duration,
    /// Scheduler tick.
    pub schedule_tick: Duration,
}

/// The portfolio simulator.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Market seed.
    pub seed: u64,
    /// Tick interval.
    pub tick: Duration,
}

/// Rate limits on `/v1` (per minute).
#[derive(Debug, Clone)]
pub struct RateLimitConfig {
    /// Limits on or off.
    pub enabled: bool,
    /// Per client IP.
    pub ip_per_minute: u32,
    /// Per credential, by plan in `Plan::ALL` order (free, basic, advanced, professional).
    pub plan_per_minute: [u32; 4],
    /// A tenant's budget in credentials' worth.
    pub tenant_factor: u32,
    /// Fall back to local limits (`true`) or refuse (`false`) when Redis is down.
    pub local_on_redis_error: bool,
}

/// Usage metering and monthly quotas.
#[derive(Debug, Clone)]
pub struct MeteringConfig {
    /// Meter `/v1` requests and enforce quotas.
    pub enabled: bool,
    /// How often each node writes its counts.
    pub flush_interval: Duration,
    /// Monthly request units on the free, standard and enterprise plans (`None`:
    /// unlimited).
    pub monthly_units: [Option<u64>; 4],
}

/// Which relational backend a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// HTTP settings.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Listen address.
    pub addr: SocketAddr,
    /// Tenants live at `<slug>.<base_domain>`.
    pub base_domain: String,
    /// Accept `X-Tenant` on platform hosts.
    pub allow_tenant_header: bool,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Largest body.
    pub body_limit: usize,
    /// Per-request deadline.
    pub request_timeout: Duration,
    /// Drain period on shutdown.
    pub shutdown_grace: Duration,
    /// Send HSTS.
    pub external_tls: bool,
    /// Port mailed links carry; `None` derives it (see the setting).
    pub public_port: Option<u16>,
    /// Platform API token.
    pub platform_token: Option<SecretString>,
}

/// Database settings.
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// Connection URL (may hold a password).
    pub url: SecretString,
    /// Which backend the URL selects.
    pub backend: Backend,
    /// Pool size.
    pub max_connections: u32,
    /// Pool wait.
    pub acquire_timeout: Duration,
    /// Migrate at start-up.
    pub run_migrations: bool,
    /// PostgreSQL role to assume.
    pub app_role: Option<String>,
    /// Start-up retry cap.
    pub retry_max_backoff: Duration,
}

/// Redis settings.
#[derive(Debug, Clone)]
pub struct RedisConfig {
    /// URL, if Redis is used.
    pub url: Option<SecretString>,
    /// Key namespace.
    pub prefix: String,
    /// Per-command timeout.
    pub timeout: Duration,
}

/// Outgoing mail.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// SMTP relay URL; `None` sends to the development outbox.
    pub smtp_url: Option<SecretString>,
    /// The `From` mailbox.
    pub from: String,
    /// Per-connection and per-command SMTP timeout.
    pub timeout: Duration,
}

/// The whole, validated configuration.
/// Outgoing webhooks.
#[derive(Debug, Clone, Copy)]
pub struct WebhookConfig {
    /// Accept `http` and internal targets (development and tests only).
    pub allow_private_targets: bool,
    /// How long one delivery attempt may take.
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// What `serve` does.
    pub role: Role,
    /// Worker tuning.
    pub worker: WorkerConfig,
    /// Simulator.
    pub sim: SimConfig,
    /// Rate limits.
    pub ratelimit: RateLimitConfig,
    /// Metering and quotas.
    pub metering: MeteringConfig,
    /// Where invoices ask customers to pay (the manual provider's payee).
    pub billing_payee: String,
    /// Outgoing webhooks.
    pub webhooks: WebhookConfig,
    /// Prometheus listener address, if enabled.
    pub metrics_addr: Option<SocketAddr>,
    /// How often the lease holder recounts the KPIs read from stored state.
    pub metrics_kpi_interval: Duration,
    /// HTTP.
    pub http: HttpConfig,
    /// Database.
    pub database: DatabaseConfig,
    /// Redis.
    pub redis: RedisConfig,
    /// Outgoing mail.
    pub mail: MailConfig,
    /// Tenant cache TTL.
    pub tenancy_cache_ttl: Duration,
    /// Demo seeding.
    pub demo_seed: DemoSeed,
    /// Log format.
    pub log_format: LogFormat,
    /// Log filter.
    pub log_level: String,
    /// argon2id costs.
    pub argon2: nexus_app::accounts::HashParams,
    /// Login throttling.
    pub auth: nexus_app::auth::AuthSettings,
    /// Each key's effective text (secrets already redacted) and source, for `config check`.
    pub effective: BTreeMap<&'static str, (String, Source)>,
    /// Environment variables that look like settings but are not (typos), for a warning.
    pub unknown_env: Vec<String>,
}

impl Config {
    /// Loads from an optional file and the given environment (`std::env::vars()` in the
    /// binary; a map in tests, so they never mutate the process environment).
    pub fn load(file: Option<&Path>, env: &BTreeMap<String, String>) -> Result<Self, ConfigError> {
        let mut raw: BTreeMap<&'static str, (String, Source)> = SETTINGS
            .iter()
            .map(|s| (s.key, (s.default.to_owned(), Source::Default)))
            .collect();
        if let Some(path) = file {
            for (key, value) in parse::read_file(path)? {
                let setting = settings::find(&key).ok_or_else(|| ConfigError::UnknownKey {
                    key: key.clone(),
                    file: path.display().to_string(),
                })?;
                raw.insert(
                    setting.key,
                    (value, Source::File(path.display().to_string())),
                );
            }
        }
        for s in SETTINGS {
            let var = env_name(s.key);
            if let Some(v) = env.get(&var) {
                raw.insert(s.key, (v.clone(), Source::Env(var)));
            }
        }
        let known: Vec<String> = SETTINGS.iter().map(|s| env_name(s.key)).collect();
        let unknown_env = env
            .keys()
            .filter(|k| {
                k.starts_with("NEXUS_")
                    && !k.starts_with("NEXUS_TEST_")
                    && *k != "NEXUS_CONFIG"
                    && !known.contains(k)
            })
            .cloned()
            .collect();
        parse::build(&raw, unknown_env)
    }

    /// Effective settings as `key = value  # source`; secrets were redacted at load.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for s in SETTINGS {
            if let Some((value, source)) = self.effective.get(s.key) {
                let _ = writeln!(out, "{} = {:?}  # {}", s.key, value, source);
            }
        }
        out
    }
}
