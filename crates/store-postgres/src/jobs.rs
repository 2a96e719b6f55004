//! PostgreSQL job queue and leases.
//!
//! Claiming selects due jobs `FOR UPDATE SKIP LOCKED`, so concurrent workers each take
//! different jobs without waiting on one another, and flips them to `running` in the
//! same statement. Completions are batched into one `UPDATE … FROM unnest(…)`.

use crate::{PgTx, map_err};
use async_trait::async_trait;
use nexus_domain::TenantId;
use nexus_domain::jobs::{Enqueued, Job, JobId, JobQuery, JobState, KindStats, LockToken, NewJob};
use nexus_domain::paging::Page;
use nexus_store::{Claim, JobStore, LeaseStore, StoreError, Tx, downcast};
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, PgConnection, PgPool, Row};
use std::time::Duration;
use time::OffsetDateTime;

pub(crate) struct PgJobs {
    pub(crate) pool: PgPool,
}

pub(crate) struct PgLeases {
    pub(crate) pool: PgPool,
}

const COLUMNS: &str = "job_id, tenant_id, kind, payload, priority, state, run_at, attempts, max_attempts, \
     last_error, idempotency_key, locked_until, created_at, updated_at, finished_at";

fn after(now: OffsetDateTime, d: Duration) -> OffsetDateTime {
    now + time::Duration::try_from(d).unwrap_or(time::Duration::MAX)
}

fn as_i32(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn into_domain(row: &PgRow) -> Result<Job, StoreError> {
    let parse = || -> Result<Job, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Job {
            id: JobId::from_uuid(row.try_get("job_id")?),
            kind: row.try_get("kind")?,
            tenant: row
                .try_get::<Option<uuid::Uuid>, _>("tenant_id")?
                .map(TenantId::from_uuid),
            payload: row.try_get::<Json<serde_json::Value>, _>("payload")?.0,
            priority: row.try_get("priority")?,
            state: JobState::parse(row.try_get("state")?)?,
            run_at: row.try_get("run_at")?,
            attempts: u32::try_from(row.try_get::<i32, _>("attempts")?)?,
            max_attempts: u32::try_from(row.try_get::<i32, _>("max_attempts")?)?,
            last_error: row.try_get("last_error")?,
            idempotency_key: row.try_get("idempotency_key")?,
            locked_until: row.try_get("locked_until")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            finished_at: row.try_get("finished_at")?,
        })
    };
    parse().map_err(|e| StoreError::other("decoding a job row", e))
}

