//! The contract suite: every store method, run against each backend.
//!
//! Each case takes a freshly migrated [`Database`] (or an empty [`CacheStore`]) and
//! panics on a broken contract. The server crate's integration tests instantiate every
//! case for SQLite, and for PostgreSQL and Redis when their test URLs are set, so a
//! second backend costs one line per case, not a second suite. [`DB_CASES`] and
//! [`CACHE_CASES`] list the cases so a backend cannot silently skip one.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::missing_panics_doc,
    clippy::assigning_clones,
    clippy::too_many_lines,
    // The case modules share this module's vocabulary (imports and fixtures).
    clippy::wildcard_imports
)]

use crate::{CacheStore, Claim, Database, StoreError};
use nexus_domain::audit::{AuditEventId, AuditQuery, NewAuditEvent};
use nexus_domain::jobs::{JobId, JobQuery, JobState, LockToken, NewJob};
use nexus_domain::paging::{Order, PageRequest};
use nexus_domain::session::{NewSession, SessionId, ThrottleRule, hash_token};
use nexus_domain::tenancy::{
    Branding, DomainName, HexColour, NewTenant, Plan, TenantQuery, TenantSettings, TenantSlug,
    TenantSort, TenantStatus,
};
use nexus_domain::user::{Email, NewUser, PasswordHash, Role, UserQuery};
use nexus_domain::{Clock, ManualClock, TenantId, UserId};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// Runs one store change in its own transaction (begun for the tenant, or for none with
/// `platform`), committing it if it succeeded; evaluates to the change's result.
macro_rules! committed {
    (platform $db:expr, |$tx:ident| $change:expr) => {{
        let mut owned = $db.begin(None).await.unwrap();
        let $tx = owned.as_mut();
        let out = $change.await;
        if out.is_ok() {
            owned.commit().await.unwrap();
        }
        out
    }};
    ($db:expr, $tenant:expr, |$tx:ident| $change:expr) => {{
        let mut owned = $db.begin(Some($tenant)).await.unwrap();
        let $tx = owned.as_mut();
        let out = $change.await;
        if out.is_ok() {
            owned.commit().await.unwrap();
        }
        out
    }};
}

mod achievement;
mod apikey;
mod billing;
mod cache;
mod enrolment;
mod identity;
mod jobs;
mod learning;
mod library;
mod quiz;
mod ratelimit;
mod recovery;
mod sim;
mod tenancy;
mod usage;
mod webhook;

use achievement::{certificates_issue_verify_revoke, xp_badges_and_standings};
use apikey::api_keys_lifecycle;
use billing::billing_documents_plans_and_isolation;
use cache::{cache_expiry, cache_ping, cache_set_get_delete};
use enrolment::{cohorts_and_members, enrolment_and_progress};
use identity::{
    audit_append_in_follows_the_transaction, audit_chain_append_list_verify,
    audit_chains_are_per_tenant, audit_concurrent_appends_keep_the_chain,
    audit_records_do_not_queue_on_the_chain, audit_seal_all_chains_what_was_recorded,
    mfa_store_lifecycle, role_store_lifecycle, session_lifecycle, session_tenant_isolation,
    throttle_windows_and_locks,
};
use jobs::{
    job_admin_operations, job_claim_order_and_due_time, job_claims_never_overlap,
    job_complete_requires_the_claim, job_enqueue_in_transaction, job_enqueue_is_idempotent,
    job_fail_retries_then_dies, job_release_and_reap, lease_acquire_renew_takeover,
};
use learning::{course_catalogue, course_outline, course_prerequisites};
use library::library_upsert_list_delete;
use quiz::quiz_banks_and_attempts;
use recovery::recovery_store_lifecycle;
use sim::{
    sim_books_positions_ledger, sim_competitions_and_entrants, sim_events_resume,
    sim_fills_and_day_window, sim_imports_replace_atomically,
    sim_order_path_reads_and_writes_as_a_unit, sim_orders_lifecycle_and_idempotency,
    sim_settings_and_portfolios, sim_tick_candidates,
};
use tenancy::{
    migrations_are_idempotent, tenant_create_get_find, tenant_domains,
    tenant_list_filter_sort_page, tenant_slug_conflict, tenant_update, user_create_get_find,
    user_email_unique_per_tenant, user_list_filter_page, user_requires_existing_tenant,
    user_tenant_isolation,
};
use usage::usage_counts_add_and_summarise;
use webhook::webhooks_endpoints_messages_and_isolation;

