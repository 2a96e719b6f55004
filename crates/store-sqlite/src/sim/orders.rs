//! SQLite orders, fills and competitions.

use super::books::{Decode, dec, into_portfolio, limit_offset, opt_dec, read_conn, ts};
use crate::course::parent_missing;
use crate::{SqliteTx, map_err};
use nexus_domain::TenantId;
use nexus_domain::learning::enrolment::CohortId;
use nexus_domain::paging::PageRequest;
use nexus_domain::sim::{
    ClientOrderId, Competition, CompetitionId, FillId, FillRecord, Metric, OrderId, OrderRecord,
    PortfolioId, Symbol,
};
use nexus_store::sim_codec::{FillRow, OrderRow, symbols_from, symbols_text};
use nexus_store::{Entrant, FillTotal, OrderStatusFilter, StoreError, TickFilter, Tx, downcast};
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Row, SqliteConnection, SqlitePool};

const ORDER: &str = "select order_id, portfolio_id, client_order_id, symbol, side, order_type, \
     limit_price, stop_price, time_in_force, qty, notional, status, reason, filled_qty, \
     filled_value, fees, triggered, queue_ahead, replaces, trading_day, created_at, updated_at \
     from sim_order";
const OPEN: &str = "status in ('new', 'accepted', 'partially_filled')";
const FILL: &str = "select fill_id, order_id, portfolio_id, symbol, side, qty, price, gross, fee, \
     spread_cost, slippage, explanation, trading_day, created_at from sim_fill";
const COMPETITION: &str = "select competition_id, cohort_id, name, starts_at, ends_at, \
     starting_cash, allowed_symbols, metric, created_at from competition";

