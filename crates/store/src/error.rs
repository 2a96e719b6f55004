//! Store errors: the only error type a store returns.
//!
//! Backends translate driver errors into these four cases so that callers never match on
//! SQL text. `Unavailable` means "try again later" (connection refused, pool timeout,
//! pool closed) and becomes 503 with `Retry-After`; it must never be confused with
//! `NotFound`.

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The addressed row does not exist (in this tenant).
    #[error("not found")]
    NotFound,
    /// A uniqueness or foreign-key rule was violated; `constraint` is a stable name.
    #[error("conflict on {constraint}")]
    Conflict {
        /// Stable constraint name, e.g. `tenant_slug_key`.
        constraint: &'static str,
    },
    /// The backend cannot be reached right now.
    #[error("store unavailable: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Anything else: a bug or corrupted data. Logged, never shown to clients.
    #[error("store failure: {context}")]
    Other {
        /// What was being done.
        context: &'static str,
        /// The underlying error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl StoreError {
    /// Wraps an unexpected error with what was being done.
    pub fn other(
        context: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Other {
            context,
            source: source.into(),
        }
    }
}
