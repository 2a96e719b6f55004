//! Account rules: what the learner's portfolio allows ([`Rules`]), what the engine needs
//! to know about the account ([`Holdings`]), and the acceptance and fill-time checks.
//!
//! Buying power (the single rule behind every cash check): an order may fill if, after
//! it, buying power is still at least zero — or if it only reduces an existing position
//! (never blocked, so a learner can always get out), which without margin still needs
//! cash to stay at or above zero.
//! - **Cash account** (`margin: false`): buying power = cash − open-buy reservations −
//!   2 × short market value. Short-sale proceeds stay locked, and as much cash again is
//!   held as collateral, so shorting uses buying power and cash can never go negative.
//! - **Margin** (`margin: true`, Reg T style): buying power = 2 × equity − long value −
//!   short value − reservations, i.e. gross exposure up to twice equity (50% initial
//!   margin). Because new exposure needs 50% equity, an account that can still add to
//!   it is far above the usual 25% maintenance level. The engine does not liquidate:
//!   `account::Portfolio::margin_call` tells the app when equity falls below
//!   [`MAINTENANCE_MARGIN`] of gross exposure.

use rust_decimal::Decimal;

use crate::engine::{Ctx, estimated_price};
use crate::order::{OrderType, Reason, Side};
use crate::realism::cents;

/// Margin accounts: equity must stay at least this share of gross exposure, or the app
/// should issue a margin call (`account::Portfolio::margin_call`).
pub const MAINTENANCE_MARGIN: Decimal = Decimal::from_parts(25, 0, 0, false, 2);
/// Equity below which the pattern-day-trader rule applies.
pub const PDT_EQUITY: Decimal = Decimal::from_parts(25_000, 0, 0, false, 0);
/// Day trades allowed in five trading days under the PDT rule before the next one is
/// refused.
pub const PDT_MAX_DAY_TRADES: u32 = 3;

/// What a portfolio allows. All off by default: a cash account, long only, regular
/// hours, no PDT check.
#[allow(clippy::struct_excessive_bools)] // four independent switches, stored as columns
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rules {
    pub allow_short: bool,
    pub margin: bool,
    pub pattern_day_trader: bool,
    pub allow_extended_hours: bool,
}

/// The account as the engine needs to see it, for the order's instrument. The app
/// computes it (see `account::Portfolio::holdings`), excluding the order being worked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Holdings {
    pub cash: Decimal,
    /// Signed quantity of this instrument held (negative = short).
    pub position: Decimal,
    /// Market value of long positions in *other* instruments.
    pub other_long_value: Decimal,
    /// Market value (positive) of short positions in other instruments.
    pub other_short_value: Decimal,
    /// Cash reserved by other open buy orders (sum of `engine::reserved_cash`).
    pub open_buy_commitment: Decimal,
    /// Shares of this instrument already in other open sell orders.
    pub open_sell_qty: Decimal,
    /// Day trades in the last five trading days (for the PDT rule).
    pub day_trades_last_5_days: u32,
    /// Signed quantity of this instrument opened today and still held: trading against
    /// it is a day trade.
    pub opened_today: Decimal,
}

impl Holdings {
    /// Equity with this instrument valued at `price`.
    pub fn equity(&self, price: Decimal) -> Decimal {
        self.cash + self.other_long_value - self.other_short_value + self.position * price
    }

    /// Buying power with this instrument valued at `price` (may be negative after
    /// adverse moves).
    pub fn buying_power(&self, rules: &Rules, price: Decimal) -> Decimal {
        let long = self.other_long_value + self.position.max(Decimal::ZERO) * price;
        let short = self.other_short_value + (-self.position).max(Decimal::ZERO) * price;
        if rules.margin {
            Decimal::TWO * (self.cash + long - short) - long - short - self.open_buy_commitment
        } else {
            self.cash - self.open_buy_commitment - Decimal::TWO * short
        }
    }

