//! Webhooks: tenants' endpoints (each change audited), the delivery log and replay,
//! the outbox that raises events ([`Outbox`]) and the delivery jobs ([`Delivery`]).
//!
//! Delivery is at least once: a message is retried on the schedule in
//! [`nexus_domain::webhook::retry_after`] until a 2xx answer or nine attempts, and
//! receivers deduplicate by the `webhook-id` header, which every retry and replay of a
//! message repeats. An endpoint whose messages keep running out of attempts is disabled
//! and the tenant's owners and admins are mailed.

mod delivery;
mod outbox;

pub use delivery::{ATTEMPT_TIMEOUT, Deliver, Delivery, Response, Transport, register};
pub use outbox::Outbox;

use crate::AppError;
use crate::audit::{AuditService, Caller, Record};
use nexus_domain::access::Permission;
use nexus_domain::paging::{Page, PageRequest};
use nexus_domain::webhook::{
    Attempt, Endpoint, EndpointUrl, EventType, MAX_ENDPOINTS, Message, MessageId, MessageQuery,
    MessageStatus, NewEndpoint, UrlPolicy, WebhookId, WebhookSecret,
};
use nexus_domain::{Clock, TenantId};
use nexus_store::{Database, StoreError, Tx, WebhookStore};
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::Arc;

/// How long past its due time a pending message must be before replay treats it as
/// stuck. Attempts run within seconds of being due, and a job retries database trouble
/// for a few minutes at most.
const STUCK_AFTER: time::Duration = time::Duration::hours(1);

/// A change to an endpoint; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct EndpointPatch {
    /// New target.
    pub url: Option<EndpointUrl>,
    /// New subscriptions (non-empty).
    pub events: Option<BTreeSet<EventType>>,
    /// New label.
    pub description: Option<String>,
    /// Enable (clearing the failure count) or disable.
    pub enabled: Option<bool>,
}

/// Endpoint and delivery-log use cases (`webhook:manage`).
#[derive(Clone)]
pub struct WebhookService {
    db: Arc<dyn Database>,
    store: Arc<dyn WebhookStore>,
    outbox_jobs: Arc<dyn nexus_store::JobStore>,
    audit: AuditService,
    clock: Arc<dyn Clock>,
    policy: UrlPolicy,
}

fn store_err(e: StoreError) -> AppError {
    AppError::from_store("webhook", e)
}

/// An endpoint as audited: never the secret.
fn shown(e: &Endpoint) -> serde_json::Value {
    json!({
        "url": e.url.as_str(),
        "events": e.events.iter().map(|e| e.as_str()).collect::<Vec<_>>(),
        "description": e.description,
        "enabled": e.enabled(),
    })
}

impl WebhookService {
    /// Wires the service; endpoints must be public `https` URLs.
    pub fn new(db: Arc<dyn Database>, audit: AuditService, clock: Arc<dyn Clock>) -> Self {
        Self {
            store: db.webhooks(),
            outbox_jobs: db.jobs(),
            db,
            audit,
            clock,
            policy: UrlPolicy::PublicHttps,
        }
    }

