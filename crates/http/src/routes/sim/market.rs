//! `/v1/sim/instruments` and `/v1/sim/scenarios`: the simulated market.

use super::dto::{BarOut, QuoteOut};
use super::{items, sim};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{QueryParams, SignedIn};
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use nexus_app::sim::{InstrumentView, ScenarioView};
use serde::{Deserialize, Serialize};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/sim/instruments", get(list))
        .route("/sim/instruments/{symbol}", get(show))
        .route("/sim/instruments/{symbol}/bars", get(bars))
        .route("/sim/scenarios", get(scenarios))
        .route("/sim/scenarios/{name}", get(scenario))
}

#[derive(Serialize)]
struct InstrumentOut {
    symbol: String,
    name: String,
    asset_class: &'static str,
    sector: &'static str,
    average_daily_volume: u64,
    simulated: bool,
    quote: Option<QuoteOut>,
}

impl From<InstrumentView> for InstrumentOut {
    fn from(v: InstrumentView) -> Self {
        Self {
            symbol: v.instrument.symbol,
            name: v.instrument.name,
            asset_class: v.instrument.class.as_str(),
            sector: v.instrument.industry.as_str(),
            average_daily_volume: v.instrument.liquidity.adv,
            simulated: true,
            quote: v.quote.as_ref().map(QuoteOut::from),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BarsIn {
    /// `1d` (default) or `5m`.
    interval: Option<String>,
    /// Sessions of daily bars (default 30).
    days: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioIn {
    symbol: Option<String>,
}

#[derive(Serialize)]
struct ScenarioOut {
    name: &'static str,
    description: &'static str,
    days: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    symbol: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bars: Option<Vec<BarOut>>,
}

impl ScenarioOut {
    fn new(v: &ScenarioView, symbol: Option<String>) -> Self {
        Self {
            name: v.scenario.as_str(),
            description: v.scenario.description(),
            days: v.scenario.days(),
            symbol,
            bars: v
                .bars
                .as_ref()
                .map(|b| b.iter().map(|bar| BarOut::plain(bar, None, None)).collect()),
        }
    }
}

/// `GET /v1/sim/instruments` — every simulated instrument with its quote.
async fn list(
    State(s): State<AppState>,
    signed: SignedIn,
) -> Result<impl axum::response::IntoResponse, ApiError> {
    let list = s
        .services
        .sim
        .instruments(&signed.caller(), signed.tenant)?;
    Ok(items(list.into_iter().map(InstrumentOut::from).collect()))
}

/// `GET /v1/sim/instruments/{symbol}`
async fn show(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(symbol): Path<String>,
) -> Result<impl axum::response::IntoResponse, ApiError> {
    let v = s
        .services
        .sim
        .instrument(&signed.caller(), signed.tenant, &symbol)?;
    Ok(sim(InstrumentOut::from(v)))
}

/// `GET /v1/sim/instruments/{symbol}/bars?interval=1d&days=30` — daily bars of the
/// last sessions, or `interval=5m` for today's 5-minute bars.
async fn bars(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(symbol): Path<String>,
    QueryParams(q): QueryParams<BarsIn>,
) -> Result<impl axum::response::IntoResponse, ApiError> {
    let (caller, tenant) = (signed.caller(), signed.tenant);
    let bars = match q.interval.as_deref().unwrap_or("1d") {
        "1d" => s
            .services
            .sim
            .daily_bars(&caller, tenant, &symbol, q.days.unwrap_or(30))?,
        "5m" => s.services.sim.intraday_bars(&caller, tenant, &symbol)?,
        _ => {
            let mut e = nexus_domain::FieldErrors::new();
            e.push("interval", "invalid_interval", "must be 1d or 5m");
            return Err(ApiError::validation(e));
        }
    };
    Ok(items(bars.iter().map(BarOut::timed).collect()))
}

/// `GET /v1/sim/scenarios` — the presets for lessons.
async fn scenarios(
    State(s): State<AppState>,
    signed: SignedIn,
) -> Result<impl axum::response::IntoResponse, ApiError> {
    let list = s.services.sim.scenarios(&signed.caller(), signed.tenant)?;
    Ok(items(
        list.iter().map(|v| ScenarioOut::new(v, None)).collect(),
    ))
}

/// `GET /v1/sim/scenarios/{name}?symbol=` — the preset's daily bars for one instrument.
async fn scenario(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(name): Path<String>,
    QueryParams(q): QueryParams<ScenarioIn>,
) -> Result<impl axum::response::IntoResponse, ApiError> {
    let caller = signed.caller();
    let tenant = signed.tenant;
    let symbol = q
        .symbol
        .unwrap_or_else(|| s.services.sim.hub().index_symbol().to_owned());
    let v = s.services.sim.scenario(&caller, tenant, &name, &symbol)?;
    Ok(sim(ScenarioOut::new(&v, Some(symbol))))
}

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi()]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}
