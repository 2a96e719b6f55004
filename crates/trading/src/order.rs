//! Orders: what a learner asks for ([`OrderSpec`]) and where the order is in its
//! lifecycle ([`OrderState`], [`Status`], [`Reason`]).
//!
//! Invariants:
//! - An [`OrderSpec`] exists only through [`OrderSpec::parse`] (or [`replace`]), so every
//!   spec the engine sees is internally consistent: a positive size within the tick and
//!   lot increments, exactly the prices its type needs, and a time in force that makes
//!   sense for it.
//! - Every enum that the app stores has `as_str` / `parse` with stable snake_case codes;
//!   renaming a variant must not change its code.
//! - A canceled, expired or rejected [`OrderState`] always carries a [`Reason`].
//!
//! Size rules (following Alpaca, documented here because learners will hit them):
//! - Quantities may be fractional down to [`QTY_DP`] (6) decimal places, but a fractional
//!   quantity must be a `day` order, as at Alpaca.
//! - A notional order (an amount of money rather than shares) must be a `market` `day`
//!   order, with at most 2 decimal places and at least [`MIN_NOTIONAL`] ($1). The engine
//!   converts it to shares at execution: see `engine`.
//! - Prices of $1 and above take at most 2 decimal places; below $1, at most 4 (the
//!   sub-penny rule).

use rust_decimal::Decimal;

use crate::engine::OrderState;

/// Decimal places allowed in a quantity (and in every fill's quantity).
pub const QTY_DP: u32 = 6;
/// The smallest notional order, in dollars.
pub const MIN_NOTIONAL: Decimal = Decimal::ONE;
/// Largest quantity accepted: anything bigger is a typo, not a trade.
pub const MAX_QTY: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);
/// Largest notional or price accepted (ten billion dollars / one million per share).
pub const MAX_NOTIONAL: Decimal = Decimal::from_parts(1_410_065_408, 2, 0, false, 0);
/// Largest price accepted.
pub const MAX_PRICE: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

/// Which way the order trades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "buy" => Some(Side::Buy),
            "sell" => Some(Side::Sell),
            _ => None,
        }
    }
    /// +1 for buys, −1 for sells: the sign of the position change.
    pub fn sign(self) -> Decimal {
        match self {
            Side::Buy => Decimal::ONE,
            Side::Sell => Decimal::NEGATIVE_ONE,
        }
    }
}

/// The order's price instructions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderType {
    Market,
    Limit { limit: Decimal },
    Stop { stop: Decimal },
    StopLimit { stop: Decimal, limit: Decimal },
}

impl OrderType {
    /// The stored code: `market`, `limit`, `stop` or `stop_limit`.
    pub fn kind(self) -> &'static str {
        match self {
            OrderType::Market => "market",
            OrderType::Limit { .. } => "limit",
            OrderType::Stop { .. } => "stop",
            OrderType::StopLimit { .. } => "stop_limit",
        }
    }
    pub fn limit(self) -> Option<Decimal> {
        match self {
            OrderType::Limit { limit } | OrderType::StopLimit { limit, .. } => Some(limit),
            _ => None,
        }
    }
    pub fn stop(self) -> Option<Decimal> {
        match self {
            OrderType::Stop { stop } | OrderType::StopLimit { stop, .. } => Some(stop),
            _ => None,
        }
    }
}

/// How long the order may work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeInForce {
    /// Until the session closes ([`crate::engine::expire`]).
    Day,
    /// Good till canceled.
    Gtc,
    /// Immediate or cancel: fill what can be filled now, cancel the rest.
    Ioc,
    /// Fill or kill: fill everything now or nothing.
    Fok,
}

impl TimeInForce {
    pub fn as_str(self) -> &'static str {
        match self {
            TimeInForce::Day => "day",
            TimeInForce::Gtc => "gtc",
            TimeInForce::Ioc => "ioc",
            TimeInForce::Fok => "fok",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "day" => Some(TimeInForce::Day),
            "gtc" => Some(TimeInForce::Gtc),
            "ioc" => Some(TimeInForce::Ioc),
            "fok" => Some(TimeInForce::Fok),
            _ => None,
        }
    }
    /// IOC and FOK orders never rest on the book.
    pub fn is_immediate(self) -> bool {
        matches!(self, TimeInForce::Ioc | TimeInForce::Fok)
    }
}

