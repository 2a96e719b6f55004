//! Billing: plans as data, invoices computed from seats and metered API units, credit
//! notes for corrections, and the signature check a payment processor's webhooks need.
//!
//! Money is [`rust_decimal::Decimal`], never a float: amounts are rounded to cents
//! once, per line, half away from zero (the commercial rule), and a document's total is
//! the exact sum of its lines. Closed documents never change; a correction is a credit
//! note against the invoice, and the credits against one invoice never exceed it.

mod invoice;
mod plan;
pub mod signature;

pub use crate::tenancy::Plan;
pub use invoice::{
    CreditError, DocumentKind, Invoice, InvoiceId, InvoiceLine, LineKind, PeriodUsage, Totals,
    close_period, credit_note, month_label, parse_month, round_cents,
};
pub use plan::{BillingPlan, PlanInput};

#[cfg(test)]
mod tests;
