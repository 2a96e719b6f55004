//! SQLite user accounts. Every statement filters by `tenant_id`: on this backend that
//! filter is the whole of tenant isolation.

use crate::SqliteTx;
use crate::map_err;
use async_trait::async_trait;
use nexus_domain::paging::Page;
use nexus_domain::user::{Email, NewUser, PasswordHash, Role, User, UserQuery};
use nexus_domain::{TenantId, UserId};
use nexus_store::sql::like_pattern;
use nexus_store::{StoreError, Tx, UserStore, downcast};
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Row, SqliteConnection, SqlitePool};
use time::OffsetDateTime;

pub(crate) struct SqliteUsers {
    pub(crate) pool: SqlitePool,
    pub(crate) writer: crate::Writer,
}

const SELECT: &str = "select tenant_id, app_user_id, email, display_name, role, password_hash, email_verified_at, created_at from app_user";

fn into_domain(row: &SqliteRow) -> Result<User, StoreError> {
    let parse = || -> Result<User, Box<dyn std::error::Error + Send + Sync>> {
        Ok(User {
            id: UserId::from_uuid(row.try_get("app_user_id")?),
            tenant_id: TenantId::from_uuid(row.try_get("tenant_id")?),
            email: Email::parse(row.try_get("email")?)?,
            display_name: row.try_get("display_name")?,
            role: Role::parse(row.try_get("role")?)?,
            email_verified_at: row.try_get("email_verified_at")?,
            created_at: row.try_get("created_at")?,
        })
    };
    parse().map_err(|e| StoreError::other("decoding a user row", e))
}

async fn insert(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    id: UserId,
    new: &NewUser,
    now: OffsetDateTime,
) -> Result<User, StoreError> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "insert into app_user (tenant_id, app_user_id, email, display_name, role, password_hash, created_at, updated_at, email_verified_at) \
         values (?, ?, ?, ?, ?, ?, ?, ?, ?) returning {}",
        SELECT.trim_start_matches("select ").trim_end_matches(" from app_user")
    )))
    .bind(tenant.as_uuid())
    .bind(id.as_uuid())
    .bind(new.email.as_str())
    .bind(&new.display_name)
    .bind(new.role.as_str())
    .bind(new.password_hash.as_str())
    .bind(now)
    .bind(now)
    .bind(new.email_verified_at)
    .fetch_one(conn)
    .await
    .map_err(|e| map_err("inserting a user", e))?;
    into_domain(&row)
}

#[async_trait]
impl UserStore for SqliteUsers {
    async fn create(
        &self,
        tenant: TenantId,
        id: UserId,
        new: &NewUser,
        now: OffsetDateTime,
    ) -> Result<User, StoreError> {
        let mut conn = self
            .writer
            .pool()
            .acquire()
            .await
            .map_err(|e| map_err("inserting a user", e))?;
        insert(&mut conn, tenant, id, new, now).await
    }

    async fn create_in(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: UserId,
        new: &NewUser,
        now: OffsetDateTime,
    ) -> Result<User, StoreError> {
        insert(&mut downcast::<SqliteTx>(tx)?.0, tenant, id, new, now).await
    }

    async fn get(&self, tenant: TenantId, id: UserId) -> Result<User, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "{SELECT} where tenant_id = ? and app_user_id = ?"
        )))
        .bind(tenant.as_uuid())
        .bind(id.as_uuid())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| map_err("loading a user", e))?;
        into_domain(&row)
    }

    async fn get_in(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: UserId,
    ) -> Result<User, StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        let row = sqlx::query(AssertSqlSafe(format!(
            "{SELECT} where tenant_id = ? and app_user_id = ?"
        )))
        .bind(tenant.as_uuid())
        .bind(id.as_uuid())
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| map_err("loading a user", e))?;
        into_domain(&row)
    }

    async fn find_by_email(
        &self,
        tenant: TenantId,
        email: &Email,
    ) -> Result<Option<(User, PasswordHash)>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "{SELECT} where tenant_id = ? and email = ?"
        )))
        .bind(tenant.as_uuid())
        .bind(email.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| map_err("finding a user by e-mail", e))?;
        row.map(|r| {
            let hash: String = r
                .try_get("password_hash")
                .map_err(|e| map_err("decoding a user row", e))?;
            Ok((into_domain(&r)?, PasswordHash::from_phc(hash)))
        })
        .transpose()
    }

    async fn list(&self, tenant: TenantId, q: &UserQuery) -> Result<Page<User>, StoreError> {
        let filter = "where tenant_id = ?1 and (?2 is null or role = ?2) \
             and (?3 is null or lower(email) like ?3 escape '\\' or lower(display_name) like ?3 escape '\\')";
        let role = q.role.map(Role::as_str);
        let pattern = q.search.as_deref().map(like_pattern);
        let total: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "select count(*) from app_user {filter}"
        )))
        .bind(tenant.as_uuid())
        .bind(role)
        .bind(&pattern)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| map_err("counting users", e))?;
        let sql = format!(
            "{SELECT} {filter} order by email {} limit ?4 offset ?5",
            q.order.sql()
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(tenant.as_uuid())
            .bind(role)
            .bind(&pattern)
            .bind(i64::from(q.page.limit()))
            .bind(i64::try_from(q.page.offset()).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await
            .map_err(|e| map_err("listing users", e))?;
        Ok(Page {
            items: rows.iter().map(into_domain).collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
            limit: q.page.limit(),
            offset: q.page.offset(),
        })
    }

    async fn count_all(&self) -> Result<u64, StoreError> {
        // SQLite has no row-level security: every row is visible to the one application.
        let n: i64 = sqlx::query_scalar("select count(*) from app_user")
            .fetch_one(&self.pool)
            .await
            .map_err(|e| map_err("counting accounts", e))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
