//! `/v1/courses/import` and `/v1/courses/{id}/export`: whole courses as course packages
//! (docs/COURSE_PACKAGE.md). Both need `course:write` (checked in the service): a
//! package carries answer keys.
//!
//! An import is read in two steps: the header (`schema`, `schema_version`) first, so a
//! package of another version is refused for its version rather than for a member this
//! version does not know; then the shape (422 naming the path of a wrong type or
//! unknown member); then every rule at once (422 listing every path).

use super::courses::CourseOut;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{JsonBody, SignedIn, from_value};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use nexus_domain::learning::CourseId;
use nexus_domain::learning::package::{CoursePackage, check_header, file_stem};

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(import, export))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/courses/import", post(import))
        .route("/courses/{id}/export", get(export))
}

/// `GET /v1/courses/{id}/export` — the draft as a package, as a download.
#[utoipa::path(get, path = "/courses/{id}/export", operation_id = "courses_export", tag = "Course packages",
    params(("id" = String, Path, description = "The course's ID")),
    responses((status = 200,
        description = "The draft course as a course package (with answer keys), pretty-printed, as an attachment",
        content_type = "application/json", body = CoursePackage,
        headers(("Content-Disposition" = String,
            description = "`attachment; filename=\"<title-stem>.json\"`, the stem being the title in a-z, 0-9 and `-`")))),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn export(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id: CourseId = super::id(&id, "course")?;
    let package = s
        .services
        .courses
        .export(&signed.caller(), signed.tenant, id)
        .await?;
    let body = serde_json::to_vec_pretty(&package)
        .map_err(|e| ApiError::from(nexus_app::AppError::Internal(Box::new(e))))?;
    // The stem is `[a-z0-9-]` only, so it needs no quoting rules beyond the quotes.
    let disposition = format!(
        "attachment; filename=\"{}.json\"",
        file_stem(&package.course.title)
    );
    let headers = [
        (header::CONTENT_TYPE, "application/json".to_owned()),
        (header::CONTENT_DISPOSITION, disposition),
    ];
    Ok((headers, body).into_response())
}

/// `POST /v1/courses/import` — a new draft course from a package.
#[utoipa::path(post, path = "/courses/import", operation_id = "courses_import", tag = "Course packages",
    request_body(content = CoursePackage, content_type = "application/json",
        description = "A course package (docs/COURSE_PACKAGE.md), schema version 1"),
    responses((status = 201, description = "The new draft course", body = CourseOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn import(
    State(s): State<AppState>,
    signed: SignedIn,
    JsonBody(raw): JsonBody<serde_json::Value>,
) -> Result<(StatusCode, Json<CourseOut>), ApiError> {
    check_header(&raw).map_err(ApiError::validation)?;
    let package: CoursePackage = from_value(raw)?;
    let parsed = package.parse().map_err(ApiError::validation)?;
    let course = s
        .services
        .courses
        .import(&signed.caller(), signed.tenant, parsed)
        .await?;
    Ok((StatusCode::CREATED, Json(course.into())))
}
