//! The one error mapping to HTTP: RFC 9457 `application/problem+json`.
//!
//! Every failure, whether from a service, an extractor or a tower layer, leaves as a
//! problem document with a stable machine `code` and the request's `trace_id`. Bodies of
//! 5xx responses carry nothing but the code and trace ID: the cause is logged here, once,
//! and never sent to the client.

use crate::middleware::RequestContext;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nexus_app::AppError;
use nexus_domain::FieldErrors;
use serde::Serialize;

/// Seconds a client should wait before retrying a 503.
const RETRY_AFTER_SECS: &str = "5";

/// An HTTP error response in the making.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    title: &'static str,
    detail: Option<String>,
    errors: Option<FieldErrors>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
    retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    instance: Option<&'a str>,
    code: &'a str,
    trace_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a FieldErrors>,
}

impl ApiError {
    /// A problem with a status, stable code and title.
    pub fn new(status: StatusCode, code: &'static str, title: &'static str) -> Self {
        Self {
            status,
            code,
            title,
            detail: None,
            errors: None,
            source: None,
            retry_after: None,
        }
    }

    /// Adds a client-safe explanation.
    #[must_use]
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Whether this is a failure to find the request's tenant (unknown, suspended, or
    /// named inconsistently), as opposed to a failure of the credential itself.
    pub(crate) fn is_tenant_resolution(&self) -> bool {
        matches!(
            self.code,
            "tenant_not_found" | "tenant_suspended" | "bad_request"
        )
    }

    /// 400: the body is not JSON or not the JSON we read.
    pub fn malformed(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "malformed_request",
            "The request could not be read",
        )
        .detail(detail)
    }

    /// 422 with every field error listed.
    pub fn validation(errors: FieldErrors) -> Self {
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "The request has invalid fields",
        );
        e.detail = Some(format!("{} field(s) are invalid", errors.as_slice().len()));
        e.errors = Some(errors);
        e
    }

    /// 404 for a resource or route.
    pub fn not_found(resource: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "Not found")
            .detail(format!("{resource} not found"))
    }

    /// The stable code, for tests and logs.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// Builds the problem response for a bodiless error a tower layer produced.
    pub(crate) fn from_status(status: StatusCode) -> Self {
        match status {
            StatusCode::PAYLOAD_TOO_LARGE => {
                Self::new(status, "payload_too_large", "The request body is too large")
            }
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::REQUEST_TIMEOUT => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "request_timeout",
                "The request took too long",
            ),
            StatusCode::METHOD_NOT_ALLOWED => {
                Self::new(status, "method_not_allowed", "Method not allowed")
            }
            StatusCode::NOT_FOUND => Self::not_found("route"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                Self::new(status, "unsupported_media_type", "Unsupported media type")
            }
            s if s.is_server_error() => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
            ),
            _ => Self::new(status, "bad_request", "Bad request"),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        use StatusCode as S;
        match e {
            AppError::Validation(errors) => Self::validation(errors),
            AppError::NotFound { resource } => Self::not_found(resource),
            AppError::TenantNotFound => {
                Self::new(S::NOT_FOUND, "tenant_not_found", "Unknown tenant").detail(
                    "no tenant is served at this host; check the URL or the X-Tenant header",
                )
            }
            AppError::TenantSuspended => {
                Self::new(S::FORBIDDEN, "tenant_suspended", "Tenant suspended")
                    .detail("this organisation's access is suspended; contact its administrator")
            }
            AppError::BadRequest(msg) => {
                Self::new(S::BAD_REQUEST, "bad_request", "Bad request").detail(msg)
            }
            AppError::Conflict { code, message } => {
                Self::new(S::CONFLICT, code, "Conflict").detail(message)
            }
            AppError::InvalidCredentials => {
                Self::new(S::UNAUTHORIZED, "invalid_credentials", "Login failed")
                    .detail("the e-mail or password is wrong")
            }
            AppError::TooManyAttempts { retry_after_secs } => {
                let mut e = Self::new(
                    S::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    "Too many attempts",
                )
                .detail(format!(
                    "too many failed attempts; try again in {retry_after_secs} seconds"
                ));
                e.retry_after = Some(retry_after_secs);
                e
            }
            AppError::InvalidSecondFactor => Self::new(
                S::UNAUTHORIZED,
                "invalid_second_factor",
                "Second factor failed",
            )
            .detail("the code is wrong or was already used"),
            AppError::InvalidToken => {
                Self::new(S::BAD_REQUEST, "invalid_token", "Invalid or expired link").detail(
                    "the link is invalid, was already used, or has expired; ask for a new one",
                )
            }
            AppError::Forbidden(why) => {
                Self::new(S::FORBIDDEN, "forbidden", "Forbidden").detail(why)
            }
            AppError::Unauthenticated => Self::new(
                S::UNAUTHORIZED,
                "unauthenticated",
                "Authentication required",
            ),
            AppError::Unavailable(src) => {
                let mut e = Self::new(
                    S::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "Service temporarily unavailable",
                )
                .detail("a dependency is unreachable; retry shortly");
                e.source = Some(src);
                e
            }
            AppError::Internal(src) => {
                let mut e = Self::new(S::INTERNAL_SERVER_ERROR, "internal", "Internal error");
                e.source = Some(src);
                e
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let ctx = RequestContext::current();
        if self.status.is_server_error() {
            let cause = self
                .source
                .as_deref()
                .map(|e| nexus_app::error_chain(e))
                .unwrap_or_default();
            tracing::error!(code = self.code, status = self.status.as_u16(), request_id = %ctx.request_id, cause, "request failed");
        } else {
            tracing::debug!(
                code = self.code,
                status = self.status.as_u16(),
                "request rejected"
            );
        }
        let problem = Problem {
            kind: format!("urn:finai-nexus:problem:{}", self.code),
            title: self.title,
            status: self.status.as_u16(),
            detail: self.detail.as_deref(),
            instance: ctx.path.as_deref(),
            code: self.code,
            trace_id: &ctx.request_id,
            errors: self.errors.as_ref(),
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut resp = (self.status, body).into_response();
        let headers = resp.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        } else if self.status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECS),
            );
        }
        resp
    }
}