/// A boxed async case.
pub type DbCase = fn(Arc<dyn Database>) -> Pin<Box<dyn Future<Output = ()> + Send>>;
/// A boxed async cache case.
pub type CacheCase = fn(Arc<dyn CacheStore>) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Every database case, by name.
pub const DB_CASES: &[(&str, DbCase)] = &[
    ("migrations_are_idempotent", |db| {
        Box::pin(migrations_are_idempotent(db))
    }),
    ("tenant_create_get_find", |db| {
        Box::pin(tenant_create_get_find(db))
    }),
    ("tenant_slug_conflict", |db| {
        Box::pin(tenant_slug_conflict(db))
    }),
    ("tenant_update", |db| Box::pin(tenant_update(db))),
    ("tenant_list_filter_sort_page", |db| {
        Box::pin(tenant_list_filter_sort_page(db))
    }),
    ("tenant_domains", |db| Box::pin(tenant_domains(db))),
    ("user_create_get_find", |db| {
        Box::pin(user_create_get_find(db))
    }),
    ("user_email_unique_per_tenant", |db| {
        Box::pin(user_email_unique_per_tenant(db))
    }),
    ("user_tenant_isolation", |db| {
        Box::pin(user_tenant_isolation(db))
    }),
    ("user_requires_existing_tenant", |db| {
        Box::pin(user_requires_existing_tenant(db))
    }),
    ("user_list_filter_page", |db| {
        Box::pin(user_list_filter_page(db))
    }),
    ("job_enqueue_is_idempotent", |db| {
        Box::pin(job_enqueue_is_idempotent(db))
    }),
    ("job_enqueue_in_transaction", |db| {
        Box::pin(job_enqueue_in_transaction(db))
    }),
    ("job_claim_order_and_due_time", |db| {
        Box::pin(job_claim_order_and_due_time(db))
    }),
    ("job_claims_never_overlap", |db| {
        Box::pin(job_claims_never_overlap(db))
    }),
    ("job_complete_requires_the_claim", |db| {
        Box::pin(job_complete_requires_the_claim(db))
    }),
    ("job_fail_retries_then_dies", |db| {
        Box::pin(job_fail_retries_then_dies(db))
    }),
    ("job_release_and_reap", |db| {
        Box::pin(job_release_and_reap(db))
    }),
    ("job_admin_operations", |db| {
        Box::pin(job_admin_operations(db))
    }),
    ("lease_acquire_renew_takeover", |db| {
        Box::pin(lease_acquire_renew_takeover(db))
    }),
    ("audit_chain_append_list_verify", |db| {
        Box::pin(audit_chain_append_list_verify(db))
    }),
    ("audit_chains_are_per_tenant", |db| {
        Box::pin(audit_chains_are_per_tenant(db))
    }),
    ("audit_append_in_follows_the_transaction", |db| {
        Box::pin(audit_append_in_follows_the_transaction(db))
    }),
    ("audit_concurrent_appends_keep_the_chain", |db| {
        Box::pin(audit_concurrent_appends_keep_the_chain(db))
    }),
    ("audit_seal_all_chains_what_was_recorded", |db| {
        Box::pin(audit_seal_all_chains_what_was_recorded(db))
    }),
    ("audit_records_do_not_queue_on_the_chain", |db| {
        Box::pin(audit_records_do_not_queue_on_the_chain(db))
    }),
    ("session_lifecycle", |db| Box::pin(session_lifecycle(db))),
    ("session_tenant_isolation", |db| {
        Box::pin(session_tenant_isolation(db))
    }),
    ("throttle_windows_and_locks", |db| {
        Box::pin(throttle_windows_and_locks(db))
    }),
    ("role_store_lifecycle", |db| {
        Box::pin(role_store_lifecycle(db))
    }),
    ("mfa_store_lifecycle", |db| {
        Box::pin(mfa_store_lifecycle(db))
    }),
    ("course_catalogue", |db| Box::pin(course_catalogue(db))),
    ("course_outline", |db| Box::pin(course_outline(db))),
    ("course_prerequisites", |db| {
        Box::pin(course_prerequisites(db))
    }),
    ("cohorts_and_members", |db| {
        Box::pin(cohorts_and_members(db))
    }),
    ("enrolment_and_progress", |db| {
        Box::pin(enrolment_and_progress(db))
    }),
    ("quiz_banks_and_attempts", |db| {
        Box::pin(quiz_banks_and_attempts(db))
    }),
    ("xp_badges_and_standings", |db| {
        Box::pin(xp_badges_and_standings(db))
    }),
    ("certificates_issue_verify_revoke", |db| {
        Box::pin(certificates_issue_verify_revoke(db))
    }),
    ("library_upsert_list_delete", |db| {
        Box::pin(library_upsert_list_delete(db))
    }),
    ("recovery_store_lifecycle", |db| {
        Box::pin(recovery_store_lifecycle(db))
    }),
    ("sim_settings_and_portfolios", |db| {
        Box::pin(sim_settings_and_portfolios(db))
    }),
    ("sim_books_positions_ledger", |db| {
        Box::pin(sim_books_positions_ledger(db))
    }),
    ("sim_orders_lifecycle_and_idempotency", |db| {
        Box::pin(sim_orders_lifecycle_and_idempotency(db))
    }),
    ("sim_fills_and_day_window", |db| {
        Box::pin(sim_fills_and_day_window(db))
    }),
    ("sim_competitions_and_entrants", |db| {
        Box::pin(sim_competitions_and_entrants(db))
    }),
    ("sim_imports_replace_atomically", |db| {
        Box::pin(sim_imports_replace_atomically(db))
    }),
    ("sim_events_resume", |db| Box::pin(sim_events_resume(db))),
    ("sim_tick_candidates", |db| {
        Box::pin(sim_tick_candidates(db))
    }),
    ("sim_order_path_reads_and_writes_as_a_unit", |db| {
        Box::pin(sim_order_path_reads_and_writes_as_a_unit(db))
    }),
    ("api_keys_lifecycle", |db| Box::pin(api_keys_lifecycle(db))),
    ("usage_counts_add_and_summarise", |db| {
        Box::pin(usage_counts_add_and_summarise(db))
    }),
    ("billing_documents_plans_and_isolation", |db| {
        Box::pin(billing_documents_plans_and_isolation(db))
    }),
    ("webhooks_endpoints_messages_and_isolation", |db| {
        Box::pin(webhooks_endpoints_messages_and_isolation(db))
    }),
];

