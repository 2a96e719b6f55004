//! `/v1/billing/plan` and `/v1/invoices`: a tenant's plan and its invoices and credit
//! notes, for `billing:read` (JSON, CSV, printable HTML).

use super::billing_dto::{InvoiceOut, PlanOut, csv, html};
use super::enrolment::PageIn;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{QueryParams, SignedIn};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use nexus_domain::billing::InvoiceId;
use nexus_domain::paging::Page;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(plan, list, show, show_csv, show_html))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/billing/plan", get(plan))
        .route("/invoices", get(list))
        .route("/invoices/{id}", get(show))
        .route("/invoices/{id}/csv", get(show_csv))
        .route("/invoices/{id}/html", get(show_html))
}

pub(crate) fn invoice_id(raw: &str) -> Result<InvoiceId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found("invoice"))
}

/// `GET /v1/billing/plan` — the tenant's plan and its prices.
#[utoipa::path(get, path = "/billing/plan", operation_id = "billing_plan_show", tag = "Billing",
    responses((status = 200, description = "The tenant's plan", body = PlanOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn plan(State(s): State<AppState>, signed: SignedIn) -> Result<Json<PlanOut>, ApiError> {
    let plan = s
        .services
        .billing
        .my_plan(&signed.caller(), signed.tenant)
        .await?;
    Ok(Json(plan.into()))
}

/// `GET /v1/invoices` — invoices and credit notes, newest first.
#[utoipa::path(get, path = "/invoices", operation_id = "invoices_list", tag = "Billing",
    params(PageIn),
    responses((status = 200, description = "The tenant's documents", body = Page<InvoiceOut>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn list(
    State(s): State<AppState>,
    signed: SignedIn,
    QueryParams(q): QueryParams<PageIn>,
) -> Result<Json<Page<InvoiceOut>>, ApiError> {
    let page = s
        .services
        .billing
        .documents(&signed.caller(), signed.tenant, q.parse()?)
        .await?;
    Ok(Json(page.map(|d| InvoiceOut::new(&d, None))))
}

/// `GET /v1/invoices/{id}` — one document, with how to pay an invoice.
#[utoipa::path(get, path = "/invoices/{id}", operation_id = "invoices_show", tag = "Billing",
    params(("id" = String, Path, description = "The invoice or credit note")),
    responses((status = 200, description = "The document", body = InvoiceOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn show(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<Json<InvoiceOut>, ApiError> {
    let (doc, pay) = s
        .services
        .billing
        .document(&signed.caller(), signed.tenant, invoice_id(&id)?)
        .await?;
    Ok(Json(InvoiceOut::new(&doc, pay)))
}

/// `GET /v1/invoices/{id}/csv` — the document's lines as CSV.
#[utoipa::path(get, path = "/invoices/{id}/csv", operation_id = "invoices_csv", tag = "Billing",
    params(("id" = String, Path, description = "The invoice or credit note")),
    responses((status = 200, description = "One row per line, then the total", content_type = "text/csv", body = String)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn show_csv(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (doc, _) = s
        .services
        .billing
        .document(&signed.caller(), signed.tenant, invoice_id(&id)?)
        .await?;
    let disposition = format!("attachment; filename=\"{}.csv\"", doc.number);
    let mut resp = (
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
        csv(&doc),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

/// No scripts and nothing fetched: only the page's own inline styles may apply.
const PRINT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; \
     base-uri 'none'; form-action 'none'";

/// `GET /v1/invoices/{id}/html` — a printable page.
#[utoipa::path(get, path = "/invoices/{id}/html", operation_id = "invoices_html", tag = "Billing",
    params(("id" = String, Path, description = "The invoice or credit note")),
    responses((status = 200, description = "A printable page", content_type = "text/html", body = String)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn show_html(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (doc, pay) = s
        .services
        .billing
        .document(&signed.caller(), signed.tenant, invoice_id(&id)?)
        .await?;
    let tenant = s.services.tenants.get(signed.tenant).await?;
    let mut resp = (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html(&doc, &tenant.name, pay.as_ref()),
    )
        .into_response();
    resp.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PRINT_CSP),
    );
    Ok(resp)
}
