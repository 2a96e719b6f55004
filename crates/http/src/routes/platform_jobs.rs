//! `/v1/platform/jobs`: the background queue, for platform operators.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{PlatformAdmin, QueryParams};
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use nexus_domain::FieldErrors;
use nexus_domain::jobs::{Job, JobId, JobQuery, JobState, parse_kind};
use nexus_domain::paging::{Page, PageRequest};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi()]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/jobs", get(list))
        .route("/jobs/purge-dead", post(purge_dead))
        .route("/jobs/{id}", get(show))
        .route("/jobs/{id}/retry", post(retry))
        .route("/jobs/{id}/cancel", post(cancel))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListIn {
    state: Option<String>,
    kind: Option<String>,
    tenant: Option<String>,
    limit: Option<u32>,
    offset: Option<u64>,
}

/// A job as operators see it.
#[derive(Serialize)]
struct JobOut {
    id: JobId,
    kind: String,
    tenant: Option<nexus_domain::TenantId>,
    state: JobState,
    payload: serde_json::Value,
    priority: i16,
    #[serde(with = "time::serde::rfc3339")]
    run_at: time::OffsetDateTime,
    attempts: u32,
    max_attempts: u32,
    last_error: Option<String>,
    idempotency_key: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    locked_until: Option<time::OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    finished_at: Option<time::OffsetDateTime>,
}

impl From<Job> for JobOut {
    fn from(j: Job) -> Self {
        Self {
            id: j.id,
            kind: j.kind,
            tenant: j.tenant,
            state: j.state,
            payload: j.payload,
            priority: j.priority,
            run_at: j.run_at,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            last_error: j.last_error,
            idempotency_key: j.idempotency_key,
            locked_until: j.locked_until,
            created_at: j.created_at,
            updated_at: j.updated_at,
            finished_at: j.finished_at,
        }
    }
}

fn parse_list(raw: ListIn) -> Result<JobQuery, FieldErrors> {
    let mut errs = FieldErrors::new();
    let query = JobQuery {
        state: raw
            .state
            .and_then(|v| errs.check("state", JobState::parse(&v))),
        kind: raw.kind.and_then(|v| errs.check("kind", parse_kind(&v))),
        tenant: raw.tenant.and_then(|v| {
            let parsed = v
                .parse()
                .map_err(|_| nexus_domain::validation::invalid("format", "must be a tenant id"));
            errs.check("tenant", parsed)
        }),
        page: errs
            .check("limit", PageRequest::new(raw.limit, raw.offset))
            .unwrap_or_default(),
    };
    errs.finish(|| Some(query))
}

fn job_id(raw: &str) -> Result<JobId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found("job"))
}

/// `GET /v1/platform/jobs`
async fn list(
    _: PlatformAdmin,
    State(s): State<AppState>,
    QueryParams(q): QueryParams<ListIn>,
) -> Result<Json<Page<JobOut>>, ApiError> {
    let query = parse_list(q).map_err(ApiError::validation)?;
    Ok(Json(s.services.jobs.list(&query).await?.map(JobOut::from)))
}

/// `GET /v1/platform/jobs/{id}`
async fn show(
    _: PlatformAdmin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<JobOut>, ApiError> {
    Ok(Json(s.services.jobs.get(job_id(&id)?).await?.into()))
}

/// `POST /v1/platform/jobs/{id}/retry`
async fn retry(
    PlatformAdmin(caller): PlatformAdmin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<JobOut>, ApiError> {
    Ok(Json(
        s.services.jobs.retry(&caller, job_id(&id)?).await?.into(),
    ))
}

/// `POST /v1/platform/jobs/{id}/cancel`
async fn cancel(
    PlatformAdmin(caller): PlatformAdmin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<JobOut>, ApiError> {
    Ok(Json(
        s.services.jobs.cancel(&caller, job_id(&id)?).await?.into(),
    ))
}

/// `POST /v1/platform/jobs/purge-dead`
async fn purge_dead(
    PlatformAdmin(caller): PlatformAdmin,
    State(s): State<AppState>,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(
        json!({ "purged": s.services.jobs.purge_dead(&caller).await? }),
    ))
}
