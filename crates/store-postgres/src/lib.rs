//! PostgreSQL backend, with tenant isolation enforced by the database.
//!
//! Defence in depth: every query filters by `tenant_id`, *and* tenant-owned tables have
//! row-level security keyed on the transaction-local setting `nexus.tenant_id`. Pooled
//! connections `SET ROLE` to an application role that cannot bypass RLS, so even an
//! unscoped query inside tenant A's transaction sees only tenant A's rows. Migrations
//! run on a separate connection as the login role, which owns the schema.

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
use nexus_domain::TenantId;
use nexus_store::{
    AuditStore, Database, JobStore, LeaseStore, SessionStore, StoreError, TenantStore,
    ThrottleStore, Tx, UserStore,
};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, Executor, PgPool, Postgres, Row, SqlSafeStr, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

pub(crate) use error::map_err;

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
        m(
            31,
            "sim_lock_book",
            include_str!("../migrations/0031_sim_lock_book.sql"),
        ),
    ])
}

/// A PostgreSQL transaction, for stores' `*_in` methods.
pub struct PgTx(pub(crate) Transaction<'static, Postgres>);

#[async_trait]
impl Tx for PgTx {
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

/// Connection settings for the PostgreSQL backend.
#[derive(Debug, Clone)]
pub struct PgSettings {
    /// `postgres://user:pass@host:port/db`.
    pub url: String,
    /// Pool size.
    pub max_connections: u32,
    /// How long to wait for a pooled connection (and to open one).
    pub acquire_timeout: Duration,
    /// Role to `SET ROLE` to on every pooled connection; `None` when the login role is
    /// already the restricted application role.
    pub app_role: Option<String>,
}

/// The PostgreSQL [`Database`].
#[derive(Debug, Clone)]
pub struct PgDatabase {
    pool: PgPool,
    connect: PgConnectOptions,
}

impl PgDatabase {
    /// Builds a lazily connecting pool, so start-up can retry and report readiness.
    pub fn connect_lazy(settings: &PgSettings) -> Result<Self, StoreError> {
        let connect = PgConnectOptions::from_str(&settings.url)
            .map_err(|e| StoreError::other("parsing the postgres url", e))?
            .application_name("finai-nexus");
        let set_role = settings
            .app_role
            .as_ref()
            .map(|r| format!("set role \"{}\"", r.replace('"', "\"\"")));
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections.max(1))
            .acquire_timeout(settings.acquire_timeout)
            // Every acquire reports its wait as a `debug` event on `sqlx::pool::acquire`,
            // which the server turns into the pool-wait histogram. The event costs
            // nothing unless a subscriber enables that target.
            .acquire_time_level(log::LevelFilter::Debug)
            .after_connect(move |conn, _meta| {
                let set_role = set_role.clone();
                Box::pin(async move {
                    if let Some(sql) = set_role {
                        conn.execute(AssertSqlSafe(sql)).await?;
                    }
                    Ok(())
                })
            })
            .connect_lazy_with(connect.clone());
        Ok(Self { pool, connect })
    }

    /// A one-connection pool as the login role (no `SET ROLE`), for DDL and bookkeeping.
    async fn owner_pool(&self) -> Result<PgPool, StoreError> {
        PgPoolOptions::new()
            .max_connections(1)
            .connect_with(self.connect.clone())
            .await
            .map_err(|e| map_err("connecting as the schema owner", e))
    }

    /// The pool, for tests that need raw SQL as the application role.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Begins a transaction scoped to `tenant`: row-level security admits only its rows.
    pub async fn begin_tenant_tx(
        &self,
        tenant: TenantId,
    ) -> Result<Transaction<'static, Postgres>, StoreError> {
        begin_tenant_tx(&self.pool, tenant).await
    }
}

pub(crate) async fn begin_tenant_tx(
    pool: &PgPool,
    tenant: TenantId,
) -> Result<Transaction<'static, Postgres>, StoreError> {
    // `BEGIN` and the tenant scope in one simple query: one round trip less on every
    // tenant transaction. The simple protocol takes no parameters, so the tenant is
    // inlined; it is a typed UUID, so nothing a caller typed reaches the text.
    pool.begin_with(sqlx::AssertSqlSafe(format!(
        "begin; select set_config('nexus.tenant_id', '{}', true)",
        tenant.as_uuid()
    )))
    .await
    .map_err(|e| map_err("beginning a tenant transaction", e))
}

#[async_trait]
impl Database for PgDatabase {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn pool_stats(&self) -> nexus_store::PoolStats {
        nexus_store::PoolStats {
            open: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            max: self.pool.options().get_max_connections(),
        }
    }

    fn tenants(&self) -> Arc<dyn TenantStore> {
        Arc::new(tenant::PgTenants {
            pool: self.pool.clone(),
        })
    }

    fn users(&self) -> Arc<dyn UserStore> {
        Arc::new(user::PgUsers {
            pool: self.pool.clone(),
        })
    }

    fn jobs(&self) -> Arc<dyn JobStore> {
        Arc::new(jobs::PgJobs {
            pool: self.pool.clone(),
        })
    }

    fn audit(&self) -> Arc<dyn AuditStore> {
        Arc::new(audit::PgAudit {
            pool: self.pool.clone(),
        })
    }

