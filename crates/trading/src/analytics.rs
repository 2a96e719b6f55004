//! Risk and return measures over a simulated account's daily history (issue 5 §4).
//!
//! Money stays [`Decimal`]. Statistics over returns are dimensionless ratios, so they
//! use `f64`; square roots go through `libm`, which is correctly rounded on every
//! platform, so a report is reproducible wherever it is computed.
//!
//! Invariants:
//! - Every measure is an `Option`: `None` when there are too few returns (minimums are
//!   the `MIN_*` constants) or the statistic is undefined (zero variance, no equity).
//!   No function here returns NaN or ±∞; [`finite`] is the last step of each.
//! - A day's external flow (deposit +, withdrawal −) is taken to arrive at the end of
//!   that day, so the day's return is `(equityₜ − flowₜ) / equityₜ₋₁ − 1`. Deposits and
//!   withdrawals therefore never count as performance: returns are time-weighted.
//! - Days that start with no equity (≤ 0) have no return: nothing was invested.
//!
//! Educational only: these describe a simulated portfolio; they are not advice.

use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use std::collections::BTreeMap;
use std::fmt;

/// Trading days in a year, used to annualise daily statistics.
pub const TRADING_DAYS: f64 = 252.0;
/// Annual risk-free rate assumed when none is configured (2%).
pub const DEFAULT_RISK_FREE_RATE: f64 = 0.02;
/// Fewest daily returns for volatility, Sharpe and Sortino (a sample variance needs 2).
pub const MIN_VOL_RETURNS: usize = 2;
/// Fewest aligned daily returns for beta.
pub const MIN_BETA_RETURNS: usize = 2;
/// Fewest daily returns for VaR and annualised turnover: with fewer, the 5th
/// percentile is just the worst day and says little about the tail.
pub const MIN_VAR_RETURNS: usize = 20;

/// One day of an account's history, as the app computes it from its stores at close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayPoint {
    /// Trading-day index (any monotone numbering, e.g. days since the account opened).
    pub day: i64,
    /// Total account value at the close: cash plus positions at market (≥ 0).
    pub equity: Decimal,
    /// The cash part of `equity` (≥ 0), for the "mostly cash" warning.
    pub cash: Decimal,
    /// External money in (+) or out (−) that day; excluded from returns.
    pub net_flow: Decimal,
    /// Fees and commissions paid that day (≥ 0), already deducted from `equity`.
    pub fees: Decimal,
    /// Gross value bought plus sold that day (≥ 0), for turnover.
    pub traded: Decimal,
}

impl DayPoint {
    /// A day with this equity, all of it in positions, and no flows, fees or trades.
    /// Use struct update syntax to set the rest: `DayPoint { fees, ..DayPoint::at(d, e) }`.
    pub fn at(day: i64, equity: Decimal) -> Self {
        Self {
            day,
            equity,
            cash: Decimal::ZERO,
            net_flow: Decimal::ZERO,
            fees: Decimal::ZERO,
            traded: Decimal::ZERO,
        }
    }
}

/// Why a history was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryError {
    /// Days must strictly increase; this day does not.
    NotIncreasing { day: i64 },
    /// Equity, cash, fees and traded value cannot be negative (no margin, no shorts).
    Negative { day: i64 },
}

impl fmt::Display for HistoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotIncreasing { day } => write!(f, "day {day} does not follow the one before"),
            Self::Negative { day } => write!(f, "day {day} has a negative amount"),
        }
    }
}

impl std::error::Error for HistoryError {}

/// A checked daily history: days strictly increasing, amounts non-negative.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct History {
    points: Vec<DayPoint>,
}

impl History {
    /// Checks the points (oldest first).
    pub fn new(points: Vec<DayPoint>) -> Result<Self, HistoryError> {
        for (i, p) in points.iter().enumerate() {
            let amounts = [p.equity, p.cash, p.fees, p.traded];
            if amounts.iter().any(|d| *d < Decimal::ZERO) {
                return Err(HistoryError::Negative { day: p.day });
            }
            if i > 0 && points[i - 1].day >= p.day {
                return Err(HistoryError::NotIncreasing { day: p.day });
            }
        }
        Ok(Self { points })
    }

    /// The points, oldest first.
    pub fn points(&self) -> &[DayPoint] {
        &self.points
    }

