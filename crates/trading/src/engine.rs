//! The fill engine: pure functions from (order, state, holdings, market, rules, realism)
//! to a new order state and the fills it produced. The app stores the results; nothing
//! here remembers anything between calls, so the same inputs always give the same
//! outputs.
//!
//! Lifecycle: [`submit`] accepts or rejects a new order and executes whatever is
//! marketable at once; [`on_tick`] works an open order against each new snapshot;
//! [`expire`] ends day orders at the close; [`cancel`] ends an order on request.
//!
//! Rules the engine applies (each documented where it is decided):
//! - **Market hours.** Market orders, and IOC/FOK orders, are rejected while the market
//!   is closed (`market_closed`). Limit and stop orders are accepted while closed but
//!   only trade in an open session, except limit orders when
//!   [`Rules::allow_extended_hours`] is set (as at Alpaca, extended hours are for
//!   limit orders only).
//! - **Triggering.** At submission only the current quote counts (the bar's range is
//!   history from before the order existed); on a tick the range swept since the last
//!   tick counts: a buy limit fills if `low ≤ limit`, a sell limit if `high ≥ limit`;
//!   a buy stop triggers if `high ≥ stop`, a sell stop if `low ≤ stop`, then works as
//!   a market order (stop), or as a limit order just submitted (stop_limit: it trades
//!   against the current quote if marketable, else rests from the next tick on).
//! - **Prices** always lie within the snapshot's `[low, high]` (see `execution`).
//! - **Buying power** is checked at submission with an estimated price, and again at
//!   every fill with the real one. If, at fill time, cash (or the position, with short
//!   selling off) no longer covers the whole fill, the engine fills the largest
//!   quantity it does cover and cancels the rest with `insufficient_buying_power`
//!   (or `insufficient_position`); an order that can fill nothing is canceled with that
//!   reason. FOK orders fill completely or not at all.
//! - **Liquidity** (realistic only): an order taking liquidity gets at most the
//!   participation rate of the interval's volume; a market or stop order that could not
//!   fill completely keeps working on later ticks (IOC cancels the rest, FOK cancels
//!   all). A resting limit order fills only from volume that traded at or through its
//!   price after the queue ahead of it (see [`OrderState::queue_ahead`]).
//! - **Notional orders** become a quantity at submission: notional ÷ the price the
//!   order would start from (the ask for buys, bid for sells, mid when frictionless),
//!   truncated to 6 decimal places, so the gross before slippage never exceeds the
//!   notional. Realistic slippage can add to it; commission is always on top.

use rust_decimal::Decimal;

use crate::execution::{
    base_price, clamp, impact_per_share, marketable, resting_fill, taking_fill, taking_price,
};
use crate::order::{OrderSpec, OrderType, QTY_DP, Reason, Side, Size, Status, TimeInForce};
use crate::realism::{Realism, cents, floor_to_lot, price_round};
use crate::rules::{Rules, check_affordable, check_submission};

pub use crate::rules::Holdings;

/// The market for one instrument at one tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarketSnapshot {
    /// The current quote.
    pub bid: Decimal,
    pub ask: Decimal,
    /// The last trade.
    pub last: Decimal,
    /// The range traded since the previous tick: resting orders trigger on it, and
    /// every fill price lies inside it.
    pub high: Decimal,
    pub low: Decimal,
    /// Shares traded in the interval.
    pub volume: u64,
    /// Whether the regular session is open.
    pub open: bool,
}

impl MarketSnapshot {
    /// The mid of the quote, to 4 decimal places.
    pub fn mid(&self) -> Decimal {
        price_round((self.bid + self.ask) / Decimal::TWO)
    }
    /// A quote the engine can trade on: positive prices, bid ≤ ask, low ≤ high, and
    /// magnitudes small enough that no product can overflow.
    pub fn is_usable(&self) -> bool {
        let cap = crate::order::MAX_PRICE * Decimal::TEN;
        let positive = [self.bid, self.ask, self.last, self.high, self.low]
            .iter()
            .all(|p| *p > Decimal::ZERO && *p <= cap);
        positive && self.bid <= self.ask && self.low <= self.high
    }
}

/// Where an order stands: everything the app stores per order besides the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderState {
    pub status: Status,
    /// The order's total quantity (for notional orders, fixed at submission).
    pub qty: Decimal,
    pub filled_qty: Decimal,
    /// Sum of the fills' gross values.
    pub filled_value: Decimal,
    /// Sum of the fills' commissions.
    pub fees: Decimal,
    /// Whether a stop or stop-limit order's stop has been reached.
    pub triggered: bool,
    /// Realistic mode: shares still queued ahead of this resting limit order.
    pub queue_ahead: Option<Decimal>,
    /// Set exactly when the status is canceled, expired or rejected.
    pub reason: Option<Reason>,
}

