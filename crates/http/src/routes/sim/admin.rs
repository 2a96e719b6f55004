//! `/v1/sim/settings` and `/v1/sim/imports`: the tenant's simulator rules, and
//! historical OHLCV data imported from CSV.

use super::dto::BarOut;
use super::{DecimalIn, Items, Sim, decimal, items, sim};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{JsonBody, SignedIn};
use axum::Router;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::routing::get;
use nexus_app::sim::SettingsInput;
use nexus_domain::FieldErrors;
use nexus_domain::sim::SimSettings;
use nexus_store::ImportSummary;
use nexus_trading::rules::Rules;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/sim/settings", get(show).put(update))
        .route("/sim/imports", get(imports))
        .route("/sim/imports/{symbol}", get(imported).put(import))
}

// Wire DTO: the flags are the API's fields.
/// The tenant's simulator settings, replaced whole: an absent switch is off. They
/// apply to orders placed and portfolios opened from now on.
#[allow(clippy::struct_excessive_bools)]
#[derive(Deserialize, ToSchema)]
#[schema(as = SimSettingsUpdate)]
#[serde(deny_unknown_fields)]
struct SettingsIn {
    /// Virtual cash a new practice portfolio starts with: more than 0, at most
    /// 1,000,000,000, at most 2 decimal places.
    #[schema(value_type = DecimalIn, required = true)]
    starting_cash: Option<serde_json::Value>,
    /// How faithfully fills model a real market: `frictionless`, `standard` or
    /// `realistic`.
    #[schema(value_type = String, required = true)]
    realism: Option<String>,
    /// Allow short selling (default false).
    #[serde(default)]
    allow_short: bool,
    /// Margin account, Reg T style (default false: a cash account).
    #[serde(default)]
    margin: bool,
    /// Enforce the pattern-day-trader rule (default false).
    #[serde(default)]
    pattern_day_trader: bool,
    /// Allow trading outside regular hours (default false).
    #[serde(default)]
    allow_extended_hours: bool,
}

/// The tenant's simulator settings.
#[allow(clippy::struct_excessive_bools)]
#[derive(Serialize, ToSchema)]
#[schema(as = SimSettings)]
struct SettingsOut {
    /// Virtual cash a new practice portfolio starts with (decimal string).
    starting_cash: String,
    /// `frictionless`, `standard` or `realistic`.
    realism: &'static str,
    /// Short selling allowed.
    allow_short: bool,
    /// Margin account (Reg T style) rather than a cash account.
    margin: bool,
    /// The pattern-day-trader rule is enforced.
    pattern_day_trader: bool,
    /// Trading outside regular hours allowed.
    allow_extended_hours: bool,
}

impl From<&SimSettings> for SettingsOut {
    fn from(s: &SimSettings) -> Self {
        Self {
            starting_cash: s.starting_cash.to_string(),
            realism: s.realism.as_str(),
            allow_short: s.rules.allow_short,
            margin: s.rules.margin,
            pattern_day_trader: s.rules.pattern_day_trader,
            allow_extended_hours: s.rules.allow_extended_hours,
        }
    }
}

/// What the tenant imported for one symbol.
#[derive(Serialize, ToSchema)]
#[schema(as = SimImport)]
struct ImportOut {
    /// The ticker.
    symbol: String,
    /// Daily bars held.
    bars: u64,
    /// The first bar's date, `YYYY-MM-DD`.
    first: String,
    /// The last bar's date, `YYYY-MM-DD`.
    last: String,
}

impl From<&ImportSummary> for ImportOut {
    fn from(i: &ImportSummary) -> Self {
        Self {
            symbol: i.symbol.to_string(),
            bars: i.bars,
            first: i.first.to_string(),
            last: i.last.to_string(),
        }
    }
}

