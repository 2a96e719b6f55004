//! Wire shapes of the simulator. Money and quantities are decimal strings (exact; JSON
//! numbers would round-trip through floats in many clients).

use nexus_app::sim::{PortfolioView, PositionView};
use nexus_domain::sim::{FillRecord, OrderRecord, PortfolioRecord};
use nexus_market::{Quote, TimedBar};
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

fn s(d: rust_decimal::Decimal) -> String {
    d.normalize().to_string()
}

/// An order of the simulator (virtual money).
#[derive(Serialize, ToSchema)]
#[schema(as = SimOrder)]
pub(crate) struct OrderOut {
    /// The order's ID.
    id: String,
    /// The portfolio it trades for.
    portfolio_id: String,
    /// The caller's idempotency key, if one was given.
    client_order_id: Option<String>,
    /// The instrument's ticker.
    symbol: String,
    /// `buy` or `sell`.
    side: &'static str,
    /// `market`, `limit`, `stop` or `stop_limit`.
    #[serde(rename = "type")]
    order_type: &'static str,
    /// `day`, `gtc`, `ioc` or `fok`.
    time_in_force: &'static str,
    /// Total quantity (decimal string); for a notional order, fixed at submission.
    qty: String,
    /// The amount of money to trade (decimal string), on notional orders only.
    notional: Option<String>,
    /// Limit price (decimal string), on `limit` and `stop_limit` orders.
    limit_price: Option<String>,
    /// Stop price (decimal string), on `stop` and `stop_limit` orders.
    stop_price: Option<String>,
    /// `new`, `accepted`, `partially_filled`, `filled`, `canceled`, `expired` or
    /// `rejected`.
    status: &'static str,
    /// Why it was rejected, canceled or expired: `insufficient_buying_power`,
    /// `insufficient_position`, `short_selling_disabled`, `market_closed`,
    /// `pattern_day_trader`, `fok_not_fillable`, `ioc_unfilled_remainder`,
    /// `day_order_expired`, `canceled_by_user`, `replaced`, `instrument_not_allowed`,
    /// `no_liquidity`, `notional_too_small` or `competition_ended`.
    reason: Option<&'static str>,
    /// The reason explained in plain English for the learner.
    reason_message: Option<&'static str>,
    /// Quantity filled so far (decimal string).
    filled_qty: String,
    /// Average fill price (decimal string), once something filled.
    filled_avg_price: Option<String>,
    /// Fees charged so far (decimal string).
    fees: String,
    /// Whether a stop order's stop price has been reached.
    triggered: bool,
    /// The order this one replaced (cancel and replace).
    replaces: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
}

