//! Rewards: `/v1/me/achievements`, `/v1/me/leaderboard` (opt-in), `/v1/leaderboard`,
//! `/v1/me/certificates`, the public `/v1/certificates/verify/{code}`, and revocation.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{CurrentTenant, JsonBody, QueryParams, SignedIn};
use axum::extract::{Path, State};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use nexus_app::learning::achievements::Awards;
use nexus_domain::learning::certificate::{Certificate, CertificateId};
use nexus_domain::learning::enrolment::CohortId;
use nexus_domain::learning::gamification::{LevelInfo, Row, XpEntry};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi()]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/me/achievements", get(achievements))
        .route("/me/leaderboard", put(opt_in))
        .route("/leaderboard", get(leaderboard))
        .route("/me/certificates", get(certificates))
        .route("/certificates/verify/{code}", get(verify))
        .route("/certificates/{id}/revocation", post(revoke))
}

/// What an activity earned, as it appears in progress and quiz responses.
#[derive(Serialize)]
pub(crate) struct AwardsOut {
    xp: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    streak: Option<u32>,
    badges: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    certificate: Option<CertificateOut>,
}

impl From<Awards> for AwardsOut {
    fn from(a: Awards) -> Self {
        Self {
            xp: a.xp,
            streak: a.streak,
            badges: a.badges,
            certificate: a.certificate.map(CertificateOut::from),
        }
    }
}

#[derive(Serialize)]
pub(crate) struct CertificateOut {
    id: CertificateId,
    course: nexus_domain::learning::CourseId,
    code: String,
    /// Where anyone can check it, relative to the tenant's host.
    verify_path: String,
    holder_name: String,
    course_title: String,
    #[serde(with = "time::serde::rfc3339")]
    issued_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    revoked_at: Option<OffsetDateTime>,
}

impl From<Certificate> for CertificateOut {
    fn from(c: Certificate) -> Self {
        Self {
            verify_path: format!("/v1/certificates/verify/{}", c.code),
            id: c.id,
            course: c.course,
            code: c.code,
            holder_name: c.holder_name,
            course_title: c.course_title,
            issued_at: c.issued_at,
            revoked_at: c.revoked_at,
        }
    }
}

#[derive(Serialize)]
struct StreakOut {
    current: u32,
    longest: u32,
    last_active: Option<String>,
}

#[derive(Serialize)]
struct BadgeOut {
    key: String,
    name: String,
    description: String,
    #[serde(with = "time::serde::rfc3339::option")]
    earned_at: Option<OffsetDateTime>,
}

#[derive(Serialize)]
struct AchievementsOut {
    xp: u64,
    level: LevelInfo,
    streak: StreakOut,
    badges: Vec<BadgeOut>,
    recent: Vec<XpEntry>,
    leaderboard_opt_in: bool,
}

/// `GET /v1/me/achievements` — XP, level, streak (tenant time zone), badges.
async fn achievements(
    State(s): State<AppState>,
    signed: SignedIn,
) -> Result<Json<AchievementsOut>, ApiError> {
    let sum = s
        .services
        .achievements
        .summary(&signed.caller(), signed.tenant)
        .await?;
    Ok(Json(AchievementsOut {
        xp: sum.xp,
        level: sum.level,
        streak: StreakOut {
            current: sum.streak.current,
            longest: sum.streak.longest,
            last_active: sum.streak.last_active.map(|d| d.to_string()),
        },
        badges: sum
            .badges
            .into_iter()
            .map(|(b, at)| BadgeOut {
                key: b.key,
                name: b.name,
                description: b.description,
                earned_at: at,
            })
            .collect(),
        recent: sum.recent,
        leaderboard_opt_in: sum.leaderboard_opt_in,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OptIn {
    opt_in: bool,
}

/// `PUT /v1/me/leaderboard` — `{"opt_in": true}` to appear by name.
async fn opt_in(
    State(s): State<AppState>,
    signed: SignedIn,
    JsonBody(body): JsonBody<OptIn>,
) -> Result<Json<serde_json::Value>, ApiError> {
    s.services
        .achievements
        .set_leaderboard(&signed.caller(), signed.tenant, body.opt_in)
        .await?;
    Ok(Json(serde_json::json!({ "opt_in": body.opt_in })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BoardQuery {
    cohort: Option<String>,
    limit: Option<usize>,
}

#[derive(Serialize)]
struct BoardOut {
    items: Vec<Row>,
}

/// `GET /v1/leaderboard?cohort=&limit=` — by XP; non-opted-in learners are anonymous.
async fn leaderboard(
    State(s): State<AppState>,
    signed: SignedIn,
    QueryParams(q): QueryParams<BoardQuery>,
) -> Result<Json<BoardOut>, ApiError> {
    let cohort: Option<CohortId> = match q.cohort.as_deref() {
        None => None,
        Some(raw) => Some(super::id(raw, "cohort")?),
    };
    let items = s
        .services
        .achievements
        .leaderboard(
            &signed.caller(),
            signed.tenant,
            cohort,
            q.limit.unwrap_or(20),
        )
        .await?;
    Ok(Json(BoardOut { items }))
}

#[derive(Serialize)]
struct CertificatesOut {
    items: Vec<CertificateOut>,
}

/// `GET /v1/me/certificates` — the caller's certificates, newest first.
async fn certificates(
    State(s): State<AppState>,
    signed: SignedIn,
) -> Result<Json<CertificatesOut>, ApiError> {
    let certs = s
        .services
        .achievements
        .my_certificates(&signed.caller(), signed.tenant)
        .await?;
    Ok(Json(CertificatesOut {
        items: certs.into_iter().map(CertificateOut::from).collect(),
    }))
}

#[derive(Serialize)]
struct VerificationOut {
    valid: bool,
    holder_name: String,
    course_title: String,
    /// The date only: the public page says no more than it must.
    issued_on: String,
}

/// `GET /v1/certificates/verify/{code}` — public: validity, name, course and date.
async fn verify(
    State(s): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    Path(code): Path<String>,
) -> Result<Json<VerificationOut>, ApiError> {
    let v = s.services.achievements.verify(tenant.id, &code).await?;
    Ok(Json(VerificationOut {
        valid: v.valid,
        holder_name: v.holder_name,
        course_title: v.course_title,
        issued_on: v.issued_on,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeIn {
    reason: String,
}

/// `POST /v1/certificates/{id}/revocation` — revokes; needs `certificate:revoke`.
async fn revoke(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RevokeIn>,
) -> Result<Json<CertificateOut>, ApiError> {
    let id = super::id(&id, "certificate")?;
    let cert = s
        .services
        .achievements
        .revoke(&signed.caller(), signed.tenant, id, &body.reason)
        .await?;
    Ok(Json(cert.into()))
}
