//! Liveness, readiness and version. Outside `/v1` and tenant-agnostic, so orchestrators
//! can probe any replica on any host name.

use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use utoipa::ToSchema;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(livez, readyz, version))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn probes() -> Router<AppState> {
    Router::new()
        .route("/livez", get(livez))
        .route("/readyz", get(readyz))
        .route("/version", get(version))
}

/// `GET /livez`'s body.
#[derive(ToSchema)]
#[schema(as = ProbeLive)]
#[allow(dead_code)]
struct LiveDoc {
    /// Always `ok`.
    status: String,
}

/// `GET /readyz`'s body.
#[derive(ToSchema)]
#[schema(as = ProbeReady)]
#[allow(dead_code)]
struct ReadyDoc {
    /// `ready` (200) or `unavailable` (503).
    status: String,
    /// The names of the checks that failed (`startup`, `database`, `redis`).
    failing: Vec<String>,
    /// Every check, in order.
    checks: Vec<nexus_app::health::Check>,
}

/// `GET /version`'s body.
#[derive(ToSchema)]
#[schema(as = ProbeVersion)]
#[allow(dead_code)]
struct VersionDoc {
    /// Always `finai-nexus`.
    name: String,
    /// The server's version.
    version: String,
    /// The API versions served: `["v1"]`.
    api: Vec<String>,
}

/// The process is up and serving HTTP.
#[utoipa::path(get, path = "/livez", operation_id = "probes_livez", tag = "Probes",
    responses((status = 200, description = "The process is up", body = LiveDoc)),
    security(()))]
async fn livez() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// Ready for traffic: started, and every dependency answers. 503 names the failing check.
#[utoipa::path(get, path = "/readyz", operation_id = "probes_readyz", tag = "Probes",
    responses(
        (status = 200, description = "Ready: every check passed", body = ReadyDoc),
        (status = 503, description = "Not ready: `failing` names the failed checks", body = ReadyDoc)
    ),
    security(()))]
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let checks = state.services.health.check().await;
    let ready = checks.iter().all(|c| c.ok);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let failing: Vec<&str> = checks.iter().filter(|c| !c.ok).map(|c| c.name).collect();
    (
        status,
        Json(
            json!({ "status": if ready { "ready" } else { "unavailable" }, "failing": failing, "checks": checks }),
        ),
    )
}

/// Build identity.
#[utoipa::path(get, path = "/version", operation_id = "probes_version", tag = "Probes",
    responses((status = 200, description = "The build's name, version and API versions", body = VersionDoc)),
    security(()))]
async fn version(State(state): State<AppState>) -> impl IntoResponse {
    Json(json!({ "name": "finai-nexus", "version": state.settings.version, "api": ["v1"] }))
}
