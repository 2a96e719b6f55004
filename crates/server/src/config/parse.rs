//! Turning layered text values into typed settings, one key at a time.

use super::{
    Backend, Config, ConfigError, DatabaseConfig, DemoSeed, HttpConfig, LogFormat, MailConfig,
    MeteringConfig, RateLimitConfig, RedisConfig, Role, SimConfig, Source, WebhookConfig,
    WorkerConfig,
};
use ipnet::IpNet;
use secrecy::SecretString;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

type Raw = BTreeMap<&'static str, (String, Source)>;

/// Reads a TOML file into dotted keys with text values.
pub(super) fn read_file(path: &Path) -> Result<Vec<(String, String)>, ConfigError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
        file: file.clone(),
        message: e.to_string(),
    })?;
    let table: toml::Table = toml::from_str(&text).map_err(|e| ConfigError::File {
        file: file.clone(),
        message: e.message().to_owned(),
    })?;
    let mut out = Vec::new();
    for (section, value) in table {
        let toml::Value::Table(inner) = value else {
            return Err(ConfigError::UnknownKey { key: section, file });
        };
        for (key, v) in inner {
            let text = match v {
                toml::Value::String(s) => s,
                toml::Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join(","),
                other => other.to_string(),
            };
            out.push((format!("{section}.{key}"), text));
        }
    }
    Ok(out)
}

