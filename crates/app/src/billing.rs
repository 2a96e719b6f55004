//! Billing: plans (platform data), each tenant's plan, closing a month into an invoice
//! from its seats and metered API units, credit notes, and how an invoice gets paid.
//!
//! Closing is idempotent: a period has at most one invoice (the store's unique key), so
//! the daily job and a platform admin can both ask for it and get the same document.
//! Closed documents never change; corrections are credit notes, numbered per invoice,
//! so two credits issued at once cannot both pass the "never more than the invoice"
//! check (the second takes the same number and is refused).

use crate::AppError;
use crate::audit::{AuditService, Caller, Record};
use nexus_domain::access::Permission;
use nexus_domain::billing::{
    self, BillingPlan, CreditError, DocumentKind, Invoice, InvoiceId, PeriodUsage, Plan, PlanInput,
};
use nexus_domain::paging::{Page, PageRequest};
use nexus_domain::user::UserQuery;
use nexus_domain::webhook::EventType;
use nexus_domain::{Clock, FieldErrors, TenantId};
use nexus_store::billing::credited;
use nexus_store::{BillingStore, Database, StoreError, UsageStore, UserStore};
use rust_decimal::Decimal;
use serde_json::json;
use std::sync::Arc;

mod provider;

pub use provider::{
    ManualInvoiceProvider, PaymentInstructions, PaymentProvider, verify_signed_webhook,
};

/// How long after a month ends it may be closed: the nodes' meters flush every few
/// seconds (and retry a failed flush), so an hour leaves the month's last units time to
/// reach the database.
pub const CLOSE_GRACE: time::Duration = time::Duration::hours(1);

/// How many months back the daily job catches up when it missed some.
pub const CATCH_UP_MONTHS: u32 = 12;

/// Billing use cases.
#[derive(Clone)]
pub struct BillingService {
    db: Arc<dyn Database>,
    billing: Arc<dyn BillingStore>,
    usage: Arc<dyn UsageStore>,
    users: Arc<dyn UserStore>,
    audit: AuditService,
    clock: Arc<dyn Clock>,
    provider: Arc<dyn PaymentProvider>,
    outbox: crate::webhooks::Outbox,
}

fn store_err(e: StoreError) -> AppError {
    AppError::from_store("invoice", e)
}

fn field(name: &str, code: &'static str, message: impl Into<String>) -> AppError {
    let mut errs = FieldErrors::new();
    errs.push(name, code, message);
    AppError::Validation(errs)
}

impl BillingService {
    /// Wires the service.
    pub fn new(
        db: Arc<dyn Database>,
        audit: AuditService,
        clock: Arc<dyn Clock>,
        provider: Arc<dyn PaymentProvider>,
    ) -> Self {
        Self {
            billing: db.billing(),
            usage: db.usage(),
            users: db.users(),
            outbox: crate::webhooks::Outbox::new(&db, clock.clone()),
            db,
            audit,
            clock,
            provider,
        }
    }

    /// The service with the built-in manual (bank transfer) payment provider.
    pub fn manual(db: Arc<dyn Database>, audit: AuditService, clock: Arc<dyn Clock>) -> Self {
        Self::new(
            db,
            audit,
            clock,
            Arc::new(ManualInvoiceProvider {
                payee: "the account on your contract".to_owned(),
            }),
        )
    }

    /// The same service paying through `provider`.
    #[must_use]
    pub fn with_provider(mut self, provider: Arc<dyn PaymentProvider>) -> Self {
        self.provider = provider;
        self
    }

    /// Every plan.
    pub async fn plans(&self) -> Result<Vec<BillingPlan>, AppError> {
        self.billing.plans().await.map_err(store_err)
    }

    /// Replaces a plan's prices (platform admins). Invoices already closed keep the
    /// prices they were closed with.
    pub async fn put_plan(
        &self,
        caller: &Caller,
        code: Plan,
        input: PlanInput,
    ) -> Result<BillingPlan, AppError> {
        caller.require_platform()?;
        let plan = BillingPlan::parse(code, input)?;
        let before = self.billing.plan(code).await.map_err(store_err)?;
        let mut tx = self.db.begin(None).await.map_err(store_err)?;
        self.billing
            .put_plan(tx.as_mut(), &plan, self.clock.now())
            .await
            .map_err(store_err)?;
        let r = Record {
            tenant: None,
            action: "billing.plan_update",
            target: format!("billing_plan:{}", code.as_str()),
            diff: Some(json!({ "before": plan_json(&before), "after": plan_json(&plan) })),
        };
        self.audit.record_in(tx.as_mut(), caller, r).await?;
        tx.commit().await.map_err(store_err)?;
        Ok(plan)
    }

    /// The prices of the tenant's plan (the plan itself is the tenant's `plan`, set by
    /// platform admins with the tenant's other settings).
    pub async fn tenant_plan(&self, tenant: TenantId) -> Result<BillingPlan, AppError> {
        let code = self
            .db
            .tenants()
            .get(tenant)
            .await
            .map_err(|e| AppError::from_store("tenant", e))?
            .plan;
        self.billing.plan(code).await.map_err(store_err)
    }

