//! Fresh databases per test: a temp SQLite file, or a new PostgreSQL database created
//! from `NEXUS_TEST_DATABASE_URL` and dropped (WITH FORCE) when the test ends.

use nexus_store::Database;
use nexus_store_postgres::{PgDatabase, PgSettings};
use nexus_store_sqlite::{SqliteDatabase, SqliteSettings};
use sqlx::Connection;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// A database that exists only for one test.
pub enum TestDb {
    Sqlite {
        dir: PathBuf,
        url: String,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
}

impl TestDb {
    /// PostgreSQL when `NEXUS_TEST_DATABASE_URL` is set, otherwise SQLite.
    pub async fn fresh() -> Self {
        match Self::postgres().await {
            Some(db) => db,
            None => Self::sqlite(),
        }
    }

    /// A new SQLite file in its own temp directory.
    pub fn sqlite() -> Self {
        let dir =
            std::env::temp_dir().join(format!("nexus-test-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("nexus.db").display());
        Self::Sqlite { dir, url }
    }

    /// A new PostgreSQL database, or `None` when no test server is configured.
    pub async fn postgres() -> Option<Self> {
        let admin_url = std::env::var("NEXUS_TEST_DATABASE_URL").ok()?;
        let name = format!("nexus_t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&admin_url)
            .await
            .expect("connect to NEXUS_TEST_DATABASE_URL");
        sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        let url = with_database(&admin_url, &name);
        Some(Self::Postgres {
            admin_url,
            name,
            url,
        })
    }

    pub fn url(&self) -> &str {
        match self {
            Self::Sqlite { url, .. } | Self::Postgres { url, .. } => url,
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres { .. })
    }

    /// A store handle on this database, migrated.
    pub async fn database(&self) -> Arc<dyn Database> {
        let db: Arc<dyn Database> = match self {
            Self::Sqlite { url, .. } => Arc::new(
                SqliteDatabase::connect_lazy(&SqliteSettings {
                    url: url.clone(),
                    max_connections: 4,
                    acquire_timeout: Duration::from_secs(5),
                })
                .unwrap(),
            ),
            Self::Postgres { url, .. } => Arc::new(self.pg_with(url)),
        };
        db.migrate().await.unwrap();
        db
    }

    /// The PostgreSQL backend (running as the RLS-restricted role), for RLS tests.
    pub fn pg_with(&self, url: &str) -> PgDatabase {
        assert!(self.is_postgres(), "pg_with on a SQLite test database");
        PgDatabase::connect_lazy(&PgSettings {
            url: url.to_owned(),
            max_connections: 4,
            acquire_timeout: Duration::from_secs(5),
            app_role: Some("nexus_app".to_owned()),
        })
        .unwrap()
    }
}

/// Replaces the database name in a PostgreSQL URL.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..path_start]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match self {
            Self::Sqlite { dir, .. } => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Self::Postgres {
                admin_url, name, ..
            } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs outside async; use a private runtime on a plain thread.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    rt.block_on(async {
                        if let Ok(mut c) = sqlx::PgConnection::connect(&admin_url).await {
                            let sql = format!("drop database if exists {name} with (force)");
                            let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut c).await;
                        }
                    });
                })
                .join();
            }
        }
    }
}
