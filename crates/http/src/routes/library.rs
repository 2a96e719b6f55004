//! `/v1/library`: the platform's shared courses, browsed and adopted by authors of any
//! tenant (`course:write`, checked in the service). Operators manage entries through
//! `platform_library.rs`.

use super::courses::CourseOut;
use super::id;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{QueryParams, SignedIn};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use nexus_domain::FieldErrors;
use nexus_domain::learning::Level;
use nexus_domain::learning::library::{LibraryEntry, LibraryId, LibraryQuery};
use nexus_domain::learning::package::CoursePackage;
use nexus_domain::paging::{Page, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(list, show, adopt))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/library", get(list))
        .route("/library/{id}", get(show))
        .route("/library/{id}/adopt", post(adopt))
}

/// Filter and window for browsing the library.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListIn {
    /// Only entries at this level: `beginner`, `intermediate` or `advanced`.
    level: Option<String>,
    /// Case-insensitive substring of the title or summary.
    q: Option<String>,
    /// Rows per page (1 to 200; default 50).
    limit: Option<u32>,
    /// Rows to skip.
    offset: Option<u64>,
}

/// A library entry as listed.
#[derive(Serialize, ToSchema)]
#[schema(as = LibraryEntry)]
pub(crate) struct EntryOut {
    /// Identity; kept when the entry's package is replaced.
    id: LibraryId,
    /// Stable name, unique in the library, e.g. `financial-literacy-101`.
    slug: String,
    /// The package's course title.
    title: String,
    /// The package's course summary.
    summary: String,
    /// The package's course level.
    level: Level,
    /// When the entry first appeared.
    #[serde(with = "time::serde::rfc3339")]
    published_at: time::OffsetDateTime,
    /// When its package last changed.
    #[serde(with = "time::serde::rfc3339")]
    updated_at: time::OffsetDateTime,
}

impl From<LibraryEntry> for EntryOut {
    fn from(e: LibraryEntry) -> Self {
        Self {
            id: e.id,
            slug: e.slug.to_string(),
            title: e.title,
            summary: e.summary,
            level: e.level,
            published_at: e.published_at,
            updated_at: e.updated_at,
        }
    }
}

/// One entry with what an author weighs before adopting: the outline's titles and the
/// size of its banks. Lesson bodies and answers come with the adopted copy.
#[derive(Serialize, ToSchema)]
#[schema(as = LibraryEntryDetail)]
struct DetailOut {
    #[serde(flatten)]
    entry: EntryOut,
    /// The course's expected effort in minutes.
    estimated_minutes: i64,
    /// The course's tags.
    tags: Vec<String>,
    /// The outline, modules in order.
    modules: Vec<ModuleOut>,
    /// How many question banks the package holds.
    banks: usize,
    /// How many questions its banks hold in all.
    questions: usize,
}

/// A module of a library entry's outline.
#[derive(Serialize, ToSchema)]
#[schema(as = LibraryEntryModule)]
struct ModuleOut {
    title: String,
    /// Lessons in order.
    lessons: Vec<LessonOut>,
    /// The titles of the quizzes closing the module, in order.
    quizzes: Vec<String>,
}

/// A lesson of a library entry's outline (its body comes with the adopted copy).
#[derive(Serialize, ToSchema)]
#[schema(as = LibraryEntryLesson)]
struct LessonOut {
    title: String,
    /// Expected effort in minutes.
    estimated_minutes: i64,
}

impl DetailOut {
    fn new(entry: LibraryEntry, p: CoursePackage) -> Self {
        Self {
            entry: entry.into(),
            estimated_minutes: p.course.estimated_minutes,
            tags: p.course.tags,
            banks: p.banks.len(),
            questions: p.banks.iter().map(|b| b.questions.len()).sum(),
            modules: p
                .modules
                .into_iter()
                .map(|m| ModuleOut {
                    title: m.title,
                    lessons: m
                        .lessons
                        .into_iter()
                        .map(|l| LessonOut {
                            title: l.title,
                            estimated_minutes: l.estimated_minutes,
                        })
                        .collect(),
                    quizzes: m.quizzes.into_iter().map(|q| q.title).collect(),
                })
                .collect(),
        }
    }
}

fn parse_list(raw: ListIn) -> Result<LibraryQuery, FieldErrors> {
    let mut errs = FieldErrors::new();
    let query = LibraryQuery {
        level: raw
            .level
            .and_then(|l| errs.check("level", Level::parse(&l))),
        search: raw.q.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty()),
        page: errs
            .check("limit", PageRequest::new(raw.limit, raw.offset))
            .unwrap_or_default(),
    };
    errs.finish(|| Some(query))
}

fn library_id(raw: &str) -> Result<LibraryId, ApiError> {
    id(raw, "library course")
}

/// `GET /v1/library` — entries by title (`level`, `q`, `limit`, `offset`).
#[utoipa::path(get, path = "/library", operation_id = "library_list", tag = "Library",
    params(ListIn),
    responses((status = 200, description = "One page of library entries, by title", body = Page<EntryOut>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn list(
    State(s): State<AppState>,
    signed: SignedIn,
    QueryParams(q): QueryParams<ListIn>,
) -> Result<Json<Page<EntryOut>>, ApiError> {
    let query = parse_list(q).map_err(ApiError::validation)?;
    let page = s
        .services
        .library
        .list(&signed.caller(), signed.tenant, &query)
        .await?;
    Ok(Json(page.map(EntryOut::from)))
}

/// `GET /v1/library/{id}` — one entry with its outline.
#[utoipa::path(get, path = "/library/{id}", operation_id = "library_show", tag = "Library",
    params(("id" = String, Path, description = "The library entry's ID")),
    responses((status = 200, description = "The entry with its outline's titles and the size of its banks", body = DetailOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn show(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<Json<DetailOut>, ApiError> {
    let (entry, package) = s
        .services
        .library
        .get(&signed.caller(), signed.tenant, library_id(&id)?)
        .await?;
    Ok(Json(DetailOut::new(entry, package)))
}

/// `POST /v1/library/{id}/adopt` — a new draft course of the caller's tenant.
#[utoipa::path(post, path = "/library/{id}/adopt", operation_id = "library_adopt", tag = "Library",
    params(("id" = String, Path, description = "The library entry's ID")),
    responses((status = 201, description = "The new draft course, a copy of the entry's package", body = CourseOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn adopt(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<CourseOut>), ApiError> {
    let course = s
        .services
        .library
        .adopt(&signed.caller(), signed.tenant, library_id(&id)?)
        .await?;
    Ok((StatusCode::CREATED, Json(course.into())))
}
