//! `/v1/users`: the tenant's accounts, their granted roles and sessions.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{CurrentTenant, JsonBody, QueryParams, SignedIn};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use nexus_app::accounts::{AddressProof, CreateAccount};
use nexus_domain::FieldErrors;
use nexus_domain::UserId;
use nexus_domain::access::RoleRef;
use nexus_domain::paging::{Order, Page, PageRequest};
use nexus_domain::tenancy::parse_name;
use nexus_domain::user::{Email, Password, Role, User, UserQuery};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(list, create, show, roles, set_roles, revoke_sessions, unlock))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/users", get(list).post(create))
        .route("/users/{id}", get(show))
        .route("/users/{id}/roles", get(roles).put(set_roles))
        .route("/users/{id}/sessions", delete(revoke_sessions))
        .route("/users/{id}/lock", delete(unlock))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListIn {
    /// Only users with this role: `admin`, `instructor` or `learner`.
    role: Option<String>,
    /// A case-insensitive substring of the e-mail address or display name.
    q: Option<String>,
    /// `asc` (default) or `desc`, by e-mail address.
    order: Option<String>,
    /// Page size, 1 to 200 (default 50).
    limit: Option<u32>,
    /// Rows to skip (default 0).
    offset: Option<u64>,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = UserCreate)]
#[serde(deny_unknown_fields)]
struct CreateIn {
    email: String,
    display_name: String,
    /// `admin`, `instructor` or `learner`.
    #[schema(value_type = Role)]
    role: String,
    password: String,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = UserRolesSet)]
#[serde(deny_unknown_fields)]
struct RolesIn {
    /// The complete set to grant: built-in role names (e.g. `auditor`) or `custom:<id>`.
    roles: Vec<String>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = User)]
struct UserOut {
    id: UserId,
    email: String,
    display_name: String,
    /// The account role.
    #[schema(value_type = Role)]
    role: &'static str,
    email_verified: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    email_verified_at: Option<time::OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: time::OffsetDateTime,
}

impl From<User> for UserOut {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            email: u.email.as_str().to_owned(),
            display_name: u.display_name,
            role: u.role.as_str(),
            email_verified: u.email_verified_at.is_some(),
            email_verified_at: u.email_verified_at,
            created_at: u.created_at,
        }
    }
}

fn user_id(raw: &str) -> Result<UserId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found("user"))
}

fn parse_list(raw: ListIn) -> Result<UserQuery, FieldErrors> {
    let mut errs = FieldErrors::new();
    let query = UserQuery {
        role: raw.role.and_then(|r| errs.check("role", Role::parse(&r))),
        search: raw.q.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty()),
        order: errs
            .check("order", Order::parse(raw.order.as_deref()))
            .unwrap_or_default(),
        page: errs
            .check("limit", PageRequest::new(raw.limit, raw.offset))
            .unwrap_or_default(),
    };
    errs.finish(|| Some(query))
}

fn parse_create(raw: &CreateIn) -> Result<CreateAccount, FieldErrors> {
    let mut errs = FieldErrors::new();
    let email = errs.check("email", Email::parse(&raw.email));
    let display_name = errs.check("display_name", parse_name(&raw.display_name));
    let role = errs.check("role", Role::parse(&raw.role));
    let password = errs.check("password", Password::parse(&raw.password));
    errs.finish(|| {
        Some(CreateAccount {
            email: email?,
            display_name: display_name?,
            role: role?,
            password: password?,
        })
    })
}

/// `GET /v1/users`
#[utoipa::path(get, path = "/users", operation_id = "users_list", tag = "Users",
    params(ListIn),
    responses((status = 200, description = "One page of the tenant's users", body = Page<UserOut>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn list(
    State(s): State<AppState>,
    signed: SignedIn,
    QueryParams(q): QueryParams<ListIn>,
) -> Result<Json<Page<UserOut>>, ApiError> {
    let query = parse_list(q).map_err(ApiError::validation)?;
    let page = s
        .services
        .accounts
        .list(&signed.caller(), signed.tenant, &query)
        .await?;
    Ok(Json(page.map(UserOut::from)))
}

/// `POST /v1/users`
#[utoipa::path(post, path = "/users", operation_id = "users_create", tag = "Users",
    request_body = CreateIn,
    responses((status = 201, description = "The new account; a verification link is mailed", body = UserOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn create(
    State(s): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    signed: SignedIn,
    JsonBody(body): JsonBody<CreateIn>,
) -> Result<(StatusCode, Json<UserOut>), ApiError> {
    let cmd = parse_create(&body).map_err(ApiError::validation)?;
    let proof = AddressProof::SendLink {
        link_base: super::link_base(&s, &tenant),
    };
    let user = s
        .services
        .accounts
        .create_with(&signed.caller(), signed.tenant, cmd, proof)
        .await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// `GET /v1/users/{id}`
#[utoipa::path(get, path = "/users/{id}", operation_id = "users_show", tag = "Users",
    params(("id" = String, Path, description = "The user's ID")),
    responses((status = 200, description = "The user", body = UserOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn show(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<Json<UserOut>, ApiError> {
    Ok(Json(
        s.services
            .accounts
            .get(&signed.caller(), signed.tenant, user_id(&id)?)
            .await?
            .into(),
    ))
}

/// `GET /v1/users/{id}/roles`
#[utoipa::path(get, path = "/users/{id}/roles", operation_id = "users_roles_list", tag = "Users",
    params(("id" = String, Path, description = "The user's ID")),
    responses((status = 200, description = "The role keys granted to the user (built-in names or `custom:<id>`)", body = Vec<String>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn roles(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<Json<Vec<String>>, ApiError> {
    Ok(Json(
        s.services
            .roles
            .user_roles(&signed.caller(), signed.tenant, user_id(&id)?)
            .await?,
    ))
}

/// `PUT /v1/users/{id}/roles`
#[utoipa::path(put, path = "/users/{id}/roles", operation_id = "users_roles_set", tag = "Users",
    params(("id" = String, Path, description = "The user's ID")),
    request_body = RolesIn,
    responses((status = 200, description = "The role keys now granted", body = Vec<String>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn set_roles(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RolesIn>,
) -> Result<Json<Vec<String>>, ApiError> {
    let mut errs = FieldErrors::new();
    let refs: Vec<RoleRef> = body
        .roles
        .iter()
        .enumerate()
        .filter_map(|(i, r)| errs.check(&format!("roles[{i}]"), RoleRef::parse(r)))
        .collect();
    let refs = errs.finish(|| Some(refs)).map_err(ApiError::validation)?;
    let id = user_id(&id)?;
    Ok(Json(
        s.services
            .roles
            .set_user_roles(&signed.caller(), signed.tenant, id, refs)
            .await?,
    ))
}

/// `DELETE /v1/users/{id}/sessions` — sign a user out everywhere.
#[utoipa::path(delete, path = "/users/{id}/sessions", operation_id = "users_sessions_revoke", tag = "Users",
    params(("id" = String, Path, description = "The user's ID")),
    responses((status = 204, description = "Every session of the user is revoked")),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn revoke_sessions(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.services
        .auth
        .revoke_all(&signed.caller(), signed.tenant, user_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /v1/users/{id}/lock` — end the user's login locks now.
#[utoipa::path(delete, path = "/users/{id}/lock", operation_id = "users_unlock", tag = "Users",
    params(("id" = String, Path, description = "The user's ID")),
    responses((status = 204, description = "The user's login locks are lifted")),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn unlock(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.services
        .auth
        .unlock(&signed.caller(), signed.tenant, user_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