    /// The most recent point.
    pub fn latest(&self) -> Option<&DayPoint> {
        self.points.last()
    }
}

/// One close of the simulated market index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexClose {
    /// Same numbering as [`DayPoint::day`].
    pub day: i64,
    /// The index level at the close (> 0 to be usable).
    pub close: Decimal,
}

/// Settings for the risk-adjusted measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Assumptions {
    /// Annual risk-free rate as a fraction (0.02 = 2%); also Sortino's target.
    pub risk_free_rate: f64,
}

impl Default for Assumptions {
    fn default() -> Self {
        Self {
            risk_free_rate: DEFAULT_RISK_FREE_RATE,
        }
    }
}

/// The worst peak-to-trough fall of the time-weighted wealth index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Drawdown {
    /// The fall as a fraction of the peak, in [0, 1]; 0 when the index never fell.
    pub fraction: f64,
    /// Day of the peak (the first day when there was no fall).
    pub peak_day: i64,
    /// Day of the trough (equal to `peak_day` when there was no fall).
    pub trough_day: i64,
}

/// Historical one-day Value at Risk at 95% confidence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueAtRisk {
    /// The loss on the 5th-percentile day as a positive fraction (0 if even that day
    /// was a gain).
    pub loss_fraction: f64,
    /// That fraction of the latest equity, rounded to cents.
    pub loss: Decimal,
}

/// What fees cost over the history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeeDrag {
    /// Total fees paid.
    pub fees: Decimal,
    /// Mean equity over the days of the history.
    pub average_equity: Decimal,
    /// `fees / average_equity`.
    pub fraction: f64,
    /// The time-weighted return actually achieved.
    pub return_with_fees: f64,
    /// The time-weighted return with each day's fees added back to that day's result.
    pub return_without_fees: f64,
}

/// Every measure at once; each field is `None` when undefined (see the function).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Report {
    /// Daily returns the measures were computed from.
    pub returns: usize,
    /// [`time_weighted_return`].
    pub time_weighted_return: Option<f64>,
    /// [`annualised_volatility`].
    pub volatility: Option<f64>,
    /// [`sharpe_ratio`].
    pub sharpe: Option<f64>,
    /// [`sortino_ratio`].
    pub sortino: Option<f64>,
    /// [`max_drawdown`].
    pub max_drawdown: Option<Drawdown>,
    /// [`beta`], when an index was given.
    pub beta: Option<f64>,
    /// [`value_at_risk_95`].
    pub value_at_risk: Option<ValueAtRisk>,
    /// [`fee_drag`].
    pub fee_drag: Option<FeeDrag>,
    /// [`annual_turnover`].
    pub turnover: Option<f64>,
}

/// All measures for one history, against the index when given.
pub fn analyse(
    history: &History,
    index: Option<&[IndexClose]>,
    assumptions: Assumptions,
) -> Report {
    Report {
        returns: daily_returns(history, false).len(),
        time_weighted_return: time_weighted_return(history),
        volatility: annualised_volatility(history),
        sharpe: sharpe_ratio(history, assumptions.risk_free_rate),
        sortino: sortino_ratio(history, assumptions.risk_free_rate),
        max_drawdown: max_drawdown(history),
        beta: index.and_then(|ix| beta(history, ix)),
        value_at_risk: value_at_risk_95(history),
        fee_drag: fee_drag(history),
        turnover: annual_turnover(history),
    }
}

/// Chain-linked daily returns net of flows: `∏(1 + rₜ) − 1`. Needs one return.
pub fn time_weighted_return(history: &History) -> Option<f64> {
    chain(&values(&daily_returns(history, false)))
}

/// Sample standard deviation of daily returns × √252. Needs [`MIN_VOL_RETURNS`].
pub fn annualised_volatility(history: &History) -> Option<f64> {
    let r = values(&daily_returns(history, false));
    if r.len() < MIN_VOL_RETURNS {
        return None;
    }
    finite(sample_sd(&r)? * libm::sqrt(TRADING_DAYS))
}

