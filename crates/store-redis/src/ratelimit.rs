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

const GCRA: &str = r"
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local cost = math.min(tonumber(ARGV[3]), limit)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local unit = math.max(math.floor(window / limit), 1)
local tat = tonumber(redis.call('GET', KEYS[1]))
local base = now
if tat and tat > now then base = tat end
local new_tat = base + cost * unit
local allow_at = new_tat - window
if allow_at > now then
  return {0, 0, base - now, allow_at - now}
end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1)
return {1, math.floor((window - (new_tat - now)) / unit), new_tat - now, 0}
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
        let decide = async {
            let mut conn = self.redis.conn().await?;
            let mut call = self.script.key(self.redis.key(&format!("rl:{key}")));
            call.arg(quota.window_us).arg(quota.limit).arg(cost);
            match tokio::time::timeout(self.redis.timeout(), call.invoke_async(&mut conn)).await {
                Ok(Ok(v)) => Ok(v),
                Ok(Err(e)) => Err(classify(e)),
                Err(e) => Err(StoreError::Unavailable(Box::new(e))),
            }
        };
        let out: Vec<i64> =
            tracing::Instrument::instrument(decide, crate::span("redis EVALSHA")).await?;
        let [allowed, remaining, reset_us, retry_after_us] = out[..] else {
            return Err(StoreError::other(
                "deciding a rate limit",
                format!("the script answered {out:?}"),
            ));
        };
        Ok(Decision {
            allowed: allowed == 1,
            remaining: u32::try_from(remaining.max(0)).unwrap_or(u32::MAX),
            reset_us,
            retry_after_us,
        })
    }
}
