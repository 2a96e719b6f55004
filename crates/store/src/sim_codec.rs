//! The simulator's rows, shared by both backends so they store exactly the same values:
//! each enum as its stable `as_str` name, each order as flat columns. Decoding checks
//! every name, so a corrupt row is an error, never a silently different order.

use crate::StoreError;
use nexus_domain::sim::{
    ClientOrderId, FillId, FillRecord, OrderId, OrderRecord, PortfolioId, SimSettings, Symbol,
};
use nexus_trading::engine::{Fill, OrderState};
use nexus_trading::order::{OrderSpec, RawOrder, Reason, Side, Size, Status};
use nexus_trading::realism::Realism;
use nexus_trading::rules::Rules;
use rust_decimal::Decimal;
use time::OffsetDateTime;

fn corrupt(what: &'static str, value: &str) -> StoreError {
    StoreError::other(
        "decoding a simulator row",
        format!("unknown {what} {value:?}"),
    )
}

/// Parses a side.
pub fn side(raw: &str) -> Result<Side, StoreError> {
    Side::parse(raw).ok_or_else(|| corrupt("side", raw))
}

/// An order as columns.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRow {
    /// `order_id`.
    pub id: OrderId,
    /// `portfolio_id`.
    pub portfolio: PortfolioId,
    /// `client_order_id`.
    pub client_order_id: Option<String>,
    /// `symbol`.
    pub symbol: String,
    /// `side`.
    pub side: String,
    /// `order_type`.
    pub order_type: String,
    /// `limit_price`.
    pub limit_price: Option<Decimal>,
    /// `stop_price`.
    pub stop_price: Option<Decimal>,
    /// `time_in_force`.
    pub time_in_force: String,
    /// `qty`: the order's quantity (for a notional order, fixed at submission).
    pub qty: Decimal,
    /// `notional`.
    pub notional: Option<Decimal>,
    /// `status`.
    pub status: String,
    /// `reason`.
    pub reason: Option<String>,
    /// `filled_qty`.
    pub filled_qty: Decimal,
    /// `filled_value`.
    pub filled_value: Decimal,
    /// `fees`.
    pub fees: Decimal,
    /// `triggered`.
    pub triggered: bool,
    /// `queue_ahead`.
    pub queue_ahead: Option<Decimal>,
    /// `replaces`.
    pub replaces: Option<OrderId>,
    /// `trading_day`.
    pub trading_day: i32,
    /// `created_at`.
    pub created_at: OffsetDateTime,
    /// `updated_at`.
    pub updated_at: OffsetDateTime,
}

