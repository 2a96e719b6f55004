//! Configuration: layering, one clear message per bad value, exit status 2, redaction,
//! and the documentation covering every setting.

use nexus_server::config::settings::{SETTINGS, env_name};
use nexus_server::config::{Backend, Config, ConfigError, DemoSeed};
use std::collections::BTreeMap;
use std::process::Command;

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn temp_file(contents: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!(
        "nexus-config-{}.toml",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn defaults_are_the_embedded_single_node_setup() {
    let c = Config::load(None, &BTreeMap::new()).unwrap();
    assert_eq!(c.http.addr.to_string(), "127.0.0.1:8080");
    assert_eq!(c.database.backend, Backend::Sqlite);
    assert!(c.redis.url.is_none());
    assert_eq!(c.demo_seed, DemoSeed::Auto);
    assert!(c.database.run_migrations);
}

#[test]
fn env_overrides_file_overrides_defaults() {
    let file = temp_file(
        "[http]\naddr = \"0.0.0.0:9000\"\nbody_limit = \"2MiB\"\ntrusted_proxies = [\"10.0.0.0/8\", \"192.168.0.0/16\"]\n[database]\nmax_connections = 7\n",
    );
    let c = Config::load(Some(&file), &env(&[("NEXUS_HTTP_ADDR", "127.0.0.1:9100")])).unwrap();
    assert_eq!(
        c.http.addr.to_string(),
        "127.0.0.1:9100",
        "env wins over file"
    );
    assert_eq!(c.http.body_limit, 2 * 1024 * 1024, "file wins over default");
    assert_eq!(c.http.trusted_proxies.len(), 2);
    assert_eq!(c.database.max_connections, 7);
    let rendered = c.render();
    assert!(
        rendered.contains("http.addr = \"127.0.0.1:9100\"  # env NEXUS_HTTP_ADDR"),
        "{rendered}"
    );
    assert!(
        rendered.contains("database.max_connections = \"7\"  # file"),
        "{rendered}"
    );
    std::fs::remove_file(file).unwrap();
}

#[test]
fn each_bad_value_names_its_key_and_source() {
    let cases: &[(&str, &str, &str)] = &[
        ("NEXUS_HTTP_ADDR", "not-an-address", "http.addr"),
        ("NEXUS_DATABASE_URL", "mysql://x", "database.url"),
        (
            "NEXUS_DATABASE_MAX_CONNECTIONS",
            "0",
            "database.max_connections",
        ),
        ("NEXUS_HTTP_REQUEST_TIMEOUT", "soon", "http.request_timeout"),
        ("NEXUS_HTTP_BODY_LIMIT", "10GiB", "http.body_limit"),
        (
            "NEXUS_HTTP_TRUSTED_PROXIES",
            "10.0.0.0/99",
            "http.trusted_proxies",
        ),
        ("NEXUS_HTTP_PLATFORM_TOKEN", "short", "http.platform_token"),
        ("NEXUS_REDIS_URL", "http://redis", "redis.url"),
        ("NEXUS_DEMO_SEED", "maybe", "demo.seed"),
        ("NEXUS_LOG_FORMAT", "xml", "log.format"),
        (
            "NEXUS_DATABASE_APP_ROLE",
            "x; drop table",
            "database.app_role",
        ),
        ("NEXUS_HTTP_EXTERNAL_TLS", "perhaps", "http.external_tls"),
        (
            "NEXUS_MAIL_SMTP_URL",
            "mail.example.com:25",
            "mail.smtp_url",
        ),
        ("NEXUS_MAIL_FROM", "not an address", "mail.from"),
        ("NEXUS_MAIL_TIMEOUT", "forever", "mail.timeout"),
        ("NEXUS_HTTP_PUBLIC_PORT", "0", "http.public_port"),
        ("NEXUS_METRICS_KPI_INTERVAL", "10ms", "metrics.kpi_interval"),
    ];
    for (var, value, key) in cases {
        let err = Config::load(None, &env(&[(var, value)])).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, ConfigError::Invalid { .. }), "{var}: {msg}");
        assert!(
            msg.starts_with(&format!("invalid config: {key} (from env {var})")),
            "{msg}"
        );
    }
}

