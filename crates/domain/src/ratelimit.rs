//! Rate limiting by GCRA (the generic cell rate algorithm), in whole microseconds.
//!
//! A quota is `limit` cost units per `window`, with a burst of the whole limit. Each
//! key keeps one number, its theoretical arrival time (TAT): the instant by which its
//! admitted cost will have drained. A request of cost `c` is admitted when
//! `max(TAT, now) + c·T − window ≤ now`, where `T = window / limit` is the cost of one
//! unit in time; then TAT moves to `max(TAT, now) + c·T`. One number per key and one
//! comparison make it cheap in process and atomic in one Redis script, and unlike a
//! fixed window it never admits two windows' worth at a boundary.
//!
//! The same function runs in process and (transcribed) in the Redis script, so the two
//! backends decide alike; the contract suite checks that they do.

/// `limit` cost units per `window_us` microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Units admitted per window (also the burst).
    pub limit: u32,
    /// The window, in microseconds.
    pub window_us: i64,
}

impl Quota {
    /// `limit` units per `window`.
    pub fn per(limit: u32, window: std::time::Duration) -> Self {
        Self {
            limit: limit.max(1),
            window_us: i64::try_from(window.as_micros()).unwrap_or(i64::MAX).max(1),
        }
    }

    /// The time one unit costs.
    pub fn unit_us(&self) -> i64 {
        (self.window_us / i64::from(self.limit)).max(1)
    }
}

/// What the limiter decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Admitted.
    pub allowed: bool,
    /// Units still admissible right now, after this request.
    pub remaining: u32,
    /// Microseconds until the key is back to its full limit.
    pub reset_us: i64,
    /// When refused: microseconds until this request would be admitted.
    pub retry_after_us: i64,
}

impl Decision {
    /// Whole seconds until reset, rounded up (the `t` of the `RateLimit` header).
    pub fn reset_secs(&self) -> u64 {
        ceil_secs(self.reset_us)
    }
    /// Whole seconds to wait, rounded up, at least 1 when refused (`Retry-After`).
    pub fn retry_after_secs(&self) -> u64 {
        ceil_secs(self.retry_after_us).max(u64::from(!self.allowed))
    }
}

fn ceil_secs(us: i64) -> u64 {
    u64::try_from(us.max(0)).unwrap_or(0).div_ceil(1_000_000)
}

/// Decides a request of `cost` units at `now_us` for a key whose TAT is `tat_us`
/// (`None`: never seen). Returns the decision and, when admitted, the new TAT to store.
/// A cost above the limit is charged as the whole limit, so it can still pass once the
/// key is idle.
pub fn gcra(tat_us: Option<i64>, now_us: i64, quota: Quota, cost: u32) -> (Decision, Option<i64>) {
    let unit = quota.unit_us();
    let cost = i64::from(cost.min(quota.limit));
    let base = tat_us.map_or(now_us, |t| t.max(now_us));
    let new_tat = base.saturating_add(cost.saturating_mul(unit));
    let allow_at = new_tat - quota.window_us;
    if allow_at > now_us {
        let decision = Decision {
            allowed: false,
            remaining: 0,
            reset_us: base - now_us,
            retry_after_us: allow_at - now_us,
        };
        return (decision, None);
    }
    let left = (quota.window_us - (new_tat - now_us)) / unit;
    let decision = Decision {
        allowed: true,
        remaining: u32::try_from(left.max(0)).unwrap_or(u32::MAX),
        reset_us: new_tat - now_us,
        retry_after_us: 0,
    };
    (decision, Some(new_tat))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::time::Duration;

    fn run(quota: Quota, times: &[(i64, u32)]) -> Vec<bool> {
        let mut tat = None;
        times
            .iter()
            .map(|(now, cost)| {
                let (d, next) = gcra(tat, *now, quota, *cost);
                if next.is_some() {
                    tat = next;
                }
                d.allowed
            })
            .collect()
    }

    #[test]
    fn a_burst_of_the_limit_then_one_per_unit() {
        let q = Quota::per(10, Duration::from_secs(1)); // one unit per 100 ms
        let burst: Vec<(i64, u32)> = (0..12).map(|_| (0, 1)).collect();
        let got = run(q, &burst);
        assert_eq!(got.iter().filter(|a| **a).count(), 10);
        assert!(!got[10] && !got[11]);
        let (d, _) = gcra(Some(1_000_000), 0, q, 1);
        assert!(!d.allowed);
        assert_eq!(d.retry_after_us, 100_000);
        assert_eq!(d.retry_after_secs(), 1);
        // After 100 ms one more unit is admissible, not two.
        let (d, tat) = gcra(Some(1_000_000), 100_000, q, 1);
        assert!(d.allowed && d.remaining == 0, "{d:?}");
        assert!(!gcra(tat, 100_000, q, 1).0.allowed);
    }

    #[test]
    fn cost_weights_draw_more_and_remaining_counts_units() {
        let q = Quota::per(10, Duration::from_secs(10));
        let (d, tat) = gcra(None, 0, q, 4);
        assert_eq!((d.allowed, d.remaining, d.reset_us), (true, 6, 4_000_000));
        let (d, tat) = gcra(tat, 0, q, 6);
        assert_eq!((d.allowed, d.remaining), (true, 0));
        assert!(!gcra(tat, 0, q, 1).0.allowed);
        // A cost above the limit passes on an idle key, as the whole limit.
        let (d, _) = gcra(None, 0, q, 50);
        assert_eq!((d.allowed, d.remaining), (true, 0));
    }

    #[test]
    fn never_more_than_the_burst_plus_the_rate_in_any_interval() {
        // GCRA's guarantee: in any interval of length d, at most `limit + d / T` units
        // (the burst, plus what drains meanwhile). Requests every 7 ms for 5 s against
        // 20 per second (T = 50 ms).
        let q = Quota::per(20, Duration::from_secs(1));
        let times: Vec<(i64, u32)> = (0..715).map(|i| (i * 7_000, 1)).collect();
        let got = run(q, &times);
        let admitted: Vec<i64> = times
            .iter()
            .zip(&got)
            .filter(|(_, a)| **a)
            .map(|((t, _), _)| *t)
            .collect();
        for d in [100_000, 1_000_000, 3_000_000] {
            let bound = 20 + usize::try_from(d / q.unit_us()).unwrap();
            for start in (0..5_000_000 - d).step_by(7_000) {
                let n = admitted
                    .iter()
                    .filter(|t| **t >= start && **t < start + d)
                    .count();
                assert!(n <= bound, "{n} admitted in {d} µs from {start}");
            }
        }
        // And it does admit that much: the burst plus one per 50 ms.
        assert!((119..=121).contains(&admitted.len()), "{}", admitted.len());
    }
}
