//! Redis implementation of [`CacheStore`], shared by every replica.
//!
//! The connection is opened lazily and re-established by redis' `ConnectionManager`; every
//! operation is bounded by a timeout so that a stalled Redis costs a request at most that
//! long before the caller falls back to the database. Keys are prefixed with a namespace
//! so several deployments can share one Redis.

mod ratelimit;

pub use ratelimit::RedisRateLimits;

use async_trait::async_trait;
use nexus_store::{CacheStore, StoreError};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::time::Duration;
use tokio::sync::OnceCell;

/// A Redis-backed cache.
pub struct RedisCache {
    client: redis::Client,
    conn: OnceCell<ConnectionManager>,
    prefix: String,
    timeout: Duration,
}

impl std::fmt::Debug for RedisCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The client holds the URL, which may carry a password: never print it.
        f.debug_struct("RedisCache")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisCache {
    /// Parses the URL without connecting. `prefix` namespaces every key.
    pub fn new(url: &str, prefix: &str, timeout: Duration) -> Result<Self, StoreError> {
        let client =
            redis::Client::open(url).map_err(|e| StoreError::other("parsing the redis url", e))?;
        Ok(Self {
            client,
            conn: OnceCell::new(),
            prefix: prefix.to_owned(),
            timeout,
        })
    }

    pub(crate) async fn conn(&self) -> Result<ConnectionManager, StoreError> {
        let cfg = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(1);
        let fut = self
            .conn
            .get_or_try_init(|| self.client.get_connection_manager_with_config(cfg));
        match tokio::time::timeout(self.timeout * 2, fut).await {
            Ok(Ok(c)) => Ok(c.clone()),
            Ok(Err(e)) => Err(StoreError::Unavailable(Box::new(e))),
            Err(e) => Err(StoreError::Unavailable(Box::new(e))),
        }
    }

    /// Runs `cmd` (named `op` in its span) within the timeout.
    async fn run<T: redis::FromRedisValue>(
        &self,
        op: &'static str,
        cmd: &redis::Cmd,
    ) -> Result<T, StoreError> {
        let work = async {
            let mut conn = self.conn().await?;
            match tokio::time::timeout(self.timeout, cmd.query_async::<T>(&mut conn)).await {
                Ok(Ok(v)) => Ok(v),
                Ok(Err(e)) => Err(classify(e)),
                Err(e) => Err(StoreError::Unavailable(Box::new(e))),
            }
        };
        tracing::Instrument::instrument(work, span(op)).await
    }

    /// The timeout every operation is bounded by.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    pub(crate) fn key(&self, key: &str) -> String {
        format!("{}:{key}", self.prefix)
    }
}

/// A client span for one Redis command, named by the command only: keys can hold
/// session-token hashes and must not be exported.
pub(crate) fn span(op: &'static str) -> tracing::Span {
    tracing::info_span!(
        "redis",
        otel.name = op,
        otel.kind = "client",
        db.system.name = "redis",
    )
}

#[async_trait]
impl CacheStore for RedisCache {
    fn backend(&self) -> &'static str {
        "redis"
    }

    // Shared by every replica: another one may change an entry at any time.
    fn is_local(&self) -> bool {
        false
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.run("redis GET", redis::cmd("GET").arg(self.key(key)))
            .await
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        self.run(
            "redis SET",
            redis::cmd("SET")
                .arg(self.key(key))
                .arg(value)
                .arg("PX")
                .arg(ms),
        )
        .await
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.run::<i64>("redis DEL", redis::cmd("DEL").arg(self.key(key)))
            .await
            .map(|_| ())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.run::<String>("redis PING", &redis::cmd("PING"))
            .await
            .map(|_| ())
    }
}

/// An outage (the caller may fall back) or a failure of the command itself.
pub(crate) fn classify(e: redis::RedisError) -> StoreError {
    if e.is_io_error() || e.is_timeout() || e.is_connection_dropped() || e.is_connection_refusal() {
        StoreError::Unavailable(Box::new(e))
    } else {
        StoreError::other("running a redis command", e)
    }
}
