//! PostgreSQL sessions and login throttles, each call in a tenant-scoped transaction.

use crate::{PgTx, begin_tenant_tx, map_err};
use async_trait::async_trait;
use nexus_domain::session::{NewSession, Session, SessionId, ThrottleRule, ThrottleState};
use nexus_domain::{TenantId, UserId};
use nexus_store::sql::prefix_pattern;
use nexus_store::{SessionStore, StoreError, ThrottleStore, Tx, downcast};
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, PgPool, Row};
use time::OffsetDateTime;

pub(crate) struct PgSessions {
    pub(crate) pool: PgPool,
}

pub(crate) struct PgThrottles {
    pub(crate) pool: PgPool,
}

const COLUMNS: &str = "tenant_id, app_session_id, app_user_id, csrf_hash, created_at, last_seen_at, expires_at, \
     idle_timeout_secs, ip, user_agent, revoked_at, mfa_state";

fn into_domain(row: &PgRow) -> Result<Session, StoreError> {
    let parse = || -> Result<Session, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Session {
            tenant: TenantId::from_uuid(row.try_get("tenant_id")?),
            id: SessionId::from_uuid(row.try_get("app_session_id")?),
            user: UserId::from_uuid(row.try_get("app_user_id")?),
            csrf_hash: row.try_get("csrf_hash")?,
            created_at: row.try_get("created_at")?,
            last_seen_at: row.try_get("last_seen_at")?,
            expires_at: row.try_get("expires_at")?,
            idle_timeout_secs: u32::try_from(row.try_get::<i32, _>("idle_timeout_secs")?)?,
            ip: row.try_get("ip")?,
            user_agent: row.try_get("user_agent")?,
            revoked_at: row.try_get("revoked_at")?,
            mfa_state: nexus_domain::mfa::MfaState::parse(row.try_get("mfa_state")?)
                .ok_or("unknown mfa_state")?,
        })
    };
    parse().map_err(|e| StoreError::other("decoding a session row", e))
}

fn err(context: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| map_err(context, e)
}

#[async_trait]
impl SessionStore for PgSessions {
    async fn create(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        s: &NewSession,
    ) -> Result<Session, StoreError> {
        let tx = &mut *downcast::<PgTx>(tx)?.0;
        let row = sqlx::query(AssertSqlSafe(format!(
            "insert into app_session (tenant_id, app_session_id, app_user_id, token_hash, csrf_hash, created_at, \
             last_seen_at, expires_at, idle_timeout_secs, ip, user_agent, mfa_state) \
             values ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11) returning {COLUMNS}"
        )))
        .bind(tenant.as_uuid())
        .bind(s.id.as_uuid())
        .bind(s.user.as_uuid())
        .bind(&s.token_hash)
        .bind(&s.csrf_hash)
        .bind(s.created_at)
        .bind(s.expires_at)
        .bind(i32::try_from(s.idle_timeout.as_secs()).unwrap_or(i32::MAX))
        .bind(&s.ip)
        .bind(&s.user_agent)
        .bind(s.mfa_state.as_str())
        .fetch_one(&mut *tx)
        .await
        .map_err(err("creating a session"))?;
        into_domain(&row)
    }

