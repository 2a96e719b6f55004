//! `/v1/cohorts`: classes of learners with their instructors, their members, and the
//! class progress report.

use super::enrolment::PageIn;
use super::id;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{JsonBody, QueryParams, SignedIn};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use nexus_app::learning::cohorts::LearnerProgress;
use nexus_domain::learning::CourseId;
use nexus_domain::learning::enrolment::{
    Cohort, CohortId, CohortMember, CohortRole, parse_cohort_name,
};
use nexus_domain::learning::progress::CourseProgress;
use nexus_domain::paging::{Page, PageRequest};
use nexus_domain::{FieldErrors, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(
        list,
        create,
        show,
        rename,
        remove,
        members,
        put_member,
        remove_member,
        report
    ))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/cohorts", get(list).post(create))
        .route("/cohorts/{id}", get(show).patch(rename).delete(remove))
        .route("/cohorts/{id}/members", get(members))
        .route(
            "/cohorts/{id}/members/{user}",
            put(put_member).delete(remove_member),
        )
        .route("/cohorts/{id}/progress", get(report))
}

#[derive(Deserialize, ToSchema)]
#[schema(as = CohortInput)]
#[serde(deny_unknown_fields)]
struct CohortIn {
    /// Trimmed, 1 to 200 characters.
    name: String,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = CohortMemberInput)]
