//! The rate-limit port and its in-process implementation.
//!
//! One call decides and records a request atomically. In process the TAT map lives
//! behind a mutex (one node); on Redis one script does the same for every replica. Time
//! is the backend's own monotonic or server clock, not the injected wall clock: limits
//! are about real elapsed time, and on Redis every replica must share one clock.

use crate::StoreError;
use async_trait::async_trait;
use nexus_domain::ratelimit::{Decision, Quota, gcra};
use std::collections::HashMap;
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
}

/// The single-node limiter: a bounded map of TATs in microseconds since start.
#[derive(Debug)]
pub struct MemoryRateLimits {
    started: Instant,
    tats: Mutex<HashMap<String, i64>>,
    capacity: usize,
}

impl MemoryRateLimits {
    /// A limiter tracking at most `capacity` keys (idle ones are dropped first).
    pub fn new(capacity: usize) -> Self {
        Self {
            started: Instant::now(),
            tats: Mutex::new(HashMap::new()),
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
        let now = self.now_us();
        // A panic while holding the lock cannot leave the map half-updated (one insert
        // at a time), so a poisoned lock is safe to reuse.
        let mut tats = self
            .tats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (decision, next) = gcra(tats.get(key).copied(), now, quota, cost);
        if let Some(tat) = next {
            if tats.len() >= self.capacity && !tats.contains_key(key) {
                // A key whose TAT has passed is back to its full limit: forgetting it
                // changes no decision.
                tats.retain(|_, t| *t > now);
            }
            if tats.len() < self.capacity || tats.contains_key(key) {
                tats.insert(key.to_owned(), tat);
            }
        }
        Ok(decision)
    }
}
