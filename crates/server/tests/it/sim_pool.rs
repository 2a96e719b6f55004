//! The simulator under a small connection pool: concurrent placements, cancels and
//! replaces must not hold one connection while waiting for another (the order
//! benchmark found `place` doing so: with as many concurrent orders as connections,
//! everything stalled until the acquire timeout and then failed with 503).

use crate::auth::{PW, token_of};
use crate::harness::TestApp;
use crate::sim::T0;
use nexus_domain::ManualClock;
use nexus_domain::user::Role;
use serde_json::{Value, json};
use std::sync::Arc;

const LEARNERS: usize = 6;

async fn send(
    client: reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: String,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = client
        .request(method, url)
        .header("host", "school.localhost")
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Runs one request per learner at once and returns their answers in order.
async fn all_at_once(
    app: &TestApp,
    tokens: &[String],
    method: &reqwest::Method,
    path: impl Fn(usize) -> String,
    body: impl Fn(usize) -> Option<Value>,
) -> Vec<(u16, Value)> {
    let mut set = tokio::task::JoinSet::new();
    for (i, t) in tokens.iter().enumerate() {
        let fut = send(
            app.client.clone(),
            method.clone(),
            app.url(&path(i)),
            t.clone(),
            body(i),
        );
        set.spawn(async move { (i, fut.await) });
    }
    let mut out: Vec<Option<(u16, Value)>> = vec![None; tokens.len()];
    while let Some(done) = set.join_next().await {
        let (i, r) = done.unwrap();
        out[i] = Some(r);
    }
    out.into_iter().map(Option::unwrap).collect()
}

#[tokio::test]
async fn concurrent_orders_do_not_starve_a_small_pool() {
    let clock = Arc::new(ManualClock::new(T0));
    let app = TestApp::builder()
        .clock(clock)
        .env("NEXUS_SERVER_ROLE", "api")
        .env("NEXUS_DATABASE_MAX_CONNECTIONS", "2")
        .env("NEXUS_DATABASE_ACQUIRE_TIMEOUT", "3s")
        .spawn()
        .await;
    let mut tokens = Vec::new();
    for i in 0..LEARNERS {
        let email = format!("l{i}@school.example");
        app.user("school", &email, PW, Role::Learner).await;
        tokens.push(
            token_of(app.login("school", &email, PW, None).await)
                .await
                .0,
        );
    }
    // First use opens every practice portfolio at once, then market orders fill at once.
    let market = all_at_once(&app, &tokens, &reqwest::Method::POST, |_| "/v1/sim/orders".into(), |_| {
        Some(json!({"symbol": "NXTM", "side": "buy", "type": "market", "time_in_force": "day", "qty": "1"}))
    })
    .await;
    for (status, body) in &market {
        assert_eq!(*status, 201, "{body}");
        assert_eq!(body["order"]["status"], "filled", "{body}");
    }
    // Resting limits, then their replacement and cancellation, all concurrent.
    let resting = all_at_once(&app, &tokens, &reqwest::Method::POST, |_| "/v1/sim/orders".into(), |_| {
        Some(json!({"symbol": "NXTM", "side": "buy", "type": "limit", "time_in_force": "gtc", "qty": "1", "limit_price": "1.00"}))
    })
    .await;
    let ids: Vec<String> = resting
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, 201, "{body}");
            body["order"]["id"].as_str().unwrap().to_owned()
        })
        .collect();
    let replaced = all_at_once(
        &app,
        &tokens,
        &reqwest::Method::PATCH,
        |i| format!("/v1/sim/orders/{}", ids[i]),
        |_| Some(json!({"limit_price": "2.00"})),
    )
    .await;
    let new_ids: Vec<String> = replaced
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, 201, "{body}");
            body["order"]["id"].as_str().unwrap().to_owned()
        })
        .collect();
    let canceled = all_at_once(
        &app,
        &tokens,
        &reqwest::Method::DELETE,
        |i| format!("/v1/sim/orders/{}", new_ids[i]),
        |_| None,
    )
    .await;
    for (status, body) in &canceled {
        assert_eq!(*status, 200, "{body}");
        assert_eq!(body["status"], "canceled", "{body}");
    }
}
