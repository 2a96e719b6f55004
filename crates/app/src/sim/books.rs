//! Loading a portfolio's books inside a transaction, the engine's view of them, and
//! booking an engine outcome: fills, balanced ledger postings, positions, totals and
//! the learner's order event, all in the caller's transaction.

use super::SimService;
use crate::AppError;
use crate::learning::store_err;
use nexus_domain::TenantId;
use nexus_domain::sim::{
    FillId, FillRecord, LedgerRecord, LedgerTxnId, OrderRecord, PortfolioId, PortfolioRecord,
    PositionRecord, Symbol,
};
use nexus_store::{FillTotal, OrderWrite, StoreError, Tx};
use nexus_trading::account::{Portfolio, Position, Posting};
use nexus_trading::engine::{self, Holdings, MarketSnapshot, Outcome};
use nexus_trading::order::Side;
use nexus_trading::realism::Realism;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

/// A portfolio's books, read under its row lock.
pub(super) struct Book {
    pub(super) record: PortfolioRecord,
    pub(super) books: Portfolio,
    /// Open orders of the portfolio (for reservations), as of the lock.
    pub(super) open: Vec<OrderRecord>,
    /// Quantities filled per (day, symbol, side) over the last five sessions (for the
    /// day-trade count): summed by the store, so the cost does not grow with history.
    pub(super) recent: Vec<FillTotal>,
}

/// Trading sessions the pattern-day-trader rule looks back over.
const PDT_WINDOW: u32 = 5;

impl SimService {
    /// Locks `id` and reads everything the engine needs about it.
    pub(super) async fn load_book(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: PortfolioId,
        now: OffsetDateTime,
    ) -> Result<Book, AppError> {
        let since = self.hub.current_day(now).saturating_sub(PDT_WINDOW - 1);
        let locked = self
            .store
            .lock_book(tx, tenant, id, i32::try_from(since).unwrap_or(0))
            .await
            .map_err(store_err("portfolio"))?;
        let (record, positions, open, recent) = (
            locked.portfolio,
            locked.positions,
            locked.open,
            locked.recent,
        );
        let books = books_of(&record, &positions);
        Ok(Book {
            record,
            books,
            open,
            recent,
        })
    }

    /// Last prices of every held symbol at `now` (for valuing the other positions).
    pub(super) fn prices(
        &self,
        symbols: impl IntoIterator<Item = String>,
        now: OffsetDateTime,
    ) -> BTreeMap<String, Decimal> {
        symbols
            .into_iter()
            .filter_map(|s| {
                let q = self.hub.quote(&s, now)?;
                Some((s, q.last))
            })
            .collect()
    }

    /// The engine's view of `book` for trading `symbol`, leaving out order `except`.
    pub(super) fn holdings(
        &self,
        book: &Book,
        symbol: &Symbol,
        except: Option<nexus_domain::sim::OrderId>,
        realism: &Realism,
        now: OffsetDateTime,
    ) -> Holdings {
        let prices = self.prices(book.books.positions.keys().cloned(), now);
        let mut h = book.books.holdings(symbol.as_str(), &prices);
        // One snapshot per symbol, however many open buys share it.
        let mut snapshots: BTreeMap<&str, Option<MarketSnapshot>> = BTreeMap::new();
        for o in book.open.iter().filter(|o| Some(o.id) != except) {
            match o.spec.side() {
                Side::Buy => {
                    // The submission snapshot, so a reservation is estimated like the
                    // order itself was: an empty window has no volume, and realistic
                    // mode then priced the impact as if one share traded, holding back
                    // far too much cash (found by the simulator integration tests).
                    let snap = snapshots
                        .entry(o.symbol.as_str())
                        .or_insert_with(|| self.quote_snapshot(&o.symbol, now));
                    if let Some(snap) = snap {
                        h.open_buy_commitment +=
                            engine::reserved_cash(&o.spec, &o.state, snap, realism);
                    }
                }
                Side::Sell if o.symbol == *symbol => h.open_sell_qty += o.state.remaining(),
                Side::Sell => {}
            }
        }
        h.day_trades_last_5_days = day_trades(&book.recent);
        h.opened_today = opened_today(&book.recent, symbol, self.hub.current_day(now), h.position);
        h
    }

