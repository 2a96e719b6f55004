//! Extractors: the HTTP edge where raw input becomes typed input.
//!
//! - [`JsonBody`] reads JSON strictly: wrong content type → 415, unreadable → 400, wrong
//!   shape or unknown field → 422, too large → 413. Always problem+json.
//! - [`CurrentTenant`] resolves the tenant from `Host` / `X-Tenant` (404 unknown, 403
//!   suspended).
//! - [`PlatformAdmin`] admits platform operators by bearer token (compared in constant
//!   time). Identity and RBAC replace it in the identity issue.
//! - [`QueryParams`] reads a query string, 422 on a wrong type.

use crate::AppState;
use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::{StatusCode, header, request::Parts};
use nexus_app::{Caller, RequestMeta};
use nexus_domain::FieldErrors;
use nexus_domain::access::Permission;
use nexus_domain::tenancy::Tenant;
use serde::de::DeserializeOwned;

/// A JSON request body, deserialised strictly.
pub(crate) struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                let m = m.trim();
                m.eq_ignore_ascii_case("application/json")
                    || m.to_ascii_lowercase().ends_with("+json")
            });
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Unsupported media type",
            )
            .detail("send the body as application/json"));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rej| {
            if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::from_status(StatusCode::PAYLOAD_TOO_LARGE)
            } else {
                ApiError::malformed("the request body could not be read")
            }
        })?;
        from_json(&mut serde_json::Deserializer::from_slice(&bytes)).map(Self)
    }
}

/// Deserialises strictly: a wrong type or unknown field is 422 naming its path
/// (`modules[0].lessons[2].title`), a syntax error 400.
fn from_json<'de, D, T>(de: D) -> Result<T, ApiError>
where
    D: serde::Deserializer<'de, Error = serde_json::Error>,
    T: serde::Deserialize<'de>,
{
    match serde_path_to_error::deserialize(de) {
        Ok(v) => Ok(v),
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            if inner.is_data() {
                let mut errors = FieldErrors::new();
                let (field, code) = match unknown_field(&inner) {
                    // The path names the unknown member itself, nested ones with their
                    // parents (`modules[1].lessons[0].video`).
                    Some(f) => (if path == "." { f } else { path }, "unknown_field"),
                    None => (path, "invalid_type"),
                };
                errors.push(
                    if field == "." {
                        "body".to_owned()
                    } else {
                        field
                    },
                    code,
                    strip_position(&inner),
                );
                Err(ApiError::validation(errors))
            } else {
                Err(ApiError::malformed(format!(
                    "the body is not valid JSON: {inner}"
                )))
            }
        }
    }
}

/// A JSON value already read (e.g. one whose header was checked first) into a DTO,
/// with the same strictness and error paths as [`JsonBody`].
pub(crate) fn from_value<T: DeserializeOwned>(v: serde_json::Value) -> Result<T, ApiError> {
    from_json(v)
}

/// serde reports unknown fields as "unknown field `x`, expected …"; name the field.
fn unknown_field(e: &serde_json::Error) -> Option<String> {
    let msg = e.to_string();
    let rest = msg.strip_prefix("unknown field `")?;
    rest.split_once('`').map(|(name, _)| name.to_owned())
}

fn strip_position(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    msg.split(" at line ").next().unwrap_or(&msg).to_owned()
}

/// A query string, deserialised into a raw DTO.
pub(crate) struct QueryParams<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(Self(v)),
            Err(rej) => {
                let mut errors = FieldErrors::new();
                errors.push("query", "invalid_query", rej.body_text());
                Err(ApiError::validation(errors))
            }
        }
    }
}

/// The tenant this request addresses; active, or the request was already refused.
pub(crate) struct CurrentTenant(pub Tenant);

