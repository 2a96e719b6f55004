//! Wire shapes of billing, shared by the tenant and platform routes. Money is decimal
//! text (exact), as in the simulator.

use nexus_app::billing::PaymentInstructions;
use nexus_domain::TenantId;
use nexus_domain::billing::{
    BillingPlan, DocumentKind, Invoice, InvoiceId, InvoiceLine, LineKind, Plan, month_label,
};
use serde::Serialize;
use std::fmt::Write as _;
use time::OffsetDateTime;
use utoipa::ToSchema;

/// A plan's prices.
#[derive(Serialize, ToSchema)]
#[schema(as = BillingPlan)]
pub(crate) struct PlanOut {
    code: Plan,
    name: String,
    /// ISO 4217.
    currency: String,
    /// Per seat (user account) per month, decimal text.
    seat_price: String,
    /// API units included per month.
    included_units: u64,
    /// Per 1,000 API units beyond the allowance, decimal text.
    overage_per_1000: String,
}

impl From<BillingPlan> for PlanOut {
    fn from(p: BillingPlan) -> Self {
        Self {
            code: p.code,
            name: p.name,
            currency: p.currency,
            seat_price: p.seat_price.to_string(),
            included_units: p.included_units,
            overage_per_1000: p.overage_per_1000.to_string(),
        }
    }
}

/// One line of a document.
#[derive(Serialize, ToSchema)]
#[schema(as = BillingLine)]
pub(crate) struct LineOut {
    kind: LineKind,
    description: String,
    /// Seats, thousands of units, or 1; decimal text.
    quantity: String,
    /// Decimal text.
    unit_price: String,
    /// `quantity × unit_price` to the cent; decimal text.
    amount: String,
}

impl From<&InvoiceLine> for LineOut {
    fn from(l: &InvoiceLine) -> Self {
        Self {
            kind: l.kind,
            description: l.description.clone(),
            quantity: l.quantity.normalize().to_string(),
            unit_price: l.unit_price.normalize().to_string(),
            amount: l.amount.to_string(),
        }
    }
}

/// How to pay an invoice.
#[derive(Serialize, ToSchema)]
#[schema(as = BillingPayment)]
pub(crate) struct PaymentOut {
    /// `manual` (bank transfer).
    provider: &'static str,
    instructions: String,
}

/// An invoice or a credit note. Closed documents never change.
#[derive(Serialize, ToSchema)]
#[schema(as = BillingDocument)]
pub(crate) struct InvoiceOut {
    id: InvoiceId,
    tenant: TenantId,
    kind: DocumentKind,
    /// `INV-2026-11-…` or `CN-2026-11-…-1`.
    number: String,
    /// The billed month, `YYYY-MM`.
    period: String,
    #[serde(with = "time::serde::rfc3339")]
    period_start: OffsetDateTime,
    /// Exclusive.
    #[serde(with = "time::serde::rfc3339")]
    period_end: OffsetDateTime,
    plan: Plan,
    currency: String,
    lines: Vec<LineOut>,
    /// The sum of the lines (negative for a credit note); decimal text.
    total: String,
    /// The invoice a credit note corrects.
    credit_for: Option<InvoiceId>,
    /// Why a credit note was issued.
    reason: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    issued_at: OffsetDateTime,
    /// How to pay (invoices with something to pay).
    payment: Option<PaymentOut>,
}

impl InvoiceOut {
    pub(crate) fn new(d: &Invoice, pay: Option<PaymentInstructions>) -> Self {
        Self {
            id: d.id,
            tenant: d.tenant,
            kind: d.kind,
            number: d.number.clone(),
            period: month_label(d.period_start),
            period_start: d.period_start,
            period_end: d.period_end,
            plan: d.plan,
            currency: d.currency.clone(),
            lines: d.lines.iter().map(LineOut::from).collect(),
            total: d.total.to_string(),
            credit_for: d.credit_for,
            reason: d.reason.clone(),
            issued_at: d.issued_at,
            payment: pay.map(|p| PaymentOut {
                provider: p.provider,
                instructions: p.instructions,
            }),
        }
    }
}

/// A CSV field: quoted when it holds a separator, quote or line break, and prefixed
/// with `'` when text would start like a spreadsheet formula (CSV injection).
fn csv_field(s: &str, text: bool) -> String {
    let s = if text && s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The document as CSV: one row per line, then the total.
pub(crate) fn csv(d: &Invoice) -> String {
    let mut out = String::from(
        "number,kind,period,currency,line_kind,description,quantity,unit_price,amount\n",
    );
    let head = format!(
        "{},{},{},{}",
        csv_field(&d.number, true),
        d.kind.as_str(),
        month_label(d.period_start),
        csv_field(&d.currency, true)
    );
    for l in &d.lines {
        let _ = writeln!(
            out,
            "{head},{},{},{},{},{}",
            serde_json::to_value(l.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            csv_field(&l.description, true),
            l.quantity.normalize(),
            l.unit_price.normalize(),
            l.amount
        );
    }
    let _ = writeln!(out, "{head},total,,,,{}", d.total);
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The document as a printable HTML page (no scripts; every text escaped).
pub(crate) fn html(d: &Invoice, tenant_name: &str, pay: Option<&PaymentInstructions>) -> String {
    let title = match d.kind {
        DocumentKind::Invoice => "Invoice",
        DocumentKind::CreditNote => "Credit note",
    };
    let mut rows = String::new();
    for l in &d.lines {
        let _ = write!(
            rows,
            "<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td></tr>",
            esc(&l.description),
            l.quantity.normalize(),
            l.unit_price.normalize(),
            l.amount
        );
    }
    let reason = d
        .reason
        .as_deref()
        .map_or(String::new(), |r| format!("<p>Reason: {}</p>", esc(r)));
    let pay = pay.map_or(String::new(), |p| {
        format!("<p class=pay>{}</p>", esc(&p.instructions))
    });
    format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>{title} {number}</title>\
         <style>body{{font:14px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;color:#111}}\
         table{{width:100%;border-collapse:collapse}}th,td{{padding:.3rem;border-bottom:1px solid #ccc;text-align:left}}\
         .n{{text-align:right}}tfoot td{{font-weight:700}}@media print{{body{{margin:0}}}}</style></head>\
         <body><h1>{title} {number}</h1><p>Billed to: {tenant}<br>Period: {period}<br>Plan: {plan}<br>\
         Issued: {issued}</p>{reason}<table><thead><tr><th>Description</th><th class=n>Quantity</th>\
         <th class=n>Unit price</th><th class=n>Amount ({currency})</th></tr></thead><tbody>{rows}</tbody>\
         <tfoot><tr><td colspan=3>Total</td><td class=n>{total}</td></tr></tfoot></table>{pay}\
         <p>FinAI Nexus · educational platform</p></body></html>",
        number = esc(&d.number),
        tenant = esc(tenant_name),
        period = month_label(d.period_start),
        plan = d.plan.as_str(),
        issued = d.issued_at.date(),
        currency = esc(&d.currency),
        total = d.total,
    )
}
