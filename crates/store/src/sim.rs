//! The portfolio simulator's storage: settings, portfolios with their positions and
//! double-entry ledger, orders, fills, competitions, imported market data and the order
//! event stream. Tenant-owned: every method takes the `TenantId`.
//!
//! Writes that must agree with each other (an order, its fills, the postings and the
//! new totals) run in the caller's transaction; [`SimStore::lock_portfolio`] serialises
//! writers of one portfolio so two concurrent orders cannot both spend the same cash.

use crate::{StoreError, Tx};
use async_trait::async_trait;
use nexus_domain::learning::enrolment::CohortId;
use nexus_domain::paging::PageRequest;
use nexus_domain::sim::{
    ClientOrderId, Competition, CompetitionId, FillRecord, ImportedBar, LedgerRecord, OrderId,
    OrderRecord, PortfolioId, PortfolioRecord, PositionRecord, SimEvent, SimSettings, Symbol,
};
use nexus_domain::{TenantId, UserId};
use time::{Date, OffsetDateTime};

/// Which orders a list returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderStatusFilter {
    /// Every order.
    #[default]
    All,
    /// New, accepted or partially filled.
    Open,
    /// Filled, canceled, expired or rejected.
    Closed,
}

/// What a tick's price path could have touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TickFilter {
    /// Per symbol, the lowest and highest price traded in the window.
    pub ranges: Vec<(Symbol, rust_decimal::Decimal, rust_decimal::Decimal)>,
    /// Day orders of this trading day or earlier are due to expire.
    pub due_day: Option<i32>,
    /// Orders placed after this instant are candidates whatever their prices: each is
    /// judged on its own part of the window.
    pub placed_after: OffsetDateTime,
}

/// Quantity filled per trading day, symbol and side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FillTotal {
    /// Trading day.
    pub trading_day: i32,
    /// Instrument.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: nexus_trading::order::Side,
    /// Sum of the fills' quantities.
    pub qty: rust_decimal::Decimal,
}

/// A portfolio's books as an order needs them, read under the portfolio's row lock.
#[derive(Debug, Clone, PartialEq)]
pub struct LockedBook {
    /// The portfolio row, locked until the transaction ends.
    pub portfolio: PortfolioRecord,
    /// Its holdings, by symbol.
    pub positions: Vec<PositionRecord>,
    /// Its open orders, oldest first (for reservations).
    pub open: Vec<OrderRecord>,
    /// Quantities filled per day, symbol and side since `since_day`.
    pub recent: Vec<FillTotal>,
}

/// One order change and everything it booked, written together.
#[derive(Debug, Clone, Copy)]
pub struct OrderWrite<'a> {
    /// The order as it now stands.
    pub order: &'a OrderRecord,
    /// Insert it (a new order) rather than update its state.
    pub new: bool,
    /// Fills it got.
    pub fills: &'a [FillRecord],
    /// The fills' postings (the caller checks each fill's set balances).
    pub ledger: &'a [LedgerRecord],
    /// The traded symbol's holding after the fills; a zero quantity removes it.
    pub position: Option<&'a PositionRecord>,
    /// The portfolio's running totals after the fills.
    pub totals: Option<&'a PortfolioRecord>,
    /// The learner whose stream gets the event.
    pub user: UserId,
    /// The order event's payload.
    pub event: &'a str,
    /// When it happened.
    pub at: OffsetDateTime,
}

/// A competition entrant, for the leaderboard.
#[derive(Debug, Clone, PartialEq)]
pub struct Entrant {
    /// Their competition portfolio.
    pub portfolio: PortfolioRecord,
    /// Display name (shown only if they opted in).
    pub display_name: String,
    /// Whether they chose to appear on leaderboards (the learning preference).
    pub opted_in: bool,
}

/// What a tenant has imported for one symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    /// Instrument.
    pub symbol: Symbol,
    /// Bars held.
    pub bars: u64,
    /// First date.
    pub first: Date,
    /// Last date.
    pub last: Date,
}

