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
use utoipa::ToSchema;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(enrol_self, withdraw_self, roster, assign, unassign, mine))]
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

/// Whom to enrol: users, a cohort's learners, or both (at least one).
#[derive(Deserialize, ToSchema)]
#[schema(as = EnrolmentAssign)]
#[serde(deny_unknown_fields)]
struct AssignIn {
    /// Users' IDs, at most 500 per request.
    #[serde(default)]
    user_ids: Vec<String>,
    /// A cohort's ID: enrols its learner members.
    cohort_id: Option<String>,
}

/// A learner's enrolment in a course.
#[derive(Serialize, ToSchema)]
#[schema(as = Enrolment)]
pub(super) struct EnrolmentOut {
    course: CourseId,
    user: UserId,
    source: EnrolmentSource,
    /// Who assigned it (`null` for a self-enrolment).
    assigned_by: Option<UserId>,
    /// The cohort whose assignment enrolled them, if any.
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

/// One of the caller's courses, with their standing in it.
#[derive(Serialize, ToSchema)]
#[schema(as = EnrolmentMyCourse)]
struct MyCourseOut {
    #[serde(flatten)]
    enrolment: EnrolmentOut,
    /// The course title learners see (as published, or the draft's if never published).
    title: String,
    /// Whether the course is published now, so its lessons can be opened.
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
#[utoipa::path(post, path = "/courses/{id}/enrolment", operation_id = "enrolments_enrol_self", tag = "Enrolments",
    params(("id" = String, Path, description = "The course's ID")),
    responses((status = 201, description = "The caller is now enrolled", body = EnrolmentOut), (status = 200, description = "The caller was already enrolled", body = EnrolmentOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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
#[utoipa::path(delete, path = "/courses/{id}/enrolment", operation_id = "enrolments_withdraw_self", tag = "Enrolments",
    params(("id" = String, Path, description = "The course's ID")),
    responses((status = 204, description = "The caller is no longer enrolled")),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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

/// How many learners an assignment enrolled.
#[derive(ToSchema)]
#[schema(as = EnrolmentAssigned)]
#[allow(dead_code)]
struct AssignedDoc {
    /// Learners this request enrolled.
    enrolled: u64,
    /// Learners who were enrolled already (their enrolment is left as it was).
    already_enrolled: u64,
}

/// `POST /v1/courses/{id}/enrolments` — assign users and/or a cohort's learners.
#[utoipa::path(post, path = "/courses/{id}/enrolments", operation_id = "enrolments_assign", tag = "Enrolments",
    params(("id" = String, Path, description = "The course's ID")),
    request_body = AssignIn,
    responses((status = 200, description = "How many learners were enrolled", body = AssignedDoc)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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
#[utoipa::path(get, path = "/courses/{id}/enrolments", operation_id = "enrolments_list", tag = "Enrolments",
    params(("id" = String, Path, description = "The course's ID"), PageIn),
    responses((status = 200, description = "The course's learners, oldest enrolment first", body = Page<EnrolmentOut>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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
#[utoipa::path(delete, path = "/courses/{id}/enrolments/{user}", operation_id = "enrolments_remove", tag = "Enrolments",
    params(("id" = String, Path, description = "The course's ID"), ("user" = String, Path, description = "The learner's user ID")),
    responses((status = 204, description = "The learner and their progress in the course are removed")),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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
#[utoipa::path(get, path = "/me/enrolments", operation_id = "enrolments_mine", tag = "Enrolments",
    params(PageIn),
    responses((status = 200, description = "The caller's courses, newest first, each with their progress", body = Page<MyCourseOut>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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
