//! `/v1/courses/{id}/lessons/{lesson}/progress` and `/v1/courses/{id}/progress`: an
//! enrolled learner's lesson visits and their standing in the course.

use super::id;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{JsonBody, SignedIn};
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use nexus_app::learning::progress::{MyProgress, VisitOutcome};
use nexus_domain::FieldErrors;
use nexus_domain::learning::progress::{CourseProgress, LessonProgress, Visit};
use nexus_domain::learning::{CourseId, LessonId};
use serde::{Deserialize, Serialize};

/// Longest a single report may say was spent: a day. Anything above is a client bug,
/// refused rather than silently capped (the service caps what it credits anyway).
const MAX_SECONDS: i64 = 86_400;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi()]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/courses/{id}/lessons/{lesson}/progress", post(report))
        .route("/courses/{id}/progress", get(show))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VisitIn {
    seconds: i64,
    #[serde(default)]
    completed: bool,
}

#[derive(Serialize)]
struct LessonProgressOut {
    lesson: LessonId,
    course: CourseId,
    seconds_spent: u32,
    completed: bool,
    #[serde(with = "time::serde::rfc3339")]
    first_seen_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    last_seen_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    completed_at: Option<time::OffsetDateTime>,
}

impl From<LessonProgress> for LessonProgressOut {
    fn from(p: LessonProgress) -> Self {
        Self {
            lesson: p.lesson,
            course: p.course,
            seconds_spent: p.seconds_spent,
            completed: p.completed_at.is_some(),
            first_seen_at: p.first_seen_at,
            last_seen_at: p.last_seen_at,
            completed_at: p.completed_at,
        }
    }
}

#[derive(Serialize)]
struct VisitOut {
    lesson: LessonProgressOut,
    course: CourseProgress,
    newly_completed: bool,
    /// What completing the lesson earned.
    awards: super::rewards::AwardsOut,
}

impl From<VisitOutcome> for VisitOut {
    fn from(v: VisitOutcome) -> Self {
        Self {
            lesson: v.lesson.into(),
            course: v.course,
            newly_completed: v.newly_completed,
            awards: v.awards.into(),
        }
    }
}

#[derive(Serialize)]
struct MyProgressOut {
    course: CourseProgress,
    available: bool,
    lessons: Vec<LessonProgressOut>,
}

impl From<MyProgress> for MyProgressOut {
    fn from(p: MyProgress) -> Self {
        Self {
            course: p.course,
            available: p.available,
            lessons: p.lessons.into_iter().map(Into::into).collect(),
        }
    }
}

fn parse_visit(raw: &VisitIn) -> Result<Visit, FieldErrors> {
    let mut errs = FieldErrors::new();
    let seconds = u32::try_from(raw.seconds)
        .ok()
        .filter(|s| i64::from(*s) <= MAX_SECONDS);
    if seconds.is_none() {
        errs.push(
            "seconds",
            "out_of_range",
            format!("must be between 0 and {MAX_SECONDS}"),
        );
    }
    errs.finish(|| {
        seconds.map(|seconds| Visit {
            seconds,
            completed: raw.completed,
        })
    })
}

/// `POST /v1/courses/{id}/lessons/{lesson}/progress` — time on a lesson, and completion.
async fn report(
    State(s): State<AppState>,
    signed: SignedIn,
    Path((course, lesson)): Path<(String, String)>,
    JsonBody(body): JsonBody<VisitIn>,
) -> Result<Json<VisitOut>, ApiError> {
    let (course, lesson) = (id(&course, "course")?, id(&lesson, "lesson")?);
    let visit = parse_visit(&body).map_err(ApiError::validation)?;
    let outcome = s
        .services
        .enrolments
        .report(&signed.caller(), signed.tenant, course, lesson, visit)
        .await?;
    Ok(Json(outcome.into()))
}

/// `GET /v1/courses/{id}/progress` — my standing in a course I am enrolled in.
async fn show(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(course): Path<String>,
) -> Result<Json<MyProgressOut>, ApiError> {
    let progress = s
        .services
        .enrolments
        .my_progress(&signed.caller(), signed.tenant, id(&course, "course")?)
        .await?;
    Ok(Json(progress.into()))
}
