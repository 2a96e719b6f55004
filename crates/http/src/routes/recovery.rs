//! `/v1/auth/password/*`: password reset by e-mail; `/v1/outbox`: the development mail
//! outbox, for tenant admins.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{CurrentTenant, JsonBody, Meta, QueryParams, SignedIn};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(forgot, reset, outbox))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/password/forgot", post(forgot))
        .route("/auth/password/reset", post(reset))
        .route("/outbox", get(outbox))
}

#[derive(Deserialize, ToSchema)]
#[schema(as = PasswordForgot)]
#[serde(deny_unknown_fields)]
struct ForgotIn {
    /// The account's e-mail address.
    email: String,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = PasswordReset)]
#[serde(deny_unknown_fields)]
struct ResetIn {
    /// The token from the reset link.
    token: String,
    /// The new password.
    password: String,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct OutboxIn {
    /// How many mails, newest first (default 50, clamped to 1..=200).
    limit: Option<u32>,
}

/// `POST /v1/auth/password/forgot`'s body.
#[derive(ToSchema)]
#[schema(as = PasswordForgotAccepted)]
#[allow(dead_code)]
struct ForgotDoc {
    /// Always `if an account uses this address, a reset link is on its way`.
    status: String,
}

/// A mail in the development outbox.
#[derive(Serialize, ToSchema)]
#[schema(as = OutboxMail)]
struct MailOut {
    to: String,
    subject: String,
    body: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: time::OffsetDateTime,
}

/// `POST /v1/auth/password/forgot` — always 202, whether or not the account exists.
#[utoipa::path(post, path = "/auth/password/forgot", operation_id = "password_forgot", tag = "Password reset",
    request_body = ForgotIn,
    responses((status = 202, description = "Accepted, whether or not an account uses the address", body = ForgotDoc)),
    security(()))]
async fn forgot(
    State(s): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    Meta(meta): Meta,
    JsonBody(body): JsonBody<ForgotIn>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    s.services
        .auth
        .forgot_password(
            &s.services.jobs,
            &tenant,
            &body.email,
            &super::link_base(&s, &tenant),
            meta,
        )
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "status": "if an account uses this address, a reset link is on its way" })),
    ))
}

/// `POST /v1/auth/password/reset`
#[utoipa::path(post, path = "/auth/password/reset", operation_id = "password_reset", tag = "Password reset",
    request_body = ResetIn,
    responses((status = 204, description = "The password is changed")),
    security(()))]
async fn reset(
    State(s): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    Meta(meta): Meta,
    JsonBody(body): JsonBody<ResetIn>,
) -> Result<StatusCode, ApiError> {
    s.services
        .auth
        .reset_password(&tenant, &body.token, &body.password, meta)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/outbox` — mail "sent" by this tenant, newest first.
#[utoipa::path(get, path = "/outbox", operation_id = "outbox_list", tag = "Outbox",
    params(OutboxIn),
    responses((status = 200, description = "The tenant's mail, newest first", body = Vec<MailOut>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn outbox(
    State(s): State<AppState>,
    signed: SignedIn,
    QueryParams(q): QueryParams<OutboxIn>,
) -> Result<Json<Vec<MailOut>>, ApiError> {
    let limit = q
        .limit
        .unwrap_or(50)
        .clamp(1, nexus_domain::paging::MAX_LIMIT);
    let mails = s
        .services
        .auth
        .outbox(&signed.caller(), signed.tenant, limit)
        .await?;
    Ok(Json(
        mails
            .into_iter()
            .map(|m| MailOut {
                to: m.to,
                subject: m.subject,
                body: m.body,
                created_at: m.created_at,
            })
            .collect(),
    ))
}
