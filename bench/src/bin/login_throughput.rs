//! Password logins per second per core at the OWASP argon2id parameters (m=19 MiB, t=2,
//! p=1), through the real login path (throttle checks, argon2 verify, session insert,
//! audit record) on SQLite, with the raw cost of one argon2id verification measured in
//! the same run as the baseline.
//!
//!   cargo run --release -p nexus-bench --bin login_throughput -- [seconds=10]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_precision_loss,
    clippy::too_many_lines
)]

use nexus_app::accounts::{CreateAccount, HashParams, hash_password, verify_password};
use nexus_app::{Caller, RequestMeta};
use nexus_domain::tenancy::Plan;
use nexus_domain::user::{Email, Password, Role};
use nexus_store::Database;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let secs: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let dir = std::env::temp_dir().join(format!(
        "nexus-login-bench-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let db: Arc<dyn Database> = Arc::new(
        nexus_store_sqlite::SqliteDatabase::connect_lazy(&nexus_store_sqlite::SqliteSettings {
            url: format!("sqlite://{}", dir.join("bench.db").display()),
            max_connections: 8,
            acquire_timeout: Duration::from_secs(10),
        })
        .unwrap(),
    );
    db.migrate().await.unwrap();
    let services = nexus_bench::services(db.clone());
    let caller = Caller::system();
    let tenant = nexus_bench::bench_tenant(&services, Plan::Free).await;
    let password = "benchmark password 2026";
    for i in 0..cores * 2 {
        let cmd = CreateAccount {
            email: Email::parse(&format!("u{i}@bench.example")).unwrap(),
            display_name: "U".into(),
            role: Role::Learner,
            password: Password::parse(password).unwrap(),
        };
        services
            .accounts
            .create(&caller, tenant.id, cmd)
            .await
            .unwrap();
    }

    // Baseline: bare argon2id verifications per second on every core.
    let hash = hash_password(HashParams::default(), Password::parse(password).unwrap())
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(secs);
    let tasks: Vec<_> = (0..cores * 2)
        .map(|_| {
            let hash = hash.clone();
            tokio::spawn(async move {
                let mut n = 0u64;
                while Instant::now() < deadline {
                    assert!(
                        verify_password(Password::parse(password).unwrap(), hash.clone())
                            .await
                            .unwrap()
                    );
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut verifies = 0;
    for t in tasks {
        verifies += t.await.unwrap();
    }

    // The real thing: full logins, each from its own IP so throttling never interferes.
    let deadline = Instant::now() + Duration::from_secs(secs);
    let tasks: Vec<_> = (0..cores * 2)
        .map(|i| {
            let (services, tenant) = (services.clone(), tenant.clone());
            tokio::spawn(async move {
                let mut n = 0u64;
                while Instant::now() < deadline {
                    let meta = RequestMeta {
                        ip: Some(format!("10.0.{i}.{}", n % 250)),
                        ..RequestMeta::default()
                    };
                    services
                        .auth
                        .login(&tenant, &format!("u{i}@bench.example"), password, meta)
                        .await
                        .unwrap();
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut logins = 0;
    for t in tasks {
        logins += t.await.unwrap();
    }
    let (v, l) = (verifies as f64 / secs as f64, logins as f64 / secs as f64);
    println!("cores={cores} seconds={secs} argon2id m=19456 KiB t=2 p=1");
    println!(
        "baseline: argon2id verifications   {v:>8.1} /s   {:>6.1} per core",
        v / cores as f64
    );
    println!(
        "full logins (SQLite):               {l:>8.1} /s   {:>6.1} per core",
        l / cores as f64
    );
    println!("ratio logins : verifications        {:>8.2}", l / v);
    db.close().await;
    let _ = std::fs::remove_dir_all(dir);
}
