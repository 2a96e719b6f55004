//! PostgreSQL simulator store: settings, portfolios, positions, the ledger, imports and
//! the event stream. Orders, fills and competitions are in `orders`. Statements
//! filter by `tenant_id` and run in tenant-scoped transactions, so row-level security
//! backs the filter up. Money is `numeric`, bound and read as `Decimal`.

use crate::course::parent_missing;
use crate::{PgTx, begin_tenant_tx, map_err};
use nexus_domain::paging::PageRequest;
use nexus_domain::sim::{
    CompetitionId, ImportedBar, LedgerRecord, LedgerTxnId, OrderId, PortfolioId, PortfolioRecord,
    PositionRecord, SimEvent, SimSettings, Symbol,
};
use nexus_domain::{TenantId, UserId};
use nexus_store::sim_codec::{settings_from, settings_row};
use nexus_store::{ImportSummary, StoreError, Tx, downcast};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row};
use time::OffsetDateTime;

pub(crate) type Decode<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

pub(crate) const PORTFOLIO: &str = "select portfolio_id, app_user_id, competition_id, cash, \
     starting_cash, realized_pnl, fees_paid, created_at, updated_at from portfolio";

pub(crate) fn into_portfolio(row: &PgRow) -> Result<PortfolioRecord, StoreError> {
    let parse = || -> Decode<PortfolioRecord> {
        Ok(PortfolioRecord {
            id: PortfolioId::from_uuid(row.try_get("portfolio_id")?),
            user: UserId::from_uuid(row.try_get("app_user_id")?),
            competition: row
                .try_get::<Option<uuid::Uuid>, _>("competition_id")?
                .map(CompetitionId::from_uuid),
            cash: row.try_get("cash")?,
            starting_cash: row.try_get("starting_cash")?,
            realized_pnl: row.try_get("realized_pnl")?,
            fees_paid: row.try_get("fees_paid")?,
            created_at: super::order_path::at(row, "created_at")?,
            updated_at: super::order_path::at(row, "updated_at")?,
        })
    };
    parse().map_err(|e| StoreError::other("decoding a portfolio", e))
}

pub(crate) fn into_position(row: &PgRow) -> Result<PositionRecord, StoreError> {
    let parse = || -> Decode<PositionRecord> {
        Ok(PositionRecord {
            symbol: Symbol::from_stored(row.try_get("symbol")?),
            qty: row.try_get("qty")?,
            cost_basis: row.try_get("cost_basis")?,
            updated_at: super::order_path::at(row, "updated_at")?,
        })
    };
    parse().map_err(|e| StoreError::other("decoding a position", e))
}

/// Ends a read-only tenant transaction.
pub(crate) async fn end_read(
    tx: sqlx::Transaction<'static, sqlx::Postgres>,
) -> Result<(), StoreError> {
    tx.commit().await.map_err(|e| map_err("ending a read", e))
}

pub(crate) fn limit_offset(page: PageRequest) -> (i64, i64) {
    (
        i64::from(page.limit()),
        i64::try_from(page.offset()).unwrap_or(i64::MAX),
    )
}

pub(crate) async fn settings(
    pool: &PgPool,
    tenant: TenantId,
) -> Result<Option<SimSettings>, StoreError> {
    let mut rtx = begin_tenant_tx(pool, tenant).await?;
    let row = sqlx::query(
        "select starting_cash, realism, allow_short, margin, pattern_day_trader, \
         allow_extended_hours from sim_settings where tenant_id = $1",
    )
    .bind(tenant.as_uuid())
    .fetch_optional(&mut *rtx)
    .await
    .map_err(|e| map_err("reading simulator settings", e))?;
    end_read(rtx).await?;
    let Some(row) = row else { return Ok(None) };
    let cols = || -> Decode<_> {
        Ok((
            row.try_get("starting_cash")?,
            row.try_get::<String, _>("realism")?,
            row.try_get("allow_short")?,
            row.try_get("margin")?,
            row.try_get("pattern_day_trader")?,
            row.try_get("allow_extended_hours")?,
        ))
    };
    let (cash, realism, short, margin, pdt, ext) =
        cols().map_err(|e| StoreError::other("decoding simulator settings", e))?;
    settings_from(
        cash,
        &realism,
        nexus_trading::rules::Rules {
            allow_short: short,
            margin,
            pattern_day_trader: pdt,
            allow_extended_hours: ext,
        },
    )
    .map(Some)
}