pub use ratelimit::{LIMITER_CASES, LimiterCase, LimiterFactory};

/// Every cache case, by name.
pub const CACHE_CASES: &[(&str, CacheCase)] = &[
    ("cache_set_get_delete", |c| {
        Box::pin(cache_set_get_delete(c))
    }),
    ("cache_expiry", |c| Box::pin(cache_expiry(c))),
    ("cache_ping", |c| Box::pin(cache_ping(c))),
];

fn clock() -> ManualClock {
    ManualClock::at_unix(1_780_000_000)
}

fn new_tenant(slug: &str, name: &str) -> NewTenant {
    NewTenant {
        slug: TenantSlug::parse(slug).unwrap(),
        name: name.to_owned(),
        plan: Plan::Basic,
        branding: Branding {
            display_name: name.to_owned(),
            logo_url: None,
            primary_colour: HexColour::default(),
        },
        settings: TenantSettings::default(),
    }
}

async fn add_tenant(db: &Arc<dyn Database>, c: &ManualClock, slug: &str, name: &str) -> TenantId {
    let id = TenantId::generate(c);
    let new = new_tenant(slug, name);
    committed!(db, id, |tx| db.tenants().create(tx, id, &new, c.now())).unwrap();
    c.advance(time::Duration::seconds(1));
    id
}

fn new_user(email: &str, name: &str, role: Role) -> NewUser {
    NewUser {
        email: Email::parse(email).unwrap(),
        display_name: name.to_owned(),
        role,
        password_hash: PasswordHash::from_phc(
            "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA".to_owned(),
        ),
        email_verified_at: None,
    }
}
