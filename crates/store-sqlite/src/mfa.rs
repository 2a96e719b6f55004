//! SQLite second-factor storage; every statement filters by `tenant_id`. Times are
//! Unix microseconds.

use crate::jobs::micros;
use crate::{SqliteTx, map_err};
use async_trait::async_trait;
use nexus_domain::{TenantId, UserId};
use nexus_store::{MfaStore, StoreError, TotpRecord, Tx, downcast};
use sqlx::{Row, SqlitePool};
use time::OffsetDateTime;

pub(crate) struct SqliteMfa {
    pub(crate) pool: SqlitePool,
}

fn err(context: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| map_err(context, e)
}

#[async_trait]
impl MfaStore for SqliteMfa {
    async fn put_totp(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        user: UserId,
        secret: &str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let tx = &mut *downcast::<SqliteTx>(tx)?.0;
        sqlx::query(
            "insert into mfa_totp (tenant_id, app_user_id, secret, created_at) values (?1, ?2, ?3, ?4) \
             on conflict (tenant_id, app_user_id) do update set secret = excluded.secret, created_at = excluded.created_at, \
             confirmed_at = null, last_used_step = null",
        )
        .bind(tenant.as_uuid())
        .bind(user.as_uuid())
        .bind(secret)
        .bind(micros(at))
        .execute(&mut *tx)
        .await
        .map_err(err("storing a TOTP secret"))?;
        Ok(())
    }

    async fn totp(&self, tenant: TenantId, user: UserId) -> Result<Option<TotpRecord>, StoreError> {
        let mut tx = crate::begin_read(&self.pool)
            .await
            .map_err(err("beginning"))?;
        let row = sqlx::query("select secret, confirmed_at, last_used_step from mfa_totp where tenant_id = ?1 and app_user_id = ?2")
            .bind(tenant.as_uuid())
            .bind(user.as_uuid())
            .fetch_optional(&mut *tx)
            .await
            .map_err(err("reading a TOTP secret"))?;
        tx.commit().await.map_err(err("reading a TOTP secret"))?;
        row.map(|r| -> Result<TotpRecord, sqlx::Error> {
            Ok(TotpRecord {
                secret: r.try_get("secret")?,
                confirmed_at: r.try_get::<Option<i64>, _>("confirmed_at")?.map(|us| {
                    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000)
                        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
                }),
                last_used_step: r.try_get("last_used_step")?,
            })
        })
        .transpose()
        .map_err(err("reading a TOTP secret"))
    }

    async fn confirm_totp(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        user: UserId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let tx = &mut *downcast::<SqliteTx>(tx)?.0;
        let n = sqlx::query(
            "update mfa_totp set confirmed_at = ?3 where tenant_id = ?1 and app_user_id = ?2",
        )
        .bind(tenant.as_uuid())
        .bind(user.as_uuid())
        .bind(micros(at))
        .execute(&mut *tx)
        .await
        .map_err(err("confirming TOTP"))?
        .rows_affected();
        if n == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn use_totp_step(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        user: UserId,
        step: i64,
    ) -> Result<bool, StoreError> {
        let tx = &mut *downcast::<SqliteTx>(tx)?.0;
        let n = sqlx::query(
            "update mfa_totp set last_used_step = ?3 where tenant_id = ?1 and app_user_id = ?2 \
             and (last_used_step is null or last_used_step < ?3)",
        )
        .bind(tenant.as_uuid())
        .bind(user.as_uuid())
        .bind(step)
        .execute(&mut *tx)
        .await
        .map_err(err("using a TOTP code"))?
        .rows_affected();
        Ok(n == 1)
    }

    async fn replace_recovery_codes(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        user: UserId,
        hashes: &[String],
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let tx = &mut *downcast::<SqliteTx>(tx)?.0;
        sqlx::query("delete from mfa_recovery_code where tenant_id = ?1 and app_user_id = ?2")
            .bind(tenant.as_uuid())
            .bind(user.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(err("replacing recovery codes"))?;
        for h in hashes {
            sqlx::query("insert into mfa_recovery_code (tenant_id, app_user_id, code_hash, created_at) values (?1, ?2, ?3, ?4)")
                .bind(tenant.as_uuid())
                .bind(user.as_uuid())
                .bind(h)
                .bind(micros(at))
                .execute(&mut *tx)
                .await
                .map_err(err("replacing recovery codes"))?;
        }
        Ok(())
    }

    async fn use_recovery_code(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        user: UserId,
        hash: &str,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let tx = &mut *downcast::<SqliteTx>(tx)?.0;
        let n = sqlx::query(
            "update mfa_recovery_code set used_at = ?4 where tenant_id = ?1 and app_user_id = ?2 and code_hash = ?3 and used_at is null",
        )
        .bind(tenant.as_uuid())
        .bind(user.as_uuid())
        .bind(hash)
        .bind(micros(at))
        .execute(&mut *tx)
        .await
        .map_err(err("using a recovery code"))?
        .rows_affected();
        Ok(n == 1)
    }

    async fn recovery_codes_left(&self, tenant: TenantId, user: UserId) -> Result<u32, StoreError> {
        let mut tx = crate::begin_read(&self.pool)
            .await
            .map_err(err("beginning"))?;
        let n: i64 = sqlx::query_scalar("select count(*) from mfa_recovery_code where tenant_id = ?1 and app_user_id = ?2 and used_at is null")
            .bind(tenant.as_uuid())
            .bind(user.as_uuid())
            .fetch_one(&mut *tx)
            .await
            .map_err(err("counting recovery codes"))?;
        tx.commit().await.map_err(err("counting recovery codes"))?;
        Ok(u32::try_from(n).unwrap_or(0))
    }
}
