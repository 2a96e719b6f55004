//! Billing end to end: plans as data, a tenant's plan, closing last month from real
//! seats and metered units (idempotently), the invoice as JSON, CSV and printable HTML,
//! credit notes that never exceed their invoice, the audit trail, and the database
//! refusing to change a closed document.

use crate::auth::token_of;
use crate::harness::{TestApp, problem};
use nexus_domain::TenantId;
use nexus_domain::usage::{Caller, LatencyBucket, UsageCount, UsageKey, UsageRow};
use nexus_domain::user::Role;
use serde_json::{Value, json};
use sqlx::Connection;

const PW: &str = "correct horse battery staple";
const HOST: &str = "bill.localhost";

fn last_month(now: time::OffsetDateTime) -> time::OffsetDateTime {
    let this = nexus_domain::usage::month_of(now);
    nexus_domain::usage::month_of(this - time::Duration::days(1))
}

/// Mid-November 2026: last month (October) is long over, whatever day the suite runs.
fn mid_month() -> std::sync::Arc<nexus_domain::ManualClock> {
    std::sync::Arc::new(nexus_domain::ManualClock::at_unix(1_794_744_000))
}

async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_month_closes_into_an_invoice_that_credit_notes_correct() {
    let app = TestApp::builder().clock(mid_month()).spawn().await;
    let tenant: TenantId = app
        .user("bill", "admin@bill.example", PW, Role::Admin)
        .await;
    app.user("bill", "a@bill.example", PW, Role::Learner).await;
    app.user("bill", "b@bill.example", PW, Role::Learner).await;
    let (admin, _, _) = token_of(app.login("bill", "admin@bill.example", PW, None).await).await;
    let (learner, _, _) = token_of(app.login("bill", "a@bill.example", PW, None).await).await;
    let get = |path: &str, token: &str| {
        app.client
            .get(app.url(path))
            .header("host", HOST)
            .bearer_auth(token)
    };

    // Plans are data: listed, and their prices changed by the platform.
    let (status, plans) = send(app.platform(reqwest::Method::GET, "/billing/plans")).await;
    assert_eq!(status, 200);
    let codes: Vec<&str> = plans
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["free", "basic", "advanced", "professional"]);
    let (status, bad) = send(
        app.platform(reqwest::Method::PUT, "/billing/plans/advanced")
            .json(
                &json!({ "name": "Advanced", "currency": "USD", "seat_price": "8.001",
                "included_units": 1_000_000, "overage_per_1000": "0.40" }),
            ),
    )
    .await;
    assert_eq!(status, 422, "{bad}");
    assert_eq!(bad["errors"][0]["field"], "seat_price");
    let (status, _) = send(
        app.platform(reqwest::Method::PUT, "/billing/plans/advanced")
            .json(
                &json!({ "name": "Advanced", "currency": "USD", "seat_price": "8.00",
                "included_units": 1_000_000, "overage_per_1000": "0.40" }),
            ),
    )
    .await;
    assert_eq!(status, 200);

    // The tenant starts on the free plan, and is moved to advanced.
    let (_, plan) = send(get("/v1/billing/plan", &admin)).await;
    assert_eq!(plan["code"], "free");
    let (status, t) = send(
        app.platform(reqwest::Method::PATCH, &format!("/tenants/{tenant}"))
            .json(&json!({ "plan": "advanced" })),
    )
    .await;
    assert_eq!((status, t["plan"].as_str()), (200, Some("advanced")));
    let (_, plan) = send(get("/v1/billing/plan", &admin)).await;
    assert_eq!(
        (plan["code"].as_str(), plan["seat_price"].as_str()),
        (Some("advanced"), Some("8"))
    );

    // Last month: 1,001,500 API units metered (1,500 over the allowance).
    let start = last_month(app.wired.clock.now());
    app.wired
        .db
        .usage()
        .add(
            tenant,
            &[UsageRow {
                key: UsageKey {
                    hour: start + time::Duration::hours(5),
                    caller: Caller::Session,
                    route: "GET /v1/courses".into(),
                    status_class: 2,
                    latency: LatencyBucket::of_micros(1_000),
                },
                count: UsageCount {
                    requests: 1_001_500,
                    units: 1_001_500,
                },
            }],
        )
        .await
        .unwrap();
    let period = nexus_domain::billing::month_label(start);
    let close = || {
        app.platform(
            reqwest::Method::POST,
            &format!("/tenants/{tenant}/invoices"),
        )
        .json(&json!({ "period": period }))
    };
    let (status, invoice) = send(close()).await;
    assert_eq!(status, 201, "{invoice}");
    // 3 seats × 8.00 + 1.5 thousand × 0.40.
    assert_eq!(invoice["total"], "24.60");
    assert_eq!(invoice["lines"][0]["amount"], "24.00");
    assert_eq!(invoice["lines"][0]["quantity"], "3");
    assert_eq!(invoice["lines"][2]["kind"], "api_overage");
    assert_eq!(invoice["lines"][2]["quantity"], "1.5");
    assert_eq!(invoice["lines"][2]["amount"], "0.60");
    assert_eq!(invoice["period"], period);
    let id = invoice["id"].as_str().unwrap().to_owned();
    // Closing again is idempotent.
    let (status, again) = send(close()).await;
    assert_eq!((status, &again["id"]), (200, &invoice["id"]));
    // This month has not ended; a malformed period is refused.
    let this =
        nexus_domain::billing::month_label(nexus_domain::usage::month_of(app.wired.clock.now()));
    for (bad, code) in [(this.as_str(), "not_ended"), ("2026-13", "format")] {
        let (status, body) = send(
            app.platform(
                reqwest::Method::POST,
                &format!("/tenants/{tenant}/invoices"),
            )
            .json(&json!({ "period": bad })),
        )
        .await;
        assert_eq!(status, 422, "{bad}: {body}");
        assert_eq!(body["errors"][0]["code"], code);
    }

    // The tenant's billing readers see it, with how to pay; learners do not.
    let (status, list) = send(get("/v1/invoices", &admin)).await;
    assert_eq!((status, list["total"].as_u64()), (200, Some(1)));
    let (_, shown) = send(get(&format!("/v1/invoices/{id}"), &admin)).await;
    let pay = shown["payment"]["instructions"].as_str().unwrap();
    assert!(pay.contains(invoice["number"].as_str().unwrap()), "{pay}");
    assert!(pay.starts_with("Pay 24.60 USD"), "{pay}");
    problem(
        get("/v1/invoices", &learner).send().await.unwrap(),
        403,
        "forbidden",
    )
    .await;
    let csv = get(&format!("/v1/invoices/{id}/csv"), &admin)
        .send()
        .await
        .unwrap();
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(
        lines[1].ends_with(",seats,Advanced plan: 3 seat(s),3,8,24.00"),
        "{csv}"
    );
    assert!(lines[4].ends_with(",total,,,,24.60"), "{csv}");

    // Credit notes: negative, never more than the invoice in total, reasons escaped.
    let credit = |amount: &str, reason: &str| {
        app.platform(
            reqwest::Method::POST,
            &format!("/tenants/{tenant}/invoices/{id}/credit-notes"),
        )
        .json(&json!({ "amount": amount, "reason": reason }))
    };
    let (status, cn) = send(credit("10.00", "<b>two</b> test accounts")).await;
    assert_eq!(status, 201, "{cn}");
    assert_eq!(cn["kind"], "credit_note");
    assert_eq!(cn["total"], "-10.00");
    assert_eq!(cn["credit_for"], invoice["id"]);
    let (status, too_much) = send(credit("14.61", "more")).await;
    assert_eq!(status, 422);
    assert!(
        too_much["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("14.60")
    );
    let (status, _) = send(credit("14.60", "the rest")).await;
    assert_eq!(status, 201);
    let (status, _) = send(credit("0.01", "nothing left")).await;
    assert_eq!(status, 422);
    let (_, list) = send(get("/v1/invoices", &admin)).await;
    assert_eq!(list["total"], 3);
    let cn_id = cn["id"].as_str().unwrap();
    let page = get(&format!("/v1/invoices/{cn_id}/html"), &admin)
        .send()
        .await
        .unwrap();
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'")
    );
    let page = page.text().await.unwrap();
    assert!(page.contains("Credit note"));
    assert!(page.contains("&lt;b&gt;two&lt;/b&gt;"), "{page}");
    assert!(!page.contains("<b>two</b>"));

    // Fully credited: nothing left to pay, so no payment instructions.
    let (_, paid) = send(get(&format!("/v1/invoices/{id}"), &admin)).await;
    assert!(paid["payment"].is_null(), "{paid}");

    // The plan's prices change after the close; the closed invoice does not, and
    // closing the period again returns it unchanged.
    let (status, _) = send(
        app.platform(reqwest::Method::PUT, "/billing/plans/advanced")
            .json(
                &json!({ "name": "Advanced", "currency": "USD", "seat_price": "12.00",
                "included_units": 10, "overage_per_1000": "9.00" }),
            ),
    )
    .await;
    assert_eq!(status, 200);
    let (_, now) = send(get(&format!("/v1/invoices/{id}"), &admin)).await;
    assert_eq!(now["total"], "24.60");
    assert_eq!(now["lines"][0]["unit_price"], "8");
    let (status, again) = send(close()).await;
    assert_eq!((status, again["total"].as_str()), (200, Some("24.60")));

    // Every admin action is in the audit trail.
    let (_, audit) = send(app.platform(
        reqwest::Method::GET,
        &format!("/audit?tenant={tenant}&limit=200"),
    ))
    .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "tenant.update",
        "billing.invoice_close",
        "billing.credit_note",
    ] {
        assert!(actions.contains(&a), "{a} not in {actions:?}");
    }
}