fn into_order(row: &SqliteRow) -> Result<OrderRecord, StoreError> {
    let parse = || -> Decode<OrderRow> {
        Ok(OrderRow {
            id: OrderId::from_uuid(row.try_get("order_id")?),
            portfolio: PortfolioId::from_uuid(row.try_get("portfolio_id")?),
            client_order_id: row.try_get("client_order_id")?,
            symbol: row.try_get("symbol")?,
            side: row.try_get("side")?,
            order_type: row.try_get("order_type")?,
            limit_price: opt_dec(row, "limit_price")?,
            stop_price: opt_dec(row, "stop_price")?,
            time_in_force: row.try_get("time_in_force")?,
            qty: dec(row, "qty")?,
            notional: opt_dec(row, "notional")?,
            status: row.try_get("status")?,
            reason: row.try_get("reason")?,
            filled_qty: dec(row, "filled_qty")?,
            filled_value: dec(row, "filled_value")?,
            fees: dec(row, "fees")?,
            triggered: row.try_get("triggered")?,
            queue_ahead: opt_dec(row, "queue_ahead")?,
            replaces: row
                .try_get::<Option<uuid::Uuid>, _>("replaces")?
                .map(OrderId::from_uuid),
            trading_day: row.try_get("trading_day")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    };
    parse()
        .map_err(|e| StoreError::other("decoding an order", e))?
        .into_record()
}

fn into_fill(row: &SqliteRow) -> Result<FillRecord, StoreError> {
    let parse = || -> Decode<FillRow> {
        Ok(FillRow {
            id: FillId::from_uuid(row.try_get("fill_id")?),
            order: OrderId::from_uuid(row.try_get("order_id")?),
            portfolio: PortfolioId::from_uuid(row.try_get("portfolio_id")?),
            symbol: row.try_get("symbol")?,
            side: row.try_get("side")?,
            qty: dec(row, "qty")?,
            price: dec(row, "price")?,
            gross: dec(row, "gross")?,
            fee: dec(row, "fee")?,
            spread_cost: dec(row, "spread_cost")?,
            slippage: dec(row, "slippage")?,
            explanation: row.try_get("explanation")?,
            trading_day: row.try_get("trading_day")?,
            created_at: row.try_get("created_at")?,
        })
    };
    parse()
        .map_err(|e| StoreError::other("decoding a fill", e))?
        .into_record()
}

fn into_competition(row: &SqliteRow) -> Result<Competition, StoreError> {
    let parse = || -> Decode<Competition> {
        let metric: String = row.try_get("metric")?;
        let symbols: String = row.try_get("allowed_symbols")?;
        Ok(Competition {
            id: CompetitionId::from_uuid(row.try_get("competition_id")?),
            cohort: CohortId::from_uuid(row.try_get("cohort_id")?),
            name: row.try_get("name")?,
            starts_at: row.try_get("starts_at")?,
            ends_at: row.try_get("ends_at")?,
            starting_cash: dec(row, "starting_cash")?,
            allowed_symbols: symbols_from(&symbols),
            metric: Metric::parse(&metric).map_err(|_| "unknown metric")?,
            created_at: row.try_get("created_at")?,
        })
    };
    parse().map_err(|e| StoreError::other("decoding a competition", e))
}

pub(crate) async fn insert_order(
    tx: &mut dyn Tx,
    tenant: TenantId,
    o: &OrderRecord,
) -> Result<(), StoreError> {
    let conn = &mut *downcast::<SqliteTx>(tx)?.0;
    let r = OrderRow::from_record(o);
    sqlx::query(
        "insert into sim_order (tenant_id, order_id, portfolio_id, client_order_id, symbol, side, \
         order_type, limit_price, stop_price, time_in_force, qty, notional, status, reason, \
         filled_qty, filled_value, fees, triggered, queue_ahead, replaces, trading_day, \
         created_at, updated_at) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, \
         ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
    )
    .bind(tenant.as_uuid())
    .bind(r.id.as_uuid())
    .bind(r.portfolio.as_uuid())
    .bind(r.client_order_id)
    .bind(r.symbol)
    .bind(r.side)
    .bind(r.order_type)
    .bind(r.limit_price.map(|d| d.to_string()))
    .bind(r.stop_price.map(|d| d.to_string()))
    .bind(r.time_in_force)
    .bind(r.qty.to_string())
    .bind(r.notional.map(|d| d.to_string()))
    .bind(r.status)
    .bind(r.reason)
    .bind(r.filled_qty.to_string())
    .bind(r.filled_value.to_string())
    .bind(r.fees.to_string())
    .bind(r.triggered)
    .bind(r.queue_ahead.map(|d| d.to_string()))
    .bind(r.replaces.map(|o| o.as_uuid()))
    .bind(r.trading_day)
    .bind(ts(r.created_at))
    .bind(ts(r.updated_at))
    .execute(conn)
    .await
    .map_err(|e| parent_missing("placing an order", e))?;
    Ok(())
}

pub(crate) async fn update_order(
    tx: &mut dyn Tx,
    tenant: TenantId,
    o: &OrderRecord,
) -> Result<(), StoreError> {
    let conn = &mut *downcast::<SqliteTx>(tx)?.0;
    let r = OrderRow::from_record(o);
    // The spec can change too: cancel-and-replace keeps no in-place edits, but a
    // notional order is re-sized to its quantity once it fills.
    let done = sqlx::query(
        "update sim_order set status = ?3, reason = ?4, filled_qty = ?5, filled_value = ?6, \
         fees = ?7, triggered = ?8, queue_ahead = ?9, qty = ?10, notional = ?11, \
         updated_at = ?12 where tenant_id = ?1 and order_id = ?2",
    )
    .bind(tenant.as_uuid())
    .bind(r.id.as_uuid())
    .bind(r.status)
    .bind(r.reason)
    .bind(r.filled_qty.to_string())
    .bind(r.filled_value.to_string())
    .bind(r.fees.to_string())
    .bind(r.triggered)
    .bind(r.queue_ahead.map(|d| d.to_string()))
    .bind(r.qty.to_string())
    .bind(r.notional.map(|d| d.to_string()))
    .bind(ts(r.updated_at))
    .execute(conn)
    .await
    .map_err(|e| map_err("saving an order", e))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

async fn order_on(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    id: OrderId,
) -> Result<OrderRecord, StoreError> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "{ORDER} where tenant_id = ?1 and order_id = ?2"
    )))
    .bind(tenant.as_uuid())
    .bind(id.as_uuid())
    .fetch_optional(conn)
    .await
    .map_err(|e| map_err("reading an order", e))?;
    row.as_ref()
        .map(into_order)
        .transpose()?
        .ok_or(StoreError::NotFound)
}

pub(crate) async fn order(
    pool: &SqlitePool,
    tenant: TenantId,
    id: OrderId,
) -> Result<OrderRecord, StoreError> {
    let mut rtx = read_conn(pool).await?;
    order_on(&mut rtx, tenant, id).await
}

pub(crate) async fn order_in(
    tx: &mut dyn Tx,
    tenant: TenantId,
    id: OrderId,
) -> Result<OrderRecord, StoreError> {
    order_on(&mut downcast::<SqliteTx>(tx)?.0, tenant, id).await
}