/// How much to trade: shares, or an amount of money (cash to spend on a buy, proceeds
/// to raise on a sell, before commission).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Quantity(Decimal),
    Notional(Decimal),
}

/// Where an order is in its lifecycle.
///
/// new → accepted → partially_filled* → filled, or → canceled / expired from an open
/// state, or new → rejected. See [`Status::can_become`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    New,
    Accepted,
    PartiallyFilled,
    Filled,
    Canceled,
    Expired,
    Rejected,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Accepted => "accepted",
            Status::PartiallyFilled => "partially_filled",
            Status::Filled => "filled",
            Status::Canceled => "canceled",
            Status::Expired => "expired",
            Status::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            Status::New,
            Status::Accepted,
            Status::PartiallyFilled,
            Status::Filled,
            Status::Canceled,
            Status::Expired,
            Status::Rejected,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
    /// Filled, canceled, expired and rejected orders never change again.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Status::Filled | Status::Canceled | Status::Expired | Status::Rejected
        )
    }
    /// Whether `self → next` is an edge of the lifecycle. Rejection happens only at
    /// submission (before acceptance); a fill may complete an accepted order at once.
    /// `partially_filled → partially_filled` is allowed: another partial fill.
    pub fn can_become(self, next: Status) -> bool {
        use Status::{Accepted, Canceled, Expired, Filled, New, PartiallyFilled, Rejected};
        match self {
            New => matches!(next, Accepted | Rejected),
            Accepted | PartiallyFilled => {
                matches!(next, PartiallyFilled | Filled | Canceled | Expired)
            }
            Filled | Canceled | Expired | Rejected => false,
        }
    }
    /// Whether a state with this status must carry a [`Reason`].
    pub fn needs_reason(self) -> bool {
        matches!(self, Status::Canceled | Status::Expired | Status::Rejected)
    }
}

/// Why an order was canceled, expired or rejected: a stable code plus a message a
/// learner can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    InsufficientBuyingPower,
    InsufficientPosition,
    ShortSellingDisabled,
    MarketClosed,
    PatternDayTrader,
    FokNotFillable,
    IocUnfilledRemainder,
    DayOrderExpired,
    CanceledByUser,
    Replaced,
    InstrumentNotAllowed,
    NoLiquidity,
    NotionalTooSmall,
    CompetitionEnded,
}

const ALL_REASONS: [Reason; 14] = [
    Reason::InsufficientBuyingPower,
    Reason::InsufficientPosition,
    Reason::ShortSellingDisabled,
    Reason::MarketClosed,
    Reason::PatternDayTrader,
    Reason::FokNotFillable,
    Reason::IocUnfilledRemainder,
    Reason::DayOrderExpired,
    Reason::CanceledByUser,
    Reason::Replaced,
    Reason::InstrumentNotAllowed,
    Reason::NoLiquidity,
    Reason::NotionalTooSmall,
    Reason::CompetitionEnded,
];

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::InsufficientBuyingPower => "insufficient_buying_power",
            Reason::InsufficientPosition => "insufficient_position",
            Reason::ShortSellingDisabled => "short_selling_disabled",
            Reason::MarketClosed => "market_closed",
            Reason::PatternDayTrader => "pattern_day_trader",
            Reason::FokNotFillable => "fok_not_fillable",
            Reason::IocUnfilledRemainder => "ioc_unfilled_remainder",
            Reason::DayOrderExpired => "day_order_expired",
            Reason::CanceledByUser => "canceled_by_user",
            Reason::Replaced => "replaced",
            Reason::InstrumentNotAllowed => "instrument_not_allowed",
            Reason::NoLiquidity => "no_liquidity",
            Reason::NotionalTooSmall => "notional_too_small",
            Reason::CompetitionEnded => "competition_ended",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        ALL_REASONS.into_iter().find(|r| r.as_str() == s)
    }
    /// Every reason, for exhaustive tests and for the app's documentation pages.
    pub fn all() -> &'static [Reason] {
        &ALL_REASONS
    }
    /// A plain-English explanation for the learner.
    pub fn message(self) -> &'static str {
        match self {
            Reason::InsufficientBuyingPower => {
                "You don't have enough buying power (cash not already set aside for other orders, plus commission) for this order."
            }
            Reason::InsufficientPosition => {
                "You are trying to sell more shares than you hold (minus shares already in other open sell orders), and short selling is off."
            }
            Reason::ShortSellingDisabled => {
                "You hold no shares to sell, and short selling is not enabled for this portfolio."
            }
            Reason::MarketClosed => {
                "The market is closed. Market orders only run while it is open; a limit or stop order can wait for the open."
            }
            Reason::PatternDayTrader => {
                "This would be your fourth day trade in five trading days with less than $25,000 equity, which the pattern-day-trader rule forbids."
            }
            Reason::FokNotFillable => {
                "Fill-or-kill: the whole quantity could not be filled at once, so nothing was traded."
            }
            Reason::IocUnfilledRemainder => {
                "Immediate-or-cancel: whatever could not be filled straight away was canceled."
            }
            Reason::DayOrderExpired => {
                "A day order lasts only until the session closes; this one had not (fully) filled by then."
            }
            Reason::CanceledByUser => "You canceled this order.",
            Reason::Replaced => "This order was replaced by a modified copy.",
            Reason::InstrumentNotAllowed => "This instrument can't be traded in this portfolio.",
            Reason::NoLiquidity => {
                "Nobody was trading this instrument (no usable quote or no volume), so the order could not fill."
            }
            Reason::NotionalTooSmall => {
                "The dollar amount is too small to buy or sell even the smallest fraction of a share."
            }
            Reason::CompetitionEnded => "The competition this portfolio belongs to has ended.",
        }
    }
}

