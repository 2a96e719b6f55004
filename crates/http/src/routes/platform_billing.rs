//! `/v1/platform/billing/plans` and `/v1/platform/tenants/{id}/…`: plan prices, a
//! tenant's plan, closing a month into an invoice, and credit notes, for platform
//! admins. Every change is audited.

use super::billing::invoice_id;
use super::billing_dto::{InvoiceOut, PlanOut};
use super::enrolment::PageIn;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{JsonBody, PlatformAdmin, QueryParams};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use nexus_domain::billing::{Plan, PlanInput, parse_month};
use nexus_domain::paging::Page;
use nexus_domain::{FieldErrors, TenantId};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::str::FromStr;
use utoipa::ToSchema;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(plans, put_plan, list, close, show, credit))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/billing/plans", get(plans))
        .route("/billing/plans/{code}", put(put_plan))
        .route("/tenants/{id}/invoices", get(list).post(close))
        .route("/tenants/{id}/invoices/{invoice}", get(show))
        .route(
            "/tenants/{id}/invoices/{invoice}/credit-notes",
            post(credit),
        )
}

/// A plan's new prices.
#[derive(Deserialize, ToSchema)]
#[schema(as = BillingPlanInput)]
#[serde(deny_unknown_fields)]
struct PlanIn {
    name: String,
    /// ISO 4217, e.g. `USD`.
    currency: String,
    /// Per seat per month, whole cents, as decimal text (e.g. `"8.00"`).
    seat_price: String,
    /// API units included per month.
    included_units: u64,
    /// Per 1,000 units beyond the allowance, up to 4 decimal places, as decimal text.
    overage_per_1000: String,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = BillingClose)]
#[serde(deny_unknown_fields)]
struct CloseIn {
    /// The month to close, `YYYY-MM`; it must have ended.
    period: String,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = BillingCreditNoteInput)]
#[serde(deny_unknown_fields)]
struct CreditIn {
    /// Positive, whole cents, as decimal text; at most what is left of the invoice.
    amount: String,
    /// Why (1 to 500 characters); printed on the credit note.
    reason: String,
}

fn plan_code(raw: &str) -> Option<Plan> {
    Plan::parse(raw).ok()
}

fn decimal(errs: &mut FieldErrors, field: &str, raw: &str) -> Decimal {
    Decimal::from_str(raw.trim()).unwrap_or_else(|_| {
        errs.push(field, "format", "must be a decimal number such as 8.00");
        Decimal::ZERO
    })
}

/// `GET /v1/platform/billing/plans`
#[utoipa::path(get, path = "/billing/plans", operation_id = "platform_billing_plans_list", tag = "Platform: billing",
    responses((status = 200, description = "Every plan", body = Vec<PlanOut>)),
    security(("platform" = [])))]
async fn plans(
    _: PlatformAdmin,
    State(s): State<AppState>,
) -> Result<Json<Vec<PlanOut>>, ApiError> {
    let plans = s.services.billing.plans().await?;
    Ok(Json(plans.into_iter().map(PlanOut::from).collect()))
}

/// `PUT /v1/platform/billing/plans/{code}` — new prices, from the next close on.
#[utoipa::path(put, path = "/billing/plans/{code}", operation_id = "platform_billing_plans_put", tag = "Platform: billing",
    params(("code" = String, Path, description = "free, basic, advanced or professional")),
    request_body = PlanIn,
    responses((status = 200, description = "The plan", body = PlanOut)),
    security(("platform" = [])))]
async fn put_plan(
    PlatformAdmin(caller): PlatformAdmin,
    State(s): State<AppState>,
    Path(code): Path<String>,
    JsonBody(body): JsonBody<PlanIn>,
) -> Result<Json<PlanOut>, ApiError> {
    let code = plan_code(&code).ok_or_else(|| ApiError::not_found("plan"))?;
    let mut errs = FieldErrors::new();
    let input = PlanInput {
        seat_price: decimal(&mut errs, "seat_price", &body.seat_price),
        overage_per_1000: decimal(&mut errs, "overage_per_1000", &body.overage_per_1000),
        name: body.name,
        currency: body.currency,
        included_units: body.included_units,
    };
    if !errs.is_empty() {
        return Err(ApiError::validation(errs));
    }
    let plan = s.services.billing.put_plan(&caller, code, input).await?;
    Ok(Json(plan.into()))
}

