//! `/v1/roles`: built-in and custom roles of the tenant.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{JsonBody, SignedIn};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch};
use axum::{Json, Router};
use nexus_app::roles::{RoleDraft, parse_role_name};
use nexus_domain::FieldErrors;
use nexus_domain::access::{CustomRole, CustomRoleId, Permission};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use utoipa::ToSchema;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(list, create, update, remove))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/roles", get(list).post(create))
        .route("/roles/{id}", patch(update).delete(remove))
}

/// A custom role: all of it (an update replaces every field).
#[derive(Deserialize, ToSchema)]
#[schema(as = RoleWrite)]
#[serde(deny_unknown_fields)]
struct RoleIn {
    name: String,
    /// At most 500 characters.
    #[serde(default)]
    description: String,
    /// Permissions, written `resource:verb`.
    #[schema(value_type = Vec<Permission>)]
    permissions: Vec<String>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = Role)]
struct RoleOut {
    /// A built-in role's name (e.g. `tenant_admin`) or `custom:<id>`.
    key: String,
    name: String,
    description: String,
    /// Whether the platform defines it (built-in roles cannot be changed).
    builtin: bool,
    permissions: BTreeSet<Permission>,
}

fn custom_out(r: CustomRole) -> RoleOut {
    RoleOut {
        key: format!("custom:{}", r.id),
        name: r.name,
        description: r.description,
        builtin: false,
        permissions: r.permissions,
    }
}

fn parse(raw: &RoleIn) -> Result<RoleDraft, FieldErrors> {
    let mut errs = FieldErrors::new();
    let name = errs.check("name", parse_role_name(&raw.name));
    if raw.description.chars().count() > 500 {
        errs.push("description", "length", "must be at most 500 characters");
    }
    let mut permissions = BTreeSet::new();
    for (i, p) in raw.permissions.iter().enumerate() {
        if let Some(p) = errs.check(&format!("permissions[{i}]"), Permission::parse(p)) {
            permissions.insert(p);
        }
    }
    errs.finish(|| {
        Some(RoleDraft {
            name: name?,
            description: raw.description.trim().to_owned(),
            permissions,
        })
    })
}

fn role_id(raw: &str) -> Result<CustomRoleId, ApiError> {
    raw.strip_prefix("custom:")
        .unwrap_or(raw)
        .parse()
        .map_err(|_| ApiError::not_found("role"))
}

/// `GET /v1/roles`
#[utoipa::path(get, path = "/roles", operation_id = "roles_list", tag = "Roles",
    responses((status = 200, description = "The built-in roles, then the tenant's custom roles", body = Vec<RoleOut>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn list(State(s): State<AppState>, signed: SignedIn) -> Result<Json<Vec<RoleOut>>, ApiError> {
    let (builtin, custom) = s
        .services
        .roles
        .list(&signed.caller(), signed.tenant)
        .await?;
    let mut out: Vec<RoleOut> = builtin
        .into_iter()
        .map(|r| RoleOut {
            key: r.as_str().into(),
            name: r.as_str().into(),
            description: String::new(),
            builtin: true,
            permissions: r.permissions(),
        })
        .collect();
    out.extend(custom.into_iter().map(custom_out));
    Ok(Json(out))
}

/// `POST /v1/roles`
#[utoipa::path(post, path = "/roles", operation_id = "roles_create", tag = "Roles",
    request_body = RoleIn,
    responses((status = 201, description = "The new custom role", body = RoleOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn create(
    State(s): State<AppState>,
    signed: SignedIn,
    JsonBody(body): JsonBody<RoleIn>,
) -> Result<(StatusCode, Json<RoleOut>), ApiError> {
    let draft = parse(&body).map_err(ApiError::validation)?;
    let role = s
        .services
        .roles
        .create(&signed.caller(), signed.tenant, draft)
        .await?;
    Ok((StatusCode::CREATED, Json(custom_out(role))))
}

/// `PATCH /v1/roles/{id}` (replaces name, description and permissions)
#[utoipa::path(patch, path = "/roles/{id}", operation_id = "roles_update", tag = "Roles",
    params(("id" = String, Path, description = "The custom role's key (`custom:<id>`) or ID")),
    request_body = RoleIn,
    responses((status = 200, description = "The updated role", body = RoleOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn update(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RoleIn>,
) -> Result<Json<RoleOut>, ApiError> {
    let id = role_id(&id)?;
    let draft = parse(&body).map_err(ApiError::validation)?;
    Ok(Json(custom_out(
        s.services
            .roles
            .update(&signed.caller(), signed.tenant, id, draft)
            .await?,
    )))
}

/// `DELETE /v1/roles/{id}`
#[utoipa::path(delete, path = "/roles/{id}", operation_id = "roles_delete", tag = "Roles",
    params(("id" = String, Path, description = "The custom role's key (`custom:<id>`) or ID")),
    responses((status = 204, description = "The role is deleted")),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn remove(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.services
        .roles
        .delete(&signed.caller(), signed.tenant, role_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
