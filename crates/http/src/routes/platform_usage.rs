//! `/v1/platform/tenants/{id}/usage`: any tenant's metered usage, for platform admins.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{PlatformAdmin, QueryParams};
use crate::routes::usage::{SummaryIn, SummaryOut, summarise};
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use nexus_domain::TenantId;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(summary))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/tenants/{id}/usage", get(summary))
}

/// `GET /v1/platform/tenants/{id}/usage` — as `GET /v1/usage`, for any tenant.
#[utoipa::path(get, path = "/tenants/{id}/usage", operation_id = "platform_tenants_usage", tag = "Platform: usage",
    params(("id" = String, Path, description = "The tenant's ID"), SummaryIn),
    responses((status = 200, description = "The tenant's usage over the range, grouped", body = SummaryOut)),
    security(("platform" = [])))]
async fn summary(
    _: PlatformAdmin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<SummaryIn>,
) -> Result<Json<SummaryOut>, ApiError> {
    let tenant: TenantId = crate::routes::id(&id, "tenant")?;
    Ok(Json(summarise(&s, tenant, q).await?))
}
