//! Routers, one module per resource. Handlers are thin: extract, parse, call one
//! service, map to a DTO.

mod audit;
mod auth;
pub mod inventory;
mod invitations;
mod mfa;
pub(crate) mod platform_audit;
mod platform_jobs;
mod platform_tenants;
mod probes;
mod recovery;
mod roles;
mod tenant;
mod users;

use crate::AppState;
use crate::error::ApiError;
use axum::Router;

pub(crate) use probes::probes;

/// Everything under `/v1`.
pub(crate) fn v1() -> Router<AppState> {
    Router::new()
        .merge(tenant::router())
        .merge(auth::router())
        .merge(mfa::router())
        .merge(recovery::router())
        .merge(invitations::router())
        .merge(roles::router())
        .merge(users::router())
        .merge(audit::router())
        .nest(
            "/platform",
            platform_tenants::router()
                .merge(platform_jobs::router())
                .merge(platform_audit::router()),
        )
}

/// Unmatched routes.
pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found("route")
}
