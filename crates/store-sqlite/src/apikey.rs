//! SQLite API keys. Times are Unix microseconds; every statement filters by
//! `tenant_id` (the whole of tenant isolation on this backend).

use crate::jobs::{micros, opt_time, time_of};
use crate::{SqliteTx, map_err};
use async_trait::async_trait;
use nexus_domain::apikey::{ApiKey, ApiKeyId};
use nexus_domain::paging::{Page, PageRequest};
use nexus_domain::{TenantId, UserId};
use nexus_store::apikey_codec::{scopes_from, scopes_text};
use nexus_store::{ApiKeyStore, StoreError, Tx, downcast};
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Row, SqlitePool};
use time::OffsetDateTime;

pub(crate) struct SqliteApiKeys {
    pub(crate) pool: SqlitePool,
    pub(crate) writer: crate::Writer,
}

const SELECT: &str = "select api_key_id, name, owner_user_id, scopes, key_hash, hint, created_at, \
     expires_at, revoked_at, last_used_at, last_used_ip, rotated_from from api_key";

type Decode<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn into_key(row: &SqliteRow) -> Result<ApiKey, StoreError> {
    let parse = || -> Decode<ApiKey> {
        Ok(ApiKey {
            id: ApiKeyId::from_uuid(row.try_get("api_key_id")?),
            name: row.try_get("name")?,
            owner: UserId::from_uuid(row.try_get("owner_user_id")?),
            scopes: scopes_from(&row.try_get::<String, _>("scopes")?)?,
            hash: row.try_get("key_hash")?,
            hint: row.try_get("hint")?,
            created_at: time_of(row.try_get("created_at")?)?,
            expires_at: opt_time(row, "expires_at")?,
            revoked_at: opt_time(row, "revoked_at")?,
            last_used_at: opt_time(row, "last_used_at")?,
            last_used_ip: row.try_get("last_used_ip")?,
            rotated_from: row
                .try_get::<Option<uuid::Uuid>, _>("rotated_from")?
                .map(ApiKeyId::from_uuid),
        })
    };
    parse().map_err(|e| StoreError::other("decoding an API key", e))
}

#[async_trait]
impl ApiKeyStore for SqliteApiKeys {
    async fn create(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        k: &ApiKey,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        sqlx::query(
            "insert into api_key (tenant_id, api_key_id, name, owner_user_id, scopes, key_hash, \
             hint, created_at, expires_at, revoked_at, last_used_at, last_used_ip, rotated_from) \
             values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )
        .bind(tenant.as_uuid())
        .bind(k.id.as_uuid())
        .bind(&k.name)
        .bind(k.owner.as_uuid())
        .bind(scopes_text(&k.scopes))
        .bind(&k.hash)
        .bind(&k.hint)
        .bind(micros(k.created_at))
        .bind(k.expires_at.map(micros))
        .bind(k.revoked_at.map(micros))
        .bind(k.last_used_at.map(micros))
        .bind(&k.last_used_ip)
        .bind(k.rotated_from.map(|r| r.as_uuid()))
        .execute(conn)
        .await
        .map_err(|e| crate::course::parent_missing("creating an API key", e))?;
        Ok(())
    }

    async fn get(&self, tenant: TenantId, id: ApiKeyId) -> Result<ApiKey, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "{SELECT} where tenant_id = ?1 and api_key_id = ?2"
        )))
        .bind(tenant.as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| map_err("reading an API key", e))?;
        row.as_ref()
            .map(into_key)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    async fn find_by_hash(
        &self,
        tenant: TenantId,
        hash: &str,
    ) -> Result<Option<ApiKey>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "{SELECT} where tenant_id = ?1 and key_hash = ?2"
        )))
        .bind(tenant.as_uuid())
        .bind(hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| map_err("finding an API key", e))?;
        row.as_ref().map(into_key).transpose()
    }

    async fn list(&self, tenant: TenantId, page: PageRequest) -> Result<Page<ApiKey>, StoreError> {
        let (limit, offset) = crate::sim::limit_offset(page);
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{SELECT} where tenant_id = ?1 order by created_at desc, api_key_id desc \
             limit ?2 offset ?3"
        )))
        .bind(tenant.as_uuid())
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| map_err("listing API keys", e))?;
        let total: i64 = sqlx::query_scalar("select count(*) from api_key where tenant_id = ?1")
            .bind(tenant.as_uuid())
            .fetch_one(&self.pool)
            .await
            .map_err(|e| map_err("counting API keys", e))?;
        Ok(Page {
            items: rows.iter().map(into_key).collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
            limit: page.limit(),
            offset: page.offset(),
        })
    }

    async fn set_expiry(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: ApiKeyId,
        at: Option<OffsetDateTime>,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        let done = sqlx::query(
            "update api_key set expires_at = ?3 \
             where tenant_id = ?1 and api_key_id = ?2 and revoked_at is null",
        )
        .bind(tenant.as_uuid())
        .bind(id.as_uuid())
        .bind(at.map(micros))
        .execute(conn)
        .await
        .map_err(|e| map_err("setting an API key's expiry", e))?;
        crate::error::not_found_if_none(&done)
    }

    async fn revoke(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: ApiKeyId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        let done = sqlx::query(
            "update api_key set revoked_at = coalesce(revoked_at, ?3) \
             where tenant_id = ?1 and api_key_id = ?2",
        )
        .bind(tenant.as_uuid())
        .bind(id.as_uuid())
        .bind(micros(at))
        .execute(conn)
        .await
        .map_err(|e| map_err("revoking an API key", e))?;
        crate::error::not_found_if_none(&done)
    }

    async fn touch(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
        at: OffsetDateTime,
        ip: Option<&str>,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "update api_key set last_used_at = ?3, last_used_ip = ?4 \
             where tenant_id = ?1 and api_key_id = ?2",
        )
        .bind(tenant.as_uuid())
        .bind(id.as_uuid())
        .bind(micros(at))
        .bind(ip)
        .execute(self.writer.pool())
        .await
        .map_err(|e| map_err("recording an API key's use", e))?;
        crate::error::not_found_if_none(&done)
    }
}
