//! Cost of enqueueing a job inside a request transaction (the transactional outbox),
//! as a ratio to the same transaction without it, measured in one interleaved run.
//!
//!   cargo run --release -p nexus-bench --bin enqueue_overhead -- [postgres|sqlite] [iterations=2000]
//!
//! The transaction is what an account sign-up does: insert a user (RLS-scoped on
//! PostgreSQL) and commit; the variant also enqueues its welcome job.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_precision_loss,
    clippy::too_many_lines
)]

use nexus_app::audit::AuditService;
use nexus_app::jobs::{EnqueueOptions, JobService, Registry, builtin};
use nexus_bench::{Scratch, quantile};
use nexus_domain::tenancy::{Branding, HexColour, NewTenant, Plan, TenantSettings, TenantSlug};
use nexus_domain::user::{Email, NewUser, PasswordHash, Role};
use nexus_domain::{Clock, SystemClock, TenantId, UserId};
use nexus_store::Database;
use std::sync::Arc;
use std::time::Instant;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let backend = args.get(1).cloned().unwrap_or_else(|| "postgres".into());
    let iterations: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let admin = std::env::var("NEXUS_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);

    let mut scratch = None;
    let dir = std::env::temp_dir().join(format!("nexus-bench-{}", uuid::Uuid::new_v4().simple()));
    let db: Arc<dyn Database> = if backend == "sqlite" {
        std::fs::create_dir_all(&dir).unwrap();
        let db =
            nexus_store_sqlite::SqliteDatabase::connect_lazy(&nexus_store_sqlite::SqliteSettings {
                url: format!("sqlite://{}", dir.join("bench.db").display()),
                max_connections: 4,
                acquire_timeout: std::time::Duration::from_secs(10),
            })
            .unwrap();
        db.migrate().await.unwrap();
        Arc::new(db)
    } else {
        let s = Scratch::create(&admin).await;
        let db = s.database(4).await;
        scratch = Some(s);
        db
    };

    let tenant = TenantId::generate(clock.as_ref());
    let new = NewTenant {
        slug: TenantSlug::parse("bench").unwrap(),
        name: "Bench".into(),
        plan: Plan::Free,
        branding: Branding {
            display_name: "Bench".into(),
            logo_url: None,
            primary_colour: HexColour::default(),
        },
        settings: TenantSettings::default(),
    };
    let mut tx = db.begin(Some(tenant)).await.unwrap();
    db.tenants()
        .create(tx.as_mut(), tenant, &new, clock.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut registry = Registry::new();
    builtin::register(
        &mut registry,
        &db,
        clock.clone(),
        Arc::new(nexus_app::mail::OutboxMailer::new(
            db.clone(),
            clock.clone(),
        )),
    );
    let jobs = JobService::new(
        db.clone(),
        Arc::new(registry),
        clock.clone(),
        AuditService::new(db.audit(), clock.clone()),
    );

    let mut plain = Vec::with_capacity(iterations);
    let mut outbox = Vec::with_capacity(iterations);
    let mut k = 0u64;
    // Interleave blocks of 50 so drift on a noisy machine hits both variants alike.
    for block in 0..(iterations / 50).max(1) * 2 {
        let with_job = block % 2 == 1;
        for _ in 0..50 {
            k += 1;
            let user = NewUser {
                email: Email::parse(&format!("u{k}@bench.example")).unwrap(),
                display_name: format!("User {k}"),
                role: Role::Learner,
                password_hash: PasswordHash::from_phc(
                    "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA".into(),
                ),
                email_verified_at: None,
            };
            let started = Instant::now();
            let mut tx = db.begin(Some(tenant)).await.unwrap();
            db.users()
                .create_in(
                    tx.as_mut(),
                    tenant,
                    UserId::generate(clock.as_ref()),
                    &user,
                    clock.now(),
                )
                .await
                .unwrap();
            if with_job {
                let opts = EnqueueOptions {
                    tenant: Some(tenant),
                    idempotency_key: Some(format!("welcome:{k}")),
                    ..EnqueueOptions::default()
                };
                jobs.enqueue_in(tx.as_mut(), &builtin::Noop {}, opts)
                    .await
                    .unwrap();
            }
            tx.commit().await.unwrap();
            let us = started.elapsed().as_secs_f64() * 1e6;
            if with_job {
                outbox.push(us);
            } else {
                plain.push(us);
            }
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (pm, om) = (mean(&plain), mean(&outbox));
    println!("backend={backend} iterations={} per variant", plain.len());
    println!(
        "baseline tx (insert user):           mean {pm:>8.0} µs  p50 {:>8.0} µs  p99 {:>8.0} µs",
        quantile(&mut plain, 0.5),
        quantile(&mut plain, 0.99)
    );
    println!(
        "with enqueue_in (outbox):            mean {om:>8.0} µs  p50 {:>8.0} µs  p99 {:>8.0} µs",
        quantile(&mut outbox, 0.5),
        quantile(&mut outbox, 0.99)
    );
    println!("ratio outbox : baseline (mean)       {:>8.2}", om / pm);
    db.close().await;
    if let Some(s) = scratch {
        s.drop_db().await;
    }
    let _ = std::fs::remove_dir_all(dir);
}
