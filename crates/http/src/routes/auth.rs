//! `/v1/auth`: login, logout, the current session, and session management.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{CSRF_COOKIE, CurrentTenant, JsonBody, Meta, SESSION_COOKIE, SessionUser};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use nexus_domain::session::{Session, SessionId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(login, logout, current, list, revoke))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/auth/session", get(current))
        .route("/auth/sessions", get(list))
        .route("/auth/sessions/{id}", delete(revoke))
}

#[derive(Deserialize, ToSchema)]
#[schema(as = AuthLogin)]
#[serde(deny_unknown_fields)]
struct LoginIn {
    email: String,
    password: String,
}

/// The signed-in user.
#[derive(Serialize, ToSchema)]
#[schema(as = AuthUser)]
struct UserOut {
    id: nexus_domain::UserId,
    email: String,
    display_name: String,
    /// The account's built-in role: `tenant_admin`, `instructor` or `learner`.
    #[schema(value_type = nexus_domain::access::BuiltinRole)]
    role: &'static str,
}

#[derive(Serialize, ToSchema)]
#[schema(as = AuthLoginResult)]
struct LoginOut {
    /// The session token, for `Authorization: Bearer` (also set as the session cookie).
    token: String,
    /// Echo in `X-CSRF-Token` on unsafe requests authenticated by the cookie (also set
    /// as the readable CSRF cookie).
    csrf_token: String,
    session_id: SessionId,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
    /// `none`, `pending` (send a code to /v1/auth/mfa/verify) or `enroll_required`.
    mfa: nexus_domain::mfa::MfaState,
    user: UserOut,
}

#[derive(Serialize, ToSchema)]
#[schema(as = AuthSession)]
struct SessionOut {
    id: SessionId,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    last_seen_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
    ip: Option<String>,
    user_agent: Option<String>,
    /// Whether this is the session making the request.
    current: bool,
}

/// `GET /v1/auth/session`'s body.
#[derive(ToSchema)]
#[schema(as = AuthCurrentSession)]
#[allow(dead_code)]
struct CurrentDoc {
    session_id: SessionId,
    user_id: nexus_domain::UserId,
    tenant_id: nexus_domain::TenantId,
    /// The user's built-in role.
    role: nexus_domain::access::BuiltinRole,
    /// The user's effective permissions, sorted.
    permissions: Vec<nexus_domain::access::Permission>,
    expires_at: OffsetDateTime,
}

fn session_out(s: Session, current: SessionId) -> SessionOut {
    SessionOut {
        current: s.id == current,
        id: s.id,
        created_at: s.created_at,
        last_seen_at: s.last_seen_at,
        expires_at: s.expires_at,
        ip: s.ip,
        user_agent: s.user_agent,
    }
}

fn cookies(s: &AppState, token: &str, csrf: &str, max_age: i64) -> HeaderMap {
    let secure = if s.settings.external_tls {
        "; Secure"
    } else {
        ""
    };
    let mut h = HeaderMap::new();
    for c in [
        format!(
            "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
        ),
        format!("{CSRF_COOKIE}={csrf}; Path=/; SameSite=Lax; Max-Age={max_age}{secure}"),
    ] {
        if let Ok(v) = HeaderValue::from_str(&c) {
            h.append(header::SET_COOKIE, v);
        }
    }
    h
}

/// `POST /v1/auth/login`
#[utoipa::path(post, path = "/auth/login", operation_id = "auth_login", tag = "Auth",
    request_body = LoginIn,
    responses((status = 200, description = "Signed in; `mfa` says whether a second factor is still owed", body = LoginOut,
        headers(("Set-Cookie" = String, description = "The session cookie (`nexus_session`, HttpOnly) and the CSRF cookie (`nexus_csrf`)")))),
    security(()))]
async fn login(
    State(s): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    Meta(meta): Meta,
    JsonBody(body): JsonBody<LoginIn>,
) -> Result<(HeaderMap, Json<LoginOut>), ApiError> {
    let out = s
        .services
        .auth
        .login(&tenant, &body.email, &body.password, meta)
        .await?;
    let max_age = (out.session.expires_at - out.session.created_at).whole_seconds();
    let headers = cookies(&s, &out.token, &out.csrf_token, max_age);
    let user = UserOut {
        id: out.user.id,
        email: out.user.email.as_str().to_owned(),
        display_name: out.user.display_name,
        role: nexus_app::auth::builtin_role(out.user.role).as_str(),
    };
    Ok((
        headers,
        Json(LoginOut {
            token: out.token,
            csrf_token: out.csrf_token,
            session_id: out.session.id,
            mfa: out.session.mfa_state,
            expires_at: out.session.expires_at,
            user,
        }),
    ))
}

/// `POST /v1/auth/logout`
#[utoipa::path(post, path = "/auth/logout", operation_id = "auth_logout", tag = "Auth",
    responses((status = 204, description = "Signed out; both cookies are cleared",
        headers(("Set-Cookie" = String, description = "Expires the session and CSRF cookies")))),
    security(("session" = []), ("session_cookie" = [])))]
async fn logout(
    State(s): State<AppState>,
    signed: SessionUser,
) -> Result<(StatusCode, HeaderMap), ApiError> {
    s.services
        .auth
        .logout(&signed.auth, signed.meta.clone())
        .await?;
    Ok((StatusCode::NO_CONTENT, cookies(&s, "", "", 0)))
}

/// `GET /v1/auth/session`
#[utoipa::path(get, path = "/auth/session", operation_id = "auth_session_show", tag = "Auth",
    responses((status = 200, description = "The current session and what it may do", body = CurrentDoc)),
    security(("session" = []), ("session_cookie" = [])))]
async fn current(signed: SessionUser) -> Json<serde_json::Value> {
    let a = &signed.auth;
    Json(serde_json::json!({
        "session_id": a.session.id,
        "user_id": a.session.user,
        "tenant_id": a.session.tenant,
        "role": a.role.as_str(),
        "permissions": a.permissions,
        "expires_at": a.session.expires_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
    }))
}

/// `GET /v1/auth/sessions`
#[utoipa::path(get, path = "/auth/sessions", operation_id = "auth_sessions_list", tag = "Auth",
    responses((status = 200, description = "The signed-in user's sessions", body = Vec<SessionOut>)),
    security(("session" = []), ("session_cookie" = [])))]
async fn list(
    State(s): State<AppState>,
    signed: SessionUser,
) -> Result<Json<Vec<SessionOut>>, ApiError> {
    let current = signed.auth.session.id;
    let sessions = s.services.auth.my_sessions(&signed.auth).await?;
    Ok(Json(
        sessions
            .into_iter()
            .map(|x| session_out(x, current))
            .collect(),
    ))
}

/// `DELETE /v1/auth/sessions/{id}`
#[utoipa::path(delete, path = "/auth/sessions/{id}", operation_id = "auth_sessions_revoke", tag = "Auth",
    params(("id" = String, Path, description = "The ID of one of the user's sessions")),
    responses((status = 204, description = "The session is revoked")),
    security(("session" = []), ("session_cookie" = [])))]
async fn revoke(
    State(s): State<AppState>,
    signed: SessionUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: SessionId = id.parse().map_err(|_| ApiError::not_found("session"))?;
    s.services
        .auth
        .revoke(&signed.auth, id, signed.meta.clone())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
