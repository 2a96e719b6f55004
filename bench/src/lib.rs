//! Shared helpers for the benchmark binaries: scratch databases, the service set-up,
//! the benchmark tenant and summaries.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::missing_panics_doc
)]

pub mod load;
mod process;

pub use process::{Server, free_port, spawn_server};

use nexus_store::Database;
use nexus_store_postgres::{PgDatabase, PgSettings};
use sqlx::Connection;
use std::sync::Arc;
use std::time::Duration;

/// A scratch PostgreSQL database, dropped at the end.
pub struct Scratch {
    admin: String,
    name: String,
    /// Its URL.
    pub url: String,
}

impl Scratch {
    /// Creates `nexus_bench_<random>` next to the database in `admin`.
    pub async fn create(admin: &str) -> Self {
        let name = format!(
            "nexus_bench_{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let mut c = sqlx::PgConnection::connect(admin)
            .await
            .expect("connect to the admin URL");
        sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
            .execute(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
        let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
        Self {
            admin: admin.to_owned(),
            url: format!("{base}/{name}"),
            name,
        }
    }

    /// The migrated backend, as the application role, with `pool` connections.
    pub async fn database(&self, pool: u32) -> Arc<PgDatabase> {
        let db = PgDatabase::connect_lazy(&PgSettings {
            url: self.url.clone(),
            max_connections: pool,
            acquire_timeout: Duration::from_secs(10),
            app_role: Some("nexus_app".into()),
        })
        .unwrap();
        db.migrate().await.unwrap();
        Arc::new(db)
    }

    /// Drops the database.
    pub async fn drop_db(self) {
        let mut c = sqlx::PgConnection::connect(&self.admin).await.unwrap();
        let sql = format!("drop database {} with (force)", self.name);
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut c)
            .await
            .unwrap();
    }
}

/// Waits (up to 10 s) until the server at `base` answers `/readyz` with 200.
pub async fn wait_ready(client: &reqwest::Client, base: &str) {
    for _ in 0..400 {
        if client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Logs in over HTTP (`X-Tenant: tenant`) and answers the session token.
pub async fn login(
    client: &reqwest::Client,
    base: &str,
    tenant: &str,
    email: &str,
    password: &str,
) -> String {
    let login: serde_json::Value = client
        .post(format!("{base}/v1/auth/login"))
        .header("x-tenant", tenant)
        .json(&serde_json::json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    login["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{email} logs in: {login}"))
        .to_owned()
}

/// The `q`-quantile (0..=1) of samples, in the samples' unit.
pub fn quantile(samples: &mut [f64], q: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    samples.sort_by(f64::total_cmp);
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let i = ((samples.len() - 1) as f64 * q).round() as usize;
    samples[i]
}

/// The app's services over `db` as a benchmark runs them: in-process cache, system
/// clock, no jobs registered.
pub fn services(db: Arc<dyn Database>) -> nexus_app::Services {
    services_with(db, nexus_app::accounts::HashParams::default())
}

/// [`services`] hashing new passwords with `hash` (light parameters to seed many
/// accounts quickly; a hash is verified with the parameters stored in it).
pub fn services_with(
    db: Arc<dyn Database>,
    hash: nexus_app::accounts::HashParams,
) -> nexus_app::Services {
    nexus_app::Services::new(
        db,
        Arc::new(nexus_store::MemoryCache::new(100_000)),
        Arc::new(nexus_domain::SystemClock),
        nexus_app::tenancy::TenancySettings {
            base_domain: "localhost".into(),
            allow_tenant_header: true,
            cache_ttl: Duration::from_secs(30),
        },
        hash,
        Arc::new(nexus_app::jobs::Registry::new()),
        nexus_app::auth::AuthSettings::default(),
    )
}

/// Creates the tenant `bench` on `plan`.
pub async fn bench_tenant(
    services: &nexus_app::Services,
    plan: nexus_domain::tenancy::Plan,
) -> nexus_domain::tenancy::Tenant {
    use nexus_domain::tenancy::{Branding, HexColour, NewTenant, TenantSettings, TenantSlug};
    services
        .tenants
        .create(
            &nexus_app::Caller::system(),
            NewTenant {
                slug: TenantSlug::parse("bench").unwrap(),
                name: "Bench".into(),
                plan,
                branding: Branding {
                    display_name: "Bench".into(),
                    logo_url: None,
                    primary_colour: HexColour::default(),
                },
                settings: TenantSettings::default(),
            },
        )
        .await
        .unwrap()
}

/// What one timed round of GETs gave.
#[derive(Debug, Default)]
pub struct Round {
    /// 200 answers.
    pub ok: u64,
    /// Anything else, or no answer.
    pub failed: u64,
    /// Milliseconds per 200 answer.
    pub latencies_ms: Vec<f64>,
}

/// `concurrency` tasks GET `url` with `headers` (and a bearer token) back to back until
/// `until`; 127.0.0.1 targets only, bounded by time.
pub async fn get_round(
    client: &reqwest::Client,
    url: &str,
    headers: &[(&'static str, String)],
    bearer: Option<&str>,
    concurrency: usize,
    until: std::time::Instant,
) -> Round {
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, url) = (client.clone(), url.to_owned());
            // Parsed once, as a real client would: the variants compare the server's
            // work, not the load generator's header parsing.
            let mut fixed: Vec<(reqwest::header::HeaderName, reqwest::header::HeaderValue)> =
                headers
                    .iter()
                    .map(|(k, v)| (k.parse().unwrap(), v.parse().unwrap()))
                    .collect();
            if let Some(t) = bearer {
                fixed.push((
                    reqwest::header::AUTHORIZATION,
                    format!("Bearer {t}").parse().unwrap(),
                ));
            }
            tokio::spawn(async move {
                let mut round = Round::default();
                while std::time::Instant::now() < until {
                    let at = std::time::Instant::now();
                    let mut r = client.get(&url);
                    for (k, v) in &fixed {
                        r = r.header(k.clone(), v.clone());
                    }
                    match r.send().await {
                        Ok(resp) if resp.status() == 200 => {
                            let _ = resp.bytes().await;
                            round.ok += 1;
                            round.latencies_ms.push(at.elapsed().as_secs_f64() * 1000.0);
                        }
                        _ => round.failed += 1,
                    }
                }
                round
            })
        })
        .collect();
    let mut all = Round::default();
    for t in tasks {
        let r = t.await.unwrap();
        all.ok += r.ok;
        all.failed += r.failed;
        all.latencies_ms.extend(r.latencies_ms);
    }
    all
}

/// `pgbench -N` TPS on a scratch database next to `admin`, or `None` if pgbench fails.
pub async fn pgbench(admin: &str, clients: u32, secs: u64) -> Option<f64> {
    let name = format!(
        "nexus_pgbench_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let mut c = sqlx::PgConnection::connect(admin).await.ok()?;
    sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
        .execute(&mut c)
        .await
        .ok()?;
    let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
    let url = format!("{base}/{name}");
    let init = std::process::Command::new("pgbench")
        .args(["-i", "-q", "-s", "10", &url])
        .output()
        .ok()?;
    let run = if init.status.success() {
        std::process::Command::new("pgbench")
            .args([
                "-N",
                "-c",
                &clients.to_string(),
                "-j",
                "2",
                "-T",
                &secs.to_string(),
                &url,
            ])
            .output()
            .ok()
    } else {
        eprintln!(
            "pgbench -i failed: {}",
            String::from_utf8_lossy(&init.stderr)
        );
        None
    };
    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
        "drop database {name} with (force)"
    )))
    .execute(&mut c)
    .await;
    let out = String::from_utf8_lossy(&run?.stdout).into_owned();
    out.lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l.trim_start_matches("tps = ").split_whitespace().next())
        .and_then(|v| v.parse().ok())
}