pub(crate) async fn put_settings(
    tx: &mut dyn Tx,
    tenant: TenantId,
    s: &SimSettings,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let conn = &mut *downcast::<PgTx>(tx)?.0;
    let (cash, realism, short, margin, pdt, ext) = settings_row(s);
    sqlx::query(
        "insert into sim_settings (tenant_id, starting_cash, realism, allow_short, margin, \
         pattern_day_trader, allow_extended_hours, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8) \
         on conflict (tenant_id) do update set starting_cash = excluded.starting_cash, \
         realism = excluded.realism, allow_short = excluded.allow_short, margin = excluded.margin, \
         pattern_day_trader = excluded.pattern_day_trader, \
         allow_extended_hours = excluded.allow_extended_hours, updated_at = excluded.updated_at",
    )
    .bind(tenant.as_uuid())
    .bind(cash)
    .bind(realism)
    .bind(short)
    .bind(margin)
    .bind(pdt)
    .bind(ext)
    .bind(at)
    .execute(conn)
    .await
    .map_err(|e| parent_missing("saving simulator settings", e))?;
    Ok(())
}

pub(crate) async fn create_portfolio(
    tx: &mut dyn Tx,
    tenant: TenantId,
    p: &PortfolioRecord,
) -> Result<(), StoreError> {
    let conn = &mut *downcast::<PgTx>(tx)?.0;
    sqlx::query(
        "insert into portfolio (tenant_id, portfolio_id, app_user_id, competition_id, cash, \
         starting_cash, realized_pnl, fees_paid, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(tenant.as_uuid())
    .bind(p.id.as_uuid())
    .bind(p.user.as_uuid())
    .bind(p.competition.map(|c| c.as_uuid()))
    .bind(p.cash)
    .bind(p.starting_cash)
    .bind(p.realized_pnl)
    .bind(p.fees_paid)
    .bind(p.created_at)
    .bind(p.updated_at)
    .execute(conn)
    .await
    .map_err(|e| parent_missing("opening a portfolio", e))?;
    Ok(())
}

pub(crate) async fn portfolio(
    pool: &PgPool,
    tenant: TenantId,
    id: PortfolioId,
) -> Result<PortfolioRecord, StoreError> {
    let mut rtx = begin_tenant_tx(pool, tenant).await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{PORTFOLIO} where tenant_id = $1 and portfolio_id = $2"
    )))
    .bind(tenant.as_uuid())
    .bind(id.as_uuid())
    .fetch_optional(&mut *rtx)
    .await
    .map_err(|e| map_err("reading a portfolio", e))?;
    end_read(rtx).await?;
    row.as_ref()
        .map(into_portfolio)
        .transpose()?
        .ok_or(StoreError::NotFound)
}

pub(crate) async fn find_portfolio(
    pool: &PgPool,
    tenant: TenantId,
    user: UserId,
    competition: Option<CompetitionId>,
) -> Result<Option<PortfolioRecord>, StoreError> {
    let mut rtx = begin_tenant_tx(pool, tenant).await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{PORTFOLIO} where tenant_id = $1 and app_user_id = $2 \
         and competition_id is not distinct from $3"
    )))
    .bind(tenant.as_uuid())
    .bind(user.as_uuid())
    .bind(competition.map(|c| c.as_uuid()))
    .fetch_optional(&mut *rtx)
    .await
    .map_err(|e| map_err("finding a portfolio", e))?;
    end_read(rtx).await?;
    row.as_ref().map(into_portfolio).transpose()
}

pub(crate) async fn portfolios_of(
    pool: &PgPool,
    tenant: TenantId,
    user: UserId,
) -> Result<Vec<PortfolioRecord>, StoreError> {
    let mut rtx = begin_tenant_tx(pool, tenant).await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{PORTFOLIO} where tenant_id = $1 and app_user_id = $2 order by created_at, portfolio_id"
    )))
    .bind(tenant.as_uuid())
    .bind(user.as_uuid())
    .fetch_all(&mut *rtx)
    .await
    .map_err(|e| map_err("listing portfolios", e))?;
    end_read(rtx).await?;
    rows.iter().map(into_portfolio).collect()
}

pub(crate) async fn lock_portfolio(
    tx: &mut dyn Tx,
    tenant: TenantId,
    id: PortfolioId,
) -> Result<PortfolioRecord, StoreError> {
    let conn = &mut *downcast::<PgTx>(tx)?.0;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{PORTFOLIO} where tenant_id = $1 and portfolio_id = $2 for update"
    )))
    .bind(tenant.as_uuid())
    .bind(id.as_uuid())
    .fetch_optional(conn)
    .await
    .map_err(|e| map_err("locking a portfolio", e))?;
    row.as_ref()
        .map(into_portfolio)
        .transpose()?
        .ok_or(StoreError::NotFound)
}

