//! A learner's portfolio and its double-entry ledger.
//!
//! Invariants (property-tested):
//! - Every transaction's postings sum to exactly zero: money only moves between
//!   accounts. Positive amounts are debits, negative amounts credits.
//! - `Portfolio::cash` always equals the sum of all `Cash` postings, and each position's
//!   cost basis the sum of its `Securities` postings.
//! - Everything is in cents: fills' gross and fees are cents, and a partial close takes
//!   its share of the cost basis rounded to cents (a full close takes exactly all of it).
//!
//! Cost basis is average cost, signed: positive for a long position (what was paid),
//! negative for a short (what was received). Realized P&L is booked on every reduction,
//! before commission (commission goes to `Fees`); a fill that flips a position through
//! zero first closes the old position at the fill price, then opens the new one.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::engine::Fill;
use crate::order::Side;
use crate::realism::cents;
use crate::rules::{Holdings, MAINTENANCE_MARGIN, Rules};

/// A ledger account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LedgerAccount {
    /// The learner's cash.
    Cash,
    /// The cost basis of one instrument's position.
    Securities(String),
    /// Commissions paid.
    Fees,
    /// Realized profit (credit) or loss (debit).
    RealizedPnl,
    /// The outside "bank" that starting cash comes from.
    Funding,
}

impl LedgerAccount {
    /// The stored code: `cash`, `fees`, `realized_pnl`, `funding`, or
    /// `securities:<symbol>`.
    pub fn as_str(&self) -> String {
        match self {
            LedgerAccount::Cash => "cash".to_owned(),
            LedgerAccount::Securities(s) => format!("securities:{s}"),
            LedgerAccount::Fees => "fees".to_owned(),
            LedgerAccount::RealizedPnl => "realized_pnl".to_owned(),
            LedgerAccount::Funding => "funding".to_owned(),
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "cash" => Some(LedgerAccount::Cash),
            "fees" => Some(LedgerAccount::Fees),
            "realized_pnl" => Some(LedgerAccount::RealizedPnl),
            "funding" => Some(LedgerAccount::Funding),
            _ => s
                .strip_prefix("securities:")
                .filter(|sym| !sym.is_empty())
                .map(|sym| LedgerAccount::Securities(sym.to_owned())),
        }
    }
}

/// One line of a transaction: a debit (positive) or credit (negative).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    pub account: LedgerAccount,
    pub amount: Decimal,
}

/// A holding in one instrument.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Position {
    /// Signed quantity: negative for a short.
    pub qty: Decimal,
    /// Total signed cost basis, in cents.
    pub cost_basis: Decimal,
}

/// What the portfolio is worth at given prices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Valuation {
    pub cash: Decimal,
    /// Signed: shorts count negative.
    pub market_value: Decimal,
    pub equity: Decimal,
    pub unrealized_pnl: Decimal,
}

/// A learner's cash and positions, with running totals.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Portfolio {
    pub cash: Decimal,
    pub positions: BTreeMap<String, Position>,
    /// Realized profit and loss, before commissions.
    pub realized_pnl: Decimal,
    pub fees_paid: Decimal,
}

impl Portfolio {
    /// Adds starting (or extra) cash from the outside world.
    pub fn fund(&mut self, amount: Decimal) -> Vec<Posting> {
        let amount = cents(amount);
        self.cash += amount;
        postings(vec![
            (LedgerAccount::Cash, amount),
            (LedgerAccount::Funding, -amount),
        ])
    }

