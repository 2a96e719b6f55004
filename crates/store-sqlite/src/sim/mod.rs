//! SQLite simulator store: [`SqliteSim`] implements [`SimStore`] by delegating to
//! [`books`] (settings, portfolios, positions, ledger, imports, events) and [`orders`]
//! (orders, fills, competitions).

mod books;
pub(crate) use books::limit_offset;
mod orders;

use async_trait::async_trait;
use nexus_domain::learning::enrolment::CohortId;
use nexus_domain::paging::PageRequest;
use nexus_domain::sim::{
    ClientOrderId, Competition, CompetitionId, FillRecord, ImportedBar, LedgerRecord, OrderId,
    OrderRecord, PortfolioId, PortfolioRecord, PositionRecord, SimEvent, SimSettings, Symbol,
};
use nexus_domain::{TenantId, UserId};
use nexus_store::{
    Entrant, FillTotal, ImportSummary, OrderStatusFilter, SimStore, StoreError, TickFilter, Tx,
};
use time::OffsetDateTime;

pub(crate) struct SqliteSim {
    pub(crate) pool: sqlx::SqlitePool,
}

#[async_trait]
impl SimStore for SqliteSim {
    async fn settings(&self, tenant: TenantId) -> Result<Option<SimSettings>, StoreError> {
        books::settings(&self.pool, tenant).await
    }

    async fn put_settings(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        settings: &SimSettings,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        books::put_settings(tx, tenant, settings, at).await
    }

    async fn create_portfolio(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        portfolio: &PortfolioRecord,
    ) -> Result<(), StoreError> {
        books::create_portfolio(tx, tenant, portfolio).await
    }

    async fn portfolio(
        &self,
        tenant: TenantId,
        id: PortfolioId,
    ) -> Result<PortfolioRecord, StoreError> {
        books::portfolio(&self.pool, tenant, id).await
    }

    async fn find_portfolio(
        &self,
        tenant: TenantId,
        user: UserId,
        competition: Option<CompetitionId>,
    ) -> Result<Option<PortfolioRecord>, StoreError> {
        books::find_portfolio(&self.pool, tenant, user, competition).await
    }

