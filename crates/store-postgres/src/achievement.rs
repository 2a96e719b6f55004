//! PostgreSQL XP ledger, badges, leaderboard preferences and certificates. Statements
//! filter by `tenant_id` and run in tenant-scoped transactions, so row-level security
//! backs the filter up.

use crate::course::parent_missing;
use crate::{PgTx, begin_tenant_tx, map_err};
use async_trait::async_trait;
use nexus_domain::learning::CourseId;
use nexus_domain::learning::certificate::{Certificate, CertificateId};
use nexus_domain::learning::gamification::{XpEntry, XpSource};
use nexus_domain::{TenantId, UserId};
use nexus_store::{AchievementStore, Standing, StoreError, Tx, downcast};
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, PgPool, Row};
use time::OffsetDateTime;

pub(crate) struct PgAchievements {
    pub(crate) pool: PgPool,
}

type Decode<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

const CERTIFICATE: &str = "select certificate_id, course_id, app_user_id, code, holder_name, \
     course_title, issued_at, revoked_at, revoked_reason from certificate";

fn into_entry(row: &PgRow) -> Result<XpEntry, StoreError> {
    let parse = || -> Decode<XpEntry> {
        let source: String = row.try_get("source")?;
        Ok(XpEntry {
            user: UserId::from_uuid(row.try_get("app_user_id")?),
            source: XpSource::parse(&source).ok_or("unknown XP source")?,
            reference: row.try_get("reference")?,
            amount: u32::try_from(row.try_get::<i32, _>("amount")?)?,
            detail: row
                .try_get::<Option<i32>, _>("detail")?
                .map(u32::try_from)
                .transpose()?,
            at: row.try_get("at")?,
        })
    };
    parse().map_err(|e| StoreError::other("decoding an XP entry", e))
}

fn into_certificate(row: &PgRow) -> Result<Certificate, StoreError> {
    let parse = || -> Decode<Certificate> {
        Ok(Certificate {
            id: CertificateId::from_uuid(row.try_get("certificate_id")?),
            course: CourseId::from_uuid(row.try_get("course_id")?),
            user: UserId::from_uuid(row.try_get("app_user_id")?),
            code: row.try_get("code")?,
            holder_name: row.try_get("holder_name")?,
            course_title: row.try_get("course_title")?,
            issued_at: row.try_get("issued_at")?,
            revoked_at: row.try_get("revoked_at")?,
            revoked_reason: row.try_get("revoked_reason")?,
        })
    };
    parse().map_err(|e| StoreError::other("decoding a certificate", e))
}

#[async_trait]
impl AchievementStore for PgAchievements {
    async fn add_xp(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        e: &XpEntry,
    ) -> Result<bool, StoreError> {
        let conn = &mut *downcast::<PgTx>(tx)?.0;
        sqlx::query(
            "insert into xp_event (tenant_id, app_user_id, source, reference, amount, detail, at) \
             values ($1, $2, $3, $4, $5, $6, $7) on conflict do nothing",
        )
        .bind(tenant.as_uuid())
        .bind(e.user.as_uuid())
        .bind(e.source.as_str())
        .bind(&e.reference)
        .bind(i32::try_from(e.amount).unwrap_or(i32::MAX))
        .bind(e.detail.map(|d| i32::try_from(d).unwrap_or(i32::MAX)))
        .bind(e.at)
        .execute(conn)
        .await
        .map(|d| d.rows_affected() > 0)
        .map_err(|e| parent_missing("recording XP", e))
    }

