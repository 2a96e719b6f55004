//! SQLite audit trail. Appends start with a write to the chain head, which takes
//! the database write lock first, so two appends can never read the same head; triggers
//! refuse any update or delete of an event (see the migration).
//!
//! Events are chained as they are recorded: the write lock is held for the whole
//! transaction anyway, so chaining later would gain nothing here. `audit_pending`
//! exists only so both backends have one schema; it stays empty.

use crate::jobs::micros;
use crate::{SqliteTx, map_err};
use async_trait::async_trait;
use nexus_domain::TenantId;
use nexus_domain::audit::{AuditEvent, AuditEventId, AuditQuery, GENESIS, NewAuditEvent, chain_of};
use nexus_domain::paging::Order;
use nexus_store::{AuditStore, StoreError, Tx, downcast};
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Row, SqliteConnection, SqlitePool};
use time::OffsetDateTime;

pub(crate) struct SqliteAudit {
    pub(crate) pool: SqlitePool,
    pub(crate) writer: crate::Writer,
}

const COLUMNS: &str = "chain, seq, audit_event_id, tenant_id, occurred_at, actor, action, target, ip, user_agent, \
     request_id, diff, prev_hash, hash";

fn into_domain(row: &SqliteRow) -> Result<AuditEvent, StoreError> {
    let parse = || -> Result<AuditEvent, sqlx::Error> {
        Ok(AuditEvent {
            chain: row.try_get("chain")?,
            seq: row.try_get("seq")?,
            id: AuditEventId::from_uuid(row.try_get("audit_event_id")?),
            tenant: row
                .try_get::<Option<uuid::Uuid>, _>("tenant_id")?
                .map(TenantId::from_uuid),
            occurred_at: OffsetDateTime::from_unix_timestamp_nanos(
                i128::from(row.try_get::<i64, _>("occurred_at")?) * 1000,
            )
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            actor: row.try_get("actor")?,
            action: row.try_get("action")?,
            target: row.try_get("target")?,
            ip: row.try_get("ip")?,
            user_agent: row.try_get("user_agent")?,
            request_id: row.try_get("request_id")?,
            diff: row.try_get("diff")?,
            prev_hash: row.try_get("prev_hash")?,
            hash: row.try_get("hash")?,
        })
    };
    parse().map_err(|e| map_err("decoding an audit event", e))
}

async fn append_on(
    conn: &mut SqliteConnection,
    event: NewAuditEvent,
    id: AuditEventId,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let chain = chain_of(event.tenant);
    // Write first: the upsert takes SQLite's write lock before the head is read.
    sqlx::query("insert into audit_head (chain, seq, hash) values (?1, 0, ?2) on conflict (chain) do update set seq = seq")
        .bind(&chain)
        .bind(GENESIS)
        .execute(&mut *conn)
        .await
        .map_err(|e| map_err("appending an audit event", e))?;
    let (seq, hash): (i64, String) =
        sqlx::query_as("select seq, hash from audit_head where chain = ?1")
            .bind(&chain)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| map_err("appending an audit event", e))?;
    let e = AuditEvent::chain(event, id, at, (seq > 0).then_some((seq, hash)));
    sqlx::query(AssertSqlSafe(format!(
        "insert into audit_event ({COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )))
    .bind(&e.chain)
    .bind(e.seq)
    .bind(e.id.as_uuid())
    .bind(e.tenant.map(|t| t.as_uuid()))
    .bind(micros(e.occurred_at))
    .bind(&e.actor)
    .bind(&e.action)
    .bind(&e.target)
    .bind(&e.ip)
    .bind(&e.user_agent)
    .bind(&e.request_id)
    .bind(&e.diff)
    .bind(&e.prev_hash)
    .bind(&e.hash)
    .execute(&mut *conn)
    .await
    .map_err(|e| map_err("appending an audit event", e))?;
    sqlx::query("update audit_head set seq = ?2, hash = ?3 where chain = ?1")
        .bind(&chain)
        .bind(e.seq)
        .bind(&e.hash)
        .execute(&mut *conn)
        .await
        .map_err(|e| map_err("appending an audit event", e))?;
    Ok(())
}

#[async_trait]
impl AuditStore for SqliteAudit {
    async fn append(
        &self,
        event: NewAuditEvent,
        id: AuditEventId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut tx = crate::begin_write(&self.writer)
            .await
            .map_err(|e| map_err("appending an audit event", e))?;
        append_on(&mut tx, event, id, at).await?;
        tx.commit()
            .await
            .map_err(|e| map_err("appending an audit event", e))
    }

    async fn append_in(
        &self,
        tx: &mut dyn Tx,
        event: NewAuditEvent,
        id: AuditEventId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        append_on(&mut downcast::<SqliteTx>(tx)?.0, event, id, at).await
    }

    async fn seal(&self, _tenant: Option<TenantId>) -> Result<u64, StoreError> {
        Ok(0)
    }

    async fn seal_all(&self) -> Result<u64, StoreError> {
        Ok(0)
    }

    async fn list(
        &self,
        tenant: Option<TenantId>,
        q: &AuditQuery,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let (exact, prefix) = nexus_store::sql::exact_or_prefix(q.action.as_deref());
        let cursor = if q.order == Order::Asc {
            "seq > ?7"
        } else {
            "seq < ?7"
        };
        let sql = format!(
            "select {COLUMNS} from audit_event where chain = ?1 and (?2 is null or actor = ?2) \
             and (?3 is null or action = ?3) and (?4 is null or action like ?4 escape '\\') \
             and (?5 is null or occurred_at >= ?5) and (?6 is null or occurred_at < ?6) \
             and (?7 is null or {cursor}) order by seq {} limit ?8",
            q.order.sql()
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(chain_of(tenant))
            .bind(&q.actor)
            .bind(exact)
            .bind(prefix)
            .bind(q.from.map(micros))
            .bind(q.to.map(micros))
            .bind(q.after_seq)
            .bind(i64::from(q.limit))
            .fetch_all(&self.pool)
            .await
            .map_err(|e| map_err("reading the audit trail", e))?;
        rows.iter().map(into_domain).collect()
    }

    async fn head(&self, tenant: Option<TenantId>) -> Result<Option<(i64, String)>, StoreError> {
        sqlx::query_as("select seq, hash from audit_head where chain = ?")
            .bind(chain_of(tenant))
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| map_err("reading an audit chain head", e))
    }

    async fn chains(&self) -> Result<Vec<Option<TenantId>>, StoreError> {
        // Chains with events too: one whose head row was deleted is still listed (and
        // verification reports the missing head).
        let chains: Vec<String> = sqlx::query_scalar(
            "select chain from audit_head union select chain from audit_event order by chain",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|e| map_err("listing audit chains", e))?;
        Ok(chains.iter().map(|c| c.parse().ok()).collect())
    }
}
