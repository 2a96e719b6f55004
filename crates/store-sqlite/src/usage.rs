//! SQLite usage counts. Hours are Unix microseconds; every statement filters by
//! `tenant_id`. A flush is one transaction of upserts that add to existing counts.

use crate::jobs::micros;
use crate::map_err;
use async_trait::async_trait;
use nexus_domain::TenantId;
use nexus_domain::usage::{UsageCount, UsageGroup, UsageRow, UsageTotal};
use nexus_store::usage::{decode_row, group_expr, merged};
use nexus_store::{StoreError, UsageStore};
use sqlx::{AssertSqlSafe, Row, SqlitePool};
use time::OffsetDateTime;

pub(crate) struct SqliteUsage {
    pub(crate) pool: SqlitePool,
    pub(crate) writer: crate::Writer,
}

const DAY: &str = "strftime('%Y-%m-%d', hour / 1000000, 'unixepoch')";

fn count(requests: i64, units: i64) -> Result<UsageCount, StoreError> {
    let bad = |_| StoreError::other("decoding usage", "negative count");
    Ok(UsageCount {
        requests: u64::try_from(requests).map_err(bad)?,
        units: u64::try_from(units).map_err(bad)?,
    })
}

fn time_of(us: i64) -> Result<OffsetDateTime, StoreError> {
    crate::jobs::time_of(us).map_err(|e| StoreError::other("decoding an hour", e))
}

#[async_trait]
impl UsageStore for SqliteUsage {
    async fn add(&self, tenant: TenantId, rows: &[UsageRow]) -> Result<(), StoreError> {
        let rows = merged(rows);
        if rows.is_empty() {
            return Ok(());
        }
        let saturate = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let mut tx = crate::begin_write(&self.writer)
            .await
            .map_err(|e| map_err("adding usage", e))?;
        for r in &rows {
            sqlx::query(
                "insert into api_usage (tenant_id, hour, caller, route, status_class, \
                 latency_bucket, requests, units) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                 on conflict (tenant_id, hour, caller, route, status_class, latency_bucket) \
                 do update set requests = requests + excluded.requests, \
                 units = units + excluded.units",
            )
            .bind(tenant.as_uuid())
            .bind(micros(r.key.hour))
            .bind(r.key.caller.to_text())
            .bind(&r.key.route)
            .bind(i64::from(r.key.status_class))
            .bind(r.key.latency.label())
            .bind(saturate(r.count.requests))
            .bind(saturate(r.count.units))
            .execute(&mut *tx)
            .await
            .map_err(|e| map_err("adding usage", e))?;
        }
        tx.commit().await.map_err(|e| map_err("adding usage", e))
    }

    async fn totals(
        &self,
        tenant: TenantId,
        from: OffsetDateTime,
        to: OffsetDateTime,
        group: UsageGroup,
    ) -> Result<Vec<UsageTotal>, StoreError> {
        let g = group_expr(group, DAY);
        let rows = sqlx::query(AssertSqlSafe(format!(
            "select {g} as grp, sum(requests) as requests, sum(units) as units \
             from api_usage where tenant_id = ?1 and hour >= ?2 and hour < ?3 \
             group by 1 order by 1"
        )))
        .bind(tenant.as_uuid())
        .bind(micros(from))
        .bind(micros(to))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| map_err("summing usage", e))?;
        rows.iter()
            .map(|r| {
                let get = |e| map_err("summing usage", e);
                Ok(UsageTotal {
                    group: r.try_get("grp").map_err(get)?,
                    count: count(
                        r.try_get("requests").map_err(get)?,
                        r.try_get("units").map_err(get)?,
                    )?,
                })
            })
            .collect()
    }

    async fn rows(
        &self,
        tenant: TenantId,
        from: OffsetDateTime,
        to: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<UsageRow>, StoreError> {
        let rows = sqlx::query(
            "select hour, caller, route, status_class, latency_bucket, requests, units \
             from api_usage where tenant_id = ?1 and hour >= ?2 and hour < ?3 \
             order by hour, caller, route, status_class, latency_bucket limit ?4",
        )
        .bind(tenant.as_uuid())
        .bind(micros(from))
        .bind(micros(to))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| map_err("reading usage", e))?;
        rows.iter()
            .map(|r| {
                let get = |e| map_err("reading usage", e);
                decode_row(
                    time_of(r.try_get("hour").map_err(get)?)?,
                    r.try_get::<&str, _>("caller").map_err(get)?,
                    r.try_get("route").map_err(get)?,
                    r.try_get("status_class").map_err(get)?,
                    r.try_get::<&str, _>("latency_bucket").map_err(get)?,
                    r.try_get("requests").map_err(get)?,
                    r.try_get("units").map_err(get)?,
                )
            })
            .collect()
    }

    async fn units(
        &self,
        tenant: TenantId,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let units: i64 = sqlx::query_scalar(
            "select coalesce(sum(units), 0) from api_usage \
             where tenant_id = ?1 and hour >= ?2 and hour < ?3",
        )
        .bind(tenant.as_uuid())
        .bind(micros(from))
        .bind(micros(to))
        .fetch_one(&self.pool)
        .await
        .map_err(|e| map_err("counting usage", e))?;
        Ok(u64::try_from(units).unwrap_or(0))
    }

    async fn purge_before(
        &self,
        tenant: TenantId,
        before: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query("delete from api_usage where tenant_id = ?1 and hour < ?2")
            .bind(tenant.as_uuid())
            .bind(micros(before))
            .execute(self.writer.pool())
            .await
            .map_err(|e| map_err("purging usage", e))?;
        Ok(done.rows_affected())
    }
}
