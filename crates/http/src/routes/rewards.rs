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
use utoipa::ToSchema;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(achievements, opt_in, leaderboard, certificates, verify, revoke))]
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
#[derive(Serialize, ToSchema)]
#[schema(as = RewardAwards)]
pub(crate) struct AwardsOut {
    /// XP gained by this activity, streak included.
    xp: u32,
    /// The streak's length after it, when it extended the streak.
    #[serde(skip_serializing_if = "Option::is_none")]
    streak: Option<u32>,
    /// Keys of badges newly earned.
    badges: Vec<String>,
    /// A certificate newly issued.
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

/// A course certificate.
#[derive(Serialize, ToSchema)]
#[schema(as = Certificate)]
pub(crate) struct CertificateOut {
    id: CertificateId,
    course: nexus_domain::learning::CourseId,
    /// The verification code.
    code: String,
    /// Where anyone can check it, relative to the tenant's host.
    verify_path: String,
    /// The holder's name as issued.
    holder_name: String,
    /// The course's title as issued.
    course_title: String,
    #[serde(with = "time::serde::rfc3339")]
    issued_at: OffsetDateTime,
    /// `null` unless revoked.
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

/// A daily streak, in days of the tenant's time zone.
#[derive(Serialize, ToSchema)]
#[schema(as = AchievementsStreak)]
struct StreakOut {
    /// Length of the run ending today or yesterday; 0 if it has lapsed.
    current: u32,
    /// Length of the longest run ever.
    longest: u32,
    /// The latest local day with activity (`YYYY-MM-DD`), if any.
    last_active: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = AchievementsBadge)]
struct BadgeOut {
    key: String,
    name: String,
    description: String,
    /// When the caller earned it (`null`: not yet).
    #[serde(with = "time::serde::rfc3339::option")]
    earned_at: Option<OffsetDateTime>,
}

/// A learner's rewards at a glance.
#[derive(Serialize, ToSchema)]
#[schema(as = Achievements)]
struct AchievementsOut {
    /// Total XP.
    xp: u64,
    level: LevelInfo,
    streak: StreakOut,
    /// Every badge, earned or not.
    badges: Vec<BadgeOut>,
    /// The latest awards, newest first (at most 20).
    recent: Vec<XpEntry>,
    /// Whether the caller appears on leaderboards by name.
    leaderboard_opt_in: bool,
}

/// `GET /v1/me/achievements` — XP, level, streak (tenant time zone), badges.
#[utoipa::path(get, path = "/me/achievements", operation_id = "achievements_show", tag = "Achievements",
    responses((status = 200, description = "The caller's XP, level, streak, badges and recent awards", body = AchievementsOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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

/// Whether to appear on leaderboards by name (the request, and the answer).
#[derive(Deserialize, ToSchema)]
#[schema(as = LeaderboardOptIn)]
#[serde(deny_unknown_fields)]
struct OptIn {
    /// `true`: appear by name; `false`: appear as "Anonymous" to others.
    opt_in: bool,
}

/// `PUT /v1/me/leaderboard` — `{"opt_in": true}` to appear by name.
#[utoipa::path(put, path = "/me/leaderboard", operation_id = "leaderboard_opt_in", tag = "Leaderboard",
    request_body = OptIn,
    responses((status = 200, description = "The choice as saved", body = OptIn)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct BoardQuery {
    /// A cohort's ID: rank its learners only (for its members and `report:read`).
    cohort: Option<String>,
    /// Rows to show, 1 to 100 (clamped); default 20.
    limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = Leaderboard)]
struct BoardOut {
    /// Highest XP first; the caller's own row takes the last place if they rank below
    /// the cut.
    items: Vec<Row>,
}

/// `GET /v1/leaderboard?cohort=&limit=` — by XP; non-opted-in learners are anonymous.
#[utoipa::path(get, path = "/leaderboard", operation_id = "leaderboard_show", tag = "Leaderboard",
    params(BoardQuery),
    responses((status = 200, description = "The leaderboard", body = BoardOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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

#[derive(Serialize, ToSchema)]
#[schema(as = CertificateList)]
struct CertificatesOut {
    items: Vec<CertificateOut>,
}

/// `GET /v1/me/certificates` — the caller's certificates, newest first.
#[utoipa::path(get, path = "/me/certificates", operation_id = "certificates_mine", tag = "Certificates",
    responses((status = 200, description = "The caller's certificates, newest first", body = CertificatesOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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

/// What the public verification shows: validity, name, course and date.
#[derive(Serialize, ToSchema)]
#[schema(as = CertificateVerification)]
struct VerificationOut {
    /// Issued and not revoked.
    valid: bool,
    holder_name: String,
    course_title: String,
    /// The date only (`YYYY-MM-DD`, the tenant's time zone): the public page says no
    /// more than it must.
    issued_on: String,
}

/// `GET /v1/certificates/verify/{code}` — public: validity, name, course and date.
#[utoipa::path(get, path = "/certificates/verify/{code}", operation_id = "certificates_verify", tag = "Certificates",
    params(("code" = String, Path, description = "The code printed on the certificate")),
    responses((status = 200, description = "What the certificate says", body = VerificationOut)),
    security(()))]
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

#[derive(Deserialize, ToSchema)]
#[schema(as = CertificateRevoke)]
#[serde(deny_unknown_fields)]
struct RevokeIn {
    /// Why it is revoked, 1 to 500 characters; kept with the certificate and audited.
    reason: String,
}

/// `POST /v1/certificates/{id}/revocation` — revokes; needs `certificate:revoke`.
#[utoipa::path(post, path = "/certificates/{id}/revocation", operation_id = "certificates_revoke", tag = "Certificates",
    params(("id" = String, Path, description = "The certificate's ID")),
    request_body = RevokeIn,
    responses((status = 200, description = "The revoked certificate", body = CertificateOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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
