//! Liveness, readiness and version. Outside `/v1` and tenant-agnostic, so orchestrators
//! can probe any replica on any host name.

use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi()]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn probes() -> Router<AppState> {
    Router::new()
        .route("/livez", get(livez))
        .route("/readyz", get(readyz))
        .route("/version", get(version))
}

/// The process is up and serving HTTP.
async fn livez() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// Ready for traffic: started, and every dependency answers. 503 names the failing check.
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
async fn version(State(state): State<AppState>) -> impl IntoResponse {
    Json(json!({ "name": "finai-nexus", "version": state.settings.version, "api": ["v1"] }))
}
