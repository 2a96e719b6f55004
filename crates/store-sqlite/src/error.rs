//! Driver errors to [`StoreError`].
//!
//! SQLite reports unique violations as `UNIQUE constraint failed: table.col, …` without
//! the constraint's name, so the columns are mapped back to the names the PostgreSQL
//! schema uses; callers see the same `constraint` on both backends.

use nexus_store::StoreError;

/// `(message fragment, stable constraint name)`.
const UNIQUE: &[(&str, &str)] = &[
    (
        "invoice.tenant_id, invoice.period_start",
        "invoice_period_key",
    ),
    ("invoice.number", "invoice_number_key"),
    (
        "course_version.tenant_id, course_version.course_id, course_version.version",
        "course_version_pkey",
    ),
    ("tenant.slug", "tenant_slug_key"),
    ("library_course.slug", "library_course_slug_key"),
    ("tenant_domain.domain", "tenant_domain_domain_key"),
    (
        "tenant_domain.tenant_id, tenant_domain.domain",
        "tenant_domain_pkey",
    ),
    ("app_user.tenant_id, app_user.email", "app_user_email_key"),
    ("app_user.tenant_id, app_user.app_user_id", "app_user_pkey"),
    (
        "tenant_role.tenant_id, tenant_role.name",
        "tenant_role_name_key",
    ),
    (
        "question_bank.tenant_id, question_bank.course_id, question_bank.bank_key",
        "question_bank_key_key",
    ),
    (
        "quiz_attempt.tenant_id, quiz_attempt.quiz_id, quiz_attempt.app_user_id, quiz_attempt.number",
        "quiz_attempt_number_key",
    ),
    (
        "sim_order.tenant_id, sim_order.portfolio_id, sim_order.client_order_id",
        "sim_order_client_key",
    ),
    (
        "portfolio.tenant_id, portfolio.app_user_id",
        "portfolio_practice_key",
    ),
    (
        "portfolio.tenant_id, portfolio.competition_id, portfolio.app_user_id",
        "portfolio_competition_key",
    ),
    ("api_key.key_hash", "api_key_hash_key"),
    ("api_key.tenant_id, api_key.api_key_id", "api_key_pkey"),
    // Expression indexes are reported by name.
    ("index 'cohort_name_key'", "cohort_name_key"),
];

/// `NotFound` when a write touched no row (the addressed row is absent).
pub(crate) fn not_found_if_none(done: &sqlx::sqlite::SqliteQueryResult) -> Result<(), StoreError> {
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
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(Box::new(e)),
        sqlx::Error::Database(ref db) => {
            let msg = db.message();
            if db.is_unique_violation() {
                let cols = msg.trim_start_matches("UNIQUE constraint failed: ");
                if let Some((_, name)) = UNIQUE.iter().find(|(frag, _)| *frag == cols) {
                    return StoreError::Conflict { constraint: name };
                }
            }
            if db.is_foreign_key_violation() {
                // SQLite does not say which key; the only FKs point at tenant.
                return StoreError::Conflict {
                    constraint: "tenant_fkey",
                };
            }
            // SQLITE_BUSY / SQLITE_LOCKED after the busy timeout: transient.
            if matches!(db.code().as_deref(), Some("5" | "6" | "517" | "262")) {
                return StoreError::Unavailable(Box::new(e));
            }
            StoreError::other(context, e)
        }
        other => StoreError::other(context, other),
    }
}
