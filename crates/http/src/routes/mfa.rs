//! `/v1/auth/mfa`: second factors. Sessions still owing a second factor may use these
//! endpoints and nothing else.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{JsonBody, PartialSession, SessionUser};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use nexus_app::mfa::SecondFactor;
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
        .route("/auth/mfa/verify", post(verify))
        .route("/auth/mfa/totp/enroll", post(enroll))
        .route("/auth/mfa/totp/confirm", post(confirm))
        .route("/auth/mfa/recovery-codes", post(regenerate))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyIn {
    code: Option<String>,
    recovery_code: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfirmIn {
    code: String,
}

#[derive(Serialize)]
struct EnrollOut {
    secret: String,
    otpauth_uri: String,
    qr_svg: String,
}

#[derive(Serialize)]
struct CodesOut {
    recovery_codes: Vec<String>,
}

/// `POST /v1/auth/mfa/verify` — `{ "code": "123456" }` or `{ "recovery_code": "…" }`.
async fn verify(
    State(s): State<AppState>,
    PartialSession(signed): PartialSession,
    JsonBody(body): JsonBody<VerifyIn>,
) -> Result<StatusCode, ApiError> {
    let factor = match (body.code, body.recovery_code) {
        (Some(c), None) => SecondFactor::Totp(c),
        (None, Some(r)) => SecondFactor::Recovery(r),
        _ => {
            let mut errs = nexus_domain::FieldErrors::new();
            errs.push(
                "code",
                "one_of",
                "send exactly one of code or recovery_code",
            );
            return Err(ApiError::validation(errs));
        }
    };
    s.services
        .auth
        .mfa_verify(&signed.auth, factor, signed.meta.clone())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/auth/mfa/totp/enroll`
async fn enroll(
    State(s): State<AppState>,
    PartialSession(signed): PartialSession,
) -> Result<Json<EnrollOut>, ApiError> {
    let e = s
        .services
        .auth
        .totp_enroll(&signed.auth, signed.meta.clone())
        .await?;
    Ok(Json(EnrollOut {
        secret: e.secret,
        otpauth_uri: e.uri,
        qr_svg: e.qr_svg,
    }))
}

/// `POST /v1/auth/mfa/totp/confirm` — returns the recovery codes, shown once.
async fn confirm(
    State(s): State<AppState>,
    PartialSession(signed): PartialSession,
    JsonBody(body): JsonBody<ConfirmIn>,
) -> Result<Json<CodesOut>, ApiError> {
    let codes = s
        .services
        .auth
        .totp_confirm(&signed.auth, &body.code, signed.meta.clone())
        .await?;
    Ok(Json(CodesOut {
        recovery_codes: codes,
    }))
}

/// `POST /v1/auth/mfa/recovery-codes` — new codes; the old ones stop working.
async fn regenerate(
    State(s): State<AppState>,
    signed: SessionUser,
) -> Result<Json<CodesOut>, ApiError> {
    let codes = s
        .services
        .auth
        .regenerate_recovery_codes(&signed.auth, signed.meta.clone())
        .await?;
    Ok(Json(CodesOut {
        recovery_codes: codes,
    }))
}