pub(crate) async fn update_totals(
    tx: &mut dyn Tx,
    tenant: TenantId,
    p: &PortfolioRecord,
) -> Result<(), StoreError> {
    let conn = &mut *downcast::<PgTx>(tx)?.0;
    let done = sqlx::query(
        "update portfolio set cash = $3, realized_pnl = $4, fees_paid = $5, updated_at = $6 \
         where tenant_id = $1 and portfolio_id = $2",
    )
    .bind(tenant.as_uuid())
    .bind(p.id.as_uuid())
    .bind(p.cash)
    .bind(p.realized_pnl)
    .bind(p.fees_paid)
    .bind(p.updated_at)
    .execute(conn)
    .await
    .map_err(|e| map_err("saving portfolio totals", e))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

async fn positions_on(
    conn: &mut PgConnection,
    tenant: TenantId,
    portfolio: PortfolioId,
) -> Result<Vec<PositionRecord>, StoreError> {
    let rows = sqlx::query(
        "select symbol, qty, cost_basis, updated_at from position \
         where tenant_id = $1 and portfolio_id = $2 order by symbol",
    )
    .bind(tenant.as_uuid())
    .bind(portfolio.as_uuid())
    .fetch_all(conn)
    .await
    .map_err(|e| map_err("reading positions", e))?;
    rows.iter().map(into_position).collect()
}

pub(crate) async fn positions(
    pool: &PgPool,
    tenant: TenantId,
    portfolio: PortfolioId,
) -> Result<Vec<PositionRecord>, StoreError> {
    let mut rtx = begin_tenant_tx(pool, tenant).await?;
    let out = positions_on(&mut rtx, tenant, portfolio).await?;
    end_read(rtx).await?;
    Ok(out)
}

pub(crate) async fn positions_in(
    tx: &mut dyn Tx,
    tenant: TenantId,
    portfolio: PortfolioId,
) -> Result<Vec<PositionRecord>, StoreError> {
    positions_on(&mut downcast::<PgTx>(tx)?.0, tenant, portfolio).await
}

pub(crate) async fn put_position(
    tx: &mut dyn Tx,
    tenant: TenantId,
    portfolio: PortfolioId,
    p: &PositionRecord,
) -> Result<(), StoreError> {
    let conn = &mut *downcast::<PgTx>(tx)?.0;
    let query = if p.qty.is_zero() {
        sqlx::query(
            "delete from position where tenant_id = $1 and portfolio_id = $2 and symbol = $3",
        )
        .bind(tenant.as_uuid())
        .bind(portfolio.as_uuid())
        .bind(p.symbol.as_str())
    } else {
        sqlx::query(
            "insert into position (tenant_id, portfolio_id, symbol, qty, cost_basis, updated_at) \
             values ($1, $2, $3, $4, $5, $6) on conflict (tenant_id, portfolio_id, symbol) \
             do update set qty = excluded.qty, cost_basis = excluded.cost_basis, \
             updated_at = excluded.updated_at",
        )
        .bind(tenant.as_uuid())
        .bind(portfolio.as_uuid())
        .bind(p.symbol.as_str())
        .bind(p.qty)
        .bind(p.cost_basis)
        .bind(p.updated_at)
    };
    query
        .execute(conn)
        .await
        .map_err(|e| parent_missing("saving a position", e))?;
    Ok(())
}

pub(crate) async fn post(
    tx: &mut dyn Tx,
    tenant: TenantId,
    portfolio: PortfolioId,
    entries: &[LedgerRecord],
) -> Result<(), StoreError> {
    let conn = &mut *downcast::<PgTx>(tx)?.0;
    let txns: Vec<uuid::Uuid> = entries.iter().map(|e| e.txn.as_uuid()).collect();
    let accounts: Vec<&str> = entries.iter().map(|e| e.account.as_str()).collect();
    let amounts: Vec<rust_decimal::Decimal> = entries.iter().map(|e| e.amount).collect();
    let orders: Vec<Option<uuid::Uuid>> = entries
        .iter()
        .map(|e| e.order.map(|o| o.as_uuid()))
        .collect();
    let ats: Vec<OffsetDateTime> = entries.iter().map(|e| e.at).collect();
    // One statement for the whole set: a fill's postings are written together or not.
    sqlx::query(
        "insert into ledger_entry (tenant_id, portfolio_id, txn_id, account, \
         amount, order_id, created_at) \
         select $1, * from unnest($2::uuid[], $3::uuid[], $4::text[], $5::numeric[], $6::uuid[], \
         $7::timestamptz[])",
    )
    .bind(tenant.as_uuid())
    .bind(vec![portfolio.as_uuid(); entries.len()])
    .bind(txns)
    .bind(accounts)
    .bind(amounts)
    .bind(orders)
    .bind(ats)
    .execute(conn)
    .await
    .map_err(|e| parent_missing("posting to the ledger", e))?;
    Ok(())
}

pub(crate) async fn ledger(
    pool: &PgPool,
    tenant: TenantId,
    portfolio: PortfolioId,
    page: PageRequest,
) -> Result<Vec<LedgerRecord>, StoreError> {
    let (limit, offset) = limit_offset(page);
    let mut rtx = begin_tenant_tx(pool, tenant).await?;
    let rows = sqlx::query(
        "select txn_id, account, amount, order_id, created_at from ledger_entry \
         where tenant_id = $1 and portfolio_id = $2 \
         order by created_at, txn_id, account limit $3 offset $4",
    )
    .bind(tenant.as_uuid())
    .bind(portfolio.as_uuid())
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *rtx)
    .await
    .map_err(|e| map_err("reading the ledger", e))?;
    end_read(rtx).await?;
    rows.iter()
        .map(|r| {
            let parse = || -> Decode<LedgerRecord> {
                Ok(LedgerRecord {
                    txn: LedgerTxnId::from_uuid(r.try_get("txn_id")?),
                    account: r.try_get("account")?,
                    amount: r.try_get("amount")?,
                    order: r
                        .try_get::<Option<uuid::Uuid>, _>("order_id")?
                        .map(OrderId::from_uuid),
                    at: r.try_get("created_at")?,
                })
            };
            parse().map_err(|e| StoreError::other("decoding a ledger entry", e))
        })
        .collect()
}

