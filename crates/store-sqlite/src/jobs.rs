//! SQLite job queue and leases. Times are Unix microseconds (see the migration).
//!
//! Claiming is one `UPDATE … WHERE job_id IN (SELECT … LIMIT n) RETURNING`: SQLite runs
//! it under its database-wide write lock, so two claimers can never take the same job.

use crate::{SqliteTx, map_err};
use async_trait::async_trait;
use nexus_domain::TenantId;
use nexus_domain::jobs::{Enqueued, Job, JobId, JobQuery, JobState, KindStats, LockToken, NewJob};
use nexus_domain::paging::Page;
use nexus_store::{Claim, JobStore, LeaseStore, StoreError, Tx, downcast};
use sqlx::sqlite::SqliteRow;
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, Row, SqliteConnection, SqlitePool};
use std::time::Duration;
use time::OffsetDateTime;

pub(crate) struct SqliteJobs {
    pub(crate) pool: SqlitePool,
    pub(crate) writer: crate::Writer,
}

pub(crate) struct SqliteLeases {
    pub(crate) pool: SqlitePool,
    pub(crate) writer: crate::Writer,
}

const COLUMNS: &str = "job_id, tenant_id, kind, payload, priority, state, run_at, attempts, max_attempts, \
     last_error, idempotency_key, locked_until, created_at, updated_at, finished_at";

/// Unix microseconds; SQLite stores job and lease times this way.
pub(crate) fn micros(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX)
}

/// Reads [`micros`] back.
pub(crate) fn time_of(us: i64) -> Result<OffsetDateTime, time::error::ComponentRange> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000)
}

/// A nullable [`micros`] column.
pub(crate) fn opt_time(
    row: &sqlx::sqlite::SqliteRow,
    column: &str,
) -> Result<Option<OffsetDateTime>, Box<dyn std::error::Error + Send + Sync>> {
    use sqlx::Row as _;
    Ok(row
        .try_get::<Option<i64>, _>(column)?
        .map(time_of)
        .transpose()?)
}

fn from_micros(us: i64) -> Result<OffsetDateTime, StoreError> {
    time_of(us).map_err(|e| StoreError::other("decoding a time", e))
}

