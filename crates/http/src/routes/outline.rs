//! `/v1/courses/{id}/…`: authoring a course's modules and lessons, and previewing it.

use super::id;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{JsonBody, SignedIn};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};
use nexus_domain::FieldErrors;
use nexus_domain::learning::{CourseId, LessonDraft, LessonId, ModuleId};
use serde::{Deserialize, Serialize};

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi()]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/courses/{id}/outline", get(preview))
        .route("/courses/{id}/modules", post(add_module))
        .route("/courses/{id}/module-order", put(reorder_modules))
        .route(
            "/courses/{id}/modules/{module}",
            patch(rename_module).delete(delete_module),
        )
        .route("/courses/{id}/modules/{module}/lessons", post(add_lesson))
        .route("/courses/{id}/modules/{module}/lesson-order", put(reorder))
        .route(
            "/courses/{id}/lessons/{lesson}",
            put(update_lesson).delete(delete_lesson),
        )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModuleIn {
    title: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LessonIn {
    title: String,
    #[serde(default)]
    body: String,
    estimated_minutes: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrderIn {
    lessons: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModuleOrderIn {
    modules: Vec<String>,
}

#[derive(Serialize)]
struct ModuleOut {
    id: ModuleId,
    position: u32,
    title: String,
}

#[derive(Serialize)]
struct LessonOut {
    id: LessonId,
    module: ModuleId,
    position: u32,
    title: String,
    body: String,
    estimated_minutes: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    html: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: time::OffsetDateTime,
}

impl LessonOut {
    fn new(l: nexus_domain::learning::Lesson, html: Option<String>) -> Self {
        Self {
            id: l.id,
            module: l.module,
            position: l.position,
            title: l.draft.title,
            body: l.draft.body,
            estimated_minutes: l.draft.estimated_minutes,
            html,
            updated_at: l.updated_at,
        }
    }
}

#[derive(Serialize)]
struct OutlineModuleOut {
    #[serde(flatten)]
    module: ModuleOut,
    lessons: Vec<LessonOut>,
}

#[derive(Serialize)]
struct OutlineOut {
    course: CourseId,
    status: nexus_domain::learning::ContentStatus,
    modules: Vec<OutlineModuleOut>,
}

fn lesson_draft(raw: &LessonIn) -> Result<LessonDraft, ApiError> {
    LessonDraft::parse(&raw.title, &raw.body, raw.estimated_minutes).map_err(ApiError::validation)
}

/// `GET /v1/courses/{id}/outline` — the draft with every lesson rendered (authors).
async fn preview(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(course): Path<String>,
) -> Result<Json<OutlineOut>, ApiError> {
    let (course, outline) = s
        .services
        .courses
        .preview(&signed.caller(), signed.tenant, id(&course, "course")?)
        .await?;
    let modules = outline
        .into_iter()
        .map(|(m, lessons)| OutlineModuleOut {
            module: ModuleOut {
                id: m.id,
                position: m.position,
                title: m.title,
            },
            lessons: lessons
                .into_iter()
                .map(|r| LessonOut::new(r.lesson, Some(r.html.into_string())))
                .collect(),
        })
        .collect();
    Ok(Json(OutlineOut {
        course: course.id,
        status: course.status,
        modules,
    }))
}

/// `POST /v1/courses/{id}/modules` — appended at the end.
async fn add_module(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(course): Path<String>,
    JsonBody(body): JsonBody<ModuleIn>,
) -> Result<(StatusCode, Json<ModuleOut>), ApiError> {
    let course = id(&course, "course")?;
    let m = s
        .services
        .courses
        .add_module(&signed.caller(), signed.tenant, course, &body.title)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ModuleOut {
            id: m.id,
            position: m.position,
            title: m.title,
        }),
    ))
}

/// `POST /v1/courses/{id}/modules/{module}/lessons` — appended to the module.
async fn add_lesson(
    State(s): State<AppState>,
    signed: SignedIn,
    Path((course, module)): Path<(String, String)>,
    JsonBody(body): JsonBody<LessonIn>,
) -> Result<(StatusCode, Json<LessonOut>), ApiError> {
    let (course, module) = (id(&course, "course")?, id(&module, "module")?);
    let draft = lesson_draft(&body)?;
    let l = s
        .services
        .courses
        .add_lesson(&signed.caller(), signed.tenant, course, module, draft)
        .await?;
    Ok((StatusCode::CREATED, Json(LessonOut::new(l, None))))
}

