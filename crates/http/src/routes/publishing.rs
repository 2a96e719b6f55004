//! `/v1/courses/{id}/publish|unpublish|content`: the workflow's visible side, and what
//! learners read.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::SignedIn;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use nexus_app::learning::publish::{PublishedCourse, PublishedLesson};
use nexus_domain::learning::{CourseId, LessonId};
use serde_json::{Value, json};

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi()]
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

fn course_id(raw: &str) -> Result<CourseId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found("course"))
}

/// `POST /v1/courses/{id}/publish` — freezes the draft as the next version.
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
async fn content(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<Json<PublishedCourse>, ApiError> {
    Ok(Json(
        s.services
            .courses
            .content(&signed.caller(), signed.tenant, course_id(&id)?)
            .await?,
    ))
}

/// `GET /v1/courses/{id}/content/lessons/{lesson}` — one published lesson.
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
        .into_iter()
        .flat_map(|m| m.lessons)
        .find(|l| l.id == lesson)
        .map(Json)
        .ok_or_else(|| ApiError::not_found("lesson"))
}
