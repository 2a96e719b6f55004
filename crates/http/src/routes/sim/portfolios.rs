//! `/v1/sim/portfolios`: the learner's portfolios, valued now, with their history,
//! analytics and "explain my portfolio".

use super::dto::{PortfolioOut, ValuedOut};
use super::{items, portfolio_ref, sim};
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

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/sim/portfolios", get(list))
        .route("/sim/portfolios/{id}", get(show))
        .route("/sim/portfolios/{id}/history", get(history))
        .route("/sim/portfolios/{id}/analytics", get(analytics))
}

#[derive(Serialize)]
struct PointOut {
    day: u32,
    date: String,
    equity: String,
    cash: String,
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

#[derive(Serialize)]
struct MeasuresOut {
    daily_returns: usize,
    time_weighted_return: Option<f64>,
    volatility: Option<f64>,
    sharpe: Option<f64>,
    sortino: Option<f64>,
    max_drawdown: Option<f64>,
    beta: Option<f64>,
    value_at_risk_95: Option<f64>,
    value_at_risk_95_amount: Option<String>,
    fee_drag: Option<f64>,
}

#[derive(Serialize)]
struct WeightOut {
    name: String,
    weight: f64,
}

#[derive(Serialize)]
struct CompositionOut {
    cash_weight: f64,
    crypto_weight: f64,
    hhi: Option<f64>,
    positions: Vec<WeightOut>,
    sectors: Vec<WeightOut>,
}

#[derive(Serialize)]
struct WarningOut {
    code: &'static str,
    message: String,
}

#[derive(Serialize)]
struct InsightOut {
    code: &'static str,
    severity: &'static str,
    title: String,
    message: String,
    lesson: Option<LessonOut>,
}

#[derive(Serialize)]
struct LessonOut {
    course: &'static str,
    module: u32,
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

#[derive(Serialize)]
struct AnalysisOut {
    measures: MeasuresOut,
    composition: Option<CompositionOut>,
    warnings: Vec<WarningOut>,
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
async fn list(State(s): State<AppState>, signed: SignedIn) -> Result<impl IntoResponse, ApiError> {
    let list = s
        .services
        .sim
        .my_portfolios(&signed.caller(), signed.tenant)
        .await?;
    Ok(items(list.iter().map(PortfolioOut::from).collect()))
}

/// `GET /v1/sim/portfolios/{id|practice}` — valued at current quotes.
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
    #[openapi()]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}