fn after(now: OffsetDateTime, d: Duration) -> i64 {
    micros(now).saturating_add(i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

fn into_domain(row: &SqliteRow) -> Result<Job, StoreError> {
    let parse = || -> Result<Job, Box<dyn std::error::Error + Send + Sync>> {
        let opt_time = |col: &str| -> Result<
            Option<OffsetDateTime>,
            Box<dyn std::error::Error + Send + Sync>,
        > {
            Ok(row
                .try_get::<Option<i64>, _>(col)?
                .map(from_micros)
                .transpose()?)
        };
        Ok(Job {
            id: JobId::from_uuid(row.try_get("job_id")?),
            kind: row.try_get("kind")?,
            tenant: row
                .try_get::<Option<uuid::Uuid>, _>("tenant_id")?
                .map(TenantId::from_uuid),
            payload: row.try_get::<Json<serde_json::Value>, _>("payload")?.0,
            priority: row.try_get("priority")?,
            state: JobState::parse(row.try_get("state")?)?,
            run_at: from_micros(row.try_get("run_at")?)?,
            attempts: row.try_get("attempts")?,
            max_attempts: row.try_get("max_attempts")?,
            last_error: row.try_get("last_error")?,
            idempotency_key: row.try_get("idempotency_key")?,
            locked_until: opt_time("locked_until")?,
            created_at: from_micros(row.try_get("created_at")?)?,
            updated_at: from_micros(row.try_get("updated_at")?)?,
            finished_at: opt_time("finished_at")?,
        })
    };
    parse().map_err(|e| StoreError::other("decoding a job row", e))
}

async fn enqueue_on(
    conn: &mut SqliteConnection,
    id: JobId,
    job: &NewJob,
    now: OffsetDateTime,
) -> Result<Enqueued, StoreError> {
    let inserted: Option<uuid::Uuid> = sqlx::query_scalar(
        "insert into job (job_id, tenant_id, kind, payload, priority, state, run_at, attempts, max_attempts, \
         idempotency_key, created_at, updated_at) values (?, ?, ?, ?, ?, 'queued', ?, 0, ?, ?, ?, ?) \
         on conflict (kind, idempotency_key) do nothing returning job_id",
    )
    .bind(id.as_uuid())
    .bind(job.tenant.map(|t| t.as_uuid()))
    .bind(&job.kind)
    .bind(Json(&job.payload))
    .bind(job.priority)
    .bind(micros(job.run_at))
    .bind(job.max_attempts)
    .bind(&job.idempotency_key)
    .bind(micros(now))
    .bind(micros(now))
    .fetch_optional(&mut *conn)
    .await
    .map_err(|e| map_err("enqueueing a job", e))?;
    if let Some(id) = inserted {
        return Ok(Enqueued {
            id: JobId::from_uuid(id),
            created: true,
        });
    }
    let existing: uuid::Uuid =
        sqlx::query_scalar("select job_id from job where kind = ? and idempotency_key = ?")
            .bind(&job.kind)
            .bind(&job.idempotency_key)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| map_err("finding a deduplicated job", e))?;
    Ok(Enqueued {
        id: JobId::from_uuid(existing),
        created: false,
    })
}

/// Runs `sql` (`?1` = `at`, `?2` = job id, `?3` = lock token) for each held job in one
/// transaction; returns the rows changed. Jobs whose claim was lost are skipped by the
/// statement's own `lock_token` condition.
async fn update_held(
    writer: &crate::Writer,
    context: &'static str,
    sql: &'static str,
    at: i64,
    held: &[(JobId, LockToken)],
) -> Result<u64, StoreError> {
    let mut tx = crate::begin_write(writer)
        .await
        .map_err(|e| map_err(context, e))?;
    let mut n = 0;
    for (id, lock) in held {
        n += sqlx::query(sql)
            .bind(at)
            .bind(id.as_uuid())
            .bind(lock.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(|e| map_err(context, e))?
            .rows_affected();
    }
    tx.commit().await.map_err(|e| map_err(context, e))?;
    Ok(n)
}

#[async_trait]
impl JobStore for SqliteJobs {
    async fn enqueue(
        &self,
        id: JobId,
        job: &NewJob,
        now: OffsetDateTime,
    ) -> Result<Enqueued, StoreError> {
        let mut conn = self
            .writer
            .pool()
            .acquire()
            .await
            .map_err(|e| map_err("enqueueing a job", e))?;
        enqueue_on(&mut conn, id, job, now).await
    }

    async fn enqueue_in(
        &self,
        tx: &mut dyn Tx,
        id: JobId,
        job: &NewJob,
        now: OffsetDateTime,
    ) -> Result<Enqueued, StoreError> {
        let tx = downcast::<SqliteTx>(tx)?;
        enqueue_on(&mut tx.0, id, job, now).await
    }

    async fn claim(&self, c: Claim) -> Result<Vec<Job>, StoreError> {
        let sql = format!(
            "update job set state = 'running', attempts = attempts + 1, lock_token = ?, locked_until = ?, updated_at = ? \
             where job_id in (select job_id from job where state = 'queued' and run_at <= ? \
                              order by priority desc, run_at limit ?) \
             returning {COLUMNS}"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(c.lock.as_uuid())
            .bind(after(c.now, c.visibility))
            .bind(micros(c.now))
            .bind(micros(c.now))
            .bind(c.limit)
            .fetch_all(self.writer.pool())
            .await
            .map_err(|e| map_err("claiming jobs", e))?;
        rows.iter().map(into_domain).collect()
    }

    async fn complete(
        &self,
        done: &[(JobId, LockToken)],
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let sql = "update job set state = 'succeeded', finished_at = ?1, updated_at = ?1, lock_token = null, \
                   locked_until = null, last_error = null where job_id = ?2 and lock_token = ?3 and state = 'running'";
        update_held(&self.writer, "completing jobs", sql, micros(now), done).await
    }

    async fn fail(
        &self,
        id: JobId,
        lock: LockToken,
        error: &str,
        retry_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let (state, run_at, finished) = match retry_at {
            Some(at) => ("queued", Some(micros(at)), None),
            None => ("dead", None, Some(micros(now))),
        };
        let done = sqlx::query(
            "update job set state = ?, run_at = coalesce(?, run_at), finished_at = ?, last_error = ?, \
             lock_token = null, locked_until = null, updated_at = ? \
             where job_id = ? and lock_token = ? and state = 'running'",
        )
        .bind(state)
        .bind(run_at)
        .bind(finished)
        .bind(error)
        .bind(micros(now))
        .bind(id.as_uuid())
        .bind(lock.as_uuid())
        .execute(self.writer.pool())
        .await
        .map_err(|e| map_err("recording a job failure", e))?;
        Ok(done.rows_affected() == 1)
    }

    async fn extend(
        &self,
        held: &[(JobId, LockToken)],
        until: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let sql = "update job set locked_until = ?1 where job_id = ?2 and lock_token = ?3 and state = 'running'";
        update_held(&self.writer, "extending claims", sql, micros(until), held).await
    }

    async fn release(
        &self,
        held: &[(JobId, LockToken)],
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let sql = "update job set state = 'queued', attempts = max(attempts - 1, 0), lock_token = null, \
                   locked_until = null, updated_at = ?1 where job_id = ?2 and lock_token = ?3 and state = 'running'";
        update_held(&self.writer, "releasing jobs", sql, micros(now), held).await
    }

    async fn reap_expired(&self, now: OffsetDateTime) -> Result<(u64, u64), StoreError> {
        let mut tx = crate::begin_write(&self.writer)
            .await
            .map_err(|e| map_err("reaping jobs", e))?;
        let dead = sqlx::query(
            "update job set state = 'dead', finished_at = ?, updated_at = ?, lock_token = null, locked_until = null, \
             last_error = 'claim expired: the worker stopped before finishing' \
             where state = 'running' and locked_until < ? and attempts >= max_attempts",
        )
        .bind(micros(now))
        .bind(micros(now))
        .bind(micros(now))
        .execute(&mut *tx)
        .await
        .map_err(|e| map_err("reaping jobs", e))?
        .rows_affected();
        let requeued = sqlx::query(
            "update job set state = 'queued', updated_at = ?, lock_token = null, locked_until = null, \
             last_error = 'claim expired: the worker stopped before finishing' \
             where state = 'running' and locked_until < ?",
        )
        .bind(micros(now))
        .bind(micros(now))
        .execute(&mut *tx)
        .await
        .map_err(|e| map_err("reaping jobs", e))?
        .rows_affected();
        tx.commit().await.map_err(|e| map_err("reaping jobs", e))?;
        Ok((requeued, dead))
    }

    async fn get(&self, id: JobId) -> Result<Job, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "select {COLUMNS} from job where job_id = ?"
        )))
        .bind(id.as_uuid())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| map_err("loading a job", e))?;
        into_domain(&row)
    }

    async fn list(&self, q: &JobQuery) -> Result<Page<Job>, StoreError> {
        let filter = "where (?1 is null or state = ?1) and (?2 is null or kind = ?2) and (?3 is null or tenant_id = ?3)";
        let state = q.state.map(JobState::as_str);
        let tenant = q.tenant.map(|t| t.as_uuid());
        let total: i64 =
            sqlx::query_scalar(AssertSqlSafe(format!("select count(*) from job {filter}")))
                .bind(state)
                .bind(&q.kind)
                .bind(tenant)
                .fetch_one(&self.pool)
                .await
                .map_err(|e| map_err("counting jobs", e))?;
        let sql = format!(
            "select {COLUMNS} from job {filter} order by created_at desc, job_id desc limit ?4 offset ?5"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(state)
            .bind(&q.kind)
            .bind(tenant)
            .bind(i64::from(q.page.limit()))
            .bind(i64::try_from(q.page.offset()).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await
            .map_err(|e| map_err("listing jobs", e))?;
        Ok(Page {
            items: rows.iter().map(into_domain).collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
            limit: q.page.limit(),
            offset: q.page.offset(),
        })
    }

    async fn retry(
        &self,
        tx: &mut dyn Tx,
        id: JobId,
        now: OffsetDateTime,
    ) -> Result<Job, StoreError> {
        let tx = &mut *downcast::<SqliteTx>(tx)?.0;
        let row = sqlx::query(AssertSqlSafe(format!(
            "update job set state = 'queued', attempts = 0, run_at = ?, finished_at = null, updated_at = ? \
             where job_id = ? and state in ('dead', 'cancelled') returning {COLUMNS}"
        )))
        .bind(micros(now))
        .bind(micros(now))
        .bind(id.as_uuid())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| map_err("retrying a job", e))?;
        into_domain(&row)
    }

    async fn cancel(
        &self,
        tx: &mut dyn Tx,
        id: JobId,
        now: OffsetDateTime,
    ) -> Result<Job, StoreError> {
        let tx = &mut *downcast::<SqliteTx>(tx)?.0;
        let row = sqlx::query(AssertSqlSafe(format!(
            "update job set state = 'cancelled', finished_at = ?, updated_at = ? \
             where job_id = ? and state = 'queued' returning {COLUMNS}"
        )))
        .bind(micros(now))
        .bind(micros(now))
        .bind(id.as_uuid())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| map_err("cancelling a job", e))?;
        into_domain(&row)
    }

    async fn purge_dead(&self, tx: &mut dyn Tx) -> Result<u64, StoreError> {
        let tx = &mut *downcast::<SqliteTx>(tx)?.0;
        let done = sqlx::query("delete from job where state = 'dead'")
            .execute(&mut *tx)
            .await
            .map_err(|e| map_err("purging dead jobs", e))?;
        Ok(done.rows_affected())
    }

    async fn purge_finished(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "delete from job where state in ('succeeded', 'cancelled') and finished_at < ?",
        )
        .bind(micros(before))
        .execute(self.writer.pool())
        .await
        .map_err(|e| map_err("purging finished jobs", e))?;
        Ok(done.rows_affected())
    }

    async fn stats(&self, now: OffsetDateTime) -> Result<Vec<KindStats>, StoreError> {
        let rows = sqlx::query(
            "select kind, \
               sum(case when state = 'queued' then 1 else 0 end) as queued, \
               sum(case when state = 'running' then 1 else 0 end) as running, \
               sum(case when state = 'dead' then 1 else 0 end) as dead, \
               min(case when state = 'queued' and run_at <= ? then run_at end) as oldest_due \
             from job where state in ('queued', 'running', 'dead') group by kind order by kind",
        )
        .bind(micros(now))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| map_err("reading job stats", e))?;
        rows.iter()
            .map(|r| {
                let count = |c: &str| {
                    r.try_get::<i64, _>(c)
                        .map(|n| u64::try_from(n).unwrap_or(0))
                };
                Ok(KindStats {
                    kind: r
                        .try_get("kind")
                        .map_err(|e| map_err("reading job stats", e))?,
                    queued: count("queued").map_err(|e| map_err("reading job stats", e))?,
                    running: count("running").map_err(|e| map_err("reading job stats", e))?,
                    dead: count("dead").map_err(|e| map_err("reading job stats", e))?,
                    oldest_due: r
                        .try_get::<Option<i64>, _>("oldest_due")
                        .map_err(|e| map_err("reading job stats", e))?
                        .map(from_micros)
                        .transpose()?,
                })
            })
            .collect()
    }
}

#[async_trait]
impl LeaseStore for SqliteLeases {
    async fn try_acquire(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let got: Option<String> = sqlx::query_scalar(
            "insert into lease (name, holder, expires_at, acquired_at) values (?1, ?2, ?3, ?4) \
             on conflict (name) do update set holder = ?2, expires_at = ?3, \
               acquired_at = case when lease.holder = ?2 then lease.acquired_at else ?4 end \
             where lease.holder = ?2 or lease.expires_at < ?4 \
             returning holder",
        )
        .bind(name)
        .bind(holder)
        .bind(after(now, ttl))
        .bind(micros(now))
        .fetch_optional(self.writer.pool())
        .await
        .map_err(|e| map_err("acquiring a lease", e))?;
        Ok(got.is_some())
    }

    async fn release(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query("delete from lease where name = ? and holder = ?")
            .bind(name)
            .bind(holder)
            .execute(self.writer.pool())
            .await
            .map(|_| ())
            .map_err(|e| map_err("releasing a lease", e))
    }

    async fn holder(&self, name: &str, now: OffsetDateTime) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("select holder from lease where name = ? and expires_at >= ?")
            .bind(name)
            .bind(micros(now))
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| map_err("reading a lease", e))
    }
}
