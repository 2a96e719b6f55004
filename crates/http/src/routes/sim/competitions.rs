//! `/v1/sim/competitions`: class competitions, entries and leaderboards.

use super::dto::PortfolioOut;
use super::{DecimalIn, Items, Sim, decimal, items, sim};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{JsonBody, QueryParams, SignedIn};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use nexus_app::sim::{CompetitionView, Standing};
use nexus_domain::FieldErrors;
use nexus_domain::learning::enrolment::CohortId;
use nexus_domain::paging::PageRequest;
use nexus_domain::sim::CompetitionDraft;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/sim/competitions", get(list).post(create))
        .route("/sim/competitions/{id}", get(show))
        .route("/sim/competitions/{id}/entries", post(join))
        .route("/sim/competitions/{id}/leaderboard", get(leaderboard))
}

/// A new class competition.
#[derive(Deserialize, ToSchema)]
#[schema(as = SimCompetitionCreate)]
#[serde(deny_unknown_fields)]
struct CompetitionIn {
    /// The cohort (class) that competes.
    #[schema(value_type = String, required = true)]
    cohort_id: Option<String>,
    /// Title, 1 to 120 characters.
    #[schema(value_type = String, required = true)]
    name: Option<String>,
    /// When trading opens (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = String, format = DateTime, required = true)]
    starts_at: Option<OffsetDateTime>,
    /// When trading closes and the ranking is final (RFC 3339); after `starts_at`.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = String, format = DateTime, required = true)]
    ends_at: Option<OffsetDateTime>,
    /// Every entrant's starting cash: more than 0, at most 1,000,000,000, at most 2
    /// decimal places.
    #[schema(value_type = DecimalIn, required = true)]
    starting_cash: Option<serde_json::Value>,
    /// Tickers that may be traded; empty or absent: all.
    #[serde(default)]
    allowed_symbols: Vec<String>,
    /// Ranking metric: `return` (default) or `sharpe`.
    metric: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListIn {
    /// Only the competitions of this cohort (ID).
    cohort: Option<String>,
    /// Page size, 1 to 200 (default 50).
    limit: Option<u32>,
    /// Rows to skip (default 0).
    offset: Option<u64>,
}

/// A class competition.
#[derive(Serialize, ToSchema)]
#[schema(as = SimCompetition)]
struct CompetitionOut {
    /// The competition's ID.
    id: String,
    /// The cohort (class) that competes.
    cohort_id: String,
    /// Title.
    name: String,
    /// When trading opens.
    #[serde(with = "time::serde::rfc3339")]
    starts_at: OffsetDateTime,
    /// When trading closes and the ranking is final.
    #[serde(with = "time::serde::rfc3339")]
    ends_at: OffsetDateTime,
    /// Every entrant's starting cash (decimal string).
    starting_cash: String,
    /// Tickers that may be traded; empty: all.
    allowed_symbols: Vec<String>,
    /// Ranking metric: `return` or `sharpe`.
    metric: &'static str,
    /// `scheduled`, `running` or `finished`.
    phase: &'static str,
}

impl From<&CompetitionView> for CompetitionOut {
    fn from(v: &CompetitionView) -> Self {
        let c = &v.competition;
        Self {
            id: c.id.to_string(),
            cohort_id: c.cohort.to_string(),
            name: c.name.clone(),
            starts_at: c.starts_at,
            ends_at: c.ends_at,
            starting_cash: c.starting_cash.to_string(),
            allowed_symbols: c.allowed_symbols.iter().map(ToString::to_string).collect(),
            metric: c.metric.as_str(),
            phase: v.phase,
        }
    }
}

/// One leaderboard row.
#[derive(Serialize, ToSchema)]
#[schema(as = SimStanding)]
struct StandingOut {
    /// Rank from 1; equal scores share it.
    rank: u32,
    /// The entrant's portfolio, when they opted in to leaderboards or it is the
    /// caller's own.
    portfolio_id: Option<String>,
    /// The entrant's name, or "Anonymous".
    display_name: String,
    /// The metric's value; `null` when undefined (e.g. Sharpe with too little history).
    score: Option<f64>,
    /// Total return as a fraction, on rows that show who they are.
    total_return: Option<f64>,
    /// Whether it is the caller's row.
    is_you: bool,
}

impl From<&Standing> for StandingOut {
    fn from(s: &Standing) -> Self {
        Self {
            rank: s.rank,
            portfolio_id: s.portfolio.map(|p| p.to_string()),
            display_name: s.display_name.clone(),
            score: s.score,
            total_return: s.total_return,
            is_you: s.is_you,
        }
    }
}

fn parse(body: &CompetitionIn) -> Result<CompetitionDraft, FieldErrors> {
    let mut errors = FieldErrors::new();
    let cohort = match body.cohort_id.as_deref().map(str::parse::<CohortId>) {
        Some(Ok(c)) => Some(c),
        Some(Err(_)) => {
            errors.push("cohort_id", "format", "not a cohort ID");
            None
        }
        None => {
            errors.push("cohort_id", "required", "name the cohort");
            None
        }
    };
    let cash = decimal(&mut errors, "starting_cash", body.starting_cash.as_ref());
    for (field, v) in [("starts_at", body.starts_at), ("ends_at", body.ends_at)] {
        if v.is_none() {
            errors.push(field, "required", "an RFC 3339 time is required");
        }
    }
    if cash.is_none() && body.starting_cash.is_none() {
        errors.push("starting_cash", "required", "the entrants' starting cash");
    }
    let draft = match (cohort, body.starts_at, body.ends_at, cash) {
        (Some(c), Some(s), Some(e), Some(cash)) => CompetitionDraft::parse(
            c,
            body.name.as_deref().unwrap_or_default(),
            s,
            e,
            cash,
            &body.allowed_symbols,
            body.metric.as_deref().unwrap_or("return"),
        ),
        _ => return Err(errors),
    };
    match draft {
        Ok(d) if errors.is_empty() => Ok(d),
        Ok(_) => Err(errors),
        Err(more) => {
            for e in more.as_slice() {
                errors.push(e.field.clone(), e.code, e.message.clone());
            }
            Err(errors)
        }
    }
}

/// `POST /v1/sim/competitions` — needs `competition:write`.
#[utoipa::path(post, path = "/sim/competitions", operation_id = "sim_competitions_create",
    tag = "Simulator: competitions",
    request_body = CompetitionIn,
    responses((status = 201, description = "The new competition", body = Sim<CompetitionOut>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn create(
    State(s): State<AppState>,
    signed: SignedIn,
    JsonBody(body): JsonBody<CompetitionIn>,
) -> Result<impl IntoResponse, ApiError> {
    s.services
        .sim
        .may_run_competitions(&signed.caller(), signed.tenant)?;
    let draft = parse(&body).map_err(ApiError::validation)?;
    let c = s
        .services
        .sim
        .create_competition(&signed.caller(), signed.tenant, draft)
        .await?;
    Ok((StatusCode::CREATED, sim(CompetitionOut::from(&c))))
}

/// `GET /v1/sim/competitions?cohort=` — newest first; learners see their cohorts'.
#[utoipa::path(get, path = "/sim/competitions", operation_id = "sim_competitions_list",
    tag = "Simulator: competitions",
    params(ListIn),
    responses((status = 200, description = "Competitions, newest first",
        body = Sim<Items<CompetitionOut>>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn list(
    State(s): State<AppState>,
    signed: SignedIn,
    QueryParams(q): QueryParams<ListIn>,
) -> Result<impl IntoResponse, ApiError> {
    let page = PageRequest::new(q.limit, q.offset)
        .map_err(|e| nexus_app::AppError::invalid_field("limit", e))?;
    let cohort = q
        .cohort
        .as_deref()
        .map(|c| super::super::id::<CohortId>(c, "cohort"))
        .transpose()?;
    let list = s
        .services
        .sim
        .competitions(&signed.caller(), signed.tenant, cohort, page)
        .await?;
    Ok(items(list.iter().map(CompetitionOut::from).collect()))
}

/// `GET /v1/sim/competitions/{id}`
#[utoipa::path(get, path = "/sim/competitions/{id}", operation_id = "sim_competitions_show",
    tag = "Simulator: competitions",
    params(("id" = String, Path, description = "The competition's ID")),
    responses((status = 200, description = "The competition", body = Sim<CompetitionOut>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn show(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id = super::super::id(&id, "competition")?;
    let c = s
        .services
        .sim
        .competition(&signed.caller(), signed.tenant, id)
        .await?;
    Ok(sim(CompetitionOut::from(&c)))
}

/// `POST /v1/sim/competitions/{id}/entries` — joins with a fresh portfolio; joining
/// again returns the same one.
#[utoipa::path(post, path = "/sim/competitions/{id}/entries", operation_id = "sim_competitions_join",
    tag = "Simulator: competitions",
    params(("id" = String, Path, description = "The competition's ID")),
    responses((status = 201, description = "The caller's portfolio in the competition (the same \
        one, still 201, when they had joined already)", body = Sim<PortfolioOut>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn join(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id = super::super::id(&id, "competition")?;
    let p = s
        .services
        .sim
        .join(&signed.caller(), signed.tenant, id)
        .await?;
    Ok((StatusCode::CREATED, sim(PortfolioOut::from(&p))))
}

/// `GET /v1/sim/competitions/{id}/leaderboard` — ranked by the competition's metric;
/// entrants who did not opt in to leaderboards appear as "Anonymous".
#[utoipa::path(get, path = "/sim/competitions/{id}/leaderboard", operation_id = "sim_competitions_leaderboard",
    tag = "Simulator: competitions",
    params(("id" = String, Path, description = "The competition's ID")),
    responses((status = 200, description = "The standings, best first",
        body = Sim<Items<StandingOut>>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn leaderboard(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id = super::super::id(&id, "competition")?;
    let rows = s
        .services
        .sim
        .leaderboard(&signed.caller(), signed.tenant, id)
        .await?;
    Ok(items(rows.iter().map(StandingOut::from).collect()))
}

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(create, list, show, join, leaderboard))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}
