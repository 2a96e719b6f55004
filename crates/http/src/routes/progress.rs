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
use utoipa::ToSchema;

/// Longest a single report may say was spent: a day. Anything above is a client bug,
/// refused rather than silently capped (the service caps what it credits anyway).
const MAX_SECONDS: i64 = 86_400;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(report, show))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/courses/{id}/lessons/{lesson}/progress", post(report))
        .route("/courses/{id}/progress", get(show))
}

/// Time spent on a lesson since the last report, and whether it is now complete.
#[derive(Deserialize, ToSchema)]
#[schema(as = ProgressVisit)]
#[serde(deny_unknown_fields)]
struct VisitIn {
    /// Seconds spent, 0 to 86,400.
    seconds: i64,
    /// Marks the lesson complete; default `false` (completion is never undone).
    #[serde(default)]
    completed: bool,
}

/// A learner's record of one lesson.
#[derive(Serialize, ToSchema)]
#[schema(as = ProgressLesson)]
struct LessonProgressOut {
    lesson: LessonId,
    course: CourseId,
    /// Credited time on the lesson.
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

/// The lesson and course after a report, and what it earned.
#[derive(Serialize, ToSchema)]
#[schema(as = ProgressVisitResult)]
struct VisitOut {
    lesson: LessonProgressOut,
    course: CourseProgress,
    /// True only for the report that first completed the lesson.
    newly_completed: bool,
    /// What completing the lesson earned (nothing unless `newly_completed`).
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

/// The caller's standing in a course.
#[derive(Serialize, ToSchema)]
#[schema(as = ProgressMine)]
struct MyProgressOut {
    course: CourseProgress,
    /// Whether the course is published now, so its lessons can be opened.
    available: bool,
    /// The caller's records for the course's lessons, in course order (lessons not yet
    /// opened have none).
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
#[utoipa::path(post, path = "/courses/{id}/lessons/{lesson}/progress", operation_id = "progress_report", tag = "Progress",
    params(("id" = String, Path, description = "The course's ID"), ("lesson" = String, Path, description = "The lesson's ID")),
    request_body = VisitIn,
    responses((status = 200, description = "The lesson and course progress after the report", body = VisitOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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
#[utoipa::path(get, path = "/courses/{id}/progress", operation_id = "progress_show", tag = "Progress",
    params(("id" = String, Path, description = "The course's ID")),
    responses((status = 200, description = "The caller's standing in the course", body = MyProgressOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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