impl OrderRow {
    /// The columns of a record.
    pub fn from_record(o: &OrderRecord) -> Self {
        let kind = o.spec.order_type();
        let notional = match o.spec.size() {
            Size::Quantity(_) => None,
            Size::Notional(n) => Some(n),
        };
        Self {
            id: o.id,
            portfolio: o.portfolio,
            client_order_id: o.client_order_id.as_ref().map(|c| c.as_str().to_owned()),
            symbol: o.symbol.as_str().to_owned(),
            side: o.spec.side().as_str().to_owned(),
            order_type: kind.kind().to_owned(),
            limit_price: kind.limit(),
            stop_price: kind.stop(),
            time_in_force: o.spec.tif().as_str().to_owned(),
            qty: o.state.qty,
            notional,
            status: o.state.status.as_str().to_owned(),
            reason: o.state.reason.map(|r| r.as_str().to_owned()),
            filled_qty: o.state.filled_qty,
            filled_value: o.state.filled_value,
            fees: o.state.fees,
            triggered: o.state.triggered,
            queue_ahead: o.state.queue_ahead,
            replaces: o.replaces,
            trading_day: o.trading_day,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }

    /// The record these columns hold. The spec is re-validated through
    /// [`OrderSpec::parse`], the only way to build one, so a corrupt row is an error.
    pub fn into_record(self) -> Result<OrderRecord, StoreError> {
        let raw = RawOrder {
            side: self.side,
            order_type: self.order_type,
            tif: self.time_in_force,
            qty: self.notional.is_none().then_some(self.qty),
            notional: self.notional,
            limit: self.limit_price,
            stop: self.stop_price,
        };
        let spec = OrderSpec::parse(&raw).map_err(|errors| {
            let first = errors.first().map_or("", |e| e.code);
            corrupt("order", first)
        })?;
        let status =
            Status::parse(&self.status).ok_or_else(|| corrupt("order status", &self.status))?;
        let reason = match self.reason.as_deref() {
            None => None,
            Some(r) => Some(Reason::parse(r).ok_or_else(|| corrupt("order reason", r))?),
        };
        Ok(OrderRecord {
            id: self.id,
            portfolio: self.portfolio,
            client_order_id: self.client_order_id.map(ClientOrderId::from_stored),
            symbol: Symbol::from_stored(self.symbol),
            spec,
            state: OrderState {
                status,
                qty: self.qty,
                filled_qty: self.filled_qty,
                filled_value: self.filled_value,
                fees: self.fees,
                triggered: self.triggered,
                queue_ahead: self.queue_ahead,
                reason,
            },
            replaces: self.replaces,
            trading_day: self.trading_day,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// A fill as columns.
#[derive(Debug, Clone, PartialEq)]
pub struct FillRow {
    /// `fill_id`.
    pub id: FillId,
    /// `order_id`.
    pub order: OrderId,
    /// `portfolio_id`.
    pub portfolio: PortfolioId,
    /// `symbol`.
    pub symbol: String,
    /// `side`.
    pub side: String,
    /// `qty`.
    pub qty: Decimal,
    /// `price`.
    pub price: Decimal,
    /// `gross`.
    pub gross: Decimal,
    /// `fee`.
    pub fee: Decimal,
    /// `spread_cost`.
    pub spread_cost: Decimal,
    /// `slippage`.
    pub slippage: Decimal,
    /// `explanation`.
    pub explanation: String,
    /// `trading_day`.
    pub trading_day: i32,
    /// `created_at`.
    pub created_at: OffsetDateTime,
}

impl FillRow {
    /// The columns of a record.
    pub fn from_record(f: &FillRecord) -> Self {
        Self {
            id: f.id,
            order: f.order,
            portfolio: f.portfolio,
            symbol: f.symbol.as_str().to_owned(),
            side: f.side.as_str().to_owned(),
            qty: f.fill.qty,
            price: f.fill.price,
            gross: f.fill.gross,
            fee: f.fill.fee,
            spread_cost: f.fill.spread_cost,
            slippage: f.fill.slippage,
            explanation: f.fill.explanation.clone(),
            trading_day: f.trading_day,
            created_at: f.created_at,
        }
    }

    /// The record these columns hold.
    pub fn into_record(self) -> Result<FillRecord, StoreError> {
        Ok(FillRecord {
            id: self.id,
            order: self.order,
            portfolio: self.portfolio,
            symbol: Symbol::from_stored(self.symbol),
            side: side(&self.side)?,
            fill: Fill {
                qty: self.qty,
                price: self.price,
                gross: self.gross,
                fee: self.fee,
                spread_cost: self.spread_cost,
                slippage: self.slippage,
                explanation: self.explanation,
            },
            trading_day: self.trading_day,
            created_at: self.created_at,
        })
    }
}

/// Settings as columns: `(starting_cash, realism, allow_short, margin,
/// pattern_day_trader, allow_extended_hours)`.
pub fn settings_row(s: &SimSettings) -> (Decimal, &'static str, bool, bool, bool, bool) {
    (
        s.starting_cash,
        s.realism.as_str(),
        s.rules.allow_short,
        s.rules.margin,
        s.rules.pattern_day_trader,
        s.rules.allow_extended_hours,
    )
}

/// Settings from columns: the realism preset by name, the rules as read.
pub fn settings_from(
    starting_cash: Decimal,
    realism: &str,
    rules: Rules,
) -> Result<SimSettings, StoreError> {
    Ok(SimSettings {
        starting_cash,
        realism: Realism::parse(realism).ok_or_else(|| corrupt("realism", realism))?,
        rules,
    })
}

/// Parses decimal text (SQLite keeps money as text: it has no exact numeric type).
pub fn decimal(raw: &str) -> Result<Decimal, StoreError> {
    raw.parse::<Decimal>().map_err(|_| corrupt("decimal", raw))
}

/// The competition's allowed symbols as stored (comma-separated; symbols never contain
/// commas).
pub fn symbols_text(symbols: &[Symbol]) -> String {
    symbols
        .iter()
        .map(Symbol::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

/// The allowed symbols from their stored text.
pub fn symbols_from(text: &str) -> Vec<Symbol> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| Symbol::from_stored(s.to_owned()))
        .collect()
}
