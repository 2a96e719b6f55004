//! SQLite simulator store: settings, portfolios, positions, the ledger, imports and
//! the event stream. Orders, fills and competitions are in `orders`. Every statement
//! filters by `tenant_id`: on this backend that filter is the whole of tenant isolation.
//! Money is decimal text (SQLite has no exact numeric type), parsed into `Decimal`.

use crate::course::parent_missing;
use crate::{SqliteTx, map_err};
use nexus_domain::paging::PageRequest;
use nexus_domain::sim::{
    CompetitionId, ImportedBar, LedgerRecord, LedgerTxnId, OrderId, PortfolioId, PortfolioRecord,
    PositionRecord, SimEvent, SimSettings, Symbol,
};
use nexus_domain::{TenantId, UserId};
use nexus_store::sim_codec::{decimal, settings_from, settings_row};
use nexus_store::{ImportSummary, StoreError, Tx, downcast};
use rust_decimal::Decimal;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection, SqlitePool};
use time::OffsetDateTime;

pub(crate) type Decode<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

const PORTFOLIO_COLUMNS: &str = "portfolio_id, app_user_id, competition_id, cash, \
     starting_cash, realized_pnl, fees_paid, created_at, updated_at";
pub(crate) const PORTFOLIO: &str = "select portfolio_id, app_user_id, competition_id, cash, \
     starting_cash, realized_pnl, fees_paid, created_at, updated_at from portfolio";