/// Parses every key; the first failure (in key order) is reported.
#[allow(clippy::too_many_lines)] // one flat list of keys reads better than split helpers
pub(super) fn build(raw: &Raw, unknown_env: Vec<String>) -> Result<Config, ConfigError> {
    let p = Parser { raw };
    let url = p.text("database.url");
    let backend = p.with("database.url", |u| {
        if u.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if u.starts_with("postgres://") || u.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err("must start with sqlite:// or postgres://".to_owned())
        }
    })?;
    let platform_token = p.optional("http.platform_token");
    if platform_token.as_ref().is_some_and(|t| t.len() < 32) {
        return Err(p.invalid(
            "http.platform_token",
            "must be at least 32 characters (or empty to disable)",
        ));
    }
    let redis_url = p.optional("redis.url");
    if redis_url
        .as_ref()
        .is_some_and(|u| !(u.starts_with("redis://") || u.starts_with("rediss://")))
    {
        return Err(p.invalid("redis.url", "must start with redis:// or rediss://"));
    }
    let smtp_url = p.optional("mail.smtp_url");
    if let Some(u) = &smtp_url {
        nexus_mail::check_url(u).map_err(|m| p.invalid("mail.smtp_url", &m))?;
    }
    let app_role = p.optional("database.app_role");
    if app_role
        .as_ref()
        .is_some_and(|r| !r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
    {
        return Err(p.invalid(
            "database.app_role",
            "must be a plain role name (letters, digits, _)",
        ));
    }
    let base_domain = p
        .text("http.base_domain")
        .trim()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    if base_domain.is_empty() || base_domain.contains(['/', ':', ' ']) {
        return Err(p.invalid(
            "http.base_domain",
            "must be a host name such as localhost or learn.example.com",
        ));
    }
    let config = Config {
        role: p.with("server.role", |v| match v {
            "api" => Ok(Role::Api),
            "worker" => Ok(Role::Worker),
            "all" => Ok(Role::All),
            _ => Err("must be api, worker or all".to_owned()),
        })?,
        worker: WorkerConfig {
            concurrency: p
                .with("worker.concurrency", |v| parse_range(v, 1, 1024))?
                .try_into()
                .unwrap_or(16),
            batch: p.with("worker.batch", |v| parse_range(v, 1, 1000))?,
            poll_interval: p.with("worker.poll_interval", parse_duration)?,
            visibility_timeout: p.with("worker.visibility_timeout", parse_duration)?,
            schedule_tick: p.with("worker.schedule_tick", parse_duration)?,
        },
        sim: SimConfig {
            seed: p.with("sim.seed", |v| {
                v.parse::<u64>()
                    .map_err(|_| "must be a whole number from 0 to 18446744073709551615".to_owned())
            })?,
            tick: p.with("sim.tick", |v| {
                parse_duration_in(
                    v,
                    Duration::from_millis(100),
                    Duration::from_mins(1),
                    "between 100ms and 60s",
                )
            })?,
        },
        ratelimit: RateLimitConfig {
            enabled: p.with("ratelimit.enabled", parse_bool)?,
            ip_per_minute: p.with("ratelimit.ip_per_minute", |v| parse_range(v, 1, 10_000_000))?,
            plan_per_minute: [
                p.with("ratelimit.free_per_minute", |v| {
                    parse_range(v, 1, 10_000_000)
                })?,
                p.with("ratelimit.basic_per_minute", |v| {
                    parse_range(v, 1, 10_000_000)
                })?,
                p.with("ratelimit.advanced_per_minute", |v| {
                    parse_range(v, 1, 10_000_000)
                })?,
                p.with("ratelimit.professional_per_minute", |v| {
                    parse_range(v, 1, 10_000_000)
                })?,
            ],
            tenant_factor: p.with("ratelimit.tenant_factor", |v| parse_range(v, 1, 10_000))?,
            local_on_redis_error: p.with("ratelimit.on_redis_error", |v| match v {
                "local" => Ok(true),
                "closed" => Ok(false),
                _ => Err("must be local or closed".to_owned()),
            })?,
        },
        metering: MeteringConfig {
            enabled: p.with("metering.enabled", parse_bool)?,
            flush_interval: p.with("metering.flush_interval", |v| {
                parse_duration_in(
                    v,
                    Duration::from_secs(1),
                    Duration::from_mins(10),
                    "between 1s and 10m",
                )
            })?,
            monthly_units: [
                p.with("quota.free_per_month", parse_quota)?,
                p.with("quota.basic_per_month", parse_quota)?,
                p.with("quota.advanced_per_month", parse_quota)?,
                p.with("quota.professional_per_month", parse_quota)?,
            ],
        },
        webhooks: WebhookConfig {
            allow_private_targets: p.with("webhooks.allow_private_targets", parse_bool)?,
            timeout: p.with("webhooks.timeout", |v| {
                parse_duration_in(
                    v,
                    Duration::from_secs(1),
                    Duration::from_secs(15),
                    "between 1s and 15s",
                )
            })?,
        },
        billing_payee: p.with("billing.payee", |v| {
            let v = v.trim();
            if v.is_empty() || v.chars().count() > 300 {
                return Err("must be 1 to 300 characters".to_owned());
            }
            Ok(v.to_owned())
        })?,
        metrics_addr: p.with("metrics.addr", |v| {
            if v.is_empty() {
                Ok(None)
            } else {
                v.parse()
                    .map(Some)
                    .map_err(|_| "must be host:port, e.g. 0.0.0.0:9464, or empty".to_owned())
            }
        })?,
        // A recount is a query over every account: not more than ten a second.
        metrics_kpi_interval: p.with("metrics.kpi_interval", |v| {
            parse_duration_in(
                v,
                Duration::from_millis(100),
                Duration::MAX,
                "at least 100ms",
            )
        })?,
        http: HttpConfig {
            addr: p.with("http.addr", |v| {
                v.parse()
                    .map_err(|_| "must be host:port, e.g. 0.0.0.0:8080".to_owned())
            })?,
            base_domain,
            allow_tenant_header: p.with("http.allow_tenant_header", parse_bool)?,
            trusted_proxies: p.with("http.trusted_proxies", parse_cidrs)?,
            body_limit: p.with("http.body_limit", parse_size)?,
            request_timeout: p.with("http.request_timeout", parse_duration)?,
            shutdown_grace: p.with("http.shutdown_grace", parse_duration)?,
            external_tls: p.with("http.external_tls", parse_bool)?,
            public_port: p.with("http.public_port", |v| {
                if v.is_empty() {
                    Ok(None)
                } else {
                    v.parse::<u16>()
                        .ok()
                        .filter(|p| *p > 0)
                        .map(Some)
                        .ok_or_else(|| "must be a port from 1 to 65535, or empty".to_owned())
                }
            })?,
            platform_token: platform_token.map(SecretString::from),
        },
        database: DatabaseConfig {
            url: SecretString::from(url),
            backend,
            max_connections: p.with("database.max_connections", |v| parse_range(v, 1, 1000))?,
            acquire_timeout: p.with("database.acquire_timeout", parse_duration)?,
            run_migrations: p.with("database.run_migrations", parse_bool)?,
            app_role,
            retry_max_backoff: p.with("database.retry_max_backoff", parse_duration)?,
        },
        redis: RedisConfig {
            url: redis_url.map(SecretString::from),
            prefix: p.text("redis.prefix"),
            timeout: p.with("redis.timeout", parse_duration)?,
        },
        mail: MailConfig {
            smtp_url: smtp_url.map(SecretString::from),
            from: p.with("mail.from", |v| {
                nexus_mail::check_from(v).map(|()| v.to_owned())
            })?,
            timeout: p.with("mail.timeout", parse_duration)?,
        },
        tenancy_cache_ttl: p.with("tenancy.cache_ttl", parse_duration)?,
        demo_seed: p.with("demo.seed", |v| match v {
            "auto" => Ok(DemoSeed::Auto),
            "true" => Ok(DemoSeed::On),
            "false" => Ok(DemoSeed::Off),
            _ => Err("must be auto, true or false".to_owned()),
        })?,
        log_format: p.with("log.format", |v| match v {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err("must be text or json".to_owned()),
        })?,
        log_level: p.with("log.level", |v| {
            tracing_subscriber::EnvFilter::try_new(v)
                .map(|_| v.to_owned())
                .map_err(|e| format!("not a log filter: {e}"))
        })?,
        argon2: nexus_app::accounts::HashParams {
            memory_kib: p.with("security.argon2_memory_kib", |v| {
                parse_range(v, 8, 4 * 1024 * 1024)
            })?,
            iterations: p.with("security.argon2_iterations", |v| parse_range(v, 1, 100))?,
            parallelism: p.with("security.argon2_parallelism", |v| parse_range(v, 1, 64))?,
        },
        // Secrets are redacted here, once, so neither `config check` nor `Debug` can leak them.
        auth: nexus_app::auth::AuthSettings {
            delay_base: p.with("security.login_delay", parse_duration)?,
            ..nexus_app::auth::AuthSettings::default()
        },
        effective: raw
            .iter()
            .map(|(k, (v, src))| {
                let secret = super::settings::find(k).is_some_and(|s| s.secret);
                (
                    *k,
                    (if secret { redact(v) } else { v.clone() }, src.clone()),
                )
            })
            .collect(),
        unknown_env,
    };
    Ok(config)
}