pub(crate) async fn order_by_client_id(
    pool: &SqlitePool,
    tenant: TenantId,
    portfolio: PortfolioId,
    client: &ClientOrderId,
) -> Result<Option<OrderRecord>, StoreError> {
    let mut rtx = read_conn(pool).await?;
    let row = sqlx::query(AssertSqlSafe(format!(
        "{ORDER} where tenant_id = ?1 and portfolio_id = ?2 and client_order_id = ?3"
    )))
    .bind(tenant.as_uuid())
    .bind(portfolio.as_uuid())
    .bind(client.as_str())
    .fetch_optional(&mut *rtx)
    .await
    .map_err(|e| map_err("finding an order by client ID", e))?;
    row.as_ref().map(into_order).transpose()
}

pub(crate) async fn orders(
    pool: &SqlitePool,
    tenant: TenantId,
    portfolio: PortfolioId,
    status: OrderStatusFilter,
    symbol: Option<&Symbol>,
    page: PageRequest,
) -> Result<Vec<OrderRecord>, StoreError> {
    let filter = match status {
        OrderStatusFilter::All => "true".to_owned(),
        OrderStatusFilter::Open => OPEN.to_owned(),
        OrderStatusFilter::Closed => format!("not ({OPEN})"),
    };
    let (limit, offset) = limit_offset(page);
    let mut rtx = read_conn(pool).await?;
    let rows = sqlx::query(AssertSqlSafe(format!(
        "{ORDER} where tenant_id = ?1 and portfolio_id = ?2 and {filter} \
         and (?3 is null or symbol = ?3) \
         order by created_at desc, order_id desc limit ?4 offset ?5"
    )))
    .bind(tenant.as_uuid())
    .bind(portfolio.as_uuid())
    .bind(symbol.map(Symbol::as_str))
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *rtx)
    .await
    .map_err(|e| map_err("listing orders", e))?;
    rows.iter().map(into_order).collect()
}

pub(crate) async fn open_orders_in(
    tx: &mut dyn Tx,
    tenant: TenantId,
    portfolio: PortfolioId,
) -> Result<Vec<OrderRecord>, StoreError> {
    let conn = &mut *downcast::<SqliteTx>(tx)?.0;
    let rows = sqlx::query(AssertSqlSafe(format!(
        "{ORDER} where tenant_id = ?1 and portfolio_id = ?2 and {OPEN} \
         order by created_at, order_id"
    )))
    .bind(tenant.as_uuid())
    .bind(portfolio.as_uuid())
    .fetch_all(conn)
    .await
    .map_err(|e| map_err("listing open orders", e))?;
    rows.iter().map(into_order).collect()
}

pub(crate) async fn tick_candidates(
    pool: &SqlitePool,
    tenant: TenantId,
    filter: &TickFilter,
) -> Result<Vec<OrderRecord>, StoreError> {
    // SQLite keeps prices as decimal text, so the comparison is on floats: the range is
    // widened by a relative 1e-9 plus a 1e-6 so rounding can only add candidates (which
    // the engine then checks exactly), never drop one.
    let ranges: Vec<serde_json::Value> = filter
        .ranges
        .iter()
        .map(|(s, low, high)| {
            let low = f64_of(*low);
            let high = f64_of(*high);
            serde_json::json!({
                "symbol": s.as_str(),
                "low": low - low.abs() * 1e-9 - 1e-6,
                "high": high + high.abs() * 1e-9 + 1e-6,
            })
        })
        .collect();
    let mut rtx = read_conn(pool).await?;
    // The ranges are unpacked once into a materialized table: testing each order against
    // `json_each` directly re-parsed the JSON for every order and symbol, a second of CPU
    // per tick at 10,000 resting orders (seen in the load benchmark).
    let rows = sqlx::query(AssertSqlSafe(format!(
        "with r (sym, lo, hi) as materialized ( \
           select json_extract(value, '$.symbol'), json_extract(value, '$.low'), \
             json_extract(value, '$.high') from json_each(?4)) \
         {ORDER} as o where tenant_id = ?1 and {OPEN} and ( \
           order_type = 'market' or triggered or created_at > ?2 \
           or (time_in_force = 'day' and trading_day <= ?3) \
           or exists (select 1 from r where r.sym = o.symbol and ( \
                        (o.side = 'buy' and o.limit_price is not null and o.stop_price is null \
                         and cast(o.limit_price as real) >= r.lo) \
                        or (o.side = 'sell' and o.limit_price is not null \
                         and o.stop_price is null and cast(o.limit_price as real) <= r.hi) \
                        or (o.side = 'buy' and cast(o.stop_price as real) <= r.hi) \
                        or (o.side = 'sell' and cast(o.stop_price as real) >= r.lo)))) \
         order by created_at, order_id"
    )))
    .bind(tenant.as_uuid())
    .bind(super::books::ts(filter.placed_after))
    .bind(filter.due_day)
    .bind(serde_json::Value::Array(ranges).to_string())
    .fetch_all(&mut *rtx)
    .await
    .map_err(|e| map_err("listing the tick's candidate orders", e))?;
    rows.iter().map(into_order).collect()
}

