//! Placing, cancelling and replacing orders.
//!
//! Each change runs in one transaction that first locks the portfolio, so two orders
//! racing for the same cash are decided one after the other. A repeated
//! `client_order_id` of a placement or a replace returns the order it made (checked
//! before, and again through the unique constraint when two retries race).

use super::books::Book;
use super::{SimService, commit, rollback, trader};
use crate::AppError;
use crate::audit::Caller;
use crate::learning::store_err;
use nexus_domain::TenantId;
use nexus_domain::paging::PageRequest;
use nexus_domain::sim::{
    ClientOrderId, FillRecord, OrderId, OrderRecord, PortfolioId, PortfolioRecord, SimSettings,
    Symbol,
};
use nexus_domain::validation::FieldErrors;
use nexus_store::{OrderStatusFilter, Tx};
use nexus_trading::engine::{self, Outcome};
use nexus_trading::order::{OrderSpec, RawOrder, RawReplace, Reason, SpecError};
use serde_json::json;
use time::OffsetDateTime;

/// A request to place an order.
#[derive(Debug, Clone, Default)]
pub struct PlaceOrder {
    /// The portfolio; the learner's practice portfolio when absent.
    pub portfolio: Option<PortfolioId>,
    /// Instrument, as typed.
    pub symbol: String,
    /// Side, type, time in force, size and prices, as typed.
    pub order: RawOrder,
    /// Idempotency key.
    pub client_order_id: Option<String>,
}

/// A request to replace an open order.
#[derive(Debug, Clone, Default)]
pub struct ReplaceOrder {
    /// New total quantity, prices or time in force.
    pub changes: RawReplace,
    /// Idempotency key of the replacement: a retry with the same key answers with the
    /// replacement already made.
    pub client_order_id: Option<String>,
}

/// The result of placing an order.
#[derive(Debug, Clone)]
pub struct Placed {
    /// The order as it now stands.
    pub order: OrderRecord,
    /// Fills it got at once.
    pub fills: Vec<FillRecord>,
    /// True when this was a retry answered with the original order.
    pub replayed: bool,
}

fn spec_errors(errors: &mut FieldErrors, spec: Vec<SpecError>) {
    for e in spec {
        errors.push(wire_field(e.field), e.code, e.message);
    }
}

/// The engine's field names as the API spells them.
fn wire_field(field: &str) -> &str {
    match field {
        // The request body calls it `type`; reporting `order_type` named a field the
        // client never sent (found by the simulator integration tests).
        "order_type" => "type",
        "tif" => "time_in_force",
        "limit" => "limit_price",
        "stop" => "stop_price",
        other => other,
    }
}

/// The order event a learner's stream carries.
pub(super) fn event_payload(order: &OrderRecord, fills: &[FillRecord]) -> String {
    json!({
        "order_id": order.id,
        "symbol": order.symbol,
        "status": order.state.status.as_str(),
        "reason": order.state.reason.map(Reason::as_str),
        "filled_qty": order.state.filled_qty.to_string(),
        "fills": fills.iter().map(|f| json!({
            "fill_id": f.id,
            "qty": f.fill.qty.to_string(),
            "price": f.fill.price.to_string(),
            "explanation": f.fill.explanation,
        })).collect::<Vec<_>>(),
    })
    .to_string()
}

impl SimService {
    /// The caller's portfolio `id`, or their practice portfolio (opened on first use).
    pub(super) async fn own_portfolio(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: Option<PortfolioId>,
    ) -> Result<PortfolioRecord, AppError> {
        let user = trader(caller, tenant)?;
        match id {
            None => self.practice_portfolio(tenant, user).await,
            Some(id) => {
                let p = self
                    .store
                    .portfolio(tenant, id)
                    .await
                    .map_err(store_err("portfolio"))?;
                // Someone else's portfolio is reported as missing, not forbidden, so
                // its existence is not disclosed.
                if p.user == user {
                    Ok(p)
                } else {
                    Err(AppError::NotFound {
                        resource: "portfolio",
                    })
                }
            }
        }
    }

