//! `/v1/users/invitations`, `/v1/users/import` and `/v1/auth/invitations/accept`.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{CurrentTenant, JsonBody, Meta, SignedIn};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::post;
use axum::{Json, Router};
use nexus_app::invitations::ImportRow;
use nexus_domain::FieldErrors;
use nexus_domain::access::Permission;
use nexus_domain::user::{Email, Role};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(invite, import, accept))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/users/invitations", post(invite))
        .route("/users/import", post(import))
        .route("/auth/invitations/accept", post(accept))
}

#[derive(Deserialize, ToSchema)]
#[schema(as = InvitationCreate)]
#[serde(deny_unknown_fields)]
struct InviteIn {
    /// The address to invite.
    email: String,
    /// `admin`, `instructor` or `learner` (default `learner`).
    role: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = InvitationAccept)]
#[serde(deny_unknown_fields)]
struct AcceptIn {
    /// The token from the invitation link.
    token: String,
    display_name: String,
    password: String,
}

/// Every row's outcome.
#[derive(Serialize, ToSchema)]
#[schema(as = InvitationImportResult)]
struct ImportOut {
    /// Rows invited.
    invited: usize,
    /// Rows rejected.
    rejected: usize,
    rows: Vec<ImportRow>,
}

/// `POST /v1/users/invitations`'s body.
#[derive(ToSchema)]
#[schema(as = InvitationSent)]
#[allow(dead_code)]
struct InvitedDoc {
    /// Always `invited`.
    status: String,
    /// The invited address, normalised.
    email: String,
}

/// `POST /v1/auth/invitations/accept`'s body: the new account.
#[derive(ToSchema)]
#[schema(as = InvitationAccepted)]
#[allow(dead_code)]
struct AcceptedDoc {
    id: nexus_domain::UserId,
    email: String,
    role: Role,
}

/// `POST /v1/users/invitations`
#[utoipa::path(post, path = "/users/invitations", operation_id = "invitations_create", tag = "Invitations",
    request_body = InviteIn,
    responses((status = 202, description = "The invitation is queued for mailing", body = InvitedDoc)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn invite(
    State(s): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    signed: SignedIn,
    JsonBody(body): JsonBody<InviteIn>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let mut errs = FieldErrors::new();
    let email = errs.check("email", Email::parse(&body.email));
    let role = errs.check(
        "role",
        Role::parse(body.role.as_deref().unwrap_or("learner")),
    );
    let (email, role) = errs
        .finish(|| Some((email?, role?)))
        .map_err(ApiError::validation)?;
    s.services
        .auth
        .invite(
            &s.services.jobs,
            &signed.caller(),
            &tenant,
            &email,
            role,
            &super::link_base(&s, &tenant),
        )
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "status": "invited", "email": email.as_str() })),
    ))
}

/// `POST /v1/users/import` — `text/csv` with a header naming `email` (and optionally
/// `role`); answers with every row's outcome.
#[utoipa::path(post, path = "/users/import", operation_id = "invitations_import", tag = "Invitations",
    request_body(content = String, content_type = "text/csv",
        description = "A header row naming `email` (and optionally `role`), then one invitation per row (at most 1000 rows)"),
    responses((status = 200, description = "Every row's outcome", body = ImportOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn import(
    State(s): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    signed: SignedIn,
    headers: HeaderMap,
    body: String,
) -> Result<Json<ImportOut>, ApiError> {
    let caller = signed.caller();
    caller.require(tenant.id, Permission::UserInvite)?;
    let is_csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv"));
    if !is_csv {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Unsupported media type",
        )
        .detail("send the file as text/csv"));
    }
    let rows = s
        .services
        .auth
        .import(
            &s.services.jobs,
            &caller,
            &tenant,
            &body,
            &super::link_base(&s, &tenant),
        )
        .await?;
    let invited = rows.iter().filter(|r| r.status == "invited").count();
    Ok(Json(ImportOut {
        invited,
        rejected: rows.len() - invited,
        rows,
    }))
}

/// `POST /v1/auth/invitations/accept`
#[utoipa::path(post, path = "/auth/invitations/accept", operation_id = "invitations_accept", tag = "Invitations",
    request_body = AcceptIn,
    responses((status = 201, description = "The account is created; sign in next", body = AcceptedDoc)),
    security(()))]
async fn accept(
    State(s): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    Meta(meta): Meta,
    JsonBody(body): JsonBody<AcceptIn>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let user = s
        .services
        .auth
        .accept_invitation(
            &tenant,
            &body.token,
            &body.display_name,
            &body.password,
            meta,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": user.id, "email": user.email.as_str(), "role": user.role.as_str() })),
    ))
}
