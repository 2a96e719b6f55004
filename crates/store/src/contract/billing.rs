//! Billing cases: plans as data, a tenant's plan, documents written once (one invoice
//! per period, unique numbers), credit notes found by their invoice, newest first, and
//! tenant isolation.

use super::*;
use nexus_domain::billing::{
    BillingPlan, DocumentKind, Invoice, InvoiceId, InvoiceLine, LineKind, Plan,
};
use rust_decimal::Decimal;
use std::str::FromStr;
use time::macros::datetime;

fn doc(c: &ManualClock, t: TenantId, kind: DocumentKind, number: &str, total: &str) -> Invoice {
    let amount = Decimal::from_str(total).unwrap();
    Invoice {
        id: InvoiceId::generate(c),
        tenant: t,
        kind,
        number: number.to_owned(),
        period_start: datetime!(2026-11-01 0:00 UTC),
        period_end: datetime!(2026-12-01 0:00 UTC),
        plan: Plan::Advanced,
        currency: "USD".to_owned(),
        lines: vec![InvoiceLine {
            kind: if kind == DocumentKind::Invoice {
                LineKind::Seats
            } else {
                LineKind::Credit
            },
            description: "line".to_owned(),
            quantity: Decimal::from_str("1.5").unwrap(),
            unit_price: amount,
            amount,
        }],
        total: amount,
        credit_for: None,
        reason: None,
        issued_at: c.now(),
    }
}

pub(super) async fn billing_documents_plans_and_isolation(db: Arc<dyn Database>) {
    let c = clock();
    let t = add_tenant(&db, &c, "bills", "Bills").await;
    let other = add_tenant(&db, &c, "bills-2", "Other").await;
    let billing = db.billing();

    let plans = billing.plans().await.unwrap();
    assert_eq!(
        plans.iter().map(|p| p.code).collect::<Vec<_>>(),
        Plan::ALL.to_vec()
    );
    let basic = billing.plan(Plan::Basic).await.unwrap();
    assert_eq!(basic.included_units, 100_000);
    let changed = BillingPlan {
        seat_price: Decimal::from_str("4.25").unwrap(),
        overage_per_1000: Decimal::from_str("0.0125").unwrap(),
        ..basic
    };
    committed!(platform db, |tx| billing.put_plan(tx, &changed, c.now())).unwrap();
    assert_eq!(billing.plan(Plan::Basic).await.unwrap(), changed);

    let invoice = doc(&c, t, DocumentKind::Invoice, "INV-2026-11-a", "296.60");
    committed!(db, t, |tx| billing.insert_document(tx, t, &invoice)).unwrap();
    assert_eq!(billing.document(t, invoice.id).await.unwrap(), invoice);
    assert_eq!(
        billing
            .period_invoice(t, datetime!(2026-11-01 0:00 UTC))
            .await
            .unwrap(),
        Some(invoice.clone())
    );
    assert_eq!(
        billing
            .period_invoice(t, datetime!(2026-10-01 0:00 UTC))
            .await
            .unwrap(),
        None
    );
    // One invoice per tenant and period.
    let again = doc(&c, t, DocumentKind::Invoice, "INV-2026-11-b", "1.00");
    assert!(matches!(
        committed!(db, t, |tx| billing.insert_document(tx, t, &again)),
        Err(StoreError::Conflict {
            constraint: "invoice_period_key"
        })
    ));
    // Credit notes share the period but not the number.
    c.advance(time::Duration::seconds(1));
    let credit = Invoice {
        credit_for: Some(invoice.id),
        reason: Some("test seats".to_owned()),
        ..doc(&c, t, DocumentKind::CreditNote, "CN-2026-11-a-1", "-12.50")
    };
    committed!(db, t, |tx| billing.insert_document(tx, t, &credit)).unwrap();
    let dup_number = doc(&c, t, DocumentKind::CreditNote, "CN-2026-11-a-1", "-1.00");
    assert!(matches!(
        committed!(db, t, |tx| billing.insert_document(tx, t, &dup_number)),
        Err(StoreError::Conflict {
            constraint: "invoice_number_key"
        })
    ));
    assert_eq!(
        billing.credits(t, invoice.id).await.unwrap(),
        vec![credit.clone()]
    );
    assert_eq!(
        nexus_store_billing_credited(&billing.credits(t, invoice.id).await.unwrap()),
        Decimal::from_str("12.50").unwrap()
    );

    let page = billing.documents(t, PageRequest::default()).await.unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(page.items, vec![credit, invoice.clone()]);

    // Isolation.
    assert!(matches!(
        billing.document(other, invoice.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        billing
            .documents(other, PageRequest::default())
            .await
            .unwrap()
            .total,
        0
    );
    assert!(billing.credits(other, invoice.id).await.unwrap().is_empty());
}

fn nexus_store_billing_credited(credits: &[Invoice]) -> Decimal {
    crate::billing::credited(credits)
}