    /// Places an order for the caller. Input errors (including trading outside the
    /// session when that is not allowed) are 422; account rules (buying power, short
    /// selling, the pattern-day-trader rule) produce a stored `rejected` order with its
    /// reason, so the learner can see why.
    pub async fn place(
        &self,
        caller: &Caller,
        tenant: TenantId,
        req: PlaceOrder,
    ) -> Result<Placed, AppError> {
        let mut errors = FieldErrors::new();
        let symbol = errors.check("symbol", Symbol::parse(&req.symbol));
        if let Some(s) = &symbol
            && self.hub.instrument(s.as_str()).is_none()
        {
            errors.push(
                "symbol",
                "unknown_symbol",
                format!("no simulated instrument is called {s}"),
            );
        }
        let client = req
            .client_order_id
            .as_deref()
            .and_then(|c| errors.check("client_order_id", ClientOrderId::parse(c)));
        let spec = OrderSpec::parse(&req.order)
            .map_err(|e| spec_errors(&mut errors, e))
            .ok();
        // The practice portfolio (the usual case) is known by ID alone; its row is read
        // under lock in the order's transaction.
        let (portfolio, competition) = match req.portfolio {
            None => (
                self.practice_id(tenant, trader(caller, tenant)?).await?,
                None,
            ),
            Some(id) => {
                let p = self.own_portfolio(caller, tenant, Some(id)).await?;
                (p.id, p.competition)
            }
        };
        if let (Some(competition), Some(s)) = (competition, &symbol) {
            let c = self
                .store
                .competition(tenant, competition)
                .await
                .map_err(store_err("competition"))?;
            if !c.allows(s) {
                errors.push(
                    "symbol",
                    "not_allowed",
                    "this competition does not trade this instrument",
                );
            }
            if !c.is_running(self.clock.now()) {
                return Err(AppError::Conflict {
                    code: "competition_not_running",
                    message: "the competition is not running: orders are taken between its start and end",
                });
            }
        }
        let (symbol, spec) = match (symbol, spec) {
            (Some(s), Some(spec)) if errors.is_empty() => (s, spec),
            _ => return Err(AppError::Validation(errors)),
        };
        if let Some(c) = &client
            && let Some(original) = self.replay(tenant, portfolio, c).await?
        {
            return Ok(original);
        }
        // Read before the transaction opens: a pool read while the transaction holds a
        // connection starves the pool under load (found by the order benchmark).
        let settings = self.settings_of(tenant).await?;
        let now = self.now();
        let mut tx = self.begin(tenant).await?;
        match self
            .submit(
                tx.as_mut(),
                tenant,
                portfolio,
                symbol,
                spec,
                client.clone(),
                None,
                &settings,
                now,
            )
            .await
        {
            Ok(placed) => {
                commit(tx).await?;
                if !placed.replayed {
                    metrics::counter!("nexus_sim_orders_placed_total", "status" => placed.order.state.status.as_str())
                        .increment(1);
                }
                Ok(placed)
            }
            Err(AppError::Conflict {
                code: "duplicate_client_order_id",
                ..
            }) => {
                // A concurrent retry won the race: answer with its order.
                rollback(tx).await?;
                let c = client.ok_or(AppError::NotFound { resource: "order" })?;
                self.replay(tenant, portfolio, &c)
                    .await?
                    .ok_or(AppError::NotFound { resource: "order" })
            }
            Err(e) => {
                rollback(tx).await?;
                Err(e)
            }
        }
    }

    async fn replay(
        &self,
        tenant: TenantId,
        portfolio: PortfolioId,
        client: &ClientOrderId,
    ) -> Result<Option<Placed>, AppError> {
        let Some(order) = self
            .store
            .order_by_client_id(tenant, portfolio, client)
            .await
            .map_err(store_err("order"))?
        else {
            return Ok(None);
        };
        let fills = self
            .store
            .fills(
                tenant,
                portfolio,
                Some(order.id),
                nexus_domain::paging::PageRequest::new(Some(nexus_domain::paging::MAX_LIMIT), None)
                    .unwrap_or_default(),
            )
            .await
            .map_err(store_err("order"))?;
        Ok(Some(Placed {
            order,
            fills,
            replayed: true,
        }))
    }

