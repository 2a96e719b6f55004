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

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi()]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/library", get(list))
        .route("/library/{id}", get(show))
        .route("/library/{id}/adopt", post(adopt))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListIn {
    level: Option<String>,
    q: Option<String>,
    limit: Option<u32>,
    offset: Option<u64>,
}

/// A library entry as listed.
#[derive(Serialize)]
pub(crate) struct EntryOut {
    id: LibraryId,
    slug: String,
    title: String,
    summary: String,
    level: Level,
    #[serde(with = "time::serde::rfc3339")]
    published_at: time::OffsetDateTime,
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
#[derive(Serialize)]
struct DetailOut {
    #[serde(flatten)]
    entry: EntryOut,
    estimated_minutes: i64,
    tags: Vec<String>,
    modules: Vec<ModuleOut>,
    banks: usize,
    questions: usize,
}

#[derive(Serialize)]
struct ModuleOut {
    title: String,
    lessons: Vec<LessonOut>,
    quizzes: Vec<String>,
}

#[derive(Serialize)]
struct LessonOut {
    title: String,
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
