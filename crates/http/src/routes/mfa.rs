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
use utoipa::ToSchema;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(verify, enroll, confirm, regenerate))]
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

/// Exactly one of `code` and `recovery_code`.
#[derive(Deserialize, ToSchema)]
#[schema(as = MfaVerify)]
#[serde(deny_unknown_fields)]
struct VerifyIn {
    /// A 6-digit TOTP code.
    code: Option<String>,
    /// One of the user's unused recovery codes.
    recovery_code: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = MfaTotpConfirm)]
#[serde(deny_unknown_fields)]
struct ConfirmIn {
    /// A 6-digit code from the newly enrolled authenticator.
    code: String,
}

/// A new TOTP secret, to add to an authenticator app; confirm it with a code.
#[derive(Serialize, ToSchema)]
#[schema(as = MfaTotpEnrollment)]
struct EnrollOut {
    /// The base32 secret, for manual entry.
    secret: String,
    /// The `otpauth://totp/...` URI.
    otpauth_uri: String,
    /// The URI as a QR code, an SVG document.
    qr_svg: String,
}

/// Recovery codes, shown this once.
#[derive(Serialize, ToSchema)]
#[schema(as = MfaRecoveryCodes)]
struct CodesOut {
    recovery_codes: Vec<String>,
}

/// `POST /v1/auth/mfa/verify` — `{ "code": "123456" }` or `{ "recovery_code": "…" }`.
#[utoipa::path(post, path = "/auth/mfa/verify", operation_id = "mfa_verify", tag = "MFA",
    request_body = VerifyIn,
    responses((status = 204, description = "The second factor is passed; the session is complete")),
    security(("session" = []), ("session_cookie" = [])))]
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
#[utoipa::path(post, path = "/auth/mfa/totp/enroll", operation_id = "mfa_totp_enroll", tag = "MFA",
    responses((status = 200, description = "A new, unconfirmed TOTP secret", body = EnrollOut)),
    security(("session" = []), ("session_cookie" = [])))]
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
#[utoipa::path(post, path = "/auth/mfa/totp/confirm", operation_id = "mfa_totp_confirm", tag = "MFA",
    request_body = ConfirmIn,
    responses((status = 200, description = "TOTP is enabled; the recovery codes, shown once", body = CodesOut)),
    security(("session" = []), ("session_cookie" = [])))]
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
#[utoipa::path(post, path = "/auth/mfa/recovery-codes", operation_id = "mfa_recovery_codes_regenerate", tag = "MFA",
    responses((status = 200, description = "New recovery codes, shown once", body = CodesOut)),
    security(("session" = []), ("session_cookie" = [])))]
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
