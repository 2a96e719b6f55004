//! The personal-data registry.
//!
//! Every table or store that holds personal data is listed here, once, with what it
//! holds, why and for how long. Export and erasure (GDPR Art. 15/17/20) are driven from
//! this list, and tests check that every table in both migrated schemas is either in
//! [`PERSONAL_DATA`] or explicitly declared free of personal data in [`NON_PERSONAL`].
//! Adding a table without classifying it fails the suite.

/// How long a store keeps personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retention {
    /// Kept while the account exists; erased with it.
    LifetimeOfAccount,
    /// Kept for a fixed number of days, then deleted by the retention job.
    Days(u32),
    /// Kept only in memory or cache, expiring on its own within the given seconds.
    EphemeralSeconds(u32),
}

/// One registered personal-data store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersonalDataStore {
    /// Table name (SQL) or key prefix (cache).
    pub store: &'static str,
    /// Where it lives.
    pub kind: StoreKind,
    /// The columns or fields holding personal data.
    pub fields: &'static [&'static str],
    /// The column that links a row to its data subject, for export and erasure.
    pub subject_key: &'static str,
    /// Why we hold it (GDPR Art. 13 purpose).
    pub purpose: &'static str,
    /// How long.
    pub retention: Retention,
}

/// Where a personal-data store lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// A table in the primary database (both backends).
    Table,
    /// Keys in the cache (in-process or Redis).
    Cache,
}

