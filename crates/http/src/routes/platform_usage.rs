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
    #[openapi()]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/tenants/{id}/usage", get(summary))
}

/// `GET /v1/platform/tenants/{id}/usage` — as `GET /v1/usage`, for any tenant.
async fn summary(
    _: PlatformAdmin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<SummaryIn>,
) -> Result<Json<SummaryOut>, ApiError> {
    let tenant: TenantId = crate::routes::id(&id, "tenant")?;
    Ok(Json(summarise(&s, tenant, q).await?))
}