struct Parser<'a> {
    raw: &'a Raw,
}

impl Parser<'_> {
    fn text(&self, key: &'static str) -> String {
        self.raw
            .get(key)
            .map(|(v, _)| v.trim().to_owned())
            .unwrap_or_default()
    }

    fn optional(&self, key: &'static str) -> Option<String> {
        Some(self.text(key)).filter(|v| !v.is_empty())
    }

    fn invalid(&self, key: &'static str, message: &str) -> ConfigError {
        let origin = self
            .raw
            .get(key)
            .map_or(Source::Default, |(_, s)| s.clone());
        ConfigError::Invalid {
            key: key.to_owned(),
            origin,
            message: message.to_owned(),
        }
    }

    fn with<T>(
        &self,
        key: &'static str,
        f: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        let value = self.text(key);
        f(&value).map_err(|m| {
            let secret = super::settings::find(key).is_some_and(|s| s.secret);
            let shown = if secret {
                redact(&value)
            } else {
                value.clone()
            };
            self.invalid(key, &format!("{m} (got {shown:?})"))
        })
    }
}

fn parse_bool(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err("must be true or false".to_owned()),
    }
}

/// Monthly units; `0` means unlimited.
fn parse_quota(v: &str) -> Result<Option<u64>, String> {
    match v.parse::<u64>() {
        Ok(0) => Ok(None),
        Ok(n) => Ok(Some(n)),
        Err(_) => Err("must be a whole number of units (0: unlimited)".to_owned()),
    }
}

