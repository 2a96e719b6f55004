use super::signature::{SignatureError, sign, verify};
use super::*;
use crate::TenantId;
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::str::FromStr;
use time::macros::datetime;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn plan(seat: &str, included: u64, overage: &str) -> BillingPlan {
    BillingPlan::parse(
        Plan::Advanced,
        PlanInput {
            name: "Advanced".into(),
            currency: "USD".into(),
            seat_price: d(seat),
            included_units: included,
            overage_per_1000: d(overage),
        },
    )
    .unwrap()
}

fn invoice(total_of: &Totals) -> Invoice {
    Invoice {
        id: InvoiceId::from_uuid(uuid::Uuid::nil()),
        tenant: TenantId::from_uuid(uuid::Uuid::nil()),
        kind: DocumentKind::Invoice,
        number: "INV-2026-11-00000000".into(),
        period_start: datetime!(2026-11-01 0:00 UTC),
        period_end: datetime!(2026-12-01 0:00 UTC),
        plan: Plan::Advanced,
        currency: "USD".into(),
        lines: total_of.lines.clone(),
        total: total_of.total,
        credit_for: None,
        reason: None,
        issued_at: datetime!(2026-12-01 1:00 UTC),
    }
}

#[test]
fn a_period_is_seats_plus_overage_per_thousand() {
    let p = plan("8.00", 1_000_000, "0.40");
    let t = close_period(
        &p,
        PeriodUsage {
            seats: 37,
            units: 1_001_500,
        },
    );
    assert_eq!(t.lines.len(), 3);
    assert_eq!(t.lines[0].amount, d("296.00"));
    assert_eq!(t.lines[1].kind, LineKind::IncludedUnits);
    assert_eq!(t.lines[1].quantity, d("1000000"));
    assert_eq!(t.lines[1].amount, Decimal::ZERO);
    // 1,500 units over: 1.5 thousands at 0.40 = 0.60.
    assert_eq!(t.lines[2].quantity, d("1.5"));
    assert_eq!(t.lines[2].amount, d("0.60"));
    assert_eq!(t.total, d("296.60"));
    // Within the allowance: no overage line.
    let within = close_period(
        &p,
        PeriodUsage {
            seats: 1,
            units: 10,
        },
    );
    assert_eq!(within.lines.len(), 2);
    assert_eq!(within.total, d("8.00"));
}

#[test]
fn cents_round_half_away_from_zero_once_per_line() {
    // 3 units over at 0.0050 per thousand = 0.000015: rounds to 0.00, not up.
    let p = plan("0", 0, "0.0050");
    assert_eq!(
        close_period(&p, PeriodUsage { seats: 0, units: 3 }).total,
        d("0.00")
    );
    // 1,000 over at 0.0050 = 0.005: half rounds away from zero.
    assert_eq!(
        close_period(
            &p,
            PeriodUsage {
                seats: 0,
                units: 1_000
            }
        )
        .total,
        d("0.01")
    );
    assert_eq!(round_cents(d("-0.005")), d("-0.01"));
    assert_eq!(round_cents(d("2.344")), d("2.34"));
}

#[test]
fn plans_refuse_bad_prices_and_currencies() {
    let bad = |seat: &str, overage: &str, currency: &str| {
        BillingPlan::parse(
            Plan::Basic,
            PlanInput {
                name: "Basic".into(),
                currency: currency.into(),
                seat_price: d(seat),
                included_units: 1,
                overage_per_1000: d(overage),
            },
        )
        .unwrap_err()
        .as_slice()
        .iter()
        .map(|e| e.field.clone())
        .collect::<Vec<_>>()
    };
    assert_eq!(bad("-1", "0", "USD"), ["seat_price"]);
    assert_eq!(
        bad("1.001", "0.00001", "usd"),
        ["currency", "seat_price", "overage_per_1000"]
    );
    let ok = plan("4.50", 100, "0.5000");
    assert_eq!(ok.seat_price.to_string(), "4.5");
    for code in Plan::ALL {
        assert_eq!(Plan::parse(code.as_str()), Ok(code));
    }
}

#[test]
fn credit_notes_follow_their_rules() {
    let t = close_period(&plan("10.00", 0, "1"), PeriodUsage { seats: 3, units: 0 });
    let inv = invoice(&t);
    assert_eq!(inv.total, d("30.00"));
    let cn = credit_note(
        &inv,
        Decimal::ZERO,
        d("12.50"),
        "two seats were test accounts",
    )
    .unwrap();
    assert_eq!(cn.total, d("-12.50"));
    assert_eq!(cn.lines[0].kind, LineKind::Credit);
    assert_eq!(
        credit_note(&inv, d("12.50"), d("17.51"), "x"),
        Err(CreditError::TooMuch { left: d("17.50") })
    );
    assert_eq!(
        credit_note(&inv, Decimal::ZERO, d("0"), "x"),
        Err(CreditError::BadAmount)
    );
    assert_eq!(
        credit_note(&inv, Decimal::ZERO, d("1.005"), "x"),
        Err(CreditError::BadAmount)
    );
    assert_eq!(
        credit_note(&inv, Decimal::ZERO, d("1"), "  "),
        Err(CreditError::NoReason)
    );
    let credit = Invoice {
        kind: DocumentKind::CreditNote,
        ..inv
    };
    assert_eq!(
        credit_note(&credit, Decimal::ZERO, d("1"), "x"),
        Err(CreditError::NotAnInvoice)
    );
}

