//! Webhooks: the events tenants subscribe to, endpoints and their rules, Standard
//! Webhooks signing, and the retry schedule.
//!
//! A message is signed as the Standard Webhooks specification says: HMAC-SHA256 with
//! the endpoint's secret over `"{id}.{timestamp}.{body}"`, sent as
//! `webhook-signature: v1,<base64>` beside `webhook-id` and `webhook-timestamp`, so a
//! receiver can use any Standard Webhooks library and reject replays by timestamp.

mod delivery;
mod endpoint;
mod signing;

pub use delivery::{
    AfterAttempt, Attempt, Endpoint, MAX_ENDPOINTS, Message, MessageId, MessageQuery,
    MessageStatus, RESPONSE_EXCERPT, after_attempt, envelope,
};
pub use endpoint::{
    EndpointUrl, EventType, NewEndpoint, UrlPolicy, WebhookId, is_internal, parse_description,
    parse_events,
};
pub use signing::{SECRET_PREFIX, SignatureError, WebhookSecret, sign, verify};

/// Delay before attempt `n + 1` after `n` failed attempts (1-based): 5 s, 30 s, 2 min,
/// 10 min, 30 min, 1 h, 2 h, 4 h. `None`: give up. About eight hours in all, so a
/// receiver that is down overnight still gets its messages.
pub fn retry_after(failed_attempts: u32) -> Option<std::time::Duration> {
    const SCHEDULE: [u64; 8] = [5, 30, 120, 600, 1_800, 3_600, 7_200, 14_400];
    let i = usize::try_from(failed_attempts).ok()?.checked_sub(1)?;
    SCHEDULE.get(i).map(|s| std::time::Duration::from_secs(*s))
}

/// Attempts a message gets at most (the first plus every retry).
pub const MAX_ATTEMPTS: u32 = 9;

/// Consecutive failed messages after which an endpoint is disabled (and its admins told).
pub const DISABLE_AFTER_FAILED_MESSAGES: u32 = 5;

#[cfg(test)]
mod tests;