    async fn xp_entries(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<XpEntry>, StoreError> {
        let conn = &mut *downcast::<PgTx>(tx)?.0;
        let rows = sqlx::query(
            "select app_user_id, source, reference, amount, detail, at from xp_event \
             where tenant_id = $1 and app_user_id = $2 order by at, source, reference",
        )
        .bind(tenant.as_uuid())
        .bind(user.as_uuid())
        .fetch_all(conn)
        .await
        .map_err(|e| map_err("reading the XP ledger", e))?;
        rows.iter().map(into_entry).collect()
    }

    async fn award_badge(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        user: UserId,
        badge: &str,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let conn = &mut *downcast::<PgTx>(tx)?.0;
        sqlx::query(
            "insert into badge_award (tenant_id, app_user_id, badge_key, awarded_at) \
             values ($1, $2, $3, $4) on conflict do nothing",
        )
        .bind(tenant.as_uuid())
        .bind(user.as_uuid())
        .bind(badge)
        .bind(at)
        .execute(conn)
        .await
        .map(|d| d.rows_affected() > 0)
        .map_err(|e| parent_missing("awarding a badge", e))
    }

    async fn badges(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<(String, OffsetDateTime)>, StoreError> {
        let mut rtx = begin_tenant_tx(&self.pool, tenant).await?;
        let rows = sqlx::query(
            "select badge_key, awarded_at from badge_award where tenant_id = $1 and app_user_id = $2 \
             order by awarded_at, badge_key",
        )
        .bind(tenant.as_uuid())
        .bind(user.as_uuid())
        .fetch_all(&mut *rtx)
        .await
        .map_err(|e| map_err("listing badges", e))?;
        rtx.commit()
            .await
            .map_err(|e| map_err("ending a read", e))?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("badge_key")
                        .map_err(|e| map_err("decoding a badge", e))?,
                    r.try_get("awarded_at")
                        .map_err(|e| map_err("decoding a badge", e))?,
                ))
            })
            .collect()
    }

    async fn set_leaderboard_opt_in(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        user: UserId,
        opt_in: bool,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<PgTx>(tx)?.0;
        sqlx::query(
            "insert into learner_profile (tenant_id, app_user_id, leaderboard_opt_in, updated_at) \
             values ($1, $2, $3, $4) on conflict (tenant_id, app_user_id) do update \
             set leaderboard_opt_in = excluded.leaderboard_opt_in, updated_at = excluded.updated_at",
        )
        .bind(tenant.as_uuid())
        .bind(user.as_uuid())
        .bind(opt_in)
        .bind(at)
        .execute(conn)
        .await
        .map(|_| ())
        .map_err(|e| parent_missing("saving a preference", e))
    }

    async fn leaderboard_opt_in(&self, tenant: TenantId, user: UserId) -> Result<bool, StoreError> {
        let mut rtx = begin_tenant_tx(&self.pool, tenant).await?;
        let v: Option<bool> = sqlx::query_scalar(
            "select leaderboard_opt_in from learner_profile where tenant_id = $1 and app_user_id = $2",
        )
        .bind(tenant.as_uuid())
        .bind(user.as_uuid())
        .fetch_optional(&mut *rtx)
        .await
        .map_err(|e| map_err("reading a preference", e))?;
        rtx.commit()
            .await
            .map_err(|e| map_err("ending a read", e))?;
        Ok(v.unwrap_or(false))
    }

    async fn standings(
        &self,
        tenant: TenantId,
        users: Option<&[UserId]>,
    ) -> Result<Vec<Standing>, StoreError> {
        let ids: Option<Vec<uuid::Uuid>> = users.map(|u| u.iter().map(UserId::as_uuid).collect());
        let mut rtx = begin_tenant_tx(&self.pool, tenant).await?;
        // Everyone named, or everyone with XP.
        let rows = sqlx::query(
            "select u.app_user_id, u.display_name, coalesce(x.xp, 0)::bigint as xp, \
             coalesce(p.leaderboard_opt_in, false) as opted_in from app_user u \
             left join (select app_user_id, sum(amount) as xp from xp_event where tenant_id = $1 \
                        group by app_user_id) x on x.app_user_id = u.app_user_id \
             left join learner_profile p on p.tenant_id = u.tenant_id and p.app_user_id = u.app_user_id \
             where u.tenant_id = $1 and (case when $2::uuid[] is null then coalesce(x.xp, 0) > 0 \
             else u.app_user_id = any($2) end)",
        )
        .bind(tenant.as_uuid())
        .bind(ids)
        .fetch_all(&mut *rtx)
        .await
        .map_err(|e| map_err("listing standings", e))?;
        rtx.commit()
            .await
            .map_err(|e| map_err("ending a read", e))?;
        rows.iter()
            .map(|r| {
                let parse = || -> Decode<Standing> {
                    Ok(Standing {
                        user: UserId::from_uuid(r.try_get("app_user_id")?),
                        display_name: r.try_get("display_name")?,
                        xp: u64::try_from(r.try_get::<i64, _>("xp")?)?,
                        opted_in: r.try_get("opted_in")?,
                    })
                };
                parse().map_err(|e| StoreError::other("decoding a standing", e))
            })
            .collect()
    }

    async fn issue_certificate(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        c: &Certificate,
    ) -> Result<bool, StoreError> {
        let conn = &mut *downcast::<PgTx>(tx)?.0;
        sqlx::query(
            "insert into certificate (tenant_id, certificate_id, course_id, app_user_id, code, \
             holder_name, course_title, issued_at) values ($1, $2, $3, $4, $5, $6, $7, $8) \
             on conflict (tenant_id, course_id, app_user_id) do nothing",
        )
        .bind(tenant.as_uuid())
        .bind(c.id.as_uuid())
        .bind(c.course.as_uuid())
        .bind(c.user.as_uuid())
        .bind(&c.code)
        .bind(&c.holder_name)
        .bind(&c.course_title)
        .bind(c.issued_at)
        .execute(conn)
        .await
        .map(|d| d.rows_affected() > 0)
        .map_err(|e| parent_missing("issuing a certificate", e))
    }

    async fn certificate(
        &self,
        tenant: TenantId,
        id: CertificateId,
    ) -> Result<Certificate, StoreError> {
        let mut rtx = begin_tenant_tx(&self.pool, tenant).await?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "{CERTIFICATE} where tenant_id = $1 and certificate_id = $2"
        )))
        .bind(tenant.as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(&mut *rtx)
        .await
        .map_err(|e| map_err("loading a certificate", e))?;
        rtx.commit()
            .await
            .map_err(|e| map_err("ending a read", e))?;
        row.as_ref()
            .map_or(Err(StoreError::NotFound), into_certificate)
    }

    async fn certificate_by_code(
        &self,
        tenant: TenantId,
        code: &str,
    ) -> Result<Option<Certificate>, StoreError> {
        let mut rtx = begin_tenant_tx(&self.pool, tenant).await?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "{CERTIFICATE} where tenant_id = $1 and code = $2"
        )))
        .bind(tenant.as_uuid())
        .bind(code)
        .fetch_optional(&mut *rtx)
        .await
        .map_err(|e| map_err("verifying a certificate", e))?;
        rtx.commit()
            .await
            .map_err(|e| map_err("ending a read", e))?;
        row.as_ref().map(into_certificate).transpose()
    }

    async fn certificates(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<Certificate>, StoreError> {
        let mut rtx = begin_tenant_tx(&self.pool, tenant).await?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{CERTIFICATE} where tenant_id = $1 and app_user_id = $2 order by issued_at desc, certificate_id"
        )))
        .bind(tenant.as_uuid())
        .bind(user.as_uuid())
        .fetch_all(&mut *rtx)
        .await
        .map_err(|e| map_err("listing certificates", e))?;
        rtx.commit()
            .await
            .map_err(|e| map_err("ending a read", e))?;
        rows.iter().map(into_certificate).collect()
    }

    async fn revoke_certificate(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: CertificateId,
        reason: &str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<PgTx>(tx)?.0;
        let done = sqlx::query(
            "update certificate set revoked_at = $3, revoked_reason = $4 \
             where tenant_id = $1 and certificate_id = $2 and revoked_at is null",
        )
        .bind(tenant.as_uuid())
        .bind(id.as_uuid())
        .bind(at)
        .bind(reason)
        .execute(&mut *conn)
        .await
        .map_err(|e| map_err("revoking a certificate", e))?;
        if done.rows_affected() > 0 {
            return Ok(());
        }
        let exists: Option<i32> = sqlx::query_scalar(
            "select 1 from certificate where tenant_id = $1 and certificate_id = $2",
        )
        .bind(tenant.as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(conn)
        .await
        .map_err(|e| map_err("revoking a certificate", e))?;
        Err(if exists.is_some() {
            StoreError::Conflict {
                constraint: "certificate_revoked",
            }
        } else {
            StoreError::NotFound
        })
    }
}
