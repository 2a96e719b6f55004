//! Wire shapes of the simulator. Money and quantities are decimal strings (exact; JSON
//! numbers would round-trip through floats in many clients).

use nexus_app::sim::{PortfolioView, PositionView};
use nexus_domain::sim::{FillRecord, OrderRecord, PortfolioRecord};
use nexus_market::{Quote, TimedBar};
use serde::Serialize;
use time::OffsetDateTime;

fn s(d: rust_decimal::Decimal) -> String {
    d.normalize().to_string()
}

#[derive(Serialize)]
pub(crate) struct OrderOut {
    id: String,
    portfolio_id: String,
    client_order_id: Option<String>,
    symbol: String,
    side: &'static str,
    #[serde(rename = "type")]
    order_type: &'static str,
    time_in_force: &'static str,
    qty: String,
    notional: Option<String>,
    limit_price: Option<String>,
    stop_price: Option<String>,
    status: &'static str,
    reason: Option<&'static str>,
    reason_message: Option<&'static str>,
    filled_qty: String,
    filled_avg_price: Option<String>,
    fees: String,
    triggered: bool,
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

#[derive(Serialize)]
pub(crate) struct FillOut {
    id: String,
    order_id: String,
    symbol: String,
    side: &'static str,
    qty: String,
    price: String,
    gross: String,
    fee: String,
    spread_cost: String,
    slippage: String,
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

#[derive(Serialize)]
pub(crate) struct PortfolioOut {
    id: String,
    competition_id: Option<String>,
    cash: String,
    starting_cash: String,
    realized_pnl: String,
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

#[derive(Serialize)]
pub(crate) struct PositionOut {
    symbol: String,
    qty: String,
    cost_basis: String,
    price: Option<String>,
    market_value: String,
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

#[derive(Serialize)]
pub(crate) struct ValuedOut {
    #[serde(flatten)]
    portfolio: PortfolioOut,
    positions: Vec<PositionOut>,
    market_value: String,
    equity: String,
    unrealized_pnl: String,
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

#[derive(Serialize)]
pub(crate) struct QuoteOut {
    bid: String,
    ask: String,
    last: String,
    market_open: bool,
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

#[derive(Serialize)]
pub(crate) struct BarOut {
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    start: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<String>,
    open: String,
    high: String,
    low: String,
    close: String,
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
