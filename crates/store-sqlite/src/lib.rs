//! Embedded SQLite backend: the zero-setup default behind `cargo run --release`.
//!
//! SQLite has no row-level security, so tenant isolation here rests on every query
//! filtering by `tenant_id` (checked by the contract suite). The file runs in WAL mode
//! with `synchronous = NORMAL`, foreign keys on and a busy timeout, which is safe for the
//! single-process embedded mode this backend exists for.

mod achievement;
mod apikey;
mod audit;
mod billing;
mod course;
mod enrolment;
mod error;
mod jobs;
mod library;
mod mfa;
mod pools;
mod quiz;
mod recovery;
mod role;
mod session;
mod sim;
mod tenant;
mod usage;
mod user;
mod webhook;

use async_trait::async_trait;
use nexus_store::{
    AuditStore, Database, JobStore, LeaseStore, SessionStore, StoreError, TenantStore,
    ThrottleStore, Tx, UserStore,
};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{Row, SqlSafeStr, SqlitePool};
use std::sync::Arc;
use std::time::Duration;

pub(crate) use error::map_err;
pub(crate) use pools::{Writer, begin_read, begin_write};

/// Embedded migrations, append-only.
// One entry per migration: long, but a list.
#[allow(clippy::too_many_lines)]
fn migrator() -> Migrator {
    let m = |version, name: &'static str, sql: &'static str| {
        Migration::new(
            version,
            name.into(),
            MigrationType::Simple,
            sql.into_sql_str(),
            false,
        )
    };
    Migrator::with_migrations(vec![
        m(
            1,
            "foundation",
            include_str!("../migrations/0001_foundation.sql"),
        ),
        m(2, "jobs", include_str!("../migrations/0002_jobs.sql")),
        m(3, "audit", include_str!("../migrations/0003_audit.sql")),
        m(
            4,
            "sessions",
            include_str!("../migrations/0004_sessions.sql"),
        ),
        m(5, "rbac", include_str!("../migrations/0005_rbac.sql")),
        m(6, "mfa", include_str!("../migrations/0006_mfa.sql")),
        m(
            7,
            "recovery",
            include_str!("../migrations/0007_recovery.sql"),
        ),
        m(
            8,
            "invitations",
            include_str!("../migrations/0008_invitations.sql"),
        ),
        m(
            9,
            "email_verification",
            include_str!("../migrations/0009_email_verification.sql"),
        ),
        m(
            10,
            "courses",
            include_str!("../migrations/0010_courses.sql"),
        ),
        m(
            11,
            "outline",
            include_str!("../migrations/0011_outline.sql"),
        ),
        m(
            12,
            "course_versions",
            include_str!("../migrations/0012_course_versions.sql"),
        ),
        m(
            13,
            "course_published_meta",
            include_str!("../migrations/0013_course_published_meta.sql"),
        ),
        m(
            14,
            "outline_deletes",
            include_str!("../migrations/0014_outline_deletes.sql"),
        ),
        m(
            15,
            "enrolment",
            include_str!("../migrations/0015_enrolment.sql"),
        ),
        m(
            16,
            "quizzes",
            include_str!("../migrations/0016_quizzes.sql"),
        ),
        m(
            17,
            "library",
            include_str!("../migrations/0017_library.sql"),
        ),
        m(
            18,
            "achievements",
            include_str!("../migrations/0018_achievements.sql"),
        ),
        m(
            19,
            "course_published_self_enrol",
            include_str!("../migrations/0019_course_published_self_enrol.sql"),
        ),
        m(
            20,
            "prerequisites",
            include_str!("../migrations/0020_prerequisites.sql"),
        ),
        m(
            21,
            "simulator",
            include_str!("../migrations/0021_simulator.sql"),
        ),
        m(
            22,
            "order_path_indexes",
            include_str!("../migrations/0022_order_path_indexes.sql"),
        ),
        m(
            23,
            "api_keys",
            include_str!("../migrations/0023_api_keys.sql"),
        ),
        m(
            24,
            "api_usage",
            include_str!("../migrations/0024_api_usage.sql"),
        ),
        m(
            25,
            "billing",
            include_str!("../migrations/0025_billing.sql"),
        ),
        m(
            26,
            "webhooks",
            include_str!("../migrations/0026_webhooks.sql"),
        ),
        m(
            27,
            "one_plan",
            include_str!("../migrations/0027_one_plan.sql"),
        ),
        m(
            28,
            "audit_pending",
            include_str!("../migrations/0028_audit_pending.sql"),
        ),
        m(
            29,
            "registered_users",
            include_str!("../migrations/0029_registered_users.sql"),
        ),
        m(
            30,
            "audit_event_chains",
            include_str!("../migrations/0030_audit_event_chains.sql"),
        ),
    ])
}

