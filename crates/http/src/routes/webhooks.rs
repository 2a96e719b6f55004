//! `/v1/webhooks`: a tenant's webhook endpoints, the delivery log and replay
//! (`webhook:manage`, by session or API key).
//!
//! The signing secret is in the response that creates an endpoint or rotates its
//! secret, and in no other.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{JsonBody, QueryParams, SignedIn};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use nexus_app::webhooks::EndpointPatch;
use nexus_domain::paging::{Page, PageRequest};
use nexus_domain::webhook::{
    Attempt, Endpoint, EndpointUrl, EventType, Message, MessageId, MessageQuery, MessageStatus,
    NewEndpoint, WebhookId, parse_description, parse_events,
};
use nexus_domain::{FieldErrors, UserId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, OpenApi as _, ToSchema};

/// This module's operations.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(
        event_types,
        list,
        create,
        show,
        update,
        delete,
        rotate_secret,
        messages,
        message,
        replay
    ))]
    struct Api;
    Api::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks/event-types", get(event_types))
        .route("/webhooks/endpoints", get(list).post(create))
        .route(
            "/webhooks/endpoints/{id}",
            get(show).patch(update).delete(delete),
        )
        .route(
            "/webhooks/endpoints/{id}/rotate-secret",
            post(rotate_secret),
        )
        .route("/webhooks/messages", get(messages))
        .route("/webhooks/messages/{id}", get(message))
        .route("/webhooks/messages/{id}/replay", post(replay))
}

#[derive(Deserialize, ToSchema)]
#[schema(as = WebhookEndpointCreate)]
#[serde(deny_unknown_fields)]
struct CreateIn {
    /// Where to POST (public `https` unless the server allows private targets).
    url: String,
    /// Events to receive, e.g. `["user.created", "order.filled"]`.
    events: Vec<String>,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = WebhookEndpointUpdate)]
#[serde(deny_unknown_fields)]
struct UpdateIn {
    url: Option<String>,
    events: Option<Vec<String>>,
    description: Option<String>,
    /// `true` re-enables a disabled endpoint (clearing its failure count); `false`
    /// disables it.
    enabled: Option<bool>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = WebhookEndpoint)]
struct EndpointOut {
    id: WebhookId,
    url: String,
    events: Vec<EventType>,
    description: String,
    /// `enabled` or `disabled`.
    status: &'static str,
    /// `failing` (disabled after repeated failure) or `admin`.
    disabled_reason: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    disabled_at: Option<OffsetDateTime>,
    /// Messages that ran out of attempts since the last success (disabled at 5).
    failed_messages: u32,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
}

