//! `/v1/sim/settings` and `/v1/sim/imports`: the tenant's simulator rules, and
//! historical OHLCV data imported from CSV.

use super::dto::BarOut;
use super::{decimal, items, sim};
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

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/sim/settings", get(show).put(update))
        .route("/sim/imports", get(imports))
        .route("/sim/imports/{symbol}", get(imported).put(import))
}

// Wire DTO: the flags are the API's fields.
#[allow(clippy::struct_excessive_bools)]
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsIn {
    starting_cash: Option<serde_json::Value>,
    realism: Option<String>,
    #[serde(default)]
    allow_short: bool,
    #[serde(default)]
    margin: bool,
    #[serde(default)]
    pattern_day_trader: bool,
    #[serde(default)]
    allow_extended_hours: bool,
}

#[allow(clippy::struct_excessive_bools)]
#[derive(Serialize)]
struct SettingsOut {
    starting_cash: String,
    realism: &'static str,
    allow_short: bool,
    margin: bool,
    pattern_day_trader: bool,
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

#[derive(Serialize)]
struct ImportOut {
    symbol: String,
    bars: u64,
    first: String,
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
async fn show(State(s): State<AppState>, signed: SignedIn) -> Result<impl IntoResponse, ApiError> {
    let settings = s
        .services
        .sim
        .settings(&signed.caller(), signed.tenant)
        .await?;
    Ok(sim(SettingsOut::from(&settings)))
}

/// `PUT /v1/sim/settings` — needs `sim:admin`; audited.
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
    #[openapi()]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}