    /// Runs the engine on a new order inside `tx` and stores the result.
    #[allow(clippy::too_many_arguments)]
    async fn submit(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        portfolio: PortfolioId,
        symbol: Symbol,
        spec: OrderSpec,
        client: Option<ClientOrderId>,
        replaces: Option<OrderId>,
        settings: &SimSettings,
        now: OffsetDateTime,
    ) -> Result<Placed, AppError> {
        let mut book = self.load_book(tx, tenant, portfolio, now).await?;
        let holdings = self.holdings(&book, &symbol, None, &settings.realism, now);
        let snapshot = self
            .quote_snapshot(&symbol, now)
            .ok_or(AppError::BadRequest(
                "the simulated market has no price for this instrument yet",
            ))?;
        let outcome = engine::submit(
            &spec,
            &holdings,
            &snapshot,
            &settings.rules,
            &settings.realism,
        );
        if outcome.state.reason == Some(Reason::MarketClosed) {
            let mut errors = FieldErrors::new();
            errors.push(
                "time_in_force",
                "market_closed",
                "the market is closed: market, IOC and FOK orders trade only during the session; \
                 a limit or stop order with day or gtc waits for the open",
            );
            return Err(AppError::Validation(errors));
        }
        let order = OrderRecord {
            id: OrderId::generate(self.clock.as_ref()),
            portfolio,
            client_order_id: client,
            symbol,
            spec,
            state: outcome.state.clone(),
            replaces,
            trading_day: i32::try_from(self.hub.session_day(now)).unwrap_or(0),
            created_at: now,
            updated_at: now,
        };
        let fills = self
            .book(tx, tenant, &mut book, &order, true, &outcome, now)
            .await?;
        Ok(Placed {
            order,
            fills,
            replayed: false,
        })
    }

    /// Loads the caller's order `id` with its portfolio locked.
    /// `order` was read (and its owner checked) before `tx` opened, so no pool read
    /// happens while the transaction holds a connection.
    async fn locked_order(
        &self,
        tenant: TenantId,
        tx: &mut dyn Tx,
        order: &OrderRecord,
        now: OffsetDateTime,
    ) -> Result<(Book, OrderRecord), AppError> {
        let id = order.id;
        let book = self.load_book(tx, tenant, order.portfolio, now).await?;
        // Re-read under the lock: the tick loop may have filled it meanwhile.
        let order = self
            .store
            .order_in(tx, tenant, id)
            .await
            .map_err(store_err("order"))?;
        Ok((book, order))
    }

    /// Cancels the caller's open order.
    pub async fn cancel(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: OrderId,
    ) -> Result<OrderRecord, AppError> {
        let owned = self.order(caller, tenant, id).await?;
        let now = self.now();
        let mut tx = self.begin(tenant).await?;
        let (mut book, mut order) = self.locked_order(tenant, tx.as_mut(), &owned, now).await?;
        let state = engine::cancel(&order.state, Reason::CanceledByUser).map_err(|_| not_open())?;
        order.state = state;
        order.updated_at = now;
        self.save_state(tx.as_mut(), tenant, &mut book, &order, now)
            .await?;
        commit(tx).await?;
        Ok(order)
    }

