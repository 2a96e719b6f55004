//! The cache, counted: every lookup lands in `nexus_cache_lookups_total{backend,
//! keyspace, result}`, so dashboards show the hit ratio per kind of entry (tenants,
//! sessions, API keys). A decorator here rather than code in each backend, so both
//! count alike and the store crate stays free of metrics.

use async_trait::async_trait;
use nexus_store::{CacheStore, StoreError};
use std::sync::Arc;
use std::time::Duration;

/// A [`CacheStore`] that counts hits, misses and errors of the one it wraps.
#[derive(Debug)]
pub(crate) struct CountedCache {
    inner: Arc<dyn CacheStore>,
}

impl CountedCache {
    pub(crate) fn new(inner: Arc<dyn CacheStore>) -> Self {
        Self { inner }
    }
}

/// The key's namespace: what comes before the first `:` (`tenant`, `session`, …). Keys
/// are built by our code, so the label set is bounded by it, never by user input.
fn keyspace(key: &str) -> &str {
    key.split_once(':').map_or("other", |(space, _)| space)
}

/// The keyspaces our code writes, so the label costs no allocation per lookup (this runs
/// on every cached read); any other prefix is still labelled, as an owned string.
const KNOWN: [&str; 7] = [
    "tenant",
    "session",
    "apikey",
    "course-current",
    "catalogue",
    "catalogue-gen",
    "other",
];

fn label(key: &str) -> std::borrow::Cow<'static, str> {
    let space = keyspace(key);
    KNOWN
        .iter()
        .find(|k| **k == space)
        .map_or_else(|| space.to_owned().into(), |k| (*k).into())
}

#[async_trait]
impl CacheStore for CountedCache {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    // Forwarded: callers that trust their decoded copies over a local cache (API keys)
    // skip the lookup, so those uses are not counted here.
    fn is_local(&self) -> bool {
        self.inner.is_local()
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let got = self.inner.get(key).await;
        let result = match &got {
            Ok(Some(_)) => "hit",
            Ok(None) => "miss",
            Err(_) => "error",
        };
        metrics::counter!(
            "nexus_cache_lookups_total",
            "backend" => self.inner.backend(),
            "keyspace" => label(key),
            "result" => result
        )
        .increment(1);
        got
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        self.inner.set(key, value, ttl).await
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.inner.delete(key).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }
}

#[cfg(test)]
mod tests {
    use super::keyspace;

    #[test]
    fn the_keyspace_is_the_prefix_our_code_wrote() {
        assert_eq!(keyspace("tenant:slug:demo"), "tenant");
        assert_eq!(keyspace("session:abc"), "session");
        assert_eq!(keyspace("no-prefix"), "other");
        assert_eq!(super::label("course-current:t:c"), "course-current");
        assert_eq!(super::label("mystery:x"), "mystery");
    }
}
