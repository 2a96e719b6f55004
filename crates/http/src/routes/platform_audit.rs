//! `/v1/platform/audit`: the audit trail for platform operators: a filtered, cursor-paged
//! list, and an NDJSON export (oldest first) for SIEM ingestion.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{PlatformAdmin, QueryParams};
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use nexus_domain::FieldErrors;
use nexus_domain::TenantId;
use nexus_domain::audit::{AuditEvent, AuditQuery};
use nexus_domain::paging::{MAX_LIMIT, Order};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(list, export))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/audit", get(list))
        .route("/audit/export", get(export))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListIn {
    /// The tenant whose chain to read (its ID); default: the platform's own chain.
    tenant: Option<String>,
    /// Only this actor, e.g. `user:<id>`, `platform`, `system`, `anonymous`.
    actor: Option<String>,
    /// Only this action (exact), or a family: a prefix ending in `.` (e.g. `auth.`).
    action: Option<String>,
    /// Only events at or after this time (RFC 3339).
    from: Option<String>,
    /// Only events before this time (RFC 3339).
    to: Option<String>,
    /// Only events beyond this `seq` in the listing's order: pass the previous page's
    /// `next_cursor`.
    cursor: Option<i64>,
    /// Page size, 1 to 200 (default 50). The export ignores it.
    limit: Option<u32>,
}

/// One page of an audit chain, newest first.
#[derive(Serialize, ToSchema)]
#[schema(as = AuditPage)]
pub(crate) struct ListOut {
    items: Vec<AuditEvent>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    next_cursor: Option<i64>,
}

fn parse(raw: ListIn, order: Order) -> Result<(Option<TenantId>, AuditQuery), FieldErrors> {
    let mut errs = FieldErrors::new();
    let time = |errs: &mut FieldErrors, field: &str, v: Option<String>| {
        v.and_then(|v| {
            let parsed = OffsetDateTime::parse(&v, &Rfc3339).map_err(|_| {
                nexus_domain::validation::invalid("format", "must be an RFC 3339 time")
            });
            errs.check(field, parsed)
        })
    };
    let tenant = raw.tenant.and_then(|v| {
        let parsed = v
            .parse()
            .map_err(|_| nexus_domain::validation::invalid("format", "must be a tenant id"));
        errs.check("tenant", parsed)
    });
    let from = time(&mut errs, "from", raw.from);
    let to = time(&mut errs, "to", raw.to);
    let limit = raw.limit.unwrap_or(50);
    if limit == 0 || limit > MAX_LIMIT {
        errs.push(
            "limit",
            "out_of_range",
            format!("must be between 1 and {MAX_LIMIT}"),
        );
    }
    let query = AuditQuery {
        actor: raw.actor,
        action: raw.action,
        from,
        to,
        after_seq: raw.cursor,
        order,
        limit,
    };
    errs.finish(|| Some((tenant, query)))
}

/// Parses the query; with `fixed` the chain is `tenant` and the query may not name one.
fn query(
    raw: ListIn,
    order: Order,
    tenant: Option<TenantId>,
    fixed: bool,
) -> Result<(Option<TenantId>, AuditQuery), ApiError> {
    if fixed && raw.tenant.is_some() {
        let mut errs = FieldErrors::new();
        errs.push(
            "tenant",
            "not_allowed",
            "the tenant is the one this request addresses",
        );
        return Err(ApiError::validation(errs));
    }
    let (named, q) = parse(raw, order).map_err(ApiError::validation)?;
    Ok((if fixed { tenant } else { named }, q))
}

/// One newest-first page of a chain.
pub(crate) async fn list_page(
    s: &AppState,
    tenant: Option<TenantId>,
    raw: ListIn,
    fixed: bool,
) -> Result<Json<ListOut>, ApiError> {
    let (tenant, query) = query(raw, Order::Desc, tenant, fixed)?;
    let items = s.services.audit.list(tenant, &query).await?;
    let next_cursor = (items.len() == query.limit as usize)
        .then(|| items.last().map(|e| e.seq))
        .flatten();
    Ok(Json(ListOut { items, next_cursor }))
}

/// A chain as NDJSON, oldest first. Bounded: at most 100 pages (20,000 events) per
/// request; continue with `cursor` past that.
pub(crate) async fn export_ndjson(
    s: &AppState,
    tenant: Option<TenantId>,
    raw: ListIn,
    fixed: bool,
) -> Result<impl IntoResponse + use<>, ApiError> {
    let (tenant, mut query) = query(raw, Order::Asc, tenant, fixed)?;
    query.limit = MAX_LIMIT;
    let mut body = String::new();
    for _ in 0..100 {
        let page = s.services.audit.list(tenant, &query).await?;
        for e in &page {
            body.push_str(&serde_json::to_string(e).unwrap_or_default());
            body.push('\n');
        }
        match page.last() {
            Some(last) if page.len() == MAX_LIMIT as usize => query.after_seq = Some(last.seq),
            _ => break,
        }
    }
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], body))
}

/// `GET /v1/platform/audit` — newest first.
#[utoipa::path(get, path = "/audit", operation_id = "platform_audit_list", tag = "Platform: audit",
    params(ListIn),
    responses((status = 200, description = "One page of the chain, newest first", body = ListOut)),
    security(("platform" = [])))]
async fn list(
    _: PlatformAdmin,
    State(s): State<AppState>,
    QueryParams(q): QueryParams<ListIn>,
) -> Result<Json<ListOut>, ApiError> {
    list_page(&s, None, q, false).await
}

/// `GET /v1/platform/audit/export` — NDJSON, oldest first, one event per line.
#[utoipa::path(get, path = "/audit/export", operation_id = "platform_audit_export", tag = "Platform: audit",
    params(ListIn),
    responses((status = 200, description = "One `AuditEvent` JSON object per line, oldest first; at most \
        20,000 events per request (continue with `cursor` from the last `seq`)",
        content_type = "application/x-ndjson", body = String)),
    security(("platform" = [])))]
async fn export(
    _: PlatformAdmin,
    State(s): State<AppState>,
    QueryParams(q): QueryParams<ListIn>,
) -> Result<impl IntoResponse, ApiError> {
    export_ndjson(&s, None, q, false).await
}