impl OrderState {
    /// A fresh order of `qty` shares, status `new`.
    pub fn new(qty: Decimal) -> Self {
        OrderState {
            status: Status::New,
            qty,
            filled_qty: Decimal::ZERO,
            filled_value: Decimal::ZERO,
            fees: Decimal::ZERO,
            triggered: false,
            queue_ahead: None,
            reason: None,
        }
    }
    pub fn remaining(&self) -> Decimal {
        (self.qty - self.filled_qty).max(Decimal::ZERO)
    }
    /// Average fill price, if anything filled.
    pub fn average_price(&self) -> Option<Decimal> {
        (self.filled_qty > Decimal::ZERO).then(|| price_round(self.filled_value / self.filled_qty))
    }
    fn end(mut self, status: Status, reason: Reason) -> Self {
        self.status = status;
        self.reason = Some(reason);
        self.queue_ahead = None;
        self
    }
    fn record(&mut self, fill: &Fill) {
        self.filled_qty += fill.qty;
        self.filled_value += fill.gross;
        self.fees += fill.fee;
        self.status = if self.filled_qty >= self.qty {
            Status::Filled
        } else {
            Status::PartiallyFilled
        };
    }
}

/// One execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fill {
    pub qty: Decimal,
    /// Execution price, to 4 decimal places, within the snapshot's `[low, high]`.
    pub price: Decimal,
    /// `qty × price` in cents.
    pub gross: Decimal,
    /// Commission in cents.
    pub fee: Decimal,
    /// What paying the ask (or receiving the bid) cost compared with the mid, in cents.
    pub spread_cost: Decimal,
    /// What the order's own size moved the price, in cents.
    pub slippage: Decimal,
    /// Plain English for the learner.
    pub explanation: String,
}

/// The result of one engine call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub state: OrderState,
    pub fills: Vec<Fill>,
}

/// A status change that the lifecycle does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransitionError {
    pub from: Status,
    pub to: Status,
}

impl std::fmt::Display for TransitionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "an order can't go from {} to {}",
            self.from.as_str(),
            self.to.as_str()
        )
    }
}

impl std::error::Error for TransitionError {}

/// Everything one engine call looks at.
pub(crate) struct Ctx<'a> {
    pub spec: &'a OrderSpec,
    pub holdings: &'a Holdings,
    pub market: &'a MarketSnapshot,
    pub rules: &'a Rules,
    pub realism: &'a Realism,
}

fn done(state: OrderState) -> Outcome {
    Outcome {
        state,
        fills: Vec::new(),
    }
}

/// Accepts or rejects a new order and executes what is marketable now.
///
/// `holdings` must describe the account *without* this order (its cash is not yet
/// reserved).
pub fn submit(
    spec: &OrderSpec,
    holdings: &Holdings,
    market: &MarketSnapshot,
    rules: &Rules,
    realism: &Realism,
) -> Outcome {
    let c = Ctx {
        spec,
        holdings,
        market,
        rules,
        realism,
    };
    let qty = match spec.size() {
        Size::Quantity(q) => q,
        // Notional orders are market day orders; with no usable quote the market-hours
        // and liquidity checks below reject them before the quantity matters.
        Size::Notional(n) if market.is_usable() => {
            let start = clamp(base_price(spec.side(), market, realism), market);
            n.checked_div(start)
                .unwrap_or(Decimal::ZERO)
                .round_dp_with_strategy(QTY_DP, rust_decimal::RoundingStrategy::ToZero)
        }
        Size::Notional(_) => Decimal::ZERO,
    };
    let st = OrderState::new(qty);
    if let Err(reason) = check_submission(&c, qty) {
        return done(st.end(Status::Rejected, reason));
    }
    let mut st = st;
    st.status = Status::Accepted;
    // A limit or stop order can wait out a closed market or a missing quote.
    if !can_trade_now(&c) || !market.is_usable() {
        return done(rest(&c, st));
    }
    match spec.order_type() {
        OrderType::Market => take(&c, st, None),
        OrderType::Limit { limit } => {
            if marketable(spec.side(), Some(limit), market, realism) {
                take(&c, st, Some(limit))
            } else if spec.tif().is_immediate() {
                let reason = if spec.tif() == TimeInForce::Fok {
                    Reason::FokNotFillable
                } else {
                    Reason::IocUnfilledRemainder
                };
                done(st.end(Status::Canceled, reason))
            } else {
                done(rest(&c, st))
            }
        }
        OrderType::Stop { stop } | OrderType::StopLimit { stop, .. } => {
            let hit = match spec.side() {
                Side::Buy => market.last >= stop,
                Side::Sell => market.last <= stop,
            };
            if !hit {
                return done(st);
            }
            st.triggered = true;
            match spec.order_type().limit() {
                None => take(&c, st, None),
                Some(limit) if marketable(spec.side(), Some(limit), market, realism) => {
                    take(&c, st, Some(limit))
                }
                Some(_) => done(rest(&c, st)),
            }
        }
    }
}

