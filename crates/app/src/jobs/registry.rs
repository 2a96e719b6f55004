//! Typed job handlers, registered once at start-up.

use nexus_domain::jobs::{Backoff, JobId};
use nexus_domain::{Clock, TenantId};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// A job's payload type names its kind; the registry maps kinds back to handlers.
pub trait JobPayload: Serialize + DeserializeOwned + Send + 'static {
    /// Dotted lowercase kind, e.g. `mail.send`.
    const KIND: &'static str;
}

/// How a handler failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobFailure {
    /// Try again after backoff (until attempts run out).
    #[error("{0}")]
    Retry(String),
    /// Retrying cannot help (e.g. the payload is invalid): dead at once.
    #[error("{0}")]
    Permanent(String),
}

/// Per-kind behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindOptions {
    /// Claims before the job is dead.
    pub max_attempts: u32,
    /// Longest a single run may take; the claim lasts a little longer than this.
    pub timeout: Duration,
    /// Delay between attempts.
    pub backoff: Backoff,
}

impl Default for KindOptions {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            timeout: Duration::from_mins(1),
            backoff: Backoff::default(),
        }
    }
}

/// What a handler knows about the run.
#[derive(Clone, Debug)]
pub struct JobContext {
    /// The job.
    pub job_id: JobId,
    /// The tenant it acts for.
    pub tenant: Option<TenantId>,
    /// 1 on the first run.
    pub attempt: u32,
    /// The injected clock.
    pub clock: Arc<dyn Clock>,
    /// Cancelled when the worker shuts down; long handlers should stop early.
    pub shutdown: CancellationToken,
}

type BoxFuture = Pin<Box<dyn Future<Output = Result<(), JobFailure>> + Send>>;
type ErasedHandler = Arc<dyn Fn(JobContext, serde_json::Value) -> BoxFuture + Send + Sync>;

/// Handlers by kind.
#[derive(Default, Clone)]
pub struct Registry {
    handlers: BTreeMap<&'static str, (ErasedHandler, KindOptions)>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("kinds", &self.handlers.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the handler for `J::KIND`, replacing any earlier one.
    pub fn register<J, F, Fut>(&mut self, options: KindOptions, handler: F)
    where
        J: JobPayload,
        F: Fn(JobContext, J) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), JobFailure>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        let erased: ErasedHandler = Arc::new(move |ctx, value| {
            let handler = handler.clone();
            Box::pin(async move {
                // A payload that no longer parses will not parse on retry either.
                let payload: J = serde_json::from_value(value).map_err(|e| {
                    JobFailure::Permanent(format!("payload does not match {}: {e}", J::KIND))
                })?;
                handler(ctx, payload).await
            })
        });
        self.handlers.insert(J::KIND, (erased, options));
    }

    /// Options for a registered kind.
    pub fn options(&self, kind: &str) -> Option<KindOptions> {
        self.handlers.get(kind).map(|(_, o)| *o)
    }

    /// Registered kinds, sorted.
    pub fn kinds(&self) -> Vec<&'static str> {
        self.handlers.keys().copied().collect()
    }

    /// Runs the handler for `kind`, or `None` when none is registered.
    pub(crate) fn dispatch(
        &self,
        kind: &str,
        ctx: JobContext,
        payload: serde_json::Value,
    ) -> Option<(BoxFuture, KindOptions)> {
        self.handlers.get(kind).map(|(h, o)| (h(ctx, payload), *o))
    }
}