#[test]
fn secrets_never_appear_in_errors_or_rendering() {
    let err =
        Config::load(None, &env(&[("NEXUS_HTTP_PLATFORM_TOKEN", "tiny-secret")])).unwrap_err();
    assert!(!err.to_string().contains("tiny-secret"), "{err}");
    for bad_relay in [
        "smtp://mailer:relaysecret@mail.example.com:notaport",
        "smtps://mailer:relaysecret@:465",
        "ftp://mailer:relaysecret@mail.example.com",
    ] {
        let err = Config::load(None, &env(&[("NEXUS_MAIL_SMTP_URL", bad_relay)])).unwrap_err();
        assert!(
            err.to_string().starts_with("invalid config: mail.smtp_url"),
            "{err}"
        );
        assert!(!err.to_string().contains("relaysecret"), "{err}");
    }
    let c = Config::load(
        None,
        &env(&[
            (
                "NEXUS_DATABASE_URL",
                "postgres://app:hunter2@db.internal:5432/nexus",
            ),
            ("NEXUS_REDIS_URL", "redis://:redispass@cache:6379/0"),
            (
                "NEXUS_MAIL_SMTP_URL",
                "smtp://mailer:relaypass@mail.example.com:587?tls=required",
            ),
            (
                "NEXUS_HTTP_PLATFORM_TOKEN",
                "an-operator-token-that-is-long-enough",
            ),
        ]),
    )
    .unwrap();
    let out = c.render();
    for secret in ["hunter2", "redispass", "relaypass", "an-operator-token"] {
        assert!(!out.contains(secret), "{secret} leaked: {out}");
    }
    assert!(out.contains("postgres://app:[redacted]@db.internal:5432/nexus"));
    assert!(
        !format!("{c:?}").contains("hunter2"),
        "Debug leaks the database password"
    );
}

#[test]
fn file_problems_are_reported() {
    let unknown = temp_file("[http]\nadress = \"0.0.0.0:1\"\n");
    let err = Config::load(Some(&unknown), &BTreeMap::new()).unwrap_err();
    assert!(
        err.to_string().contains("unknown setting `http.adress`"),
        "{err}"
    );
    let broken = temp_file("[http\n");
    assert!(matches!(
        Config::load(Some(&broken), &BTreeMap::new()),
        Err(ConfigError::File { .. })
    ));
    let missing = std::path::Path::new("/nonexistent/nexus.toml");
    assert!(matches!(
        Config::load(Some(missing), &BTreeMap::new()),
        Err(ConfigError::File { .. })
    ));
    let bad_value = temp_file("[database]\nmax_connections = -3\n");
    let err = Config::load(Some(&bad_value), &BTreeMap::new()).unwrap_err();
    assert!(
        err.to_string()
            .contains("database.max_connections (from file"),
        "{err}"
    );
    for f in [unknown, broken, bad_value] {
        std::fs::remove_file(f).unwrap();
    }
}

#[test]
fn unknown_nexus_variables_are_reported_for_a_warning() {
    let c = Config::load(
        None,
        &env(&[("NEXUS_HTTP_ADR", "x"), ("NEXUS_TEST_DATABASE_URL", "x")]),
    )
    .unwrap();
    assert_eq!(c.unknown_env, ["NEXUS_HTTP_ADR"]);
}

#[test]
fn the_binary_exits_2_with_one_clear_line_on_bad_config() {
    let out = Command::new(env!("CARGO_BIN_EXE_nexus"))
        .env_clear()
        .env("NEXUS_HTTP_ADDR", "nowhere")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("nexus: invalid config: http.addr (from env NEXUS_HTTP_ADDR)"),
        "{stderr}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_nexus"))
        .env_clear()
        .args(["config", "check"])
        .env("NEXUS_DATABASE_URL", "postgres://u:pw@h/db")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("# configuration is valid") && !stdout.contains(":pw@"),
        "{stdout}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_nexus"))
        .args(["no-such-command"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "bad usage is also status 2");
}

/// docs/CONFIGURATION.md documents every setting under its key and variable.
#[test]
fn configuration_doc_lists_every_setting() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/CONFIGURATION.md"
    ))
    .unwrap();
    for s in SETTINGS {
        assert!(
            doc.contains(&format!("`{}`", s.key)),
            "docs/CONFIGURATION.md lacks `{}`",
            s.key
        );
        assert!(
            doc.contains(&format!("`{}`", env_name(s.key))),
            "docs/CONFIGURATION.md lacks `{}`",
            env_name(s.key)
        );
    }
}