/// Works an open order against a new snapshot.
///
/// `holdings` must describe the account without this order's own reservation (its
/// cash in `open_buy_commitment`, its shares in `open_sell_qty`).
pub fn on_tick(
    spec: &OrderSpec,
    state: &OrderState,
    holdings: &Holdings,
    market: &MarketSnapshot,
    rules: &Rules,
    realism: &Realism,
) -> Outcome {
    let c = Ctx {
        spec,
        holdings,
        market,
        rules,
        realism,
    };
    let open = matches!(state.status, Status::Accepted | Status::PartiallyFilled);
    if !open || !market.is_usable() || !can_trade_now(&c) {
        return done(state.clone());
    }
    let mut st = state.clone();
    let side = spec.side();
    if let Some(stop) = spec.order_type().stop()
        && !st.triggered
    {
        let hit = match side {
            Side::Buy => market.high >= stop,
            Side::Sell => market.low <= stop,
        };
        if !hit {
            return done(st);
        }
        st.triggered = true;
        // A triggered stop-limit is a new limit order arriving now: like a submission
        // it trades only against the current quote, otherwise it joins the queue (the
        // volume that triggered it traded before it existed).
        if let Some(limit) = spec.order_type().limit() {
            return if marketable(side, Some(limit), market, realism) {
                take(&c, st, Some(limit))
            } else {
                done(rest(&c, st))
            };
        }
    }
    match spec.order_type().limit() {
        None => take(&c, st, None),
        Some(limit) => fill_resting(&c, st, limit),
    }
}

/// Rejects a new order for a reason only the app can judge (`instrument_not_allowed`,
/// `competition_ended`).
pub fn reject(spec: &OrderSpec, reason: Reason) -> Outcome {
    let qty = match spec.size() {
        Size::Quantity(q) => q,
        Size::Notional(_) => Decimal::ZERO,
    };
    done(OrderState::new(qty).end(Status::Rejected, reason))
}

/// Ends a day order at the session close; `None` for orders that are not open day
/// orders.
pub fn expire(spec: &OrderSpec, state: &OrderState) -> Option<Outcome> {
    let open = matches!(state.status, Status::Accepted | Status::PartiallyFilled);
    (open && spec.tif() == TimeInForce::Day)
        .then(|| done(state.clone().end(Status::Expired, Reason::DayOrderExpired)))
}

/// Cancels an open order (by the learner, a replacement, or the app, e.g. when a
/// competition ends).
pub fn cancel(state: &OrderState, reason: Reason) -> Result<OrderState, TransitionError> {
    if state.status.can_become(Status::Canceled) {
        Ok(state.clone().end(Status::Canceled, reason))
    } else {
        Err(TransitionError {
            from: state.status,
            to: Status::Canceled,
        })
    }
}

/// Cash an open buy order should hold back from other orders: the remaining quantity
/// at its worst expected price plus commission. The app sums this over a learner's
/// other open buys for [`Holdings::open_buy_commitment`]. Zero for sells.
pub fn reserved_cash(
    spec: &OrderSpec,
    state: &OrderState,
    market: &MarketSnapshot,
    realism: &Realism,
) -> Decimal {
    if spec.side() == Side::Sell || state.status.is_terminal() {
        return Decimal::ZERO;
    }
    let q = state.remaining();
    let p = estimated_price(spec, q, market, realism);
    let gross = cents(q * p);
    gross + realism.fee(q, gross)
}

/// The price used for checks before a fill exists: the limit if there is one,
/// otherwise the starting quote plus estimated impact (and at least the stop).
pub(crate) fn estimated_price(
    spec: &OrderSpec,
    qty: Decimal,
    market: &MarketSnapshot,
    realism: &Realism,
) -> Decimal {
    if let Some(limit) = spec.order_type().limit() {
        return limit;
    }
    let s = spec.side().sign();
    let quoted = if market.is_usable() {
        base_price(spec.side(), market, realism) + s * impact_per_share(qty, market, realism)
    } else {
        Decimal::ZERO
    };
    match spec.order_type().stop() {
        Some(stop) if spec.side() == Side::Buy => quoted.max(stop),
        Some(stop) if quoted.is_zero() => stop,
        _ => quoted.max(Decimal::ZERO),
    }
}

/// Whether this order may trade in the current session.
fn can_trade_now(c: &Ctx<'_>) -> bool {
    session_allows(c.spec, c.market, c.rules)
}