    /// Writes `order` (inserted when `new`, else updated) with what `outcome` booked:
    /// each fill, its balanced postings, the position and the totals, then the
    /// learner's order event, in one store call. Returns the fill records.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn book(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        book: &mut Book,
        order: &OrderRecord,
        new: bool,
        outcome: &Outcome,
        now: OffsetDateTime,
    ) -> Result<Vec<FillRecord>, AppError> {
        let mut records = Vec::with_capacity(outcome.fills.len());
        let mut ledger = Vec::new();
        let day = i32::try_from(self.hub.current_day(now)).unwrap_or(0);
        for fill in &outcome.fills {
            let postings = book
                .books
                .apply(order.symbol.as_str(), order.spec.side(), fill);
            ledger.extend(self.entries(&postings, Some(order.id), now)?);
            records.push(FillRecord {
                id: FillId::generate(self.clock.as_ref()),
                order: order.id,
                portfolio: order.portfolio,
                symbol: order.symbol.clone(),
                side: order.spec.side(),
                fill: fill.clone(),
                trading_day: day,
                created_at: now,
            });
        }
        let position = (!records.is_empty()).then(|| {
            let pos = book
                .books
                .positions
                .get(order.symbol.as_str())
                .cloned()
                .unwrap_or_default();
            PositionRecord {
                symbol: order.symbol.clone(),
                qty: pos.qty,
                cost_basis: pos.cost_basis,
                updated_at: now,
            }
        });
        if !records.is_empty() {
            book.record.cash = book.books.cash;
            book.record.realized_pnl = book.books.realized_pnl;
            book.record.fees_paid = book.books.fees_paid;
            book.record.updated_at = now;
        }
        let payload = super::trading::event_payload(order, &records);
        let write = OrderWrite {
            order,
            new,
            fills: &records,
            ledger: &ledger,
            position: position.as_ref(),
            totals: position.as_ref().map(|_| &book.record),
            user: book.record.user,
            event: &payload,
            at: now,
        };
        self.store
            .write_order(tx, tenant, &write)
            .await
            .map_err(|e| match e {
                StoreError::Conflict {
                    constraint: "sim_order_client_key",
                } => AppError::Conflict {
                    code: "duplicate_client_order_id",
                    message: "an order with this client_order_id already exists",
                },
                e => AppError::from_store("order", e),
            })?;
        // Only the fill that completes an order is an `order.filled` event.
        if !records.is_empty() && order.state.status == nexus_trading::order::Status::Filled {
            let data = serde_json::json!({
                "user_id": book.record.user,
                "portfolio_id": order.portfolio,
                "order_id": order.id,
                "symbol": order.symbol,
                "side": order.spec.side().as_str(),
                "filled_qty": order.state.filled_qty.normalize().to_string(),
                "avg_price": (order.state.filled_value / order.state.filled_qty)
                    .round_dp(6)
                    .normalize()
                    .to_string(),
                "fees": order.state.fees.normalize().to_string(),
            });
            let user = Some(book.record.user);
            self.outbox
                .emit_in(
                    tx,
                    tenant,
                    nexus_domain::webhook::EventType::OrderFilled,
                    user,
                    data,
                )
                .await?;
        }
        book.recent.extend(records.iter().map(|r| FillTotal {
            trading_day: r.trading_day,
            symbol: r.symbol.clone(),
            side: r.side,
            qty: r.fill.qty,
        }));
        Ok(records)
    }

    /// The ledger entries of one balanced transaction. Refuses an unbalanced one: that
    /// would be a bug in the books, and money must never appear or vanish.
    fn entries(
        &self,
        postings: &[Posting],
        order: Option<nexus_domain::sim::OrderId>,
        now: OffsetDateTime,
    ) -> Result<Vec<LedgerRecord>, AppError> {
        let total: Decimal = postings.iter().map(|p| p.amount).sum();
        if !total.is_zero() {
            return Err(AppError::Internal(
                format!("unbalanced ledger transaction (off by {total})").into(),
            ));
        }
        let txn = LedgerTxnId::generate(self.clock.as_ref());
        Ok(postings
            .iter()
            .map(|p| LedgerRecord {
                txn,
                account: p.account.as_str(),
                amount: p.amount,
                order,
                at: now,
            })
            .collect())
    }

    /// Writes one balanced transaction (see [`Self::entries`]).
    pub(super) async fn post(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        portfolio: PortfolioId,
        postings: &[Posting],
        order: Option<nexus_domain::sim::OrderId>,
        now: OffsetDateTime,
    ) -> Result<(), AppError> {
        let entries = self.entries(postings, order, now)?;
        self.store
            .post(tx, tenant, portfolio, &entries)
            .await
            .map_err(store_err("portfolio"))
    }

    /// The snapshot an order is judged on at submission: the current quote, with the
    /// range and volume of the price path's latest step (the last
    /// [`STEP_MINUTES`](nexus_market::calendar::STEP_MINUTES)).
    ///
    /// Triggers and limits are judged on the quote (see the engine); the range bounds
    /// where an immediate fill may execute, and the volume is the liquidity it may take
    /// in realistic mode. An empty window (`now` to `now`) made every immediate fill
    /// execute at the last price, never paying the spread the explanation teaches, and
    /// gave realistic mode no volume, so IOC and FOK market orders were always
    /// canceled unfilled (found by the simulator integration tests).
    pub(super) fn quote_snapshot(
        &self,
        symbol: &Symbol,
        now: OffsetDateTime,
    ) -> Option<MarketSnapshot> {
        let step = time::Duration::minutes(nexus_market::calendar::STEP_MINUTES);
        self.hub.snapshot(symbol.as_str(), now - step, now)
    }
}

