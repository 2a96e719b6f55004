//! The tamper-evident audit trail.
//!
//! Events form one hash chain per tenant (and one for platform-level events): each event
//! stores the hash of its predecessor, and its own hash covers every field plus that
//! link. Altering, deleting or reordering any stored event breaks the chain at that
//! point, which [`verify`] reports. The diff is stored as canonical JSON text (keys
//! sorted), so what is hashed is exactly what is stored, on every backend.

use crate::paging::Order;
use crate::{TenantId, define_id};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

define_id!(
    /// Identifies an audit event.
    AuditEventId
);

/// The `prev_hash` of a chain's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The chain a tenant's (or the platform's) events belong to.
pub fn chain_of(tenant: Option<TenantId>) -> String {
    tenant.map_or_else(|| "platform".to_owned(), |t| t.to_string())
}

/// What happened, before it is chained.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEvent {
    /// The tenant it concerns; `None` for platform-level actions.
    pub tenant: Option<TenantId>,
    /// Who did it (`user:<id>`, `platform`, `system`, `anonymous`).
    pub actor: String,
    /// What was done, dotted (e.g. `auth.login_failed`, `tenant.update`).
    pub action: String,
    /// What it was done to (e.g. `user:<id>`, `tenant:<slug>`).
    pub target: String,
    /// Client address.
    pub ip: Option<String>,
    /// Client software.
    pub user_agent: Option<String>,
    /// The request that did it.
    pub request_id: Option<String>,
    /// Before/after, where it applies.
    pub diff: Option<serde_json::Value>,
}

/// A chained, stored event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = AuditEvent))]
pub struct AuditEvent {
    /// Chain (tenant id or `platform`).
    pub chain: String,
    /// Position in the chain, from 1, without gaps.
    pub seq: i64,
    /// Identity.
    pub id: AuditEventId,
    /// Tenant.
    pub tenant: Option<TenantId>,
    /// When, to the microsecond.
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// To what.
    pub target: String,
    /// Client address.
    pub ip: Option<String>,
    /// Client software.
    pub user_agent: Option<String>,
    /// Request ID.
    pub request_id: Option<String>,
    /// Canonical JSON of the before/after diff.
    pub diff: Option<String>,
    /// Hash of the previous event in the chain ([`GENESIS`] for the first).
    pub prev_hash: String,
    /// This event's hash.
    pub hash: String,
}

/// An event recorded but not yet chained: what a backend that chains later (see
/// `AuditStore::seal`) stores first. Its time is fixed when it is recorded and its diff is
/// already canonical, so chaining it later hashes exactly what was recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingAuditEvent {
    /// Identity.
    pub id: AuditEventId,
    /// Tenant.
    pub tenant: Option<TenantId>,
    /// When, to the microsecond.
    pub occurred_at: OffsetDateTime,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// To what.
    pub target: String,
    /// Client address.
    pub ip: Option<String>,
    /// Client software.
    pub user_agent: Option<String>,
    /// Request ID.
    pub request_id: Option<String>,
    /// Canonical JSON of the diff.
    pub diff: Option<String>,
}

impl PendingAuditEvent {
    /// `new` as recorded at `at` (truncated to microseconds, which every backend stores).
    pub fn new(new: NewAuditEvent, id: AuditEventId, at: OffsetDateTime) -> Self {
        let micros = at.unix_timestamp_nanos() / 1000;
        let occurred_at = OffsetDateTime::from_unix_timestamp_nanos(micros * 1000).unwrap_or(at);
        Self {
            id,
            tenant: new.tenant,
            occurred_at,
            actor: new.actor,
            action: new.action,
            target: new.target,
            ip: new.ip,
            user_agent: new.user_agent,
            request_id: new.request_id,
            diff: new.diff.as_ref().map(canonical_json),
        }
    }

    /// The chain it will join.
    pub fn chain(&self) -> String {
        chain_of(self.tenant)
    }
}

