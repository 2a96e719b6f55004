//! The order path in as few round trips as PostgreSQL allows: the portfolio lock and
//! the book's three reads as one call of a PL/pgSQL function, and everything an order
//! writes as one statement. A placed order is then four round trips (begin, read, write,
//! commit) instead of fourteen; the order benchmark showed round trips, and then the
//! parsing and planning of the reads, to be what an order costs (docs/PERFORMANCE.md).

use super::books::{into_portfolio, into_position};
use super::orders::{bind_order, into_fill_total, into_order};
use crate::course::parent_missing;
use crate::{PgTx, map_err};
use nexus_domain::TenantId;
use nexus_domain::sim::PortfolioId;
use nexus_store::sim_codec::FillRow;
use nexus_store::{LockedBook, OrderWrite, StoreError, Tx, downcast};
use rust_decimal::Decimal;
use sqlx::postgres::PgRow;
use time::OffsetDateTime;

pub(crate) async fn lock_book(
    tx: &mut dyn Tx,
    tenant: TenantId,
    id: PortfolioId,
    since_day: i32,
) -> Result<LockedBook, StoreError> {
    let conn = &mut *downcast::<PgTx>(tx)?.0;
    // One prepared call: the function (migration 0031) takes the lock and then reads,
    // each statement with its own snapshot, and keeps its plans for the session. Its
    // rows come tagged with the part they belong to, each part in its order.
    let rows = sqlx::query("select * from sim_lock_book($1, $2, $3)")
        .bind(tenant.as_uuid())
        .bind(id.as_uuid())
        .bind(since_day)
        .fetch_all(conn)
        .await
        .map_err(|e| map_err("reading a portfolio's books", e))?;
    let mut sets: [Vec<PgRow>; 4] = Default::default();
    for row in rows {
        let part: i16 = sqlx::Row::try_get(&row, "part")
            .map_err(|e| StoreError::other("reading a portfolio's books", e))?;
        usize::try_from(part)
            .ok()
            .and_then(|i| sets.get_mut(i))
            .ok_or_else(|| StoreError::other("reading a portfolio's books", "unknown part"))?
            .push(row);
    }
    let [portfolio, positions, open, recent] = sets;
    let portfolio = portfolio
        .first()
        .map(into_portfolio)
        .transpose()?
        .ok_or(StoreError::NotFound)?;
    Ok(LockedBook {
        portfolio,
        positions: positions
            .iter()
            .map(into_position)
            .collect::<Result<_, _>>()?,
        open: open.iter().map(into_order).collect::<Result<_, _>>()?,
        recent: recent
            .iter()
            .map(into_fill_total)
            .collect::<Result<_, _>>()?,
    })
}

/// Inserts (`$24`) or updates the order; then the fills, postings, position and totals,
/// each empty or skipped when there is nothing to write; then the event. Constraint
/// checks (the client ID's uniqueness, the foreign keys) run at the end of the
/// statement, so a fill may reference the order inserted beside it.
///
/// The event takes the learner's advisory lock first (see `books::push_event` for why):
/// the lock is the insert's row source, so it is held before the sequence hands out
/// the event's ID.
const WRITE: &str = "with new_order as ( \
       insert into sim_order (tenant_id, order_id, portfolio_id, client_order_id, symbol, side, \
         order_type, limit_price, stop_price, time_in_force, qty, notional, status, reason, \
         filled_qty, filled_value, fees, triggered, queue_ahead, replaces, trading_day, \
         created_at, updated_at) \
       select $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
         $19, $20, $21, $22, $23 where $24 \
       returning 1), \
     changed_order as ( \
       update sim_order set status = $13, reason = $14, filled_qty = $15, filled_value = $16, \
         fees = $17, triggered = $18, queue_ahead = $19, qty = $11, notional = $12, \
         updated_at = $23 \
       where not $24 and tenant_id = $1 and order_id = $2 \
       returning 1), \
     fills as ( \
       insert into sim_fill (tenant_id, fill_id, order_id, portfolio_id, symbol, side, qty, \
         price, gross, fee, spread_cost, slippage, explanation, trading_day, created_at) \
       select $1, f.id, $2, $3, $5, $6, f.qty, f.price, f.gross, f.fee, f.spread, f.slip, \
         f.expl, f.day, f.at \
       from unnest($25::uuid[], $26::numeric[], $27::numeric[], $28::numeric[], \
         $29::numeric[], $30::numeric[], $31::numeric[], $32::text[], $33::int4[], \
         $34::timestamptz[]) as f(id, qty, price, gross, fee, spread, slip, expl, day, at)), \
     postings as ( \
       insert into ledger_entry (tenant_id, portfolio_id, txn_id, account, amount, order_id, \
         created_at) \
       select $1, $3, l.txn, l.account, l.amount, l.order_id, l.at \
       from unnest($35::uuid[], $36::text[], $37::numeric[], $38::uuid[], \
         $39::timestamptz[]) as l(txn, account, amount, order_id, at)), \
     gone as ( \
       delete from position where $40 and $42 = 0 \
         and tenant_id = $1 and portfolio_id = $3 and symbol = $41), \
     held as ( \
       insert into position (tenant_id, portfolio_id, symbol, qty, cost_basis, updated_at) \
       select $1, $3, $41, $42, $43, $44 where $40 and $42 <> 0 \
       on conflict (tenant_id, portfolio_id, symbol) do update set qty = excluded.qty, \
         cost_basis = excluded.cost_basis, updated_at = excluded.updated_at), \
     totals as ( \
       update portfolio set cash = $46, realized_pnl = $47, fees_paid = $48, updated_at = $49 \
       where $45 and tenant_id = $1 and portfolio_id = $3 \
       returning 1), \
     event as ( \
       insert into sim_event (tenant_id, app_user_id, kind, payload, created_at) \
       select $1, $50, 'order', $51, $52 \
       from (select pg_advisory_xact_lock(hashtextextended($50::text, 0))) as learner \
       returning 1) \
     select (select count(*) from new_order) + (select count(*) from changed_order) as orders, \
       (select count(*) from totals) as totals, (select count(*) from event) as events";

