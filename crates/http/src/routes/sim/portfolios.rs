//! `/v1/sim/portfolios`: the learner's portfolios, valued now, with their history,
//! analytics and "explain my portfolio".

use super::dto::{PortfolioOut, ValuedOut};
use super::{Items, Sim, items, portfolio_ref, sim};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::SignedIn;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::routing::get;
use nexus_app::sim::{Analysis, HistoryPoint};
use nexus_trading::explain::Insight;
use serde::Serialize;
use utoipa::ToSchema;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/sim/portfolios", get(list))
        .route("/sim/portfolios/{id}", get(show))
        .route("/sim/portfolios/{id}/history", get(history))
        .route("/sim/portfolios/{id}/analytics", get(analytics))
}

/// Equity at one session's close. Amounts are decimal strings.
#[derive(Serialize, ToSchema)]
#[schema(as = SimHistoryPoint)]
struct PointOut {
    /// Session number.
    day: u32,
    /// The session's date, `YYYY-MM-DD`.
    date: String,
    /// Cash plus positions at the close (or now, for the session in progress).
    equity: String,
    /// Cash at the close.
    cash: String,
    /// Fees paid that session.
    fees: String,
}

impl From<&HistoryPoint> for PointOut {
    fn from(p: &HistoryPoint) -> Self {
        Self {
            day: p.day,
            date: p.date.to_string(),
            equity: p.equity.to_string(),
            cash: p.cash.to_string(),
            fees: p.fees.to_string(),
        }
    }
}

/// Risk and return measures; each is `null` while the history is too short for it.
/// Fractions are JSON numbers (0.05 is 5%).
#[derive(Serialize, ToSchema)]
#[schema(as = SimMeasures)]
struct MeasuresOut {
    /// Daily returns the measures were computed from.
    daily_returns: usize,
    /// Chain-linked return net of deposits, as a fraction.
    time_weighted_return: Option<f64>,
    /// Annualised volatility of daily returns, as a fraction.
    volatility: Option<f64>,
    /// Sharpe ratio (annualised excess return over volatility).
    sharpe: Option<f64>,
    /// Sortino ratio (like Sharpe, over the downside deviation).
    sortino: Option<f64>,
    /// The deepest fall from a peak, as a fraction of the peak.
    max_drawdown: Option<f64>,
    /// Sensitivity to the broad-market index fund.
    beta: Option<f64>,
    /// Historical one-day Value at Risk at 95%: the loss on the 5th-percentile day as a
    /// positive fraction.
    value_at_risk_95: Option<f64>,
    /// That loss in money at the latest equity (decimal string).
    value_at_risk_95_amount: Option<String>,
    /// Fees over average equity, as a fraction.
    fee_drag: Option<f64>,
}

/// A share of equity.
#[derive(Serialize, ToSchema)]
#[schema(as = SimWeight)]
struct WeightOut {
    /// The ticker (in `positions`) or the sector (in `sectors`).
    name: String,
    /// Fraction of equity.
    weight: f64,
}

/// What the portfolio holds, as fractions of equity.
#[derive(Serialize, ToSchema)]
#[schema(as = SimComposition)]
struct CompositionOut {
    /// Cash as a fraction of equity.
    cash_weight: f64,
    /// Crypto positions together, as a fraction of equity.
    crypto_weight: f64,
    /// Herfindahl–Hirschman index of the invested part, from 1/n (equal weights) to 1
    /// (one position); `null` with no positions.
    hhi: Option<f64>,
    /// Each position with a positive value, largest first.
    positions: Vec<WeightOut>,
    /// Positions grouped by sector, largest first.
    sectors: Vec<WeightOut>,
}

/// Something about the portfolio that deserves attention.
#[derive(Serialize, ToSchema)]
#[schema(as = SimWarning)]
struct WarningOut {
    /// `concentrated_position`, `concentrated_sector`, `undiversified`, `high_cash`,
    /// `high_crypto`, `fee_drag`, `deep_drawdown` or `high_turnover`.
    code: &'static str,
    /// What was found, in one sentence.
    message: String,
}

/// One piece of plain-language feedback ("explain my portfolio").
#[derive(Serialize, ToSchema)]
#[schema(as = SimInsight)]
struct InsightOut {
    /// A warning's code, or one of `return`, `risk`, `market_sensitivity`,
    /// `value_at_risk`, `drawdown`, `fees`, `diversification`, `early_days`,
    /// `disclaimer`.
    code: &'static str,
    /// `info`, `caution` or `warning`.
    severity: &'static str,
    /// A short heading.
    title: String,
    /// What was found and why it matters.
    message: String,
    /// The lesson that teaches the concept, if any.
    lesson: Option<LessonOut>,
}

/// A lesson of the financial literacy course.
#[derive(Serialize, ToSchema)]
#[schema(as = SimLesson)]
struct LessonOut {
    /// The course's title ("Financial Literacy 101").
    course: &'static str,
    /// The module's place in the course, from 0.
    module: u32,
    /// The lesson's exact title.
    title: &'static str,
}

