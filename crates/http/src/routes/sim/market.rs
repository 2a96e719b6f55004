//! `/v1/sim/instruments` and `/v1/sim/scenarios`: the simulated market.

use super::dto::{BarOut, QuoteOut};
use super::{Items, Sim, items, sim};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{QueryParams, SignedIn};
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use nexus_app::sim::{InstrumentView, ScenarioView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/sim/instruments", get(list))
        .route("/sim/instruments/{symbol}", get(show))
        .route("/sim/instruments/{symbol}/bars", get(bars))
        .route("/sim/scenarios", get(scenarios))
        .route("/sim/scenarios/{name}", get(scenario))
}

/// A simulated (fictional) instrument.
#[derive(Serialize, ToSchema)]
#[schema(as = SimInstrument)]
struct InstrumentOut {
    /// The ticker.
    symbol: String,
    /// The instrument's (fictional) name.
    name: String,
    /// `stock`, `etf`, `bond_fund`, `money_market` or `crypto`.
    asset_class: &'static str,
    /// `technology`, `financials`, `energy`, `healthcare`, `consumer`, `industrials`,
    /// `utilities`, `broad`, `international`, `bonds`, `cash` or `crypto`.
    sector: &'static str,
    /// Average units traded per session, which drives the liquidity model.
    average_daily_volume: u64,
    /// Always `true`: every instrument is simulated.
    simulated: bool,
    /// The quote now, when there is one.
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct BarsIn {
    /// `1d` (default): daily bars of the last sessions; `5m`: the 5-minute bars of the
    /// current (or last) session so far.
    interval: Option<String>,
    /// Sessions of daily bars, 1 to 520 (default 30); ignored for `5m`.
    days: Option<u32>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ScenarioIn {
    /// The instrument to apply the preset to; default the broad-market index fund.
    symbol: Option<String>,
}

/// A scenario preset for lessons.
#[derive(Serialize, ToSchema)]
#[schema(as = SimScenario)]
struct ScenarioOut {
    /// `calm_bull`, `crash_2008`, `dot_com` or `high_inflation`.
    name: &'static str,
    /// What the learner is told about it.
    description: &'static str,
    /// Sessions it spans.
    days: u32,
    /// The instrument of `bars` (on one scenario only).
    #[serde(skip_serializing_if = "Option::is_none")]
    symbol: Option<String>,
    /// The preset's daily bars, oldest first (on one scenario only).
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
#[utoipa::path(get, path = "/sim/instruments", operation_id = "sim_instruments_list",
    tag = "Simulator: market",
    responses((status = 200, description = "Every simulated instrument with its quote",
        body = Sim<Items<InstrumentOut>>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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
#[utoipa::path(get, path = "/sim/instruments/{symbol}", operation_id = "sim_instruments_show",
    tag = "Simulator: market",
    params(("symbol" = String, Path, description = "The instrument's ticker")),
    responses((status = 200, description = "The instrument with its quote",
        body = Sim<InstrumentOut>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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
#[utoipa::path(get, path = "/sim/instruments/{symbol}/bars", operation_id = "sim_instruments_bars",
    tag = "Simulator: market",
    params(("symbol" = String, Path, description = "The instrument's ticker"), BarsIn),
    responses((status = 200, description = "The bars, oldest first", body = Sim<Items<BarOut>>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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
#[utoipa::path(get, path = "/sim/scenarios", operation_id = "sim_scenarios_list",
    tag = "Simulator: market",
    responses((status = 200, description = "The presets, without bars",
        body = Sim<Items<ScenarioOut>>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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
#[utoipa::path(get, path = "/sim/scenarios/{name}", operation_id = "sim_scenarios_show",
    tag = "Simulator: market",
    params(("name" = String, Path,
        description = "The preset: `calm_bull`, `crash_2008`, `dot_com` or `high_inflation`"),
        ScenarioIn),
    responses((status = 200, description = "The preset with its daily bars for the instrument",
        body = Sim<ScenarioOut>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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
    #[openapi(paths(list, show, bars, scenarios, scenario))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}
