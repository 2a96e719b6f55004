//! Background jobs: the durable queue's vocabulary.
//!
//! A job is `kind` + JSON payload (+ optional tenant), run at least once by a worker.
//! Invariants:
//! - `(kind, idempotency_key)` is unique, so enqueueing the same logical job twice
//!   yields one job;
//! - a job is claimed under a fresh [`LockToken`] and only that token can finish it, so a
//!   worker that lost its claim (visibility timeout) cannot overwrite the new owner;
//! - `attempts` counts claims; a job claimed `max_attempts` times without success is
//!   dead, never retried automatically.

use crate::paging::PageRequest;
use crate::validation::{FieldError, invalid};
use crate::{TenantId, define_id};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use time::OffsetDateTime;

define_id!(
    /// Identifies a job.
    JobId
);
define_id!(
    /// Identifies one claim of a job; only its holder may complete or fail it.
    LockToken
);

/// Lifecycle of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = JobState))]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for `run_at`.
    Queued,
    /// Claimed by a worker until `locked_until`.
    Running,
    /// Finished successfully.
    Succeeded,
    /// Failed `max_attempts` times; needs an operator.
    Dead,
    /// Cancelled by an operator before it ran.
    Cancelled,
}

impl JobState {
    /// Stable storage and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Dead => "dead",
            Self::Cancelled => "cancelled",
        }
    }
    /// Parses the storage and wire name.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw {
            "queued" => Ok(Self::Queued),
            "running" => Ok(Self::Running),
            "succeeded" => Ok(Self::Succeeded),
            "dead" => Ok(Self::Dead),
            "cancelled" => Ok(Self::Cancelled),
            _ => Err(invalid(
                "unknown_value",
                "must be one of: queued, running, succeeded, dead, cancelled",
            )),
        }
    }
}

/// Checks a job kind: dotted lowercase words, e.g. `identity.send_email`.
pub fn parse_kind(raw: &str) -> Result<String, FieldError> {
    let ok = !raw.is_empty()
        && raw.len() <= 64
        && raw.split('.').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        });
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(invalid(
            "format",
            "must be dotted lowercase words like mail.send",
        ))
    }
}

/// A request to run something in the background.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    /// Which handler runs it.
    pub kind: String,
    /// The tenant it acts for, if any.
    pub tenant: Option<TenantId>,
    /// Handler input.
    pub payload: serde_json::Value,
    /// Higher runs first among due jobs.
    pub priority: i16,
    /// Not before this instant.
    pub run_at: OffsetDateTime,
    /// Claims allowed before the job is dead.
    pub max_attempts: u32,
    /// Deduplicates enqueues of the same logical job (per kind).
    pub idempotency_key: Option<String>,
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    /// Identity.
    pub id: JobId,
    /// Handler kind.
    pub kind: String,
    /// Tenant it acts for.
    pub tenant: Option<TenantId>,
    /// Handler input.
    pub payload: serde_json::Value,
    /// Priority.
    pub priority: i16,
    /// Lifecycle state.
    pub state: JobState,
    /// Earliest next run.
    pub run_at: OffsetDateTime,
    /// Claims so far.
    pub attempts: u32,
    /// Claim budget.
    pub max_attempts: u32,
    /// The last failure's message (operator-facing).
    pub last_error: Option<String>,
    /// Deduplication key.
    pub idempotency_key: Option<String>,
    /// When a running claim expires.
    pub locked_until: Option<OffsetDateTime>,
    /// Created.
    pub created_at: OffsetDateTime,
    /// Last changed.
    pub updated_at: OffsetDateTime,
    /// Reached a final state.
    pub finished_at: Option<OffsetDateTime>,
}

/// What an enqueue did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enqueued {
    /// The job (new, or the existing one with the same idempotency key).
    pub id: JobId,
    /// False when an existing job was found instead.
    pub created: bool,
}

/// Per-kind queue statistics, for metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindStats {
    /// Handler kind.
    pub kind: String,
    /// Due or future queued jobs.
    pub queued: u64,
    /// Currently claimed.
    pub running: u64,
    /// Dead jobs awaiting an operator.
    pub dead: u64,
    /// `run_at` of the oldest due queued job.
    pub oldest_due: Option<OffsetDateTime>,
}

/// Filter and window for listing jobs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobQuery {
    /// Only this state.
    pub state: Option<JobState>,
    /// Only this kind.
    pub kind: Option<String>,
    /// Only this tenant.
    pub tenant: Option<TenantId>,
    /// Window (newest first).
    pub page: PageRequest,
}

/// Exponential backoff with full jitter, capped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay scale for the first retry.
    pub base: Duration,
    /// Upper bound.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(5),
            max: Duration::from_hours(1),
        }
    }
}

impl Backoff {
    /// Delay before retry number `attempt` (1-based). `unit` in `[0, 1)` is the jitter
    /// draw; the delay lies in `[cap/2, cap]` where `cap = min(max, base·2^(attempt-1))`,
    /// so retries spread out but never collapse to zero.
    pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
        let exp = attempt.saturating_sub(1).min(30);
        let cap = self.base.saturating_mul(1u32 << exp).min(self.max);
        let unit = unit.clamp(0.0, 1.0);
        cap.mul_f64(0.5 + unit / 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let b = Backoff {
            base: Duration::from_secs(2),
            max: Duration::from_mins(1),
        };
        assert_eq!(b.delay(1, 1.0), Duration::from_secs(2));
        assert_eq!(b.delay(1, 0.0), Duration::from_secs(1));
        assert_eq!(b.delay(3, 1.0), Duration::from_secs(8));
        assert_eq!(b.delay(20, 1.0), Duration::from_mins(1), "capped");
        assert_eq!(
            b.delay(200, 0.0),
            Duration::from_secs(30),
            "no overflow at huge attempts"
        );
        for i in 0..=10 {
            let d = b.delay(4, f64::from(i) / 10.0);
            assert!(d >= Duration::from_secs(8) && d <= Duration::from_secs(16));
        }
    }

    #[test]
    fn kinds() {
        assert!(parse_kind("mail.send").is_ok());
        assert!(parse_kind("system.noop_2").is_ok());
        for bad in ["", "Mail.send", "mail..send", "mail send", ".x"] {
            assert!(parse_kind(bad).is_err(), "{bad}");
        }
    }
}
