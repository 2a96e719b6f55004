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
use utoipa::ToSchema;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(list, purge_dead, show, retry, cancel))]
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

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListIn {
    /// Only jobs in this state: `queued`, `running`, `succeeded`, `dead` or `cancelled`.
    state: Option<String>,
    /// Only jobs of this kind (dotted lowercase words, e.g. `mail.send`).
    kind: Option<String>,
    /// Only jobs acting for this tenant (its ID).
    tenant: Option<String>,
    /// Page size, 1 to 200 (default 50).
    limit: Option<u32>,
    /// Rows to skip (default 0).
    offset: Option<u64>,
}

/// A job as operators see it.
#[derive(Serialize, ToSchema)]
#[schema(as = PlatformJob)]
struct JobOut {
    id: JobId,
    /// The handler kind, e.g. `mail.send`.
    kind: String,
    /// The tenant it acts for.
    tenant: Option<nexus_domain::TenantId>,
    state: JobState,
    /// The handler's input.
    payload: serde_json::Value,
    priority: i16,
    /// Earliest next run.
    #[serde(with = "time::serde::rfc3339")]
    run_at: time::OffsetDateTime,
    /// Claims so far.
    attempts: u32,
    /// The claim budget.
    max_attempts: u32,
    /// The last failure's message.
    last_error: Option<String>,
    /// Deduplication key.
    idempotency_key: Option<String>,
    /// When a running claim expires.
    #[serde(with = "time::serde::rfc3339::option")]
    locked_until: Option<time::OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: time::OffsetDateTime,
    /// When it reached a final state.
    #[serde(with = "time::serde::rfc3339::option")]
    finished_at: Option<time::OffsetDateTime>,
}

/// `POST /v1/platform/jobs/purge-dead`'s body.
#[derive(ToSchema)]
#[schema(as = PlatformJobsPurged)]
#[allow(dead_code)]
struct PurgedDoc {
    /// How many dead jobs were deleted.
    purged: u64,
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
#[utoipa::path(get, path = "/jobs", operation_id = "platform_jobs_list", tag = "Platform: jobs",
    params(ListIn),
    responses((status = 200, description = "One page of jobs, newest first", body = Page<JobOut>)),
    security(("platform" = [])))]
async fn list(
    _: PlatformAdmin,
    State(s): State<AppState>,
    QueryParams(q): QueryParams<ListIn>,
) -> Result<Json<Page<JobOut>>, ApiError> {
    let query = parse_list(q).map_err(ApiError::validation)?;
    Ok(Json(s.services.jobs.list(&query).await?.map(JobOut::from)))
}

/// `GET /v1/platform/jobs/{id}`
#[utoipa::path(get, path = "/jobs/{id}", operation_id = "platform_jobs_show", tag = "Platform: jobs",
    params(("id" = String, Path, description = "The job's ID")),
    responses((status = 200, description = "The job", body = JobOut)),
    security(("platform" = [])))]
async fn show(
    _: PlatformAdmin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<JobOut>, ApiError> {
    Ok(Json(s.services.jobs.get(job_id(&id)?).await?.into()))
}

/// `POST /v1/platform/jobs/{id}/retry` — requeues a dead or cancelled job with a fresh
/// attempt budget.
#[utoipa::path(post, path = "/jobs/{id}/retry", operation_id = "platform_jobs_retry", tag = "Platform: jobs",
    params(("id" = String, Path, description = "The job's ID")),
    responses((status = 200, description = "The job, queued again with a fresh attempt budget", body = JobOut)),
    security(("platform" = [])))]
async fn retry(
    PlatformAdmin(caller): PlatformAdmin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<JobOut>, ApiError> {
    Ok(Json(
        s.services.jobs.retry(&caller, job_id(&id)?).await?.into(),
    ))
}

/// `POST /v1/platform/jobs/{id}/cancel` — cancels a queued job.
#[utoipa::path(post, path = "/jobs/{id}/cancel", operation_id = "platform_jobs_cancel", tag = "Platform: jobs",
    params(("id" = String, Path, description = "The job's ID")),
    responses((status = 200, description = "The cancelled job", body = JobOut)),
    security(("platform" = [])))]
async fn cancel(
    PlatformAdmin(caller): PlatformAdmin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<JobOut>, ApiError> {
    Ok(Json(
        s.services.jobs.cancel(&caller, job_id(&id)?).await?.into(),
    ))
}

/// `POST /v1/platform/jobs/purge-dead` — deletes every dead job.
#[utoipa::path(post, path = "/jobs/purge-dead", operation_id = "platform_jobs_purge_dead", tag = "Platform: jobs",
    responses((status = 200, description = "How many dead jobs were deleted", body = PurgedDoc)),
    security(("platform" = [])))]
async fn purge_dead(
    PlatformAdmin(caller): PlatformAdmin,
    State(s): State<AppState>,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(
        json!({ "purged": s.services.jobs.purge_dead(&caller).await? }),
    ))
}