async fn enqueue_on(
    conn: &mut PgConnection,
    id: JobId,
    job: &NewJob,
    now: OffsetDateTime,
) -> Result<Enqueued, StoreError> {
    let inserted: Option<uuid::Uuid> = sqlx::query_scalar(
        "insert into job (job_id, tenant_id, kind, payload, priority, state, run_at, attempts, max_attempts, \
         idempotency_key, created_at, updated_at) values ($1, $2, $3, $4, $5, 'queued', $6, 0, $7, $8, $9, $9) \
         on conflict (kind, idempotency_key) do nothing returning job_id",
    )
    .bind(id.as_uuid())
    .bind(job.tenant.map(|t| t.as_uuid()))
    .bind(&job.kind)
    .bind(Json(&job.payload))
    .bind(job.priority)
    .bind(job.run_at)
    .bind(as_i32(job.max_attempts))
    .bind(&job.idempotency_key)
    .bind(now)
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
        sqlx::query_scalar("select job_id from job where kind = $1 and idempotency_key = $2")
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

/// Applies `set` (`$3` = `at`) to every held job still running under its lock token, in
/// one statement; returns the rows changed.
async fn update_held(
    pool: &PgPool,
    context: &'static str,
    set: &'static str,
    at: OffsetDateTime,
    held: &[(JobId, LockToken)],
) -> Result<u64, StoreError> {
    let (ids, locks): (Vec<uuid::Uuid>, Vec<uuid::Uuid>) = held
        .iter()
        .map(|(id, lock)| (id.as_uuid(), lock.as_uuid()))
        .unzip();
    let sql = format!(
        "update job j set {set} from unnest($1::uuid[], $2::uuid[]) as d(job_id, lock_token) \
         where j.job_id = d.job_id and j.lock_token = d.lock_token and j.state = 'running'"
    );
    let r = sqlx::query(AssertSqlSafe(sql))
        .bind(&ids)
        .bind(&locks)
        .bind(at)
        .execute(pool)
        .await
        .map_err(|e| map_err(context, e))?;
    Ok(r.rows_affected())
}

#[async_trait]
impl JobStore for PgJobs {
    async fn enqueue(
        &self,
        id: JobId,
        job: &NewJob,
        now: OffsetDateTime,
    ) -> Result<Enqueued, StoreError> {
        let mut conn = self
            .pool
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
        let tx = downcast::<PgTx>(tx)?;
        enqueue_on(&mut tx.0, id, job, now).await
    }

    async fn claim(&self, c: Claim) -> Result<Vec<Job>, StoreError> {
        let sql = format!(
            "with picked as (select job_id from job where state = 'queued' and run_at <= $1 \
                             order by priority desc, run_at limit $2 for update skip locked) \
             update job j set state = 'running', attempts = j.attempts + 1, lock_token = $3, locked_until = $4, \
                              updated_at = $1 \
             from picked where j.job_id = picked.job_id returning {}",
            COLUMNS
                .split(", ")
                .map(|c| format!("j.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(c.now)
            .bind(i64::from(c.limit))
            .bind(c.lock.as_uuid())
            .bind(after(c.now, c.visibility))
            .fetch_all(&self.pool)
            .await
            .map_err(|e| map_err("claiming jobs", e))?;
        rows.iter().map(into_domain).collect()
    }

    async fn complete(
        &self,
        done: &[(JobId, LockToken)],
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let set = "state = 'succeeded', finished_at = $3, updated_at = $3, lock_token = null, locked_until = null, \
                   last_error = null";
        update_held(&self.pool, "completing jobs", set, now, done).await
    }

    async fn fail(
        &self,
        id: JobId,
        lock: LockToken,
        error: &str,
        retry_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let (state, finished) = if retry_at.is_some() {
            ("queued", None)
        } else {
            ("dead", Some(now))
        };
        let done = sqlx::query(
            "update job set state = $1, run_at = coalesce($2, run_at), finished_at = $3, last_error = $4, \
             lock_token = null, locked_until = null, updated_at = $5 \
             where job_id = $6 and lock_token = $7 and state = 'running'",
        )
        .bind(state)
        .bind(retry_at)
        .bind(finished)
        .bind(error)
        .bind(now)
        .bind(id.as_uuid())
        .bind(lock.as_uuid())
        .execute(&self.pool)
        .await
        .map_err(|e| map_err("recording a job failure", e))?;
        Ok(done.rows_affected() == 1)
    }

    async fn extend(
        &self,
        held: &[(JobId, LockToken)],
        until: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        update_held(
            &self.pool,
            "extending claims",
            "locked_until = $3",
            until,
            held,
        )
        .await
    }

    async fn release(
        &self,
        held: &[(JobId, LockToken)],
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let set = "state = 'queued', attempts = greatest(j.attempts - 1, 0), lock_token = null, locked_until = null, \
                   updated_at = $3";
        update_held(&self.pool, "releasing jobs", set, now, held).await
    }

    async fn reap_expired(&self, now: OffsetDateTime) -> Result<(u64, u64), StoreError> {
        let row = sqlx::query(
            "with expired as (select job_id from job where state = 'running' and locked_until < $1 \
                              for update skip locked), \
             updated as (update job j set \
                  state = case when j.attempts >= j.max_attempts then 'dead' else 'queued' end, \
                  finished_at = case when j.attempts >= j.max_attempts then $1 end, \
                  updated_at = $1, lock_token = null, locked_until = null, \
                  last_error = 'claim expired: the worker stopped before finishing' \
                from expired where j.job_id = expired.job_id returning j.state) \
             select count(*) filter (where state = 'queued') as requeued, \
                    count(*) filter (where state = 'dead') as dead from updated",
        )
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| map_err("reaping jobs", e))?;
        let get = |c: &str| {
            row.try_get::<i64, _>(c)
                .map(|n| u64::try_from(n).unwrap_or(0))
        };
        Ok((
            get("requeued").map_err(|e| map_err("reaping jobs", e))?,
            get("dead").map_err(|e| map_err("reaping jobs", e))?,
        ))
    }

    async fn get(&self, id: JobId) -> Result<Job, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "select {COLUMNS} from job where job_id = $1"
        )))
        .bind(id.as_uuid())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| map_err("loading a job", e))?;
        into_domain(&row)
    }

    async fn list(&self, q: &JobQuery) -> Result<Page<Job>, StoreError> {
        let filter = "where ($1::text is null or state = $1) and ($2::text is null or kind = $2) \
                      and ($3::uuid is null or tenant_id = $3)";
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
            "select {COLUMNS} from job {filter} order by created_at desc, job_id desc limit $4 offset $5"
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
        let tx = &mut *downcast::<PgTx>(tx)?.0;
        let row = sqlx::query(AssertSqlSafe(format!(
            "update job set state = 'queued', attempts = 0, run_at = $1, finished_at = null, updated_at = $1 \
             where job_id = $2 and state in ('dead', 'cancelled') returning {COLUMNS}"
        )))
        .bind(now)
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
        let tx = &mut *downcast::<PgTx>(tx)?.0;
        let row = sqlx::query(AssertSqlSafe(format!(
            "update job set state = 'cancelled', finished_at = $1, updated_at = $1 \
             where job_id = $2 and state = 'queued' returning {COLUMNS}"
        )))
        .bind(now)
        .bind(id.as_uuid())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| map_err("cancelling a job", e))?;
        into_domain(&row)
    }

    async fn purge_dead(&self, tx: &mut dyn Tx) -> Result<u64, StoreError> {
        let tx = &mut *downcast::<PgTx>(tx)?.0;
        let done = sqlx::query("delete from job where state = 'dead'")
            .execute(&mut *tx)
            .await
            .map_err(|e| map_err("purging dead jobs", e))?;
        Ok(done.rows_affected())
    }

    async fn purge_finished(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "delete from job where state in ('succeeded', 'cancelled') and finished_at < $1",
        )
        .bind(before)
        .execute(&self.pool)
        .await
        .map_err(|e| map_err("purging finished jobs", e))?;
        Ok(done.rows_affected())
    }

    async fn stats(&self, now: OffsetDateTime) -> Result<Vec<KindStats>, StoreError> {
        let rows = sqlx::query(
            "select kind, count(*) filter (where state = 'queued') as queued, \
               count(*) filter (where state = 'running') as running, \
               count(*) filter (where state = 'dead') as dead, \
               min(run_at) filter (where state = 'queued' and run_at <= $1) as oldest_due \
             from job where state in ('queued', 'running', 'dead') group by kind order by kind",
        )
        .bind(now)
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
                    kind: r.try_get("kind")?,
                    queued: count("queued")?,
                    running: count("running")?,
                    dead: count("dead")?,
                    oldest_due: r.try_get("oldest_due")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(|e| map_err("reading job stats", e))
    }
}

#[async_trait]
impl LeaseStore for PgLeases {
    async fn try_acquire(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let got: Option<String> = sqlx::query_scalar(
            "insert into lease (name, holder, expires_at, acquired_at) values ($1, $2, $3, $4) \
             on conflict (name) do update set holder = excluded.holder, expires_at = excluded.expires_at, \
               acquired_at = case when lease.holder = excluded.holder then lease.acquired_at else excluded.acquired_at end \
             where lease.holder = excluded.holder or lease.expires_at < excluded.acquired_at \
             returning holder",
        )
        .bind(name)
        .bind(holder)
        .bind(after(now, ttl))
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| map_err("acquiring a lease", e))?;
        Ok(got.is_some())
    }

    async fn release(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query("delete from lease where name = $1 and holder = $2")
            .bind(name)
            .bind(holder)
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(|e| map_err("releasing a lease", e))
    }

    async fn holder(&self, name: &str, now: OffsetDateTime) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("select holder from lease where name = $1 and expires_at >= $2")
            .bind(name)
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| map_err("reading a lease", e))
    }
}
