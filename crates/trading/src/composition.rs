//! What a simulated portfolio holds, and the warning signs in it (issue 5 §4).
//!
//! [`compose`] turns today's holdings into weights of total equity (cash plus positions
//! at market). [`warnings`] checks those weights and the history's measures against
//! documented [`Thresholds`]. Weights are dimensionless `f64`; amounts stay `Decimal`.
//!
//! Invariants: position weights plus the cash weight sum to 1 (up to f64 rounding);
//! every weight is in [0, 1]; nothing is NaN or infinite; output order is deterministic
//! (largest weight first, ties by name), so the same holdings always read the same.
//!
//! Educational only: the warnings describe risk concepts; they never say what to trade.

use crate::analytics::{History, Report};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::collections::BTreeMap;

/// The kinds of asset the simulator offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AssetClass {
    /// A single company's shares.
    Stock,
    /// An exchange-traded fund; treated as broad, so it diversifies on its own.
    Etf,
    /// A fund of bonds.
    BondFund,
    /// A money-market fund (cash-like, but not counted as cash here).
    MoneyMarket,
    /// A cryptocurrency.
    Crypto,
}

impl AssetClass {
    /// The wire name: `stock`, `etf`, `bond_fund`, `money_market`, `crypto`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stock => "stock",
            Self::Etf => "etf",
            Self::BondFund => "bond_fund",
            Self::MoneyMarket => "money_market",
            Self::Crypto => "crypto",
        }
    }

    /// The class with this wire name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Stock,
            Self::Etf,
            Self::BondFund,
            Self::MoneyMarket,
            Self::Crypto,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }

    /// A single issuer or coin, so its own failure can hurt: stocks and crypto.
    pub fn is_single_asset(self) -> bool {
        matches!(self, Self::Stock | Self::Crypto)
    }
}

/// One holding, valued at today's close.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The instrument's symbol; one position per symbol.
    pub symbol: String,
    /// What kind of asset it is.
    pub class: AssetClass,
    /// Its sector, for single companies; funds and crypto usually have none.
    pub sector: Option<String>,
    /// Quantity × price (≥ 0; the simulator has no short selling).
    pub market_value: Decimal,
}

/// Today's holdings: cash and positions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Holdings {
    /// Uninvested cash (≥ 0; the simulator has no margin).
    pub cash: Decimal,
    /// The positions, in any order.
    pub positions: Vec<Position>,
}

/// A named share of equity (a sector).
#[derive(Debug, Clone, PartialEq)]
pub struct Weight {
    /// The sector.
    pub name: String,
    /// Fraction of total equity, in [0, 1].
    pub weight: f64,
}

/// One position's share of equity.
#[derive(Debug, Clone, PartialEq)]
pub struct PositionWeight {
    /// The instrument's symbol.
    pub symbol: String,
    /// Its asset class.
    pub class: AssetClass,
    /// Fraction of total equity, in [0, 1].
    pub weight: f64,
}

/// Weights and concentration of one set of holdings.
#[derive(Debug, Clone, PartialEq)]
pub struct Composition {
    /// Cash plus positions at market.
    pub equity: Decimal,
    /// Each position with a positive value, largest first (ties by symbol).
    pub weights: Vec<PositionWeight>,
    /// Cash as a fraction of equity.
    pub cash_weight: f64,
    /// Crypto positions together, as a fraction of equity.
    pub crypto_weight: f64,
    /// Positions with a sector, grouped by it, largest first (ties by name).
    pub sector_weights: Vec<Weight>,
    /// Herfindahl–Hirschman index of the invested part: Σ sᵢ² where sᵢ is a position's
    /// share of all positions (cash excluded), so it runs from 1/n (equal weights) to 1
    /// (one position). `None` with no positions.
    pub hhi: Option<f64>,
    /// The largest position, if any.
    pub largest: Option<PositionWeight>,
    /// Positions with a positive value.
    pub positions: usize,
    /// Of those, single stocks.
    pub stocks: usize,
    /// Whether any ETF is held (broad funds diversify a few single stocks).
    pub has_etf: bool,
}

