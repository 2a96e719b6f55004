//! PostgreSQL usage counts, each call in a tenant-scoped transaction. A flush is one
//! statement: the batch goes as arrays and is upserted, adding to existing counts.

use crate::sim::end_read;
use crate::{begin_tenant_tx, map_err};
use async_trait::async_trait;
use nexus_domain::TenantId;
use nexus_domain::usage::{UsageCount, UsageGroup, UsageRow, UsageTotal};
use nexus_store::usage::{decode_row, group_expr, merged};
use nexus_store::{StoreError, UsageStore};
use sqlx::{AssertSqlSafe, PgPool, Row};
use time::OffsetDateTime;

pub(crate) struct PgUsage {
    pub(crate) pool: PgPool,
}

const DAY: &str = "to_char(hour at time zone 'UTC', 'YYYY-MM-DD')";

fn count(requests: i64, units: i64) -> Result<UsageCount, StoreError> {
    let bad = |_| StoreError::other("decoding usage", "negative count");
    Ok(UsageCount {
        requests: u64::try_from(requests).map_err(bad)?,
        units: u64::try_from(units).map_err(bad)?,
    })
}

#[async_trait]
impl UsageStore for PgUsage {
    async fn add(&self, tenant: TenantId, rows: &[UsageRow]) -> Result<(), StoreError> {
        let rows = merged(rows);
        if rows.is_empty() {
            return Ok(());
        }
        let saturate = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let hours: Vec<OffsetDateTime> = rows.iter().map(|r| r.key.hour).collect();
        let callers: Vec<String> = rows.iter().map(|r| r.key.caller.to_text()).collect();
        let routes: Vec<&str> = rows.iter().map(|r| r.key.route.as_str()).collect();
        let classes: Vec<i16> = rows.iter().map(|r| i16::from(r.key.status_class)).collect();
        let buckets: Vec<String> = rows.iter().map(|r| r.key.latency.label()).collect();
        let requests: Vec<i64> = rows.iter().map(|r| saturate(r.count.requests)).collect();
        let units: Vec<i64> = rows.iter().map(|r| saturate(r.count.units)).collect();
        let mut tx = begin_tenant_tx(&self.pool, tenant).await?;
        sqlx::query(
            "insert into api_usage (tenant_id, hour, caller, route, status_class, \
             latency_bucket, requests, units) \
             select $1, h, c, r, s, l, q, u from unnest($2::timestamptz[], $3::text[], \
             $4::text[], $5::int2[], $6::text[], $7::int8[], $8::int8[]) as t(h, c, r, s, l, q, u) \
             on conflict (tenant_id, hour, caller, route, status_class, latency_bucket) \
             do update set requests = api_usage.requests + excluded.requests, \
             units = api_usage.units + excluded.units",
        )
        .bind(tenant.as_uuid())
        .bind(&hours)
        .bind(&callers)
        .bind(&routes)
        .bind(&classes)
        .bind(&buckets)
        .bind(&requests)
        .bind(&units)
        .execute(&mut *tx)
        .await
        .map_err(|e| map_err("adding usage", e))?;
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
        let mut tx = begin_tenant_tx(&self.pool, tenant).await?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "select {g} as grp, sum(requests)::int8 as requests, sum(units)::int8 as units \
             from api_usage where tenant_id = $1 and hour >= $2 and hour < $3 \
             group by 1 order by 1"
        )))
        .bind(tenant.as_uuid())
        .bind(from)
        .bind(to)
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| map_err("summing usage", e))?;
        end_read(tx).await?;
        rows.iter()
            .map(|r| {
                Ok(UsageTotal {
                    group: r.try_get("grp").map_err(|e| map_err("summing usage", e))?,
                    count: count(
                        r.try_get("requests")
                            .map_err(|e| map_err("summing usage", e))?,
                        r.try_get("units")
                            .map_err(|e| map_err("summing usage", e))?,
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
        let mut tx = begin_tenant_tx(&self.pool, tenant).await?;
        let rows = sqlx::query(
            "select hour, caller, route, status_class, latency_bucket, requests, units \
             from api_usage where tenant_id = $1 and hour >= $2 and hour < $3 \
             order by hour, caller, route, status_class, latency_bucket limit $4",
        )
        .bind(tenant.as_uuid())
        .bind(from)
        .bind(to)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| map_err("reading usage", e))?;
        end_read(tx).await?;
        rows.iter()
            .map(|r| {
                let get = |e| map_err("reading usage", e);
                decode_row(
                    r.try_get("hour").map_err(get)?,
                    r.try_get::<&str, _>("caller").map_err(get)?,
                    r.try_get("route").map_err(get)?,
                    i64::from(r.try_get::<i16, _>("status_class").map_err(get)?),
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
        let mut tx = begin_tenant_tx(&self.pool, tenant).await?;
        let units: i64 = sqlx::query_scalar(
            "select coalesce(sum(units), 0)::int8 from api_usage \
             where tenant_id = $1 and hour >= $2 and hour < $3",
        )
        .bind(tenant.as_uuid())
        .bind(from)
        .bind(to)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| map_err("counting usage", e))?;
        end_read(tx).await?;
        Ok(u64::try_from(units).unwrap_or(0))
    }

    async fn purge_before(
        &self,
        tenant: TenantId,
        before: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let mut tx = begin_tenant_tx(&self.pool, tenant).await?;
        let done = sqlx::query("delete from api_usage where tenant_id = $1 and hour < $2")
            .bind(tenant.as_uuid())
            .bind(before)
            .execute(&mut *tx)
            .await
            .map_err(|e| map_err("purging usage", e))?;
        tx.commit().await.map_err(|e| map_err("purging usage", e))?;
        Ok(done.rows_affected())
    }
}