impl From<&Insight> for InsightOut {
    fn from(i: &Insight) -> Self {
        Self {
            code: i.code,
            severity: i.severity.as_str(),
            title: i.title.clone(),
            message: i.message.clone(),
            lesson: i.lesson.map(|l| LessonOut {
                course: nexus_trading::explain::COURSE,
                module: l.module,
                title: l.title,
            }),
        }
    }
}

/// A portfolio's analytics and its plain-language explanation.
#[derive(Serialize, ToSchema)]
#[schema(as = SimAnalysis)]
struct AnalysisOut {
    /// Risk and return measures.
    measures: MeasuresOut,
    /// Holdings as fractions of equity; `null` when equity is not positive.
    composition: Option<CompositionOut>,
    /// What deserves attention.
    warnings: Vec<WarningOut>,
    /// The feedback: warnings first (most severe first), then explanations of each
    /// measure, then the disclaimer.
    explanation: Vec<InsightOut>,
}

impl From<&Analysis> for AnalysisOut {
    fn from(a: &Analysis) -> Self {
        let r = &a.report;
        Self {
            measures: MeasuresOut {
                daily_returns: r.returns,
                time_weighted_return: r.time_weighted_return,
                volatility: r.volatility,
                sharpe: r.sharpe,
                sortino: r.sortino,
                max_drawdown: r.max_drawdown.map(|d| d.fraction),
                beta: r.beta,
                value_at_risk_95: r.value_at_risk.map(|v| v.loss_fraction),
                value_at_risk_95_amount: r.value_at_risk.map(|v| v.loss.to_string()),
                fee_drag: r.fee_drag.map(|f| f.fraction),
            },
            composition: a.composition.as_ref().map(|c| CompositionOut {
                cash_weight: c.cash_weight,
                crypto_weight: c.crypto_weight,
                hhi: c.hhi,
                positions: c
                    .weights
                    .iter()
                    .map(|w| WeightOut {
                        name: w.symbol.clone(),
                        weight: w.weight,
                    })
                    .collect(),
                sectors: c
                    .sector_weights
                    .iter()
                    .map(|w| WeightOut {
                        name: w.name.clone(),
                        weight: w.weight,
                    })
                    .collect(),
            }),
            warnings: a
                .warnings
                .iter()
                .map(|w| WarningOut {
                    code: w.code(),
                    message: w.message(),
                })
                .collect(),
            explanation: a.insights.iter().map(InsightOut::from).collect(),
        }
    }
}

/// `GET /v1/sim/portfolios` — the practice portfolio (opened on first use) and
/// competition entries.
#[utoipa::path(get, path = "/sim/portfolios", operation_id = "sim_portfolios_list",
    tag = "Simulator: portfolios",
    responses((status = 200, description = "The caller's portfolios",
        body = Sim<Items<PortfolioOut>>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn list(State(s): State<AppState>, signed: SignedIn) -> Result<impl IntoResponse, ApiError> {
    let list = s
        .services
        .sim
        .my_portfolios(&signed.caller(), signed.tenant)
        .await?;
    Ok(items(list.iter().map(PortfolioOut::from).collect()))
}

/// `GET /v1/sim/portfolios/{id|practice}` — valued at current quotes.
#[utoipa::path(get, path = "/sim/portfolios/{id}", operation_id = "sim_portfolios_show",
    tag = "Simulator: portfolios",
    params(("id" = String, Path, description = "`practice` (the caller's practice portfolio) or a portfolio ID")),
    responses((status = 200, description = "The portfolio valued at current quotes",
        body = Sim<ValuedOut>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn show(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id = portfolio_ref(Some(&id))?;
    let view = s
        .services
        .sim
        .portfolio(&signed.caller(), signed.tenant, id)
        .await?;
    Ok(sim(ValuedOut::from(&view)))
}

/// `GET /v1/sim/portfolios/{id|practice}/history` — equity at each session's close.
#[utoipa::path(get, path = "/sim/portfolios/{id}/history", operation_id = "sim_portfolios_history",
    tag = "Simulator: portfolios",
    params(("id" = String, Path, description = "`practice` (the caller's practice portfolio) or a portfolio ID")),
    responses((status = 200, description = "Equity at each session's close, oldest first",
        body = Sim<Items<PointOut>>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn history(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id = portfolio_ref(Some(&id))?;
    let points = s
        .services
        .sim
        .history(&signed.caller(), signed.tenant, id)
        .await?;
    Ok(items(points.iter().map(PointOut::from).collect()))
}

/// `GET /v1/sim/portfolios/{id|practice}/analytics` — measures, composition, warnings
/// and the plain-language explanation with links to lessons.
#[utoipa::path(get, path = "/sim/portfolios/{id}/analytics", operation_id = "sim_portfolios_analytics",
    tag = "Simulator: portfolios",
    params(("id" = String, Path, description = "`practice` (the caller's practice portfolio) or a portfolio ID")),
    responses((status = 200, description = "Measures, composition, warnings and explanation",
        body = Sim<AnalysisOut>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn analytics(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id = portfolio_ref(Some(&id))?;
    let analysis = s
        .services
        .sim
        .analysis(&signed.caller(), signed.tenant, id)
        .await?;
    Ok(sim(AnalysisOut::from(&analysis)))
}

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(list, show, history, analytics))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}
