//! Jobs and schedules every deployment runs.

use super::registry::{JobFailure, JobPayload, KindOptions, Registry};
use super::scheduler::Schedule;
use nexus_domain::Clock;
use nexus_domain::paging::{MAX_LIMIT, PageRequest};
use nexus_domain::schedule::Cadence;
use nexus_domain::tenancy::TenantQuery;
use nexus_store::{Database, StoreError};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// How long succeeded and cancelled jobs are kept (the personal-data registry's
/// retention for `job`).
pub const FINISHED_JOB_RETENTION_DAYS: i64 = 7;

/// Deletes succeeded and cancelled jobs past their retention.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PurgeFinishedJobs {}

impl JobPayload for PurgeFinishedJobs {
    const KIND: &'static str = "system.purge_finished_jobs";
}

/// Deletes sessions that ended over 30 days ago and stale login throttles, per tenant
/// (the retention the personal-data registry promises for `app_session` and
/// `auth_throttle`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PurgeAuthState {}

impl JobPayload for PurgeAuthState {
    const KIND: &'static str = "system.purge_auth_state";
}

/// Days an ended session is kept.
pub const ENDED_SESSION_RETENTION_DAYS: i64 = 30;

/// Deletes one tenant's metered usage past its retention (run per tenant).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PurgeUsage {}

impl JobPayload for PurgeUsage {
    const KIND: &'static str = "system.purge_usage";
}

/// Days metered usage is kept (the personal-data registry's retention for
/// `api_usage`): thirteen months of invoices and year-on-year reports.
pub const USAGE_RETENTION_DAYS: i64 = 400;

/// Closes the months one tenant has no invoice for yet (run per tenant, daily, so a
/// missed day is caught up the next).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CloseBillingPeriod {}

impl JobPayload for CloseBillingPeriod {
    const KIND: &'static str = "billing.close_period";
}

/// Deletes one tenant's webhook messages (and their attempts) past their retention.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PurgeWebhookMessages {}

impl JobPayload for PurgeWebhookMessages {
    const KIND: &'static str = "system.purge_webhook_messages";
}

/// Days a webhook message and its delivery log are kept (the personal-data
/// registry's retention for `webhook_message`): long enough to replay after a
/// receiver's month-end outage, short enough that payloads do not pile up.
pub const WEBHOOK_MESSAGE_RETENTION_DAYS: i64 = 30;

/// Does nothing; for smoke tests, benchmarks and checking a worker end to end.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Noop {}

impl JobPayload for Noop {
    const KIND: &'static str = "system.noop";
}

/// Registers the built-in handlers.
pub fn register(
    registry: &mut Registry,
    db: &Arc<dyn Database>,
    clock: Arc<dyn Clock>,
    mailer: Arc<dyn crate::mail::Mailer>,
) {
    crate::recovery::register(registry, db, clock.clone(), mailer);
    let jobs = db.jobs();
    let (db2, clock2) = (db.clone(), clock.clone());
    let (usage, clock3) = (db.usage(), clock.clone());
    let (hooks, clock4) = (db.webhooks(), clock.clone());
    let billing = crate::billing::BillingService::manual(
        db.clone(),
        crate::audit::AuditService::new(db.audit(), clock.clone()),
        clock.clone(),
    );
    registry.register::<PurgeAuthState, _, _>(KindOptions::default(), move |_ctx, _p| {
        let (db, clock) = (db2.clone(), clock2.clone());
        async move {
            purge_auth_state(db.as_ref(), clock.as_ref())
                .await
                .map_err(|e| JobFailure::Retry(e.to_string()))
        }
    });
    registry.register::<PurgeFinishedJobs, _, _>(KindOptions::default(), move |_ctx, _p| {
        let (jobs, clock) = (jobs.clone(), clock.clone());
        async move {
            let before = clock.now() - time::Duration::days(FINISHED_JOB_RETENTION_DAYS);
            let n = jobs
                .purge_finished(before)
                .await
                .map_err(|e| JobFailure::Retry(e.to_string()))?;
            tracing::info!(purged = n, "finished jobs past retention purged");
            Ok(())
        }
    });
    registry.register::<PurgeUsage, _, _>(KindOptions::default(), move |ctx, _p| {
        let (usage, clock) = (usage.clone(), clock3.clone());
        async move {
            let Some(tenant) = ctx.tenant else {
                return Err(JobFailure::Permanent(
                    "a usage purge needs a tenant".to_owned(),
                ));
            };
            let before = clock.now() - time::Duration::days(USAGE_RETENTION_DAYS);
            let n = usage
                .purge_before(tenant, before)
                .await
                .map_err(|e| JobFailure::Retry(e.to_string()))?;
            tracing::info!(purged = n, "metered usage past retention purged");
            Ok(())
        }
    });
    registry.register::<PurgeWebhookMessages, _, _>(KindOptions::default(), move |ctx, _p| {
        let (hooks, clock) = (hooks.clone(), clock4.clone());
        async move {
            let Some(tenant) = ctx.tenant else {
                return Err(JobFailure::Permanent(
                    "a webhook purge needs a tenant".to_owned(),
                ));
            };
            let before = clock.now() - time::Duration::days(WEBHOOK_MESSAGE_RETENTION_DAYS);
            let n = hooks
                .purge_messages(tenant, before)
                .await
                .map_err(|e| JobFailure::Retry(e.to_string()))?;
            tracing::info!(purged = n, "webhook messages past retention purged");
            Ok(())
        }
    });
    registry.register::<CloseBillingPeriod, _, _>(KindOptions::default(), move |ctx, _p| {
        let billing = billing.clone();
        async move {
            let Some(tenant) = ctx.tenant else {
                return Err(JobFailure::Permanent(
                    "a period close needs a tenant".to_owned(),
                ));
            };
            let made = billing
                .close_missed_months(tenant)
                .await
                .map_err(|e| JobFailure::Retry(e.to_string()))?;
            if made > 0 {
                tracing::info!(tenant = %tenant, invoices = made, "billing periods closed");
            }
            Ok(())
        }
    });
    registry.register::<Noop, _, _>(
        KindOptions {
            timeout: Duration::from_secs(5),
            ..KindOptions::default()
        },
        |_ctx, _p| async { Ok(()) },
    );
}

