//! `/v1/courses/{id}/enrolment(s)` and `/v1/me/enrolments`: learners enrolling
//! themselves, instructors and admins assigning them, and a learner's own courses.

use super::id;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{JsonBody, QueryParams, SignedIn};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use nexus_app::learning::enrolment::{Assignment, MyCourse};
use nexus_domain::learning::CourseId;
use nexus_domain::learning::enrolment::{CohortId, Enrolment, EnrolmentSource, MAX_BATCH};
use nexus_domain::learning::progress::CourseProgress;
use nexus_domain::paging::{Page, PageRequest};
use nexus_domain::{FieldErrors, UserId};
use serde::{Deserialize, Serialize};
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
        .route(
            "/courses/{id}/enrolment",
            post(enrol_self).delete(withdraw_self),
        )
        .route("/courses/{id}/enrolments", get(roster).post(assign))
        .route("/courses/{id}/enrolments/{user}", delete(unassign))
        .route("/me/enrolments", get(mine))
}

/// `?limit=&offset=` for plain paged lists.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct PageIn {
    /// Rows per page (1 to 200; default 50).
    limit: Option<u32>,
    /// Rows to skip.
    offset: Option<u64>,
}

impl PageIn {
    pub(super) fn parse(&self) -> Result<PageRequest, ApiError> {
        PageRequest::new(self.limit, self.offset)
            .map_err(|e| nexus_app::AppError::invalid_field("limit", e).into())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignIn {
    #[serde(default)]
    user_ids: Vec<String>,
    cohort_id: Option<String>,
}

#[derive(Serialize)]
pub(super) struct EnrolmentOut {
    course: CourseId,
    user: UserId,
    source: EnrolmentSource,
    assigned_by: Option<UserId>,
    cohort: Option<CohortId>,
    #[serde(with = "time::serde::rfc3339")]
    enrolled_at: time::OffsetDateTime,
}

impl From<Enrolment> for EnrolmentOut {
    fn from(e: Enrolment) -> Self {
        Self {
            course: e.course,
            user: e.user,
            source: e.source,
            assigned_by: e.assigned_by,
            cohort: e.cohort,
            enrolled_at: e.enrolled_at,
        }
    }
}

#[derive(Serialize)]
struct MyCourseOut {
    #[serde(flatten)]
    enrolment: EnrolmentOut,
    title: String,
    available: bool,
    progress: CourseProgress,
}

impl From<MyCourse> for MyCourseOut {
    fn from(m: MyCourse) -> Self {
        Self {
            enrolment: m.enrolment.into(),
            title: m.title,
            available: m.available,
            progress: m.progress,
        }
    }
}

/// Every field error at once: IDs that are not IDs, too many users, nothing to assign.
fn parse_assignment(raw: &AssignIn) -> Result<Assignment, FieldErrors> {
    let mut errs = FieldErrors::new();
    let mut users = Vec::with_capacity(raw.user_ids.len());
    for (i, u) in raw.user_ids.iter().enumerate() {
        match u.trim().parse::<UserId>() {
            Ok(u) => users.push(u),
            Err(_) => errs.push(format!("user_ids[{i}]"), "format", "not a user ID"),
        }
    }
    if raw.user_ids.len() > MAX_BATCH {
        errs.push(
            "user_ids",
            "too_many",
            format!("at most {MAX_BATCH} users per request"),
        );
    }
    let cohort = raw.cohort_id.as_deref().and_then(|c| {
        let parsed = c.trim().parse::<CohortId>();
        if parsed.is_err() {
            errs.push("cohort_id", "format", "not a cohort ID");
        }
        parsed.ok()
    });
    if raw.user_ids.is_empty() && raw.cohort_id.is_none() {
        errs.push("user_ids", "required", "give user_ids, cohort_id or both");
    }
    errs.finish(|| Some(Assignment { users, cohort }))
}

/// `POST /v1/courses/{id}/enrolment` — enrol yourself: 201 new, 200 already enrolled.
async fn enrol_self(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(course): Path<String>,
) -> Result<(StatusCode, Json<EnrolmentOut>), ApiError> {
    let (e, new) = s
        .services
        .enrolments
        .enrol_self(&signed.caller(), signed.tenant, id(&course, "course")?)
        .await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(e.into())))
}

/// `DELETE /v1/courses/{id}/enrolment` — withdraw from a self-enrolment.
async fn withdraw_self(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(course): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.services
        .enrolments
        .withdraw_self(&signed.caller(), signed.tenant, id(&course, "course")?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/courses/{id}/enrolments` — assign users and/or a cohort's learners.
async fn assign(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(course): Path<String>,
    JsonBody(body): JsonBody<AssignIn>,
) -> Result<Json<Value>, ApiError> {
    let course = id(&course, "course")?;
    let what = parse_assignment(&body).map_err(ApiError::validation)?;
    let done = s
        .services
        .enrolments
        .assign(&signed.caller(), signed.tenant, course, what)
        .await?;
    Ok(Json(
        json!({ "enrolled": done.enrolled, "already_enrolled": done.already_enrolled }),
    ))
}

/// `GET /v1/courses/{id}/enrolments` — the course's learners, oldest enrolment first.
async fn roster(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(course): Path<String>,
    QueryParams(q): QueryParams<PageIn>,
) -> Result<Json<Page<EnrolmentOut>>, ApiError> {
    let course = id(&course, "course")?;
    let page = s
        .services
        .enrolments
        .roster(&signed.caller(), signed.tenant, course, q.parse()?)
        .await?;
    Ok(Json(page.map(EnrolmentOut::from)))
}

/// `DELETE /v1/courses/{id}/enrolments/{user}` — remove a learner, with their progress.
async fn unassign(
    State(s): State<AppState>,
    signed: SignedIn,
    Path((course, user)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let (course, user) = (id(&course, "course")?, id(&user, "enrolment")?);
    s.services
        .enrolments
        .unassign(&signed.caller(), signed.tenant, course, user)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/me/enrolments` — my courses, newest first, each with my progress.
async fn mine(
    State(s): State<AppState>,
    signed: SignedIn,
    QueryParams(q): QueryParams<PageIn>,
) -> Result<Json<Page<MyCourseOut>>, ApiError> {
    let page = s
        .services
        .enrolments
        .mine(&signed.caller(), signed.tenant, q.parse()?)
        .await?;
    Ok(Json(page.map(MyCourseOut::from)))
}