/// `PUT /v1/courses/{id}/lessons/{lesson}` — replaces the lesson's content.
async fn update_lesson(
    State(s): State<AppState>,
    signed: SignedIn,
    Path((course, lesson)): Path<(String, String)>,
    JsonBody(body): JsonBody<LessonIn>,
) -> Result<Json<LessonOut>, ApiError> {
    let (course, lesson) = (id(&course, "course")?, id(&lesson, "lesson")?);
    let draft = lesson_draft(&body)?;
    let l = s
        .services
        .courses
        .update_lesson(&signed.caller(), signed.tenant, course, lesson, draft)
        .await?;
    Ok(Json(LessonOut::new(l, None)))
}

/// `PUT /v1/courses/{id}/modules/{module}/lesson-order` — every lesson, once, in order.
async fn reorder(
    State(s): State<AppState>,
    signed: SignedIn,
    Path((course, module)): Path<(String, String)>,
    JsonBody(body): JsonBody<OrderIn>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (course, module) = (id(&course, "course")?, id(&module, "module")?);
    let mut errs = FieldErrors::new();
    let mut order = Vec::new();
    for (i, raw) in body.lessons.iter().enumerate() {
        match raw.parse::<LessonId>() {
            Ok(l) => order.push(l),
            Err(_) => errs.push(format!("lessons[{i}]"), "format", "not a lesson ID"),
        }
    }
    errs.finish(|| Some(())).map_err(ApiError::validation)?;
    let order = s
        .services
        .courses
        .reorder_lessons(&signed.caller(), signed.tenant, course, module, &order)
        .await?;
    Ok(Json(serde_json::json!({ "lessons": order })))
}

/// `PUT /v1/courses/{id}/module-order` — every module of the course, once, in order.
async fn reorder_modules(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(course): Path<String>,
    JsonBody(body): JsonBody<ModuleOrderIn>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let course = id(&course, "course")?;
    let order = parse_ids::<ModuleId>(&body.modules, "modules", "not a module ID")?;
    let order = s
        .services
        .courses
        .reorder_modules(&signed.caller(), signed.tenant, course, &order)
        .await?;
    Ok(Json(serde_json::json!({ "modules": order })))
}

/// Parses a list of IDs, reporting every malformed one as `field[i]`.
pub(super) fn parse_ids<T: std::str::FromStr>(
    raw: &[String],
    field: &str,
    message: &'static str,
) -> Result<Vec<T>, ApiError> {
    let mut errs = FieldErrors::new();
    let mut out = Vec::with_capacity(raw.len());
    for (i, r) in raw.iter().enumerate() {
        match r.parse::<T>() {
            Ok(v) => out.push(v),
            Err(_) => errs.push(format!("{field}[{i}]"), "format", message),
        }
    }
    errs.finish(|| Some(out)).map_err(ApiError::validation)
}

/// `PATCH /v1/courses/{id}/modules/{module}` — renames the module.
async fn rename_module(
    State(s): State<AppState>,
    signed: SignedIn,
    Path((course, module)): Path<(String, String)>,
    JsonBody(body): JsonBody<ModuleIn>,
) -> Result<Json<ModuleOut>, ApiError> {
    let (course, module) = (id(&course, "course")?, id(&module, "module")?);
    let m = s
        .services
        .courses
        .rename_module(&signed.caller(), signed.tenant, course, module, &body.title)
        .await?;
    Ok(Json(ModuleOut {
        id: m.id,
        position: m.position,
        title: m.title,
    }))
}

/// `DELETE /v1/courses/{id}/modules/{module}` — with its lessons.
async fn delete_module(
    State(s): State<AppState>,
    signed: SignedIn,
    Path((course, module)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let (course, module) = (id(&course, "course")?, id(&module, "module")?);
    s.services
        .courses
        .delete_module(&signed.caller(), signed.tenant, course, module)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /v1/courses/{id}/lessons/{lesson}`
async fn delete_lesson(
    State(s): State<AppState>,
    signed: SignedIn,
    Path((course, lesson)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let (course, lesson) = (id(&course, "course")?, id(&lesson, "lesson")?);
    s.services
        .courses
        .delete_lesson(&signed.caller(), signed.tenant, course, lesson)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
