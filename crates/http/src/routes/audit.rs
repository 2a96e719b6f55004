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
    #[openapi(paths(list, export))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

/// The query of both routes: [`ListIn`] without `tenant`, which is the addressed one
/// (naming it is a 422).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct ListDoc {
    /// Only this actor, e.g. `user:<id>`, `platform`, `system`, `anonymous`.
    actor: Option<String>,
    /// Only this action (exact), or a family: a prefix ending in `.` (e.g. `auth.`).
    action: Option<String>,
    /// Only events at or after this time (RFC 3339).
    from: Option<String>,
    /// Only events before this time (RFC 3339).
    to: Option<String>,
    /// Only events beyond this `seq` in the listing's order: pass the previous page's
    /// `next_cursor`.
    cursor: Option<i64>,
    /// Page size, 1 to 200 (default 50). The export ignores it.
    limit: Option<u32>,
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/audit", get(list))
        .route("/audit/export", get(export))
}

/// `GET /v1/audit` — newest first; filters `actor`, `action` (exact, or a `family.`),
/// `from`, `to`; `cursor` for the next page.
#[utoipa::path(get, path = "/audit", operation_id = "audit_list", tag = "Audit",
    params(ListDoc),
    responses((status = 200, description = "One page of the tenant's chain, newest first", body = ListOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
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
#[utoipa::path(get, path = "/audit/export", operation_id = "audit_export", tag = "Audit",
    params(ListDoc),
    responses((status = 200, description = "One `AuditEvent` JSON object per line, oldest first; at most \
        20,000 events per request (continue with `cursor` from the last `seq`)",
        content_type = "application/x-ndjson", body = String)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn export(
    State(s): State<AppState>,
    signed: SignedIn,
    QueryParams(q): QueryParams<ListIn>,
) -> Result<impl IntoResponse, ApiError> {
    let tenant = signed.tenant;
    signed.caller().require(tenant, Permission::AuditRead)?;
    export_ndjson(&s, Some(tenant), q, true).await
}