/// One field's problem with an order request, with a stable machine code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

fn err(field: &'static str, code: &'static str, message: impl Into<String>) -> SpecError {
    SpecError {
        field,
        code,
        message: message.into(),
    }
}

/// An order request as it arrives from the boundary: plain strings and optional numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawOrder {
    pub side: String,
    pub order_type: String,
    pub tif: String,
    pub qty: Option<Decimal>,
    pub notional: Option<Decimal>,
    pub limit: Option<Decimal>,
    pub stop: Option<Decimal>,
}

/// A validated order. Fields are private so the only way to get one is
/// [`OrderSpec::parse`] or [`replace`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderSpec {
    side: Side,
    order_type: OrderType,
    tif: TimeInForce,
    size: Size,
}

impl OrderSpec {
    pub fn side(&self) -> Side {
        self.side
    }
    pub fn order_type(&self) -> OrderType {
        self.order_type
    }
    pub fn tif(&self) -> TimeInForce {
        self.tif
    }
    pub fn size(&self) -> Size {
        self.size
    }

    /// The spec as storage columns; `OrderSpec::parse(&spec.to_raw())` gives it back,
    /// which is how the app rebuilds a stored order.
    pub fn to_raw(&self) -> RawOrder {
        let (qty, notional) = match self.size {
            Size::Quantity(q) => (Some(q), None),
            Size::Notional(n) => (None, Some(n)),
        };
        RawOrder {
            side: self.side.as_str().to_owned(),
            order_type: self.order_type.kind().to_owned(),
            tif: self.tif.as_str().to_owned(),
            qty,
            notional,
            limit: self.order_type.limit(),
            stop: self.order_type.stop(),
        }
    }

    /// Validates a raw request, reporting every field error at once.
    pub fn parse(raw: &RawOrder) -> Result<OrderSpec, Vec<SpecError>> {
        let mut errors = Vec::new();
        let side = Side::parse(&raw.side);
        if side.is_none() {
            errors.push(err("side", "invalid", "side must be buy or sell"));
        }
        let tif = TimeInForce::parse(&raw.tif);
        if tif.is_none() {
            errors.push(err(
                "tif",
                "invalid",
                "time in force must be day, gtc, ioc or fok",
            ));
        }
        let limit = raw.limit.and_then(|p| check_price("limit", p, &mut errors));
        let stop = raw.stop.and_then(|p| check_price("stop", p, &mut errors));
        let order_type = parse_type(raw, limit, stop, &mut errors);
        let amount = parse_size(raw, &mut errors);
        if let (Some(t), Some(tif)) = (order_type, tif) {
            check_combination(t, tif, amount, &mut errors);
        }
        match (side, order_type, tif, amount) {
            (Some(side), Some(order_type), Some(tif), Some(amount)) if errors.is_empty() => {
                Ok(OrderSpec {
                    side,
                    order_type,
                    tif,
                    size: amount,
                })
            }
            _ => Err(errors),
        }
    }
}

