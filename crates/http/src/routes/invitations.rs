//! `/v1/users/invitations`, `/v1/users/import` and `/v1/auth/invitations/accept`.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{CurrentTenant, JsonBody, Meta, SignedIn};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::post;
use axum::{Json, Router};
use nexus_app::invitations::ImportRow;
use nexus_domain::FieldErrors;
use nexus_domain::access::Permission;
use nexus_domain::user::{Email, Role};
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
        .route("/users/invitations", post(invite))
        .route("/users/import", post(import))
        .route("/auth/invitations/accept", post(accept))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InviteIn {
    email: String,
    role: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptIn {
    token: String,
    display_name: String,
    password: String,
}

#[derive(Serialize)]
struct ImportOut {
    invited: usize,
    rejected: usize,
    rows: Vec<ImportRow>,
}

/// `POST /v1/users/invitations`
async fn invite(
    State(s): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    signed: SignedIn,
    JsonBody(body): JsonBody<InviteIn>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let mut errs = FieldErrors::new();
    let email = errs.check("email", Email::parse(&body.email));
    let role = errs.check(
        "role",
        Role::parse(body.role.as_deref().unwrap_or("learner")),
    );
    let (email, role) = errs
        .finish(|| Some((email?, role?)))
        .map_err(ApiError::validation)?;
    s.services
        .auth
        .invite(
            &s.services.jobs,
            &signed.caller(),
            &tenant,
            &email,
            role,
            &super::link_base(&s, &tenant),
        )
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "status": "invited", "email": email.as_str() })),
    ))
}

/// `POST /v1/users/import` — `text/csv` with a header naming `email` (and optionally
/// `role`); answers with every row's outcome.
async fn import(
    State(s): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    signed: SignedIn,
    headers: HeaderMap,
    body: String,
) -> Result<Json<ImportOut>, ApiError> {
    let caller = signed.caller();
    caller.require(tenant.id, Permission::UserInvite)?;
    let is_csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv"));
    if !is_csv {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Unsupported media type",
        )
        .detail("send the file as text/csv"));
    }
    let rows = s
        .services
        .auth
        .import(
            &s.services.jobs,
            &caller,
            &tenant,
            &body,
            &super::link_base(&s, &tenant),
        )
        .await?;
    let invited = rows.iter().filter(|r| r.status == "invited").count();
    Ok(Json(ImportOut {
        invited,
        rejected: rows.len() - invited,
        rows,
    }))
}

/// `POST /v1/auth/invitations/accept`
async fn accept(
    State(s): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    Meta(meta): Meta,
    JsonBody(body): JsonBody<AcceptIn>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let user = s
        .services
        .auth
        .accept_invitation(
            &tenant,
            &body.token,
            &body.display_name,
            &body.password,
            meta,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": user.id, "email": user.email.as_str(), "role": user.role.as_str() })),
    ))
}
