//! "Explain my portfolio": plain-language, rule-based feedback (issue 5 §4).
//!
//! Each rule turns a measure or a warning into an [`Insight`] that says what was found
//! and why the concept matters, linked to the lesson of our curriculum that teaches it.
//! There is no AI and no advice here: messages describe and teach; they never tell the
//! learner what to trade (a test checks the wording). The output always ends with the
//! [`DISCLAIMER`] insight.
//!
//! Numbers read as people write them: percentages with one decimal place, money with
//! thousands separators and two decimals, in `$` (the curriculum's generic currency
//! symbol for virtual money).

use crate::analytics::{MIN_VAR_RETURNS, Report};
use crate::composition::{Composition, Warning};
use rust_decimal::Decimal;

/// Shown with every explanation.
/// The simulator's one disclaimer: this insight's text, and (re-exported by the domain)
/// what every simulator response carries.
pub const DISCLAIMER: &str = "Simulated market for education only: virtual money, fictional \
     instruments, no real broker and no investment advice.";

/// The course the lessons belong to (`curriculum/financial-literacy-101.json`).
pub const COURSE: &str = "Financial Literacy 101";

/// How much attention an insight deserves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Context and explanation.
    Info,
    /// Worth understanding: a common source of avoidable risk or cost.
    Caution,
    /// A large risk for this portfolio.
    Warning,
}

impl Severity {
    /// The wire name: `info`, `caution`, `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Caution => "caution",
            Self::Warning => "warning",
        }
    }
}

/// A lesson of [`COURSE`]. The course package has no lesson keys, so a lesson is
/// named by its module's position (from 0, as `Module::position` when imported) and
/// its exact title, which is unique within the course.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LessonRef {
    /// The module's place in the course, from 0.
    pub module: u32,
    /// The lesson's title, exactly as in the package.
    pub title: &'static str,
}

/// Compounding, including of fees and returns.
pub const COMPOUND_INTEREST: LessonRef = LessonRef {
    module: 1,
    title: "Compound interest: how money grows over time",
};
/// Why cash loses purchasing power.
pub const INFLATION: LessonRef = LessonRef {
    module: 1,
    title: "Inflation and purchasing power",
};
/// Risk and return, fund types, fees, investor behaviour.
pub const INVESTING_BASICS: LessonRef = LessonRef {
    module: 3,
    title: "Investing basics: shares, bonds and funds",
};
/// Concentration, diversification, market risk and the maths of losses.
pub const DIVERSIFICATION: LessonRef = LessonRef {
    module: 3,
    title: "Diversification and risk",
};

/// Every lesson an insight can link to.
pub const LESSONS: [LessonRef; 4] = [
    COMPOUND_INTEREST,
    INFLATION,
    INVESTING_BASICS,
    DIVERSIFICATION,
];

/// One piece of feedback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insight {
    /// Stable machine code: a [`Warning::code`], or one of the info codes
    /// (`return`, `risk`, `market_sensitivity`, `value_at_risk`, `drawdown`, `fees`,
    /// `diversification`, `early_days`, `disclaimer`).
    pub code: &'static str,
    /// How much attention it deserves.
    pub severity: Severity,
    /// A short heading.
    pub title: String,
    /// What was found and why it matters.
    pub message: String,
    /// The lesson that teaches the concept, if any.
    pub lesson: Option<LessonRef>,
}

/// The feedback for one portfolio: warnings first (most severe first, otherwise in the
/// order given), then explanations of each defined measure, then the disclaimer.
pub fn explain(
    report: &Report,
    composition: Option<&Composition>,
    warnings: &[Warning],
) -> Vec<Insight> {
    let mut out: Vec<Insight> = warnings.iter().map(|w| from_warning(w, report)).collect();
    out.sort_by_key(|i| std::cmp::Reverse(i.severity));
    let has = |code: &str| warnings.iter().any(|w| w.code() == code);

    out.extend(returns(report));
    out.extend(risk(report));
    out.extend(market_sensitivity(report));
    out.extend(value_at_risk(report));
    if !has("deep_drawdown") {
        out.extend(drawdown(report));
    }
    if !has("fee_drag") {
        out.extend(fees(report));
    }
    let concentrated = [
        "concentrated_position",
        "concentrated_sector",
        "undiversified",
    ];
    if !concentrated.iter().any(|c| has(c)) {
        out.extend(composition.and_then(diversification));
    }
    if report.returns < MIN_VAR_RETURNS {
        out.push(early_days(report.returns));
    }
    out.push(insight(
        "disclaimer",
        Severity::Info,
        "Educational only".into(),
        DISCLAIMER.into(),
        None,
    ));
    out
}

fn insight(
    code: &'static str,
    severity: Severity,
    title: String,
    message: String,
    lesson: Option<LessonRef>,
) -> Insight {
    Insight {
        code,
        severity,
        title,
        message,
        lesson,
    }
}