    /// Books one fill and returns its balanced postings.
    pub fn apply(&mut self, symbol: &str, side: Side, fill: &Fill) -> Vec<Posting> {
        let s = side.sign();
        let pos = self.positions.get(symbol).cloned().unwrap_or_default();
        let mut lines = Vec::new();
        // Which part of the fill closes the existing position (it trades against it).
        let closing = if pos.qty * s < Decimal::ZERO {
            fill.qty.min(pos.qty.abs())
        } else {
            Decimal::ZERO
        };
        let close_gross = if closing == fill.qty {
            fill.gross
        } else {
            cents(closing * fill.price)
        };
        let open_gross = fill.gross - close_gross;
        let mut next = pos.clone();
        if closing > Decimal::ZERO {
            let basis = if closing == pos.qty.abs() {
                pos.cost_basis
            } else {
                cents(pos.cost_basis * closing / pos.qty.abs())
            };
            let cash_in = -s * close_gross;
            let realized = cash_in - basis;
            next.qty += s * closing;
            next.cost_basis -= basis;
            self.realized_pnl += realized;
            lines.push((LedgerAccount::Securities(symbol.to_owned()), -basis));
            lines.push((LedgerAccount::RealizedPnl, -realized));
            lines.push((LedgerAccount::Cash, cash_in));
        }
        let opening = fill.qty - closing;
        if opening > Decimal::ZERO {
            next.qty += s * opening;
            next.cost_basis += s * open_gross;
            lines.push((LedgerAccount::Securities(symbol.to_owned()), s * open_gross));
            lines.push((LedgerAccount::Cash, -s * open_gross));
        }
        if fill.fee != Decimal::ZERO {
            lines.push((LedgerAccount::Fees, fill.fee));
            lines.push((LedgerAccount::Cash, -fill.fee));
        }
        self.fees_paid += fill.fee;
        let out = postings(lines);
        self.cash += out
            .iter()
            .filter(|p| p.account == LedgerAccount::Cash)
            .map(|p| p.amount)
            .sum::<Decimal>();
        if next.qty.is_zero() {
            self.positions.remove(symbol);
        } else {
            self.positions.insert(symbol.to_owned(), next);
        }
        out
    }

    /// Values every position at `prices`; a position without a price is valued at its
    /// cost basis (so it shows no unrealized P&L rather than a made-up one).
    pub fn valuation(&self, prices: &BTreeMap<String, Decimal>) -> Valuation {
        let (mut market_value, mut basis) = (Decimal::ZERO, Decimal::ZERO);
        for (symbol, p) in &self.positions {
            market_value += value_of(symbol, p, prices);
            basis += p.cost_basis;
        }
        Valuation {
            cash: self.cash,
            market_value,
            equity: self.cash + market_value,
            unrealized_pnl: market_value - basis,
        }
    }

    /// Buying power at `prices` under `rules` (see `rules` for the formula), before any
    /// open-order reservations.
    pub fn buying_power(&self, prices: &BTreeMap<String, Decimal>, rules: &Rules) -> Decimal {
        self.holdings("", prices).buying_power(rules, Decimal::ZERO)
    }

    /// Whether equity has fallen below [`MAINTENANCE_MARGIN`] of gross exposure (long
    /// plus short market value): the moment a real broker would demand more cash or
    /// sell positions. The engine never liquidates; the app decides what to show.
    pub fn margin_call(&self, prices: &BTreeMap<String, Decimal>) -> bool {
        let gross: Decimal = self
            .positions
            .iter()
            .map(|(symbol, p)| value_of(symbol, p, prices).abs())
            .sum();
        self.valuation(prices).equity < MAINTENANCE_MARGIN * gross
    }

    /// The engine's view of this portfolio for trading `symbol`. Open-order reservations
    /// and day-trade counts live in the app's order store, so they start at zero here
    /// for the app to fill in.
    pub fn holdings(&self, symbol: &str, prices: &BTreeMap<String, Decimal>) -> Holdings {
        let mut h = Holdings {
            cash: self.cash,
            ..Holdings::default()
        };
        for (sym, p) in &self.positions {
            if sym == symbol {
                h.position = p.qty;
                continue;
            }
            let v = value_of(sym, p, prices);
            if v >= Decimal::ZERO {
                h.other_long_value += v;
            } else {
                h.other_short_value -= v;
            }
        }
        h
    }
}

fn value_of(symbol: &str, p: &Position, prices: &BTreeMap<String, Decimal>) -> Decimal {
    prices
        .get(symbol)
        .map_or(p.cost_basis, |price| cents(p.qty * *price))
}

/// Merges lines per account (in a stable order) and drops zero lines.
fn postings(lines: Vec<(LedgerAccount, Decimal)>) -> Vec<Posting> {
    let mut merged: Vec<Posting> = Vec::new();
    for (account, amount) in lines {
        match merged.iter_mut().find(|p| p.account == account) {
            Some(p) => p.amount += amount,
            None => merged.push(Posting { account, amount }),
        }
    }
    merged.retain(|p| !p.amount.is_zero());
    merged
}

#[cfg(test)]
#[path = "account_tests.rs"]
mod tests;