/// Checks sign, magnitude and tick size; returns the price only if it is usable.
fn check_price(field: &'static str, p: Decimal, errors: &mut Vec<SpecError>) -> Option<Decimal> {
    if p <= Decimal::ZERO {
        errors.push(err(
            field,
            "not_positive",
            format!("{field} price must be above zero"),
        ));
        return None;
    }
    if p > MAX_PRICE {
        errors.push(err(
            field,
            "too_large",
            format!("{field} price is implausibly large"),
        ));
        return None;
    }
    let dp = if p >= Decimal::ONE { 2 } else { 4 };
    if p.normalize().scale() > dp {
        errors.push(err(
            field,
            "sub_penny_increment",
            format!("{field} price may have at most {dp} decimal places at this price level"),
        ));
        return None;
    }
    Some(p)
}

fn parse_type(
    raw: &RawOrder,
    limit: Option<Decimal>,
    stop: Option<Decimal>,
    errors: &mut Vec<SpecError>,
) -> Option<OrderType> {
    let (needs_limit, needs_stop) = match raw.order_type.as_str() {
        "market" => (false, false),
        "limit" => (true, false),
        "stop" => (false, true),
        "stop_limit" => (true, true),
        _ => {
            errors.push(err(
                "order_type",
                "invalid",
                "order type must be market, limit, stop or stop_limit",
            ));
            return None;
        }
    };
    let kind = raw.order_type.as_str();
    for (field, needed, given) in [
        ("limit", needs_limit, raw.limit.is_some()),
        ("stop", needs_stop, raw.stop.is_some()),
    ] {
        if needed && !given {
            errors.push(err(
                field,
                "required",
                format!("a {kind} order needs a {field} price"),
            ));
        } else if !needed && given {
            errors.push(err(
                field,
                "not_allowed",
                format!("a {kind} order takes no {field} price"),
            ));
        }
    }
    match kind {
        "market" => Some(OrderType::Market),
        "limit" => Some(OrderType::Limit { limit: limit? }),
        "stop" => Some(OrderType::Stop { stop: stop? }),
        _ => Some(OrderType::StopLimit {
            stop: stop?,
            limit: limit?,
        }),
    }
}

fn parse_size(raw: &RawOrder, errors: &mut Vec<SpecError>) -> Option<Size> {
    match (raw.qty, raw.notional) {
        (Some(_), Some(_)) => {
            errors.push(err(
                "qty",
                "conflict",
                "give either a quantity or a notional amount, not both",
            ));
            None
        }
        (None, None) => {
            errors.push(err(
                "qty",
                "required",
                "give a quantity or a notional amount",
            ));
            None
        }
        (Some(q), None) => check_qty("qty", q, errors).map(Size::Quantity),
        (None, Some(n)) => {
            if n <= Decimal::ZERO {
                errors.push(err(
                    "notional",
                    "not_positive",
                    "notional amount must be above zero",
                ));
            } else if n < MIN_NOTIONAL {
                errors.push(err("notional", "too_small", "notional orders start at $1"));
            } else if n > MAX_NOTIONAL {
                errors.push(err(
                    "notional",
                    "too_large",
                    "notional amount is implausibly large",
                ));
            } else if n.normalize().scale() > 2 {
                errors.push(err(
                    "notional",
                    "too_many_decimals",
                    "notional amount is in cents",
                ));
            } else {
                return Some(Size::Notional(n));
            }
            None
        }
    }
}

fn check_qty(field: &'static str, q: Decimal, errors: &mut Vec<SpecError>) -> Option<Decimal> {
    if q <= Decimal::ZERO {
        errors.push(err(field, "not_positive", "quantity must be above zero"));
    } else if q > MAX_QTY {
        errors.push(err(field, "too_large", "quantity is implausibly large"));
    } else if q.normalize().scale() > QTY_DP {
        errors.push(err(
            field,
            "too_many_decimals",
            format!("quantity may have at most {QTY_DP} decimal places"),
        ));
    } else {
        return Some(q);
    }
    None
}