pub(crate) async fn replace_import(
    tx: &mut dyn Tx,
    tenant: TenantId,
    symbol: &Symbol,
    bars: &[ImportedBar],
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let conn = &mut *downcast::<PgTx>(tx)?.0;
    sqlx::query("delete from market_import where tenant_id = $1 and symbol = $2")
        .bind(tenant.as_uuid())
        .bind(symbol.as_str())
        .execute(&mut *conn)
        .await
        .map_err(|e| map_err("clearing an import", e))?;
    // Bounded batches keep each statement's parameter arrays modest.
    for chunk in bars.chunks(5_000) {
        let days: Vec<time::Date> = chunk.iter().map(|b| b.day).collect();
        let col = |f: fn(&ImportedBar) -> rust_decimal::Decimal| -> Vec<rust_decimal::Decimal> {
            chunk.iter().map(f).collect()
        };
        let volumes: Vec<i64> = chunk.iter().map(|b| b.volume).collect();
        sqlx::query(
            "insert into market_import (tenant_id, symbol, day, open, high, low, close, volume, \
             imported_at) select $1, $2, d, o, h, l, c, v, $9 from unnest($3::date[], \
             $4::numeric[], $5::numeric[], $6::numeric[], $7::numeric[], $8::bigint[]) \
             as t(d, o, h, l, c, v)",
        )
        .bind(tenant.as_uuid())
        .bind(symbol.as_str())
        .bind(days)
        .bind(col(|b| b.open))
        .bind(col(|b| b.high))
        .bind(col(|b| b.low))
        .bind(col(|b| b.close))
        .bind(volumes)
        .bind(at)
        .execute(&mut *conn)
        .await
        .map_err(|e| parent_missing("importing market data", e))?;
    }
    Ok(())
}

pub(crate) async fn imported_bars(
    pool: &PgPool,
    tenant: TenantId,
    symbol: &Symbol,
) -> Result<Vec<ImportedBar>, StoreError> {
    let mut rtx = begin_tenant_tx(pool, tenant).await?;
    let rows = sqlx::query(
        "select day, open, high, low, close, volume from market_import \
         where tenant_id = $1 and symbol = $2 order by day",
    )
    .bind(tenant.as_uuid())
    .bind(symbol.as_str())
    .fetch_all(&mut *rtx)
    .await
    .map_err(|e| map_err("reading imported bars", e))?;
    end_read(rtx).await?;
    rows.iter()
        .map(|r| {
            let parse = || -> Decode<ImportedBar> {
                Ok(ImportedBar {
                    day: r.try_get("day")?,
                    open: r.try_get("open")?,
                    high: r.try_get("high")?,
                    low: r.try_get("low")?,
                    close: r.try_get("close")?,
                    volume: r.try_get("volume")?,
                })
            };
            parse().map_err(|e| StoreError::other("decoding an imported bar", e))
        })
        .collect()
}

