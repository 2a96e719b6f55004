//! E-mail verification: asking for a link (yourself, or an admin for someone) and
//! spending it.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{CurrentTenant, JsonBody, Meta, SessionUser, SignedIn};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use nexus_domain::UserId;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(request_own, verify, request_for))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/email-verification", post(request_own))
        .route("/auth/verify-email", post(verify))
        .route("/users/{id}/email-verification", post(request_for))
}

#[derive(Deserialize, ToSchema)]
#[schema(as = EmailVerify)]
#[serde(deny_unknown_fields)]
struct VerifyIn {
    /// The token from the verification link.
    token: String,
}

/// A queued verification mail.
#[derive(ToSchema)]
#[schema(as = EmailVerificationQueued)]
#[allow(dead_code)]
struct QueuedDoc {
    /// Always `a verification link is on its way`.
    status: String,
}

fn queued() -> (StatusCode, Json<Value>) {
    (
        StatusCode::ACCEPTED,
        Json(json!({ "status": "a verification link is on its way" })),
    )
}

/// `POST /v1/auth/email-verification` — mail the signed-in user a link. A session
/// only, like the other routes about one's own account: an integration's API key has
/// no business mailing its owner.
#[utoipa::path(post, path = "/auth/email-verification", operation_id = "email_verification_request", tag = "E-mail verification",
    responses((status = 202, description = "A link is queued for mailing", body = QueuedDoc)),
    security(("session" = []), ("session_cookie" = [])))]
async fn request_own(
    State(s): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    signed: SessionUser,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let link = super::link_base(&s, &tenant);
    s.services
        .auth
        .request_email_verification(
            &s.services.jobs,
            &signed.caller(),
            &tenant,
            signed.auth.session.user,
            &link,
        )
        .await?;
    Ok(queued())
}

/// `POST /v1/users/{id}/email-verification` — an admin resends a user's link.
#[utoipa::path(post, path = "/users/{id}/email-verification", operation_id = "email_verification_request_for_user", tag = "E-mail verification",
    params(("id" = String, Path, description = "The user's ID")),
    responses((status = 202, description = "A link is queued for mailing", body = QueuedDoc)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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
#[utoipa::path(post, path = "/auth/verify-email", operation_id = "email_verification_verify", tag = "E-mail verification",
    request_body = VerifyIn,
    responses((status = 204, description = "The address is verified")),
    security(()))]
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