/// The built-in schedules.
pub fn schedules() -> Vec<Schedule> {
    vec![
        Schedule {
            name: "purge-finished-jobs",
            kind: PurgeFinishedJobs::KIND,
            cadence: Cadence::DailyAt { hour: 3, minute: 0 },
            per_tenant: false,
            payload: serde_json::json!({}),
        },
        Schedule {
            name: "purge-auth-state",
            kind: PurgeAuthState::KIND,
            cadence: Cadence::DailyAt {
                hour: 3,
                minute: 30,
            },
            per_tenant: false,
            payload: serde_json::json!({}),
        },
        Schedule {
            name: "close-billing-period",
            kind: CloseBillingPeriod::KIND,
            cadence: Cadence::DailyAt { hour: 2, minute: 0 },
            per_tenant: true,
            payload: serde_json::json!({}),
        },
        Schedule {
            name: "purge-webhook-messages",
            kind: PurgeWebhookMessages::KIND,
            cadence: Cadence::DailyAt { hour: 4, minute: 0 },
            per_tenant: true,
            payload: serde_json::json!({}),
        },
        Schedule {
            name: "purge-usage",
            kind: PurgeUsage::KIND,
            cadence: Cadence::DailyAt {
                hour: 3,
                minute: 45,
            },
            per_tenant: true,
            payload: serde_json::json!({}),
        },
    ]
}

async fn purge_auth_state(db: &dyn Database, clock: &dyn Clock) -> Result<(), StoreError> {
    let now = clock.now();
    let (mut sessions, mut throttles, mut tokens, mut offset) = (0, 0, 0, 0);
    loop {
        let page = PageRequest::new(Some(MAX_LIMIT), Some(offset))
            .map_err(|e| StoreError::other("paging tenants", e))?;
        let tenants = db
            .tenants()
            .list(&TenantQuery {
                page,
                ..TenantQuery::default()
            })
            .await?;
        for t in &tenants.items {
            sessions += db
                .sessions()
                .purge_ended(
                    t.id,
                    now - time::Duration::days(ENDED_SESSION_RETENTION_DAYS),
                )
                .await?;
            throttles += db
                .throttles()
                .purge_stale(t.id, now - time::Duration::days(1))
                .await?;
            tokens += db
                .recovery()
                .purge(
                    t.id,
                    now - time::Duration::days(1),
                    now - time::Duration::days(30),
                )
                .await?;
        }
        offset += tenants.items.len() as u64;
        if tenants.items.len() < MAX_LIMIT as usize {
            break;
        }
    }
    tracing::info!(
        sessions,
        throttles,
        tokens,
        "ended sessions, stale throttles, old tokens and outbox mail purged"
    );
    Ok(())
}