pub(crate) async fn imports(
    pool: &PgPool,
    tenant: TenantId,
) -> Result<Vec<ImportSummary>, StoreError> {
    let mut rtx = begin_tenant_tx(pool, tenant).await?;
    let rows = sqlx::query(
        "select symbol, count(*) as bars, min(day) as first, max(day) as last \
         from market_import where tenant_id = $1 group by symbol order by symbol",
    )
    .bind(tenant.as_uuid())
    .fetch_all(&mut *rtx)
    .await
    .map_err(|e| map_err("listing imports", e))?;
    end_read(rtx).await?;
    rows.iter()
        .map(|r| {
            let parse = || -> Decode<ImportSummary> {
                Ok(ImportSummary {
                    symbol: Symbol::from_stored(r.try_get("symbol")?),
                    bars: u64::try_from(r.try_get::<i64, _>("bars")?)?,
                    first: r.try_get("first")?,
                    last: r.try_get("last")?,
                })
            };
            parse().map_err(|e| StoreError::other("decoding an import summary", e))
        })
        .collect()
}

pub(crate) async fn push_event(
    tx: &mut dyn Tx,
    tenant: TenantId,
    user: UserId,
    kind: &str,
    payload: &str,
    at: OffsetDateTime,
) -> Result<i64, StoreError> {
    let conn = &mut *downcast::<PgTx>(tx)?.0;
    // One writer per learner until commit: otherwise two of their transactions (two
    // portfolios) could commit IDs out of order, and a stream that had read the larger
    // one would never see the smaller (the sequence hands IDs out at insert, not at
    // commit). SQLite has one writer anyway.
    sqlx::query("select pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(user.to_string())
        .execute(&mut *conn)
        .await
        .map_err(|e| map_err("ordering order events", e))?;
    sqlx::query_scalar(
        "insert into sim_event (tenant_id, app_user_id, kind, payload, created_at) \
         values ($1, $2, $3, $4, $5) returning sim_event_id",
    )
    .bind(tenant.as_uuid())
    .bind(user.as_uuid())
    .bind(kind)
    .bind(payload)
    .bind(at)
    .fetch_one(conn)
    .await
    .map_err(|e| parent_missing("recording an order event", e))
}

pub(crate) async fn last_event_id(
    pool: &PgPool,
    tenant: TenantId,
    user: UserId,
) -> Result<i64, StoreError> {
    let mut rtx = begin_tenant_tx(pool, tenant).await?;
    let id: i64 = sqlx::query_scalar(
        "select coalesce(max(sim_event_id), 0) from sim_event \
         where tenant_id = $1 and app_user_id = $2",
    )
    .bind(tenant.as_uuid())
    .bind(user.as_uuid())
    .fetch_one(&mut *rtx)
    .await
    .map_err(|e| map_err("finding the latest order event", e))?;
    end_read(rtx).await?;
    Ok(id)
}

pub(crate) async fn events_after(
    pool: &PgPool,
    tenant: TenantId,
    user: UserId,
    after: i64,
    limit: u32,
) -> Result<Vec<SimEvent>, StoreError> {
    let mut rtx = begin_tenant_tx(pool, tenant).await?;
    let rows = sqlx::query(
        "select sim_event_id, kind, payload, created_at from sim_event \
         where tenant_id = $1 and app_user_id = $2 and sim_event_id > $3 \
         order by sim_event_id limit $4",
    )
    .bind(tenant.as_uuid())
    .bind(user.as_uuid())
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(&mut *rtx)
    .await
    .map_err(|e| map_err("reading order events", e))?;
    end_read(rtx).await?;
    rows.iter()
        .map(|r| {
            let parse = || -> Decode<SimEvent> {
                Ok(SimEvent {
                    id: r.try_get("sim_event_id")?,
                    kind: r.try_get("kind")?,
                    payload: r.try_get("payload")?,
                    at: r.try_get("created_at")?,
                })
            };
            parse().map_err(|e| StoreError::other("decoding an order event", e))
        })
        .collect()
}