/// Rules that tie type, time in force and size together (Alpaca's).
fn check_combination(
    t: OrderType,
    tif: TimeInForce,
    size: Option<Size>,
    errors: &mut Vec<SpecError>,
) {
    // A stop order waits for its trigger, which an immediate order cannot do.
    if tif.is_immediate() && !matches!(t, OrderType::Market | OrderType::Limit { .. }) {
        errors.push(err(
            "tif",
            "not_allowed",
            "ioc and fok are only for market and limit orders: a stop order has to wait for its trigger",
        ));
    }
    match size {
        Some(Size::Notional(_)) if t != OrderType::Market || tif != TimeInForce::Day => {
            errors.push(err(
                "notional",
                "not_allowed",
                "notional (dollar-amount) orders must be market day orders",
            ));
        }
        Some(Size::Quantity(q)) if !q.is_integer() && tif != TimeInForce::Day => {
            errors.push(err(
                "tif",
                "fractional_not_day",
                "fractional quantities must be day orders",
            ));
        }
        _ => {}
    }
}

/// A cancel-and-replace request: each `Some` field changes; `None` keeps the old value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawReplace {
    /// The new total quantity (including what has already filled).
    pub qty: Option<Decimal>,
    pub limit: Option<Decimal>,
    pub stop: Option<Decimal>,
    pub tif: Option<String>,
}

/// Validates a cancel-and-replace against an open order.
///
/// On success returns the replacement order's spec, whose quantity is the *remaining*
/// quantity (new total − already filled): the app cancels the old order with
/// [`Reason::Replaced`] and submits this spec as a new order. The replacement goes to
/// the back of the queue (a fresh [`OrderState`]), as a real modification does.
/// Market and notional orders cannot be replaced: they never rest.
pub fn replace(
    spec: &OrderSpec,
    state: &OrderState,
    req: &RawReplace,
) -> Result<OrderSpec, Vec<SpecError>> {
    let mut errors = Vec::new();
    if state.status.is_terminal() {
        errors.push(err(
            "order",
            "not_open",
            "only an open order can be replaced",
        ));
    }
    let old_qty = match spec.size {
        Size::Quantity(q) => Some(q),
        Size::Notional(_) => None,
    };
    if old_qty.is_none() || spec.order_type == OrderType::Market {
        errors.push(err(
            "order",
            "not_replaceable",
            "market and notional orders can't be replaced",
        ));
    }
    let tif = match &req.tif {
        None => Some(spec.tif),
        Some(s) => {
            let t = TimeInForce::parse(s);
            if t.is_none() {
                errors.push(err(
                    "tif",
                    "invalid",
                    "time in force must be day, gtc, ioc or fok",
                ));
            }
            t
        }
    };
    let total = req
        .qty
        .map_or(old_qty, |q| check_qty("qty", q, &mut errors));
    let remaining = total.map(|t| t - state.filled_qty);
    if req.qty.is_some() && remaining.is_some_and(|r| r <= Decimal::ZERO) {
        errors.push(err(
            "qty",
            "not_above_filled",
            "the new quantity must exceed what has already filled",
        ));
    }
    let new_price = |field: &'static str,
                     old: Option<Decimal>,
                     given: Option<Decimal>,
                     errors: &mut Vec<SpecError>| match (old, given) {
        (_, None) => old,
        (None, Some(_)) => {
            errors.push(err(
                field,
                "not_allowed",
                format!("this order type has no {field} price"),
            ));
            None
        }
        (Some(_), Some(p)) => check_price(field, p, errors),
    };
    let limit = new_price("limit", spec.order_type.limit(), req.limit, &mut errors);
    let stop = new_price("stop", spec.order_type.stop(), req.stop, &mut errors);
    let order_type = match spec.order_type {
        OrderType::Market => None,
        OrderType::Limit { .. } => limit.map(|limit| OrderType::Limit { limit }),
        OrderType::Stop { .. } => stop.map(|stop| OrderType::Stop { stop }),
        OrderType::StopLimit { .. } => limit
            .zip(stop)
            .map(|(limit, stop)| OrderType::StopLimit { stop, limit }),
    };
    let size = remaining.filter(|r| *r > Decimal::ZERO).map(Size::Quantity);
    if let (Some(t), Some(tif)) = (order_type, tif) {
        check_combination(t, tif, size, &mut errors);
    }
    match (order_type, tif, size) {
        (Some(order_type), Some(tif), Some(size)) if errors.is_empty() => Ok(OrderSpec {
            side: spec.side,
            order_type,
            tif,
            size,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
#[path = "order_tests.rs"]
mod tests;