/// The database itself refuses to change or delete a closed document, whoever asks.
#[tokio::test]
async fn closed_documents_cannot_be_changed_in_the_database() {
    let app = TestApp::builder().clock(mid_month()).spawn().await;
    let tenant: TenantId = app
        .user("bill", "admin@bill.example", PW, Role::Admin)
        .await;
    let start = last_month(app.wired.clock.now());
    let (invoice, created) = app
        .wired
        .services
        .billing
        .close_period(&nexus_app::Caller::system(), tenant, start)
        .await
        .unwrap();
    assert!(created);
    let db = app.db.as_ref().unwrap();
    let url = db.url().to_owned();
    // As the database owner (not the restricted application role): the trigger, not
    // a missing grant, is what refuses.
    let mut statements = vec!["update invoice set total = '0'", "delete from invoice"];
    if db.is_postgres() {
        statements.push("truncate invoice");
    }
    let mut errors = Vec::new();
    for sql in statements {
        let refused = if db.is_postgres() {
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::query(sql).execute(&mut c).await.map(|_| ())
        } else {
            let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::query(sql).execute(&mut c).await.map(|_| ())
        };
        errors.push(refused.unwrap_err().to_string());
    }
    for e in errors {
        assert!(e.contains("immutable"), "{e}");
    }
    let kept = app
        .wired
        .db
        .billing()
        .document(tenant, invoice.id)
        .await
        .unwrap();
    assert_eq!(kept, invoice);
}