/// Annualised mean excess return over annualised volatility. The daily risk-free rate
/// is `risk_free_rate / 252` and the mean is arithmetic. `None` with zero volatility.
pub fn sharpe_ratio(history: &History, risk_free_rate: f64) -> Option<f64> {
    let r = values(&daily_returns(history, false));
    if r.len() < MIN_VOL_RETURNS {
        return None;
    }
    let sd = sample_sd(&r)?;
    if sd <= 0.0 {
        return None;
    }
    let excess = mean(&r)? - risk_free_rate / TRADING_DAYS;
    // Annualised: mean × 252 over sd × √252, i.e. the daily ratio × √252.
    finite(excess / sd * libm::sqrt(TRADING_DAYS))
}

/// Like Sharpe, but divided by the downside deviation: the root mean square of the
/// shortfalls below the daily risk-free rate (over all days, not just bad ones), so
/// only losses relative to the target count as risk. `None` with no shortfall.
pub fn sortino_ratio(history: &History, risk_free_rate: f64) -> Option<f64> {
    let r = values(&daily_returns(history, false));
    if r.len() < MIN_VOL_RETURNS {
        return None;
    }
    let target = risk_free_rate / TRADING_DAYS;
    let squares: f64 = r.iter().map(|x| (x - target).min(0.0).powi(2)).sum();
    let downside = libm::sqrt(squares / count(r.len()));
    if !downside.is_finite() || downside <= 0.0 {
        return None;
    }
    finite((mean(&r)? - target) / downside * libm::sqrt(TRADING_DAYS))
}

/// The largest fall of the wealth index `∏(1 + rₜ)` from a running peak. Uses the
/// flow-adjusted index, so a withdrawal is not a drawdown. Needs one return.
pub fn max_drawdown(history: &History) -> Option<Drawdown> {
    let returns = daily_returns(history, false);
    let first = history.points.first()?.day;
    if returns.is_empty() {
        return None;
    }
    let (mut wealth, mut peak, mut peak_day) = (1.0_f64, 1.0_f64, first);
    let mut worst = Drawdown {
        fraction: 0.0,
        peak_day: first,
        trough_day: first,
    };
    for r in &returns {
        wealth *= 1.0 + r.value;
        if !wealth.is_finite() {
            return None;
        }
        if wealth > peak {
            (peak, peak_day) = (wealth, r.day);
        }
        // peak ≥ 1 and wealth ≥ 0 (growth is clamped), so this is in [0, 1].
        let fall = (1.0 - wealth / peak).clamp(0.0, 1.0);
        if fall > worst.fraction {
            worst = Drawdown {
                fraction: fall,
                peak_day,
                trough_day: r.day,
            };
        }
    }
    Some(worst)
}

/// Covariance of the portfolio's and the index's daily returns over their variance,
/// using only days whose interval (previous point → this point) the index also closes
/// on both ends. Needs [`MIN_BETA_RETURNS`] aligned days and a moving index.
pub fn beta(history: &History, index: &[IndexClose]) -> Option<f64> {
    let closes: BTreeMap<i64, Decimal> = index.iter().map(|c| (c.day, c.close)).collect();
    let (mut p, mut m) = (Vec::new(), Vec::new());
    for r in daily_returns(history, false) {
        let (Some(&from), Some(&to)) = (closes.get(&r.prev_day), closes.get(&r.day)) else {
            continue;
        };
        if let Some(x) = growth(to, from).map(|g| g - 1.0) {
            p.push(r.value);
            m.push(x);
        }
    }
    if p.len() < MIN_BETA_RETURNS {
        return None;
    }
    let (pm, mm) = (mean(&p)?, mean(&m)?);
    let cov: f64 = p.iter().zip(&m).map(|(a, b)| (a - pm) * (b - mm)).sum();
    let var: f64 = m.iter().map(|b| (b - mm).powi(2)).sum();
    if !var.is_finite() || var <= 0.0 {
        return None;
    }
    finite(cov / var)
}

/// Historical 95% one-day VaR: the 5th percentile of daily returns by the nearest-rank
/// method (the ⌈0.05·n⌉-th smallest return), as a loss. Needs [`MIN_VAR_RETURNS`].
pub fn value_at_risk_95(history: &History) -> Option<ValueAtRisk> {
    let mut r = values(&daily_returns(history, false));
    if r.len() < MIN_VAR_RETURNS {
        return None;
    }
    r.sort_by(f64::total_cmp);
    let rank = r.len().div_ceil(20);
    let loss_fraction = finite((-*r.get(rank.checked_sub(1)?)?).max(0.0))?;
    let equity = history.latest()?.equity;
    let loss = equity
        .checked_mul(Decimal::from_f64(loss_fraction)?)?
        .round_dp(2);
    Some(ValueAtRisk {
        loss_fraction,
        loss,
    })
}