/// A price as the float SQLite compares text prices with.
fn f64_of(d: rust_decimal::Decimal) -> f64 {
    d.to_string().parse().unwrap_or(0.0)
}

pub(crate) async fn insert_fill(
    tx: &mut dyn Tx,
    tenant: TenantId,
    f: &FillRecord,
) -> Result<(), StoreError> {
    let conn = &mut *downcast::<SqliteTx>(tx)?.0;
    let r = FillRow::from_record(f);
    sqlx::query(
        "insert into sim_fill (tenant_id, fill_id, order_id, portfolio_id, symbol, side, qty, \
         price, gross, fee, spread_cost, slippage, explanation, trading_day, created_at) \
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )
    .bind(tenant.as_uuid())
    .bind(r.id.as_uuid())
    .bind(r.order.as_uuid())
    .bind(r.portfolio.as_uuid())
    .bind(r.symbol)
    .bind(r.side)
    .bind(r.qty.to_string())
    .bind(r.price.to_string())
    .bind(r.gross.to_string())
    .bind(r.fee.to_string())
    .bind(r.spread_cost.to_string())
    .bind(r.slippage.to_string())
    .bind(r.explanation)
    .bind(r.trading_day)
    .bind(ts(r.created_at))
    .execute(conn)
    .await
    .map_err(|e| parent_missing("recording a fill", e))?;
    Ok(())
}

pub(crate) async fn fills(
    pool: &SqlitePool,
    tenant: TenantId,
    portfolio: PortfolioId,
    order: Option<OrderId>,
    page: PageRequest,
) -> Result<Vec<FillRecord>, StoreError> {
    let (limit, offset) = limit_offset(page);
    let mut rtx = read_conn(pool).await?;
    let rows = sqlx::query(AssertSqlSafe(format!(
        "{FILL} where tenant_id = ?1 and portfolio_id = ?2 \
         and (?3 is null or order_id = ?3) \
         order by created_at desc, fill_id desc limit ?4 offset ?5"
    )))
    .bind(tenant.as_uuid())
    .bind(portfolio.as_uuid())
    .bind(order.map(|o| o.as_uuid()))
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *rtx)
    .await
    .map_err(|e| map_err("listing fills", e))?;
    rows.iter().map(into_fill).collect()
}

pub(crate) async fn all_fills(
    pool: &SqlitePool,
    tenant: TenantId,
    portfolio: PortfolioId,
) -> Result<Vec<FillRecord>, StoreError> {
    let mut rtx = read_conn(pool).await?;
    let rows = sqlx::query(AssertSqlSafe(format!(
        "{FILL} where tenant_id = ?1 and portfolio_id = ?2 order by created_at, fill_id"
    )))
    .bind(tenant.as_uuid())
    .bind(portfolio.as_uuid())
    .fetch_all(&mut *rtx)
    .await
    .map_err(|e| map_err("reading fills", e))?;
    rows.iter().map(into_fill).collect()
}

pub(crate) async fn fill_totals_in(
    tx: &mut dyn Tx,
    tenant: TenantId,
    portfolio: PortfolioId,
    since_day: i32,
) -> Result<Vec<FillTotal>, StoreError> {
    let conn = &mut *downcast::<SqliteTx>(tx)?.0;
    // Summed here, not by SQL: SQLite's sum() would turn the decimal text into floats.
    let rows = sqlx::query(
        "select trading_day, symbol, side, qty from sim_fill \
         where tenant_id = ?1 and portfolio_id = ?2 and trading_day >= ?3",
    )
    .bind(tenant.as_uuid())
    .bind(portfolio.as_uuid())
    .bind(since_day)
    .fetch_all(conn)
    .await
    .map_err(|e| map_err("summing recent fills", e))?;
    let mut totals: std::collections::BTreeMap<(i32, String, String), rust_decimal::Decimal> =
        std::collections::BTreeMap::new();
    for r in &rows {
        let parse = || -> Decode<((i32, String, String), rust_decimal::Decimal)> {
            Ok((
                (
                    r.try_get("trading_day")?,
                    r.try_get("symbol")?,
                    r.try_get("side")?,
                ),
                dec(r, "qty")?,
            ))
        };
        let (key, qty) = parse().map_err(|e| StoreError::other("decoding fill totals", e))?;
        *totals.entry(key).or_default() += qty;
    }
    totals
        .into_iter()
        .map(|((trading_day, symbol, side), qty)| {
            Ok(FillTotal {
                trading_day,
                symbol: Symbol::from_stored(symbol),
                side: nexus_store::sim_codec::side(&side)?,
                qty,
            })
        })
        .collect()
}

