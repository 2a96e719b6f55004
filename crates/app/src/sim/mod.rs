//! The portfolio simulator (issue 5): paper trading with virtual money on a simulated
//! market. Educational only: no real money, no broker, no advice.
//!
//! - [`hub`]: the shared simulated market (lazily generated, cached quotes and bars).
//! - `trading`: placing, cancelling and replacing orders, and booking fills.
//! - `portfolios`: opening portfolios, valuation, the performance history, analytics
//!   and "explain my portfolio".
//! - `competitions`: class competitions and their leaderboards.
//! - `market_data`: instruments, quotes, bars, scenario presets and CSV imports.
//! - `settings`: the tenant's trading rules and realism preset.
//! - [`tick`]: the tick loop that works resting orders, run on one node under a lease.
//!
//! The rules themselves live in the pure crates: `nexus-market` (prices) and
//! `nexus-trading` (orders, the fill engine, the books, analytics). This layer loads
//! state, calls them, and stores what they decide, in one transaction per change.

mod books;
mod competitions;
mod demo;
pub mod hub;
mod market_data;
mod portfolios;
mod settings;
pub mod tick;
mod trading;

pub use competitions::{CompetitionView, Standing};
pub use market_data::{InstrumentView, ScenarioView};
pub use portfolios::{Analysis, HistoryPoint, PortfolioView, PositionView};
pub use settings::SettingsInput;
pub use trading::{PlaceOrder, Placed, ReplaceOrder};

use crate::AppError;
use crate::audit::{AuditService, Caller};
use hub::MarketHub;
use nexus_domain::access::{Actor, Permission};
use nexus_domain::{Clock, TenantId, UserId};
use nexus_store::{Database, SimStore, Tx};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use time::OffsetDateTime;

/// The simulator's use cases.
#[derive(Clone)]
pub struct SimService {
    db: Arc<dyn Database>,
    store: Arc<dyn SimStore>,
    hub: Arc<MarketHub>,
    audit: AuditService,
    clock: Arc<dyn Clock>,
    caches: Arc<Caches>,
    outbox: crate::webhooks::Outbox,
}

/// Small in-process caches that take round trips off every order.
#[derive(Default)]
struct Caches {
    /// Tenant settings with when they were read: they change rarely, and another
    /// replica's change shows here within [`SETTINGS_TTL`].
    settings: Mutex<HashMap<TenantId, (OffsetDateTime, nexus_domain::sim::SimSettings)>>,
    /// Each learner's practice portfolio: opened once and never moved.
    practice: Mutex<HashMap<(TenantId, UserId), nexus_domain::sim::PortfolioId>>,
}

/// How long settings read from the database are trusted.
const SETTINGS_TTL: time::Duration = time::Duration::seconds(5);
/// Practice-portfolio IDs remembered at most (then the map starts over).
const PRACTICE_CACHE_MAX: usize = 100_000;

impl SimService {
    /// Wires the service.
    pub fn new(
        db: Arc<dyn Database>,
        hub: Arc<MarketHub>,
        audit: AuditService,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store: db.sim(),
            outbox: crate::webhooks::Outbox::new(&db, clock.clone()),
            db,
            hub,
            audit,
            clock,
            caches: Arc::new(Caches::default()),
        }
    }

    /// The same service over another market.
    #[must_use]
    pub fn with_hub(mut self, hub: Arc<MarketHub>) -> Self {
        self.hub = hub;
        self
    }

    /// The simulated market.
    pub fn hub(&self) -> &Arc<MarketHub> {
        &self.hub
    }

    fn now(&self) -> OffsetDateTime {
        crate::learning::stored_now(self.clock.as_ref())
    }

    async fn begin(&self, tenant: TenantId) -> Result<Box<dyn Tx>, AppError> {
        self.db
            .begin(Some(tenant))
            .await
            .map_err(|e| AppError::from_store("transaction", e))
    }
}

