//! Observability (issue 7), first part: RED metrics per route template, requests in
//! flight and the database pool, scraped from the separate metrics listener after a
//! real flow.

use crate::auth::{PW, signed, token_of};
use crate::harness::TestApp;
use nexus_domain::user::Role;
use reqwest::Method;

fn sample(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn requests_are_counted_per_route_template_with_latency_buckets() {
    let app = TestApp::builder()
        .env("NEXUS_METRICS_ADDR", "127.0.0.1:0")
        .spawn()
        .await;
    app.user("school", "admin@school.example", PW, Role::Admin)
        .await;
    let (admin, _, _) = token_of(app.login("school", "admin@school.example", PW, None).await).await;
    for _ in 0..3 {
        let r = signed(&app, Method::GET, "/v1/tenant", "school", &admin)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    // A concrete ID is reported under its template, an unknown path as `unmatched`.
    let r = signed(
        &app,
        Method::GET,
        "/v1/users/0190d9a8-0000-7000-8000-000000000000",
        "school",
        &admin,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 404);
    let r = app
        .client
        .get(app.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // The public port does not serve metrics; the metrics listener does.
    let public = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(public.status(), 404);
    let url = format!("http://{}/metrics", app.metrics_addr.unwrap());
    let text = app
        .client
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let ok = sample(
        &text,
        r#"nexus_http_requests_total{route="/v1/tenant",method="GET",status="2xx"}"#,
    );
    assert!(ok.is_some_and(|n| n >= 3.0), "{text}");
    assert!(
        text.contains(
            r#"nexus_http_requests_total{route="/v1/users/{id}",method="GET",status="4xx"}"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"route="unmatched",method="GET",status="4xx""#),
        "{text}"
    );
    assert!(!text.contains("0190d9a8"), "no raw IDs in labels");
    // Buckets fine enough for the 100 ms objective, as a histogram.
    for le in ["0.05", "0.075", "0.1", "0.15"] {
        let bucket = format!(
            r#"nexus_http_request_duration_seconds_bucket{{route="/v1/tenant",method="GET",le="{le}"}}"#
        );
        assert!(text.contains(&bucket), "{bucket} missing:\n{text}");
    }
    assert!(text.contains("nexus_http_requests_in_flight"), "{text}");
    let backend = app.wired.db.backend();
    let max = sample(
        &text,
        &format!(r#"nexus_db_pool_max_connections{{backend="{backend}"}}"#),
    );
    assert!(max.is_some_and(|m| m >= 1.0), "{text}");
    assert!(
        text.contains(&format!(
            r#"nexus_db_pool_connections{{backend="{backend}",state="in_use"}}"#
        )),
        "{text}"
    );
}