impl AuditEvent {
    /// Chains `new` after `(prev_seq, prev_hash)` at `at` (truncated to microseconds).
    pub fn chain(
        new: NewAuditEvent,
        id: AuditEventId,
        at: OffsetDateTime,
        prev: Option<(i64, String)>,
    ) -> Self {
        Self::link(PendingAuditEvent::new(new, id, at), prev)
    }

    /// Chains a recorded event after `(prev_seq, prev_hash)`.
    pub fn link(p: PendingAuditEvent, prev: Option<(i64, String)>) -> Self {
        let (prev_seq, prev_hash) = prev.unwrap_or((0, GENESIS.to_owned()));
        let mut e = Self {
            chain: p.chain(),
            seq: prev_seq + 1,
            id: p.id,
            tenant: p.tenant,
            occurred_at: p.occurred_at,
            actor: p.actor,
            action: p.action,
            target: p.target,
            ip: p.ip,
            user_agent: p.user_agent,
            request_id: p.request_id,
            diff: p.diff,
            prev_hash,
            hash: String::new(),
        };
        e.hash = e.compute_hash();
        e
    }

    /// SHA-256 (hex) over every field but `hash`, length-prefixed so no two field lists
    /// serialise alike.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        let micros = (self.occurred_at.unix_timestamp_nanos() / 1000).to_string();
        let fields: [&str; 12] = [
            &self.chain,
            &self.seq.to_string(),
            &self.id.to_string(),
            &micros,
            &self.actor,
            &self.action,
            &self.target,
            self.ip.as_deref().unwrap_or("\u{0}"),
            self.user_agent.as_deref().unwrap_or("\u{0}"),
            self.request_id.as_deref().unwrap_or("\u{0}"),
            self.diff.as_deref().unwrap_or("\u{0}"),
            &self.prev_hash,
        ];
        for f in fields {
            h.update((f.len() as u64).to_be_bytes());
            h.update(f.as_bytes());
        }
        hex::encode(h.finalize())
    }
}

