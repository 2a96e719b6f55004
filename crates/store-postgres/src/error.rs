//! Driver errors to [`StoreError`].

use nexus_store::StoreError;

/// Constraint names the app may see, as `'static` so callers can match on them.
const KNOWN: &[&str] = &[
    "invoice_period_key",
    "invoice_number_key",
    "tenant_slug_key",
    "tenant_pkey",
    "tenant_domain_domain_key",
    "tenant_domain_pkey",
    "app_user_email_key",
    "app_user_pkey",
    "tenant_role_name_key",
    "job_pkey",
    "course_version_pkey",
    "cohort_name_key",
    "question_bank_key_key",
    "quiz_attempt_number_key",
    "library_course_slug_key",
    "sim_order_client_key",
    "portfolio_practice_key",
    "portfolio_competition_key",
    "api_key_hash_key",
    "api_key_pkey",
];

/// `NotFound` when a write touched no row (the addressed row is absent).
pub(crate) fn not_found_if_none(done: &sqlx::postgres::PgQueryResult) -> Result<(), StoreError> {
    if done.rows_affected() == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// Translates a driver error, naming what was being done for `Other`.
pub(crate) fn map_err(context: &'static str, e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_) => StoreError::Unavailable(Box::new(e)),
        sqlx::Error::Database(ref db) => {
            let constraint = db.constraint().unwrap_or_default();
            if db.is_foreign_key_violation() && constraint.ends_with("_tenant_fkey") {
                return StoreError::Conflict {
                    constraint: "tenant_fkey",
                };
            }
            if db.is_unique_violation()
                && let Some(name) = KNOWN.iter().find(|k| **k == constraint)
            {
                return StoreError::Conflict { constraint: name };
            }
            // Class 08 (connection exception), 57P01-03 (admin shutdown, crash
            // shutdown, cannot connect now), 53300 (too many connections): transient.
            let code = db.code().unwrap_or_default();
            if code.starts_with("08") || code.starts_with("57P0") || code == "53300" {
                return StoreError::Unavailable(Box::new(e));
            }
            StoreError::other(context, e)
        }
        other => StoreError::other(context, other),
    }
}
