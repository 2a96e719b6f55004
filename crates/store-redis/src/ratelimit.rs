//! The shared rate limiter: one Lua script decides and records a request atomically,
//! so replicas sharing a Redis never admit more than the quota between them.
//!
//! The script is `nexus_domain::ratelimit::gcra` transcribed, on the Redis server's
//! clock (`TIME`), so replicas with drifting clocks still agree. Lua numbers are
//! doubles: microseconds since the epoch (about 1.8e15) are exact below 2^53.

use crate::{RedisCache, classify};
use async_trait::async_trait;
use nexus_domain::ratelimit::{Decision, Quota};
use nexus_store::{RateLimitStore, StoreError};
use std::time::Duration;

/// Every bucket of one request, in order, stopping at the first refusal: `ARGV[1]` is
/// the cost, then each key's window and limit. Answers four numbers per decision.
/// All keys of one call must live on one node: fine for the single-node client used
/// here; a Redis Cluster client would need the keys in one hash slot.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local requested = tonumber(ARGV[1])
local out = {}
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[2 * i])
  local limit = tonumber(ARGV[2 * i + 1])
  local cost = math.min(requested, limit)
  local unit = math.max(math.floor(window / limit), 1)
  local tat = tonumber(redis.call('GET', key))
  local base = now
  if tat and tat > now then base = tat end
  local new_tat = base + cost * unit
  local allow_at = new_tat - window
  if allow_at > now then
    for _, v in ipairs({0, 0, base - now, allow_at - now}) do table.insert(out, v) end
    return out
  end
  redis.call('SET', key, string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1)
  for _, v in ipairs({1, math.floor((window - (new_tat - now)) / unit), new_tat - now, 0}) do
    table.insert(out, v)
  end
end
return out
";

/// A Redis-backed limiter shared by every replica.
#[derive(Debug)]
pub struct RedisRateLimits {
    redis: RedisCache,
    script: redis::Script,
}

impl RedisRateLimits {
    /// Parses the URL without connecting; keys go under `prefix:rl:`.
    pub fn new(url: &str, prefix: &str, timeout: Duration) -> Result<Self, StoreError> {
        Ok(Self {
            redis: RedisCache::new(url, prefix, timeout)?,
            script: redis::Script::new(GCRA),
        })
    }
}

#[async_trait]
impl RateLimitStore for RedisRateLimits {
    fn backend(&self) -> &'static str {
        "redis"
    }

    async fn acquire(&self, key: &str, quota: Quota, cost: u32) -> Result<Decision, StoreError> {
        self.acquire_all(&[(key, quota)], cost)
            .await?
            .first()
            .copied()
            .ok_or_else(|| {
                StoreError::other("deciding a rate limit", "the script answered nothing")
            })
    }

    async fn acquire_all(
        &self,
        buckets: &[(&str, Quota)],
        cost: u32,
    ) -> Result<Vec<Decision>, StoreError> {
        if buckets.is_empty() {
            return Ok(Vec::new());
        }
        let decide = async {
            let mut conn = self.redis.conn().await?;
            let mut call = self.script.prepare_invoke();
            call.arg(cost);
            for (key, quota) in buckets {
                call.key(self.redis.key(&format!("rl:{key}")))
                    .arg(quota.window_us)
                    .arg(quota.limit);
            }
            match tokio::time::timeout(self.redis.timeout(), call.invoke_async(&mut conn)).await {
                Ok(Ok(v)) => Ok(v),
                Ok(Err(e)) => Err(classify(e)),
                Err(e) => Err(StoreError::Unavailable(Box::new(e))),
            }
        };
        let out: Vec<i64> =
            tracing::Instrument::instrument(decide, crate::span("redis EVALSHA")).await?;
        let decisions: Vec<Decision> = out
            .chunks_exact(4)
            .map(|d| Decision {
                allowed: d[0] == 1,
                remaining: u32::try_from(d[1].max(0)).unwrap_or(u32::MAX),
                reset_us: d[2],
                retry_after_us: d[3],
            })
            .collect();
        // Every bucket up to the first refusal, and nothing after it.
        let (last, before) = decisions
            .split_last()
            .map_or((None, &[][..]), |(l, b)| (Some(l), b));
        let complete = out.len().is_multiple_of(4)
            && decisions.len() <= buckets.len()
            && before.iter().all(|d| d.allowed)
            && last.is_some_and(|d| decisions.len() == buckets.len() || !d.allowed);
        if !complete {
            return Err(StoreError::other(
                "deciding a rate limit",
                format!("the script answered {out:?} for {} buckets", buckets.len()),
            ));
        }
        Ok(decisions)
    }
}