fn from_warning(w: &Warning, report: &Report) -> Insight {
    let code = w.code();
    let (severity, title, message, lesson) = match w {
        Warning::ConcentratedPosition { symbol, weight } => (
            Severity::Warning,
            "One holding is a large part of the portfolio".to_owned(),
            format!(
                "{symbol} makes up {} of the simulated portfolio. When much of a portfolio \
                 rests on one company or coin, a single piece of bad news can move the \
                 whole of it. This is concentration risk, and spreading money across many \
                 holdings is how diversification reduces it.",
                percent(*weight)
            ),
            DIVERSIFICATION,
        ),
        Warning::ConcentratedSector { sector, weight } => (
            Severity::Caution,
            "One industry dominates".to_owned(),
            format!(
                "The {sector} sector makes up {} of the portfolio. Companies in the same \
                 industry often rise and fall together, so several of them spread risk \
                 less than it seems. Diversifying across industries reduces this.",
                percent(*weight)
            ),
            DIVERSIFICATION,
        ),
        Warning::Undiversified { stocks } => (
            Severity::Caution,
            "Few companies, no broad fund".to_owned(),
            format!(
                "The portfolio holds {stocks} individual {} and no broad fund. With only a \
                 few companies, the failure of one matters a lot; a broad index fund holds \
                 hundreds of companies in a single holding.",
                if *stocks == 1 { "stock" } else { "stocks" }
            ),
            DIVERSIFICATION,
        ),
        Warning::HighCash { weight, days } => (
            Severity::Info,
            "Mostly cash".to_owned(),
            format!(
                "Cash is {} of the portfolio and has been a large share for {days} days in \
                 a row. Cash holds its value from day to day, but over long periods \
                 inflation erodes what it can purchase, while invested money accepts ups \
                 and downs for potential growth. Which mix fits a goal depends on its time \
                 horizon.",
                percent(*weight)
            ),
            INFLATION,
        ),
        Warning::HighCrypto { weight } => (
            Severity::Warning,
            "A large share in crypto".to_owned(),
            format!(
                "Crypto makes up {} of the portfolio. Crypto prices can move sharply in a \
                 single day and pay no interest or earnings, so a large share makes the \
                 whole portfolio's value swing widely. Knowing how much volatility a \
                 portfolio carries is the first step in managing risk.",
                percent(*weight)
            ),
            DIVERSIFICATION,
        ),
        Warning::FeeDrag { fraction } => (
            Severity::Caution,
            "Fees are adding up".to_owned(),
            format!(
                "Fees came to {} of the portfolio's average value over this period.{} Fees \
                 are certain while returns are not, and they compound: a cost of 1% a year \
                 can take a large share of long-term growth.",
                percent(*fraction),
                fee_comparison(report)
            ),
            INVESTING_BASICS,
        ),
        Warning::DeepDrawdown { fraction } => (
            Severity::Warning,
            "A deep fall from the peak".to_owned(),
            format!(
                "At its worst, the portfolio fell {} from a peak. {}",
                percent(*fraction),
                recovery(*fraction)
            ),
            DIVERSIFICATION,
        ),
        Warning::HighTurnover { annual } => (
            Severity::Caution,
            "Very frequent trading".to_owned(),
            format!(
                "At this pace, trading turns over about {annual:.1} times the portfolio's \
                 value a year. Every trade has costs, and reacting to short-term moves \
                 often means paying high prices or locking in losses; many long-term \
                 investors trade rarely."
            ),
            INVESTING_BASICS,
        ),
    };
    insight(code, severity, title, message, Some(lesson))
}

fn returns(r: &Report) -> Option<Insight> {
    let twr = r.time_weighted_return?;
    Some(insight(
        "return",
        Severity::Info,
        format!("Time-weighted return: {}", percent(twr)),
        format!(
            "Over {} trading days the simulated portfolio returned {} (time-weighted). This \
             measure leaves out deposits and withdrawals, so it shows how the investments \
             themselves did. Returns compound: gains earn further gains, which is why time \
             matters so much.",
            r.returns,
            percent(twr)
        ),
        Some(COMPOUND_INTEREST),
    ))
}

fn risk(r: &Report) -> Option<Insight> {
    let vol = r.volatility?;
    let sharpe = r.sharpe.map_or_else(String::new, |s| {
        format!(
            " The Sharpe ratio of {s:.2} compares the return above a risk-free rate with \
             those swings: higher means more return for each unit of risk taken."
        )
    });
    Some(insight(
        "risk",
        Severity::Info,
        format!("Volatility: {} a year", percent(vol)),
        format!(
            "Annualised volatility was {}, a measure of how much the value swung from day \
             to day.{sharpe} Higher expected returns usually come with higher risk.",
            percent(vol)
        ),
        Some(INVESTING_BASICS),
    ))
}

