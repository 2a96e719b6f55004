//! PostgreSQL audit trail. Recording an event inserts it into `audit_pending`, with no
//! lock; sealing chains waiting events in insertion order under the chain head's row
//! lock (`FOR UPDATE`), which serialises sealers per chain, not requests (see
//! `nexus_store::audit`). The application role may insert but never update or delete
//! chained events (see the migrations' grants).

use crate::{PgTx, begin_tenant_tx, map_err};
use async_trait::async_trait;
use nexus_domain::TenantId;
use nexus_domain::audit::{
    AuditEvent, AuditEventId, AuditQuery, GENESIS, NewAuditEvent, PendingAuditEvent, chain_of,
};
use nexus_domain::paging::Order;
use nexus_store::{AuditStore, StoreError, Tx, downcast};
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, PgConnection, PgPool, Row};
use time::OffsetDateTime;

pub(crate) struct PgAudit {
    pub(crate) pool: PgPool,
}

const COLUMNS: &str = "chain, seq, audit_event_id, tenant_id, occurred_at, actor, action, target, ip, user_agent, \
     request_id, diff, prev_hash, hash";

fn into_domain(row: &PgRow) -> Result<AuditEvent, StoreError> {
    let parse = || -> Result<AuditEvent, sqlx::Error> {
        Ok(AuditEvent {
            chain: row.try_get("chain")?,
            seq: row.try_get("seq")?,
            id: AuditEventId::from_uuid(row.try_get("audit_event_id")?),
            tenant: row
                .try_get::<Option<uuid::Uuid>, _>("tenant_id")?
                .map(TenantId::from_uuid),
            occurred_at: row.try_get("occurred_at")?,
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

/// Records an event: one insert, no lock (see `nexus_store::audit`).
async fn record_on(
    conn: &mut PgConnection,
    event: NewAuditEvent,
    id: AuditEventId,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let p = PendingAuditEvent::new(event, id, at);
    sqlx::query(AssertSqlSafe(format!(
        "insert into audit_pending ({PENDING}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    )))
    .bind(p.chain())
    .bind(p.id.as_uuid())
    .bind(p.tenant.map(|t| t.as_uuid()))
    .bind(p.occurred_at)
    .bind(&p.actor)
    .bind(&p.action)
    .bind(&p.target)
    .bind(&p.ip)
    .bind(&p.user_agent)
    .bind(&p.request_id)
    .bind(&p.diff)
    .execute(&mut *conn)
    .await
    .map_err(|e| map_err("recording an audit event", e))?;
    Ok(())
}

const PENDING: &str = "chain, audit_event_id, tenant_id, occurred_at, actor, action, target, ip, \
     user_agent, request_id, diff";

/// How many waiting events one sealing transaction chains.
const SEAL_BATCH: i64 = 500;

fn into_pending(row: &PgRow) -> Result<(i64, PendingAuditEvent), StoreError> {
    let parse = || -> Result<(i64, PendingAuditEvent), sqlx::Error> {
        Ok((
            row.try_get("pending_id")?,
            PendingAuditEvent {
                id: AuditEventId::from_uuid(row.try_get("audit_event_id")?),
                tenant: row
                    .try_get::<Option<uuid::Uuid>, _>("tenant_id")?
                    .map(TenantId::from_uuid),
                occurred_at: row.try_get("occurred_at")?,
                actor: row.try_get("actor")?,
                action: row.try_get("action")?,
                target: row.try_get("target")?,
                ip: row.try_get("ip")?,
                user_agent: row.try_get("user_agent")?,
                request_id: row.try_get("request_id")?,
                diff: row.try_get("diff")?,
            },
        ))
    };
    parse().map_err(|e| map_err("decoding a recorded audit event", e))
}

/// The oldest [`SEAL_BATCH`] events of `chain` waiting to be chained.
async fn waiting(conn: &mut PgConnection, chain: &str) -> Result<Vec<PgRow>, StoreError> {
    sqlx::query(AssertSqlSafe(format!(
        "select pending_id, {PENDING} from audit_pending where chain = $1 order by pending_id limit $2"
    )))
    .bind(chain)
    .bind(SEAL_BATCH)
    .fetch_all(conn)
    .await
    .map_err(|e| map_err("sealing the audit trail", e))
}

/// A transaction on `tenant`'s chain: scoped to the tenant, or unscoped for the
/// platform's own chain.
async fn begin_chain_tx(
    pool: &PgPool,
    tenant: Option<TenantId>,
    context: &'static str,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
    match tenant {
        Some(t) => begin_tenant_tx(pool, t).await,
        None => pool.begin().await.map_err(|e| map_err(context, e)),
    }
}

/// Chains up to [`SEAL_BATCH`] waiting events of `tenant`'s chain in one transaction;
/// returns how many. The head's row lock orders concurrent sealers, and each statement
/// after it sees what the previous holder committed (read committed).
async fn seal_batch(pool: &PgPool, tenant: Option<TenantId>) -> Result<u64, StoreError> {
    let err = |e| map_err("sealing the audit trail", e);
    let chain = chain_of(tenant);
    let mut tx = begin_chain_tx(pool, tenant, "sealing the audit trail").await?;
    // Nothing waiting (the common case for a read): no lock, no write.
    let any: bool =
        sqlx::query_scalar("select exists(select 1 from audit_pending where chain = $1)")
            .bind(&chain)
            .fetch_one(&mut *tx)
            .await
            .map_err(err)?;
    if !any {
        tx.commit().await.map_err(err)?;
        return Ok(0);
    }
    // A new chain starts at genesis; a chain whose head row is gone while its events
    // remain was tampered with, and must not restart at genesis (that would fail on
    // every batch and hide the tampering): its events keep waiting, and verification
    // reports the missing head.
    sqlx::query(
        "insert into audit_head (chain, seq, hash) select $1, 0, $2 \
         where not exists (select 1 from audit_event where chain = $1) \
         on conflict (chain) do nothing",
    )
    .bind(&chain)
    .bind(GENESIS)
    .execute(&mut *tx)
    .await
    .map_err(err)?;
    let head: Option<(i64, String)> =
        sqlx::query_as("select seq, hash from audit_head where chain = $1 for update")
            .bind(&chain)
            .fetch_optional(&mut *tx)
            .await
            .map_err(err)?;
    let Some((mut seq, mut hash)) = head else {
        tracing::error!(chain = %chain, "the audit chain's head is missing while its events remain: not sealing (verify reports it)");
        tx.commit().await.map_err(err)?;
        return Ok(0);
    };
    // Read again under the lock: a sealer that held it before may have chained some.
    let rows = waiting(&mut tx, &chain).await?;
    let mut ids = Vec::with_capacity(rows.len());
    let mut events = Vec::with_capacity(rows.len());
    for row in &rows {
        let (id, p) = into_pending(row)?;
        let e = AuditEvent::link(p, (seq > 0).then(|| (seq, hash.clone())));
        (seq, hash) = (e.seq, e.hash.clone());
        ids.push(id);
        events.push(e);
    }
    if !events.is_empty() {
        let mut insert = sqlx::QueryBuilder::new(format!("insert into audit_event ({COLUMNS}) "));
        insert.push_values(&events, |mut b, e| {
            b.push_bind(&e.chain)
                .push_bind(e.seq)
                .push_bind(e.id.as_uuid())
                .push_bind(e.tenant.map(|t| t.as_uuid()))
                .push_bind(e.occurred_at)
                .push_bind(&e.actor)
                .push_bind(&e.action)
                .push_bind(&e.target)
                .push_bind(&e.ip)
                .push_bind(&e.user_agent)
                .push_bind(&e.request_id)
                .push_bind(&e.diff)
                .push_bind(&e.prev_hash)
                .push_bind(&e.hash);
        });
        insert.build().execute(&mut *tx).await.map_err(err)?;
        // The application may not delete waiting events itself; this function removes
        // only those now in audit_event (see the migration).
        let released: i64 = sqlx::query_scalar("select audit_pending_release($1)")
            .bind(&ids)
            .fetch_one(&mut *tx)
            .await
            .map_err(err)?;
        if usize::try_from(released).ok() != Some(ids.len()) {
            return Err(StoreError::other(
                "sealing the audit trail",
                format!("released {released} of {} chained events", ids.len()),
            ));
        }
        sqlx::query("update audit_head set seq = $2, hash = $3 where chain = $1")
            .bind(&chain)
            .bind(seq)
            .bind(&hash)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
    }
    tx.commit().await.map_err(err)?;
    Ok(u64::try_from(events.len()).unwrap_or(0))
}

#[async_trait]
impl AuditStore for PgAudit {
    async fn append(
        &self,
        event: NewAuditEvent,
        id: AuditEventId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut tx = begin_chain_tx(&self.pool, event.tenant, "recording an audit event").await?;
        record_on(&mut tx, event, id, at).await?;
        // Not sealed here: this records failed logins, and sealing takes the head lock,
        // which a burst of them would queue on again (the sealers chain it shortly).
        tx.commit()
            .await
            .map_err(|e| map_err("recording an audit event", e))
    }

    async fn append_in(
        &self,
        tx: &mut dyn Tx,
        event: NewAuditEvent,
        id: AuditEventId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        record_on(&mut downcast::<PgTx>(tx)?.0, event, id, at).await
    }

    async fn seal(&self, tenant: Option<TenantId>) -> Result<u64, StoreError> {
        let mut sealed = 0;
        loop {
            let n = seal_batch(&self.pool, tenant).await?;
            sealed += n;
            if n < u64::try_from(SEAL_BATCH).unwrap_or(u64::MAX) {
                return Ok(sealed);
            }
        }
    }

    async fn seal_all(&self) -> Result<u64, StoreError> {
        // One chain failing (a lock timeout, say) must not hold back the others: seal
        // every chain, then report the first failure.
        let (mut sealed, mut failed) = (0, None);
        for chain in self.pending_chains().await? {
            match self.seal(chain).await {
                Ok(n) => sealed += n,
                Err(e) => {
                    tracing::warn!(chain = %chain_of(chain), error = %e, "sealing an audit chain failed");
                    failed.get_or_insert(e);
                }
            }
        }
        failed.map_or(Ok(sealed), Err)
    }

    async fn list(
        &self,
        tenant: Option<TenantId>,
        q: &AuditQuery,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        self.seal(tenant).await?;
        let mut tx = begin_chain_tx(&self.pool, tenant, "reading the audit trail").await?;
        let (exact, prefix) = nexus_store::sql::exact_or_prefix(q.action.as_deref());
        let cursor = if q.order == Order::Asc {
            "seq > $7"
        } else {
            "seq < $7"
        };
        let sql = format!(
            "select {COLUMNS} from audit_event where chain = $1 and ($2::text is null or actor = $2) \
             and ($3::text is null or action = $3) and ($4::text is null or action like $4 escape '\\') \
             and ($5::timestamptz is null or occurred_at >= $5) and ($6::timestamptz is null or occurred_at < $6) \
             and ($7::bigint is null or {cursor}) order by seq {} limit $8",
            q.order.sql()
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(chain_of(tenant))
            .bind(&q.actor)
            .bind(exact)
            .bind(prefix)
            .bind(q.from)
            .bind(q.to)
            .bind(q.after_seq)
            .bind(i64::from(q.limit))
            .fetch_all(&mut *tx)
            .await
            .map_err(|e| map_err("reading the audit trail", e))?;
        tx.commit()
            .await
            .map_err(|e| map_err("reading the audit trail", e))?;
        rows.iter().map(into_domain).collect()
    }

    async fn head(&self, tenant: Option<TenantId>) -> Result<Option<(i64, String)>, StoreError> {
        sqlx::query_as("select seq, hash from audit_head where chain = $1")
            .bind(chain_of(tenant))
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| map_err("reading an audit chain head", e))
    }

    async fn chains(&self) -> Result<Vec<Option<TenantId>>, StoreError> {
        // A tenant whose first events still wait has no head yet. Waiting chains first:
        // one sealed in between then shows among the heads, not nowhere.
        let mut chains: Vec<String> = sqlx::query_scalar("select audit_pending_chains()")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| map_err("listing audit chains", e))?;
        let heads: Vec<String> = sqlx::query_scalar("select chain from audit_head")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| map_err("listing audit chains", e))?;
        // Chains with events, head or not: one whose head row was deleted is still listed
        // (and verification reports the missing head).
        let with_events: Vec<String> = sqlx::query_scalar("select audit_event_chains()")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| map_err("listing audit chains", e))?;
        chains.extend(heads);
        chains.extend(with_events);
        chains.sort();
        chains.dedup();
        Ok(chains.iter().map(|c| c.parse().ok()).collect())
    }
}

impl PgAudit {
    /// The chains with events waiting to be sealed.
    async fn pending_chains(&self) -> Result<Vec<Option<TenantId>>, StoreError> {
        let chains: Vec<String> = sqlx::query_scalar("select audit_pending_chains()")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| map_err("listing audit chains to seal", e))?;
        Ok(chains.iter().map(|c| c.parse().ok()).collect())
    }
}
