//! `/v1/audit`: the tenant's own audit trail, for auditors and admins (`audit:read`).

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{QueryParams, SignedIn};
use crate::routes::platform_audit::{ListIn, ListOut, export_ndjson, list_page};
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use nexus_domain::access::Permission;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi()]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/audit", get(list))
        .route("/audit/export", get(export))
}

/// `GET /v1/audit` — newest first; filters `actor`, `action` (exact, or a `family.`),
/// `from`, `to`; `cursor` for the next page.
async fn list(
    State(s): State<AppState>,
    signed: SignedIn,
    QueryParams(q): QueryParams<ListIn>,
) -> Result<Json<ListOut>, ApiError> {
    let tenant = signed.tenant;
    signed.caller().require(tenant, Permission::AuditRead)?;
    list_page(&s, Some(tenant), q, true).await
}

/// `GET /v1/audit/export` — NDJSON, oldest first.
async fn export(
    State(s): State<AppState>,
    signed: SignedIn,
    QueryParams(q): QueryParams<ListIn>,
) -> Result<impl IntoResponse, ApiError> {
    let tenant = signed.tenant;
    signed.caller().require(tenant, Permission::AuditRead)?;
    export_ndjson(&s, Some(tenant), q, true).await
}