#[serde(deny_unknown_fields)]
struct MemberIn {
    /// `instructor` or `learner`.
    role: String,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct MembersIn {
    /// Only members with this role: `instructor` or `learner`.
    role: Option<String>,
    /// Rows per page (1 to 200; default 50).
    limit: Option<u32>,
    /// Rows to skip.
    offset: Option<u64>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ReportIn {
    /// The course's ID (required; a 422 names it when missing).
    course: Option<String>,
    /// Rows per page (1 to 200; default 50).
    limit: Option<u32>,
    /// Rows to skip.
    offset: Option<u64>,
}

/// A class of learners with their instructors.
#[derive(Serialize, ToSchema)]
#[schema(as = Cohort)]
struct CohortOut {
    id: CohortId,
    name: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: time::OffsetDateTime,
}

impl From<Cohort> for CohortOut {
    fn from(c: Cohort) -> Self {
        Self {
            id: c.id,
            name: c.name,
            created_at: c.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = CohortMember)]
struct MemberOut {
    user: UserId,
    role: CohortRole,
    #[serde(with = "time::serde::rfc3339")]
    added_at: time::OffsetDateTime,
}

impl From<CohortMember> for MemberOut {
    fn from(m: CohortMember) -> Self {
        Self {
            user: m.user,
            role: m.role,
            added_at: m.added_at,
        }
    }
}

/// One learner member's standing in the course.
#[derive(Serialize, ToSchema)]
#[schema(as = CohortLearnerProgress)]
struct LearnerProgressOut {
    user: UserId,
    display_name: String,
    /// Whether they are enrolled in the course.
    enrolled: bool,
    progress: CourseProgress,
}

impl From<LearnerProgress> for LearnerProgressOut {
    fn from(l: LearnerProgress) -> Self {
        Self {
            user: l.user,
            display_name: l.display_name,
            enrolled: l.enrolled,
            progress: l.progress,
        }
    }
}

fn name(raw: &CohortIn) -> Result<String, ApiError> {
    parse_cohort_name(&raw.name).map_err(|e| nexus_app::AppError::invalid_field("name", e).into())
}

fn parse_members(raw: &MembersIn) -> Result<(Option<CohortRole>, PageRequest), FieldErrors> {
    let mut errs = FieldErrors::new();
    let role = match raw.role.as_deref() {
        Some(r) => errs.check("role", CohortRole::parse(r)),
        None => None,
    };
    let page = errs.check("limit", PageRequest::new(raw.limit, raw.offset));
    errs.finish(|| Some((role, page?)))
}

fn parse_report(raw: &ReportIn) -> Result<(CourseId, PageRequest), FieldErrors> {
    let mut errs = FieldErrors::new();
    let course = match raw.course.as_deref().map(str::trim) {
        None | Some("") => {
            errs.push("course", "required", "name the course: ?course=<id>");
            None
        }
        Some(c) => {
            let parsed = c.parse::<CourseId>().ok();
            if parsed.is_none() {
                errs.push("course", "format", "not a course ID");
            }
            parsed
        }
    };
    let page = errs.check("limit", PageRequest::new(raw.limit, raw.offset));
    errs.finish(|| Some((course?, page?)))
}

/// `GET /v1/cohorts` — by name, paged.
#[utoipa::path(get, path = "/cohorts", operation_id = "cohorts_list", tag = "Cohorts",
    params(PageIn),
    responses((status = 200, description = "The tenant's cohorts by name", body = Page<CohortOut>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn list(
    State(s): State<AppState>,
    signed: SignedIn,
    QueryParams(q): QueryParams<PageIn>,
) -> Result<Json<Page<CohortOut>>, ApiError> {
    let page = s
        .services
        .enrolments
        .cohorts(&signed.caller(), signed.tenant, q.parse()?)
        .await?;
    Ok(Json(page.map(CohortOut::from)))
}

/// `POST /v1/cohorts` — a new, empty cohort.
#[utoipa::path(post, path = "/cohorts", operation_id = "cohorts_create", tag = "Cohorts",
    request_body = CohortIn,
    responses((status = 201, description = "The new cohort", body = CohortOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn create(
    State(s): State<AppState>,
    signed: SignedIn,
    JsonBody(body): JsonBody<CohortIn>,
) -> Result<(StatusCode, Json<CohortOut>), ApiError> {
    let name = name(&body)?;
    let cohort = s
        .services
        .enrolments
        .create_cohort(&signed.caller(), signed.tenant, name)
        .await?;
    Ok((StatusCode::CREATED, Json(cohort.into())))
}

/// `GET /v1/cohorts/{id}`
#[utoipa::path(get, path = "/cohorts/{id}", operation_id = "cohorts_show", tag = "Cohorts",
    params(("id" = String, Path, description = "The cohort's ID")),
    responses((status = 200, description = "The cohort", body = CohortOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn show(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(cohort): Path<String>,
) -> Result<Json<CohortOut>, ApiError> {
    let cohort = s
        .services
        .enrolments
        .cohort(&signed.caller(), signed.tenant, id(&cohort, "cohort")?)
        .await?;
    Ok(Json(cohort.into()))
}

/// `PATCH /v1/cohorts/{id}` — renames.
#[utoipa::path(patch, path = "/cohorts/{id}", operation_id = "cohorts_rename", tag = "Cohorts",
    params(("id" = String, Path, description = "The cohort's ID")),
    request_body = CohortIn,
    responses((status = 200, description = "The renamed cohort", body = CohortOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn rename(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(cohort): Path<String>,
    JsonBody(body): JsonBody<CohortIn>,
) -> Result<Json<CohortOut>, ApiError> {
    let cohort = id(&cohort, "cohort")?;
    let name = name(&body)?;
    let renamed = s
        .services
        .enrolments
        .rename_cohort(&signed.caller(), signed.tenant, cohort, name)
        .await?;
    Ok(Json(renamed.into()))
}

/// `DELETE /v1/cohorts/{id}` — with its memberships; enrolments it made stay.
#[utoipa::path(delete, path = "/cohorts/{id}", operation_id = "cohorts_delete", tag = "Cohorts",
    params(("id" = String, Path, description = "The cohort's ID")),
    responses((status = 204, description = "The cohort and its memberships are gone")),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn remove(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(cohort): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.services
        .enrolments
        .delete_cohort(&signed.caller(), signed.tenant, id(&cohort, "cohort")?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/cohorts/{id}/members?role=` — in order of joining, paged.
#[utoipa::path(get, path = "/cohorts/{id}/members", operation_id = "cohorts_members_list", tag = "Cohorts",
    params(("id" = String, Path, description = "The cohort's ID"), MembersIn),
    responses((status = 200, description = "Members in order of joining", body = Page<MemberOut>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn members(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(cohort): Path<String>,
    QueryParams(q): QueryParams<MembersIn>,
) -> Result<Json<Page<MemberOut>>, ApiError> {
    let cohort = id(&cohort, "cohort")?;
    let (role, page) = parse_members(&q).map_err(ApiError::validation)?;
    let members = s
        .services
        .enrolments
        .members(&signed.caller(), signed.tenant, cohort, role, page)
        .await?;
    Ok(Json(members.map(MemberOut::from)))
}

/// The member's user and role, as `PUT` answers.
#[derive(ToSchema)]
#[schema(as = CohortMembership)]
#[allow(dead_code)]
struct MembershipDoc {
    user: UserId,
    role: CohortRole,
}

/// `PUT /v1/cohorts/{id}/members/{user}` — adds a member or changes their role. Answers
/// with the user and role only: an existing member keeps when they joined, which the
/// members list shows.
#[utoipa::path(put, path = "/cohorts/{id}/members/{user}", operation_id = "cohorts_members_put", tag = "Cohorts",
    params(("id" = String, Path, description = "The cohort's ID"), ("user" = String, Path, description = "The member's user ID")),
    request_body = MemberIn,
    responses((status = 200, description = "The member's user and role", body = MembershipDoc)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn put_member(
    State(s): State<AppState>,
    signed: SignedIn,
    Path((cohort, user)): Path<(String, String)>,
    JsonBody(body): JsonBody<MemberIn>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (cohort, user) = (id(&cohort, "cohort")?, id(&user, "user")?);
    let role = CohortRole::parse(&body.role)
        .map_err(|e| ApiError::from(nexus_app::AppError::invalid_field("role", e)))?;
    s.services
        .enrolments
        .put_member(&signed.caller(), signed.tenant, cohort, user, role)
        .await?;
    Ok(Json(serde_json::json!({ "user": user, "role": role })))
}

/// `DELETE /v1/cohorts/{id}/members/{user}`
#[utoipa::path(delete, path = "/cohorts/{id}/members/{user}", operation_id = "cohorts_members_remove", tag = "Cohorts",
    params(("id" = String, Path, description = "The cohort's ID"), ("user" = String, Path, description = "The member's user ID")),
    responses((status = 204, description = "No longer a member")),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn remove_member(
    State(s): State<AppState>,
    signed: SignedIn,
    Path((cohort, user)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let (cohort, user) = (id(&cohort, "cohort")?, id(&user, "member")?);
    s.services
        .enrolments
        .remove_member(&signed.caller(), signed.tenant, cohort, user)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/cohorts/{id}/progress?course=` — each learner member's standing, paged.
#[utoipa::path(get, path = "/cohorts/{id}/progress", operation_id = "cohorts_progress", tag = "Cohorts",
    params(("id" = String, Path, description = "The cohort's ID"), ReportIn),
    responses((status = 200, description = "Each learner member's standing in the course", body = Page<LearnerProgressOut>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn report(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(cohort): Path<String>,
    QueryParams(q): QueryParams<ReportIn>,
) -> Result<Json<Page<LearnerProgressOut>>, ApiError> {
    let cohort = id(&cohort, "cohort")?;
    let (course, page) = parse_report(&q).map_err(ApiError::validation)?;
    let rows = s
        .services
        .enrolments
        .class_report(&signed.caller(), signed.tenant, cohort, course, page)
        .await?;
    Ok(Json(rows.map(LearnerProgressOut::from)))
}