    /// Cancels the caller's open order and places its replacement, in one transaction.
    pub async fn replace(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: OrderId,
        req: ReplaceOrder,
    ) -> Result<Placed, AppError> {
        let mut errors = FieldErrors::new();
        let client = req
            .client_order_id
            .as_deref()
            .and_then(|c| errors.check("client_order_id", ClientOrderId::parse(c)));
        let owned = self.order(caller, tenant, id).await?;
        // A retried replace answers with the replacement it already made.
        if let Some(c) = &client
            && let Some(original) = self.replay(tenant, owned.portfolio, c).await?
        {
            return Ok(original);
        }
        // A competition's order may change only while the competition runs, as it may
        // be placed only then (otherwise an open order could be made marketable after
        // the end).
        let now = self.clock.now();
        if self
            .competition_of(tenant, owned.portfolio)
            .await?
            .is_some_and(|c| !c.is_running(now))
        {
            return Err(AppError::Conflict {
                code: "competition_not_running",
                message: "the competition is not running: orders are taken between its start and end",
            });
        }
        let settings = self.settings_of(tenant).await?;
        let client_key = client.clone();
        let now = self.now();
        let mut tx = self.begin(tenant).await?;
        let (mut book, mut old) = self.locked_order(tenant, tx.as_mut(), &owned, now).await?;
        // A filled, canceled, expired or rejected order is a state conflict (409
        // `order_not_open`, as for DELETE), not a field error: checked before the
        // changes, whose own check would report it as a 422 on a field `order`.
        let Ok(state) = engine::cancel(&old.state, Reason::Replaced) else {
            rollback(tx).await?;
            return Err(not_open());
        };
        let spec = nexus_trading::order::replace(&old.spec, &old.state, &req.changes)
            .map_err(|e| spec_errors(&mut errors, e))
            .ok();
        let Some(spec) = spec.filter(|_| errors.is_empty()) else {
            rollback(tx).await?;
            return Err(AppError::Validation(errors));
        };
        old.state = state;
        old.updated_at = now;
        self.save_state(tx.as_mut(), tenant, &mut book, &old, now)
            .await?;
        drop(book);
        let placed = self
            .submit(
                tx.as_mut(),
                tenant,
                old.portfolio,
                old.symbol.clone(),
                spec,
                client,
                Some(old.id),
                &settings,
                now,
            )
            .await;
        match placed {
            Ok(p) => {
                commit(tx).await?;
                Ok(p)
            }
            Err(AppError::Conflict {
                code: "duplicate_client_order_id",
                ..
            }) => {
                // A concurrent retry of this replace won the race: answer with its order.
                rollback(tx).await?;
                let c = client_key.ok_or(AppError::NotFound { resource: "order" })?;
                self.replay(tenant, owned.portfolio, &c)
                    .await?
                    .ok_or(AppError::NotFound { resource: "order" })
            }
            Err(e) => {
                rollback(tx).await?;
                Err(e)
            }
        }
    }

    /// Stores a state change without fills, with the learner's order event.
    pub(super) async fn save_state(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        book: &mut Book,
        order: &OrderRecord,
        now: OffsetDateTime,
    ) -> Result<(), AppError> {
        let none = Outcome {
            state: order.state.clone(),
            fills: Vec::new(),
        };
        self.book(tx, tenant, book, order, false, &none, now)
            .await?;
        Ok(())
    }

    /// The caller's order `id`.
    pub async fn order(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: OrderId,
    ) -> Result<OrderRecord, AppError> {
        let user = trader(caller, tenant)?;
        let order = self
            .store
            .order(tenant, id)
            .await
            .map_err(store_err("order"))?;
        let p = self
            .store
            .portfolio(tenant, order.portfolio)
            .await
            .map_err(store_err("order"))?;
        if p.user == user {
            Ok(order)
        } else {
            Err(AppError::NotFound { resource: "order" })
        }
    }

    /// The caller's orders in a portfolio, newest first.
    pub async fn orders(
        &self,
        caller: &Caller,
        tenant: TenantId,
        portfolio: Option<PortfolioId>,
        status: OrderStatusFilter,
        symbol: Option<&str>,
        page: PageRequest,
    ) -> Result<Vec<OrderRecord>, AppError> {
        trader(caller, tenant)?;
        let symbol = symbol
            .map(Symbol::parse)
            .transpose()
            .map_err(|e| AppError::invalid_field("symbol", e))?;
        let p = self.own_portfolio(caller, tenant, portfolio).await?;
        self.store
            .orders(tenant, p.id, status, symbol.as_ref(), page)
            .await
            .map_err(store_err("portfolio"))
    }

