//! Delivering messages: one HTTP attempt per job, the retry schedule, and disabling an
//! endpoint that keeps failing.

use super::outbox::{JOB_ATTEMPTS, Queued, enqueue_attempt};
use crate::AppError;
use crate::audit::{AuditService, Caller, Record};
use crate::jobs::{JobFailure, JobPayload, KindOptions, Registry};
use async_trait::async_trait;
use nexus_domain::jobs::{Backoff, JobId, NewJob};
use nexus_domain::paging::{MAX_LIMIT, PageRequest};
use nexus_domain::user::{Role, UserQuery};
use nexus_domain::webhook::{
    Attempt, DISABLE_AFTER_FAILED_MESSAGES, Endpoint, EndpointUrl, Message, MessageId,
    MessageStatus, RESPONSE_EXCERPT, after_attempt, sign,
};
use nexus_domain::{Clock, TenantId};
use nexus_store::{Database, JobStore, StoreError, WebhookStore};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// How long one attempt may take before it counts as failed.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);

/// Make attempt `seq` of a message.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deliver {
    /// The message.
    pub message: MessageId,
    /// Which attempt (1 for the first ever); a job for an attempt already made is a
    /// duplicate run and does nothing.
    pub seq: u32,
}

impl JobPayload for Deliver {
    const KIND: &'static str = "webhook.deliver";
}

/// What a receiver answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The start of the body.
    pub body: String,
}

