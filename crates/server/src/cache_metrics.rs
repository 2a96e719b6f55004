//! The cache, counted: every lookup lands in `nexus_cache_lookups_total{backend,
//! keyspace, result}`, so dashboards show the hit ratio per kind of entry (tenants,
//! sessions, API keys). A decorator here rather than code in each backend, so both
//! count alike and the store crate stays free of metrics.

use async_trait::async_trait;
use metrics::Counter;
use nexus_store::{CacheStore, StoreError};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// A [`CacheStore`] that counts hits, misses and errors of the one it wraps.
#[derive(Debug)]
pub(crate) struct CountedCache {
    inner: Arc<dyn CacheStore>,
    /// The counters of the known keyspaces by result (hit, miss, error), registered at
    /// first use: looking a labelled counter up by name on every read built a key and
    /// locked the recorder's registry each time.
    counters: [[OnceLock<Counter>; 3]; KNOWN.len()],
}

impl CountedCache {
    pub(crate) fn new(inner: Arc<dyn CacheStore>) -> Self {
        Self {
            inner,
            counters: Default::default(),
        }
    }

    fn count(&self, key: &str, result: usize) {
        let space = keyspace(key);
        let label = RESULTS.get(result).copied().unwrap_or("error");
        let known = KNOWN
            .iter()
            .zip(&self.counters)
            .find(|(k, _)| **k == space)
            .and_then(|(k, cells)| Some((*k, cells.get(result)?)));
        match known {
            Some((space, cell)) => cell.get_or_init(|| self.lookups(space, label)).increment(1),
            None => self.lookups(space.to_owned(), label).increment(1),
        }
    }

    /// The lookup counter's series for a keyspace and result.
    fn lookups(&self, keyspace: impl Into<metrics::SharedString>, result: &'static str) -> Counter {
        metrics::counter!(
            "nexus_cache_lookups_total",
            "backend" => self.inner.backend(),
            "keyspace" => keyspace,
            "result" => result
        )
    }
}

/// The `result` label's values, by the index `count` takes.
const RESULTS: [&str; 3] = ["hit", "miss", "error"];

/// The key's namespace: what comes before the first `:` (`tenant`, `session`, …). Keys
/// are built by our code, so the label set is bounded by it, never by user input.
fn keyspace(key: &str) -> &str {
    key.split_once(':').map_or("other", |(space, _)| space)
}

/// The keyspaces our code writes, each with its counters registered once; any other
/// prefix is still labelled, looked up by name on each read.
const KNOWN: [&str; 7] = [
    "tenant",
    "session",
    "apikey",
    "course-current",
    "catalogue",
    "catalogue-gen",
    "other",
];

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
            Ok(Some(_)) => 0,
            Ok(None) => 1,
            Err(_) => 2,
        };
        self.count(key, result);
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
    use super::{CountedCache, keyspace};
    use nexus_store::MemoryCache;
    use std::sync::Arc;

    #[test]
    fn the_keyspace_is_the_prefix_our_code_wrote() {
        assert_eq!(keyspace("tenant:slug:demo"), "tenant");
        assert_eq!(keyspace("session:abc"), "session");
        assert_eq!(keyspace("no-prefix"), "other");
    }

    #[test]
    fn lookups_are_counted_by_keyspace_and_result() {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        let cache = CountedCache::new(Arc::new(MemoryCache::new(8)));
        metrics::with_local_recorder(&recorder, || {
            cache.count("tenant:a", 0);
            cache.count("tenant:b", 0);
            cache.count("session:c", 1);
            cache.count("mystery:d", 2);
        });
        let text = handle.render();
        for line in [
            r#"nexus_cache_lookups_total{backend="memory",keyspace="tenant",result="hit"} 2"#,
            r#"nexus_cache_lookups_total{backend="memory",keyspace="session",result="miss"} 1"#,
            r#"nexus_cache_lookups_total{backend="memory",keyspace="mystery",result="error"} 1"#,
        ] {
            assert!(text.contains(line), "{line} missing from:\n{text}");
        }
    }
}