impl From<&OrderRecord> for OrderOut {
    fn from(o: &OrderRecord) -> Self {
        let kind = o.spec.order_type();
        Self {
            id: o.id.to_string(),
            portfolio_id: o.portfolio.to_string(),
            client_order_id: o.client_order_id.as_ref().map(|c| c.as_str().to_owned()),
            symbol: o.symbol.as_str().to_owned(),
            side: o.spec.side().as_str(),
            order_type: kind.kind(),
            time_in_force: o.spec.tif().as_str(),
            qty: s(o.state.qty),
            notional: match o.spec.size() {
                nexus_trading::order::Size::Notional(n) => Some(s(n)),
                nexus_trading::order::Size::Quantity(_) => None,
            },
            limit_price: kind.limit().map(s),
            stop_price: kind.stop().map(s),
            status: o.state.status.as_str(),
            reason: o.state.reason.map(nexus_trading::order::Reason::as_str),
            reason_message: o.state.reason.map(nexus_trading::order::Reason::message),
            filled_qty: s(o.state.filled_qty),
            filled_avg_price: o.state.average_price().map(s),
            fees: s(o.state.fees),
            triggered: o.state.triggered,
            replaces: o.replaces.map(|r| r.to_string()),
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

/// One execution of an order. Amounts are decimal strings.
#[derive(Serialize, ToSchema)]
#[schema(as = SimFill)]
pub(crate) struct FillOut {
    /// The fill's ID.
    id: String,
    /// The order it executes.
    order_id: String,
    /// The instrument's ticker.
    symbol: String,
    /// `buy` or `sell`.
    side: &'static str,
    /// Quantity filled.
    qty: String,
    /// Price per unit.
    price: String,
    /// Quantity times price.
    gross: String,
    /// Commission charged.
    fee: String,
    /// What crossing the bid/ask spread cost.
    spread_cost: String,
    /// What the price moved against the order while it filled.
    slippage: String,
    /// How the fill came about, in plain English.
    explanation: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
}

impl From<&FillRecord> for FillOut {
    fn from(f: &FillRecord) -> Self {
        Self {
            id: f.id.to_string(),
            order_id: f.order.to_string(),
            symbol: f.symbol.as_str().to_owned(),
            side: f.side.as_str(),
            qty: s(f.fill.qty),
            price: s(f.fill.price),
            gross: s(f.fill.gross),
            fee: s(f.fill.fee),
            spread_cost: s(f.fill.spread_cost),
            slippage: s(f.fill.slippage),
            explanation: f.fill.explanation.clone(),
            created_at: f.created_at,
        }
    }
}

/// A portfolio (a paper-trading account in virtual money). Amounts are decimal
/// strings.
#[derive(Serialize, ToSchema)]
#[schema(as = SimPortfolio)]
pub(crate) struct PortfolioOut {
    /// The portfolio's ID.
    id: String,
    /// The competition it was entered in; absent for the practice portfolio.
    competition_id: Option<String>,
    /// Cash now.
    cash: String,
    /// Cash it started with.
    starting_cash: String,
    /// Profit or loss of closed positions.
    realized_pnl: String,
    /// Fees paid in all.
    fees_paid: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
}

impl From<&PortfolioRecord> for PortfolioOut {
    fn from(p: &PortfolioRecord) -> Self {
        Self {
            id: p.id.to_string(),
            competition_id: p.competition.map(|c| c.to_string()),
            cash: s(p.cash),
            starting_cash: s(p.starting_cash),
            realized_pnl: s(p.realized_pnl),
            fees_paid: s(p.fees_paid),
            created_at: p.created_at,
        }
    }
}

/// A holding, valued at the current quote. Amounts are decimal strings.
#[derive(Serialize, ToSchema)]
#[schema(as = SimPosition)]
pub(crate) struct PositionOut {
    /// The instrument's ticker.
    symbol: String,
    /// Quantity held (negative when short).
    qty: String,
    /// What the holding cost.
    cost_basis: String,
    /// The current price, when the instrument has a quote.
    price: Option<String>,
    /// Quantity times price (the cost basis when there is no price).
    market_value: String,
    /// Market value minus cost basis.
    unrealized_pnl: String,
}

impl From<&PositionView> for PositionOut {
    fn from(p: &PositionView) -> Self {
        Self {
            symbol: p.symbol.clone(),
            qty: s(p.qty),
            cost_basis: s(p.cost_basis),
            price: p.price.map(s),
            market_value: s(p.market_value),
            unrealized_pnl: s(p.unrealized_pnl),
        }
    }
}

/// A portfolio valued at current quotes. Amounts are decimal strings.
#[derive(Serialize, ToSchema)]
#[schema(as = SimPortfolioValued)]
pub(crate) struct ValuedOut {
    #[serde(flatten)]
    portfolio: PortfolioOut,
    /// The holdings.
    positions: Vec<PositionOut>,
    /// The holdings' total market value.
    market_value: String,
    /// Cash plus market value.
    equity: String,
    /// The holdings' total unrealized profit or loss.
    unrealized_pnl: String,
    /// What new orders may still spend (before open orders' reservations).
    buying_power: String,
}

impl From<&PortfolioView> for ValuedOut {
    fn from(v: &PortfolioView) -> Self {
        Self {
            portfolio: (&v.record).into(),
            positions: v.positions.iter().map(PositionOut::from).collect(),
            market_value: s(v.market_value),
            equity: s(v.equity),
            unrealized_pnl: s(v.unrealized_pnl),
            buying_power: s(v.buying_power),
        }
    }
}

/// A simulated quote. Prices are decimal strings.
#[derive(Serialize, ToSchema)]
#[schema(as = SimQuote)]
pub(crate) struct QuoteOut {
    /// Best bid.
    bid: String,
    /// Best ask.
    ask: String,
    /// Last traded price.
    last: String,
    /// Whether the instrument's market is in session.
    market_open: bool,
    /// When the quote holds.
    #[serde(with = "time::serde::rfc3339")]
    as_of: OffsetDateTime,
}

impl From<&Quote> for QuoteOut {
    fn from(q: &Quote) -> Self {
        Self {
            bid: s(q.bid),
            ask: s(q.ask),
            last: s(q.last),
            market_open: q.open,
            as_of: q.as_of,
        }
    }
}

/// An OHLCV bar. Prices are decimal strings.
#[derive(Serialize, ToSchema)]
#[schema(as = SimBar)]
pub(crate) struct BarOut {
    /// When the bar starts (on `/sim/instruments/{symbol}/bars`; absent elsewhere).
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    start: Option<OffsetDateTime>,
    /// The session's date, `YYYY-MM-DD` (on imported bars only).
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<String>,
    /// Opening price.
    open: String,
    /// Highest price.
    high: String,
    /// Lowest price.
    low: String,
    /// Closing price.
    close: String,
    /// Units traded.
    volume: u64,
}

impl BarOut {
    pub(crate) fn timed(b: &TimedBar) -> Self {
        Self::plain(&b.bar, Some(b.start), None)
    }
    pub(crate) fn plain(
        b: &nexus_market::Bar,
        start: Option<OffsetDateTime>,
        date: Option<String>,
    ) -> Self {
        Self {
            start,
            date,
            open: s(b.open),
            high: s(b.high),
            low: s(b.low),
            close: s(b.close),
            volume: b.volume,
        }
    }
}