impl FromRequestParts<AppState> for CurrentTenant {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // Resolved already by the rate limiter on this request.
        if let Some(c) = parts.extensions.get::<crate::ratelimit::Checked>() {
            return Ok(Self(c.tenant.clone()));
        }
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .or_else(|| parts.uri.host())
            .unwrap_or_default();
        // A non-UTF-8 X-Tenant becomes a string no slug can match: an unknown tenant.
        let x_tenant = parts
            .headers
            .get("x-tenant")
            .map(|v| v.to_str().unwrap_or("\u{0}"));
        let tenant = state.services.tenants.resolve(host, x_tenant).await?;
        Ok(Self(tenant))
    }
}

/// A platform operator as an audit [`Caller`]: the configured operator token, or a
/// signed-in user of some tenant (addressed as usual, e.g. `X-Tenant`) who holds
/// `platform:operate` (the platform_admin role) and has completed their second factor.
pub(crate) struct PlatformAdmin(pub Caller);

/// Request facts for the audit trail: client IP (after the proxy rule), user agent and
/// request ID.
pub(crate) fn request_meta(parts: &Parts) -> RequestMeta {
    RequestMeta {
        ip: parts
            .extensions
            .get::<crate::ClientIp>()
            .map(|c| c.0.to_string()),
        user_agent: parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(512).collect()),
        request_id: Some(crate::middleware::RequestContext::current().request_id)
            .filter(|r| !r.is_empty()),
    }
}

impl FromRequestParts<AppState> for PlatformAdmin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let presented = bearer(&parts.headers);
        match (&state.settings.platform_token, presented) {
            (Some(expected), Some(got))
                if constant_time_eq(expected.as_bytes(), got.as_bytes()) =>
            {
                let actor = nexus_domain::access::Actor::Platform;
                Ok(Self(Caller {
                    actor,
                    meta: request_meta(parts),
                }))
            }
            _ if presented.is_some() || cookie(&parts.headers, SESSION_COOKIE).is_some() => {
                let signed = match SessionUser::from_request_parts(parts, state).await {
                    Ok(s) => s,
                    // No tenant to look the session up in: not a credential we know.
                    Err(e) if e.is_tenant_resolution() => {
                        return Err(nexus_app::AppError::Unauthenticated.into());
                    }
                    Err(e) => return Err(e),
                };
                if !signed
                    .auth
                    .permissions
                    .contains(&Permission::PlatformOperate)
                {
                    return Err(nexus_app::AppError::Forbidden(
                        Permission::PlatformOperate.as_str(),
                    )
                    .into());
                }
                // A second factor actually passed, not merely "none owed": a session that
                // began before platform_admin was granted owed nothing at login.
                if signed.auth.session.mfa_state != nexus_domain::mfa::MfaState::Passed {
                    return Err(ApiError::new(
                        StatusCode::UNAUTHORIZED,
                        "mfa_required",
                        "Second factor required",
                    )
                    .detail("platform operators must sign in again and pass a second factor"));
                }
                Ok(Self(signed.caller()))
            }
            _ => Err(ApiError::from(nexus_app::AppError::Unauthenticated)),
        }
    }
}

/// Compares without an early exit, so response time does not reveal a matching prefix.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Request facts for the audit trail, as an extractor.
pub(crate) struct Meta(pub RequestMeta);

impl FromRequestParts<AppState> for Meta {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(request_meta(parts)))
    }
}

/// The session cookie's name.
pub(crate) const SESSION_COOKIE: &str = "nexus_session";
/// The CSRF cookie's name (readable by the page, echoed in `X-CSRF-Token`).
pub(crate) const CSRF_COOKIE: &str = "nexus_csrf";

/// A cookie's value.
pub(crate) fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The `Authorization: Bearer` token, trimmed.
pub(crate) fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// A signed-in user of the addressed tenant, by session (never by API key): for the
/// routes about the session itself (logout, sessions, MFA) and platform operation.
///
/// The token comes from `Authorization: Bearer` or the session cookie. Cookie-borne
/// sessions must also present `X-CSRF-Token` on unsafe methods: a cross-site form can
/// make the browser send the cookie, but cannot read the CSRF token to echo it.
pub(crate) struct SessionUser {
    pub auth: nexus_app::auth::Authenticated,
    pub meta: RequestMeta,
}