async fn commit(tx: Box<dyn Tx>) -> Result<(), AppError> {
    tx.commit()
        .await
        .map_err(|e| AppError::from_store("transaction", e))
}

async fn rollback(tx: Box<dyn Tx>) -> Result<(), AppError> {
    tx.rollback()
        .await
        .map_err(|e| AppError::from_store("transaction", e))
}

/// The signed-in trader: `sim:trade`, acting for themselves.
fn trader(caller: &Caller, tenant: TenantId) -> Result<UserId, AppError> {
    caller.require(tenant, Permission::SimTrade)?;
    match &caller.actor {
        Actor::User {
            tenant: t, user, ..
        } if *t == tenant => Ok(*user),
        _ => Err(AppError::Forbidden(
            "only a signed-in user of this tenant has simulator portfolios",
        )),
    }
}

impl SimService {
    /// The caller's order events after `after` (the SSE stream and its resume), oldest
    /// first, at most `limit`.
    pub async fn events(
        &self,
        caller: &Caller,
        tenant: TenantId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<nexus_domain::sim::SimEvent>, AppError> {
        let user = trader(caller, tenant)?;
        self.store
            .events_after(tenant, user, after, limit)
            .await
            .map_err(crate::learning::store_err("portfolio"))
    }

    /// The ID of the caller's latest order event: a stream opened without
    /// `Last-Event-ID` starts after it rather than replaying all history.
    pub async fn last_event(&self, caller: &Caller, tenant: TenantId) -> Result<i64, AppError> {
        let user = trader(caller, tenant)?;
        self.store
            .last_event_id(tenant, user)
            .await
            .map_err(crate::learning::store_err("portfolio"))
    }

    /// Checks the caller may trade (handlers check it before parsing a body, so a
    /// caller without the permission gets 403, never field errors).
    pub fn may_trade(&self, caller: &Caller, tenant: TenantId) -> Result<(), AppError> {
        trader(caller, tenant).map(|_| ())
    }

    /// Checks the caller may administer the simulator (settings, imports).
    pub fn may_administer(&self, caller: &Caller, tenant: TenantId) -> Result<(), AppError> {
        caller.require(tenant, Permission::SimAdmin)
    }

    /// Checks the caller may set up competitions.
    pub fn may_run_competitions(&self, caller: &Caller, tenant: TenantId) -> Result<(), AppError> {
        caller.require(tenant, Permission::CompetitionWrite)
    }

    /// Checks the caller may read market data (for streams that outlive the request).
    pub fn may_read_market(&self, caller: &Caller, tenant: TenantId) -> Result<(), AppError> {
        if caller.actor.can(tenant, Permission::SimTrade) {
            Ok(())
        } else {
            caller.require(tenant, Permission::SimAdmin)
        }
    }

    /// The clock (streams stamp their events with it).
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }
}

impl SimService {
    /// Cached settings for `tenant`, if read within the TTL.
    fn cached_settings(&self, tenant: TenantId) -> Option<nexus_domain::sim::SimSettings> {
        let now = self.clock.now();
        let cache = self
            .caches
            .settings
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        cache
            .get(&tenant)
            .filter(|(at, _)| now - *at < SETTINGS_TTL)
            .map(|(_, s)| s.clone())
    }

    fn remember_settings(&self, tenant: TenantId, settings: &nexus_domain::sim::SimSettings) {
        self.caches
            .settings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(tenant, (self.clock.now(), settings.clone()));
    }

    fn cached_practice(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Option<nexus_domain::sim::PortfolioId> {
        self.caches
            .practice
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(tenant, user))
            .copied()
    }

    fn remember_practice(
        &self,
        tenant: TenantId,
        user: UserId,
        id: nexus_domain::sim::PortfolioId,
    ) {
        let mut cache = self
            .caches
            .practice
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= PRACTICE_CACHE_MAX {
            cache.clear();
        }
        cache.insert((tenant, user), id);
    }
}
