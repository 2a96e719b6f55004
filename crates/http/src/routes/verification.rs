//! E-mail verification: asking for a link (yourself, or an admin for someone) and
//! spending it.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{CurrentTenant, JsonBody, Meta, SignedIn};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use nexus_domain::UserId;
use serde::Deserialize;
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
        .route("/auth/email-verification", post(request_own))
        .route("/auth/verify-email", post(verify))
        .route("/users/{id}/email-verification", post(request_for))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyIn {
    token: String,
}

fn queued() -> (StatusCode, Json<Value>) {
    (
        StatusCode::ACCEPTED,
        Json(json!({ "status": "a verification link is on its way" })),
    )
}

/// `POST /v1/auth/email-verification` — mail the signed-in user a link.
async fn request_own(
    State(s): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    signed: SignedIn,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let link = super::link_base(&s, &tenant);
    s.services
        .auth
        .request_email_verification(
            &s.services.jobs,
            &signed.caller(),
            &tenant,
            signed.user,
            &link,
        )
        .await?;
    Ok(queued())
}

/// `POST /v1/users/{id}/email-verification` — an admin resends a user's link.
async fn request_for(
    State(s): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let user: UserId = id.parse().map_err(|_| ApiError::not_found("user"))?;
    let link = super::link_base(&s, &tenant);
    s.services
        .auth
        .request_email_verification(&s.services.jobs, &signed.caller(), &tenant, user, &link)
        .await?;
    Ok(queued())
}

/// `POST /v1/auth/verify-email` — spend a link's token.
async fn verify(
    State(s): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    Meta(meta): Meta,
    JsonBody(body): JsonBody<VerifyIn>,
) -> Result<StatusCode, ApiError> {
    s.services
        .auth
        .verify_email(&tenant, &body.token, meta)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
