//! Readiness: can this process serve traffic right now?
//!
//! Liveness is trivial (the process answers). Readiness requires the start-up sequence
//! to have finished (connected, migrated) *and* each dependency to answer now. Each check
//! is bounded by a timeout so `/readyz` itself never hangs.

use nexus_store::{CacheStore, Database};
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// One dependency's state.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = HealthCheck))]
pub struct Check {
    /// `startup`, `database` or `redis`.
    pub name: &'static str,
    /// Whether it passed.
    pub ok: bool,
    /// Why not, in operator terms (no secrets, no SQL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Readiness state shared by the start-up task and the probe.
#[derive(Clone)]
pub struct Health {
    db: Arc<dyn Database>,
    cache: Arc<dyn CacheStore>,
    started: Arc<AtomicBool>,
}

impl Health {
    /// Not ready until [`Health::mark_started`].
    pub fn new(db: Arc<dyn Database>, cache: Arc<dyn CacheStore>) -> Self {
        Self {
            db,
            cache,
            started: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Called once the database is connected and migrated.
    pub fn mark_started(&self) {
        self.started.store(true, Ordering::Release);
    }

    /// True once start-up finished.
    pub fn is_started(&self) -> bool {
        self.started.load(Ordering::Acquire)
    }

    /// Runs every check; ready when all pass.
    pub async fn check(&self) -> Vec<Check> {
        let timeout = Duration::from_secs(2);
        let mut checks = vec![Check {
            name: "startup",
            ok: self.is_started(),
            detail: (!self.is_started())
                .then(|| "connecting to the database and migrating".to_owned()),
        }];
        let db = tokio::time::timeout(timeout, self.db.ping()).await;
        checks.push(outcome("database", &db));
        if self.cache.backend() == "redis" {
            let redis = tokio::time::timeout(timeout, self.cache.ping()).await;
            checks.push(outcome("redis", &redis));
        }
        checks
    }
}

fn outcome(
    name: &'static str,
    r: &Result<Result<(), nexus_store::StoreError>, tokio::time::error::Elapsed>,
) -> Check {
    let detail = match r {
        Ok(Ok(())) => None,
        Ok(Err(nexus_store::StoreError::Unavailable(_))) => Some("unreachable".to_owned()),
        Ok(Err(_)) => Some("error".to_owned()),
        Err(_) => Some("timed out".to_owned()),
    };
    Check {
        name,
        ok: detail.is_none(),
        detail,
    }
}