    async fn find_by_token_hash(
        &self,
        tenant: TenantId,
        token_hash: &str,
    ) -> Result<Option<Session>, StoreError> {
        let mut tx = begin_tenant_tx(&self.pool, tenant).await?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "select {COLUMNS} from app_session where tenant_id = $1 and token_hash = $2"
        )))
        .bind(tenant.as_uuid())
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await
        .map_err(err("finding a session"))?;
        tx.commit().await.map_err(err("finding a session"))?;
        row.as_ref().map(into_domain).transpose()
    }

    async fn set_mfa_state(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: SessionId,
        state: nexus_domain::mfa::MfaState,
    ) -> Result<(), StoreError> {
        let tx = &mut *downcast::<PgTx>(tx)?.0;
        let n = sqlx::query("update app_session set mfa_state = $3 where tenant_id = $1 and app_session_id = $2 and revoked_at is null")
            .bind(tenant.as_uuid())
            .bind(id.as_uuid())
            .bind(state.as_str())
            .execute(&mut *tx)
            .await
            .map_err(err("updating a session"))?
            .rows_affected();
        if n == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn touch(
        &self,
        tenant: TenantId,
        id: SessionId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut tx = begin_tenant_tx(&self.pool, tenant).await?;
        sqlx::query("update app_session set last_seen_at = greatest(last_seen_at, $3) where tenant_id = $1 and app_session_id = $2")
            .bind(tenant.as_uuid())
            .bind(id.as_uuid())
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(err("touching a session"))?;
        tx.commit().await.map_err(err("touching a session"))
    }

    async fn revoke(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: SessionId,
        user: Option<UserId>,
        at: OffsetDateTime,
    ) -> Result<String, StoreError> {
        let tx = &mut *downcast::<PgTx>(tx)?.0;
        let hash: Option<String> = sqlx::query_scalar(
            "update app_session set revoked_at = $3 where tenant_id = $1 and app_session_id = $2 \
             and revoked_at is null and ($4::uuid is null or app_user_id = $4) returning token_hash",
        )
        .bind(tenant.as_uuid())
        .bind(id.as_uuid())
        .bind(at)
        .bind(user.map(|u| u.as_uuid()))
        .fetch_optional(&mut *tx)
        .await
        .map_err(err("revoking a session"))?;
        hash.ok_or(StoreError::NotFound)
    }

    async fn revoke_all(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        user: UserId,
        at: OffsetDateTime,
    ) -> Result<Vec<String>, StoreError> {
        let tx = &mut *downcast::<PgTx>(tx)?.0;
        let hashes: Vec<String> = sqlx::query_scalar(
            "update app_session set revoked_at = $3 where tenant_id = $1 and app_user_id = $2 and revoked_at is null \
             returning token_hash",
        )
        .bind(tenant.as_uuid())
        .bind(user.as_uuid())
        .bind(at)
        .fetch_all(&mut *tx)
        .await
        .map_err(err("revoking sessions"))?;
        Ok(hashes)
    }

    async fn list_for_user(
        &self,
        tenant: TenantId,
        user: UserId,
        now: OffsetDateTime,
    ) -> Result<Vec<Session>, StoreError> {
        let mut tx = begin_tenant_tx(&self.pool, tenant).await?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "select {COLUMNS} from app_session where tenant_id = $1 and app_user_id = $2 and revoked_at is null \
             and expires_at > $3 and last_seen_at + make_interval(secs => idle_timeout_secs) > $3 \
             order by created_at desc, app_session_id desc"
        )))
        .bind(tenant.as_uuid())
        .bind(user.as_uuid())
        .bind(now)
        .fetch_all(&mut *tx)
        .await
        .map_err(err("listing sessions"))?;
        tx.commit().await.map_err(err("listing sessions"))?;
        rows.iter().map(into_domain).collect()
    }

    async fn token_hashes(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<String>, StoreError> {
        let mut tx = begin_tenant_tx(&self.pool, tenant).await?;
        let hashes = sqlx::query_scalar("select token_hash from app_session where tenant_id = $1 and app_user_id = $2 and revoked_at is null")
            .bind(tenant.as_uuid())
            .bind(user.as_uuid())
            .fetch_all(&mut *tx)
            .await
            .map_err(err("reading session tokens"))?;
        tx.commit().await.map_err(err("reading session tokens"))?;
        Ok(hashes)
    }

    async fn purge_ended(
        &self,
        tenant: TenantId,
        before: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let mut tx = begin_tenant_tx(&self.pool, tenant).await?;
        let n = sqlx::query(
            "delete from app_session where tenant_id = $1 and (revoked_at < $2 or expires_at < $2 \
             or last_seen_at + make_interval(secs => idle_timeout_secs) < $2)",
        )
        .bind(tenant.as_uuid())
        .bind(before)
        .execute(&mut *tx)
        .await
        .map_err(err("purging sessions"))?
        .rows_affected();
        tx.commit().await.map_err(err("purging sessions"))?;
        Ok(n)
    }
}