/// JSON with object keys sorted at every level.
pub fn canonical_json(v: &serde_json::Value) -> String {
    fn sort(v: &serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(m) => {
                let sorted: std::collections::BTreeMap<&String, serde_json::Value> =
                    m.iter().map(|(k, v)| (k, sort(v))).collect();
                serde_json::Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
            }
            serde_json::Value::Array(a) => serde_json::Value::Array(a.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    let sorted = sort(v);
    // BTreeMap iteration is sorted; serde_json's Map preserves that order whether or not
    // its `preserve_order` feature is on.
    serde_json::to_string(&sorted).unwrap_or_default()
}

/// Where a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("chain {chain} is broken at seq {seq}: {reason}")]
pub struct ChainBreak {
    /// The chain.
    pub chain: String,
    /// The first bad position.
    pub seq: i64,
    /// What is wrong there.
    pub reason: &'static str,
}

/// Checks a chain's events (in `seq` order) against the recorded head `(seq, hash)`.
/// Returns how many events were verified.
pub fn verify(
    chain: &str,
    events: &[AuditEvent],
    head: Option<(i64, &str)>,
) -> Result<u64, ChainBreak> {
    let mut prev_hash = GENESIS.to_owned();
    let mut expected = 1;
    let brk = |seq, reason| ChainBreak {
        chain: chain.to_owned(),
        seq,
        reason,
    };
    for e in events {
        if e.seq != expected {
            return Err(brk(
                expected,
                if e.seq > expected {
                    "an event is missing"
                } else {
                    "events are out of order"
                },
            ));
        }
        if e.prev_hash != prev_hash {
            return Err(brk(e.seq, "the link to the previous event does not match"));
        }
        if e.compute_hash() != e.hash {
            return Err(brk(e.seq, "the event was altered"));
        }
        prev_hash.clone_from(&e.hash);
        expected += 1;
    }
    match head {
        Some((seq, _)) if seq < expected - 1 => Err(brk(
            seq + 1,
            "events past the recorded head (added, or the head moved back)",
        )),
        Some((seq, _)) if seq != expected - 1 => {
            Err(brk(expected, "events after this point were deleted"))
        }
        Some((_, hash)) if hash != prev_hash => Err(brk(
            expected - 1,
            "the chain head does not match the last event",
        )),
        None if expected > 1 => Err(brk(1, "the chain head is missing")),
        _ => Ok(u64::try_from(expected - 1).unwrap_or(0)),
    }
}

/// Filters and cursor for reading the trail. The default is the newest 50 events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only this actor.
    pub actor: Option<String>,
    /// Only this action (exact) or prefix ending in `.` (e.g. `auth.`).
    pub action: Option<String>,
    /// At or after.
    pub from: Option<OffsetDateTime>,
    /// Before.
    pub to: Option<OffsetDateTime>,
    /// Cursor: only events with `seq` beyond this (in the chosen order).
    pub after_seq: Option<i64>,
    /// Oldest first (`Asc`, for export) or newest first (`Desc`).
    pub order: Order,
    /// Page size.
    pub limit: u32,
}

impl Default for AuditQuery {
    fn default() -> Self {
        Self {
            actor: None,
            action: None,
            from: None,
            to: None,
            after_seq: None,
            order: Order::Desc,
            limit: 50,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Clock, ManualClock};

    fn ev(n: u32) -> NewAuditEvent {
        NewAuditEvent {
            tenant: None,
            actor: "platform".into(),
            action: "tenant.update".into(),
            target: format!("tenant:t{n}"),
            ip: Some("10.0.0.1".into()),
            user_agent: None,
            request_id: None,
            diff: Some(
                serde_json::json!({ "b": 1, "a": { "z": true, "y": [3, { "k": 1, "j": 2 }] } }),
            ),
        }
    }

    fn chain3() -> Vec<AuditEvent> {
        let c = ManualClock::at_unix(1_780_000_000);
        let mut out: Vec<AuditEvent> = Vec::new();
        for n in 0..3 {
            let prev = out.last().map(|e| (e.seq, e.hash.clone()));
            out.push(AuditEvent::chain(
                ev(n),
                AuditEventId::generate(&c),
                c.now(),
                prev,
            ));
        }
        out
    }

    #[test]
    fn an_intact_chain_verifies() {
        let events = chain3();
        assert_eq!(
            events[0].diff.as_deref(),
            Some(r#"{"a":{"y":[3,{"j":2,"k":1}],"z":true},"b":1}"#)
        );
        let head = (3, events[2].hash.as_str());
        assert_eq!(verify("platform", &events, Some(head)), Ok(3));
    }

    #[test]
    fn alteration_deletion_and_reordering_are_caught() {
        let events = chain3();
        let head = Some((3, events[2].hash.as_str()));
        let mut altered = events.clone();
        altered[1].target = "tenant:evil".into();
        assert_eq!(verify("platform", &altered, head).unwrap_err().seq, 2);
        let mut deleted = events.clone();
        deleted.remove(1);
        assert_eq!(
            verify("platform", &deleted, head).unwrap_err().reason,
            "an event is missing"
        );
        let truncated = &events[..2];
        assert_eq!(
            verify("platform", truncated, head).unwrap_err().reason,
            "events after this point were deleted"
        );
        // Events no head covers: added past it, or the head moved back to event 2.
        let behind = Some((2, events[1].hash.as_str()));
        let past = verify("platform", &events, behind).unwrap_err();
        assert_eq!(
            (past.seq, past.reason),
            (
                3,
                "events past the recorded head (added, or the head moved back)"
            )
        );
        let mut swapped = events.clone();
        swapped.swap(0, 1);
        assert!(verify("platform", &swapped, head).is_err());
        // Re-hashing an altered event does not help: its successor's link breaks.
        let mut rehashed = events.clone();
        rehashed[0].actor = "someone-else".into();
        rehashed[0].hash = rehashed[0].compute_hash();
        assert_eq!(verify("platform", &rehashed, head).unwrap_err().seq, 2);
    }
}