/// `GET /v1/sim/settings`
#[utoipa::path(get, path = "/sim/settings", operation_id = "sim_settings_show",
    tag = "Simulator: settings",
    responses((status = 200, description = "The tenant's simulator settings",
        body = Sim<SettingsOut>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn show(State(s): State<AppState>, signed: SignedIn) -> Result<impl IntoResponse, ApiError> {
    let settings = s
        .services
        .sim
        .settings(&signed.caller(), signed.tenant)
        .await?;
    Ok(sim(SettingsOut::from(&settings)))
}

/// `PUT /v1/sim/settings` — needs `sim:admin`; audited.
#[utoipa::path(put, path = "/sim/settings", operation_id = "sim_settings_update",
    tag = "Simulator: settings",
    request_body = SettingsIn,
    responses((status = 200, description = "The saved settings", body = Sim<SettingsOut>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn update(
    State(s): State<AppState>,
    signed: SignedIn,
    JsonBody(body): JsonBody<SettingsIn>,
) -> Result<impl IntoResponse, ApiError> {
    s.services
        .sim
        .may_administer(&signed.caller(), signed.tenant)?;
    let mut errors = FieldErrors::new();
    let cash = decimal(&mut errors, "starting_cash", body.starting_cash.as_ref());
    if body.starting_cash.is_none() {
        errors.push(
            "starting_cash",
            "required",
            "the starting cash of new portfolios",
        );
    }
    if body.realism.is_none() {
        errors.push("realism", "required", "frictionless, standard or realistic");
    }
    let (Some(starting_cash), Some(realism)) = (cash, body.realism) else {
        return Err(ApiError::validation(errors));
    };
    let input = SettingsInput {
        starting_cash,
        realism,
        rules: Rules {
            allow_short: body.allow_short,
            margin: body.margin,
            pattern_day_trader: body.pattern_day_trader,
            allow_extended_hours: body.allow_extended_hours,
        },
    };
    let saved = s
        .services
        .sim
        .put_settings(&signed.caller(), signed.tenant, input)
        .await?;
    Ok(sim(SettingsOut::from(&saved)))
}

/// `GET /v1/sim/imports` — what the tenant imported, by symbol.
#[utoipa::path(get, path = "/sim/imports", operation_id = "sim_imports_list",
    tag = "Simulator: imports",
    responses((status = 200, description = "One summary per imported symbol",
        body = Sim<Items<ImportOut>>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn imports(
    State(s): State<AppState>,
    signed: SignedIn,
) -> Result<impl IntoResponse, ApiError> {
    let list = s
        .services
        .sim
        .imports(&signed.caller(), signed.tenant)
        .await?;
    Ok(items(list.iter().map(ImportOut::from).collect()))
}

/// `PUT /v1/sim/imports/{symbol}` — the body is CSV (`date,open,high,low,close,volume`);
/// replaces what was imported for the symbol. A bad file is rejected whole with every
/// bad line's number (422). Needs `sim:admin`; audited.
#[utoipa::path(put, path = "/sim/imports/{symbol}", operation_id = "sim_imports_put",
    tag = "Simulator: imports",
    params(("symbol" = String, Path, description = "The ticker the bars are for")),
    request_body(content = String, content_type = "text/csv",
        description = "Daily OHLCV bars: a header naming `date,open,high,low,close,volume` \
            (any order; an `adj_close` column is ignored), then one row per session with \
            `YYYY-MM-DD` dates strictly increasing, at most 20,000 rows"),
    responses((status = 200, description = "What is now imported for the symbol",
        body = Sim<ImportOut>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn import(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(symbol): Path<String>,
    body: String,
) -> Result<impl IntoResponse, ApiError> {
    let summary = s
        .services
        .sim
        .import_csv(&signed.caller(), signed.tenant, &symbol, &body)
        .await?;
    Ok(sim(ImportOut::from(&summary)))
}

/// `GET /v1/sim/imports/{symbol}` — the imported daily bars, oldest first.
#[utoipa::path(get, path = "/sim/imports/{symbol}", operation_id = "sim_imports_show",
    tag = "Simulator: imports",
    params(("symbol" = String, Path, description = "The imported ticker")),
    responses((status = 200, description = "The imported daily bars (with `date`), oldest first",
        body = Sim<Items<BarOut>>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn imported(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(symbol): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let bars = s
        .services
        .sim
        .imported_bars(&signed.caller(), signed.tenant, &symbol)
        .await?;
    Ok(items(
        bars.iter()
            .map(|b| {
                let bar = nexus_market::Bar {
                    open: b.open,
                    high: b.high,
                    low: b.low,
                    close: b.close,
                    volume: u64::try_from(b.volume).unwrap_or(0),
                };
                BarOut::plain(&bar, None, Some(b.day.to_string()))
            })
            .collect(),
    ))
}

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(show, update, imports, imported, import))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}
