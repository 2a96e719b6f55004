//! `/v1/sim`: the portfolio simulator. Educational only: every response carries the
//! disclaimer in its body (`disclaimer`) and, errors included, in the
//! `Simulation-Notice` header.
//!
//! - `market`: instruments, quotes, bars, scenario presets.
//! - `orders`: place, list, show, cancel, replace; fills.
//! - `portfolios`: portfolios, valuation, history, analytics and explanation.
//! - `competitions`: class competitions, entries and leaderboards.
//! - `admin`: the tenant's simulator settings and CSV imports.
//! - `stream`: Server-Sent Events for quotes and the learner's order updates.

mod admin;
mod competitions;
mod dto;
mod market;
mod orders;
mod portfolios;
mod stream;

use crate::AppState;
use crate::error::ApiError;
use axum::Router;
use axum::http::HeaderValue;
use nexus_domain::FieldErrors;
use nexus_domain::sim::{DISCLAIMER, PortfolioId};
use rust_decimal::Decimal;
use serde::Serialize;
use tower_http::set_header::SetResponseHeaderLayer;

/// The simulator modules' operations (all under `/v1`).
pub(crate) fn apis() -> Vec<utoipa::openapi::OpenApi> {
    vec![
        market::api(),
        orders::api(),
        portfolios::api(),
        competitions::api(),
        admin::api(),
        stream::api(),
    ]
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .merge(market::router())
        .merge(orders::router())
        .merge(portfolios::router())
        .merge(competitions::router())
        .merge(admin::router())
        .merge(stream::router())
        .layer(SetResponseHeaderLayer::overriding(
            axum::http::HeaderName::from_static("simulation-notice"),
            HeaderValue::from_static(
                "simulated market for education only; virtual money; not investment advice",
            ),
        ))
}

/// A simulator response body: the payload with the disclaimer beside it.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Sim<T> {
    /// Always the same notice: "Simulated market for education only: virtual money,
    /// fictional instruments, no real broker and no investment advice."
    #[schema(
        example = "Simulated market for education only: virtual money, fictional instruments, no real broker and no investment advice."
    )]
    disclaimer: &'static str,
    #[serde(flatten)]
    data: T,
}

/// Wraps a payload.
pub(crate) fn sim<T>(data: T) -> axum::Json<Sim<T>> {
    axum::Json(Sim {
        disclaimer: DISCLAIMER,
        data,
    })
}

/// A list payload.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = SimItems)]
pub(crate) struct Items<T> {
    /// The rows.
    items: Vec<T>,
}

/// Wraps a list.
pub(crate) fn items<T>(items: Vec<T>) -> axum::Json<Sim<Items<T>>> {
    sim(Items { items })
}

/// A money or quantity field: a JSON string (`"10.5"`, preferred: exact) or number.
pub(crate) fn decimal(
    errors: &mut FieldErrors,
    field: &str,
    raw: Option<&serde_json::Value>,
) -> Option<Decimal> {
    let text = match raw? {
        serde_json::Value::Null => return None,
        serde_json::Value::String(s) => s.trim().to_owned(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => {
            errors.push(
                field,
                "not_a_number",
                "must be a decimal number, e.g. \"10.5\"",
            );
            return None;
        }
    };
    let parsed = text.parse::<Decimal>().ok();
    if parsed.is_none() {
        errors.push(
            field,
            "not_a_number",
            "must be a decimal number, e.g. \"10.5\"",
        );
    }
    parsed
}

/// The schema of a money or quantity field of a request body (read by [`decimal`]): a
/// decimal string (preferred: exact) or a JSON number. Documentation only.
pub(crate) struct DecimalIn;

impl utoipa::PartialSchema for DecimalIn {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
        ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::String, Type::Number]))
            .description(Some(
                "A decimal: a string such as \"10.5\" (preferred: exact) or a JSON number.",
            ))
            .examples([serde_json::json!("10.5")])
            .into()
    }
}

impl utoipa::ToSchema for DecimalIn {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("SimDecimal")
    }
}

/// A portfolio named in a path or query: `practice` (the learner's own) or an ID.
pub(crate) fn portfolio_ref(raw: Option<&str>) -> Result<Option<PortfolioId>, ApiError> {
    match raw {
        None | Some("practice") => Ok(None),
        Some(id) => super::id(id, "portfolio").map(Some),
    }
}
