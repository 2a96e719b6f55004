//! The cache port and its in-process implementation.
//!
//! A cache is an optimisation: callers treat every cache error as a miss and fall back
//! to the database, so a Redis outage slows requests down but never fails them. Values
//! are opaque bytes with a TTL; keys are namespaced by the caller.

use crate::StoreError;
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A key-value cache with expiry.
#[async_trait]
pub trait CacheStore: Send + Sync + std::fmt::Debug {
    /// `"memory"` or `"redis"`.
    fn backend(&self) -> &'static str;
    /// True when the cache lives in this process alone, so every change to it is made
    /// here: a caller that keeps decoded copies of entries and drops them wherever it
    /// deletes the entries may then trust those copies without reading the cache.
    /// Required, not defaulted: a wrapper that forgot it would hide a local cache.
    fn is_local(&self) -> bool;
    /// The value under `key`, if present and not expired.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Stores `value` under `key` for `ttl`.
    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError>;
    /// Removes `key`; absent keys are not an error.
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// A round trip proving the cache answers.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// A bounded in-process cache for the embedded single-node mode.
///
/// Expiry uses the monotonic clock (`Instant`), not the injected wall clock: TTLs are
/// about freshness of this process's copy, not business time.
#[derive(Debug)]
pub struct MemoryCache {
    entries: Mutex<HashMap<String, (Instant, Vec<u8>)>>,
    capacity: usize,
}

impl MemoryCache {
    /// A cache holding at most `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Vec<u8>)>> {
        // A panic while holding the lock cannot leave the map half-updated (every
        // operation is a single insert or remove), so a poisoned lock is safe to reuse.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl CacheStore for MemoryCache {
    fn backend(&self) -> &'static str {
        "memory"
    }

    fn is_local(&self) -> bool {
        true
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut map = self.lock();
        match map.get(key) {
            Some((exp, v)) if *exp > Instant::now() => Ok(Some(v.clone())),
            Some(_) => {
                map.remove(key);
                Ok(None)
            }
            None => Ok(None),
        }
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        let now = Instant::now();
        let mut map = self.lock();
        if map.len() >= self.capacity && !map.contains_key(key) {
            map.retain(|_, (exp, _)| *exp > now);
            if map.len() >= self.capacity {
                // Still full of live entries: drop the one closest to expiry.
                if let Some(k) = map
                    .iter()
                    .min_by_key(|(_, (exp, _))| *exp)
                    .map(|(k, _)| k.clone())
                {
                    map.remove(&k);
                }
            }
        }
        map.insert(key.to_owned(), (now + ttl, value.to_vec()));
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.lock().remove(key);
        Ok(())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
