//! `/v1/platform/library/{slug}`: platform operators publish and withdraw shared
//! courses. A package is read like an import (header, then shape, then every rule).

use super::library::EntryOut;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{JsonBody, PlatformAdmin, from_value};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::put;
use axum::{Json, Router};
use nexus_app::learning::library::PutOutcome;
use nexus_domain::learning::library::LibrarySlug;
use nexus_domain::learning::package::{CoursePackage, check_header};

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(upsert, remove))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/library/{slug}", put(upsert).delete(remove))
}

/// `PUT /v1/platform/library/{slug}` — 201 when new, 200 when replaced (or unchanged).
#[utoipa::path(put, path = "/library/{slug}", operation_id = "platform_library_put", tag = "Platform: library",
    params(("slug" = String, Path, description = "The entry's slug: 1 to 64 characters of a-z, 0-9 and inner hyphens")),
    request_body(content = CoursePackage, content_type = "application/json",
        description = "The course package (docs/COURSE_PACKAGE.md), schema version 1"),
    responses(
        (status = 200, description = "An existing entry, replaced or unchanged", body = EntryOut),
        (status = 201, description = "A new entry", body = EntryOut)),
    security(("platform" = [])))]
async fn upsert(
    State(s): State<AppState>,
    PlatformAdmin(caller): PlatformAdmin,
    Path(slug): Path<String>,
    JsonBody(raw): JsonBody<serde_json::Value>,
) -> Result<(StatusCode, Json<EntryOut>), ApiError> {
    let slug = LibrarySlug::parse(&slug)
        .map_err(|e| ApiError::from(nexus_app::AppError::invalid_field("slug", e)))?;
    check_header(&raw).map_err(ApiError::validation)?;
    let package: CoursePackage = from_value(raw)?;
    let (entry, outcome) = s.services.library.put(&caller, slug, &package).await?;
    let status = if outcome == PutOutcome::Created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(entry.into())))
}

/// `DELETE /v1/platform/library/{slug}` — adopted copies are unaffected.
#[utoipa::path(delete, path = "/library/{slug}", operation_id = "platform_library_delete", tag = "Platform: library",
    params(("slug" = String, Path, description = "The entry's slug: 1 to 64 characters of a-z, 0-9 and inner hyphens")),
    responses((status = 204, description = "The entry is gone")),
    security(("platform" = [])))]
async fn remove(
    State(s): State<AppState>,
    PlatformAdmin(caller): PlatformAdmin,
    Path(slug): Path<String>,
) -> Result<StatusCode, ApiError> {
    // A slug that cannot exist names no entry.
    let slug = LibrarySlug::parse(&slug).map_err(|_| ApiError::not_found("library course"))?;
    s.services.library.delete(&caller, &slug).await?;
    Ok(StatusCode::NO_CONTENT)
}
