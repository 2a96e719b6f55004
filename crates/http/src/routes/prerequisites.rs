//! `/v1/courses/{id}/prerequisites`: the courses a learner must complete before
//! enrolling themselves in this one.

use super::id;
use super::outline::parse_ids;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{JsonBody, SignedIn};
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use nexus_domain::learning::CourseId;
use serde::{Deserialize, Serialize};

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi()]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/courses/{id}/prerequisites", get(show).put(replace))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PrerequisitesIn {
    courses: Vec<String>,
}

#[derive(Serialize)]
struct PrerequisiteOut {
    id: CourseId,
    title: String,
    completed: bool,
}

fn course_id(raw: &str) -> Result<CourseId, ApiError> {
    id(raw, "course")
}

/// `GET /v1/courses/{id}/prerequisites` — with whether the caller completed each.
async fn show(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(course): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let list = s
        .services
        .courses
        .prerequisites(&signed.caller(), signed.tenant, course_id(&course)?)
        .await?;
    let courses: Vec<PrerequisiteOut> = list
        .into_iter()
        .map(|p| PrerequisiteOut {
            id: p.course,
            title: p.title,
            completed: p.completed,
        })
        .collect();
    Ok(Json(serde_json::json!({ "courses": courses })))
}

/// `PUT /v1/courses/{id}/prerequisites` — replaces them all.
async fn replace(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(course): Path<String>,
    JsonBody(body): JsonBody<PrerequisitesIn>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let course = course_id(&course)?;
    let ids = parse_ids::<CourseId>(&body.courses, "courses", "not a course ID")?;
    let set = s
        .services
        .courses
        .set_prerequisites(&signed.caller(), signed.tenant, course, &ids)
        .await?;
    Ok(Json(serde_json::json!({ "courses": set })))
}