/// Sends one signed POST. The production implementation (in the server) refuses
/// internal addresses unless configured otherwise and never follows redirects.
#[async_trait]
pub trait Transport: Send + Sync {
    /// POSTs `body` with `headers` to `url`; `Err` when no answer came (refused,
    /// timeout, blocked address, TLS), with a reason an admin can act on.
    async fn post(
        &self,
        url: &EndpointUrl,
        headers: &[(&'static str, String)],
        body: &str,
    ) -> Result<Response, String>;
}

/// Runs delivery jobs.
#[derive(Clone)]
pub struct Delivery {
    db: Arc<dyn Database>,
    store: Arc<dyn WebhookStore>,
    jobs: Arc<dyn JobStore>,
    transport: Arc<dyn Transport>,
    audit: AuditService,
    clock: Arc<dyn Clock>,
}

fn store_err(e: StoreError) -> AppError {
    AppError::from_store("webhook", e)
}

fn excerpt(text: &str) -> String {
    let mut end = text.len().min(RESPONSE_EXCERPT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

impl Delivery {
    /// Wires the runner.
    pub fn new(
        db: Arc<dyn Database>,
        transport: Arc<dyn Transport>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store: db.webhooks(),
            jobs: db.jobs(),
            audit: AuditService::new(db.audit(), clock.clone()),
            db,
            transport,
            clock,
        }
    }

    /// Makes the attempt a job names, records it, and schedules the next one or gives
    /// up. Idempotent: a duplicate run finds the attempt made and does nothing.
    #[tracing::instrument(name = "webhook.deliver", skip_all, fields(tenant_id = %tenant, message = %job.message, seq = job.seq))]
    pub async fn run(&self, tenant: TenantId, job: &Deliver) -> Result<(), AppError> {
        let message = match self.store.message(tenant, job.message).await {
            Ok(m) => m,
            // Its endpoint was deleted (with its messages), or it was purged.
            Err(StoreError::NotFound) => return Ok(()),
            Err(e) => return Err(store_err(e)),
        };
        if message.status != MessageStatus::Pending || message.total_attempts >= job.seq {
            return Ok(());
        }
        let endpoint = match self.store.endpoint(tenant, message.endpoint).await {
            Ok(e) => e,
            Err(StoreError::NotFound) => return Ok(()),
            Err(e) => return Err(store_err(e)),
        };
        if !endpoint.enabled() {
            return self.give_up(tenant, message).await;
        }
        let started = self.clock.now();
        let ts = started.unix_timestamp();
        let id = message.id.to_string();
        let headers = [
            ("webhook-id", id.clone()),
            ("webhook-timestamp", ts.to_string()),
            (
                "webhook-signature",
                sign(&endpoint.secret, &id, ts, message.body.as_bytes()),
            ),
            ("content-type", "application/json".to_owned()),
            ("user-agent", "FinAI-Nexus-Webhooks/1".to_owned()),
        ];
        let clock_start = std::time::Instant::now();
        let result = self
            .transport
            .post(&endpoint.url, &headers, &message.body)
            .await;
        let duration_ms = u32::try_from(clock_start.elapsed().as_millis()).unwrap_or(u32::MAX);
        let attempt = match result {
            Ok(r) => Attempt {
                message: message.id,
                seq: job.seq,
                at: started,
                status_code: Some(r.status),
                error: None,
                duration_ms,
                response: excerpt(&r.body),
            },
            Err(reason) => Attempt {
                message: message.id,
                seq: job.seq,
                at: started,
                status_code: None,
                error: Some(excerpt(&reason)),
                duration_ms,
                response: String::new(),
            },
        };
        tracing::info!(tenant_id = %tenant, webhook.message_id = %message.id, webhook.seq = job.seq,
            webhook.answer = attempt.status_code.map_or(0, u64::from), webhook.error = attempt.error.as_deref().unwrap_or(""),
            "webhook attempt");
        let outcome = match attempt.status_code {
            _ if attempt.succeeded() => "delivered",
            Some(_) => "refused",
            None => "no_answer",
        };
        metrics::counter!("nexus_webhook_attempts_total", "outcome" => outcome).increment(1);
        self.record(tenant, message, &attempt).await
    }

    async fn record(
        &self,
        tenant: TenantId,
        message: Message,
        attempt: &Attempt,
    ) -> Result<(), AppError> {
        let expected = message.total_attempts;
        let after = after_attempt(message, attempt);
        let now = self.clock.now();
        // Whom to tell if this disables the endpoint: read before the transaction, and
        // only for the rare attempt that exhausts a message.
        let notify = if after.exhausted {
            self.admin_addresses(tenant).await?
        } else {
            Vec::new()
        };
        let mut tx = self.db.begin(Some(tenant)).await.map_err(store_err)?;
        // The endpoint first, then its message: the order deletion locks them in, so the
        // two cannot deadlock; and under this lock messages finishing at once each count.
        let mut endpoint = match self
            .store
            .lock_endpoint(tx.as_mut(), tenant, after.message.endpoint)
            .await
        {
            Ok(e) => e,
            // Deleted meanwhile, with its messages: nothing to record.
            Err(StoreError::NotFound) => return Ok(()),
            Err(e) => return Err(store_err(e)),
        };
        if !self
            .store
            .save_message(tx.as_mut(), tenant, &after.message, expected)
            .await
            .map_err(store_err)?
        {
            // Another run of this job recorded the attempt first.
            return Ok(());
        }
        self.store
            .insert_attempt(tx.as_mut(), tenant, attempt)
            .await
            .map_err(store_err)?;
        if let Some(at) = after.retry_at {
            enqueue_attempt(
                self.jobs.as_ref(),
                self.clock.as_ref(),
                tx.as_mut(),
                tenant,
                after.message.id,
                attempt.seq + 1,
                at,
                Queued::Scheduled,
            )
            .await?;
        }
        if attempt.succeeded() || after.exhausted {
            let before = endpoint.failed_messages;
            endpoint.failed_messages = if attempt.succeeded() { 0 } else { before + 1 };
            let disabling =
                endpoint.enabled() && endpoint.failed_messages >= DISABLE_AFTER_FAILED_MESSAGES;
            if disabling {
                endpoint.disabled_at = Some(now);
                endpoint.disabled_reason = Some("failing".to_owned());
            }
            if before != endpoint.failed_messages || disabling {
                endpoint.updated_at = now;
                self.store
                    .update_endpoint(tx.as_mut(), tenant, &endpoint)
                    .await
                    .map_err(store_err)?;
            }
            if disabling {
                self.disable_notice(tx.as_mut(), tenant, &endpoint, &notify)
                    .await?;
            }
        }
        tx.commit().await.map_err(store_err)?;
        Ok(())
    }

    /// Fails a message whose endpoint is disabled, without an attempt.
    async fn give_up(&self, tenant: TenantId, mut message: Message) -> Result<(), AppError> {
        let expected = message.total_attempts;
        message.status = MessageStatus::Failed;
        message.next_attempt_at = None;
        let mut tx = self.db.begin(Some(tenant)).await.map_err(store_err)?;
        self.store
            .save_message(tx.as_mut(), tenant, &message, expected)
            .await
            .map_err(store_err)?;
        tx.commit().await.map_err(store_err)
    }

    async fn admin_addresses(&self, tenant: TenantId) -> Result<Vec<String>, AppError> {
        let mut out = Vec::new();
        for role in [Role::Admin] {
            let query = UserQuery {
                role: Some(role),
                page: PageRequest::new(Some(MAX_LIMIT), None)
                    .map_err(|e| AppError::Internal(e.to_string().into()))?,
                ..UserQuery::default()
            };
            let users = self
                .db
                .users()
                .list(tenant, &query)
                .await
                .map_err(|e| AppError::from_store("user", e))?;
            out.extend(users.items.into_iter().map(|u| u.email.as_str().to_owned()));
        }
        Ok(out)
    }

    /// Audits the disabling and mails the tenant's admins, in `tx`.
    async fn disable_notice(
        &self,
        tx: &mut dyn nexus_store::Tx,
        tenant: TenantId,
        endpoint: &Endpoint,
        to: &[String],
    ) -> Result<(), AppError> {
        let r = Record {
            tenant: Some(tenant),
            action: "webhook.endpoint_disable",
            target: format!("webhook:{}", endpoint.id),
            diff: Some(serde_json::json!({
                "reason": "failing",
                "failed_messages": endpoint.failed_messages,
                "url": endpoint.url.as_str(),
            })),
        };
        self.audit.record_in(tx, &Caller::system(), r).await?;
        metrics::counter!("nexus_webhook_endpoints_disabled_total").increment(1);
        let now = self.clock.now();
        for address in to {
            let mail = crate::recovery::SendMail {
                to: address.clone(),
                subject: "A webhook endpoint was disabled".to_owned(),
                body: format!(
                    "The webhook endpoint {} ({}) was disabled after {} messages in a row \
                     could not be delivered.\n\nIts delivery log shows each attempt and the \
                     answer received. Once the receiver works again, enable the endpoint and \
                     replay the failed messages.\n",
                    endpoint.url.as_str(),
                    endpoint.description,
                    endpoint.failed_messages
                ),
            };
            let job = NewJob {
                kind: <crate::recovery::SendMail as JobPayload>::KIND.to_owned(),
                tenant: Some(tenant),
                payload: serde_json::to_value(&mail)
                    .map_err(|e| AppError::Internal(Box::new(e)))?,
                priority: 0,
                run_at: now,
                max_attempts: KindOptions::default().max_attempts,
                idempotency_key: Some(format!(
                    "webhook-disabled:{}:{}:{address}",
                    endpoint.id,
                    now.unix_timestamp()
                )),
            };
            self.jobs
                .enqueue_in(tx, JobId::generate(self.clock.as_ref()), &job, now)
                .await
                .map_err(|e| AppError::from_store("job", e))?;
        }
        Ok(())
    }
}

/// Registers the delivery handler.
pub fn register(registry: &mut Registry, delivery: Delivery) {
    let options = KindOptions {
        max_attempts: JOB_ATTEMPTS,
        // The HTTP attempt is bounded by the transport's timeout; leave room to record.
        timeout: ATTEMPT_TIMEOUT + Duration::from_secs(15),
        backoff: Backoff::default(),
    };
    registry.register::<Deliver, _, _>(options, move |ctx, job| {
        let delivery = delivery.clone();
        async move {
            let Some(tenant) = ctx.tenant else {
                return Err(JobFailure::Permanent(
                    "a delivery needs a tenant".to_owned(),
                ));
            };
            delivery
                .run(tenant, &job)
                .await
                .map_err(|e| JobFailure::Retry(e.to_string()))
        }
    });
}
