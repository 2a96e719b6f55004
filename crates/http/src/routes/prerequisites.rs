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
use utoipa::ToSchema;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(show, replace))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/courses/{id}/prerequisites", get(show).put(replace))
}

/// The complete new set of prerequisites.
#[derive(Deserialize, ToSchema)]
#[schema(as = CoursePrerequisitesReplace)]
#[serde(deny_unknown_fields)]
struct PrerequisitesIn {
    /// IDs of courses of this tenant (at most 20; duplicates count once). A course
    /// may not require itself, directly or through others.
    courses: Vec<String>,
}

/// One prerequisite of a course, as the caller sees it.
#[derive(Serialize, ToSchema)]
#[schema(as = CoursePrerequisite)]
struct PrerequisiteOut {
    /// The required course.
    id: CourseId,
    /// Its title: the draft's for authors, as published (or the draft's if never
    /// published) for everyone else.
    title: String,
    /// Whether the caller holds a non-revoked certificate for it.
    completed: bool,
}

/// What `GET /v1/courses/{id}/prerequisites` answers.
#[derive(ToSchema)]
#[schema(as = CoursePrerequisites)]
#[allow(dead_code)]
struct PrerequisitesDoc {
    /// The required courses.
    courses: Vec<PrerequisiteOut>,
}

/// What `PUT /v1/courses/{id}/prerequisites` answers.
#[derive(ToSchema)]
#[schema(as = CoursePrerequisiteIds)]
#[allow(dead_code)]
struct PrerequisiteIdsDoc {
    /// The IDs of the required courses now, distinct, in ID order.
    courses: Vec<CourseId>,
}

fn course_id(raw: &str) -> Result<CourseId, ApiError> {
    id(raw, "course")
}

/// `GET /v1/courses/{id}/prerequisites` — with whether the caller completed each.
#[utoipa::path(get, path = "/courses/{id}/prerequisites", operation_id = "course_prerequisites_show", tag = "Course prerequisites",
    params(("id" = String, Path, description = "The course's ID")),
    responses((status = 200, description = "The courses this one requires", body = PrerequisitesDoc)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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
#[utoipa::path(put, path = "/courses/{id}/prerequisites", operation_id = "course_prerequisites_replace", tag = "Course prerequisites",
    params(("id" = String, Path, description = "The course's ID")),
    request_body = PrerequisitesIn,
    responses((status = 200, description = "The prerequisites now", body = PrerequisiteIdsDoc)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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
