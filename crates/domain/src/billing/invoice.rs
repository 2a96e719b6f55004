//! Invoices and credit notes: computing a period's lines, and the rules a correction
//! must follow.

use super::plan::BillingPlan;
use crate::TenantId;
use crate::tenancy::Plan;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

crate::define_id!(
    /// Identifies an invoice or a credit note.
    InvoiceId
);

/// An invoice, or a credit note against one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = BillingDocumentKind))]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// A period's charges.
    Invoice,
    /// A correction, in negative amounts, against one invoice.
    CreditNote,
}

impl DocumentKind {
    /// Stable storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invoice => "invoice",
            Self::CreditNote => "credit_note",
        }
    }
    /// Parses the storage name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "invoice" => Some(Self::Invoice),
            "credit_note" => Some(Self::CreditNote),
            _ => None,
        }
    }
}

/// What a line charges for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = BillingLineKind))]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// User accounts × the seat price.
    Seats,
    /// API units within the plan's allowance (always 0.00; shown for the record).
    IncludedUnits,
    /// API units beyond the allowance, per thousand.
    ApiOverage,
    /// A credit against an invoice (negative).
    Credit,
}

/// One line. `amount` is `quantity × unit_price` rounded to cents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceLine {
    /// What it is for.
    pub kind: LineKind,
    /// In words.
    pub description: String,
    /// Seats, thousands of units, or 1 for a credit.
    pub quantity: Decimal,
    /// Price per quantity.
    pub unit_price: Decimal,
    /// The line's money, in cents precision.
    pub amount: Decimal,
}

/// A closed document. Nothing in it ever changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    /// Its ID.
    pub id: InvoiceId,
    /// The tenant billed.
    pub tenant: TenantId,
    /// Invoice or credit note.
    pub kind: DocumentKind,
    /// Human number: `INV-2026-11-<12 hex>`, `CN-2026-11-<12 hex>-1`.
    pub number: String,
    /// The billed month's first instant (UTC).
    pub period_start: OffsetDateTime,
    /// The next month's first instant (exclusive).
    pub period_end: OffsetDateTime,
    /// The plan it was priced on.
    pub plan: Plan,
    /// ISO 4217.
    pub currency: String,
    /// The lines, in order.
    pub lines: Vec<InvoiceLine>,
    /// Sum of the lines.
    pub total: Decimal,
    /// The invoice a credit note corrects.
    pub credit_for: Option<InvoiceId>,
    /// Why a credit note was issued.
    pub reason: Option<String>,
    /// When it was closed.
    pub issued_at: OffsetDateTime,
}

/// What a period used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodUsage {
    /// User accounts at the close.
    pub seats: u64,
    /// API units charged in the month.
    pub units: u64,
}

/// A document's lines and total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    /// The lines.
    pub lines: Vec<InvoiceLine>,
    /// Their sum.
    pub total: Decimal,
}

/// Rounds money to cents, half away from zero, always written with two decimals
/// (`24.00`, not `24`).
pub fn round_cents(d: Decimal) -> Decimal {
    let mut r = d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(2);
    r
}

/// The lines of a period's invoice under `plan`: seats, the allowance used, and the
/// overage per thousand units (exact thousandths, so 1,500 extra units are 1.5).
pub fn close_period(plan: &BillingPlan, usage: PeriodUsage) -> Totals {
    let seats = Decimal::from(usage.seats);
    let mut lines = vec![InvoiceLine {
        kind: LineKind::Seats,
        description: format!("{} plan: {} seat(s)", plan.name, usage.seats),
        quantity: seats,
        unit_price: plan.seat_price,
        amount: round_cents(seats * plan.seat_price),
    }];
    let included = usage.units.min(plan.included_units);
    lines.push(InvoiceLine {
        kind: LineKind::IncludedUnits,
        description: format!(
            "API units within the allowance: {included} of {}",
            plan.included_units
        ),
        quantity: Decimal::from(included),
        unit_price: Decimal::ZERO,
        amount: round_cents(Decimal::ZERO),
    });
    let over = usage.units.saturating_sub(plan.included_units);
    if over > 0 {
        let thousands = Decimal::from(over) / Decimal::from(1000);
        lines.push(InvoiceLine {
            kind: LineKind::ApiOverage,
            description: format!("API units beyond the allowance: {over}, per 1,000"),
            quantity: thousands,
            unit_price: plan.overage_per_1000,
            amount: round_cents(thousands * plan.overage_per_1000),
        });
    }
    let total = lines.iter().map(|l| l.amount).sum();
    Totals { lines, total }
}

/// Why a credit note cannot be issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditError {
    /// Only invoices can be credited.
    #[error("only an invoice can be credited")]
    NotAnInvoice,
    /// Zero, negative or finer than cents.
    #[error("the amount must be positive and in whole cents")]
    BadAmount,
    /// More than what is left to credit.
    #[error("at most {left} can still be credited against this invoice")]
    TooMuch {
        /// What is left.
        left: Decimal,
    },
    /// No reason given.
    #[error("a credit note needs a reason (1 to 500 characters)")]
    NoReason,
}

/// The one line of a credit note of `amount` against `invoice`, given what has been
/// credited against it already.
pub fn credit_note(
    invoice: &Invoice,
    already: Decimal,
    amount: Decimal,
    reason: &str,
) -> Result<Totals, CreditError> {
    if invoice.kind != DocumentKind::Invoice {
        return Err(CreditError::NotAnInvoice);
    }
    if amount <= Decimal::ZERO || amount.normalize().scale() > 2 {
        return Err(CreditError::BadAmount);
    }
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(CreditError::NoReason);
    }
    let left = invoice.total - already;
    if amount > left {
        return Err(CreditError::TooMuch { left });
    }
    let line = InvoiceLine {
        kind: LineKind::Credit,
        description: format!("Credit against {}: {reason}", invoice.number),
        quantity: Decimal::ONE,
        unit_price: -amount,
        amount: -round_cents(amount),
    };
    Ok(Totals {
        total: line.amount,
        lines: vec![line],
    })
}

/// Parses `YYYY-MM` into that month's first instant (UTC).
pub fn parse_month(raw: &str) -> Option<OffsetDateTime> {
    let (y, m) = raw.split_once('-')?;
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(y, 4) || !digits(m, 2) {
        return None;
    }
    let year: i32 = y.parse().ok()?;
    let month = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
    let date = time::Date::from_calendar_date(year, month, 1).ok()?;
    Some(date.midnight().assume_utc())
}

/// `YYYY-MM` of a month's first instant.
pub fn month_label(start: OffsetDateTime) -> String {
    format!("{:04}-{:02}", start.year(), u8::from(start.month()))
}
