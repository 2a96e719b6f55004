//! SQLite recovery tokens, outbox and password changes. Token and outbox times are
//! Unix microseconds; `app_user.updated_at` keeps the table's RFC 3339 text.

use crate::jobs::micros;
use crate::{SqliteTx, map_err};
use async_trait::async_trait;
use nexus_domain::user::PasswordHash;
use nexus_domain::{TenantId, UserId};
use nexus_store::{Invitation, OutboxMail, RecoveryStore, StoreError, TokenPurpose, Tx, downcast};
use sqlx::{Row, SqlitePool};
use time::OffsetDateTime;

pub(crate) struct SqliteRecovery {
    pub(crate) pool: SqlitePool,
    pub(crate) writer: crate::Writer,
}

fn err(context: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| map_err(context, e)
}

#[async_trait]
impl RecoveryStore for SqliteRecovery {
    async fn create_email_token(
        &self,
        tenant: TenantId,
        user: UserId,
        purpose: TokenPurpose,
        token_hash: &str,
        at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut tx = crate::begin_write(&self.writer)
            .await
            .map_err(err("beginning"))?;
        sqlx::query(
            "insert into email_token (tenant_id, token_hash, purpose, app_user_id, created_at, expires_at) \
             values (?1, ?2, ?6, ?3, ?4, ?5)",
        )
        .bind(tenant.as_uuid())
        .bind(token_hash)
        .bind(user.as_uuid())
        .bind(micros(at))
        .bind(micros(expires_at))
        .bind(purpose.as_str())
        .execute(&mut *tx)
        .await
        .map_err(err("storing an e-mail token"))?;
        tx.commit().await.map_err(err("storing an e-mail token"))
    }

    async fn consume_email_token(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        purpose: TokenPurpose,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<UserId>, StoreError> {
        let tx = &mut *downcast::<SqliteTx>(tx)?.0;
        let user: Option<uuid::Uuid> = sqlx::query_scalar(
            "update email_token set used_at = ?3 where tenant_id = ?1 and token_hash = ?2 and purpose = ?4 \
             and used_at is null and expires_at > ?3 returning app_user_id",
        )
        .bind(tenant.as_uuid())
        .bind(token_hash)
        .bind(micros(now))
        .bind(purpose.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(err("using an e-mail token"))?;
        Ok(user.map(UserId::from_uuid))
    }

    async fn set_password(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        user: UserId,
        hash: &PasswordHash,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let tx = &mut *downcast::<SqliteTx>(tx)?.0;
        let n = sqlx::query("update app_user set password_hash = ?3, updated_at = ?4 where tenant_id = ?1 and app_user_id = ?2")
            .bind(tenant.as_uuid())
            .bind(user.as_uuid())
            .bind(hash.as_str())
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(err("changing a password"))?
            .rows_affected();
        if n == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn set_email_verified(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        user: UserId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let tx = &mut *downcast::<SqliteTx>(tx)?.0;
        // `coalesce` keeps the first verification time when a second link is used.
        let n = sqlx::query(
            "update app_user set email_verified_at = coalesce(email_verified_at, ?3) \
             where tenant_id = ?1 and app_user_id = ?2",
        )
        .bind(tenant.as_uuid())
        .bind(user.as_uuid())
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(err("verifying an e-mail address"))?
        .rows_affected();
        if n == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn create_invitation(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        token_hash: &str,
        inv: &Invitation,
        at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let tx = &mut *downcast::<SqliteTx>(tx)?.0;
        sqlx::query(
            "insert into invitation (tenant_id, token_hash, email, role, invited_by, created_at, expires_at) \
             values (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(tenant.as_uuid())
        .bind(token_hash)
        .bind(&inv.email)
        .bind(&inv.role)
        .bind(&inv.invited_by)
        .bind(micros(at))
        .bind(micros(expires_at))
        .execute(&mut *tx)
        .await
        .map(|_| ())
        .map_err(err("storing an invitation"))
    }

    async fn accept_invitation(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<Invitation>, StoreError> {
        let tx = &mut *downcast::<SqliteTx>(tx)?.0;
        let row = sqlx::query(
            "update invitation set accepted_at = ?3 where tenant_id = ?1 and token_hash = ?2 \
             and accepted_at is null and expires_at > ?3 returning email, role, invited_by",
        )
        .bind(tenant.as_uuid())
        .bind(token_hash)
        .bind(micros(now))
        .fetch_optional(&mut *tx)
        .await
        .map_err(err("accepting an invitation"))?;
        row.map(|r| -> Result<Invitation, sqlx::Error> {
            Ok(Invitation {
                email: r.try_get("email")?,
                role: r.try_get("role")?,
                invited_by: r.try_get("invited_by")?,
            })
        })
        .transpose()
        .map_err(err("accepting an invitation"))
    }

    async fn append_mail(
        &self,
        tenant: TenantId,
        id: uuid::Uuid,
        m: &OutboxMail,
    ) -> Result<(), StoreError> {
        let mut tx = crate::begin_write(&self.writer)
            .await
            .map_err(err("beginning"))?;
        sqlx::query("insert into mail_outbox (tenant_id, mail_id, to_address, subject, body, created_at) values (?1, ?2, ?3, ?4, ?5, ?6)")
            .bind(tenant.as_uuid())
            .bind(id)
            .bind(&m.to)
            .bind(&m.subject)
            .bind(&m.body)
            .bind(micros(m.created_at))
            .execute(&mut *tx)
            .await
            .map_err(err("storing outbox mail"))?;
        tx.commit().await.map_err(err("storing outbox mail"))
    }

    async fn purge(
        &self,
        tenant: TenantId,
        tokens_before: OffsetDateTime,
        mail_before: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let a = sqlx::query("delete from email_token where tenant_id = ? and expires_at < ?")
            .bind(tenant.as_uuid())
            .bind(micros(tokens_before))
            .execute(self.writer.pool())
            .await
            .map_err(err("purging tokens"))?
            .rows_affected();
        let b = sqlx::query("delete from mail_outbox where tenant_id = ? and created_at < ?")
            .bind(tenant.as_uuid())
            .bind(micros(mail_before))
            .execute(self.writer.pool())
            .await
            .map_err(err("purging the outbox"))?
            .rows_affected();
        let c = sqlx::query("delete from invitation where tenant_id = ? and expires_at < ?")
            .bind(tenant.as_uuid())
            .bind(micros(tokens_before))
            .execute(self.writer.pool())
            .await
            .map_err(err("purging invitations"))?
            .rows_affected();
        Ok(a + b + c)
    }

    async fn outbox(&self, tenant: TenantId, limit: u32) -> Result<Vec<OutboxMail>, StoreError> {
        let mut tx = crate::begin_read(&self.pool)
            .await
            .map_err(err("beginning"))?;
        let rows = sqlx::query("select to_address, subject, body, created_at from mail_outbox where tenant_id = ?1 order by created_at desc, mail_id desc limit ?2")
            .bind(tenant.as_uuid())
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await
            .map_err(err("reading the outbox"))?;
        tx.commit().await.map_err(err("reading the outbox"))?;
        rows.iter()
            .map(|r| {
                Ok(OutboxMail {
                    to: r.try_get("to_address")?,
                    subject: r.try_get("subject")?,
                    body: r.try_get("body")?,
                    created_at: OffsetDateTime::from_unix_timestamp_nanos(
                        i128::from(r.try_get::<i64, _>("created_at")?) * 1000,
                    )
                    .unwrap_or(OffsetDateTime::UNIX_EPOCH),
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(err("reading the outbox"))
    }
}
