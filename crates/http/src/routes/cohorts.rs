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

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi()]
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CohortIn {
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberIn {
    role: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MembersIn {
    role: Option<String>,
    limit: Option<u32>,
    offset: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportIn {
    course: Option<String>,
    limit: Option<u32>,
    offset: Option<u64>,
}

#[derive(Serialize)]
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

#[derive(Serialize)]
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

#[derive(Serialize)]
struct LearnerProgressOut {
    user: UserId,
    display_name: String,
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

/// `PUT /v1/cohorts/{id}/members/{user}` — adds a member or changes their role. Answers
/// with the user and role only: an existing member keeps when they joined, which the
/// members list shows.
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