    /// Whether trading `side` now closes part of a position opened today.
    pub fn is_day_trade(&self, side: Side) -> bool {
        match side {
            Side::Buy => self.opened_today < Decimal::ZERO,
            Side::Sell => self.opened_today > Decimal::ZERO,
        }
    }
}

/// Acceptance checks at submission, in the order a broker applies them.
pub(crate) fn check_submission(c: &Ctx<'_>, qty: Decimal) -> Result<(), Reason> {
    let (spec, m, h) = (c.spec, c.market, c.holdings);
    let immediate = spec.order_type() == OrderType::Market || spec.tif().is_immediate();
    let extended =
        c.rules.allow_extended_hours && matches!(spec.order_type(), OrderType::Limit { .. });
    if immediate && !m.open && !extended {
        return Err(Reason::MarketClosed);
    }
    if immediate && !m.is_usable() {
        return Err(Reason::NoLiquidity);
    }
    if qty <= Decimal::ZERO {
        return Err(Reason::NotionalTooSmall);
    }
    if c.rules.pattern_day_trader
        && h.is_day_trade(spec.side())
        && h.day_trades_last_5_days >= PDT_MAX_DAY_TRADES
        && h.equity(m.last) < PDT_EQUITY
    {
        return Err(Reason::PatternDayTrader);
    }
    let price = estimated_price(spec, qty, m, c.realism);
    let fee = c.realism.fee(qty, cents(qty * price));
    allowed_after(c, qty, price, fee)
}

/// The largest quantity up to `want` (in whole lots) that passes [`allowed_after`] at
/// the prices `price_of` gives, and the reason if that is less than `want`.
pub(crate) fn check_affordable(
    c: &Ctx<'_>,
    want: Decimal,
    lot: Decimal,
    price_of: impl Fn(Decimal) -> (Decimal, Decimal),
) -> (Decimal, Option<Reason>) {
    if want <= Decimal::ZERO {
        return (Decimal::ZERO, None);
    }
    let check = |q: Decimal| {
        let (price, fee) = price_of(q);
        allowed_after(c, q, price, fee)
    };
    let Err(reason) = check(want) else {
        return (want, None);
    };
    // Binary search over whole lots: `lo` always passes (zero trivially), `hi` fails.
    let (mut lo, mut hi) = (Decimal::ZERO, (want / lot).ceil());
    while hi - lo > Decimal::ONE {
        let mid = ((lo + hi) / Decimal::TWO).floor();
        if check(mid * lot).is_ok() {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo * lot, Some(reason))
}

/// Whether a fill of `q` at `price` with commission `fee` keeps the account within its
/// rules (see the module docs).
fn allowed_after(c: &Ctx<'_>, q: Decimal, price: Decimal, fee: Decimal) -> Result<(), Reason> {
    let (h, rules, side) = (c.holdings, c.rules, c.spec.side());
    let pos = match side {
        Side::Buy => h.position,
        Side::Sell => h.position - h.open_sell_qty,
    };
    let after = pos + side.sign() * q;
    if side == Side::Sell && !rules.allow_short && after < Decimal::ZERO {
        return Err(if pos > Decimal::ZERO {
            Reason::InsufficientPosition
        } else {
            Reason::ShortSellingDisabled
        });
    }
    let cash = h.cash - side.sign() * cents(q * price) - fee;
    let reduces = after.abs() <= pos.abs() && after * pos >= Decimal::ZERO;
    if reduces {
        return if rules.margin || cash >= Decimal::ZERO {
            Ok(())
        } else {
            Err(Reason::InsufficientBuyingPower)
        };
    }
    let next = Holdings {
        cash,
        position: after,
        ..h.clone()
    };
    if next.buying_power(rules, price) >= Decimal::ZERO && (rules.margin || cash >= Decimal::ZERO) {
        Ok(())
    } else {
        Err(Reason::InsufficientBuyingPower)
    }
}