pub(crate) async fn write_order(
    tx: &mut dyn Tx,
    tenant: TenantId,
    w: &OrderWrite<'_>,
) -> Result<(), StoreError> {
    let conn = &mut *downcast::<PgTx>(tx)?.0;
    let fills: Vec<FillRow> = w.fills.iter().map(FillRow::from_record).collect();
    let column = |f: fn(&FillRow) -> Decimal| fills.iter().map(f).collect::<Vec<_>>();
    let position = w.position;
    let totals = w.totals;
    let row = bind_order(sqlx::query(WRITE), tenant, w.order)
        .bind(w.new)
        .bind(fills.iter().map(|f| f.id.as_uuid()).collect::<Vec<_>>())
        .bind(column(|f| f.qty))
        .bind(column(|f| f.price))
        .bind(column(|f| f.gross))
        .bind(column(|f| f.fee))
        .bind(column(|f| f.spread_cost))
        .bind(column(|f| f.slippage))
        .bind(
            fills
                .iter()
                .map(|f| f.explanation.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(fills.iter().map(|f| f.trading_day).collect::<Vec<_>>())
        .bind(fills.iter().map(|f| f.created_at).collect::<Vec<_>>())
        .bind(w.ledger.iter().map(|e| e.txn.as_uuid()).collect::<Vec<_>>())
        .bind(
            w.ledger
                .iter()
                .map(|e| e.account.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(w.ledger.iter().map(|e| e.amount).collect::<Vec<_>>())
        .bind(
            w.ledger
                .iter()
                .map(|e| e.order.map(|o| o.as_uuid()))
                .collect::<Vec<_>>(),
        )
        .bind(w.ledger.iter().map(|e| e.at).collect::<Vec<_>>())
        .bind(position.is_some())
        .bind(position.map(|p| p.symbol.as_str()))
        .bind(position.map_or(Decimal::ZERO, |p| p.qty))
        .bind(position.map_or(Decimal::ZERO, |p| p.cost_basis))
        .bind(position.map(|p| p.updated_at))
        .bind(totals.is_some())
        .bind(totals.map(|t| t.cash))
        .bind(totals.map(|t| t.realized_pnl))
        .bind(totals.map(|t| t.fees_paid))
        .bind(totals.map(|t| t.updated_at))
        .bind(w.user.as_uuid())
        .bind(w.event)
        .bind(w.at)
        .fetch_one(conn)
        .await
        .map_err(|e| parent_missing("writing an order", e))?;
    let count = |name: &str| -> Result<i64, StoreError> {
        sqlx::Row::try_get::<i64, _>(&row, name)
            .map_err(|e| StoreError::other("writing an order", e))
    };
    // Nothing matched: the order (on update) or the portfolio is gone.
    if count("orders")? != 1 || count("totals")? != i64::from(totals.is_some()) {
        return Err(StoreError::NotFound);
    }
    debug_assert_eq!(count("events").ok(), Some(1));
    Ok(())
}

/// Reads a `timestamptz` column in either wire format. The batch in [`lock_book`]
/// comes back in text, which sqlx 0.9 cannot parse for `timestamptz` (it rejects the
/// `+00` PostgreSQL prints for UTC), so text is parsed here; binary goes to sqlx.
pub(crate) fn at(row: &PgRow, column: &str) -> Result<OffsetDateTime, sqlx::Error> {
    use sqlx::{Row, ValueRef};
    let raw = row.try_get_raw(column)?;
    if raw.is_null() || raw.format() == sqlx::postgres::PgValueFormat::Binary {
        return row.try_get(column);
    }
    let text = raw.as_str().map_err(|e| decode(column, e))?;
    let format = time::macros::format_description!(
        version = 2,
        "[year]-[month]-[day] [hour]:[minute]:[second][optional [.[subsecond]]][offset_hour sign:mandatory][optional [:[offset_minute]]]"
    );
    OffsetDateTime::parse(text, &format).map_err(|e| decode(column, e.into()))
}

fn decode(column: &str, e: sqlx::error::BoxDynError) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: e,
    }
}