pub(crate) fn into_portfolio(row: &SqliteRow) -> Result<PortfolioRecord, StoreError> {
    let parse = || -> Decode<PortfolioRecord> {
        Ok(PortfolioRecord {
            id: PortfolioId::from_uuid(row.try_get("portfolio_id")?),
            user: UserId::from_uuid(row.try_get("app_user_id")?),
            competition: row
                .try_get::<Option<uuid::Uuid>, _>("competition_id")?
                .map(CompetitionId::from_uuid),
            cash: dec(row, "cash")?,
            starting_cash: dec(row, "starting_cash")?,
            realized_pnl: dec(row, "realized_pnl")?,
            fees_paid: dec(row, "fees_paid")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    };
    parse().map_err(|e| StoreError::other("decoding a portfolio", e))
}

fn into_position(row: &SqliteRow) -> Result<PositionRecord, StoreError> {
    let parse = || -> Decode<PositionRecord> {
        Ok(PositionRecord {
            symbol: Symbol::from_stored(row.try_get("symbol")?),
            qty: dec(row, "qty")?,
            cost_basis: dec(row, "cost_basis")?,
            updated_at: row.try_get("updated_at")?,
        })
    };
    parse().map_err(|e| StoreError::other("decoding a position", e))
}

/// A timestamp as stored: UTC, RFC 3339 with all nine fractional digits. The fixed
/// width makes text order time order, which `order by created_at` and the competition
/// window check rely on; sqlx's own encoding trims trailing zeros and keeps the offset,
/// so it would sort `12:00:00Z` after `12:00:00.5Z`. Reads parse it as RFC 3339.
pub(crate) fn ts(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond()
    )
}

/// A pooled connection for a read (SQLite has no row-level security to scope).
pub(crate) async fn read_conn(
    pool: &SqlitePool,
) -> Result<sqlx::pool::PoolConnection<sqlx::Sqlite>, StoreError> {
    pool.acquire()
        .await
        .map_err(|e| map_err("connecting for a read", e))
}

/// A decimal column: SQLite keeps money as text, since it has no exact numeric type.
pub(crate) fn dec(row: &SqliteRow, column: &str) -> Decode<Decimal> {
    Ok(decimal(&row.try_get::<String, _>(column)?)?)
}

/// A date computed by an aggregate, which SQLite hands back as plain text.
fn date(raw: &str) -> Decode<time::Date> {
    Ok(time::Date::parse(
        raw,
        time::macros::format_description!("[year]-[month]-[day]"),
    )?)
}

/// A nullable decimal column.
pub(crate) fn opt_dec(row: &SqliteRow, column: &str) -> Decode<Option<Decimal>> {
    Ok(row
        .try_get::<Option<String>, _>(column)?
        .map(|s| decimal(&s))
        .transpose()?)
}

pub(crate) fn limit_offset(page: PageRequest) -> (i64, i64) {
    (
        i64::from(page.limit()),
        i64::try_from(page.offset()).unwrap_or(i64::MAX),
    )
}

pub(crate) async fn settings(
    pool: &SqlitePool,
    tenant: TenantId,
) -> Result<Option<SimSettings>, StoreError> {
    let mut rtx = read_conn(pool).await?;
    let row = sqlx::query(
        "select starting_cash, realism, allow_short, margin, pattern_day_trader, \
         allow_extended_hours from sim_settings where tenant_id = ?1",
    )
    .bind(tenant.as_uuid())
    .fetch_optional(&mut *rtx)
    .await
    .map_err(|e| map_err("reading simulator settings", e))?;
    let Some(row) = row else { return Ok(None) };
    let cols = || -> Decode<_> {
        Ok((
            dec(&row, "starting_cash")?,
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
    let conn = &mut *downcast::<SqliteTx>(tx)?.0;
    let (cash, realism, short, margin, pdt, ext) = settings_row(s);
    sqlx::query(
        "insert into sim_settings (tenant_id, starting_cash, realism, allow_short, margin, \
         pattern_day_trader, allow_extended_hours, updated_at) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
         on conflict (tenant_id) do update set starting_cash = excluded.starting_cash, \
         realism = excluded.realism, allow_short = excluded.allow_short, margin = excluded.margin, \
         pattern_day_trader = excluded.pattern_day_trader, \
         allow_extended_hours = excluded.allow_extended_hours, updated_at = excluded.updated_at",
    )
    .bind(tenant.as_uuid())
    .bind(cash.to_string())
    .bind(realism)
    .bind(short)
    .bind(margin)
    .bind(pdt)
    .bind(ext)
    .bind(ts(at))
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
    let conn = &mut *downcast::<SqliteTx>(tx)?.0;
    sqlx::query(
        "insert into portfolio (tenant_id, portfolio_id, app_user_id, competition_id, cash, \
         starting_cash, realized_pnl, fees_paid, created_at, updated_at) \
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .bind(tenant.as_uuid())
    .bind(p.id.as_uuid())
    .bind(p.user.as_uuid())
    .bind(p.competition.map(|c| c.as_uuid()))
    .bind(p.cash.to_string())
    .bind(p.starting_cash.to_string())
    .bind(p.realized_pnl.to_string())
    .bind(p.fees_paid.to_string())
    .bind(ts(p.created_at))
    .bind(ts(p.updated_at))
    .execute(conn)
    .await
    .map_err(|e| parent_missing("opening a portfolio", e))?;
    Ok(())
}

pub(crate) async fn portfolio(
    pool: &SqlitePool,
    tenant: TenantId,
    id: PortfolioId,
) -> Result<PortfolioRecord, StoreError> {
    let mut rtx = read_conn(pool).await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{PORTFOLIO} where tenant_id = ?1 and portfolio_id = ?2"
    )))
    .bind(tenant.as_uuid())
    .bind(id.as_uuid())
    .fetch_optional(&mut *rtx)
    .await
    .map_err(|e| map_err("reading a portfolio", e))?;
    row.as_ref()
        .map(into_portfolio)
        .transpose()?
        .ok_or(StoreError::NotFound)
}

pub(crate) async fn find_portfolio(
    pool: &SqlitePool,
    tenant: TenantId,
    user: UserId,
    competition: Option<CompetitionId>,
) -> Result<Option<PortfolioRecord>, StoreError> {
    let mut rtx = read_conn(pool).await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{PORTFOLIO} where tenant_id = ?1 and app_user_id = ?2 \
         and competition_id is ?3"
    )))
    .bind(tenant.as_uuid())
    .bind(user.as_uuid())
    .bind(competition.map(|c| c.as_uuid()))
    .fetch_optional(&mut *rtx)
    .await
    .map_err(|e| map_err("finding a portfolio", e))?;
    row.as_ref().map(into_portfolio).transpose()
}

pub(crate) async fn portfolios_of(
    pool: &SqlitePool,
    tenant: TenantId,
    user: UserId,
) -> Result<Vec<PortfolioRecord>, StoreError> {
    let mut rtx = read_conn(pool).await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{PORTFOLIO} where tenant_id = ?1 and app_user_id = ?2 order by created_at, portfolio_id"
    )))
    .bind(tenant.as_uuid())
    .bind(user.as_uuid())
    .fetch_all(&mut *rtx)
    .await
    .map_err(|e| map_err("listing portfolios", e))?;
    rows.iter().map(into_portfolio).collect()
}

