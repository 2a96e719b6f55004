//! SQLite tenant registry.

use crate::{SqliteTx, map_err};
use async_trait::async_trait;
use nexus_domain::TenantId;
use nexus_domain::paging::Page;
use nexus_domain::tenancy::{
    DomainName, NewTenant, Plan, Tenant, TenantQuery, TenantSlug, TenantSort, TenantStatus,
};
use nexus_store::sql::like_pattern;
use nexus_store::{StoreError, TenantStore, Tx, downcast};
use sqlx::sqlite::SqliteRow;
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, Row, SqlitePool};
use time::OffsetDateTime;

pub(crate) struct SqliteTenants {
    pub(crate) pool: SqlitePool,
}

/// Columns of a tenant row plus its comma-joined domains (domains cannot hold commas).
const SELECT: &str = "select t.tenant_id, t.slug, t.name, t.status, t.plan, t.settings, t.branding, \
     t.created_at, t.updated_at, \
     (select group_concat(domain, ',') from (select domain from tenant_domain d \
        where d.tenant_id = t.tenant_id order by domain)) as domains \
     from tenant t";

/// RFC 3339 text does not sort by time across precisions ("…00Z" > "…00.5Z"), so time
/// sorts go through `julianday`.
fn sort_expr(sort: TenantSort) -> &'static str {
    match sort {
        TenantSort::CreatedAt => "julianday(t.created_at)",
        TenantSort::Slug => "t.slug",
        TenantSort::Name => "t.name",
    }
}

fn into_domain(row: &SqliteRow) -> Result<Tenant, StoreError> {
    let parse = || -> Result<Tenant, Box<dyn std::error::Error + Send + Sync>> {
        let domains: Option<String> = row.try_get("domains")?;
        Ok(Tenant {
            id: TenantId::from_uuid(row.try_get("tenant_id")?),
            slug: TenantSlug::parse(row.try_get("slug")?)?,
            name: row.try_get("name")?,
            status: TenantStatus::parse(row.try_get("status")?)?,
            plan: Plan::parse(row.try_get("plan")?)?,
            settings: row.try_get::<Json<_>, _>("settings")?.0,
            branding: row.try_get::<Json<_>, _>("branding")?.0,
            domains: domains
                .unwrap_or_default()
                .split(',')
                .filter(|d| !d.is_empty())
                .map(DomainName::parse)
                .collect::<Result<_, _>>()?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    };
    parse().map_err(|e| StoreError::other("decoding a tenant row", e))
}

#[async_trait]
impl TenantStore for SqliteTenants {
    async fn create(
        &self,
        tx: &mut dyn Tx,
        id: TenantId,
        new: &NewTenant,
        now: OffsetDateTime,
    ) -> Result<Tenant, StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        sqlx::query(
            "insert into tenant (tenant_id, slug, name, status, plan, settings, branding, created_at, updated_at) \
             values (?, ?, ?, 'active', ?, ?, ?, ?, ?)",
        )
        .bind(id.as_uuid())
        .bind(new.slug.as_str())
        .bind(&new.name)
        .bind(new.plan.as_str())
        .bind(Json(&new.settings))
        .bind(Json(&new.branding))
        .bind(now)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(|e| map_err("inserting a tenant", e))?;
        // Read back on the same connection: the row is not visible outside the
        // transaction yet.
        let row = sqlx::query(AssertSqlSafe(format!("{SELECT} where t.tenant_id = ?")))
            .bind(id.as_uuid())
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| map_err("loading a tenant", e))?;
        into_domain(&row)
    }

    async fn get(&self, id: TenantId) -> Result<Tenant, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!("{SELECT} where t.tenant_id = ?")))
            .bind(id.as_uuid())
            .fetch_one(&self.pool)
            .await
            .map_err(|e| map_err("loading a tenant", e))?;
        into_domain(&row)
    }

    async fn find_by_slug(&self, slug: &TenantSlug) -> Result<Option<Tenant>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!("{SELECT} where t.slug = ?")))
            .bind(slug.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| map_err("finding a tenant by slug", e))?;
        row.as_ref().map(into_domain).transpose()
    }

    async fn find_by_domain(&self, domain: &DomainName) -> Result<Option<Tenant>, StoreError> {
        let sql = format!(
            "{SELECT} where t.tenant_id = (select tenant_id from tenant_domain where domain = ?)"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(domain.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| map_err("finding a tenant by domain", e))?;
        row.as_ref().map(into_domain).transpose()
    }

    async fn list(&self, q: &TenantQuery) -> Result<Page<Tenant>, StoreError> {
        // Filters are always bound; NULL disables one. Sort column and direction come
        // from enums, never from request text.
        let filter = "where (?1 is null or t.status = ?1) \
             and (?2 is null or lower(t.slug) like ?2 escape '\\' or lower(t.name) like ?2 escape '\\')";
        let status = q.status.map(TenantStatus::as_str);
        let pattern = q.search.as_deref().map(like_pattern);
        let total: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "select count(*) from tenant t {filter}"
        )))
        .bind(status)
        .bind(&pattern)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| map_err("counting tenants", e))?;
        let sql = format!(
            "{SELECT} {filter} order by {} {}, t.tenant_id limit ?3 offset ?4",
            sort_expr(q.sort),
            q.order.sql()
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(status)
            .bind(&pattern)
            .bind(i64::from(q.page.limit()))
            .bind(i64::try_from(q.page.offset()).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await
            .map_err(|e| map_err("listing tenants", e))?;
        Ok(Page {
            items: rows.iter().map(into_domain).collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
            limit: q.page.limit(),
            offset: q.page.offset(),
        })
    }

    async fn count(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("select count(*) from tenant")
            .fetch_one(&self.pool)
            .await
            .map_err(|e| map_err("counting tenants", e))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn update(&self, tx: &mut dyn Tx, t: &Tenant) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        let done = sqlx::query(
            "update tenant set name = ?, status = ?, plan = ?, settings = ?, branding = ?, updated_at = ? \
             where tenant_id = ?",
        )
        .bind(&t.name)
        .bind(t.status.as_str())
        .bind(t.plan.as_str())
        .bind(Json(&t.settings))
        .bind(Json(&t.branding))
        .bind(t.updated_at)
        .bind(t.id.as_uuid())
        .execute(&mut *conn)
        .await
        .map_err(|e| map_err("updating a tenant", e))?;
        if done.rows_affected() == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn add_domain(
        &self,
        tx: &mut dyn Tx,
        id: TenantId,
        domain: &DomainName,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        sqlx::query("insert into tenant_domain (tenant_id, domain, created_at) values (?, ?, ?)")
            .bind(id.as_uuid())
            .bind(domain.as_str())
            .bind(now)
            .execute(&mut *conn)
            .await
            .map(|_| ())
            .map_err(|e| match map_err("adding a domain", e) {
                StoreError::Conflict {
                    constraint: "tenant_fkey",
                } => StoreError::NotFound,
                other => other,
            })
    }

    async fn remove_domain(
        &self,
        tx: &mut dyn Tx,
        id: TenantId,
        domain: &DomainName,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        let done = sqlx::query("delete from tenant_domain where tenant_id = ? and domain = ?")
            .bind(id.as_uuid())
            .bind(domain.as_str())
            .execute(&mut *conn)
            .await
            .map_err(|e| map_err("removing a domain", e))?;
        if done.rows_affected() == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }
}