/// Computes the composition; `None` when equity is not positive, an amount is
/// negative, or the sum overflows.
pub fn compose(holdings: &Holdings) -> Option<Composition> {
    let held: Vec<&Position> = holdings
        .positions
        .iter()
        .filter(|p| p.market_value != Decimal::ZERO)
        .collect();
    if holdings.cash < Decimal::ZERO || held.iter().any(|p| p.market_value < Decimal::ZERO) {
        return None;
    }
    let invested = held
        .iter()
        .try_fold(Decimal::ZERO, |acc, p| acc.checked_add(p.market_value))?;
    let equity = invested.checked_add(holdings.cash)?;
    if equity <= Decimal::ZERO {
        return None;
    }
    let share = |amount: Decimal| -> Option<f64> {
        let w = amount.checked_div(equity)?.to_f64()?;
        w.is_finite().then_some(w.clamp(0.0, 1.0))
    };

    let mut weights = Vec::with_capacity(held.len());
    let mut sectors: BTreeMap<&str, Decimal> = BTreeMap::new();
    let mut crypto = Decimal::ZERO;
    for p in &held {
        weights.push(PositionWeight {
            symbol: p.symbol.clone(),
            class: p.class,
            weight: share(p.market_value)?,
        });
        if let Some(sector) = &p.sector {
            let total = sectors.entry(sector.as_str()).or_default();
            *total = total.checked_add(p.market_value)?;
        }
        if p.class == AssetClass::Crypto {
            crypto = crypto.checked_add(p.market_value)?;
        }
    }
    weights.sort_by(|a, b| {
        b.weight
            .total_cmp(&a.weight)
            .then_with(|| a.symbol.cmp(&b.symbol))
    });
    let mut sector_weights = sectors
        .into_iter()
        .map(|(name, value)| {
            Some(Weight {
                name: name.to_owned(),
                weight: share(value)?,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    sector_weights.sort_by(|a, b| {
        b.weight
            .total_cmp(&a.weight)
            .then_with(|| a.name.cmp(&b.name))
    });

    let hhi = held
        .iter()
        .map(|p| {
            let s = p.market_value.checked_div(invested)?.to_f64()?;
            Some(s * s)
        })
        .sum::<Option<f64>>()
        .filter(|h| !held.is_empty() && h.is_finite());

    Some(Composition {
        equity,
        largest: weights.first().cloned(),
        positions: held.len(),
        stocks: held.iter().filter(|p| p.class == AssetClass::Stock).count(),
        has_etf: held.iter().any(|p| p.class == AssetClass::Etf),
        weights,
        cash_weight: share(holdings.cash)?,
        crypto_weight: share(crypto)?,
        sector_weights,
        hhi,
    })
}

/// When a warning fires. Every limit is a fraction, and is exceeded strictly (`>`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// One stock or coin above this share of equity (default 25%).
    pub position: f64,
    /// One sector above this share of equity (default 40%).
    pub sector: f64,
    /// Fewer single stocks than this, with no ETF, is undiversified (default 5).
    pub min_stocks: usize,
    /// Cash above this share of equity… (default 50%)
    pub cash: f64,
    /// …on each of at least this many latest days of the history (default 20, about
    /// a trading month: a few days in cash between trades is normal).
    pub cash_days: usize,
    /// Crypto above this share of equity (default 10%).
    pub crypto: f64,
    /// Fees above this fraction of average equity over the history (default 1%).
    pub fees: f64,
    /// A maximum drawdown deeper than this (default 20%).
    pub drawdown: f64,
    /// One-way annual turnover above this (default 2.0: the whole portfolio replaced
    /// twice a year).
    pub turnover: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            position: 0.25,
            sector: 0.40,
            min_stocks: 5,
            cash: 0.50,
            cash_days: 20,
            crypto: 0.10,
            fees: 0.01,
            drawdown: 0.20,
            turnover: 2.0,
        }
    }
}

/// A warning sign, with the figure that tripped it.
#[derive(Debug, Clone, PartialEq)]
pub enum Warning {
    /// A single stock or coin is a large share of equity.
    ConcentratedPosition { symbol: String, weight: f64 },
    /// One sector is a large share of equity.
    ConcentratedSector { sector: String, weight: f64 },
    /// Only a few single stocks and no broad fund.
    Undiversified { stocks: usize },
    /// Mostly cash, for a while.
    HighCash { weight: f64, days: usize },
    /// A large share in crypto.
    HighCrypto { weight: f64 },
    /// Fees took a large share of equity.
    FeeDrag { fraction: f64 },
    /// The portfolio fell a long way from a peak.
    DeepDrawdown { fraction: f64 },
    /// The portfolio is traded very often.
    HighTurnover { annual: f64 },
}

impl Warning {
    /// The stable machine code, e.g. `concentrated_position`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::ConcentratedPosition { .. } => "concentrated_position",
            Self::ConcentratedSector { .. } => "concentrated_sector",
            Self::Undiversified { .. } => "undiversified",
            Self::HighCash { .. } => "high_cash",
            Self::HighCrypto { .. } => "high_crypto",
            Self::FeeDrag { .. } => "fee_drag",
            Self::DeepDrawdown { .. } => "deep_drawdown",
            Self::HighTurnover { .. } => "high_turnover",
        }
    }

    /// A short factual statement of what was found (explanations live in `explain`).
    pub fn message(&self) -> String {
        let pct = |x: f64| format!("{:.1}%", x * 100.0);
        match self {
            Self::ConcentratedPosition { symbol, weight } => {
                format!("{symbol} is {} of the portfolio.", pct(*weight))
            }
            Self::ConcentratedSector { sector, weight } => {
                format!("The {sector} sector is {} of the portfolio.", pct(*weight))
            }
            Self::Undiversified { stocks } => {
                format!("The portfolio holds {stocks} single stock(s) and no broad fund.")
            }
            Self::HighCash { weight, days } => {
                format!(
                    "Cash is {} of the portfolio and has been above the limit for {days} days in a row.",
                    pct(*weight)
                )
            }
            Self::HighCrypto { weight } => format!("Crypto is {} of the portfolio.", pct(*weight)),
            Self::FeeDrag { fraction } => {
                format!("Fees came to {} of average equity.", pct(*fraction))
            }
            Self::DeepDrawdown { fraction } => {
                format!("The portfolio fell {} from its peak.", pct(*fraction))
            }
            Self::HighTurnover { annual } => {
                format!("Trading replaced about {annual:.1}× the portfolio per year.")
            }
        }
    }
}

