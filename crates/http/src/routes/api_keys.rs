//! `/v1/api-keys`: the tenant's API keys (`apikey:manage`).
//!
//! Keys are managed from a signed-in session only, never with a key: a leaked key
//! must not be able to mint keys that outlive its own revocation.

use super::enrolment::PageIn;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{JsonBody, QueryParams, SessionUser};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use nexus_app::apikeys::Issued;
use nexus_domain::UserId;
use nexus_domain::access::Permission;
use nexus_domain::apikey::{ApiKey, ApiKeyId, NewApiKey};
use nexus_domain::paging::Page;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use time::OffsetDateTime;
use utoipa::{OpenApi as _, ToSchema};

/// This module's operations.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(list, create, show, revoke, rotate))]
    struct Api;
    Api::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api-keys", get(list).post(create))
        .route("/api-keys/{id}", get(show).delete(revoke))
        .route("/api-keys/{id}/rotate", post(rotate))
}

#[derive(Deserialize, ToSchema)]
#[schema(as = ApiKeyCreate)]
#[serde(deny_unknown_fields)]
struct CreateIn {
    name: String,
    scopes: Vec<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    expires_at: Option<OffsetDateTime>,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = ApiKeyRotate)]
#[serde(deny_unknown_fields)]
struct RotateIn {
    /// How long the old key keeps working; default one day.
    overlap_seconds: Option<i64>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ApiKey)]
struct KeyOut {
    id: ApiKeyId,
    name: String,
    owner: UserId,
    scopes: BTreeSet<Permission>,
    /// The key's first characters, to recognise it by.
    hint: String,
    /// `active`, `expired` or `revoked`.
    status: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    revoked_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    last_used_at: Option<OffsetDateTime>,
    last_used_ip: Option<String>,
    rotated_from: Option<ApiKeyId>,
}

impl KeyOut {
    fn new(k: ApiKey, now: OffsetDateTime) -> Self {
        Self {
            status: k.status(now),
            id: k.id,
            name: k.name,
            owner: k.owner,
            scopes: k.scopes,
            hint: k.hint,
            created_at: k.created_at,
            expires_at: k.expires_at,
            revoked_at: k.revoked_at,
            last_used_at: k.last_used_at,
            last_used_ip: k.last_used_ip,
            rotated_from: k.rotated_from,
        }
    }
}

/// A new key with its secret: the only response that ever carries it.
#[derive(Serialize, ToSchema)]
#[schema(as = ApiKeyIssued)]
struct IssuedOut {
    /// The secret: shown this once, never again.
    key: String,
    #[serde(flatten)]
    api_key: KeyOut,
}

fn issued(i: Issued, now: OffsetDateTime) -> IssuedOut {
    IssuedOut {
        key: i.secret.expose().to_owned(),
        api_key: KeyOut::new(i.key, now),
    }
}

fn key_id(raw: &str) -> Result<ApiKeyId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found("api_key"))
}

/// `GET /v1/api-keys` — newest first, paged.
#[utoipa::path(get, path = "/api-keys", operation_id = "api_keys_list", tag = "API keys",
    params(PageIn),
    responses((status = 200, description = "The tenant's keys", body = Page<KeyOut>)),
    security(("session" = []), ("session_cookie" = [])))]
async fn list(
    State(s): State<AppState>,
    signed: SessionUser,
    QueryParams(q): QueryParams<PageIn>,
) -> Result<Json<Page<KeyOut>>, ApiError> {
    let now = s.services.clock.now();
    let page = s
        .services
        .api_keys
        .list(&signed.caller(), signed.auth.session.tenant, q.parse()?)
        .await?;
    Ok(Json(page.map(|k| KeyOut::new(k, now))))
}

/// `POST /v1/api-keys` — 201 with the key, shown this once.
#[utoipa::path(post, path = "/api-keys", operation_id = "api_keys_create", tag = "API keys",
    request_body = CreateIn,
    responses((status = 201, description = "The new key, with its secret", body = IssuedOut)),
    security(("session" = []), ("session_cookie" = [])))]
async fn create(
    State(s): State<AppState>,
    signed: SessionUser,
    JsonBody(body): JsonBody<CreateIn>,
) -> Result<(StatusCode, Json<IssuedOut>), ApiError> {
    let now = s.services.clock.now();
    let new = NewApiKey::parse(&body.name, &body.scopes, body.expires_at, now)
        .map_err(ApiError::validation)?;
    let made = s
        .services
        .api_keys
        .create(&signed.caller(), signed.auth.session.tenant, new)
        .await?;
    Ok((StatusCode::CREATED, Json(issued(made, now))))
}

/// `GET /v1/api-keys/{id}`
#[utoipa::path(get, path = "/api-keys/{id}", operation_id = "api_keys_show", tag = "API keys",
    params(("id" = String, Path, description = "The key's ID")),
    responses((status = 200, description = "The key", body = KeyOut)),
    security(("session" = []), ("session_cookie" = [])))]
async fn show(
    State(s): State<AppState>,
    signed: SessionUser,
    Path(id): Path<String>,
) -> Result<Json<KeyOut>, ApiError> {
    let key = s
        .services
        .api_keys
        .get(&signed.caller(), signed.auth.session.tenant, key_id(&id)?)
        .await?;
    Ok(Json(KeyOut::new(key, s.services.clock.now())))
}

/// `DELETE /v1/api-keys/{id}` — revokes at once; the key stays listed as revoked.
#[utoipa::path(delete, path = "/api-keys/{id}", operation_id = "api_keys_revoke", tag = "API keys",
    params(("id" = String, Path, description = "The key's ID")),
    responses((status = 200, description = "The revoked key", body = KeyOut)),
    security(("session" = []), ("session_cookie" = [])))]
async fn revoke(
    State(s): State<AppState>,
    signed: SessionUser,
    Path(id): Path<String>,
) -> Result<Json<KeyOut>, ApiError> {
    let key = s
        .services
        .api_keys
        .revoke(&signed.caller(), signed.auth.session.tenant, key_id(&id)?)
        .await?;
    Ok(Json(KeyOut::new(key, s.services.clock.now())))
}

/// `POST /v1/api-keys/{id}/rotate` with `{}` or `{"overlap_seconds": n}` — 201 with the
/// replacement, shown this once; the old key works for `overlap_seconds` more (default
/// a day, at most seven).
#[utoipa::path(post, path = "/api-keys/{id}/rotate", operation_id = "api_keys_rotate", tag = "API keys",
    params(("id" = String, Path, description = "The key to replace")),
    request_body = RotateIn,
    responses((status = 201, description = "The replacement, with its secret", body = IssuedOut)),
    security(("session" = []), ("session_cookie" = [])))]
async fn rotate(
    State(s): State<AppState>,
    signed: SessionUser,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RotateIn>,
) -> Result<(StatusCode, Json<IssuedOut>), ApiError> {
    let id = key_id(&id)?;
    let overlap = time::Duration::seconds(body.overlap_seconds.unwrap_or(86_400));
    let made = s
        .services
        .api_keys
        .rotate(&signed.caller(), signed.auth.session.tenant, id, overlap)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(issued(made, s.services.clock.now())),
    ))
}