pub(crate) async fn lock_portfolio(
    tx: &mut dyn Tx,
    tenant: TenantId,
    id: PortfolioId,
) -> Result<PortfolioRecord, StoreError> {
    let conn = &mut *downcast::<SqliteTx>(tx)?.0;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "update portfolio set updated_at = updated_at where tenant_id = ?1 and portfolio_id = ?2 \
         returning {PORTFOLIO_COLUMNS}"
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
    let conn = &mut *downcast::<SqliteTx>(tx)?.0;
    let done = sqlx::query(
        "update portfolio set cash = ?3, realized_pnl = ?4, fees_paid = ?5, updated_at = ?6 \
         where tenant_id = ?1 and portfolio_id = ?2",
    )
    .bind(tenant.as_uuid())
    .bind(p.id.as_uuid())
    .bind(p.cash.to_string())
    .bind(p.realized_pnl.to_string())
    .bind(p.fees_paid.to_string())
    .bind(ts(p.updated_at))
    .execute(conn)
    .await
    .map_err(|e| map_err("saving portfolio totals", e))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

async fn positions_on(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    portfolio: PortfolioId,
) -> Result<Vec<PositionRecord>, StoreError> {
    let rows = sqlx::query(
        "select symbol, qty, cost_basis, updated_at from position \
         where tenant_id = ?1 and portfolio_id = ?2 order by symbol",
    )
    .bind(tenant.as_uuid())
    .bind(portfolio.as_uuid())
    .fetch_all(conn)
    .await
    .map_err(|e| map_err("reading positions", e))?;
    rows.iter().map(into_position).collect()
}

pub(crate) async fn positions(
    pool: &SqlitePool,
    tenant: TenantId,
    portfolio: PortfolioId,
) -> Result<Vec<PositionRecord>, StoreError> {
    let mut rtx = read_conn(pool).await?;
    positions_on(&mut rtx, tenant, portfolio).await
}

pub(crate) async fn positions_in(
    tx: &mut dyn Tx,
    tenant: TenantId,
    portfolio: PortfolioId,
) -> Result<Vec<PositionRecord>, StoreError> {
    positions_on(&mut downcast::<SqliteTx>(tx)?.0, tenant, portfolio).await
}

pub(crate) async fn put_position(
    tx: &mut dyn Tx,
    tenant: TenantId,
    portfolio: PortfolioId,
    p: &PositionRecord,
) -> Result<(), StoreError> {
    let conn = &mut *downcast::<SqliteTx>(tx)?.0;
    let query = if p.qty.is_zero() {
        sqlx::query(
            "delete from position where tenant_id = ?1 and portfolio_id = ?2 and symbol = ?3",
        )
        .bind(tenant.as_uuid())
        .bind(portfolio.as_uuid())
        .bind(p.symbol.as_str())
    } else {
        sqlx::query(
            "insert into position (tenant_id, portfolio_id, symbol, qty, cost_basis, updated_at) \
             values (?1, ?2, ?3, ?4, ?5, ?6) on conflict (tenant_id, portfolio_id, symbol) \
             do update set qty = excluded.qty, cost_basis = excluded.cost_basis, \
             updated_at = excluded.updated_at",
        )
        .bind(tenant.as_uuid())
        .bind(portfolio.as_uuid())
        .bind(p.symbol.as_str())
        .bind(p.qty.to_string())
        .bind(p.cost_basis.to_string())
        .bind(ts(p.updated_at))
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
    let conn = &mut *downcast::<SqliteTx>(tx)?.0;
    // Row by row inside the caller's transaction: the set commits together or not.
    for e in entries {
        sqlx::query(
            "insert into ledger_entry (tenant_id, portfolio_id, txn_id, account, amount, \
             order_id, created_at) values (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .bind(tenant.as_uuid())
        .bind(portfolio.as_uuid())
        .bind(e.txn.as_uuid())
        .bind(e.account.as_str())
        .bind(e.amount.to_string())
        .bind(e.order.map(|o| o.as_uuid()))
        .bind(ts(e.at))
        .execute(&mut *conn)
        .await
        .map_err(|e| parent_missing("posting to the ledger", e))?;
    }
    Ok(())
}

pub(crate) async fn ledger(
    pool: &SqlitePool,
    tenant: TenantId,
    portfolio: PortfolioId,
    page: PageRequest,
) -> Result<Vec<LedgerRecord>, StoreError> {
    let (limit, offset) = limit_offset(page);
    let mut rtx = read_conn(pool).await?;
    let rows = sqlx::query(
        "select txn_id, account, amount, order_id, created_at from ledger_entry \
         where tenant_id = ?1 and portfolio_id = ?2 \
         order by created_at, txn_id, account limit ?3 offset ?4",
    )
    .bind(tenant.as_uuid())
    .bind(portfolio.as_uuid())
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *rtx)
    .await
    .map_err(|e| map_err("reading the ledger", e))?;
    rows.iter()
        .map(|r| {
            let parse = || -> Decode<LedgerRecord> {
                Ok(LedgerRecord {
                    txn: LedgerTxnId::from_uuid(r.try_get("txn_id")?),
                    account: r.try_get("account")?,
                    amount: dec(r, "amount")?,
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
    let conn = &mut *downcast::<SqliteTx>(tx)?.0;
    sqlx::query("delete from market_import where tenant_id = ?1 and symbol = ?2")
        .bind(tenant.as_uuid())
        .bind(symbol.as_str())
        .execute(&mut *conn)
        .await
        .map_err(|e| map_err("clearing an import", e))?;
    for b in bars {
        sqlx::query(
            "insert into market_import (tenant_id, symbol, day, open, high, low, close, volume, \
             imported_at) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .bind(tenant.as_uuid())
        .bind(symbol.as_str())
        .bind(b.day)
        .bind(b.open.to_string())
        .bind(b.high.to_string())
        .bind(b.low.to_string())
        .bind(b.close.to_string())
        .bind(b.volume)
        .bind(ts(at))
        .execute(&mut *conn)
        .await
        .map_err(|e| parent_missing("importing market data", e))?;
    }
    Ok(())
}

pub(crate) async fn imported_bars(
    pool: &SqlitePool,
    tenant: TenantId,
    symbol: &Symbol,
) -> Result<Vec<ImportedBar>, StoreError> {
    let mut rtx = read_conn(pool).await?;
    let rows = sqlx::query(
        "select day, open, high, low, close, volume from market_import \
         where tenant_id = ?1 and symbol = ?2 order by day",
    )
    .bind(tenant.as_uuid())
    .bind(symbol.as_str())
    .fetch_all(&mut *rtx)
    .await
    .map_err(|e| map_err("reading imported bars", e))?;
    rows.iter()
        .map(|r| {
            let parse = || -> Decode<ImportedBar> {
                Ok(ImportedBar {
                    day: r.try_get("day")?,
                    open: dec(r, "open")?,
                    high: dec(r, "high")?,
                    low: dec(r, "low")?,
                    close: dec(r, "close")?,
                    volume: r.try_get("volume")?,
                })
            };
            parse().map_err(|e| StoreError::other("decoding an imported bar", e))
        })
        .collect()
}

pub(crate) async fn imports(
    pool: &SqlitePool,
    tenant: TenantId,
) -> Result<Vec<ImportSummary>, StoreError> {
    let mut rtx = read_conn(pool).await?;
    let rows = sqlx::query(
        "select symbol, count(*) as bars, min(day) as first, max(day) as last \
         from market_import where tenant_id = ?1 group by symbol order by symbol",
    )
    .bind(tenant.as_uuid())
    .fetch_all(&mut *rtx)
    .await
    .map_err(|e| map_err("listing imports", e))?;
    rows.iter()
        .map(|r| {
            let parse = || -> Decode<ImportSummary> {
                Ok(ImportSummary {
                    symbol: Symbol::from_stored(r.try_get("symbol")?),
                    bars: u64::try_from(r.try_get::<i64, _>("bars")?)?,
                    first: date(&r.try_get::<String, _>("first")?)?,
                    last: date(&r.try_get::<String, _>("last")?)?,
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
    let conn = &mut *downcast::<SqliteTx>(tx)?.0;
    sqlx::query_scalar(
        "insert into sim_event (tenant_id, app_user_id, kind, payload, created_at) \
         values (?1, ?2, ?3, ?4, ?5) returning sim_event_id",
    )
    .bind(tenant.as_uuid())
    .bind(user.as_uuid())
    .bind(kind)
    .bind(payload)
    .bind(ts(at))
    .fetch_one(conn)
    .await
    .map_err(|e| parent_missing("recording an order event", e))
}

pub(crate) async fn last_event_id(
    pool: &SqlitePool,
    tenant: TenantId,
    user: UserId,
) -> Result<i64, StoreError> {
    sqlx::query_scalar(
        "select coalesce(max(sim_event_id), 0) from sim_event \
         where tenant_id = ?1 and app_user_id = ?2",
    )
    .bind(tenant.as_uuid())
    .bind(user.as_uuid())
    .fetch_one(pool)
    .await
    .map_err(|e| map_err("finding the latest order event", e))
}

pub(crate) async fn events_after(
    pool: &SqlitePool,
    tenant: TenantId,
    user: UserId,
    after: i64,
    limit: u32,
) -> Result<Vec<SimEvent>, StoreError> {
    let mut rtx = read_conn(pool).await?;
    let rows = sqlx::query(
        "select sim_event_id, kind, payload, created_at from sim_event \
         where tenant_id = ?1 and app_user_id = ?2 and sim_event_id > ?3 \
         order by sim_event_id limit ?4",
    )
    .bind(tenant.as_uuid())
    .bind(user.as_uuid())
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(&mut *rtx)
    .await
    .map_err(|e| map_err("reading order events", e))?;
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
