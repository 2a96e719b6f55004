//! What is stored about endpoints and their messages, and the delivery state machine.

use super::{EndpointUrl, EventType, WebhookId, WebhookSecret};
use crate::UserId;
use crate::paging::PageRequest;
use std::collections::BTreeSet;
use time::OffsetDateTime;

crate::define_id!(
    /// Identifies one webhook message (one event for one endpoint). It is also the
    /// `webhook-id` header, the same on every retry and replay, so receivers can
    /// deduplicate.
    MessageId
);

/// A stored endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Its ID.
    pub id: WebhookId,
    /// Where messages go.
    pub url: EndpointUrl,
    /// What it receives.
    pub events: BTreeSet<EventType>,
    /// A label for admins.
    pub description: String,
    /// The signing secret (kept in clear: the server must sign with it).
    pub secret: WebhookSecret,
    /// Disabled endpoints get no new messages and their pending ones fail.
    pub disabled_at: Option<OffsetDateTime>,
    /// Why (`failing` after repeated failure, `admin` by hand).
    pub disabled_reason: Option<String>,
    /// Messages that ran out of attempts since the last success.
    pub failed_messages: u32,
    /// When it was registered.
    pub created_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

impl Endpoint {
    /// Whether it takes messages.
    pub fn enabled(&self) -> bool {
        self.disabled_at.is_none()
    }
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = WebhookMessageStatus))]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    /// Waiting for its next attempt.
    Pending,
    /// A 2xx answer was received.
    Delivered,
    /// Every attempt failed (or the endpoint was disabled); replay can try again.
    Failed,
}

impl MessageStatus {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    /// Parses a stored or wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// One event for one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Its ID (the `webhook-id`).
    pub id: MessageId,
    /// The endpoint it goes to.
    pub endpoint: WebhookId,
    /// The event.
    pub event: EventType,
    /// The exact body sent, kept as text so every retry sends the same bytes.
    pub body: String,
    /// The person the event is about, if any (for export and erasure).
    pub subject: Option<UserId>,
    /// Where it stands.
    pub status: MessageStatus,
    /// Attempts since it was created or last replayed.
    pub attempts: u32,
    /// Attempts ever made (the attempt log's length); a delivery job names the attempt
    /// it makes, so a duplicate run of the job is recognised and does nothing.
    pub total_attempts: u32,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<OffsetDateTime>,
    /// When it was delivered.
    pub delivered_at: Option<OffsetDateTime>,
}

/// One HTTP attempt, for the delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The message.
    pub message: MessageId,
    /// 1 for the message's first attempt ever.
    pub seq: u32,
    /// When it was made.
    pub at: OffsetDateTime,
    /// The receiver's status code, if it answered.
    pub status_code: Option<u16>,
    /// Why it failed without an answer (timeout, refused, blocked address).
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: u32,
    /// The start of the receiver's answer (at most [`RESPONSE_EXCERPT`] bytes).
    pub response: String,
}

impl Attempt {
    /// Whether the receiver took the message.
    pub fn succeeded(&self) -> bool {
        self.status_code.is_some_and(|c| (200..300).contains(&c))
    }
}

/// How much of a receiver's answer is kept.
pub const RESPONSE_EXCERPT: usize = 1_024;

/// Endpoints a tenant may register at most (each event fans out to all of them).
pub const MAX_ENDPOINTS: u64 = 20;

/// Filters for the delivery log.
#[derive(Debug, Clone, Default)]
pub struct MessageQuery {
    /// Only this endpoint's messages.
    pub endpoint: Option<WebhookId>,
    /// Only messages in this state.
    pub status: Option<MessageStatus>,
    /// Only this event.
    pub event: Option<EventType>,
    /// Window (newest first).
    pub page: PageRequest,
}

/// What one attempt does to its message, and whether the endpoint failed a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AfterAttempt {
    /// The message as it is now.
    pub message: Message,
    /// When to try again (pending).
    pub retry_at: Option<OffsetDateTime>,
    /// The message ran out of attempts (the endpoint's failure count goes up).
    pub exhausted: bool,
}

/// Applies an attempt's result to its message: delivered on success; otherwise pending
/// with the next retry per [`super::retry_after`], or failed once attempts run out.
pub fn after_attempt(mut message: Message, attempt: &Attempt) -> AfterAttempt {
    message.attempts += 1;
    message.total_attempts = message.total_attempts.max(attempt.seq);
    if attempt.succeeded() {
        message.status = MessageStatus::Delivered;
        message.delivered_at = Some(attempt.at);
        message.next_attempt_at = None;
        return AfterAttempt {
            message,
            retry_at: None,
            exhausted: false,
        };
    }
    let retry = (message.attempts < super::MAX_ATTEMPTS)
        .then(|| super::retry_after(message.attempts))
        .flatten()
        .and_then(|d| time::Duration::try_from(d).ok())
        .map(|d| attempt.at + d);
    message.next_attempt_at = retry;
    message.status = if retry.is_some() {
        MessageStatus::Pending
    } else {
        MessageStatus::Failed
    };
    AfterAttempt {
        exhausted: retry.is_none(),
        message,
        retry_at: retry,
    }
}

/// The body sent for an event: `{type, timestamp, data}` as Standard Webhooks suggests.
pub fn envelope(event: EventType, at: OffsetDateTime, data: &serde_json::Value) -> String {
    let timestamp = at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    serde_json::json!({ "type": event.as_str(), "timestamp": timestamp, "data": data }).to_string()
}