/// Whether the session lets `spec` trade on `market` at all: the market is open, or
/// extended hours are allowed and it is a limit order. When it does not, [`on_tick`]
/// leaves a resting order as it is, so callers may skip the order without asking.
pub fn session_allows(spec: &OrderSpec, market: &MarketSnapshot, rules: &Rules) -> bool {
    market.open
        || (rules.allow_extended_hours && matches!(spec.order_type(), OrderType::Limit { .. }))
}

/// The smallest tradable step: whole shares for whole-share orders.
fn lot(spec: &OrderSpec) -> Decimal {
    match spec.size() {
        Size::Quantity(q) if q.is_integer() => Decimal::ONE,
        _ => Decimal::new(1, QTY_DP),
    }
}

/// Puts an order on the book; in realistic mode a limit order (a stop-limit once
/// triggered) joins the back of the queue at its price.
fn rest(c: &Ctx<'_>, mut st: OrderState) -> OrderState {
    let t = c.spec.order_type();
    let queues = t.limit().is_some() && (t.stop().is_none() || st.triggered);
    if let Some(i) = c.realism.impact().filter(|_| queues) {
        let depth = i.queue_depth * Decimal::from(c.market.volume);
        st.queue_ahead = Some(floor_to_lot(depth, Decimal::new(1, QTY_DP)));
    }
    st
}

/// Executes against the quote (market orders, triggered stops, marketable limits).
fn take(c: &Ctx<'_>, st: OrderState, limit: Option<Decimal>) -> Outcome {
    let side = c.spec.side();
    let lot = lot(c.spec);
    let liquidity = match c.realism.impact() {
        Some(i) => floor_to_lot(i.participation * Decimal::from(c.market.volume), lot),
        None => st.remaining(),
    };
    let want = st.remaining().min(liquidity);
    let price_of = |q: Decimal| {
        let (p, _) = taking_price(side, q, limit, c.market, c.realism);
        (p, c.realism.fee(q, cents(q * p)))
    };
    let (q, limiter) = check_affordable(c, want, lot, price_of);
    let fok = c.spec.tif() == TimeInForce::Fok;
    if fok && q < st.remaining() {
        return done(st.end(Status::Canceled, Reason::FokNotFillable));
    }
    finish(c, st, q, limiter, |q| {
        taking_fill(side, q, limit, c.market, c.realism)
    })
}

/// Executes a resting limit order if this interval traded through its price.
fn fill_resting(c: &Ctx<'_>, mut st: OrderState, limit: Decimal) -> Outcome {
    let (m, side) = (c.market, c.spec.side());
    let reached = match side {
        Side::Buy => m.low <= limit,
        Side::Sell => m.high >= limit,
    };
    if !reached {
        return done(st);
    }
    let lot = lot(c.spec);
    let mut want = st.remaining();
    if c.realism.impact().is_some() {
        // Only the volume that traded at or through our price can reach us, and the
        // queue ahead is served first. With no order book, volume is assumed spread
        // evenly over the interval's range.
        let span = m.high - m.low;
        let beyond = match side {
            Side::Buy => limit.min(m.high) - m.low,
            Side::Sell => m.high - limit.max(m.low),
        };
        let share = if span.is_zero() {
            Decimal::ONE
        } else {
            beyond / span
        };
        let through = Decimal::from(m.volume) * share;
        let queue = st.queue_ahead.unwrap_or(Decimal::ZERO);
        if through <= queue {
            st.queue_ahead = Some(floor_to_lot(queue - through, Decimal::new(1, QTY_DP)));
            return done(st);
        }
        st.queue_ahead = Some(Decimal::ZERO);
        want = want.min(floor_to_lot(through - queue, lot));
    }
    let price = clamp(limit, m);
    let price_of = |q: Decimal| (price, c.realism.fee(q, cents(q * price)));
    let (q, limiter) = check_affordable(c, want, lot, price_of);
    finish(c, st, q, limiter, |q| {
        resting_fill(side, q, limit, m, c.realism)
    })
}

/// Records a fill of `q` (if any) and ends the order when a limit stopped it or it is
/// immediate-or-cancel.
fn finish(
    c: &Ctx<'_>,
    mut st: OrderState,
    q: Decimal,
    limiter: Option<Reason>,
    make: impl Fn(Decimal) -> Fill,
) -> Outcome {
    let mut fills = Vec::new();
    if q > Decimal::ZERO {
        let fill = make(q);
        st.record(&fill);
        fills.push(fill);
    }
    if st.status != Status::Filled {
        if let Some(reason) = limiter {
            st = st.end(Status::Canceled, reason);
        } else if c.spec.tif() == TimeInForce::Ioc {
            st = st.end(Status::Canceled, Reason::IocUnfilledRemainder);
        }
    }
    if st.status == Status::Filled {
        st.queue_ahead = None;
    }
    Outcome { state: st, fills }
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "engine_props_tests.rs"]
mod props;