/// Every store of personal data. Keep in sync with migrations; tests enforce it.
pub const PERSONAL_DATA: &[PersonalDataStore] = &[
    PersonalDataStore {
        store: "app_user",
        kind: StoreKind::Table,
        fields: &[
            "email",
            "display_name",
            "password_hash",
            "email_verified_at",
        ],
        subject_key: "app_user_id",
        purpose: "account identity and login within the tenant",
        retention: Retention::LifetimeOfAccount,
    },
    PersonalDataStore {
        store: "job",
        kind: StoreKind::Table,
        // Handlers may carry a user's ID or address in the payload (e.g. an e-mail to
        // send), and an error message may echo it.
        fields: &["payload", "last_error"],
        subject_key: "payload",
        purpose: "carrying out background work a user or tenant asked for",
        // Succeeded and cancelled jobs are purged by the retention schedule; dead jobs
        // wait for an operator and are purged with `nexus jobs purge-dead`.
        retention: Retention::Days(7),
    },
    PersonalDataStore {
        store: "audit_event",
        kind: StoreKind::Table,
        // The actor is a user ID; the diff may hold before/after values of personal fields.
        fields: &["actor", "ip", "user_agent", "diff"],
        subject_key: "actor",
        purpose: "security and accountability: who did what, from where (GDPR Art. 6(1)(c)/(f))",
        // Events are hash-chained, so they are kept whole for the retention period and
        // never edited; erasure requests are answered by exclusion from exports until the
        // period ends. TODO(privacy issue): chain checkpoints so expired events can be
        // dropped without breaking verification.
        retention: Retention::Days(400),
    },
    PersonalDataStore {
        store: "audit_pending",
        kind: StoreKind::Table,
        // The same fields as audit_event, for the second or so between an audited
        // change's commit and its chaining (PostgreSQL; always empty on SQLite).
        fields: &["actor", "ip", "user_agent", "diff"],
        subject_key: "actor",
        purpose: "security and accountability: audit events recorded and about to be chained into the audit trail",
        // Moved into audit_event by the sealer within about a second; a row is kept
        // longer only while no worker runs, and never beyond audit_event's period.
        retention: Retention::Days(400),
    },
    PersonalDataStore {
        store: "app_session",
        kind: StoreKind::Table,
        fields: &["ip", "user_agent"],
        subject_key: "app_user_id",
        purpose: "keeping a user signed in and letting them see and revoke their sessions",
        // Deleted by the daily `system.purge_auth_state` job 30 days after it ended.
        retention: Retention::Days(30),
    },
    PersonalDataStore {
        store: "api_key",
        kind: StoreKind::Table,
        // The key acts for its owner; the address of its last use is shown to admins.
        fields: &["owner_user_id", "last_used_ip"],
        subject_key: "owner_user_id",
        purpose: "authenticating integrations that act for a user, and showing admins where each key was last used",
        // Erased with the owner (the foreign key cascades); revoked keys stay listed
        // for the audit trail's references until then.
        retention: Retention::LifetimeOfAccount,
    },
    PersonalDataStore {
        store: "api_usage",
        kind: StoreKind::Table,
        // Counts only, but a `key:<id>` caller leads to the key's owner while the key
        // exists (sessions are counted as `session`, never per user).
        fields: &["caller"],
        subject_key: "caller",
        purpose: "metering API use per key for usage reports, quotas and invoices",
        // Kept 13 months for invoices and year-on-year reports, then deleted by
        // `system.purge_usage`.
        retention: Retention::Days(400),
    },
    PersonalDataStore {
        store: "auth_throttle",
        kind: StoreKind::Table,
        // Keys are `acct:<email>` and `acct_ip:<email>|<ip>`.
        fields: &["throttle_key"],
        subject_key: "throttle_key",
        purpose: "defending accounts against password guessing",
        // Deleted on a successful login, or by `system.purge_auth_state` a day after
        // its window started (once any lock has passed).
        retention: Retention::Days(1),
    },
    PersonalDataStore {
        store: "mfa_totp",
        kind: StoreKind::Table,
        // A credential: whoever holds it can produce codes.
        fields: &["secret"],
        subject_key: "app_user_id",
        purpose: "the user's second login factor",
        retention: Retention::LifetimeOfAccount,
    },
    PersonalDataStore {
        store: "mfa_recovery_code",
        kind: StoreKind::Table,
        fields: &["code_hash"],
        subject_key: "app_user_id",
        purpose: "letting the user in when their authenticator is lost",
        retention: Retention::LifetimeOfAccount,
    },
    PersonalDataStore {
        store: "email_token",
        kind: StoreKind::Table,
        // Only a hash of the link's token, and whose account it resets or verifies.
        fields: &["app_user_id"],
        subject_key: "app_user_id",
        purpose: "password reset and e-mail verification links",
        // Deleted by `system.purge_auth_state` a day after expiry (links live 1 to 24 h).
        retention: Retention::Days(1),
    },
    PersonalDataStore {
        store: "invitation",
        kind: StoreKind::Table,
        fields: &["email", "invited_by"],
        subject_key: "email",
        purpose: "inviting a person to the tenant",
        // Deleted by `system.purge_auth_state` a day after expiry (invitations live 7 days).
        retention: Retention::Days(8),
    },
    PersonalDataStore {
        store: "mail_outbox",
        kind: StoreKind::Table,
        fields: &["to_address", "body"],
        subject_key: "to_address",
        purpose: "the development mail outbox standing in for SMTP",
        // Deleted by `system.purge_auth_state` after 30 days.
        retention: Retention::Days(30),
    },
    PersonalDataStore {
        store: "cohort_member",
        kind: StoreKind::Table,
        fields: &["app_user_id", "role", "added_at"],
        subject_key: "app_user_id",
        purpose: "which class a learner or instructor belongs to",
        // Deleted with the account (cascade) or when removed from the cohort.
        retention: Retention::LifetimeOfAccount,
    },
    PersonalDataStore {
        store: "enrolment",
        kind: StoreKind::Table,
        // `assigned_by` is the assigning instructor's ID: their export and erasure must
        // look here too (by that column), not only by the learner's.
        fields: &["app_user_id", "assigned_by", "cohort_id", "enrolled_at"],
        subject_key: "app_user_id",
        purpose: "which courses a learner takes, and who assigned them",
        // Deleted with the account (cascade) or on withdrawal.
        retention: Retention::LifetimeOfAccount,
    },
    PersonalDataStore {
        store: "lesson_progress",
        kind: StoreKind::Table,
        // Learning behaviour: what was read, when, for how long.
        fields: &[
            "app_user_id",
            "seconds_spent",
            "first_seen_at",
            "last_seen_at",
            "completed_at",
        ],
        subject_key: "app_user_id",
        purpose: "showing a learner their progress and resume point, and their class's to its instructors",
        // Deleted with the enrolment (cascade), hence with the account.
        retention: Retention::LifetimeOfAccount,
    },
    PersonalDataStore {
        store: "quiz_attempt",
        kind: StoreKind::Table,
        // Assessment results: what a learner answered and how they scored.
        fields: &[
            "app_user_id",
            "responses",
            "graded",
            "score_percent",
            "passed",
            "started_at",
            "deadline",
            "finished_at",
        ],
        subject_key: "app_user_id",
        purpose: "grading quizzes, showing learners their results and mastery, and issuing certificates",
        // Deleted with the account (cascade) or with the quiz.
        retention: Retention::LifetimeOfAccount,
    },
    PersonalDataStore {
        store: "xp_event",
        kind: StoreKind::Table,
        // Learning activity: what earned XP and when.
        fields: &["app_user_id", "reference", "amount", "detail", "at"],
        subject_key: "app_user_id",
        purpose: "awarding XP, levels and streaks, and ranking opted-in learners",
        // Deleted with the account (cascade).
        retention: Retention::LifetimeOfAccount,
    },
    PersonalDataStore {
        store: "badge_award",
        kind: StoreKind::Table,
        fields: &["app_user_id", "badge_key", "awarded_at"],
        subject_key: "app_user_id",
        purpose: "showing a learner the badges they earned",
        retention: Retention::LifetimeOfAccount,
    },
    PersonalDataStore {
        store: "learner_profile",
        kind: StoreKind::Table,
        fields: &["app_user_id", "leaderboard_opt_in"],
        subject_key: "app_user_id",
        purpose: "a learner's choice to appear on leaderboards",
        retention: Retention::LifetimeOfAccount,
    },
    PersonalDataStore {
        store: "certificate",
        kind: StoreKind::Table,
        // The holder's name is snapshotted; the public verification page shows it, and
        // the code resolves publicly to that name, so it is personal too.
        fields: &[
            "app_user_id",
            "code",
            "holder_name",
            "course_title",
            "issued_at",
            "revoked_at",
            "revoked_reason",
        ],
        subject_key: "app_user_id",
        purpose: "certifying course completion, verifiable by third parties with the code",
        // Deleted with the account (cascade): a certificate then no longer verifies.
        retention: Retention::LifetimeOfAccount,
    },
    PersonalDataStore {
        store: "portfolio",
        kind: StoreKind::Table,
        // A learner's paper-trading account: virtual money, but their activity.
        fields: &[
            "app_user_id",
            "competition_id",
            "cash",
            "starting_cash",
            "realized_pnl",
            "fees_paid",
            "created_at",
        ],
        subject_key: "app_user_id",
        purpose: "running the learner's simulated portfolio and ranking competition entrants",
        // Deleted with the account (cascade), taking positions, orders, fills and the
        // ledger with it.
        retention: Retention::LifetimeOfAccount,
    },
    PersonalDataStore {
        store: "position",
        kind: StoreKind::Table,
        fields: &["portfolio_id", "symbol", "qty", "cost_basis", "updated_at"],
        subject_key: "portfolio_id",
        purpose: "showing the learner's simulated holdings and their profit and loss",
        retention: Retention::LifetimeOfAccount,
    },
    PersonalDataStore {
        store: "sim_order",
        kind: StoreKind::Table,
        // Trading behaviour, however virtual, says something about the learner.
        fields: &[
            "portfolio_id",
            "client_order_id",
            "symbol",
            "side",
            "order_type",
            "qty",
            "notional",
            "status",
            "created_at",
        ],
        subject_key: "portfolio_id",
        purpose: "executing the learner's simulated orders and showing their history",
        retention: Retention::LifetimeOfAccount,
    },
    PersonalDataStore {
        store: "sim_fill",
        kind: StoreKind::Table,
        fields: &[
            "portfolio_id",
            "symbol",
            "side",
            "qty",
            "price",
            "fee",
            "explanation",
            "created_at",
        ],
        subject_key: "portfolio_id",
        purpose: "explaining the learner's simulated executions and computing analytics",
        retention: Retention::LifetimeOfAccount,
    },
    PersonalDataStore {
        store: "ledger_entry",
        kind: StoreKind::Table,
        fields: &["portfolio_id", "account", "amount", "created_at"],
        subject_key: "portfolio_id",
        purpose: "the double-entry record behind the learner's simulated cash and holdings",
        retention: Retention::LifetimeOfAccount,
    },
    PersonalDataStore {
        store: "sim_event",
        kind: StoreKind::Table,
        // Order updates queued for the learner's live stream; they repeat order data.
        fields: &["app_user_id", "kind", "payload", "created_at"],
        subject_key: "app_user_id",
        purpose: "streaming order updates to the learner, resumable after a reconnect",
        retention: Retention::LifetimeOfAccount,
    },
    PersonalDataStore {
        store: "webhook_message",
        kind: StoreKind::Table,
        // The exact body sent to the tenant's receiver; it names the user the event is
        // about by ID (no e-mail addresses or names), kept in `subject_user_id` too.
        fields: &["body", "subject_user_id"],
        subject_key: "subject_user_id",
        purpose: "delivering domain events to the tenant's own registered endpoints (the body names the user the event is about by ID)",
        // Purged 30 days after creation (attempts go with their message).
        retention: Retention::Days(30),
    },
    PersonalDataStore {
        store: "session:",
        kind: StoreKind::Cache,
        fields: &["user id", "permissions"],
        subject_key: "session token hash",
        purpose: "cheap session validation on every request",
        retention: Retention::EphemeralSeconds(60),
    },
    PersonalDataStore {
        store: "apikey:",
        kind: StoreKind::Cache,
        fields: &["owner user id", "last_used_ip"],
        subject_key: "API key hash",
        purpose: "cheap API key authentication on every keyed request",
        // Fresh for 30 s from its database read (`nexus_app::apikeys::CACHE_TTL`).
        // Each API process also keeps the decoded entry (`DecodedKeys`): dropped on
        // revoke and rotate, and swept within 5 s of going stale at the map's next use.
        retention: Retention::EphemeralSeconds(30),
    },
    PersonalDataStore {
        store: "rl:",
        kind: StoreKind::Cache,
        // Keys are `ip:<address or /64>`, `user:<tenant>:<user id>`, `key:…`, `tenant:…`.
        fields: &["client IP address", "user id"],
        subject_key: "rate-limit key",
        purpose: "rate limiting per client address and per user",
        // On Redis a key expires once its budget has fully drained: at most one window
        // (a minute with the default settings; `ratelimit.*`). The in-process limiter
        // (and Redis's local fallback) drops drained keys at its first decision 10 s or
        // more after the last prune, so a key lives at most its window plus 10 s of
        // traffic (memory only, lost on restart); the fallback is also pruned as shared
        // decisions resume after an outage. A node that serves nothing keeps them until
        // its next request.
        retention: Retention::EphemeralSeconds(60),
    },
    PersonalDataStore {
        // Process memory of each API node (`nexus_http::active`), not a cache key.
        store: "active users and sessions (in process)",
        kind: StoreKind::Cache,
        fields: &["user id", "session id"],
        subject_key: "user id",
        purpose: "counting active users and sessions for the operations dashboards",
        // Two five-minute windows, moved on by requests and by every metrics scrape.
        retention: Retention::EphemeralSeconds(600),
    },
];