pub(crate) async fn create_competition(
    tx: &mut dyn Tx,
    tenant: TenantId,
    c: &Competition,
) -> Result<(), StoreError> {
    let conn = &mut *downcast::<SqliteTx>(tx)?.0;
    sqlx::query(
        "insert into competition (tenant_id, competition_id, cohort_id, name, starts_at, ends_at, \
         starting_cash, allowed_symbols, metric, created_at) \
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .bind(tenant.as_uuid())
    .bind(c.id.as_uuid())
    .bind(c.cohort.as_uuid())
    .bind(&c.name)
    .bind(ts(c.starts_at))
    .bind(ts(c.ends_at))
    .bind(c.starting_cash.to_string())
    .bind(symbols_text(&c.allowed_symbols))
    .bind(c.metric.as_str())
    .bind(ts(c.created_at))
    .execute(conn)
    .await
    .map_err(|e| parent_missing("creating a competition", e))?;
    Ok(())
}

pub(crate) async fn competition(
    pool: &SqlitePool,
    tenant: TenantId,
    id: CompetitionId,
) -> Result<Competition, StoreError> {
    let mut rtx = read_conn(pool).await?;
    let row = sqlx::query(AssertSqlSafe(format!(
        "{COMPETITION} where tenant_id = ?1 and competition_id = ?2"
    )))
    .bind(tenant.as_uuid())
    .bind(id.as_uuid())
    .fetch_optional(&mut *rtx)
    .await
    .map_err(|e| map_err("reading a competition", e))?;
    row.as_ref()
        .map(into_competition)
        .transpose()?
        .ok_or(StoreError::NotFound)
}

pub(crate) async fn competitions(
    pool: &SqlitePool,
    tenant: TenantId,
    cohort: Option<CohortId>,
    page: PageRequest,
) -> Result<Vec<Competition>, StoreError> {
    let (limit, offset) = limit_offset(page);
    let mut rtx = read_conn(pool).await?;
    let rows = sqlx::query(AssertSqlSafe(format!(
        "{COMPETITION} where tenant_id = ?1 and (?2 is null or cohort_id = ?2) \
         order by created_at desc, competition_id desc limit ?3 offset ?4"
    )))
    .bind(tenant.as_uuid())
    .bind(cohort.map(|c| c.as_uuid()))
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *rtx)
    .await
    .map_err(|e| map_err("listing competitions", e))?;
    rows.iter().map(into_competition).collect()
}

pub(crate) async fn entrants(
    pool: &SqlitePool,
    tenant: TenantId,
    competition: CompetitionId,
) -> Result<Vec<Entrant>, StoreError> {
    let mut rtx = read_conn(pool).await?;
    let rows = sqlx::query(
        "select p.portfolio_id, p.app_user_id, p.competition_id, p.cash, p.starting_cash, \
         p.realized_pnl, p.fees_paid, p.created_at, p.updated_at, u.display_name, \
         coalesce(lp.leaderboard_opt_in, 0) as opted_in \
         from portfolio p join app_user u on u.tenant_id = p.tenant_id \
         and u.app_user_id = p.app_user_id \
         left join learner_profile lp on lp.tenant_id = p.tenant_id \
         and lp.app_user_id = p.app_user_id \
         where p.tenant_id = ?1 and p.competition_id = ?2 order by p.created_at, p.portfolio_id",
    )
    .bind(tenant.as_uuid())
    .bind(competition.as_uuid())
    .fetch_all(&mut *rtx)
    .await
    .map_err(|e| map_err("listing competition entrants", e))?;
    rows.iter()
        .map(|r| {
            let parse = || -> Decode<(String, bool)> {
                Ok((r.try_get("display_name")?, r.try_get("opted_in")?))
            };
            let (display_name, opted_in) =
                parse().map_err(|e| StoreError::other("decoding an entrant", e))?;
            Ok(Entrant {
                portfolio: into_portfolio(r)?,
                display_name,
                opted_in,
            })
        })
        .collect()
}
