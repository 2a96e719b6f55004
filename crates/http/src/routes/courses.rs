//! `/v1/courses`: the tenant's course catalogue and its authoring.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{JsonBody, QueryParams, SignedIn};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use nexus_domain::FieldErrors;
use nexus_domain::learning::course::CourseInput;
use nexus_domain::learning::{
    ContentStatus, Course, CourseDraft, CourseId, CourseQuery, Level, Tag,
};
use nexus_domain::paging::{Order, Page, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(list, create, show, update, archive))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/courses", get(list).post(create))
        .route("/courses/{id}", get(show).patch(update))
        .route("/courses/{id}/archive", post(archive))
}

/// A course's metadata, as created or (every field) replaced.
#[derive(Deserialize, ToSchema)]
#[schema(as = CourseInput)]
#[serde(deny_unknown_fields)]
struct CourseIn {
    /// 1 to 200 characters (trimmed).
    title: String,
    /// Up to 2,000 characters (trimmed); default empty.
    #[serde(default)]
    summary: String,
    /// `beginner`, `intermediate` or `advanced`.
    level: String,
    /// Expected effort, 1 to 10,000 minutes.
    estimated_minutes: i64,
    /// Up to 20 tags, each 1 to 32 characters of a-z, 0-9 and inner hyphens
    /// (lower-cased, sorted and deduplicated).
    #[serde(default)]
    tags: Vec<String>,
    /// Whether learners may enrol themselves; default false.
    #[serde(default)]
    self_enrol: bool,
}

/// Filter, order and window for the catalogue.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListIn {
    /// Only courses in this state: `draft`, `published` or `archived`.
    status: Option<String>,
    /// Only courses at this level: `beginner`, `intermediate` or `advanced`.
    level: Option<String>,
    /// Only courses carrying this tag.
    tag: Option<String>,
    /// Case-insensitive substring of the title or summary.
    q: Option<String>,
    /// Direction over the title: `asc` (default) or `desc`.
    order: Option<String>,
    /// Rows per page (1 to 200; default 50).
    limit: Option<u32>,
    /// Rows to skip.
    offset: Option<u64>,
}

/// A course as authors see it; also what an import or adoption answers.
#[derive(Serialize, ToSchema)]
#[schema(as = Course)]
pub(crate) struct CourseOut {
    id: CourseId,
    /// The draft's title.
    title: String,
    summary: String,
    level: Level,
    /// Expected effort in minutes.
    estimated_minutes: u32,
    tags: Vec<Tag>,
    /// Whether learners may enrol themselves.
    self_enrol: bool,
    status: ContentStatus,
    /// Latest published version (0: never published).
    published_version: u32,
    #[serde(with = "time::serde::rfc3339")]
    created_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: time::OffsetDateTime,
}

impl From<Course> for CourseOut {
    fn from(c: Course) -> Self {
        Self {
            id: c.id,
            title: c.meta.title,
            summary: c.meta.summary,
            level: c.meta.level,
            estimated_minutes: c.meta.estimated_minutes,
            tags: c.meta.tags,
            self_enrol: c.meta.self_enrol,
            status: c.status,
            published_version: c.published_version,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

fn parse(raw: &CourseIn) -> Result<CourseDraft, FieldErrors> {
    CourseDraft::parse(&CourseInput {
        title: &raw.title,
        summary: &raw.summary,
        level: &raw.level,
        estimated_minutes: raw.estimated_minutes,
        tags: &raw.tags,
        self_enrol: raw.self_enrol,
    })
}

fn parse_list(raw: ListIn) -> Result<CourseQuery, FieldErrors> {
    let mut errs = FieldErrors::new();
    let status = raw.status.and_then(|s| {
        let parsed = ContentStatus::parse(s.trim()).ok_or_else(|| {
            nexus_domain::validation::invalid(
                "unknown_value",
                "must be draft, published or archived",
            )
        });
        errs.check("status", parsed)
    });
    let query = CourseQuery {
        status,
        level: raw
            .level
            .and_then(|l| errs.check("level", Level::parse(&l))),
        tag: raw.tag.and_then(|t| errs.check("tag", Tag::parse(&t))),
        search: raw.q.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty()),
        order: errs
            .check("order", Order::parse(raw.order.as_deref()))
            .unwrap_or_default(),
        page: errs
            .check("limit", PageRequest::new(raw.limit, raw.offset))
            .unwrap_or_default(),
        // The service decides from the caller's permissions.
        as_learner: false,
    };
    errs.finish(|| Some(query))
}

fn course_id(raw: &str) -> Result<CourseId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found("course"))
}

/// `GET /v1/courses` — learners see published courses only.
#[utoipa::path(get, path = "/courses", operation_id = "courses_list", tag = "Courses",
    params(ListIn),
    responses((status = 200, description = "One page of the catalogue, by title", body = Page<CourseOut>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn list(
    State(s): State<AppState>,
    signed: SignedIn,
    QueryParams(q): QueryParams<ListIn>,
) -> Result<Json<Page<CourseOut>>, ApiError> {
    let query = parse_list(q).map_err(ApiError::validation)?;
    let page = s
        .services
        .courses
        .list(&signed.caller(), signed.tenant, query)
        .await?;
    Ok(Json(page.map(CourseOut::from)))
}

/// `POST /v1/courses` — a new draft.
#[utoipa::path(post, path = "/courses", operation_id = "courses_create", tag = "Courses",
    request_body = CourseIn,
    responses((status = 201, description = "The new draft course", body = CourseOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn create(
    State(s): State<AppState>,
    signed: SignedIn,
    JsonBody(body): JsonBody<CourseIn>,
) -> Result<(StatusCode, Json<CourseOut>), ApiError> {
    let meta = parse(&body).map_err(ApiError::validation)?;
    let course = s
        .services
        .courses
        .create(&signed.caller(), signed.tenant, meta)
        .await?;
    Ok((StatusCode::CREATED, Json(course.into())))
}

/// `GET /v1/courses/{id}`
#[utoipa::path(get, path = "/courses/{id}", operation_id = "courses_show", tag = "Courses",
    params(("id" = String, Path, description = "The course's ID")),
    responses((status = 200, description = "The course", body = CourseOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn show(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<Json<CourseOut>, ApiError> {
    let course = s
        .services
        .courses
        .get(&signed.caller(), signed.tenant, course_id(&id)?)
        .await?;
    Ok(Json(course.into()))
}

/// `PATCH /v1/courses/{id}` — replaces the metadata (send every field).
#[utoipa::path(patch, path = "/courses/{id}", operation_id = "courses_update", tag = "Courses",
    params(("id" = String, Path, description = "The course's ID")),
    request_body = CourseIn,
    responses((status = 200, description = "The course with its new metadata", body = CourseOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn update(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<CourseIn>,
) -> Result<Json<CourseOut>, ApiError> {
    let id = course_id(&id)?;
    let meta = parse(&body).map_err(ApiError::validation)?;
    let course = s
        .services
        .courses
        .update(&signed.caller(), signed.tenant, id, meta)
        .await?;
    Ok(Json(course.into()))
}

/// `POST /v1/courses/{id}/archive` — retires the course for good: hidden from
/// learners and closed to edits.
#[utoipa::path(post, path = "/courses/{id}/archive", operation_id = "courses_archive", tag = "Courses",
    params(("id" = String, Path, description = "The course's ID")),
    responses((status = 200, description = "The archived course", body = CourseOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn archive(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<Json<CourseOut>, ApiError> {
    let course = s
        .services
        .courses
        .archive(&signed.caller(), signed.tenant, course_id(&id)?)
        .await?;
    Ok(Json(course.into()))
}
