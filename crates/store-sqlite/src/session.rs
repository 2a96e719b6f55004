//! SQLite sessions and login throttles. Times are Unix microseconds; every statement
//! filters by `tenant_id` (the whole of tenant isolation on this backend).

use crate::jobs::{micros, time_of};
use crate::{SqliteTx, map_err};
use async_trait::async_trait;
use nexus_domain::session::{NewSession, Session, SessionId, ThrottleRule, ThrottleState};
use nexus_domain::{TenantId, UserId};
use nexus_store::sql::prefix_pattern;
use nexus_store::{SessionStore, StoreError, ThrottleStore, Tx, downcast};
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Row, SqlitePool};
use time::OffsetDateTime;

pub(crate) struct SqliteSessions {
    pub(crate) pool: SqlitePool,
    pub(crate) writer: crate::Writer,
}

pub(crate) struct SqliteThrottles {
    pub(crate) pool: SqlitePool,
    pub(crate) writer: crate::Writer,
}

const COLUMNS: &str = "tenant_id, app_session_id, app_user_id, csrf_hash, created_at, last_seen_at, expires_at, \
     idle_timeout_secs, ip, user_agent, revoked_at, mfa_state";

fn into_domain(row: &SqliteRow) -> Result<Session, StoreError> {
    let parse = || -> Result<Session, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Session {
            tenant: TenantId::from_uuid(row.try_get("tenant_id")?),
            id: SessionId::from_uuid(row.try_get("app_session_id")?),
            user: UserId::from_uuid(row.try_get("app_user_id")?),
            csrf_hash: row.try_get("csrf_hash")?,
            created_at: time_of(row.try_get("created_at")?)?,
            last_seen_at: time_of(row.try_get("last_seen_at")?)?,
            expires_at: time_of(row.try_get("expires_at")?)?,
            idle_timeout_secs: row.try_get("idle_timeout_secs")?,
            ip: row.try_get("ip")?,
            user_agent: row.try_get("user_agent")?,
            revoked_at: row
                .try_get::<Option<i64>, _>("revoked_at")?
                .map(time_of)
                .transpose()?,
            mfa_state: nexus_domain::mfa::MfaState::parse(row.try_get("mfa_state")?)
                .ok_or("unknown mfa_state")?,
        })
    };
    parse().map_err(|e| StoreError::other("decoding a session row", e))
}

fn err(context: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| map_err(context, e)
}

/// `last_seen_at + idle` is still ahead of `?3` (all in microseconds).
const LIVE: &str =
    "revoked_at is null and expires_at > ?3 and last_seen_at + idle_timeout_secs * 1000000 > ?3";

#[async_trait]
impl SessionStore for SqliteSessions {
    async fn create(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        s: &NewSession,
    ) -> Result<Session, StoreError> {
        let tx = &mut *downcast::<SqliteTx>(tx)?.0;
        let row = sqlx::query(AssertSqlSafe(format!(
            "insert into app_session (tenant_id, app_session_id, app_user_id, token_hash, csrf_hash, created_at, \
             last_seen_at, expires_at, idle_timeout_secs, ip, user_agent, mfa_state) \
             values (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9, ?10, ?11) returning {COLUMNS}"
        )))
        .bind(tenant.as_uuid())
        .bind(s.id.as_uuid())
        .bind(s.user.as_uuid())
        .bind(&s.token_hash)
        .bind(&s.csrf_hash)
        .bind(micros(s.created_at))
        .bind(micros(s.expires_at))
        .bind(i64::try_from(s.idle_timeout.as_secs()).unwrap_or(i64::MAX))
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
        let row = sqlx::query(AssertSqlSafe(format!(
            "select {COLUMNS} from app_session where tenant_id = ? and token_hash = ?"
        )))
        .bind(tenant.as_uuid())
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(err("finding a session"))?;
        row.as_ref().map(into_domain).transpose()
    }

    async fn set_mfa_state(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: SessionId,
        state: nexus_domain::mfa::MfaState,
    ) -> Result<(), StoreError> {
        let tx = &mut *downcast::<SqliteTx>(tx)?.0;
        let n = sqlx::query("update app_session set mfa_state = ?3 where tenant_id = ?1 and app_session_id = ?2 and revoked_at is null")
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
        sqlx::query("update app_session set last_seen_at = max(last_seen_at, ?3) where tenant_id = ?1 and app_session_id = ?2")
            .bind(tenant.as_uuid())
            .bind(id.as_uuid())
            .bind(micros(at))
            .execute(self.writer.pool())
            .await
            .map(|_| ())
            .map_err(err("touching a session"))
    }

    async fn revoke(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: SessionId,
        user: Option<UserId>,
        at: OffsetDateTime,
    ) -> Result<String, StoreError> {
        let tx = &mut *downcast::<SqliteTx>(tx)?.0;
        let hash: Option<String> = sqlx::query_scalar(
            "update app_session set revoked_at = ?3 where tenant_id = ?1 and app_session_id = ?2 \
             and revoked_at is null and (?4 is null or app_user_id = ?4) returning token_hash",
        )
        .bind(tenant.as_uuid())
        .bind(id.as_uuid())
        .bind(micros(at))
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
        let tx = &mut *downcast::<SqliteTx>(tx)?.0;
        sqlx::query_scalar(
            "update app_session set revoked_at = ?3 where tenant_id = ?1 and app_user_id = ?2 and revoked_at is null \
             returning token_hash",
        )
        .bind(tenant.as_uuid())
        .bind(user.as_uuid())
        .bind(micros(at))
        .fetch_all(&mut *tx)
        .await
        .map_err(err("revoking sessions"))
    }

