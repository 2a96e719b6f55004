//! The application error: what went wrong, in terms a caller can act on.
//!
//! The HTTP adapter maps each variant to exactly one status and stable `code`; the CLI
//! prints the message. Store errors convert here, so an outage stays an outage
//! (`Unavailable`) and never turns into "not found".

use nexus_domain::FieldErrors;
use nexus_store::StoreError;

/// Why a use case failed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The input parsed but broke a rule; every field error is listed.
    #[error("invalid input: {0}")]
    Validation(FieldErrors),
    /// The addressed thing does not exist (or is not visible to this tenant).
    #[error("{resource} not found")]
    NotFound {
        /// What was looked for, e.g. `tenant`.
        resource: &'static str,
    },
    /// No tenant matches the request's host or `X-Tenant` header.
    #[error("no tenant matches this request")]
    TenantNotFound,
    /// The tenant exists but is suspended.
    #[error("this tenant is suspended")]
    TenantSuspended,
    /// The request names a tenant in two ways that disagree.
    #[error("{0}")]
    BadRequest(&'static str),
    /// A uniqueness rule: `code` is stable (e.g. `slug_taken`).
    #[error("{message}")]
    Conflict {
        /// Stable machine code.
        code: &'static str,
        /// Human explanation.
        message: &'static str,
    },
    /// No valid credentials.
    #[error("authentication required")]
    Unauthenticated,
    /// A login with a wrong e-mail or password (deliberately not saying which).
    #[error("the e-mail or password is wrong")]
    InvalidCredentials,
    /// A link token that is unknown, used or expired.
    #[error("the link is invalid or has expired")]
    InvalidToken,
    /// A wrong or reused second-factor code.
    #[error("the code is wrong or was already used")]
    InvalidSecondFactor,
    /// Too many failures: try again after this many seconds.
    #[error("too many attempts; retry in {retry_after_secs} s")]
    TooManyAttempts {
        /// Seconds until the lock ends.
        retry_after_secs: u64,
    },
    /// Authenticated, but not allowed to do this.
    #[error("not allowed: {0}")]
    Forbidden(&'static str),
    /// A dependency (database, cache) cannot be reached; retry later.
    #[error("service temporarily unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A bug or corrupted data. Logged with detail; clients see only a trace ID.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    /// Converts a store error where `NotFound` means `resource` is missing.
    pub fn from_store(resource: &'static str, e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound { resource },
            StoreError::Conflict { constraint } => conflict(constraint),
            StoreError::Unavailable(src) => Self::Unavailable(src),
            other @ StoreError::Other { .. } => Self::Internal(Box::new(other)),
        }
    }
}

fn constraint_message(constraint: &str) -> &'static str {
    match constraint {
        "tenant_slug_key" => "a tenant with this slug already exists",
        "tenant_domain_domain_key" | "tenant_domain_pkey" => {
            "this domain is already attached to a tenant"
        }
        "app_user_email_key" => "an account with this e-mail already exists in this tenant",
        "tenant_fkey" => "the tenant does not exist",
        "course_changed" | "course_version_pkey" => {
            "the course changed meanwhile (published, archived or edited); reload it and try again"
        }
        "question_bank_key_key" => "the course already has a bank with this key",
        "quiz_bank_fkey" => "a quiz still draws from this bank; delete or repoint it first",
        _ => "the request conflicts with existing data",
    }
}

/// Names the stable conflict code for a constraint.
fn conflict(constraint: &'static str) -> AppError {
    let code = match constraint {
        "tenant_slug_key" => "slug_taken",
        "tenant_domain_domain_key" | "tenant_domain_pkey" => "domain_taken",
        "app_user_email_key" => "email_taken",
        "tenant_fkey" => "tenant_missing",
        "course_changed" | "course_version_pkey" => "course_changed",
        "question_bank_key_key" => "bank_key_taken",
        "quiz_bank_fkey" => "bank_in_use",
        _ => "conflict",
    };
    AppError::Conflict {
        code,
        message: constraint_message(constraint),
    }
}

impl AppError {
    /// A validation error for one field: `e` reported at `field`.
    pub fn invalid_field(field: &str, e: nexus_domain::FieldError) -> Self {
        let mut errs = FieldErrors::new();
        errs.check::<()>(field, Err(e));
        Self::Validation(errs)
    }
}

impl From<FieldErrors> for AppError {
    fn from(e: FieldErrors) -> Self {
        Self::Validation(e)
    }
}

/// An error and its sources, joined with `: `, for logs (never for clients).
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}
