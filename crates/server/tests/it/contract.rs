//! The store contract suite, instantiated per backend. SQLite always runs; PostgreSQL
//! and Redis run when `NEXUS_TEST_DATABASE_URL` / `NEXUS_TEST_REDIS_URL` are set (CI
//! sets both) and otherwise print a skip line.

use crate::harness::TestDb;
use nexus_store::contract::{CACHE_CASES, DB_CASES, LIMITER_CASES, LimiterFactory};
use nexus_store::{CacheStore, MemoryCache, MemoryRateLimits, RateLimitStore};
use nexus_store_redis::{RedisCache, RedisRateLimits};
use std::sync::Arc;
use std::time::Duration;

async fn run_db(postgres: bool, name: &str) {
    let case = DB_CASES
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no contract case {name}"))
        .1;
    let db = if postgres {
        match TestDb::postgres().await {
            Some(db) => db,
            None => {
                return eprintln!("skipped postgres::{name}: NEXUS_TEST_DATABASE_URL is not set");
            }
        }
    } else {
        TestDb::sqlite()
    };
    let store = db.database().await;
    case(store.clone()).await;
    store.close().await;
}

async fn run_cache(redis: bool, name: &str) {
    let case = CACHE_CASES
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no cache case {name}"))
        .1;
    let cache: Arc<dyn CacheStore> = if redis {
        match std::env::var("NEXUS_TEST_REDIS_URL") {
            Ok(url) => Arc::new(RedisCache::new(&url, "contract", Duration::from_secs(2)).unwrap()),
            Err(_) => return eprintln!("skipped redis::{name}: NEXUS_TEST_REDIS_URL is not set"),
        }
    } else {
        Arc::new(MemoryCache::new(100))
    };
    case(cache).await;
}

/// Limiter cases: in process (one shared map) and on Redis (a new client per handle,
/// as separate app instances would have).
async fn run_limiter(redis: bool, name: &str) {
    let case = LIMITER_CASES
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no limiter case {name}"))
        .1;
    let factory: LimiterFactory = if redis {
        let Ok(url) = std::env::var("NEXUS_TEST_REDIS_URL") else {
            return eprintln!("skipped redis::{name}: NEXUS_TEST_REDIS_URL is not set");
        };
        Arc::new(move || -> Arc<dyn RateLimitStore> {
            Arc::new(RedisRateLimits::new(&url, "contract", Duration::from_secs(2)).unwrap())
        })
    } else {
        let shared: Arc<dyn RateLimitStore> = Arc::new(MemoryRateLimits::new(10_000));
        Arc::new(move || shared.clone())
    };
    case(factory).await;
}

macro_rules! limiter_cases {
    ($($name:ident),* $(,)?) => {
        const LISTED_LIMITER: &[&str] = &[$(stringify!($name)),*];
        mod limiter_memory { $( #[tokio::test] async fn $name() { super::run_limiter(false, stringify!($name)).await } )* }
        mod limiter_redis { $( #[tokio::test] async fn $name() { super::run_limiter(true, stringify!($name)).await } )* }
    };
}

macro_rules! db_cases {
    ($($name:ident),* $(,)?) => {
        const LISTED_DB: &[&str] = &[$(stringify!($name)),*];
        mod sqlite { $( #[tokio::test] async fn $name() { super::run_db(false, stringify!($name)).await } )* }
        mod postgres { $( #[tokio::test] async fn $name() { super::run_db(true, stringify!($name)).await } )* }
    };
}

macro_rules! cache_cases {
    ($($name:ident),* $(,)?) => {
        const LISTED_CACHE: &[&str] = &[$(stringify!($name)),*];
        mod memory { $( #[tokio::test] async fn $name() { super::run_cache(false, stringify!($name)).await } )* }
        mod redis { $( #[tokio::test] async fn $name() { super::run_cache(true, stringify!($name)).await } )* }
    };
}

db_cases!(
    migrations_are_idempotent,
    tenant_create_get_find,
    tenant_slug_conflict,
    tenant_update,
    tenant_list_filter_sort_page,
    tenant_domains,
    user_create_get_find,
    user_email_unique_per_tenant,
    user_tenant_isolation,
    user_requires_existing_tenant,
    user_list_filter_page,
    job_enqueue_is_idempotent,
    job_enqueue_in_transaction,
    job_claim_order_and_due_time,
    job_claims_never_overlap,
    job_complete_requires_the_claim,
    job_fail_retries_then_dies,
    job_release_and_reap,
    job_admin_operations,
    lease_acquire_renew_takeover,
    audit_chain_append_list_verify,
    audit_chains_are_per_tenant,
    audit_append_in_follows_the_transaction,
    audit_concurrent_appends_keep_the_chain,
    audit_seal_all_chains_what_was_recorded,
    audit_records_do_not_queue_on_the_chain,
    session_lifecycle,
    session_tenant_isolation,
    throttle_windows_and_locks,
    role_store_lifecycle,
    mfa_store_lifecycle,
    recovery_store_lifecycle,
    course_catalogue,
    course_outline,
    course_prerequisites,
    cohorts_and_members,
    enrolment_and_progress,
    quiz_banks_and_attempts,
    xp_badges_and_standings,
    certificates_issue_verify_revoke,
    library_upsert_list_delete,
    sim_settings_and_portfolios,
    sim_books_positions_ledger,
    sim_orders_lifecycle_and_idempotency,
    sim_fills_and_day_window,
    sim_competitions_and_entrants,
    sim_imports_replace_atomically,
    sim_events_resume,
    sim_tick_candidates,
    sim_order_path_reads_and_writes_as_a_unit,
    api_keys_lifecycle,
    usage_counts_add_and_summarise,
    billing_documents_plans_and_isolation,
    webhooks_endpoints_messages_and_isolation,
);

cache_cases!(cache_set_get_delete, cache_expiry, cache_ping);

limiter_cases!(
    limiter_burst_cost_and_refusal,
    limiter_decides_buckets_in_order_and_stops_at_a_refusal,
    limiter_instances_never_admit_more_than_the_budget,
);

/// A case added to the suite but not instantiated here would silently never run.
#[test]
fn every_contract_case_is_instantiated() {
    let mut suite: Vec<&str> = DB_CASES.iter().map(|(n, _)| *n).collect();
    let mut listed = LISTED_DB.to_vec();
    suite.sort_unstable();
    listed.sort_unstable();
    assert_eq!(suite, listed);
    let mut suite: Vec<&str> = CACHE_CASES.iter().map(|(n, _)| *n).collect();
    let mut listed = LISTED_CACHE.to_vec();
    suite.sort_unstable();
    listed.sort_unstable();
    assert_eq!(suite, listed);
    let mut suite: Vec<&str> = LIMITER_CASES.iter().map(|(n, _)| *n).collect();
    let mut listed = LISTED_LIMITER.to_vec();
    suite.sort_unstable();
    listed.sort_unstable();
    assert_eq!(suite, listed);
}