fn parse_range(v: &str, min: u32, max: u32) -> Result<u32, String> {
    v.parse::<u32>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| format!("must be a whole number from {min} to {max}"))
}

/// A duration from `min` to `max`; `bounds` words the range for the error ("between
/// 1s and 10m").
fn parse_duration_in(
    v: &str,
    min: Duration,
    max: Duration,
    bounds: &str,
) -> Result<Duration, String> {
    let d = parse_duration(v)?;
    if d < min || d > max {
        return Err(format!("must be {bounds}"));
    }
    Ok(d)
}

/// `250ms`, `30s`, `5m`, `1h`.
pub(crate) fn parse_duration(v: &str) -> Result<Duration, String> {
    let err = || "must be a duration like 500ms, 30s, 5m or 1h".to_owned();
    let split = v.find(|c: char| !c.is_ascii_digit()).ok_or_else(err)?;
    let (num, unit) = v.split_at(split);
    let n: u64 = num.parse().map_err(|_| err())?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        "h" => Ok(Duration::from_secs(n * 3600)),
        _ => Err(err()),
    }
}

/// `1048576`, `512KiB`, `1MiB`; between 1 KiB and 64 MiB.
fn parse_size(v: &str) -> Result<usize, String> {
    let err = || "must be a size between 1KiB and 64MiB, like 1048576, 512KiB or 1MiB".to_owned();
    let (num, mult) = if let Some(n) = v.strip_suffix("MiB") {
        (n, 1024 * 1024)
    } else if let Some(n) = v.strip_suffix("KiB") {
        (n, 1024)
    } else {
        (v, 1)
    };
    let n: usize = num.trim().parse().map_err(|_| err())?;
    let bytes = n.checked_mul(mult).ok_or_else(err)?;
    if (1024..=64 * 1024 * 1024).contains(&bytes) {
        Ok(bytes)
    } else {
        Err(err())
    }
}

fn parse_cidrs(v: &str) -> Result<Vec<IpNet>, String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{s:?} is not a CIDR like 10.0.0.0/8"))
        })
        .collect()
}

/// Hides a secret: URLs keep scheme, user and host but lose the password; anything
/// else becomes `[redacted]`.
pub(crate) fn redact(value: &str) -> String {
    if value.is_empty() {
        return String::new();
    }
    if let Some((scheme, rest)) = value.split_once("://") {
        if let Some((userinfo, host)) = rest.split_once('@') {
            let user = userinfo.split(':').next().unwrap_or_default();
            return format!("{scheme}://{user}:[redacted]@{host}");
        }
        return value.to_owned();
    }
    "[redacted]".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_sizes_and_redaction() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_mins(2));
        assert!(parse_duration("30").is_err());
        assert!(parse_duration("fast").is_err());
        assert_eq!(parse_size("1MiB").unwrap(), 1_048_576);
        assert!(parse_size("10").is_err());
        assert!(parse_size("1GiB").is_err());
        assert_eq!(
            redact("postgres://app:hunter2@db:5432/nexus"),
            "postgres://app:[redacted]@db:5432/nexus"
        );
        assert_eq!(
            redact("sqlite://./data/nexus.db"),
            "sqlite://./data/nexus.db"
        );
        assert_eq!(redact("abc"), "[redacted]");
        assert!(parse_cidrs("10.0.0.0/8, 192.168.1.1").unwrap().len() == 2);
        assert!(parse_cidrs("10.0.0.0/33").is_err());
    }
}