/// The daily job bills only months the tenant existed in, once each, and catches up.
#[tokio::test]
async fn the_daily_close_bills_each_month_the_tenant_existed_in_once() {
    let clock = mid_month();
    let app = TestApp::builder().clock(clock.clone()).spawn().await;
    let tenant: TenantId = app
        .user("bill", "admin@bill.example", PW, Role::Admin)
        .await;
    let billing = &app.wired.services.billing;
    // Created in November: October is not its to pay.
    assert_eq!(billing.close_missed_months(tenant).await.unwrap(), 0);
    // 1 December, 00:30: November ended, but within the grace hour.
    clock.advance(
        time::Duration::days(15) + time::Duration::hours(12) + time::Duration::minutes(30),
    );
    assert_eq!(billing.close_missed_months(tenant).await.unwrap(), 0);
    clock.advance(time::Duration::hours(1));
    assert_eq!(billing.close_missed_months(tenant).await.unwrap(), 1);
    assert_eq!(billing.close_missed_months(tenant).await.unwrap(), 0);
    // A missed January: February's run closes December and January.
    clock.advance(time::Duration::days(62));
    assert_eq!(billing.close_missed_months(tenant).await.unwrap(), 2);
    let docs = app
        .wired
        .db
        .billing()
        .documents(tenant, nexus_domain::paging::PageRequest::default())
        .await
        .unwrap();
    let periods: Vec<String> = docs
        .items
        .iter()
        .map(|d| nexus_domain::billing::month_label(d.period_start))
        .collect();
    assert_eq!(periods.len(), 3);
    for m in ["2026-11", "2026-12", "2027-01"] {
        assert!(periods.contains(&m.to_owned()), "{periods:?}");
    }
}

/// Two credit notes raced against one invoice can never credit more than it: whatever
/// the timing, exactly one of two 20.00 credits against 24.60 is issued.
#[tokio::test]
async fn racing_credit_notes_never_exceed_the_invoice() {
    let app = TestApp::builder().clock(mid_month()).spawn().await;
    let tenant: TenantId = app
        .user("bill", "admin@bill.example", PW, Role::Admin)
        .await;
    app.user("bill", "a@bill.example", PW, Role::Learner).await;
    app.user("bill", "b@bill.example", PW, Role::Learner).await;
    let (status, _) = send(
        app.platform(reqwest::Method::PATCH, &format!("/tenants/{tenant}"))
            .json(&json!({ "plan": "advanced" })),
    )
    .await;
    assert_eq!(status, 200);
    let start = last_month(app.wired.clock.now());
    let (status, invoice) = send(
        app.platform(
            reqwest::Method::POST,
            &format!("/tenants/{tenant}/invoices"),
        )
        .json(&json!({ "period": nexus_domain::billing::month_label(start) })),
    )
    .await;
    assert_eq!((status, invoice["total"].as_str()), (201, Some("24.00")));
    let id = invoice["id"].as_str().unwrap();
    let credit = || {
        send(
            app.platform(
                reqwest::Method::POST,
                &format!("/tenants/{tenant}/invoices/{id}/credit-notes"),
            )
            .json(&json!({ "amount": "20.00", "reason": "race" })),
        )
    };
    let (a, b) = tokio::join!(credit(), credit());
    let mut statuses = [a.0, b.0];
    statuses.sort_unstable();
    assert_eq!(statuses[0], 201, "{a:?} {b:?}");
    assert!(matches!(statuses[1], 409 | 422), "{a:?} {b:?}");
    let credits = app
        .wired
        .db
        .billing()
        .credits(tenant, id.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(credits.len(), 1);
}