#[test]
fn months_parse_and_print() {
    assert_eq!(parse_month("2026-11"), Some(datetime!(2026-11-01 0:00 UTC)));
    assert_eq!(month_label(datetime!(2027-01-01 0:00 UTC)), "2027-01");
    for bad in [
        "2026-13", "2026-1", "26-11", "2026/11", "", "2026-00", "+202-11", "2026-+1",
    ] {
        assert_eq!(parse_month(bad), None, "{bad}");
    }
}

#[test]
fn webhook_signatures_verify_and_refuse() {
    let secret = b"whsec_test";
    let body = br#"{"type":"payment.succeeded"}"#;
    let sig = sign(secret, 1_800_000_000, body);
    let header = format!("t=1800000000,v1={sig}");
    assert_eq!(verify(secret, &header, body, 1_800_000_100, 300), Ok(()));
    // A rotated secret: either signature may match.
    let both = format!(
        "t=1800000000,v1={},v1={sig}",
        sign(b"old", 1_800_000_000, body)
    );
    assert_eq!(verify(secret, &both, body, 1_800_000_000, 300), Ok(()));
    assert_eq!(
        verify(
            secret,
            &header,
            b"{\"type\":\"payment.failed\"}",
            1_800_000_000,
            300
        ),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify(b"other", &header, body, 1_800_000_000, 300),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify(secret, &header, body, 1_800_000_301, 300),
        Err(SignatureError::Stale)
    );
    for bad in ["", "t=1", "v1=abc", "garbage", "t=x,v1=00"] {
        assert_eq!(
            verify(secret, bad, body, 1_800_000_000, 300),
            Err(SignatureError::Malformed),
            "{bad}"
        );
    }
}

fn money() -> impl Strategy<Value = Decimal> {
    (0i64..10_000_000).prop_map(|c| Decimal::new(c, 2))
}

fn fine_price() -> impl Strategy<Value = Decimal> {
    (0i64..100_000_000).prop_map(|c| Decimal::new(c, 4))
}

proptest! {
    #[test]
    fn totals_are_the_exact_sum_of_cent_lines(
        seat in money(),
        overage in fine_price(),
        included in 0u64..10_000_000,
        seats in 0u64..100_000,
        units in 0u64..1_000_000_000,
    ) {
        let p = BillingPlan {
            code: Plan::Professional,
            name: "P".into(),
            currency: "USD".into(),
            seat_price: seat,
            included_units: included,
            overage_per_1000: overage,
        };
        let t = close_period(&p, PeriodUsage { seats, units });
        let sum: Decimal = t.lines.iter().map(|l| l.amount).sum();
        prop_assert_eq!(t.total, sum);
        for l in &t.lines {
            prop_assert!(l.amount.scale() <= 2, "{:?}", l);
            prop_assert!(l.amount >= Decimal::ZERO);
            // Each line is its quantity times its price, to the cent.
            prop_assert!((l.amount - l.quantity * l.unit_price).abs() <= Decimal::new(5, 3));
        }
        prop_assert_eq!(t.lines[0].amount, round_cents(Decimal::from(seats) * seat));
    }

    #[test]
    fn more_units_never_cost_less(
        overage in fine_price(),
        included in 0u64..1_000_000,
        a in 0u64..100_000_000,
        b in 0u64..100_000_000,
    ) {
        let p = BillingPlan {
            code: Plan::Basic,
            name: "B".into(),
            currency: "USD".into(),
            seat_price: Decimal::ZERO,
            included_units: included,
            overage_per_1000: overage,
        };
        let (lo, hi) = (a.min(b), a.max(b));
        let cost = |units| close_period(&p, PeriodUsage { seats: 0, units }).total;
        prop_assert!(cost(lo) <= cost(hi));
        if hi <= included {
            prop_assert_eq!(cost(hi), Decimal::ZERO);
        }
    }

    #[test]
    fn credits_never_exceed_the_invoice(
        seats in 0u64..1_000,
        attempts in proptest::collection::vec(1i64..50_000, 0..20),
    ) {
        let t = close_period(&plan("19.99", 0, "0"), PeriodUsage { seats, units: 0 });
        let inv = invoice(&t);
        let mut credited = Decimal::ZERO;
        for cents in attempts {
            let amount = Decimal::new(cents, 2);
            match credit_note(&inv, credited, amount, "correction") {
                Ok(cn) => {
                    prop_assert_eq!(cn.total, -amount);
                    credited += amount;
                }
                Err(CreditError::TooMuch { left }) => {
                    prop_assert_eq!(left, inv.total - credited);
                    prop_assert!(amount > left);
                }
                Err(e) => prop_assert!(false, "{e}"),
            }
            prop_assert!(credited <= inv.total);
        }
    }
}