/// The engine's books for a stored portfolio and its positions.
pub(super) fn books_of(record: &PortfolioRecord, positions: &[PositionRecord]) -> Portfolio {
    Portfolio {
        cash: record.cash,
        positions: positions
            .iter()
            .map(|p| {
                (
                    p.symbol.as_str().to_owned(),
                    Position {
                        qty: p.qty,
                        cost_basis: p.cost_basis,
                    },
                )
            })
            .collect(),
        realized_pnl: record.realized_pnl,
        fees_paid: record.fees_paid,
    }
}

/// Day trades in `fills`: sessions × symbols with both a buy and a sell. An
/// approximation of FINRA's definition (open and close the same security the same day)
/// that is exact for the simple round trips the teaching example is about.
fn day_trades(fills: &[FillTotal]) -> u32 {
    let mut buys = BTreeSet::new();
    let mut sells = BTreeSet::new();
    for f in fills {
        let key = (f.trading_day, &f.symbol);
        match f.side {
            Side::Buy => buys.insert(key),
            Side::Sell => sells.insert(key),
        };
    }
    u32::try_from(buys.intersection(&sells).count()).unwrap_or(u32::MAX)
}

/// The part of the current position in `symbol` opened today: today's net fills,
/// limited to the position's side and size.
fn opened_today(fills: &[FillTotal], symbol: &Symbol, today: u32, position: Decimal) -> Decimal {
    let today = i32::try_from(today).unwrap_or(0);
    let net: Decimal = fills
        .iter()
        .filter(|f| f.trading_day == today && f.symbol == *symbol)
        .map(|f| f.side.sign() * f.qty)
        .sum();
    match position.cmp(&Decimal::ZERO) {
        std::cmp::Ordering::Greater => net.clamp(Decimal::ZERO, position),
        std::cmp::Ordering::Less => net.clamp(position, Decimal::ZERO),
        std::cmp::Ordering::Equal => Decimal::ZERO,
    }
}