    async fn portfolios_of(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<PortfolioRecord>, StoreError> {
        books::portfolios_of(&self.pool, tenant, user).await
    }

    async fn lock_portfolio(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: PortfolioId,
    ) -> Result<PortfolioRecord, StoreError> {
        books::lock_portfolio(tx, tenant, id).await
    }

    async fn update_totals(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        portfolio: &PortfolioRecord,
    ) -> Result<(), StoreError> {
        books::update_totals(tx, tenant, portfolio).await
    }

    async fn positions(
        &self,
        tenant: TenantId,
        portfolio: PortfolioId,
    ) -> Result<Vec<PositionRecord>, StoreError> {
        books::positions(&self.pool, tenant, portfolio).await
    }

    async fn positions_in(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        portfolio: PortfolioId,
    ) -> Result<Vec<PositionRecord>, StoreError> {
        books::positions_in(tx, tenant, portfolio).await
    }

    async fn put_position(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        portfolio: PortfolioId,
        position: &PositionRecord,
    ) -> Result<(), StoreError> {
        books::put_position(tx, tenant, portfolio, position).await
    }

    async fn post(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        portfolio: PortfolioId,
        entries: &[LedgerRecord],
    ) -> Result<(), StoreError> {
        books::post(tx, tenant, portfolio, entries).await
    }

    async fn ledger(
        &self,
        tenant: TenantId,
        portfolio: PortfolioId,
        page: PageRequest,
    ) -> Result<Vec<LedgerRecord>, StoreError> {
        books::ledger(&self.pool, tenant, portfolio, page).await
    }

    async fn insert_order(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        order: &OrderRecord,
    ) -> Result<(), StoreError> {
        orders::insert_order(tx, tenant, order).await
    }

    async fn update_order(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        order: &OrderRecord,
    ) -> Result<(), StoreError> {
        orders::update_order(tx, tenant, order).await
    }

    async fn order(&self, tenant: TenantId, id: OrderId) -> Result<OrderRecord, StoreError> {
        orders::order(&self.pool, tenant, id).await
    }

    async fn order_in(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: OrderId,
    ) -> Result<OrderRecord, StoreError> {
        orders::order_in(tx, tenant, id).await
    }

    async fn order_by_client_id(
        &self,
        tenant: TenantId,
        portfolio: PortfolioId,
        client_order_id: &ClientOrderId,
    ) -> Result<Option<OrderRecord>, StoreError> {
        orders::order_by_client_id(&self.pool, tenant, portfolio, client_order_id).await
    }

    async fn orders(
        &self,
        tenant: TenantId,
        portfolio: PortfolioId,
        status: OrderStatusFilter,
        symbol: Option<&Symbol>,
        page: PageRequest,
    ) -> Result<Vec<OrderRecord>, StoreError> {
        orders::orders(&self.pool, tenant, portfolio, status, symbol, page).await
    }

    async fn open_orders_in(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        portfolio: PortfolioId,
    ) -> Result<Vec<OrderRecord>, StoreError> {
        orders::open_orders_in(tx, tenant, portfolio).await
    }

    async fn tick_candidates(
        &self,
        tenant: TenantId,
        filter: &TickFilter,
    ) -> Result<Vec<OrderRecord>, StoreError> {
        orders::tick_candidates(&self.pool, tenant, filter).await
    }

    async fn insert_fill(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        fill: &FillRecord,
    ) -> Result<(), StoreError> {
        orders::insert_fill(tx, tenant, fill).await
    }

    async fn fills(
        &self,
        tenant: TenantId,
        portfolio: PortfolioId,
        order: Option<OrderId>,
        page: PageRequest,
    ) -> Result<Vec<FillRecord>, StoreError> {
        orders::fills(&self.pool, tenant, portfolio, order, page).await
    }

    async fn all_fills(
        &self,
        tenant: TenantId,
        portfolio: PortfolioId,
    ) -> Result<Vec<FillRecord>, StoreError> {
        orders::all_fills(&self.pool, tenant, portfolio).await
    }

    async fn fill_totals_in(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        portfolio: PortfolioId,
        since_day: i32,
    ) -> Result<Vec<FillTotal>, StoreError> {
        orders::fill_totals_in(tx, tenant, portfolio, since_day).await
    }

    async fn create_competition(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        competition: &Competition,
    ) -> Result<(), StoreError> {
        orders::create_competition(tx, tenant, competition).await
    }

    async fn competition(
        &self,
        tenant: TenantId,
        id: CompetitionId,
    ) -> Result<Competition, StoreError> {
        orders::competition(&self.pool, tenant, id).await
    }

    async fn competitions(
        &self,
        tenant: TenantId,
        cohort: Option<CohortId>,
        page: PageRequest,
    ) -> Result<Vec<Competition>, StoreError> {
        orders::competitions(&self.pool, tenant, cohort, page).await
    }

    async fn entrants(
        &self,
        tenant: TenantId,
        competition: CompetitionId,
    ) -> Result<Vec<Entrant>, StoreError> {
        orders::entrants(&self.pool, tenant, competition).await
    }

    async fn replace_import(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        symbol: &Symbol,
        bars: &[ImportedBar],
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        books::replace_import(tx, tenant, symbol, bars, at).await
    }

    async fn imported_bars(
        &self,
        tenant: TenantId,
        symbol: &Symbol,
    ) -> Result<Vec<ImportedBar>, StoreError> {
        books::imported_bars(&self.pool, tenant, symbol).await
    }

    async fn imports(&self, tenant: TenantId) -> Result<Vec<ImportSummary>, StoreError> {
        books::imports(&self.pool, tenant).await
    }

    async fn push_event(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        user: UserId,
        kind: &str,
        payload: &str,
        at: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        books::push_event(tx, tenant, user, kind, payload, at).await
    }

    async fn last_event_id(&self, tenant: TenantId, user: UserId) -> Result<i64, StoreError> {
        books::last_event_id(&self.pool, tenant, user).await
    }

    async fn events_after(
        &self,
        tenant: TenantId,
        user: UserId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<SimEvent>, StoreError> {
        books::events_after(&self.pool, tenant, user, after, limit).await
    }
}