impl FromRequestParts<AppState> for SessionUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let signed = Self::any(parts, state).await?;
        if !signed.auth.session.mfa_state.is_complete() {
            return Err(ApiError::new(StatusCode::UNAUTHORIZED, "mfa_required", "Second factor required")
                .detail("complete the second factor at /v1/auth/mfa (verify, or enrol if your organisation requires it)"));
        }
        Ok(signed)
    }
}

/// A session that may still owe its second factor: only the MFA endpoints accept it.
pub(crate) struct PartialSession(pub SessionUser);

impl FromRequestParts<AppState> for PartialSession {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        SessionUser::any(parts, state).await.map(Self)
    }
}

impl SessionUser {
    /// Authenticates without requiring a completed second factor.
    async fn any(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let CurrentTenant(tenant) = CurrentTenant::from_request_parts(parts, state).await?;
        let (token, via_cookie) = match (
            bearer(&parts.headers),
            cookie(&parts.headers, SESSION_COOKIE),
        ) {
            (Some(t), _) => (t.to_owned(), false),
            (None, Some(c)) => (c.to_owned(), true),
            (None, None) => return Err(nexus_app::AppError::Unauthenticated.into()),
        };
        // Validated already by the rate limiter on this request (same token: bearer
        // first, then the cookie).
        let checked = parts
            .extensions
            .get::<crate::ratelimit::Checked>()
            .and_then(|c| c.verified.clone());
        let auth = match checked {
            Some(crate::ratelimit::Verified::Session(a)) => *a,
            _ => state.services.auth.validate(tenant.id, &token).await?,
        };
        if via_cookie && !parts.method.is_safe() {
            let presented = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let hash = nexus_domain::session::hash_token(presented);
            if presented.is_empty()
                || !constant_time_eq(hash.as_bytes(), auth.session.csrf_hash.as_bytes())
            {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "csrf_failed",
                    "CSRF check failed",
                )
                .detail("cookie-authenticated requests that change state must send X-CSRF-Token"));
            }
        }
        Ok(Self {
            auth,
            meta: request_meta(parts),
        })
    }
}

impl SessionUser {
    /// The audit caller for this request.
    pub fn caller(&self) -> Caller {
        self.auth.caller(self.meta.clone())
    }
}

/// A signed-in user of the addressed tenant: by session (as [`SessionUser`]) or by an
/// API key (`Authorization: Bearer nxk_live_…`), which acts for its owner with the
/// key's scopes as far as the owner holds them.
pub(crate) struct SignedIn {
    /// The tenant.
    pub tenant: nexus_domain::TenantId,
    /// Who is acting, with what permissions.
    actor: nexus_domain::access::Actor,
    /// Request facts for the audit trail.
    pub meta: RequestMeta,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let presented = bearer(&parts.headers)
            .filter(|t| nexus_domain::apikey::ApiKeySecret::is_key(t))
            .map(str::to_owned);
        let Some(presented) = presented else {
            let s = SessionUser::from_request_parts(parts, state).await?;
            return Ok(Self {
                tenant: s.auth.session.tenant,
                actor: s.auth.actor(),
                meta: s.meta,
            });
        };
        let CurrentTenant(tenant) = CurrentTenant::from_request_parts(parts, state).await?;
        let meta = request_meta(parts);
        // Authenticated already by the rate limiter on this request.
        let checked = parts
            .extensions
            .get::<crate::ratelimit::Checked>()
            .and_then(|c| c.verified.clone());
        let auth = match checked {
            Some(crate::ratelimit::Verified::Key(k)) => k,
            _ => {
                state
                    .services
                    .api_keys
                    .authenticate(
                        tenant.id,
                        &presented,
                        parts.extensions.get::<crate::ClientIp>().map(|c| c.0),
                    )
                    .await?
            }
        };
        Ok(Self {
            tenant: tenant.id,
            actor: auth.actor(tenant.id),
            meta,
        })
    }
}

impl SignedIn {
    /// The audit caller for this request.
    pub fn caller(&self) -> Caller {
        Caller {
            actor: self.actor.clone(),
            meta: self.meta.clone(),
        }
    }
}
