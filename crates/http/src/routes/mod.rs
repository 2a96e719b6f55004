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
mod verification;

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
        .merge(verification::router())
        .merge(audit::router())
        .nest(
            "/platform",
            platform_tenants::router()
                .merge(platform_jobs::router())
                .merge(platform_audit::router()),
        )
}

/// `scheme://host[:port]` for links mailed on behalf of `tenant`: the tenant's own host
/// (never the request's `Host`, see `TenantService::public_host`), keeping the port the
/// request came in on so links work in development (`demo.localhost:8080`).
pub(crate) fn link_base(
    s: &AppState,
    tenant: &nexus_domain::tenancy::Tenant,
    headers: &axum::http::HeaderMap,
) -> String {
    let port = headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.rsplit_once(':'))
        .map(|(_, p)| p)
        .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let scheme = if s.settings.external_tls {
        "https"
    } else {
        "http"
    };
    let host = s.services.tenants.public_host(tenant);
    match port {
        Some(p) => format!("{scheme}://{host}:{p}"),
        None => format!("{scheme}://{host}"),
    }
}

/// Unmatched routes.
pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found("route")
}