    fn sessions(&self) -> Arc<dyn SessionStore> {
        Arc::new(session::PgSessions {
            pool: self.pool.clone(),
        })
    }

    fn throttles(&self) -> Arc<dyn ThrottleStore> {
        Arc::new(session::PgThrottles {
            pool: self.pool.clone(),
        })
    }

    fn courses(&self) -> Arc<dyn nexus_store::CourseStore> {
        Arc::new(course::PgCourses {
            pool: self.pool.clone(),
        })
    }

    fn enrolments(&self) -> Arc<dyn nexus_store::EnrolmentStore> {
        Arc::new(enrolment::PgEnrolments {
            pool: self.pool.clone(),
        })
    }

    fn quizzes(&self) -> Arc<dyn nexus_store::QuizStore> {
        Arc::new(quiz::PgQuizzes {
            pool: self.pool.clone(),
        })
    }

    fn library(&self) -> Arc<dyn nexus_store::LibraryStore> {
        Arc::new(library::PgLibrary {
            pool: self.pool.clone(),
        })
    }

    fn achievements(&self) -> Arc<dyn nexus_store::AchievementStore> {
        Arc::new(achievement::PgAchievements {
            pool: self.pool.clone(),
        })
    }

    fn roles(&self) -> Arc<dyn nexus_store::RoleStore> {
        Arc::new(role::PgRoles {
            pool: self.pool.clone(),
        })
    }

    fn mfa(&self) -> Arc<dyn nexus_store::MfaStore> {
        Arc::new(mfa::PgMfa {
            pool: self.pool.clone(),
        })
    }

    fn recovery(&self) -> Arc<dyn nexus_store::RecoveryStore> {
        Arc::new(recovery::PgRecovery {
            pool: self.pool.clone(),
        })
    }

    fn leases(&self) -> Arc<dyn LeaseStore> {
        Arc::new(jobs::PgLeases {
            pool: self.pool.clone(),
        })
    }

    fn sim(&self) -> Arc<dyn nexus_store::SimStore> {
        Arc::new(sim::PgSim {
            pool: self.pool.clone(),
        })
    }

    fn api_keys(&self) -> Arc<dyn nexus_store::ApiKeyStore> {
        Arc::new(apikey::PgApiKeys {
            pool: self.pool.clone(),
        })
    }

    fn usage(&self) -> Arc<dyn nexus_store::UsageStore> {
        Arc::new(usage::PgUsage {
            pool: self.pool.clone(),
        })
    }

    fn billing(&self) -> Arc<dyn nexus_store::BillingStore> {
        Arc::new(billing::PgBilling {
            pool: self.pool.clone(),
        })
    }

    fn webhooks(&self) -> Arc<dyn nexus_store::WebhookStore> {
        Arc::new(webhook::PgWebhooks {
            pool: self.pool.clone(),
        })
    }

    async fn begin(&self, tenant: Option<TenantId>) -> Result<Box<dyn Tx>, StoreError> {
        let tx = match tenant {
            Some(t) => begin_tenant_tx(&self.pool, t).await?,
            None => self
                .pool
                .begin()
                .await
                .map_err(|e| map_err("beginning a transaction", e))?,
        };
        Ok(Box::new(PgTx(tx)))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("select 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(|e| map_err("ping", e))
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        // As the login role, not the pool's restricted role: DDL needs the owner.
        let owner = self.owner_pool().await?;
        let result = migrator().run(&owner).await;
        owner.close().await;
        result.map_err(|e| match e {
            sqlx::migrate::MigrateError::Execute(e) => map_err("running migrations", e),
            other => StoreError::other("running migrations", other),
        })
    }

    async fn is_migrated(&self) -> Result<bool, StoreError> {
        let exists: bool =
            sqlx::query_scalar("select to_regclass('public._sqlx_migrations') is not null")
                .fetch_one(&self.pool)
                .await
                .map_err(|e| map_err("checking migrations", e))?;
        if !exists {
            return Ok(false);
        }
        // The restricted role may not read the bookkeeping table; ask as the owner.
        let owner = self.owner_pool().await?;
        let applied: Result<Vec<i64>, _> =
            sqlx::query_scalar("select version from _sqlx_migrations where success")
                .fetch_all(&owner)
                .await;
        owner.close().await;
        let applied = applied.map_err(|e| map_err("checking migrations", e))?;
        Ok(migrator().iter().all(|m| applied.contains(&m.version)))
    }

    async fn verify_setup(&self) -> Result<(), StoreError> {
        let row = sqlx::query(
            "select current_user::text as who, rolsuper or rolbypassrls as bypasses \
             from pg_roles where rolname = current_user",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(|e| map_err("checking the application role", e))?;
        let bypasses: bool = row
            .try_get("bypasses")
            .map_err(|e| map_err("checking the application role", e))?;
        if bypasses {
            let who: String = row.try_get("who").unwrap_or_default();
            return Err(StoreError::other(
                "checking the application role",
                format!(
                    "role {who} bypasses row-level security; set database.app_role to a role without BYPASSRLS"
                ),
            ));
        }
        Ok(())
    }

    async fn schema_columns(&self) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query(
            "select table_name::text as t, column_name::text as c from information_schema.columns \
             where table_schema = 'public' and table_name not like '\\_sqlx%' order by 1, 2",
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
    }
}