/// `GET /v1/platform/tenants/{id}/invoices` — newest first.
#[utoipa::path(get, path = "/tenants/{id}/invoices", operation_id = "platform_invoices_list", tag = "Platform: billing",
    params(("id" = String, Path, description = "The tenant"), PageIn),
    responses((status = 200, description = "The tenant's documents", body = Page<InvoiceOut>)),
    security(("platform" = [])))]
async fn list(
    PlatformAdmin(caller): PlatformAdmin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<PageIn>,
) -> Result<Json<Page<InvoiceOut>>, ApiError> {
    let tenant: TenantId = crate::routes::id(&id, "tenant")?;
    s.services.tenants.get(tenant).await?;
    let page = s
        .services
        .billing
        .documents(&caller, tenant, q.parse()?)
        .await?;
    Ok(Json(page.map(|d| InvoiceOut::new(&d, None))))
}

/// `POST /v1/platform/tenants/{id}/invoices` — closes a month: 201 with the new
/// invoice, or 200 with the one already closed (closing is idempotent).
#[utoipa::path(post, path = "/tenants/{id}/invoices", operation_id = "platform_invoices_close", tag = "Platform: billing",
    params(("id" = String, Path, description = "The tenant")),
    request_body = CloseIn,
    responses(
        (status = 201, description = "The period's new invoice", body = InvoiceOut),
        (status = 200, description = "The period was closed already; its invoice", body = InvoiceOut)),
    security(("platform" = [])))]
async fn close(
    PlatformAdmin(caller): PlatformAdmin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<CloseIn>,
) -> Result<(StatusCode, Json<InvoiceOut>), ApiError> {
    let tenant: TenantId = crate::routes::id(&id, "tenant")?;
    s.services.tenants.get(tenant).await?;
    let Some(start) = parse_month(body.period.trim()) else {
        let mut errs = FieldErrors::new();
        errs.push("period", "format", "must be a month, YYYY-MM");
        return Err(ApiError::validation(errs));
    };
    let (doc, created) = s
        .services
        .billing
        .close_period(&caller, tenant, start)
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(InvoiceOut::new(&doc, None))))
}

/// `GET /v1/platform/tenants/{id}/invoices/{invoice}`
#[utoipa::path(get, path = "/tenants/{id}/invoices/{invoice}", operation_id = "platform_invoices_show", tag = "Platform: billing",
    params(("id" = String, Path, description = "The tenant"), ("invoice" = String, Path, description = "The document")),
    responses((status = 200, description = "The document", body = InvoiceOut)),
    security(("platform" = [])))]
async fn show(
    PlatformAdmin(caller): PlatformAdmin,
    State(s): State<AppState>,
    Path((id, invoice)): Path<(String, String)>,
) -> Result<Json<InvoiceOut>, ApiError> {
    let tenant: TenantId = crate::routes::id(&id, "tenant")?;
    let (doc, pay) = s
        .services
        .billing
        .document(&caller, tenant, invoice_id(&invoice)?)
        .await?;
    Ok(Json(InvoiceOut::new(&doc, pay)))
}

/// `POST /v1/platform/tenants/{id}/invoices/{invoice}/credit-notes` — 201 with the
/// credit note.
#[utoipa::path(post, path = "/tenants/{id}/invoices/{invoice}/credit-notes", operation_id = "platform_invoices_credit", tag = "Platform: billing",
    params(("id" = String, Path, description = "The tenant"), ("invoice" = String, Path, description = "The invoice to correct")),
    request_body = CreditIn,
    responses((status = 201, description = "The credit note", body = InvoiceOut)),
    security(("platform" = [])))]
async fn credit(
    PlatformAdmin(caller): PlatformAdmin,
    State(s): State<AppState>,
    Path((id, invoice)): Path<(String, String)>,
    JsonBody(body): JsonBody<CreditIn>,
) -> Result<(StatusCode, Json<InvoiceOut>), ApiError> {
    let tenant: TenantId = crate::routes::id(&id, "tenant")?;
    let invoice = invoice_id(&invoice)?;
    let mut errs = FieldErrors::new();
    let amount = decimal(&mut errs, "amount", &body.amount);
    if !errs.is_empty() {
        return Err(ApiError::validation(errs));
    }
    let note = s
        .services
        .billing
        .credit(&caller, tenant, invoice, amount, &body.reason)
        .await?;
    Ok((StatusCode::CREATED, Json(InvoiceOut::new(&note, None))))
}