    async fn list_for_user(
        &self,
        tenant: TenantId,
        user: UserId,
        now: OffsetDateTime,
    ) -> Result<Vec<Session>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "select {COLUMNS} from app_session where tenant_id = ?1 and app_user_id = ?2 and {LIVE} \
             order by created_at desc, app_session_id desc"
        )))
        .bind(tenant.as_uuid())
        .bind(user.as_uuid())
        .bind(micros(now))
        .fetch_all(&self.pool)
        .await
        .map_err(err("listing sessions"))?;
        rows.iter().map(into_domain).collect()
    }

    async fn token_hashes(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar("select token_hash from app_session where tenant_id = ? and app_user_id = ? and revoked_at is null")
            .bind(tenant.as_uuid())
            .bind(user.as_uuid())
            .fetch_all(&self.pool)
            .await
            .map_err(err("reading session tokens"))
    }

    async fn purge_ended(
        &self,
        tenant: TenantId,
        before: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "delete from app_session where tenant_id = ?1 and (revoked_at < ?2 or expires_at < ?2 \
             or last_seen_at + idle_timeout_secs * 1000000 < ?2)",
        )
        .bind(tenant.as_uuid())
        .bind(micros(before))
        .execute(self.writer.pool())
        .await
        .map_err(err("purging sessions"))?;
        Ok(done.rows_affected())
    }
}

#[async_trait]
impl ThrottleStore for SqliteThrottles {
    async fn locked_until(
        &self,
        tenant: TenantId,
        key: &str,
        now: OffsetDateTime,
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        let until: Option<Option<i64>> = sqlx::query_scalar(
            "select locked_until from auth_throttle where tenant_id = ? and throttle_key = ? and locked_until > ?",
        )
        .bind(tenant.as_uuid())
        .bind(key)
        .bind(micros(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(err("reading a throttle"))?;
        until
            .flatten()
            .map(time_of)
            .transpose()
            .map_err(|e| StoreError::other("decoding a throttle", e))
    }

    async fn record_failure(
        &self,
        tenant: TenantId,
        key: &str,
        rule: ThrottleRule,
        now: OffsetDateTime,
    ) -> Result<ThrottleState, StoreError> {
        let window_start = micros(now) - i64::try_from(rule.window.as_micros()).unwrap_or(i64::MAX);
        let lock_until = micros(now) + i64::try_from(rule.lock_for.as_micros()).unwrap_or(0);
        // One statement: a new window restarts the count; reaching the threshold locks.
        let row = sqlx::query(
            "insert into auth_throttle (tenant_id, throttle_key, failures, window_started_at, locked_until) \
             values (?1, ?2, 1, ?3, case when 1 >= ?5 then ?6 end) \
             on conflict (tenant_id, throttle_key) do update set \
               failures = case when auth_throttle.window_started_at < ?4 then 1 else auth_throttle.failures + 1 end, \
               window_started_at = case when auth_throttle.window_started_at < ?4 then ?3 else auth_throttle.window_started_at end, \
               locked_until = case \
                 when (case when auth_throttle.window_started_at < ?4 then 1 else auth_throttle.failures + 1 end) >= ?5 then ?6 \
                 else auth_throttle.locked_until end \
             returning failures, locked_until",
        )
        .bind(tenant.as_uuid())
        .bind(key)
        .bind(micros(now))
        .bind(window_start)
        .bind(rule.threshold)
        .bind(lock_until)
        .fetch_one(self.writer.pool())
        .await
        .map_err(err("recording a login failure"))?;
        let failures: u32 = row
            .try_get("failures")
            .map_err(err("recording a login failure"))?;
        let locked: Option<i64> = row
            .try_get("locked_until")
            .map_err(err("recording a login failure"))?;
        let locked_until = locked
            .filter(|t| *t > micros(now))
            .map(time_of)
            .transpose()
            .map_err(|e| StoreError::other("decoding a throttle", e))?;
        Ok(ThrottleState {
            failures,
            locked_until,
        })
    }

    async fn reset(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        key: &str,
    ) -> Result<bool, StoreError> {
        let tx = &mut *downcast::<SqliteTx>(tx)?.0;
        let locked: Option<Option<i64>> = sqlx::query_scalar(
            "delete from auth_throttle where tenant_id = ? and throttle_key = ? returning locked_until",
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
        let tx = &mut *downcast::<SqliteTx>(tx)?.0;
        let locked: Vec<Option<i64>> = sqlx::query_scalar(
            "delete from auth_throttle where tenant_id = ? and throttle_key like ? escape '\\' \
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
        let done = sqlx::query(
            "delete from auth_throttle where tenant_id = ?1 and window_started_at < ?2 \
             and (locked_until is null or locked_until < ?2)",
        )
        .bind(tenant.as_uuid())
        .bind(micros(before))
        .execute(self.writer.pool())
        .await
        .map_err(err("purging throttles"))?;
        Ok(done.rows_affected())
    }
}