fn market_sensitivity(r: &Report) -> Option<Insight> {
    let beta = r.beta?;
    let how = if beta > 1.2 {
        "more than the market"
    } else if beta < 0.8 {
        "less than the market"
    } else {
        "roughly with the market"
    };
    Some(insight(
        "market_sensitivity",
        Severity::Info,
        format!("Beta: {beta:.2}"),
        format!(
            "Against the simulated market index, the portfolio's beta is {beta:.2}: it \
             tended to move {how}. Market-wide risk like this cannot be diversified away; \
             it is managed through the overall mix of assets and the time horizon."
        ),
        Some(DIVERSIFICATION),
    ))
}

fn value_at_risk(r: &Report) -> Option<Insight> {
    let var = r.value_at_risk?;
    Some(insight(
        "value_at_risk",
        Severity::Info,
        format!("One bad day in 20: {}", percent(var.loss_fraction)),
        format!(
            "On the worst one day in twenty of this history, the portfolio lost {} or more, \
             about {} at today's value (historical 95% one-day Value at Risk). Past swings \
             are a guide to risk, not a forecast: the worst days can be worse still.",
            percent(var.loss_fraction),
            money(var.loss)
        ),
        Some(DIVERSIFICATION),
    ))
}

fn drawdown(r: &Report) -> Option<Insight> {
    let dd = r.max_drawdown.filter(|d| d.fraction > 0.0)?;
    Some(insight(
        "drawdown",
        Severity::Info,
        format!("Largest fall: {}", percent(dd.fraction)),
        format!(
            "The largest fall from a peak (day {} to day {}) was {}. {}",
            dd.peak_day,
            dd.trough_day,
            percent(dd.fraction),
            recovery(dd.fraction)
        ),
        Some(DIVERSIFICATION),
    ))
}

fn fees(r: &Report) -> Option<Insight> {
    let f = r.fee_drag.filter(|f| f.fees > Decimal::ZERO)?;
    Some(insight(
        "fees",
        Severity::Info,
        format!("Fees paid: {}", money(f.fees)),
        format!(
            "Fees came to {} of the portfolio's average value.{} Small costs compound over \
             time, just as returns do.",
            percent(f.fraction),
            fee_comparison(r)
        ),
        Some(INVESTING_BASICS),
    ))
}

fn diversification(c: &Composition) -> Option<Insight> {
    let largest = c.largest.as_ref()?;
    Some(insight(
        "diversification",
        Severity::Info,
        "Spread across holdings".to_owned(),
        format!(
            "The portfolio has {} {}; the largest, {}, is {} of it. Spreading money across \
             holdings that do not all move together means no single one can do too much \
             damage.",
            c.positions,
            if c.positions == 1 {
                "holding"
            } else {
                "holdings"
            },
            largest.symbol,
            percent(largest.weight)
        ),
        Some(DIVERSIFICATION),
    ))
}

fn early_days(returns: usize) -> Insight {
    insight(
        "early_days",
        Severity::Info,
        "Early days".to_owned(),
        format!(
            "There {} {returns} trading {} of history so far. Some measures need more: \
             volatility needs 2 days and Value at Risk needs {MIN_VAR_RETURNS}. Short \
             periods can be misleading, because a few days say little about risk.",
            if returns == 1 { "is" } else { "are" },
            if returns == 1 { "day" } else { "days" },
        ),
        None,
    )
}

/// " Without them, the return would have been X instead of Y." when known.
fn fee_comparison(r: &Report) -> String {
    r.fee_drag.map_or_else(String::new, |f| {
        format!(
            " Without them, the time-weighted return would have been {} instead of {}.",
            percent(f.return_without_fees),
            percent(f.return_with_fees)
        )
    })
}

/// Why a fall of `fraction` is harder to recover from than it looks.
fn recovery(fraction: f64) -> String {
    if fraction >= 1.0 {
        return "After losing everything, no gain can bring it back, which is why avoiding \
                large, concentrated losses matters so much."
            .to_owned();
    }
    format!(
        "Losses and gains are not symmetrical: after a fall of {}, a gain of {} is needed \
         just to get back to the peak.",
        percent(fraction),
        percent(fraction / (1.0 - fraction))
    )
}

/// A fraction as a percentage with one decimal place: 0.1234 → "12.3%". Never "-0.0%".
pub fn percent(fraction: f64) -> String {
    let tenths = (fraction * 1000.0).round();
    if tenths == 0.0 || !tenths.is_finite() {
        return "0.0%".to_owned();
    }
    format!("{:.1}%", tenths / 10.0)
}

/// Money with thousands separators and two decimals: 1234567.891 → "$1,234,567.89".
pub fn money(amount: Decimal) -> String {
    let rounded = amount.round_dp(2);
    let text = format!("{:.2}", rounded.abs());
    let (whole, cents) = text.split_once('.').unwrap_or((text.as_str(), "00"));
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let sign = if rounded < Decimal::ZERO { "-" } else { "" };
    format!("{sign}${grouped}.{cents}")
}

#[cfg(test)]
#[path = "explain_tests.rs"]
mod tests;