/// A SQLite transaction, for stores' `*_in` methods.
pub struct SqliteTx(pub(crate) sqlx::Transaction<'static, sqlx::Sqlite>);

#[async_trait]
impl Tx for SqliteTx {
    fn as_any(&mut self) -> &mut (dyn std::any::Any + Send) {
        self
    }
    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.0.commit().await.map_err(|e| map_err("committing", e))
    }
    async fn rollback(self: Box<Self>) -> Result<(), StoreError> {
        self.0
            .rollback()
            .await
            .map_err(|e| map_err("rolling back", e))
    }
}

/// Connection settings for the SQLite backend.
#[derive(Debug, Clone)]
pub struct SqliteSettings {
    /// `sqlite://path/to/file.db` (created if missing) or `sqlite::memory:`.
    pub url: String,
    /// Pool size; forced to 1 for in-memory databases, which are per-connection.
    pub max_connections: u32,
    /// How long to wait for a pooled connection.
    pub acquire_timeout: Duration,
}

/// The SQLite [`Database`]: a pool of readers and one writer (see [`pools`]).
#[derive(Debug, Clone)]
pub struct SqliteDatabase {
    pool: SqlitePool,
    writer: Writer,
    /// One connection serves as reader and writer (an in-memory database).
    in_memory: bool,
}

impl SqliteDatabase {
    /// Builds lazily connecting pools; nothing touches the disk until first use, so
    /// start-up can report progress and readiness while it retries.
    pub fn connect_lazy(settings: &SqliteSettings) -> Result<Self, StoreError> {
        let (pool, writer) = pools::connect_lazy(settings)?;
        let in_memory = settings.url.contains(":memory:");
        Ok(Self {
            pool,
            writer,
            in_memory,
        })
    }

    /// The writer's pool, for tests that need raw SQL (the readers refuse writes).
    pub fn pool(&self) -> &SqlitePool {
        self.writer.raw()
    }

    /// The readers' pool, for tests of the split (see [`pools`]).
    pub fn readers(&self) -> &SqlitePool {
        &self.pool
    }
}

#[async_trait]
impl Database for SqliteDatabase {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn pool_stats(&self) -> nexus_store::PoolStats {
        // Readers and the writer together: the writer is one more connection.
        let (r, w) = (&self.pool, self.writer.raw());
        let separate = !self.in_memory;
        nexus_store::PoolStats {
            open: r.size() + if separate { w.size() } else { 0 },
            idle: u32::try_from(r.num_idle() + if separate { w.num_idle() } else { 0 })
                .unwrap_or(u32::MAX),
            max: r.options().get_max_connections() + u32::from(separate),
        }
    }

    fn tenants(&self) -> Arc<dyn TenantStore> {
        Arc::new(tenant::SqliteTenants {
            pool: self.pool.clone(),
        })
    }

    fn users(&self) -> Arc<dyn UserStore> {
        Arc::new(user::SqliteUsers {
            pool: self.pool.clone(),
            writer: self.writer.clone(),
        })
    }

    fn jobs(&self) -> Arc<dyn JobStore> {
        Arc::new(jobs::SqliteJobs {
            pool: self.pool.clone(),
            writer: self.writer.clone(),
        })
    }

    fn audit(&self) -> Arc<dyn AuditStore> {
        Arc::new(audit::SqliteAudit {
            pool: self.pool.clone(),
            writer: self.writer.clone(),
        })
    }

    fn sessions(&self) -> Arc<dyn SessionStore> {
        Arc::new(session::SqliteSessions {
            pool: self.pool.clone(),
            writer: self.writer.clone(),
        })
    }

    fn throttles(&self) -> Arc<dyn ThrottleStore> {
        Arc::new(session::SqliteThrottles {
            pool: self.pool.clone(),
            writer: self.writer.clone(),
        })
    }

    fn courses(&self) -> Arc<dyn nexus_store::CourseStore> {
        Arc::new(course::SqliteCourses {
            pool: self.pool.clone(),
        })
    }

    fn enrolments(&self) -> Arc<dyn nexus_store::EnrolmentStore> {
        Arc::new(enrolment::SqliteEnrolments {
            pool: self.pool.clone(),
        })
    }

    fn quizzes(&self) -> Arc<dyn nexus_store::QuizStore> {
        Arc::new(quiz::SqliteQuizzes {
            pool: self.pool.clone(),
        })
    }

