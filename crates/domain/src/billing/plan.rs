//! Billing plans: free, basic, advanced and professional. Their prices live in the
//! database (seeded by a migration, changed by platform admins), not in code; this is
//! only their shape and its rules.

use crate::tenancy::Plan;
use crate::{FieldErrors, validation::invalid};
use rust_decimal::Decimal;

/// A plan's prices and allowance, per tenant per month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingPlan {
    /// Which plan.
    pub code: Plan,
    /// Display name.
    pub name: String,
    /// ISO 4217 code, e.g. `USD`.
    pub currency: String,
    /// Price per seat (a user account) per month.
    pub seat_price: Decimal,
    /// API units included per month.
    pub included_units: u64,
    /// Price per 1,000 API units beyond the allowance.
    pub overage_per_1000: Decimal,
}

/// A plan as an admin sends it, before validation.
#[derive(Debug, Clone)]
pub struct PlanInput {
    /// Display name.
    pub name: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Decimal text or number.
    pub seat_price: Decimal,
    /// Whole units.
    pub included_units: u64,
    /// Decimal.
    pub overage_per_1000: Decimal,
}

impl BillingPlan {
    /// Validates a plan: a name, a three-letter upper-case currency, prices that are not
    /// negative, a seat price in whole cents and an overage price of at most four decimal
    /// places (a fraction of a cent per thousand units is a real price).
    pub fn parse(code: Plan, input: PlanInput) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::new();
        let name = input.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 {
            errs.check::<()>("name", Err(invalid("length", "1 to 100 characters")));
        }
        if input.currency.len() != 3 || !input.currency.chars().all(|c| c.is_ascii_uppercase()) {
            errs.check::<()>(
                "currency",
                Err(invalid("format", "an ISO 4217 code such as USD")),
            );
        }
        let price = |errs: &mut FieldErrors, field: &str, d: Decimal, scale: u32| {
            if d.is_sign_negative() {
                errs.check::<()>(field, Err(invalid("range", "must not be negative")));
            } else if d.normalize().scale() > scale {
                errs.check::<()>(
                    field,
                    Err(invalid(
                        "precision",
                        format!("at most {scale} decimal places"),
                    )),
                );
            } else if d > Decimal::from(1_000_000) {
                errs.check::<()>(field, Err(invalid("range", "at most 1000000")));
            }
        };
        if input.included_units > 1_000_000_000_000 {
            errs.check::<()>(
                "included_units",
                Err(invalid("range", "at most 1000000000000")),
            );
        }
        price(&mut errs, "seat_price", input.seat_price, 2);
        price(&mut errs, "overage_per_1000", input.overage_per_1000, 4);
        errs.finish(|| {
            Some(Self {
                code,
                name,
                currency: input.currency,
                seat_price: input.seat_price.normalize(),
                included_units: input.included_units,
                overage_per_1000: input.overage_per_1000.normalize(),
            })
        })
    }
}
