//! Active users and sessions: `nexus_active_users` and `nexus_active_sessions`, the
//! distinct users (or API keys' owners) and sessions this node served in the last 5 to
//! 10 minutes.
//!
//! Two fixed windows: IDs seen in the current one and the one before are counted once.
//! A request only inserts its IDs; the count is taken at each metrics scrape. Memory is one
//! entry per active caller, capped. Per node: behind a load balancer the sum over nodes
//! is an upper bound (a user served by two nodes counts twice). Windows use the
//! monotonic clock: they measure recent traffic, not business time. Fed by the
//! rate-limit middleware, so a node with both rate limits and metering off (a benchmark
//! set-up) does not count.

use std::hash::BuildHasherDefault;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long one window lasts.
const WINDOW: Duration = Duration::from_mins(5);
/// Most IDs held per window; past it, new callers are not counted (the gauge saturates
/// rather than memory growing without bound).
const CAP: usize = 1_000_000;

/// A set of IDs hashed by folding them. They are UUIDs made by this server (not chosen
/// by clients) with random low bits, so folding is hash enough, and it is cheaper than
/// SipHash on every request.
type HashSet = std::collections::HashSet<u128, BuildHasherDefault<FoldHasher>>;

#[derive(Default)]
struct FoldHasher(u64);

impl std::hash::Hasher for FoldHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    #[allow(clippy::cast_possible_truncation)] // folding the halves is the point
    fn write_u128(&mut self, i: u128) {
        self.0 = (i as u64) ^ ((i >> 64) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Distinct IDs seen recently, published as a gauge.
#[derive(Debug)]
pub struct Recent {
    gauge: &'static str,
    inner: Mutex<Windows>,
}

#[derive(Debug)]
struct Windows {
    started: Instant,
    current: HashSet,
    previous: HashSet,
}

impl Recent {
    /// A tracker publishing to the gauge `name`.
    pub fn new(gauge: &'static str) -> Self {
        Self {
            gauge,
            inner: Mutex::new(Windows {
                started: Instant::now(),
                current: HashSet::default(),
                previous: HashSet::default(),
            }),
        }
    }

    /// Notes `id` as seen now.
    pub fn saw(&self, id: u128) {
        self.saw_at(id, Instant::now());
    }

    fn saw_at(&self, id: u128, now: Instant) {
        let mut w = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        w.advance(now);
        if w.current.len() < CAP {
            w.current.insert(id);
        }
    }

    /// Rotates the windows to now and publishes the count: called at every scrape, so
    /// the gauge falls when traffic stops.
    pub fn publish(&self) {
        self.publish_at(Instant::now());
    }

    fn publish_at(&self, now: Instant) {
        let count = {
            let mut w = self
                .inner
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            w.advance(now);
            w.count()
        };
        #[allow(clippy::cast_precision_loss)]
        metrics::gauge!(self.gauge).set(count as f64);
    }

    /// The count now (for tests).
    pub fn count(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .count()
    }
}

impl Windows {
    /// Moves the windows on by whole windows, so each lasts exactly [`WINDOW`].
    fn advance(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.started);
        if elapsed < WINDOW {
            return;
        }
        let windows = u32::try_from(elapsed.as_secs() / WINDOW.as_secs()).unwrap_or(u32::MAX);
        let current = std::mem::take(&mut self.current);
        // Two windows gone by: nothing from before is recent any more.
        self.previous = if windows >= 2 {
            HashSet::default()
        } else {
            current
        };
        self.started += WINDOW * windows;
    }

    /// `|current ∪ previous|`.
    fn count(&self) -> usize {
        self.current.len() + self.previous.difference(&self.current).count()
    }
}

/// The node's active users and sessions.
#[derive(Debug)]
pub struct Active {
    /// Users (and API keys' owners).
    pub users: Recent,
    /// Sign-in sessions.
    pub sessions: Recent,
}

impl Active {
    /// Publishes both gauges (see [`Recent::publish`]).
    pub fn publish(&self) {
        self.users.publish();
        self.sessions.publish();
    }
}

impl Default for Active {
    fn default() -> Self {
        Self {
            users: Recent::new("nexus_active_users"),
            sessions: Recent::new("nexus_active_sessions"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_count_once_across_two_windows_and_fall_out_after_them() {
        let r = Recent::new("test_recent");
        let t0 = Instant::now();
        r.saw_at(1, t0);
        r.saw_at(1, t0);
        r.saw_at(2, t0);
        assert_eq!(r.count(), 2);
        // Next window: 1 again is not new; 3 is.
        r.saw_at(1, t0 + WINDOW);
        r.saw_at(3, t0 + WINDOW);
        assert_eq!(r.count(), 3, "2 is still recent (previous window)");
        // A window later, 2 has fallen out; 1 and 3 are in the previous window.
        r.saw_at(4, t0 + 2 * WINDOW);
        assert_eq!(r.count(), 3, "1, 3 and 4");
        // After a long quiet spell, only the newcomer counts.
        r.saw_at(5, t0 + 10 * WINDOW);
        assert_eq!(r.count(), 1);
        // With no traffic at all, a scrape still moves the windows on.
        r.publish_at(t0 + 11 * WINDOW);
        assert_eq!(r.count(), 1, "5 is in the previous window");
        r.publish_at(t0 + 12 * WINDOW);
        assert_eq!(r.count(), 0);
    }
}