impl From<Endpoint> for EndpointOut {
    fn from(e: Endpoint) -> Self {
        Self {
            status: if e.enabled() { "enabled" } else { "disabled" },
            id: e.id,
            url: e.url.as_str().to_owned(),
            events: e.events.into_iter().collect(),
            description: e.description,
            disabled_reason: e.disabled_reason,
            disabled_at: e.disabled_at,
            failed_messages: e.failed_messages,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// An endpoint with its signing secret: only on create and rotate.
#[derive(Serialize, ToSchema)]
#[schema(as = WebhookEndpointWithSecret)]
struct WithSecretOut {
    /// `whsec_…`: verify the `webhook-signature` header with it (Standard Webhooks).
    secret: String,
    #[serde(flatten)]
    endpoint: EndpointOut,
}

fn with_secret(e: Endpoint) -> WithSecretOut {
    WithSecretOut {
        secret: e.secret.expose(),
        endpoint: e.into(),
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = WebhookMessage)]
struct MessageOut {
    /// Also the `webhook-id` header of every attempt.
    id: MessageId,
    endpoint_id: WebhookId,
    event: EventType,
    status: MessageStatus,
    /// Attempts since it was created or last replayed.
    attempts: u32,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    next_attempt_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    delivered_at: Option<OffsetDateTime>,
    /// The user the event is about, if any.
    subject_user_id: Option<UserId>,
    /// The body sent, as sent.
    body: String,
}

impl From<Message> for MessageOut {
    fn from(m: Message) -> Self {
        Self {
            id: m.id,
            endpoint_id: m.endpoint,
            event: m.event,
            status: m.status,
            attempts: m.attempts,
            created_at: m.created_at,
            next_attempt_at: m.next_attempt_at,
            delivered_at: m.delivered_at,
            subject_user_id: m.subject,
            body: m.body,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = WebhookAttempt)]
struct AttemptOut {
    /// 1 for the message's first attempt ever.
    seq: u32,
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
    /// The receiver's status, if it answered.
    status_code: Option<u16>,
    /// Why no answer came (timeout, refused, blocked address).
    error: Option<String>,
    duration_ms: u32,
    /// The start of the receiver's answer (at most 1 KiB).
    response: String,
}

impl From<Attempt> for AttemptOut {
    fn from(a: Attempt) -> Self {
        Self {
            seq: a.seq,
            at: a.at,
            status_code: a.status_code,
            error: a.error,
            duration_ms: a.duration_ms,
            response: a.response,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = WebhookMessageWithAttempts)]
struct MessageDetailOut {
    #[serde(flatten)]
    message: MessageOut,
    /// Oldest first.
    attempts: Vec<AttemptOut>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct EndpointsIn {
    /// Rows per page (1 to 200; default 50).
    limit: Option<u32>,
    /// Rows to skip.
    offset: Option<u64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct MessagesIn {
    /// Only this endpoint's messages (its ID).
    endpoint: Option<String>,
    /// `pending`, `delivered` or `failed`.
    status: Option<String>,
    /// Only this event, e.g. `order.filled`.
    event: Option<String>,
    /// Rows per page (1 to 200; default 50).
    limit: Option<u32>,
    /// Rows to skip.
    offset: Option<u64>,
}

impl MessagesIn {
    fn parse(&self) -> Result<MessageQuery, ApiError> {
        let mut errs = FieldErrors::new();
        let endpoint = self.endpoint.as_deref().and_then(|raw| {
            let id = raw.parse().ok();
            if id.is_none() {
                errs.push("endpoint", "format", "must be an endpoint ID");
            }
            id
        });
        let status = self.status.as_deref().and_then(|raw| {
            let s = MessageStatus::parse(raw);
            if s.is_none() {
                errs.push("status", "unknown_value", "pending, delivered or failed");
            }
            s
        });
        let event = self.event.as_deref().and_then(|raw| {
            let e = EventType::parse(raw);
            if e.is_none() {
                errs.push("event", "unknown_value", format!("{raw} is not an event"));
            }
            e
        });
        let page = errs.check("limit", PageRequest::new(self.limit, self.offset));
        errs.finish(|| {
            Some(MessageQuery {
                endpoint,
                status,
                event,
                page: page?,
            })
        })
        .map_err(ApiError::validation)
    }
}

fn endpoint_id(raw: &str) -> Result<WebhookId, ApiError> {
    super::id(raw, "webhook")
}

/// `GET /v1/webhooks/event-types` — the events endpoints can subscribe to.
#[utoipa::path(get, path = "/webhooks/event-types", operation_id = "webhooks_event_types", tag = "Webhooks",
    responses((status = 200, description = "Every event", body = Vec<EventType>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn event_types(signed: SignedIn) -> Result<Json<Vec<EventType>>, ApiError> {
    signed.caller().require(
        signed.tenant,
        nexus_domain::access::Permission::WebhookManage,
    )?;
    Ok(Json(EventType::ALL.to_vec()))
}

/// `GET /v1/webhooks/endpoints` — newest first, paged.
#[utoipa::path(get, path = "/webhooks/endpoints", operation_id = "webhooks_endpoints_list", tag = "Webhooks",
    params(EndpointsIn),
    responses((status = 200, description = "The tenant's endpoints", body = Page<EndpointOut>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn list(
    State(s): State<AppState>,
    signed: SignedIn,
    QueryParams(q): QueryParams<EndpointsIn>,
) -> Result<Json<Page<EndpointOut>>, ApiError> {
    let page = PageRequest::new(q.limit, q.offset)
        .map_err(|e| nexus_app::AppError::invalid_field("limit", e))?;
    let out = s
        .services
        .webhooks
        .list(&signed.caller(), signed.tenant, page)
        .await?;
    Ok(Json(out.map(EndpointOut::from)))
}

/// `POST /v1/webhooks/endpoints` — 201 with the signing secret, shown this once.
#[utoipa::path(post, path = "/webhooks/endpoints", operation_id = "webhooks_endpoints_create", tag = "Webhooks",
    request_body = CreateIn,
    responses((status = 201, description = "The endpoint, with its secret", body = WithSecretOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn create(
    State(s): State<AppState>,
    signed: SignedIn,
    JsonBody(body): JsonBody<CreateIn>,
) -> Result<(StatusCode, Json<WithSecretOut>), ApiError> {
    let policy = s.services.webhooks.policy();
    let new = NewEndpoint::parse(&body.url, &body.events, &body.description, policy)
        .map_err(ApiError::validation)?;
    let made = s
        .services
        .webhooks
        .create(&signed.caller(), signed.tenant, new)
        .await?;
    Ok((StatusCode::CREATED, Json(with_secret(made))))
}

/// `GET /v1/webhooks/endpoints/{id}`
#[utoipa::path(get, path = "/webhooks/endpoints/{id}", operation_id = "webhooks_endpoints_show", tag = "Webhooks",
    params(("id" = String, Path, description = "The endpoint's ID")),
    responses((status = 200, description = "The endpoint", body = EndpointOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn show(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<Json<EndpointOut>, ApiError> {
    let e = s
        .services
        .webhooks
        .get(&signed.caller(), signed.tenant, endpoint_id(&id)?)
        .await?;
    Ok(Json(e.into()))
}

/// `PATCH /v1/webhooks/endpoints/{id}` — change the URL, events or description, or
/// enable / disable.
#[utoipa::path(patch, path = "/webhooks/endpoints/{id}", operation_id = "webhooks_endpoints_update", tag = "Webhooks",
    params(("id" = String, Path, description = "The endpoint's ID")),
    request_body = UpdateIn,
    responses((status = 200, description = "The endpoint", body = EndpointOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn update(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<UpdateIn>,
) -> Result<Json<EndpointOut>, ApiError> {
    let id = endpoint_id(&id)?;
    let policy = s.services.webhooks.policy();
    let mut errs = FieldErrors::new();
    let url = body
        .url
        .as_deref()
        .and_then(|u| errs.check("url", EndpointUrl::parse(u, policy)));
    let events = body.events.as_deref().map(|e| parse_events(&mut errs, e));
    let description = body
        .description
        .as_deref()
        .map(|d| parse_description(&mut errs, d));
    let patch = errs
        .finish(|| {
            Some(EndpointPatch {
                url,
                events: events.flatten(),
                description,
                enabled: body.enabled,
            })
        })
        .map_err(ApiError::validation)?;
    let e = s
        .services
        .webhooks
        .update(&signed.caller(), signed.tenant, id, patch)
        .await?;
    Ok(Json(e.into()))
}

/// `DELETE /v1/webhooks/endpoints/{id}` — 204; its delivery log goes with it.
#[utoipa::path(delete, path = "/webhooks/endpoints/{id}", operation_id = "webhooks_endpoints_delete", tag = "Webhooks",
    params(("id" = String, Path, description = "The endpoint's ID")),
    responses((status = 204, description = "Deleted")),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn delete(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.services
        .webhooks
        .delete(&signed.caller(), signed.tenant, endpoint_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/webhooks/endpoints/{id}/rotate-secret` — a new secret, at once, shown
/// this once.
#[utoipa::path(post, path = "/webhooks/endpoints/{id}/rotate-secret", operation_id = "webhooks_endpoints_rotate_secret", tag = "Webhooks",
    params(("id" = String, Path, description = "The endpoint's ID")),
    responses((status = 200, description = "The endpoint, with its new secret", body = WithSecretOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn rotate_secret(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<Json<WithSecretOut>, ApiError> {
    let e = s
        .services
        .webhooks
        .rotate_secret(&signed.caller(), signed.tenant, endpoint_id(&id)?)
        .await?;
    Ok(Json(with_secret(e)))
}

/// `GET /v1/webhooks/messages` — the delivery log, newest first; filter by endpoint,
/// status and event.
#[utoipa::path(get, path = "/webhooks/messages", operation_id = "webhooks_messages_list", tag = "Webhooks",
    params(MessagesIn),
    responses((status = 200, description = "Messages", body = Page<MessageOut>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn messages(
    State(s): State<AppState>,
    signed: SignedIn,
    QueryParams(q): QueryParams<MessagesIn>,
) -> Result<Json<Page<MessageOut>>, ApiError> {
    let query = q.parse()?;
    let out = s
        .services
        .webhooks
        .messages(&signed.caller(), signed.tenant, &query)
        .await?;
    Ok(Json(out.map(MessageOut::from)))
}

/// `GET /v1/webhooks/messages/{id}` — one message with every attempt.
#[utoipa::path(get, path = "/webhooks/messages/{id}", operation_id = "webhooks_messages_show", tag = "Webhooks",
    params(("id" = String, Path, description = "The message's ID")),
    responses((status = 200, description = "The message and its attempts", body = MessageDetailOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn message(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<Json<MessageDetailOut>, ApiError> {
    let (m, attempts) = s
        .services
        .webhooks
        .message(
            &signed.caller(),
            signed.tenant,
            super::id(&id, "webhook_message")?,
        )
        .await?;
    Ok(Json(MessageDetailOut {
        message: m.into(),
        attempts: attempts.into_iter().map(AttemptOut::from).collect(),
    }))
}

/// `POST /v1/webhooks/messages/{id}/replay` — 202: sends a delivered or failed message
/// again (same `webhook-id`, a fresh run of attempts).
#[utoipa::path(post, path = "/webhooks/messages/{id}/replay", operation_id = "webhooks_messages_replay", tag = "Webhooks",
    params(("id" = String, Path, description = "The message's ID")),
    responses((status = 202, description = "Queued again", body = MessageOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn replay(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<MessageOut>), ApiError> {
    let m = s
        .services
        .webhooks
        .replay(
            &signed.caller(),
            signed.tenant,
            super::id(&id, "webhook_message")?,
        )
        .await?;
    Ok((StatusCode::ACCEPTED, Json(m.into())))
}