    /// The tenant's plan, for its own billing readers.
    pub async fn my_plan(
        &self,
        caller: &Caller,
        tenant: TenantId,
    ) -> Result<BillingPlan, AppError> {
        caller.require(tenant, Permission::BillingRead)?;
        self.tenant_plan(tenant).await
    }

    /// Closes the month starting at `start` into an invoice: seats (the tenant's user
    /// accounts now), API units metered in the month, priced on the tenant's plan.
    /// Returns the invoice and whether this call created it (`false`: it was closed
    /// already, and this is that invoice).
    pub async fn close_period(
        &self,
        caller: &Caller,
        tenant: TenantId,
        start: time::OffsetDateTime,
    ) -> Result<(Invoice, bool), AppError> {
        caller.require_platform()?;
        let end = nexus_domain::usage::next_month(start);
        if start != nexus_domain::usage::month_of(start) {
            return Err(field(
                "period",
                "format",
                "a period is a whole month, YYYY-MM",
            ));
        }
        // Stored to the microsecond; a document reads back exactly as it was closed.
        let now = micros(self.clock.now());
        if now < end + CLOSE_GRACE {
            return Err(field(
                "period",
                "not_ended",
                "the period has not ended yet (it can be closed an hour after its end)",
            ));
        }
        if let Some(done) = self
            .billing
            .period_invoice(tenant, start)
            .await
            .map_err(store_err)?
        {
            return Ok((done, false));
        }
        let plan = self.tenant_plan(tenant).await?;
        let seats = self
            .users
            .list(
                tenant,
                &UserQuery {
                    page: PageRequest::new(Some(1), None)
                        .map_err(|e| AppError::invalid_field("limit", e))?,
                    ..UserQuery::default()
                },
            )
            .await
            .map_err(store_err)?
            .total;
        let units = self
            .usage
            .units(tenant, start, end)
            .await
            .map_err(store_err)?;
        let totals = billing::close_period(&plan, PeriodUsage { seats, units });
        let invoice = Invoice {
            id: InvoiceId::generate(self.clock.as_ref()),
            tenant,
            kind: DocumentKind::Invoice,
            number: format!("INV-{}-{}", billing::month_label(start), tenant_tag(tenant)),
            period_start: start,
            period_end: end,
            plan: plan.code,
            currency: plan.currency.clone(),
            lines: totals.lines,
            total: totals.total,
            credit_for: None,
            reason: None,
            issued_at: now,
        };
        let mut tx = self.db.begin(Some(tenant)).await.map_err(store_err)?;
        match self
            .billing
            .insert_document(tx.as_mut(), tenant, &invoice)
            .await
        {
            Ok(()) => {}
            // Closed meanwhile (the job and an admin at once): that one stands.
            Err(StoreError::Conflict { .. }) => {
                drop(tx);
                let done = self
                    .billing
                    .period_invoice(tenant, start)
                    .await
                    .map_err(store_err)?
                    .ok_or(AppError::NotFound {
                        resource: "invoice",
                    })?;
                return Ok((done, false));
            }
            Err(e) => return Err(store_err(e)),
        }
        let diff = json!({
            "number": invoice.number,
            "period": billing::month_label(start),
            "seats": seats,
            "units": units,
            "total": invoice.total.to_string(),
        });
        self.announce_close(tx.as_mut(), caller, tenant, &invoice, diff)
            .await?;
        tx.commit().await.map_err(store_err)?;
        Ok((invoice, true))
    }

    /// Audits a closed invoice and raises `invoice.closed`, in the closing transaction.
    async fn announce_close(
        &self,
        tx: &mut dyn nexus_store::Tx,
        caller: &Caller,
        tenant: TenantId,
        invoice: &Invoice,
        diff: serde_json::Value,
    ) -> Result<(), AppError> {
        let data = json!({
            "invoice_id": invoice.id,
            "number": invoice.number,
            "period": diff["period"],
            "total": invoice.total.to_string(),
        });
        let r = Record {
            tenant: Some(tenant),
            action: "billing.invoice_close",
            target: format!("invoice:{}", invoice.id),
            diff: Some(diff),
        };
        self.audit.record_in(tx, caller, r).await?;
        self.outbox
            .emit_in(tx, tenant, EventType::InvoiceClosed, None, data)
            .await?;
        Ok(())
    }