#[async_trait]
impl ThrottleStore for PgThrottles {
    async fn locked_until(
        &self,
        tenant: TenantId,
        key: &str,
        now: OffsetDateTime,
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        let mut tx = begin_tenant_tx(&self.pool, tenant).await?;
        let until: Option<OffsetDateTime> = sqlx::query_scalar(
            "select locked_until from auth_throttle where tenant_id = $1 and throttle_key = $2 and locked_until > $3",
        )
        .bind(tenant.as_uuid())
        .bind(key)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(err("reading a throttle"))?
        .flatten();
        tx.commit().await.map_err(err("reading a throttle"))?;
        Ok(until)
    }

    async fn record_failure(
        &self,
        tenant: TenantId,
        key: &str,
        rule: ThrottleRule,
        now: OffsetDateTime,
    ) -> Result<ThrottleState, StoreError> {
        let window_start =
            now - time::Duration::try_from(rule.window).unwrap_or(time::Duration::HOUR);
        let lock_until =
            now + time::Duration::try_from(rule.lock_for).unwrap_or(time::Duration::HOUR);
        let mut tx = begin_tenant_tx(&self.pool, tenant).await?;
        // One statement: a new window restarts the count; reaching the threshold locks.
        let row = sqlx::query(
            "insert into auth_throttle (tenant_id, throttle_key, failures, window_started_at, locked_until) \
             values ($1, $2, 1, $3, case when 1 >= $5 then $6::timestamptz end) \
             on conflict (tenant_id, throttle_key) do update set \
               failures = case when auth_throttle.window_started_at < $4 then 1 else auth_throttle.failures + 1 end, \
               window_started_at = case when auth_throttle.window_started_at < $4 then $3 else auth_throttle.window_started_at end, \
               locked_until = case \
                 when (case when auth_throttle.window_started_at < $4 then 1 else auth_throttle.failures + 1 end) >= $5 then $6 \
                 else auth_throttle.locked_until end \
             returning failures, locked_until",
        )
        .bind(tenant.as_uuid())
        .bind(key)
        .bind(now)
        .bind(window_start)
        .bind(i32::try_from(rule.threshold).unwrap_or(i32::MAX))
        .bind(lock_until)
        .fetch_one(&mut *tx)
        .await
        .map_err(err("recording a login failure"))?;
        tx.commit()
            .await
            .map_err(err("recording a login failure"))?;
        let failures: i32 = row
            .try_get("failures")
            .map_err(err("recording a login failure"))?;
        let locked_until: Option<OffsetDateTime> = row
            .try_get("locked_until")
            .map_err(err("recording a login failure"))?;
        Ok(ThrottleState {
            failures: u32::try_from(failures).unwrap_or(0),
            locked_until: locked_until.filter(|t| *t > now),
        })
    }

    async fn reset(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        key: &str,
    ) -> Result<bool, StoreError> {
        let tx = &mut *downcast::<PgTx>(tx)?.0;
        let locked: Option<Option<OffsetDateTime>> = sqlx::query_scalar(
            "delete from auth_throttle where tenant_id = $1 and throttle_key = $2 returning locked_until",
        )
        .bind(tenant.as_uuid())
        .bind(key)
        .fetch_optional(&mut *tx)
        .await
        .map_err(err("resetting a throttle"))?;
        Ok(locked.flatten().is_some())
    }

    async fn reset_prefix(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        prefix: &str,
    ) -> Result<u64, StoreError> {
        let tx = &mut *downcast::<PgTx>(tx)?.0;
        let locked: Vec<Option<OffsetDateTime>> = sqlx::query_scalar(
            "delete from auth_throttle where tenant_id = $1 and throttle_key like $2 escape '\\' \
             returning locked_until",
        )
        .bind(tenant.as_uuid())
        .bind(prefix_pattern(prefix))
        .fetch_all(&mut *tx)
        .await
        .map_err(err("resetting throttles"))?;
        Ok(locked.iter().flatten().count() as u64)
    }

    async fn purge_stale(
        &self,
        tenant: TenantId,
        before: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let mut tx = begin_tenant_tx(&self.pool, tenant).await?;
        let n = sqlx::query(
            "delete from auth_throttle where tenant_id = $1 and window_started_at < $2 \
             and (locked_until is null or locked_until < $2)",
        )
        .bind(tenant.as_uuid())
        .bind(before)
        .execute(&mut *tx)
        .await
        .map_err(err("purging throttles"))?
        .rows_affected();
        tx.commit().await.map_err(err("purging throttles"))?;
        Ok(n)
    }
}
