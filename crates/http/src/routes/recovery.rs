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

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi()]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/password/forgot", post(forgot))
        .route("/auth/password/reset", post(reset))
        .route("/outbox", get(outbox))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ForgotIn {
    email: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResetIn {
    token: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OutboxIn {
    limit: Option<u32>,
}

#[derive(Serialize)]
struct MailOut {
    to: String,
    subject: String,
    body: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: time::OffsetDateTime,
}

/// `POST /v1/auth/password/forgot` — always 202, whether or not the account exists.
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