    /// Issues a credit note of `amount` against an invoice (platform admins).
    pub async fn credit(
        &self,
        caller: &Caller,
        tenant: TenantId,
        invoice: InvoiceId,
        amount: Decimal,
        reason: &str,
    ) -> Result<Invoice, AppError> {
        caller.require_platform()?;
        let original = self
            .billing
            .document(tenant, invoice)
            .await
            .map_err(store_err)?;
        let credits = self
            .billing
            .credits(tenant, invoice)
            .await
            .map_err(store_err)?;
        let totals = billing::credit_note(&original, credited(&credits), amount, reason).map_err(
            |e| match e {
                CreditError::NotAnInvoice => field("invoice", "not_an_invoice", e.to_string()),
                CreditError::BadAmount | CreditError::TooMuch { .. } => {
                    field("amount", "out_of_range", e.to_string())
                }
                CreditError::NoReason => field("reason", "length", e.to_string()),
            },
        )?;
        let note = Invoice {
            id: InvoiceId::generate(self.clock.as_ref()),
            kind: DocumentKind::CreditNote,
            number: format!(
                "CN-{}-{}",
                original.number.trim_start_matches("INV-"),
                credits.len() + 1
            ),
            lines: totals.lines,
            total: totals.total,
            credit_for: Some(original.id),
            reason: Some(reason.trim().to_owned()),
            issued_at: micros(self.clock.now()),
            ..original.clone()
        };
        let mut tx = self.db.begin(Some(tenant)).await.map_err(store_err)?;
        self.billing
            .insert_document(tx.as_mut(), tenant, &note)
            .await
            .map_err(|e| match e {
                StoreError::Conflict { .. } => AppError::Conflict {
                    code: "credit_note_conflict",
                    message: "another credit note was issued against this invoice at the same time; retry",
                },
                e => store_err(e),
            })?;
        let r = Record {
            tenant: Some(tenant),
            action: "billing.credit_note",
            target: format!("invoice:{}", original.id),
            diff: Some(json!({
                "credit_note": note.number,
                "amount": amount.to_string(),
                "reason": note.reason,
            })),
        };
        self.audit.record_in(tx.as_mut(), caller, r).await?;
        tx.commit().await.map_err(store_err)?;
        Ok(note)
    }

    /// The tenant's invoices and credit notes, newest first (`billing:read`, or a
    /// platform admin).
    pub async fn documents(
        &self,
        caller: &Caller,
        tenant: TenantId,
        page: PageRequest,
    ) -> Result<Page<Invoice>, AppError> {
        if caller.require_platform().is_err() {
            caller.require(tenant, Permission::BillingRead)?;
        }
        self.billing
            .documents(tenant, page)
            .await
            .map_err(store_err)
    }

    /// One document, with how to pay it when it is an invoice.
    pub async fn document(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: InvoiceId,
    ) -> Result<(Invoice, Option<PaymentInstructions>), AppError> {
        if caller.require_platform().is_err() {
            caller.require(tenant, Permission::BillingRead)?;
        }
        let doc = self.billing.document(tenant, id).await.map_err(store_err)?;
        if doc.kind != DocumentKind::Invoice {
            return Ok((doc, None));
        }
        // What is left after credit notes; nothing to pay, no instructions.
        let credits = self.billing.credits(tenant, id).await.map_err(store_err)?;
        let due = doc.total - credited(&credits);
        let pay = (due > Decimal::ZERO).then(|| self.provider.instructions(&doc, due));
        Ok((doc, pay))
    }

    /// Closes every month of the last [`CATCH_UP_MONTHS`] that `tenant` existed in
    /// and has no invoice for yet (the daily job; idempotent, so a job that failed for
    /// a while catches up). A tenant created after a month ended has nothing to bill
    /// for it (a platform admin can still close any period by hand). Returns how many
    /// invoices it created.
    pub async fn close_missed_months(&self, tenant: TenantId) -> Result<u32, AppError> {
        use nexus_domain::usage::{month_of, next_month};
        let now = self.clock.now();
        let created = self
            .db
            .tenants()
            .get(tenant)
            .await
            .map_err(|e| AppError::from_store("tenant", e))?
            .created_at;
        let mut start = month_of(now);
        for _ in 0..CATCH_UP_MONTHS {
            start = month_of(start - time::Duration::days(1));
        }
        let mut made = 0;
        while next_month(start) + CLOSE_GRACE <= now {
            if created < next_month(start) {
                let (_, new) = self.close_period(&Caller::system(), tenant, start).await?;
                made += u32::from(new);
            }
            start = next_month(start);
        }
        Ok(made)
    }
}

fn micros(t: time::OffsetDateTime) -> time::OffsetDateTime {
    t.replace_nanosecond(t.nanosecond() / 1000 * 1000)
        .unwrap_or(t)
}

/// A short, stable, unique-per-tenant tag for document numbers: the random tail of the
/// tenant's UUIDv7 (its head is a timestamp, shared by tenants created together).
fn tenant_tag(tenant: TenantId) -> String {
    let s = tenant.as_uuid().simple().to_string();
    s[s.len() - 12..].to_owned()
}

fn plan_json(p: &BillingPlan) -> serde_json::Value {
    json!({
        "name": p.name,
        "currency": p.currency,
        "seat_price": p.seat_price.to_string(),
        "included_units": p.included_units,
        "overage_per_1000": p.overage_per_1000.to_string(),
    })
}
