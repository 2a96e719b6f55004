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
use utoipa::ToSchema;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(
        preview,
        add_module,
        reorder_modules,
        rename_module,
        delete_module,
        add_lesson,
        reorder,
        update_lesson,
        delete_lesson
    ))]
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

/// A module's title.
#[derive(Deserialize, ToSchema)]
#[schema(as = CourseModuleInput)]
#[serde(deny_unknown_fields)]
struct ModuleIn {
    /// 1 to 200 characters (trimmed).
    title: String,
}

/// A lesson's content, as created or (every field) replaced.
#[derive(Deserialize, ToSchema)]
#[schema(as = CourseLessonInput)]
#[serde(deny_unknown_fields)]
struct LessonIn {
    /// 1 to 200 characters (trimmed).
    title: String,
    /// Markdown, up to 100,000 characters; default empty.
    #[serde(default)]
    body: String,
    /// Expected effort, 1 to 600 minutes.
    estimated_minutes: i64,
}

/// A module's lessons in their new order.
#[derive(Deserialize, ToSchema)]
#[schema(as = CourseLessonOrder)]
#[serde(deny_unknown_fields)]
struct OrderIn {
    /// The ID of every lesson of the module, each exactly once.
    lessons: Vec<String>,
}

/// A course's modules in their new order.
#[derive(Deserialize, ToSchema)]
#[schema(as = CourseModuleOrder)]
#[serde(deny_unknown_fields)]
struct ModuleOrderIn {
    /// The ID of every module of the course, each exactly once.
    modules: Vec<String>,
}

/// A module of a course's draft.
#[derive(Serialize, ToSchema)]
#[schema(as = CourseModule)]
struct ModuleOut {
    id: ModuleId,
    /// Place in the course, from 0.
    position: u32,
    title: String,
}

/// A lesson of a course's draft.
#[derive(Serialize, ToSchema)]
#[schema(as = CourseLesson)]
struct LessonOut {
    id: LessonId,
    /// The module it belongs to.
    module: ModuleId,
    /// Place in the module, from 0.
    position: u32,
    title: String,
    /// The Markdown as authored.
    body: String,
    /// Expected effort in minutes.
    estimated_minutes: u32,
    /// The body rendered to sanitized HTML: in the outline preview only.
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

/// A module of the outline preview, with its lessons.
#[derive(Serialize, ToSchema)]
#[schema(as = CourseOutlineModule)]
struct OutlineModuleOut {
    #[serde(flatten)]
    module: ModuleOut,
    /// Lessons in order, each with its `html`.
    lessons: Vec<LessonOut>,
}

/// A course's draft outline, every lesson rendered.
#[derive(Serialize, ToSchema)]
#[schema(as = CourseOutline)]
struct OutlineOut {
    course: CourseId,
    status: nexus_domain::learning::ContentStatus,
    /// Modules in order.
    modules: Vec<OutlineModuleOut>,
}

/// What `PUT /v1/courses/{id}/modules/{module}/lesson-order` answers.
#[derive(ToSchema)]
#[schema(as = CourseLessonOrderResult)]
#[allow(dead_code)]
struct LessonOrderDoc {
    /// The module's lesson IDs in their new order.
    lessons: Vec<LessonId>,
}

/// What `PUT /v1/courses/{id}/module-order` answers.
#[derive(ToSchema)]
#[schema(as = CourseModuleOrderResult)]
#[allow(dead_code)]
struct ModuleOrderDoc {
    /// The course's module IDs in their new order.
    modules: Vec<ModuleId>,
}

fn lesson_draft(raw: &LessonIn) -> Result<LessonDraft, ApiError> {
    LessonDraft::parse(&raw.title, &raw.body, raw.estimated_minutes).map_err(ApiError::validation)
}

/// `GET /v1/courses/{id}/outline` — the draft with every lesson rendered (authors).
#[utoipa::path(get, path = "/courses/{id}/outline", operation_id = "course_outline_show", tag = "Course outline",
    params(("id" = String, Path, description = "The course's ID")),
    responses((status = 200, description = "The draft outline, every lesson with its rendered `html`", body = OutlineOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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
#[utoipa::path(post, path = "/courses/{id}/modules", operation_id = "course_modules_create", tag = "Course outline",
    params(("id" = String, Path, description = "The course's ID")),
    request_body = ModuleIn,
    responses((status = 201, description = "The new module", body = ModuleOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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
#[utoipa::path(post, path = "/courses/{id}/modules/{module}/lessons", operation_id = "course_lessons_create", tag = "Course outline",
    params(("id" = String, Path, description = "The course's ID"), ("module" = String, Path, description = "The module's ID")),
    request_body = LessonIn,
    responses((status = 201, description = "The new lesson (without `html`)", body = LessonOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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
#[utoipa::path(put, path = "/courses/{id}/lessons/{lesson}", operation_id = "course_lessons_update", tag = "Course outline",
    params(("id" = String, Path, description = "The course's ID"), ("lesson" = String, Path, description = "The lesson's ID")),
    request_body = LessonIn,
    responses((status = 200, description = "The lesson with its new content (without `html`)", body = LessonOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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
#[utoipa::path(put, path = "/courses/{id}/modules/{module}/lesson-order", operation_id = "course_lessons_reorder", tag = "Course outline",
    params(("id" = String, Path, description = "The course's ID"), ("module" = String, Path, description = "The module's ID")),
    request_body = OrderIn,
    responses((status = 200, description = "The module's lessons in their new order", body = LessonOrderDoc)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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
#[utoipa::path(put, path = "/courses/{id}/module-order", operation_id = "course_modules_reorder", tag = "Course outline",
    params(("id" = String, Path, description = "The course's ID")),
    request_body = ModuleOrderIn,
    responses((status = 200, description = "The course's modules in their new order", body = ModuleOrderDoc)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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
#[utoipa::path(patch, path = "/courses/{id}/modules/{module}", operation_id = "course_modules_rename", tag = "Course outline",
    params(("id" = String, Path, description = "The course's ID"), ("module" = String, Path, description = "The module's ID")),
    request_body = ModuleIn,
    responses((status = 200, description = "The renamed module", body = ModuleOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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
#[utoipa::path(delete, path = "/courses/{id}/modules/{module}", operation_id = "course_modules_delete", tag = "Course outline",
    params(("id" = String, Path, description = "The course's ID"), ("module" = String, Path, description = "The module's ID")),
    responses((status = 204, description = "The module and its lessons are gone")),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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
#[utoipa::path(delete, path = "/courses/{id}/lessons/{lesson}", operation_id = "course_lessons_delete", tag = "Course outline",
    params(("id" = String, Path, description = "The course's ID"), ("lesson" = String, Path, description = "The lesson's ID")),
    responses((status = 204, description = "The lesson is gone")),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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