    /// The same service accepting endpoints under `policy` (configuration).
    #[must_use]
    pub fn with_policy(mut self, policy: UrlPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Which targets endpoints may name.
    pub fn policy(&self) -> UrlPolicy {
        self.policy
    }

    async fn audited(
        &self,
        caller: &Caller,
        tenant: TenantId,
        action: &str,
        id: WebhookId,
        diff: serde_json::Value,
        change: impl for<'t> FnOnce(
            &'t mut dyn Tx,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<(), AppError>> + Send + 't>,
        > + Send,
    ) -> Result<(), AppError> {
        let mut tx = self.db.begin(Some(tenant)).await.map_err(store_err)?;
        change(tx.as_mut()).await?;
        let r = Record {
            tenant: Some(tenant),
            action,
            target: format!("webhook:{id}"),
            diff: Some(diff),
        };
        self.audit.record_in(tx.as_mut(), caller, r).await?;
        tx.commit().await.map_err(store_err)
    }

    fn new_secret() -> Result<WebhookSecret, AppError> {
        let mut random = [0u8; 32];
        getrandom::fill(&mut random).map_err(|e| AppError::Internal(e.to_string().into()))?;
        Ok(WebhookSecret::from_random(random))
    }

    /// Registers an endpoint with a fresh signing secret (returned in the endpoint).
    pub async fn create(
        &self,
        caller: &Caller,
        tenant: TenantId,
        new: NewEndpoint,
    ) -> Result<Endpoint, AppError> {
        caller.require(tenant, Permission::WebhookManage)?;
        let existing = self
            .store
            .endpoints(tenant, PageRequest::default())
            .await
            .map_err(store_err)?;
        if existing.total >= MAX_ENDPOINTS {
            return Err(AppError::Conflict {
                code: "webhook_endpoint_limit",
                message: "a tenant may register at most 20 webhook endpoints",
            });
        }
        let now = self.clock.now();
        let endpoint = Endpoint {
            id: WebhookId::generate(self.clock.as_ref()),
            url: new.url,
            events: new.events,
            description: new.description,
            secret: Self::new_secret()?,
            disabled_at: None,
            disabled_reason: None,
            failed_messages: 0,
            created_at: now,
            updated_at: now,
        };
        let (store, e) = (self.store.clone(), endpoint.clone());
        self.audited(
            caller,
            tenant,
            "webhook.endpoint_create",
            endpoint.id,
            json!({ "after": shown(&endpoint) }),
            move |tx| {
                Box::pin(async move {
                    store
                        .create_endpoint(tx, tenant, &e)
                        .await
                        .map_err(store_err)
                })
            },
        )
        .await?;
        Ok(endpoint)
    }

    /// The tenant's endpoints, newest first.
    pub async fn list(
        &self,
        caller: &Caller,
        tenant: TenantId,
        page: PageRequest,
    ) -> Result<Page<Endpoint>, AppError> {
        caller.require(tenant, Permission::WebhookManage)?;
        self.store.endpoints(tenant, page).await.map_err(store_err)
    }

    /// One endpoint.
    pub async fn get(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: WebhookId,
    ) -> Result<Endpoint, AppError> {
        caller.require(tenant, Permission::WebhookManage)?;
        self.store.endpoint(tenant, id).await.map_err(store_err)
    }

    /// Changes an endpoint under its row lock (so a delivery's failure count and an
    /// admin's change cannot overwrite each other), audited with before and after.
    async fn change(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: WebhookId,
        action: &str,
        apply: impl FnOnce(&mut Endpoint) -> Result<(), AppError>,
    ) -> Result<Endpoint, AppError> {
        caller.require(tenant, Permission::WebhookManage)?;
        let mut tx = self.db.begin(Some(tenant)).await.map_err(store_err)?;
        let before = self
            .store
            .lock_endpoint(tx.as_mut(), tenant, id)
            .await
            .map_err(store_err)?;
        let mut after = before.clone();
        apply(&mut after)?;
        after.updated_at = self.clock.now();
        self.store
            .update_endpoint(tx.as_mut(), tenant, &after)
            .await
            .map_err(store_err)?;
        let r = Record {
            tenant: Some(tenant),
            action,
            target: format!("webhook:{id}"),
            diff: Some(json!({ "before": shown(&before), "after": shown(&after) })),
        };
        self.audit.record_in(tx.as_mut(), caller, r).await?;
        tx.commit().await.map_err(store_err)?;
        Ok(after)
    }

    /// Changes an endpoint. Enabling clears its failure count; messages that failed
    /// while it was down stay failed until replayed.
    pub async fn update(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: WebhookId,
        patch: EndpointPatch,
    ) -> Result<Endpoint, AppError> {
        let now = self.clock.now();
        self.change(caller, tenant, id, "webhook.endpoint_update", |e| {
            if let Some(url) = patch.url {
                e.url = url;
            }
            if let Some(events) = patch.events {
                e.events = events;
            }
            if let Some(d) = patch.description {
                e.description = d;
            }
            match patch.enabled {
                Some(true) if !e.enabled() => {
                    e.disabled_at = None;
                    e.disabled_reason = None;
                    e.failed_messages = 0;
                }
                Some(false) if e.enabled() => {
                    e.disabled_at = Some(now);
                    e.disabled_reason = Some("admin".to_owned());
                }
                _ => {}
            }
            Ok(())
        })
        .await
    }

    /// Replaces the signing secret at once (returned in the endpoint).
    pub async fn rotate_secret(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: WebhookId,
    ) -> Result<Endpoint, AppError> {
        let secret = Self::new_secret()?;
        self.change(caller, tenant, id, "webhook.endpoint_rotate_secret", |e| {
            e.secret = secret;
            Ok(())
        })
        .await
    }

    /// Deletes an endpoint with its delivery log.
    pub async fn delete(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: WebhookId,
    ) -> Result<(), AppError> {
        let before = self.get(caller, tenant, id).await?;
        let store = self.store.clone();
        self.audited(
            caller,
            tenant,
            "webhook.endpoint_delete",
            id,
            json!({ "before": shown(&before) }),
            move |tx| {
                Box::pin(async move {
                    store
                        .delete_endpoint(tx, tenant, id)
                        .await
                        .map_err(store_err)
                })
            },
        )
        .await
    }

    /// The delivery log: messages, newest first.
    pub async fn messages(
        &self,
        caller: &Caller,
        tenant: TenantId,
        query: &MessageQuery,
    ) -> Result<Page<Message>, AppError> {
        caller.require(tenant, Permission::WebhookManage)?;
        self.store
            .messages(tenant, query)
            .await
            .map_err(|e| AppError::from_store("webhook_message", e))
    }

    /// One message with its attempts, oldest first.
    pub async fn message(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: MessageId,
    ) -> Result<(Message, Vec<Attempt>), AppError> {
        caller.require(tenant, Permission::WebhookManage)?;
        let m = self
            .store
            .message(tenant, id)
            .await
            .map_err(|e| AppError::from_store("webhook_message", e))?;
        let attempts = self.store.attempts(tenant, id).await.map_err(store_err)?;
        Ok((m, attempts))
    }

    /// Sends a delivered or failed message again, with a fresh attempt budget and the
    /// same `webhook-id` (so a receiver that had it can tell). Audited. A message still
    /// pending an hour after its attempt was due is stuck (its job died on database
    /// trouble) and may be replayed too.
    pub async fn replay(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: MessageId,
    ) -> Result<Message, AppError> {
        let (mut message, _) = self.message(caller, tenant, id).await?;
        let now = self.clock.now();
        let stuck = message
            .next_attempt_at
            .is_none_or(|due| due < now - STUCK_AFTER);
        if message.status == MessageStatus::Pending && !stuck {
            return Err(AppError::Conflict {
                code: "webhook_message_pending",
                message: "the message is still being delivered",
            });
        }
        let endpoint = self.get(caller, tenant, message.endpoint).await?;
        if !endpoint.enabled() {
            return Err(AppError::Conflict {
                code: "webhook_endpoint_disabled",
                message: "enable the endpoint before replaying its messages",
            });
        }
        let expected = message.total_attempts;
        message.status = MessageStatus::Pending;
        message.attempts = 0;
        message.next_attempt_at = Some(now);
        message.delivered_at = None;
        let (store, jobs, clock, m) = (
            self.store.clone(),
            self.outbox_jobs.clone(),
            self.clock.clone(),
            message.clone(),
        );
        self.audited(
            caller,
            tenant,
            "webhook.message_replay",
            endpoint.id,
            json!({ "message": id, "event": message.event.as_str() }),
            move |tx| {
                Box::pin(async move {
                    if !store
                        .save_message(tx, tenant, &m, expected)
                        .await
                        .map_err(store_err)?
                    {
                        return Err(AppError::Conflict {
                            code: "webhook_message_pending",
                            message: "the message is still being delivered",
                        });
                    }
                    outbox::enqueue_attempt(
                        jobs.as_ref(),
                        clock.as_ref(),
                        tx,
                        tenant,
                        m.id,
                        expected + 1,
                        now,
                        outbox::Queued::Replay,
                    )
                    .await
                })
            },
        )
        .await?;
        Ok(message)
    }
}
