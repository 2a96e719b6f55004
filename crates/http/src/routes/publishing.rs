//! `/v1/courses/{id}/publish|unpublish|content`: the workflow's visible side, and what
//! learners read.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::SignedIn;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use nexus_app::learning::publish::{PublishedCourse, PublishedLesson};
use nexus_domain::learning::ContentStatus;
use nexus_domain::learning::{CourseId, LessonId};
use serde_json::{Value, json};
use utoipa::ToSchema;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(publish, unpublish, content, lesson))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/courses/{id}/publish", post(publish))
        .route("/courses/{id}/unpublish", post(unpublish))
        .route("/courses/{id}/content", get(content))
        .route("/courses/{id}/content/lessons/{lesson}", get(lesson))
}

/// What `POST /v1/courses/{id}/publish` answers.
#[derive(ToSchema)]
#[schema(as = CoursePublished)]
#[allow(dead_code)]
struct PublishedDoc {
    id: CourseId,
    /// `published`.
    status: ContentStatus,
    /// The version just published (1 for the first publish).
    published_version: u32,
    /// How many lessons the published version holds.
    lessons: usize,
}

/// What `POST /v1/courses/{id}/unpublish` answers.
#[derive(ToSchema)]
#[schema(as = CourseUnpublished)]
#[allow(dead_code)]
struct UnpublishedDoc {
    id: CourseId,
    /// `draft`.
    status: ContentStatus,
    /// The latest published version, kept for the next publish to follow.
    published_version: u32,
}

fn course_id(raw: &str) -> Result<CourseId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found("course"))
}

/// `POST /v1/courses/{id}/publish` — freezes the draft as the next version.
#[utoipa::path(post, path = "/courses/{id}/publish", operation_id = "courses_publish", tag = "Course publishing",
    params(("id" = String, Path, description = "The course's ID")),
    responses((status = 200, description = "The course's new status and version", body = PublishedDoc)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn publish(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (course, snapshot) = s
        .services
        .courses
        .publish(&signed.caller(), signed.tenant, course_id(&id)?)
        .await?;
    let lessons: usize = snapshot.modules.iter().map(|m| m.lessons.len()).sum();
    Ok(Json(json!({
        "id": course.id,
        "status": course.status,
        "published_version": course.published_version,
        "lessons": lessons,
    })))
}

/// `POST /v1/courses/{id}/unpublish` — hidden from learners; versions kept.
#[utoipa::path(post, path = "/courses/{id}/unpublish", operation_id = "courses_unpublish", tag = "Course publishing",
    params(("id" = String, Path, description = "The course's ID")),
    responses((status = 200, description = "The course's new status", body = UnpublishedDoc)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn unpublish(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let course = s
        .services
        .courses
        .unpublish(&signed.caller(), signed.tenant, course_id(&id)?)
        .await?;
    Ok(Json(json!({
        "id": course.id,
        "status": course.status,
        "published_version": course.published_version,
    })))
}

/// `GET /v1/courses/{id}/content` — the latest published version, lessons rendered.
#[utoipa::path(get, path = "/courses/{id}/content", operation_id = "courses_content", tag = "Course publishing",
    params(("id" = String, Path, description = "The course's ID")),
    responses((status = 200, description = "The latest published version", body = PublishedCourse)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn content(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<Json<PublishedCourse>, ApiError> {
    let published = s
        .services
        .courses
        .content(&signed.caller(), signed.tenant, course_id(&id)?)
        .await?;
    Ok(Json(PublishedCourse::clone(&published)))
}

/// `GET /v1/courses/{id}/content/lessons/{lesson}` — one published lesson.
#[utoipa::path(get, path = "/courses/{id}/content/lessons/{lesson}", operation_id = "courses_content_lesson", tag = "Course publishing",
    params(("id" = String, Path, description = "The course's ID"),
        ("lesson" = String, Path, description = "The lesson's ID")),
    responses((status = 200, description = "The lesson as published in the latest version, rendered", body = PublishedLesson)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn lesson(
    State(s): State<AppState>,
    signed: SignedIn,
    Path((id, lesson)): Path<(String, String)>,
) -> Result<Json<PublishedLesson>, ApiError> {
    let lesson: LessonId = lesson.parse().map_err(|_| ApiError::not_found("lesson"))?;
    let published = s
        .services
        .courses
        .content(&signed.caller(), signed.tenant, course_id(&id)?)
        .await?;
    published
        .modules
        .iter()
        .flat_map(|m| &m.lessons)
        .find(|l| l.id == lesson)
        .map(|l| Json(l.clone()))
        .ok_or_else(|| ApiError::not_found("lesson"))
}