    /// The caller's fills in a portfolio (of one order, if given), newest first.
    pub async fn fills(
        &self,
        caller: &Caller,
        tenant: TenantId,
        portfolio: Option<PortfolioId>,
        order: Option<OrderId>,
        page: PageRequest,
    ) -> Result<Vec<FillRecord>, AppError> {
        let p = match order {
            Some(o) => {
                let o = self.order(caller, tenant, o).await?;
                self.own_portfolio(caller, tenant, Some(o.portfolio))
                    .await?
            }
            None => self.own_portfolio(caller, tenant, portfolio).await?,
        };
        self.store
            .fills(tenant, p.id, order, page)
            .await
            .map_err(store_err("portfolio"))
    }

    /// Works one resting order against `snapshot` (the tick loop). Returns whether it
    /// changed.
    pub(super) async fn work(
        &self,
        tenant: TenantId,
        id: OrderId,
        snapshot: &engine::MarketSnapshot,
        expire: bool,
        settings: &SimSettings,
        now: OffsetDateTime,
    ) -> Result<bool, AppError> {
        let order = self
            .store
            .order(tenant, id)
            .await
            .map_err(store_err("order"))?;
        // A competition takes orders only while it runs, so its resting orders must not
        // trade after the end either: one the market reaches then is canceled with
        // `competition_ended` instead (found by the simulator integration tests: such
        // an order used to fill after the end). Read before the transaction opens, so
        // no connection is held while waiting for another.
        let ended = self
            .competition_of(tenant, order.portfolio)
            .await?
            .is_some_and(|c| now >= c.ends_at);
        let mut tx = self.begin(tenant).await?;
        let mut book = self
            .load_book(tx.as_mut(), tenant, order.portfolio, now)
            .await?;
        // Read under the lock with the book: the order may have been filled, canceled
        // or replaced since the tick listed it, and then there is nothing to do.
        let Some(mut order) = book.open.iter().find(|o| o.id == id).cloned() else {
            rollback(tx).await?;
            return Ok(false);
        };
        let outcome = if ended {
            engine::cancel(&order.state, Reason::CompetitionEnded)
                .ok()
                .map(|state| Outcome {
                    state,
                    fills: Vec::new(),
                })
        } else if expire {
            engine::expire(&order.spec, &order.state)
        } else {
            let holdings =
                self.holdings(&book, &order.symbol, Some(order.id), &settings.realism, now);
            Some(engine::on_tick(
                &order.spec,
                &order.state,
                &holdings,
                snapshot,
                &settings.rules,
                &settings.realism,
            ))
        };
        let Some(outcome) = outcome.filter(|o| o.state != order.state || !o.fills.is_empty())
        else {
            rollback(tx).await?;
            return Ok(false);
        };
        order.state = outcome.state.clone();
        order.updated_at = now;
        self.book(tx.as_mut(), tenant, &mut book, &order, false, &outcome, now)
            .await?;
        commit(tx).await?;
        if order.state.status == nexus_trading::order::Status::Filled {
            metrics::counter!("nexus_sim_orders_filled_on_tick_total").increment(1);
        }
        Ok(true)
    }
}

impl SimService {
    /// The competition `portfolio` is entered in, if it is a competition entry.
    async fn competition_of(
        &self,
        tenant: TenantId,
        portfolio: PortfolioId,
    ) -> Result<Option<nexus_domain::sim::Competition>, AppError> {
        let p = self
            .store
            .portfolio(tenant, portfolio)
            .await
            .map_err(store_err("portfolio"))?;
        let Some(competition) = p.competition else {
            return Ok(None);
        };
        self.store
            .competition(tenant, competition)
            .await
            .map(Some)
            .map_err(store_err("competition"))
    }
}

fn not_open() -> AppError {
    AppError::Conflict {
        code: "order_not_open",
        message: "the order is already filled, canceled, expired or rejected",
    }
}
