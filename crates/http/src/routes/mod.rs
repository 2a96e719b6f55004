//! Routers, one module per resource. Handlers are thin: extract, parse, call one
//! service, map to a DTO.

mod api_keys;
mod attempts;
mod audit;
mod auth;
mod billing;
mod billing_dto;
mod cohorts;
mod courses;
mod developers;
mod enrolment;
pub mod inventory;
mod invitations;
mod library;
mod mfa;
mod outline;
mod packages;
pub(crate) mod platform_audit;
mod platform_billing;
mod platform_jobs;
mod platform_library;
mod platform_tenants;
mod platform_usage;
mod prerequisites;
mod probes;
mod progress;
mod publishing;
mod quizzes;
mod recovery;
mod rewards;
mod roles;
mod sim;
mod tenant;
pub(crate) mod usage;
mod users;
mod verification;
mod webhooks;

use crate::AppState;
use crate::error::ApiError;
use axum::Router;

pub(crate) use probes::probes;

/// The developer portal and `/openapi.json` (outside `/v1`).
pub(crate) fn developers() -> Router<AppState> {
    developers::router()
}

/// Everything under `/v1`.
pub(crate) fn v1() -> Router<AppState> {
    Router::new()
        .merge(tenant::router())
        .merge(auth::router())
        .merge(mfa::router())
        .merge(recovery::router())
        .merge(invitations::router())
        .merge(roles::router())
        .merge(api_keys::router())
        .merge(users::router())
        .merge(verification::router())
        .merge(audit::router())
        .merge(courses::router())
        .merge(packages::router())
        .merge(library::router())
        .merge(outline::router())
        .merge(prerequisites::router())
        .merge(publishing::router())
        .merge(quizzes::router())
        .merge(attempts::router())
        .merge(rewards::router())
        .merge(enrolment::router())
        .merge(progress::router())
        .merge(cohorts::router())
        .merge(sim::router())
        .merge(usage::router())
        .merge(billing::router())
        .merge(webhooks::router())
        .nest(
            "/platform",
            platform_tenants::router()
                .merge(platform_jobs::router())
                .merge(platform_library::router())
                .merge(platform_audit::router())
                .merge(platform_usage::router())
                .merge(platform_billing::router()),
        )
}

/// Every module's operations and where it is mounted, for the OpenAPI document.
pub(crate) fn apis() -> Vec<(&'static str, utoipa::openapi::OpenApi)> {
    let mut all = vec![
        ("", probes::api()),
        ("", developers::api()),
        ("/v1", tenant::api()),
        ("/v1", auth::api()),
        ("/v1", mfa::api()),
        ("/v1", recovery::api()),
        ("/v1", invitations::api()),
        ("/v1", roles::api()),
        ("/v1", api_keys::api()),
        ("/v1", webhooks::api()),
        ("/v1", users::api()),
        ("/v1", verification::api()),
        ("/v1", audit::api()),
        ("/v1", courses::api()),
        ("/v1", packages::api()),
        ("/v1", library::api()),
        ("/v1", outline::api()),
        ("/v1", prerequisites::api()),
        ("/v1", publishing::api()),
        ("/v1", quizzes::api()),
        ("/v1", attempts::api()),
        ("/v1", rewards::api()),
        ("/v1", enrolment::api()),
        ("/v1", progress::api()),
        ("/v1", cohorts::api()),
        ("/v1", usage::api()),
        ("/v1", billing::api()),
        ("/v1/platform", platform_tenants::api()),
        ("/v1/platform", platform_jobs::api()),
        ("/v1/platform", platform_library::api()),
        ("/v1/platform", platform_audit::api()),
        ("/v1/platform", platform_usage::api()),
        ("/v1/platform", platform_billing::api()),
    ];
    all.extend(sim::apis().into_iter().map(|a| ("/v1", a)));
    all
}

/// `scheme://host[:port]` for links mailed on behalf of `tenant`: the tenant's own host
/// (see `TenantService::public_host`) and the configured port, never anything from the
/// request, whose `Host` the caller controls: a link built from it could carry a reset
/// token to the caller's own server.
pub(crate) fn link_base(s: &AppState, tenant: &nexus_domain::tenancy::Tenant) -> String {
    let scheme = if s.settings.external_tls {
        "https"
    } else {
        "http"
    };
    let host = s.services.tenants.public_host(tenant);
    match s.settings.link_port {
        Some(p) => format!("{scheme}://{host}:{p}"),
        None => format!("{scheme}://{host}"),
    }
}

/// Parses an ID from a path segment; one that is not an ID names nothing, so 404.
pub(crate) fn id<T: std::str::FromStr>(raw: &str, what: &'static str) -> Result<T, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found(what))
}

/// Unmatched routes.
pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found("route")
}