/// Stores the simulator's records.
#[async_trait]
pub trait SimStore: Send + Sync {
    /// The tenant's saved settings, if an admin saved any.
    async fn settings(&self, tenant: TenantId) -> Result<Option<SimSettings>, StoreError>;
    /// Saves the tenant's settings.
    async fn put_settings(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        settings: &SimSettings,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Opens a portfolio. `Conflict { "portfolio_practice_key" | "portfolio_competition_key" }`
    /// if the learner already has one of that kind.
    async fn create_portfolio(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        portfolio: &PortfolioRecord,
    ) -> Result<(), StoreError>;
    /// A portfolio by ID.
    async fn portfolio(
        &self,
        tenant: TenantId,
        id: PortfolioId,
    ) -> Result<PortfolioRecord, StoreError>;
    /// The learner's practice portfolio (`competition: None`) or competition entry.
    async fn find_portfolio(
        &self,
        tenant: TenantId,
        user: UserId,
        competition: Option<CompetitionId>,
    ) -> Result<Option<PortfolioRecord>, StoreError>;
    /// Every portfolio of a learner, oldest first.
    async fn portfolios_of(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<PortfolioRecord>, StoreError>;
    /// Reads a portfolio and holds its row lock until the transaction ends.
    async fn lock_portfolio(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: PortfolioId,
    ) -> Result<PortfolioRecord, StoreError>;
    /// Locks a portfolio and reads what an order needs about it (positions, open
    /// orders, fill totals since `since_day`), as one unit.
    ///
    /// The default makes the four calls in turn; a backend that can answer them in
    /// fewer round trips overrides it (the order path's cost is mostly round trips).
    async fn lock_book(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: PortfolioId,
        since_day: i32,
    ) -> Result<LockedBook, StoreError> {
        let portfolio = self.lock_portfolio(tx, tenant, id).await?;
        let positions = self.positions_in(tx, tenant, id).await?;
        let open = self.open_orders_in(tx, tenant, id).await?;
        let recent = self.fill_totals_in(tx, tenant, id, since_day).await?;
        Ok(LockedBook {
            portfolio,
            positions,
            open,
            recent,
        })
    }
    /// Writes an order change with its fills, postings, position, totals and event.
    /// Call it after [`SimStore::lock_book`] on the order's portfolio in the same
    /// transaction. A repeated `client_order_id` is `Conflict { constraint:
    /// "sim_order_client_key" }`; an update of a missing order is `NotFound`.
    ///
    /// The default makes one call per part; a backend that can write them in one
    /// statement overrides it.
    async fn write_order(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        w: &OrderWrite<'_>,
    ) -> Result<(), StoreError> {
        let portfolio = w.order.portfolio;
        if w.new {
            self.insert_order(tx, tenant, w.order).await?;
        } else {
            self.update_order(tx, tenant, w.order).await?;
        }
        for f in w.fills {
            self.insert_fill(tx, tenant, f).await?;
        }
        if !w.ledger.is_empty() {
            self.post(tx, tenant, portfolio, w.ledger).await?;
        }
        if let Some(p) = w.position {
            self.put_position(tx, tenant, portfolio, p).await?;
        }
        if let Some(t) = w.totals {
            self.update_totals(tx, tenant, t).await?;
        }
        self.push_event(tx, tenant, w.user, "order", w.event, w.at)
            .await?;
        Ok(())
    }
    /// Saves the running totals (cash, realized P&L, fees, `updated_at`).
    async fn update_totals(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        portfolio: &PortfolioRecord,
    ) -> Result<(), StoreError>;

    /// Holdings, by symbol.
    async fn positions(
        &self,
        tenant: TenantId,
        portfolio: PortfolioId,
    ) -> Result<Vec<PositionRecord>, StoreError>;
    /// Holdings, read inside a transaction.
    async fn positions_in(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        portfolio: PortfolioId,
    ) -> Result<Vec<PositionRecord>, StoreError>;
    /// Saves a holding; a zero quantity removes it.
    async fn put_position(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        portfolio: PortfolioId,
        position: &PositionRecord,
    ) -> Result<(), StoreError>;

    /// Appends postings (the caller checks they balance).
    async fn post(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        portfolio: PortfolioId,
        entries: &[LedgerRecord],
    ) -> Result<(), StoreError>;
    /// The ledger, oldest first.
    async fn ledger(
        &self,
        tenant: TenantId,
        portfolio: PortfolioId,
        page: PageRequest,
    ) -> Result<Vec<LedgerRecord>, StoreError>;

    /// Records a new order. `Conflict { "sim_order_client_key" }` if the portfolio
    /// already has an order with its client order ID.
    async fn insert_order(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        order: &OrderRecord,
    ) -> Result<(), StoreError>;
    /// Saves an order's state (status, reason, fill totals, trigger and queue).
    async fn update_order(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        order: &OrderRecord,
    ) -> Result<(), StoreError>;
    /// An order by ID.
    async fn order(&self, tenant: TenantId, id: OrderId) -> Result<OrderRecord, StoreError>;
    /// An order read inside a transaction (after locking its portfolio).
    async fn order_in(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: OrderId,
    ) -> Result<OrderRecord, StoreError>;
    /// The order a portfolio placed with `client_order_id`, if any.
    async fn order_by_client_id(
        &self,
        tenant: TenantId,
        portfolio: PortfolioId,
        client_order_id: &ClientOrderId,
    ) -> Result<Option<OrderRecord>, StoreError>;
    /// A portfolio's orders, newest first.
    async fn orders(
        &self,
        tenant: TenantId,
        portfolio: PortfolioId,
        status: OrderStatusFilter,
        symbol: Option<&Symbol>,
        page: PageRequest,
    ) -> Result<Vec<OrderRecord>, StoreError>;
    /// A portfolio's open orders inside a transaction, oldest first (buying power
    /// reserves cash for open buys).
    async fn open_orders_in(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        portfolio: PortfolioId,
    ) -> Result<Vec<OrderRecord>, StoreError>;
    /// The tenant's open orders a tick must look at, oldest first: a superset of those
    /// the window's prices could fill, trigger or expire (the engine decides exactly).
    /// Market orders, triggered stops and orders placed after `placed_after` are always
    /// included; so are day orders of `due_day` or earlier.
    async fn tick_candidates(
        &self,
        tenant: TenantId,
        filter: &TickFilter,
    ) -> Result<Vec<OrderRecord>, StoreError>;

    /// Records an execution.
    async fn insert_fill(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        fill: &FillRecord,
    ) -> Result<(), StoreError>;
    /// A portfolio's fills (of one order, if given), newest first.
    async fn fills(
        &self,
        tenant: TenantId,
        portfolio: PortfolioId,
        order: Option<OrderId>,
        page: PageRequest,
    ) -> Result<Vec<FillRecord>, StoreError>;
    /// Every fill of a portfolio, oldest first (the performance history replays them).
    async fn all_fills(
        &self,
        tenant: TenantId,
        portfolio: PortfolioId,
    ) -> Result<Vec<FillRecord>, StoreError>;
    /// Quantities filled on or after `since_day`, summed per (day, symbol, side), in
    /// that order, inside a transaction: what the day-trade rule needs, at a cost that
    /// does not grow with the number of fills.
    async fn fill_totals_in(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        portfolio: PortfolioId,
        since_day: i32,
    ) -> Result<Vec<FillTotal>, StoreError>;

    /// Creates a competition. `NotFound` if the cohort is not this tenant's.
    async fn create_competition(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        competition: &Competition,
    ) -> Result<(), StoreError>;
    /// A competition by ID.
    async fn competition(
        &self,
        tenant: TenantId,
        id: CompetitionId,
    ) -> Result<Competition, StoreError>;
    /// Competitions (of one cohort, if given), newest first.
    async fn competitions(
        &self,
        tenant: TenantId,
        cohort: Option<CohortId>,
        page: PageRequest,
    ) -> Result<Vec<Competition>, StoreError>;
    /// Entrants with their names and leaderboard preference.
    async fn entrants(
        &self,
        tenant: TenantId,
        competition: CompetitionId,
    ) -> Result<Vec<Entrant>, StoreError>;

    /// Replaces everything imported for `symbol` with `bars`, in the caller's transaction.
    async fn replace_import(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        symbol: &Symbol,
        bars: &[ImportedBar],
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Imported bars for `symbol`, oldest first.
    async fn imported_bars(
        &self,
        tenant: TenantId,
        symbol: &Symbol,
    ) -> Result<Vec<ImportedBar>, StoreError>;
    /// What the tenant has imported, by symbol.
    async fn imports(&self, tenant: TenantId) -> Result<Vec<ImportSummary>, StoreError>;

    /// Appends an event to a learner's stream and returns its ID.
    async fn push_event(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        user: UserId,
        kind: &str,
        payload: &str,
        at: OffsetDateTime,
    ) -> Result<i64, StoreError>;
    /// The ID of a learner's latest event (0 if none): where a fresh stream starts.
    async fn last_event_id(&self, tenant: TenantId, user: UserId) -> Result<i64, StoreError>;
    /// A learner's events after `after`, oldest first, at most `limit`.
    async fn events_after(
        &self,
        tenant: TenantId,
        user: UserId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<SimEvent>, StoreError>;
}
