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

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi()]
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginIn {
    email: String,
    password: String,
}

#[derive(Serialize)]
struct UserOut {
    id: nexus_domain::UserId,
    email: String,
    display_name: String,
    role: &'static str,
}

#[derive(Serialize)]
struct LoginOut {
    token: String,
    csrf_token: String,
    session_id: SessionId,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
    /// `none`, `pending` (send a code to /v1/auth/mfa/verify) or `enroll_required`.
    mfa: nexus_domain::mfa::MfaState,
    user: UserOut,
}

#[derive(Serialize)]
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
    current: bool,
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
