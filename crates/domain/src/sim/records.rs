//! Persisted simulator records.

use super::{CompetitionId, FillId, LedgerTxnId, OrderId, PortfolioId};
use crate::UserId;
use crate::validation::{FieldError, invalid};
use nexus_trading::engine::{Fill, OrderState};
use nexus_trading::order::{OrderSpec, Side};
use nexus_trading::realism::Realism;
use nexus_trading::rules::Rules;
use rust_decimal::Decimal;
use serde::Serialize;
use time::{Date, OffsetDateTime};

/// An instrument's ticker: 1–12 uppercase letters, digits, `.` or `-`. Whether it is
/// listed is the market's business; this only keeps junk out of storage and logs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Symbol(String);

impl Symbol {
    /// Parses a symbol, upper-casing it.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim().to_ascii_uppercase();
        let ok = (1..=12).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
        if ok {
            Ok(Self(s))
        } else {
            Err(invalid(
                "invalid_symbol",
                "must be 1 to 12 letters, digits, '.' or '-'",
            ))
        }
    }
    /// Wraps a symbol read from storage (written by [`Symbol::parse`]).
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
    /// The ticker.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Symbol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The caller's idempotency key for an order: 1–64 printable ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ClientOrderId(String);

impl ClientOrderId {
    /// Parses a key.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let ok = (1..=64).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(invalid(
                "invalid_client_order_id",
                "must be 1 to 64 printable ASCII characters without spaces",
            ))
        }
    }
    /// Wraps a key read from storage.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A tenant's simulator settings; [`SimSettings::default`] applies until an admin saves
/// their own.
#[derive(Debug, Clone, PartialEq)]
pub struct SimSettings {
    /// Virtual cash a new practice portfolio starts with.
    pub starting_cash: Decimal,
    /// How faithfully fills model a real market.
    pub realism: Realism,
    /// Short selling, margin, the pattern-day-trader rule, extended hours.
    pub rules: Rules,
}

impl Default for SimSettings {
    fn default() -> Self {
        Self {
            starting_cash: Decimal::new(100_000, 0),
            realism: Realism::Standard(nexus_trading::realism::Commission::default()),
            rules: Rules::default(),
        }
    }
}

/// A portfolio and its running totals.
#[derive(Debug, Clone, PartialEq)]
pub struct PortfolioRecord {
    /// Identity.
    pub id: PortfolioId,
    /// Its learner.
    pub user: UserId,
    /// The competition it belongs to; `None` for free practice.
    pub competition: Option<CompetitionId>,
    /// Cash (may go negative only with margin).
    pub cash: Decimal,
    /// What it was funded with.
    pub starting_cash: Decimal,
    /// Realized profit and loss so far.
    pub realized_pnl: Decimal,
    /// Fees paid so far.
    pub fees_paid: Decimal,
    /// Opened.
    pub created_at: OffsetDateTime,
    /// Last changed.
    pub updated_at: OffsetDateTime,
}

/// A holding.
#[derive(Debug, Clone, PartialEq)]
pub struct PositionRecord {
    /// Instrument.
    pub symbol: Symbol,
    /// Signed quantity: negative is short.
    pub qty: Decimal,
    /// Total cost of the open quantity (average-cost basis).
    pub cost_basis: Decimal,
    /// Last changed.
    pub updated_at: OffsetDateTime,
}

/// An order and where it is in its lifecycle.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRecord {
    /// Identity.
    pub id: OrderId,
    /// The account it trades for.
    pub portfolio: PortfolioId,
    /// The caller's idempotency key.
    pub client_order_id: Option<ClientOrderId>,
    /// Instrument.
    pub symbol: Symbol,
    /// What was asked for.
    pub spec: OrderSpec,
    /// What has happened to it.
    pub state: OrderState,
    /// The order this one replaced (cancel and replace).
    pub replaces: Option<OrderId>,
    /// Trading day it was placed on (day orders expire at that session's close).
    pub trading_day: i32,
    /// Placed.
    pub created_at: OffsetDateTime,
    /// Last changed.
    pub updated_at: OffsetDateTime,
}

/// One execution.
#[derive(Debug, Clone, PartialEq)]
pub struct FillRecord {
    /// Identity.
    pub id: FillId,
    /// The order it filled.
    pub order: OrderId,
    /// The order's portfolio.
    pub portfolio: PortfolioId,
    /// Instrument.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Quantity, price, costs and the learner-readable explanation.
    pub fill: Fill,
    /// Trading day of the execution (for the pattern-day-trader rule).
    pub trading_day: i32,
    /// Executed.
    pub created_at: OffsetDateTime,
}

/// One ledger posting; the postings of a transaction sum to zero.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerRecord {
    /// The balanced transaction it belongs to.
    pub txn: LedgerTxnId,
    /// Ledger account (`cash`, `fees`, `funding`, `securities:SYM`, …).
    pub account: String,
    /// Signed amount.
    pub amount: Decimal,
    /// The order whose fill it records, if any.
    pub order: Option<OrderId>,
    /// Posted.
    pub at: OffsetDateTime,
}

/// One day of imported OHLCV data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedBar {
    /// Date.
    pub day: Date,
    /// Open.
    pub open: Decimal,
    /// High.
    pub high: Decimal,
    /// Low.
    pub low: Decimal,
    /// Close.
    pub close: Decimal,
    /// Shares traded.
    pub volume: i64,
}

/// A learner's order update, numbered for Server-Sent Events resume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimEvent {
    /// Monotonic per database; the SSE `id`.
    pub id: i64,
    /// Event name (`order`, `fill`).
    pub kind: String,
    /// JSON body.
    pub payload: String,
    /// Recorded.
    pub at: OffsetDateTime,
}
