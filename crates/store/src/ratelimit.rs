//! The rate-limit port and its in-process implementation.
//!
//! One call decides and records a request atomically. In process the TAT map lives
//! behind a mutex (one node); on Redis one script does the same for every replica. Time
//! is the backend's own monotonic or server clock, not the injected wall clock: limits
//! are about real elapsed time, and on Redis every replica must share one clock.

use crate::StoreError;
use async_trait::async_trait;
use nexus_domain::ratelimit::{Decision, Quota, gcra};
use std::sync::Mutex;
use std::time::Instant;

/// Decides requests against quotas, per key.
#[async_trait]
pub trait RateLimitStore: Send + Sync + std::fmt::Debug {
    /// `"memory"` or `"redis"`.
    fn backend(&self) -> &'static str;
    /// Decides a request of `cost` units for `key` under `quota`, and records it if
    /// admitted.
    async fn acquire(&self, key: &str, quota: Quota, cost: u32) -> Result<Decision, StoreError>;

    /// Decides one request against several buckets in order, as [`Self::acquire`] on
    /// each would, stopping at the first refusal: the decisions taken, the refusal
    /// last. Buckets before a refusal stay charged, those after it are not touched.
    /// One step for all (one lock, one round trip), so a request pays once.
    async fn acquire_all(
        &self,
        buckets: &[(&str, Quota)],
        cost: u32,
    ) -> Result<Vec<Decision>, StoreError>;
}

/// How often the in-process limiter drops drained keys (at its next decision): they
/// hold client addresses and user IDs, kept no longer than their window needs.
const PRUNE_EVERY_US: i64 = 10_000_000;

/// The single-node limiter: a bounded map of TATs in microseconds since start.
#[derive(Debug)]
pub struct MemoryRateLimits {
    started: Instant,
    tats: Mutex<Tats>,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Tats {
    /// Foldhash (its seeded quality variant), not SipHash: three lookups a request, and
    /// the keys are server-made IDs and client addresses, which a client cannot choose
    /// freely enough to flood one bucket of a randomly seeded map.
    by_key: std::collections::HashMap<String, i64, foldhash::quality::RandomState>,
    pruned_at: i64,
}

impl Tats {
    /// One bucket's decision, recorded if admitted.
    fn decide(
        &mut self,
        key: &str,
        quota: Quota,
        cost: u32,
        now: i64,
        capacity: usize,
    ) -> Decision {
        // A known key is looked up once and updated in place (no allocation on the
        // hot path).
        if let Some(t) = self.by_key.get_mut(key) {
            let (decision, next) = gcra(Some(*t), now, quota, cost);
            if let Some(tat) = next {
                *t = tat;
            }
            return decision;
        }
        let (decision, next) = gcra(None, now, quota, cost);
        if let Some(tat) = next {
            if self.by_key.len() >= capacity {
                self.by_key.retain(|_, t| *t > now);
            }
            if self.by_key.len() < capacity {
                self.by_key.insert(key.to_owned(), tat);
            }
        }
        decision
    }

    /// Drops keys whose TAT has passed if the last prune is [`PRUNE_EVERY_US`] old. Such
    /// a key is back to its full limit: forgetting it changes no decision.
    fn prune_if_due(&mut self, now: i64) {
        if now - self.pruned_at >= PRUNE_EVERY_US {
            self.by_key.retain(|_, t| *t > now);
            self.pruned_at = now;
        }
    }
}

impl MemoryRateLimits {
    /// A limiter tracking at most `capacity` keys (idle ones are dropped first).
    pub fn new(capacity: usize) -> Self {
        Self {
            started: Instant::now(),
            tats: Mutex::new(Tats::default()),
            capacity: capacity.max(1),
        }
    }

    fn now_us(&self) -> i64 {
        i64::try_from(self.started.elapsed().as_micros()).unwrap_or(i64::MAX)
    }
}

#[async_trait]
impl RateLimitStore for MemoryRateLimits {
    fn backend(&self) -> &'static str {
        "memory"
    }

    async fn acquire(&self, key: &str, quota: Quota, cost: u32) -> Result<Decision, StoreError> {
        Ok(self.decide(key, quota, cost, self.now_us()))
    }

    async fn acquire_all(
        &self,
        buckets: &[(&str, Quota)],
        cost: u32,
    ) -> Result<Vec<Decision>, StoreError> {
        Ok(self.decide_all(buckets, cost, self.now_us()))
    }
}

impl MemoryRateLimits {
    /// The map, with drained keys dropped if a prune is due.
    fn lock(&self, now: i64) -> std::sync::MutexGuard<'_, Tats> {
        // A panic while holding the lock cannot leave the map half-updated (one insert
        // at a time), so a poisoned lock is safe to reuse.
        let mut tats = self
            .tats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        tats.prune_if_due(now);
        tats
    }

    /// Decides at `now` (microseconds since start).
    fn decide(&self, key: &str, quota: Quota, cost: u32, now: i64) -> Decision {
        self.lock(now).decide(key, quota, cost, now, self.capacity)
    }

    /// Decides every bucket at `now` under one lock, stopping at the first refusal.
    fn decide_all(&self, buckets: &[(&str, Quota)], cost: u32, now: i64) -> Vec<Decision> {
        let mut tats = self.lock(now);
        let mut out = Vec::with_capacity(buckets.len());
        for &(key, quota) in buckets {
            let decision = tats.decide(key, quota, cost, now, self.capacity);
            out.push(decision);
            if !decision.allowed {
                break;
            }
        }
        out
    }

    /// Drops drained keys if the last prune is [`PRUNE_EVERY_US`] old: for a fallback
    /// limiter that stops deciding when the shared one answers again.
    pub fn prune_if_due(&self) {
        // Taking the lock prunes when due.
        drop(self.lock(self.now_us()));
    }

    /// Keys held (drained ones included until the next prune).
    pub fn keys(&self) -> usize {
        self.tats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .by_key
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drained_keys_are_dropped_at_the_next_prune() {
        let limits = MemoryRateLimits::new(100);
        let quota = Quota {
            limit: 2,
            window_us: 60_000_000,
        };
        assert!(limits.decide("ip:a", quota, 1, 0).allowed);
        assert!(limits.decide("ip:b", quota, 1, 1_000).allowed);
        assert_eq!(limits.keys(), 2);
        // One window later both have drained; the next decision prunes them.
        assert!(limits.decide("ip:c", quota, 1, 61_000_000).allowed);
        assert_eq!(limits.keys(), 1, "only the new key is held");
        // Within the prune interval nothing is dropped, drained or not.
        assert!(limits.decide("ip:d", quota, 1, 61_000_001).allowed);
        assert_eq!(limits.keys(), 2);
    }

    #[test]
    fn a_pruned_key_starts_full_as_it_would_have() {
        let limits = MemoryRateLimits::new(100);
        let quota = Quota {
            limit: 1,
            window_us: 60_000_000,
        };
        assert!(limits.decide("user:x", quota, 1, 0).allowed);
        assert!(!limits.decide("user:x", quota, 1, 1).allowed, "spent");
        assert!(limits.decide("user:x", quota, 1, 70_000_000).allowed);
    }
}
