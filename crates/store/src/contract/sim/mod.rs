//! Portfolio simulator cases: settings, portfolios, positions, the ledger, orders,
//! fills, competitions, imported market data and the order event stream.
//!
//! Timestamps are whole microseconds (PostgreSQL's precision), several of them less
//! than a second apart so ordering by time is checked below the second too. Decimals
//! fit the PostgreSQL column scales; `Decimal` equality ignores trailing zeros.

use super::*;
use crate::{Entrant, FillTotal, ImportSummary, OrderStatusFilter, TickFilter};
use nexus_domain::learning::enrolment::{Cohort, CohortId};
use nexus_domain::sim::{
    ClientOrderId, Competition, CompetitionId, FillId, FillRecord, ImportedBar, LedgerRecord,
    LedgerTxnId, Metric, OrderId, OrderRecord, PortfolioId, PortfolioRecord, PositionRecord,
    SimEvent, SimSettings, Symbol,
};
use nexus_trading::engine::{Fill, OrderState};
use nexus_trading::order::{OrderSpec, RawOrder, Reason, Side, Size, Status};
use nexus_trading::realism::Realism;
use nexus_trading::rules::Rules;
use rust_decimal::Decimal;
use time::{Date, Month, OffsetDateTime};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn sym(s: &str) -> Symbol {
    Symbol::parse(s).unwrap()
}

fn coid(s: &str) -> ClientOrderId {
    ClientOrderId::parse(s).unwrap()
}

fn us(n: i64) -> time::Duration {
    time::Duration::microseconds(n)
}

fn page(limit: u32, offset: u64) -> PageRequest {
    PageRequest::new(Some(limit), Some(offset)).unwrap()
}

fn day(y: i32, m: Month, dd: u8) -> Date {
    Date::from_calendar_date(y, m, dd).unwrap()
}

fn is_not_found<T: std::fmt::Debug>(r: &Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::NotFound))
}

fn is_conflict<T: std::fmt::Debug>(r: &Result<T, StoreError>, name: &str) -> bool {
    matches!(r, Err(StoreError::Conflict { constraint }) if *constraint == name)
}

async fn learner(
    db: &Arc<dyn Database>,
    c: &ManualClock,
    t: TenantId,
    email: &str,
    name: &str,
) -> UserId {
    let id = UserId::generate(c);
    db.users()
        .create(t, id, &new_user(email, name, Role::Learner), c.now())
        .await
        .unwrap();
    id
}

fn portfolio(
    c: &ManualClock,
    user: UserId,
    competition: Option<CompetitionId>,
    cash: &str,
) -> PortfolioRecord {
    PortfolioRecord {
        id: PortfolioId::generate(c),
        user,
        competition,
        cash: d(cash),
        starting_cash: d(cash),
        realized_pnl: Decimal::ZERO,
        fees_paid: Decimal::ZERO,
        created_at: c.now(),
        updated_at: c.now(),
    }
}

async fn open_portfolio(
    db: &Arc<dyn Database>,
    t: TenantId,
    p: &PortfolioRecord,
) -> Result<(), StoreError> {
    let sim = db.sim();
    committed!(db, t, |tx| sim.create_portfolio(tx, t, p))
}

fn spec(
    side: &str,
    order_type: &str,
    tif: &str,
    amount: Size,
    limit: Option<&str>,
    stop: Option<&str>,
) -> OrderSpec {
    let (qty, notional) = match amount {
        Size::Quantity(q) => (Some(q), None),
        Size::Notional(n) => (None, Some(n)),
    };
    OrderSpec::parse(&RawOrder {
        side: side.to_owned(),
        order_type: order_type.to_owned(),
        tif: tif.to_owned(),
        qty,
        notional,
        limit: limit.map(d),
        stop: stop.map(d),
    })
    .unwrap()
}

fn order(
    c: &ManualClock,
    portfolio: PortfolioId,
    symbol: &str,
    spec: OrderSpec,
    client: Option<&str>,
) -> OrderRecord {
    let qty = match spec.size() {
        Size::Quantity(q) => q,
        Size::Notional(_) => d("2.028745"),
    };
    OrderRecord {
        id: OrderId::generate(c),
        portfolio,
        client_order_id: client.map(coid),
        symbol: sym(symbol),
        spec,
        state: OrderState::new(qty),
        replaces: None,
        trading_day: 20_000,
        created_at: c.now(),
        updated_at: c.now(),
    }
}

fn limit_buy(c: &ManualClock, p: PortfolioId, symbol: &str, client: Option<&str>) -> OrderRecord {
    let s = spec(
        "buy",
        "limit",
        "gtc",
        Size::Quantity(d("10")),
        Some("123.45"),
        None,
    );
    order(c, p, symbol, s, client)
}

async fn insert(db: &Arc<dyn Database>, t: TenantId, o: &OrderRecord) -> Result<(), StoreError> {
    let sim = db.sim();
    committed!(db, t, |tx| sim.insert_order(tx, t, o))
}

async fn update(db: &Arc<dyn Database>, t: TenantId, o: &OrderRecord) -> Result<(), StoreError> {
    let sim = db.sim();
    committed!(db, t, |tx| sim.update_order(tx, t, o))
}

fn cohort(c: &ManualClock, t: TenantId, name: &str) -> Cohort {
    Cohort {
        id: CohortId::generate(c),
        tenant_id: t,
        name: name.to_owned(),
        created_at: c.now(),
    }
}

async fn add_cohort(db: &Arc<dyn Database>, c: &ManualClock, t: TenantId, name: &str) -> CohortId {
    let x = cohort(c, t, name);
    let store = db.enrolments();
    committed!(db, t, |tx| store.create_cohort(tx, &x)).unwrap();
    x.id
}

fn competition(c: &ManualClock, cohort: CohortId, name: &str) -> Competition {
    Competition {
        id: CompetitionId::generate(c),
        cohort,
        name: name.to_owned(),
        starts_at: c.now() + time::Duration::days(1) + us(250_000),
        ends_at: c.now() + time::Duration::days(8),
        starting_cash: d("10000.5"),
        allowed_symbols: vec![sym("AAA"), sym("BRK.B")],
        metric: Metric::Return,
        created_at: c.now(),
    }
}

async fn add_competition(
    db: &Arc<dyn Database>,
    t: TenantId,
    x: &Competition,
) -> Result<(), StoreError> {
    let sim = db.sim();
    committed!(db, t, |tx| sim.create_competition(tx, t, x))
}

mod books;
mod class;
mod order_path;
mod trading;

pub(super) use books::{sim_books_positions_ledger, sim_settings_and_portfolios};
pub(super) use class::{
    sim_competitions_and_entrants, sim_events_resume, sim_imports_replace_atomically,
};
pub(super) use order_path::sim_order_path_reads_and_writes_as_a_unit;
pub(super) use trading::{
    sim_fills_and_day_window, sim_orders_lifecycle_and_idempotency, sim_tick_candidates,
};