/// Tables that hold no personal data, with the reason. Every other table must be in
/// [`PERSONAL_DATA`].
pub const NON_PERSONAL: &[(&str, &str)] = &[
    (
        "sim_settings",
        "a tenant's simulator rules: starting cash, realism, short selling and margin",
    ),
    (
        "competition",
        "class competition set-up (who created it is in the audit trail)",
    ),
    (
        "market_import",
        "historical prices an admin imported for an instrument",
    ),
    (
        "tenant",
        "organisation records: names and branding of schools, banks and employers",
    ),
    ("tenant_domain", "host names owned by organisations"),
    (
        "lease",
        "names of singleton loops and the worker instance holding each",
    ),
    (
        "audit_head",
        "the last sequence number and hash of each audit chain",
    ),
    (
        "tenant_role",
        "names and permission sets of a tenant's custom roles",
    ),
    (
        "user_role",
        "which role a user account holds: keyed by the account's ID, no other personal data",
    ),
    (
        "course",
        "course metadata written by instructors (authors are named in the audit trail only)",
    ),
    ("course_module", "titles and order of a course's modules"),
    (
        "course_prerequisite",
        "which courses a course requires: course IDs only",
    ),
    ("lesson", "lesson content written by instructors"),
    (
        "course_version",
        "frozen copies of published course content",
    ),
    ("question_bank", "quiz questions written by instructors"),
    ("quiz", "quiz settings written by instructors"),
    (
        "library_course",
        "the platform's shared course packages, written by the platform (no tenant, no learners)",
    ),
    (
        "cohort",
        "names of classes (who is in them lives in cohort_member)",
    ),
    ("billing_plan", "the platform's plan names and prices"),
    (
        "invoice",
        "an organisation's invoices and credit notes: seat counts, API unit totals and money; a credit note's reason is written by platform staff, who must not name people in it",
    ),
    (
        "webhook_endpoint",
        "a tenant's webhook receivers: URL, subscribed events, signing secret and health",
    ),
    (
        "webhook_attempt",
        "the delivery log: status codes, timings and response excerpts from the tenant's own receiver",
    ),
];

/// Looks up a table's registry entry.
pub fn entry(store: &str) -> Option<&'static PersonalDataStore> {
    PERSONAL_DATA.iter().find(|e| e.store == store)
}

/// True when the table is classified one way or the other.
pub fn is_classified(table: &str) -> bool {
    entry(table).is_some() || NON_PERSONAL.iter().any(|(t, _)| *t == table)
}