/// Every warning that applies, in [`Warning`] declaration order (positions and
/// sectors largest first). `history` supplies the cash streak; `report` its measures
/// (an undefined measure never warns).
pub fn warnings(
    composition: &Composition,
    history: &History,
    report: &Report,
    limits: &Thresholds,
) -> Vec<Warning> {
    let mut out = Vec::new();
    out.extend(
        composition
            .weights
            .iter()
            .filter(|w| w.weight > limits.position && w.class.is_single_asset())
            .map(|w| Warning::ConcentratedPosition {
                symbol: w.symbol.clone(),
                weight: w.weight,
            }),
    );
    out.extend(
        composition
            .sector_weights
            .iter()
            .filter(|w| w.weight > limits.sector)
            .map(|w| Warning::ConcentratedSector {
                sector: w.name.clone(),
                weight: w.weight,
            }),
    );
    let c = composition;
    if c.stocks > 0 && c.stocks < limits.min_stocks && !c.has_etf {
        out.push(Warning::Undiversified { stocks: c.stocks });
    }
    let days = cash_streak(history, limits.cash);
    if c.cash_weight > limits.cash && days >= limits.cash_days.max(1) {
        out.push(Warning::HighCash {
            weight: c.cash_weight,
            days,
        });
    }
    if c.crypto_weight > limits.crypto {
        out.push(Warning::HighCrypto {
            weight: c.crypto_weight,
        });
    }
    if let Some(f) = report.fee_drag.filter(|f| f.fraction > limits.fees) {
        out.push(Warning::FeeDrag {
            fraction: f.fraction,
        });
    }
    if let Some(m) = report.max_drawdown.filter(|m| m.fraction > limits.drawdown) {
        out.push(Warning::DeepDrawdown {
            fraction: m.fraction,
        });
    }
    if let Some(annual) = report.turnover.filter(|t| *t > limits.turnover) {
        out.push(Warning::HighTurnover { annual });
    }
    out
}

/// How many of the latest days in a row had cash above `limit` of equity.
pub fn cash_streak(history: &History, limit: f64) -> usize {
    history
        .points()
        .iter()
        .rev()
        .take_while(|p| {
            p.cash
                .checked_div(p.equity)
                .and_then(|w| w.to_f64())
                .is_some_and(|w| w > limit)
        })
        .count()
}

#[cfg(test)]
#[path = "composition_tests.rs"]
mod tests;