/// Fees as a fraction of average equity, and the return had they not been charged
/// (each day's fees added back to that day's result; the saving is not reinvested
/// beyond the chain-linking). Needs one return and positive average equity.
pub fn fee_drag(history: &History) -> Option<FeeDrag> {
    let fees = sum(history.points.iter().map(|p| p.fees))?;
    let average_equity = average_equity(history)?;
    Some(FeeDrag {
        fees,
        average_equity,
        fraction: ratio(fees, average_equity)?,
        return_with_fees: time_weighted_return(history)?,
        return_without_fees: chain(&values(&daily_returns(history, true)))?,
    })
}

/// One-way turnover (half of everything bought and sold, over average equity),
/// scaled to a 252-day year. Needs [`MIN_VAR_RETURNS`] returns so a single busy week
/// is not extrapolated into a year.
pub fn annual_turnover(history: &History) -> Option<f64> {
    let n = daily_returns(history, false).len();
    if n < MIN_VAR_RETURNS {
        return None;
    }
    let traded = sum(history.points.iter().map(|p| p.traded))?;
    let one_way = ratio(traded, average_equity(history)?)? / 2.0;
    finite(one_way * TRADING_DAYS / count(n))
}

/// Mean equity over all points; `None` if empty or not positive.
pub(crate) fn average_equity(history: &History) -> Option<Decimal> {
    let n = Decimal::from(history.points.len());
    let avg = sum(history.points.iter().map(|p| p.equity))?.checked_div(n)?;
    (avg > Decimal::ZERO).then_some(avg)
}

/// A day's return and the interval it covers.
#[derive(Debug, Clone, Copy)]
struct DailyReturn {
    prev_day: i64,
    day: i64,
    value: f64,
}

/// Flow-adjusted daily returns; with `add_back_fees`, as if no fees had been paid.
fn daily_returns(history: &History, add_back_fees: bool) -> Vec<DailyReturn> {
    history
        .points
        .windows(2)
        .filter_map(|w| {
            let [prev, now] = w else { return None };
            let mut end = now.equity.checked_sub(now.net_flow)?;
            if add_back_fees {
                end = end.checked_add(now.fees)?;
            }
            Some(DailyReturn {
                prev_day: prev.day,
                day: now.day,
                value: growth(end, prev.equity)? - 1.0,
            })
        })
        .collect()
}

/// `end / start` as f64, floored at 0 (a day cannot lose more than everything; a
/// lower figure means the flows were recorded inconsistently). `None` if start ≤ 0.
fn growth(end: Decimal, start: Decimal) -> Option<f64> {
    if start <= Decimal::ZERO {
        return None;
    }
    finite(end.checked_div(start)?.to_f64()?.max(0.0))
}

fn ratio(a: Decimal, b: Decimal) -> Option<f64> {
    finite(a.checked_div(b)?.to_f64()?)
}

fn sum(mut items: impl Iterator<Item = Decimal>) -> Option<Decimal> {
    items.try_fold(Decimal::ZERO, Decimal::checked_add)
}

fn values(returns: &[DailyReturn]) -> Vec<f64> {
    returns.iter().map(|r| r.value).collect()
}

fn chain(returns: &[f64]) -> Option<f64> {
    if returns.is_empty() {
        return None;
    }
    finite(returns.iter().map(|r| 1.0 + r).product::<f64>() - 1.0)
}

fn mean(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    finite(xs.iter().sum::<f64>() / count(xs.len()))
}

/// Sample (n − 1) standard deviation; `None` below two values.
fn sample_sd(xs: &[f64]) -> Option<f64> {
    if xs.len() < 2 {
        return None;
    }
    let m = mean(xs)?;
    let ss: f64 = xs.iter().map(|x| (x - m).powi(2)).sum();
    finite(libm::sqrt(ss / (count(xs.len()) - 1.0)))
}

/// A length as f64; exact for any realistic history (< 2⁵³ days).
#[allow(clippy::cast_precision_loss)]
fn count(n: usize) -> f64 {
    n as f64
}

/// The guard every measure ends with: NaN and ±∞ become `None`.
pub(crate) fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

#[cfg(test)]
#[path = "analytics_tests.rs"]
mod tests;