    fn library(&self) -> Arc<dyn nexus_store::LibraryStore> {
        Arc::new(library::SqliteLibrary {
            pool: self.pool.clone(),
        })
    }

    fn achievements(&self) -> Arc<dyn nexus_store::AchievementStore> {
        Arc::new(achievement::SqliteAchievements {
            pool: self.pool.clone(),
        })
    }

    fn roles(&self) -> Arc<dyn nexus_store::RoleStore> {
        Arc::new(role::SqliteRoles {
            pool: self.pool.clone(),
        })
    }

    fn mfa(&self) -> Arc<dyn nexus_store::MfaStore> {
        Arc::new(mfa::SqliteMfa {
            pool: self.pool.clone(),
        })
    }

    fn recovery(&self) -> Arc<dyn nexus_store::RecoveryStore> {
        Arc::new(recovery::SqliteRecovery {
            pool: self.pool.clone(),
            writer: self.writer.clone(),
        })
    }

    fn leases(&self) -> Arc<dyn LeaseStore> {
        Arc::new(jobs::SqliteLeases {
            pool: self.pool.clone(),
            writer: self.writer.clone(),
        })
    }

    fn sim(&self) -> Arc<dyn nexus_store::SimStore> {
        Arc::new(sim::SqliteSim {
            pool: self.pool.clone(),
        })
    }

    fn api_keys(&self) -> Arc<dyn nexus_store::ApiKeyStore> {
        Arc::new(apikey::SqliteApiKeys {
            pool: self.pool.clone(),
            writer: self.writer.clone(),
        })
    }

    fn usage(&self) -> Arc<dyn nexus_store::UsageStore> {
        Arc::new(usage::SqliteUsage {
            pool: self.pool.clone(),
            writer: self.writer.clone(),
        })
    }

    fn billing(&self) -> Arc<dyn nexus_store::BillingStore> {
        Arc::new(billing::SqliteBilling {
            pool: self.pool.clone(),
        })
    }

    fn webhooks(&self) -> Arc<dyn nexus_store::WebhookStore> {
        Arc::new(webhook::SqliteWebhooks {
            pool: self.pool.clone(),
            writer: self.writer.clone(),
        })
    }

    async fn begin(
        &self,
        _tenant: Option<nexus_domain::TenantId>,
    ) -> Result<Box<dyn Tx>, StoreError> {
        // No row-level security on SQLite: the tenant only matters on PostgreSQL.
        let tx = crate::begin_write(&self.writer)
            .await
            .map_err(|e| map_err("beginning a transaction", e))?;
        Ok(Box::new(SqliteTx(tx)))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("select 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(|e| map_err("ping", e))
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        migrator()
            .run(self.writer.raw())
            .await
            .map_err(|e| match e {
                sqlx::migrate::MigrateError::Execute(e) => map_err("running migrations", e),
                other => StoreError::other("running migrations", other),
            })
    }

    async fn is_migrated(&self) -> Result<bool, StoreError> {
        let exists: i64 = sqlx::query_scalar(
            "select count(*) from sqlite_master where type = 'table' and name = '_sqlx_migrations'",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(|e| map_err("checking migrations", e))?;
        if exists == 0 {
            return Ok(false);
        }
        let applied: Vec<i64> =
            sqlx::query_scalar("select version from _sqlx_migrations where success = 1")
                .fetch_all(&self.pool)
                .await
                .map_err(|e| map_err("checking migrations", e))?;
        Ok(migrator().iter().all(|m| applied.contains(&m.version)))
    }

    async fn verify_setup(&self) -> Result<(), StoreError> {
        // Tenant deletes cascade to domains; without enforced foreign keys they would not.
        let on: i64 = sqlx::query_scalar("pragma foreign_keys")
            .fetch_one(&self.pool)
            .await
            .map_err(|e| map_err("checking pragmas", e))?;
        if on == 1 {
            Ok(())
        } else {
            Err(StoreError::other(
                "checking pragmas",
                "foreign keys are not enforced",
            ))
        }
    }

    async fn schema_columns(&self) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query(
            "select m.name as t, p.name as c from sqlite_master m, pragma_table_info(m.name) p \
             where m.type = 'table' and m.name not like 'sqlite_%' and m.name not like '\\_sqlx%' escape '\\' \
             order by 1, 2",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|e| map_err("reading schema", e))?;
        rows.iter()
            .map(|r| Ok((r.try_get("t")?, r.try_get("c")?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(|e| map_err("reading schema", e))
    }

    async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }
}
