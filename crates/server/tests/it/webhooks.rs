//! Webhooks end to end against a real HTTP receiver on 127.0.0.1 (an axum server the
//! test runs): Standard Webhooks signatures, retries on the schedule (driven by a
//! manual clock), the delivery log, replay, disabling an endpoint that keeps failing
//! with a notice to admins, the events raised by each context inside its own
//! transaction, and refusing targets inside our network.

use crate::auth::{PW, signed, token_of};
use crate::harness::{TestApp, eventually, problem};
use axum::http::{HeaderMap, StatusCode};
use nexus_app::Caller;
use nexus_app::webhooks::Transport as _;
use nexus_domain::user::Role;
use nexus_domain::webhook::{
    EndpointUrl, MessageQuery, MessageStatus, NewEndpoint, UrlPolicy, WebhookSecret, verify,
};
use nexus_domain::{Clock, ManualClock, SystemClock, TenantId};
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

const PRIVATE: (&str, &str) = ("NEXUS_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true");

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Seen {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

/// A real HTTP server that records every POST and answers with a settable status.
struct Receiver {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    status: Arc<AtomicU16>,
}

impl Receiver {
    async fn start() -> Self {
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let status = Arc::new(AtomicU16::new(200));
        let (s, st) = (seen.clone(), status.clone());
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let (s, st) = (s.clone(), st.clone());
                async move {
                    let h = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    s.lock().unwrap().push(Seen {
                        id: h("webhook-id"),
                        timestamp: h("webhook-timestamp"),
                        signature: h("webhook-signature"),
                        body,
                    });
                    let code = StatusCode::from_u16(st.load(Ordering::SeqCst)).unwrap();
                    (code, "receiver says hello")
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, seen, status }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    async fn wait_for(&self, n: usize) -> Vec<Seen> {
        eventually(&format!("{n} deliveries"), || async {
            self.seen.lock().unwrap().len() >= n
        })
        .await;
        self.seen()
    }
}

/// Checks a delivery's signature as a receiver would, and returns its body.
fn verified(seen: &Seen, secret: &str, now: i64) -> Value {
    let secret = WebhookSecret::parse(secret).unwrap();
    verify(
        &secret,
        &seen.id,
        &seen.timestamp,
        &seen.signature,
        seen.body.as_bytes(),
        now,
        300,
    )
    .unwrap_or_else(|e| panic!("signature of {seen:?}: {e}"));
    // A tampered body does not verify.
    let tampered = seen.body.replace('}', " }");
    assert!(
        verify(
            &secret,
            &seen.id,
            &seen.timestamp,
            &seen.signature,
            tampered.as_bytes(),
            now,
            300
        )
        .is_err()
    );
    serde_json::from_str(&seen.body).unwrap()
}

async fn send(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = signed(app, method, path, "school", token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// An app on a manual clock allowing loopback targets, with an admin of `hooks`.
async fn app_with_admin() -> (TestApp, Arc<ManualClock>, TenantId, String) {
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let app = TestApp::builder()
        .clock(clock.clone())
        .env(PRIVATE.0, PRIVATE.1)
        .spawn()
        .await;
    let tenant = app
        .user("school", "admin@hooks.example", PW, Role::Admin)
        .await;
    let (token, _, _) = token_of(app.login("school", "admin@hooks.example", PW, None).await).await;
    (app, clock, tenant, token)
}

/// `GET /v1/webhooks/messages/{id}`.
async fn message_of(app: &TestApp, admin: &str, id: &str) -> Value {
    send(
        app,
        admin,
        Method::GET,
        &format!("/v1/webhooks/messages/{id}"),
        None,
    )
    .await
    .1
}

/// A receiver answering `status`, and an endpoint for `user.created` pointing at it.
async fn receiving(app: &TestApp, admin: &str, status: u16) -> (Receiver, String) {
    let rx = Receiver::start().await;
    rx.status.store(status, Ordering::SeqCst);
    let (code, made) = send(
        app,
        admin,
        Method::POST,
        "/v1/webhooks/endpoints",
        Some(json!({"url": rx.url, "events": ["user.created"]})),
    )
    .await;
    assert_eq!(code, 201, "{made}");
    (rx, made["id"].as_str().unwrap().to_owned())
}

async fn messages(app: &TestApp, tenant: TenantId) -> Vec<nexus_domain::webhook::Message> {
    app.wired
        .services
        .webhooks
        .messages(&Caller::system(), tenant, &MessageQuery::default())
        .await
        .unwrap()
        .items
}

#[tokio::test]
async fn deliveries_are_signed_retried_on_failure_logged_and_replayable() {
    let (app, clock, _tenant, admin) = app_with_admin().await;
    let rx = Receiver::start().await;
    rx.status.store(500, Ordering::SeqCst);

    let (status, made) = send(
        &app,
        &admin,
        Method::POST,
        "/v1/webhooks/endpoints",
        Some(json!({"url": rx.url, "events": ["user.created"], "description": "HR sync"})),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    let secret = made["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{made}");
    let endpoint = made["id"].as_str().unwrap().to_owned();
    assert_eq!(made["status"], "enabled");
    // The secret is never shown again.
    let (_, shown) = send(
        &app,
        &admin,
        Method::GET,
        &format!("/v1/webhooks/endpoints/{endpoint}"),
        None,
    )
    .await;
    assert!(shown.get("secret").is_none(), "{shown}");
    assert!(!shown.to_string().contains(&secret[6..]));

    // A new account raises `user.created`; the receiver answers 500.
    let (status, user) = send(
        &app,
        &admin,
        Method::POST,
        "/v1/users",
        Some(json!({"email": "new@hooks.example", "display_name": "New", "role": "learner", "password": PW})),
    )
    .await;
    assert_eq!(status, 201, "{user}");
    let first = rx.wait_for(1).await;
    let body = verified(&first[0], &secret, clock.now().unix_timestamp());
    assert_eq!(body["type"], "user.created");
    assert_eq!(body["data"]["user_id"], user["id"]);
    assert_eq!(body["data"]["role"], "learner");
    assert!(
        !first[0].body.contains("new@hooks.example"),
        "IDs only, no e-mail"
    );

    // The log shows the failed attempt and the retry due in 5 s.
    let log_path = format!("/v1/webhooks/messages?endpoint={endpoint}&event=user.created");
    eventually("the failed attempt is logged", || async {
        let (_, log) = send(&app, &admin, Method::GET, &log_path, None).await;
        log["items"][0]["attempts"] == 1
    })
    .await;
    let (_, log) = send(&app, &admin, Method::GET, &log_path, None).await;
    assert_eq!(log["total"], 1);
    let message = log["items"][0].clone();
    assert_eq!(message["status"], "pending");
    assert_eq!(
        message["id"].as_str().unwrap(),
        first[0].id,
        "webhook-id is the message ID"
    );
    let id = first[0].id.clone();
    let detail = message_of(&app, &admin, &id).await;
    assert_eq!(detail["attempts"][0]["status_code"], 500);
    assert_eq!(detail["attempts"][0]["response"], "receiver says hello");
    // Nothing is retried before its time.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(rx.seen().len(), 1);

    // The receiver recovers; five seconds later the same message (same ID, same bytes)
    // arrives again and is delivered.
    rx.status.store(204, Ordering::SeqCst);
    clock.advance(time::Duration::seconds(5));
    let second = rx.wait_for(2).await;
    assert_eq!(
        (second[1].id.as_str(), second[1].body.as_str()),
        (id.as_str(), first[0].body.as_str())
    );
    verified(&second[1], &secret, clock.now().unix_timestamp());
    eventually("the message is delivered", || async {
        let d = message_of(&app, &admin, &id).await;
        d["status"] == "delivered"
    })
    .await;

    // Replay sends it once more with the same ID, and the log keeps every attempt.
    let (status, replayed) = send(
        &app,
        &admin,
        Method::POST,
        &format!("/v1/webhooks/messages/{id}/replay"),
        None,
    )
    .await;
    assert_eq!(status, 202, "{replayed}");
    assert_eq!(replayed["status"], "pending");
    let third = rx.wait_for(3).await;
    assert_eq!(third[2].id, id);
    eventually("the replay is delivered", || async {
        let d = message_of(&app, &admin, &id).await;
        d["status"] == "delivered" && d["attempts"].as_array().map(Vec::len) == Some(3)
    })
    .await;
    let d = message_of(&app, &admin, &id).await;
    let seqs: Vec<u64> = d["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["seq"].as_u64().unwrap())
        .collect();
    let codes: Vec<u64> = d["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status_code"].as_u64().unwrap())
        .collect();
    assert_eq!((seqs, codes), (vec![1, 2, 3], vec![500, 204, 204]));

    // Rotation gives a new secret that signs from then on.
    let (status, rotated) = send(
        &app,
        &admin,
        Method::POST,
        &format!("/v1/webhooks/endpoints/{endpoint}/rotate-secret"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    let (status, _) = send(
        &app,
        &admin,
        Method::POST,
        "/v1/users",
        Some(json!({"email": "two@hooks.example", "display_name": "Two", "role": "learner", "password": PW})),
    )
    .await;
    assert_eq!(status, 201);
    let fourth = rx.wait_for(4).await;
    verified(&fourth[3], &new_secret, clock.now().unix_timestamp());
    let old = WebhookSecret::parse(&secret).unwrap();
    assert!(
        verify(
            &old,
            &fourth[3].id,
            &fourth[3].timestamp,
            &fourth[3].signature,
            fourth[3].body.as_bytes(),
            clock.now().unix_timestamp(),
            300
        )
        .is_err()
    );

    // Bad input: field errors, and unknown IDs are 404.
    let (status, bad) = send(
        &app,
        &admin,
        Method::POST,
        "/v1/webhooks/endpoints",
        Some(json!({"url": "ftp://x", "events": ["user.deleted"]})),
    )
    .await;
    assert_eq!(status, 422, "{bad}");
    let fields: Vec<&str> = bad["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["url", "events[0]"]);
    let (status, _) = send(
        &app,
        &admin,
        Method::GET,
        "/v1/webhooks/messages?status=lost",
        None,
    )
    .await;
    assert_eq!(status, 422);
    let r = signed(
        &app,
        Method::POST,
        "/v1/webhooks/messages/nope/replay",
        "school",
        &admin,
    )
    .send()
    .await
    .unwrap();
    problem(r, 404, "not_found").await;

    // Every admin change is audited, never with the secret.
    let trail = crate::enrolment::audited(&app, &admin, "webhook.").await;
    let actions: Vec<&str> = trail.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "webhook.endpoint_create",
            "webhook.message_replay",
            "webhook.endpoint_rotate_secret"
        ]
    );
    assert!(!format!("{trail:?}").contains(&secret[6..]));

    // Deleting the endpoint takes its log with it.
    let (status, _) = send(
        &app,
        &admin,
        Method::DELETE,
        &format!("/v1/webhooks/endpoints/{endpoint}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = send(
        &app,
        &admin,
        Method::GET,
        &format!("/v1/webhooks/messages/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn an_endpoint_that_keeps_failing_is_disabled_and_its_admins_are_told() {
    let (app, clock, tenant, admin) = app_with_admin().await;
    let (rx, endpoint) = receiving(&app, &admin, 503).await;
    for i in 0..nexus_domain::webhook::DISABLE_AFTER_FAILED_MESSAGES {
        app.user("school", &format!("l{i}@hooks.example"), PW, Role::Learner)
            .await;
    }
    let n = nexus_domain::webhook::DISABLE_AFTER_FAILED_MESSAGES as usize;
    // Nine attempts each, on the schedule: the clock jumps to each retry.
    for round in 1..=nexus_domain::webhook::MAX_ATTEMPTS {
        eventually(&format!("attempt {round} of every message"), || async {
            messages(&app, tenant)
                .await
                .iter()
                .all(|m| m.total_attempts >= round)
        })
        .await;
        if let Some(d) = nexus_domain::webhook::retry_after(round) {
            clock.advance(time::Duration::try_from(d).unwrap());
        }
    }
    assert_eq!(rx.seen().len(), n * 9);
    eventually("every message failed", || async {
        messages(&app, tenant)
            .await
            .iter()
            .all(|m| m.status == MessageStatus::Failed)
    })
    .await;
    // Sessions idle out over the eight hours: sign in again.
    let (admin, _, _) = token_of(app.login("school", "admin@hooks.example", PW, None).await).await;
    let (_, e) = send(
        &app,
        &admin,
        Method::GET,
        &format!("/v1/webhooks/endpoints/{endpoint}"),
        None,
    )
    .await;
    assert_eq!(
        (e["status"].as_str(), e["disabled_reason"].as_str()),
        (Some("disabled"), Some("failing")),
        "{e}"
    );
    assert_eq!(e["failed_messages"], 5);
    let trail = crate::enrolment::audited(&app, &admin, "webhook.endpoint_disable").await;
    assert_eq!(trail.len(), 1, "{trail:?}");
    eventually("the admin is mailed", || async {
        let (_, mails) = send(&app, &admin, Method::GET, "/v1/outbox", None).await;
        mails.as_array().is_some_and(|m| {
            m.iter().any(|m| {
                m["to"] == "admin@hooks.example"
                    && m["subject"] == "A webhook endpoint was disabled"
            })
        })
    })
    .await;

    // A disabled endpoint gets nothing new, and replay asks for it to be enabled.
    app.user("school", "late@hooks.example", PW, Role::Learner)
        .await;
    assert_eq!(messages(&app, tenant).await.len(), n);
    let id = messages(&app, tenant).await[0].id;
    let r = signed(
        &app,
        Method::POST,
        &format!("/v1/webhooks/messages/{id}/replay"),
        "school",
        &admin,
    )
    .send()
    .await
    .unwrap();
    problem(r, 409, "webhook_endpoint_disabled").await;

    // Enabled again, the receiver fixed, a replay goes through and clears the count.
    rx.status.store(200, Ordering::SeqCst);
    let (status, e) = send(
        &app,
        &admin,
        Method::PATCH,
        &format!("/v1/webhooks/endpoints/{endpoint}"),
        Some(json!({"enabled": true})),
    )
    .await;
    assert_eq!(
        (status, e["status"].as_str(), e["failed_messages"].as_u64()),
        (200, Some("enabled"), Some(0))
    );
    let (status, _) = send(
        &app,
        &admin,
        Method::POST,
        &format!("/v1/webhooks/messages/{id}/replay"),
        None,
    )
    .await;
    assert_eq!(status, 202);
    rx.wait_for(n * 9 + 1).await;
    eventually("the replay is delivered", || async {
        messages(&app, tenant)
            .await
            .iter()
            .any(|m| m.id == id && m.status == MessageStatus::Delivered)
    })
    .await;
}

/// Registers a subscriber through the service (the route's URL policy is tested above).
async fn subscribe(app: &TestApp, tenant: TenantId, url: &str, events: &[&str]) -> String {
    let events: Vec<String> = events.iter().map(|e| (*e).to_owned()).collect();
    let new = NewEndpoint::parse(url, &events, "", UrlPolicy::AllowPrivate).unwrap();
    let e = app
        .wired
        .services
        .webhooks
        .create(&Caller::system(), tenant, new)
        .await
        .unwrap();
    e.secret.expose()
}

#[tokio::test]
async fn passing_a_quiz_and_completing_a_course_reach_the_receiver() {
    let c = crate::quizzes::class_with(&[PRIVATE]).await;
    let rx = Receiver::start().await;
    let secret = subscribe(
        &c.app,
        c.tenant,
        &rx.url,
        &["quiz.passed", "enrollment.completed"],
    )
    .await;
    let quiz = crate::quizzes::author_quiz(&c).await;
    crate::quizzes::enrol(&c, &c.pupil).await;
    crate::rewards::complete_lesson(&c, &c.pupil, &c.lesson).await;
    crate::rewards::pass_quiz(&c, &c.pupil, &quiz).await;
    let seen = rx.wait_for(2).await;
    let now = c.clock.now().unix_timestamp();
    let mut bodies: Vec<Value> = seen.iter().map(|s| verified(s, &secret, now)).collect();
    bodies.sort_by_key(|b| b["type"].as_str().unwrap().to_owned());
    assert_eq!(bodies[0]["type"], "enrollment.completed");
    assert_eq!(bodies[1]["type"], "quiz.passed");
    for b in &bodies {
        assert_eq!(b["data"]["user_id"], c.pupil_id.to_string());
        assert_eq!(b["data"]["course_id"], c.course);
    }
    assert_eq!(bodies[1]["data"]["quiz_id"], quiz);
    assert_eq!(bodies[1]["data"]["percent"], 100);
    assert!(bodies[0]["data"]["certificate_id"].is_string());
}

#[tokio::test]
async fn fills_and_closed_invoices_raise_one_event_each() {
    let d = crate::sim::desk().await;
    // The desk runs without workers, so messages stay queued for inspection.
    subscribe(
        &d.app,
        d.tenant,
        "http://127.0.0.1:9/hook",
        &["order.filled", "invoice.closed"],
    )
    .await;
    let placed = d
        .placed(&d.trader, crate::sim::market(crate::sim::INDEX, "buy", "3"))
        .await;
    let order = placed["order"]["id"].as_str().unwrap().to_owned();
    let queued = messages(&d.app, d.tenant).await;
    assert_eq!(queued.len(), 1);
    let body: Value = serde_json::from_str(&queued[0].body).unwrap();
    assert_eq!(body["type"], "order.filled");
    assert_eq!(body["data"]["order_id"], order);
    assert_eq!(body["data"]["filled_qty"], "3");
    assert_eq!(body["data"]["side"], "buy");
    assert_eq!(
        queued[0].subject.map(|u| u.to_string()),
        body["data"]["user_id"].as_str().map(str::to_owned)
    );
    // A rejected order (far beyond buying power) and a resting limit order are not
    // fills, so they raise nothing.
    let r = d
        .place(
            &d.trader,
            crate::sim::market(crate::sim::INDEX, "buy", "10000000"),
        )
        .await;
    assert_eq!(
        (r.status, r.body["order"]["status"].as_str()),
        (201, Some("rejected")),
        "{}",
        r.body
    );
    d.placed(
        &d.trader,
        crate::sim::limit(crate::sim::INDEX, "buy", "1", 1, "gtc"),
    )
    .await;
    assert_eq!(messages(&d.app, d.tenant).await.len(), 1);

    // Closing last month raises `invoice.closed` once; closing it again raises nothing.
    let period = nexus_domain::billing::month_label(d.now() - time::Duration::days(40));
    for _ in 0..2 {
        let r = d
            .app
            .platform(Method::POST, &format!("/tenants/{}/invoices", d.tenant))
            .json(&json!({ "period": period }))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    }
    let queued = messages(&d.app, d.tenant).await;
    let invoices: Vec<Value> = queued
        .iter()
        .map(|m| serde_json::from_str::<Value>(&m.body).unwrap())
        .filter(|b| b["type"] == "invoice.closed")
        .collect();
    assert_eq!(invoices.len(), 1, "{invoices:?}");
    assert_eq!(invoices[0]["data"]["period"], period);
}

#[tokio::test]
async fn targets_inside_our_network_are_refused() {
    // Default settings: public https only.
    let app = TestApp::spawn().await;
    app.user("school", "admin@hooks.example", PW, Role::Admin)
        .await;
    let (admin, _, _) = token_of(app.login("school", "admin@hooks.example", PW, None).await).await;
    for url in [
        "http://example.com/hook",
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://[::1]/hook",
        "https://169.254.169.254/latest",
        "https://localhost/hook",
        "https://user:pw@example.com/hook",
    ] {
        let (status, body) = send(
            &app,
            &admin,
            Method::POST,
            "/v1/webhooks/endpoints",
            Some(json!({"url": url, "events": ["user.created"]})),
        )
        .await;
        assert_eq!(status, 422, "{url}: {body}");
        assert_eq!(body["errors"][0]["field"], "url", "{url}");
    }
    let (status, _) = send(
        &app,
        &admin,
        Method::POST,
        "/v1/webhooks/endpoints",
        Some(json!({"url": "https://hooks.example.com/in", "events": ["user.created"]})),
    )
    .await;
    assert_eq!(status, 201);

    // At delivery, names and literals that lead inside are refused again (a name can
    // be re-pointed after registration), before any connection is made.
    let rx = Receiver::start().await;
    let transport =
        nexus_server::webhook_client::HttpTransport::new(false, std::time::Duration::from_secs(2))
            .unwrap();
    let port = rx
        .url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    for url in [
        format!("http://127.0.0.1:{port}/hook"),
        format!("http://localhost:{port}/hook"),
    ] {
        let url = EndpointUrl::parse(&url, UrlPolicy::AllowPrivate).unwrap();
        let err = transport.post(&url, &[], "{}").await.unwrap_err();
        assert!(
            err.contains("internal") || err.contains("no public address"),
            "{err}"
        );
    }
    assert!(rx.seen().is_empty());
    // The same transport allowed private targets reaches the receiver.
    let open =
        nexus_server::webhook_client::HttpTransport::new(true, std::time::Duration::from_secs(2))
            .unwrap();
    let url = EndpointUrl::parse(&rx.url, UrlPolicy::AllowPrivate).unwrap();
    let answer = open
        .post(&url, &[("webhook-id", "msg_1".to_owned())], "{}")
        .await
        .unwrap();
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, "receiver says hello")
    );
    assert_eq!(rx.seen()[0].id, "msg_1");
}

#[tokio::test]
async fn a_message_pending_when_its_endpoint_is_disabled_fails_then_replays() {
    let (app, clock, tenant, admin) = app_with_admin().await;
    let (rx, endpoint) = receiving(&app, &admin, 502).await;
    app.user("school", "one@hooks.example", PW, Role::Learner)
        .await;
    rx.wait_for(1).await;
    eventually("the retry is scheduled", || async {
        messages(&app, tenant).await[0].total_attempts == 1
    })
    .await;
    // Disabled by hand while the retry waits: the retry gives up without a request.
    let path = format!("/v1/webhooks/endpoints/{endpoint}");
    let (status, e) = send(
        &app,
        &admin,
        Method::PATCH,
        &path,
        Some(json!({"enabled": false})),
    )
    .await;
    assert_eq!(
        (status, e["disabled_reason"].as_str()),
        (200, Some("admin"))
    );
    clock.advance(time::Duration::seconds(5));
    eventually("the message fails", || async {
        messages(&app, tenant).await[0].status == MessageStatus::Failed
    })
    .await;
    assert_eq!(rx.seen().len(), 1);
    // Enabled again, a replay is a fresh attempt that is really made.
    rx.status.store(200, Ordering::SeqCst);
    send(
        &app,
        &admin,
        Method::PATCH,
        &path,
        Some(json!({"enabled": true})),
    )
    .await;
    let id = messages(&app, tenant).await[0].id;
    let (status, _) = send(
        &app,
        &admin,
        Method::POST,
        &format!("/v1/webhooks/messages/{id}/replay"),
        None,
    )
    .await;
    assert_eq!(status, 202);
    rx.wait_for(2).await;
    eventually("the replay is delivered", || async {
        messages(&app, tenant).await[0].status == MessageStatus::Delivered
    })
    .await;
}

#[tokio::test]
async fn a_delivery_run_twice_records_one_attempt_and_a_stuck_message_can_be_replayed() {
    // No worker (`api` role): the test runs deliveries itself.
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let app = TestApp::builder()
        .clock(clock.clone())
        .env(PRIVATE.0, PRIVATE.1)
        .env("NEXUS_SERVER_ROLE", "api")
        .spawn()
        .await;
    let tenant = app
        .user("school", "admin@hooks.example", PW, Role::Admin)
        .await;
    let (admin, _, _) = token_of(app.login("school", "admin@hooks.example", PW, None).await).await;
    let rx = Receiver::start().await;
    rx.status.store(500, Ordering::SeqCst);
    subscribe(&app, tenant, &rx.url, &["user.created"]).await;
    app.user("school", "one@hooks.example", PW, Role::Learner)
        .await;
    let id = messages(&app, tenant).await[0].id;

    // Two runs of the first attempt's job at once (a worker died after sending, and
    // the job ran again): the receiver may see two requests, the log records one.
    let transport =
        nexus_server::webhook_client::HttpTransport::new(true, std::time::Duration::from_secs(5))
            .unwrap();
    let delivery = nexus_app::webhooks::Delivery::new(
        app.wired.db.clone(),
        Arc::new(transport),
        app.wired.clock.clone(),
    );
    let job = nexus_app::webhooks::Deliver {
        message: id,
        seq: 1,
    };
    let (a, b) = tokio::join!(delivery.run(tenant, &job), delivery.run(tenant, &job));
    a.unwrap();
    b.unwrap();
    delivery.run(tenant, &job).await.unwrap();
    let (message, attempts) = app
        .wired
        .services
        .webhooks
        .message(&Caller::system(), tenant, id)
        .await
        .unwrap();
    assert_eq!((message.total_attempts, attempts.len()), (1, 1));
    assert!(rx.seen().len() <= 2);
    assert_eq!(message.status, MessageStatus::Pending);

    // Its retry is due in 5 s; replay refuses while it is merely waiting...
    let replay = format!("/v1/webhooks/messages/{id}/replay");
    let r = signed(&app, Method::POST, &replay, "school", &admin)
        .send()
        .await
        .unwrap();
    problem(r, 409, "webhook_message_pending").await;
    // ...but an hour past due, with nobody delivering it, it is stuck: replay sends it
    // even though a job for that attempt number already exists.
    clock.advance(time::Duration::hours(2));
    let (admin, _, _) = token_of(app.login("school", "admin@hooks.example", PW, None).await).await;
    let (status, _) = send(&app, &admin, Method::POST, &replay, None).await;
    assert_eq!(status, 202);
    rx.status.store(200, Ordering::SeqCst);
    let before = rx.seen().len();
    let second = nexus_app::webhooks::Deliver {
        message: id,
        seq: 2,
    };
    delivery.run(tenant, &second).await.unwrap();
    assert_eq!(rx.seen().len(), before + 1);
    let (message, attempts) = app
        .wired
        .services
        .webhooks
        .message(&Caller::system(), tenant, id)
        .await
        .unwrap();
    assert_eq!(message.status, MessageStatus::Delivered);
    assert_eq!(attempts.iter().map(|a| a.seq).collect::<Vec<_>>(), [1, 2]);
    // The replay queued its own job (beside the scheduled one for attempt 2).
    let jobs = app
        .wired
        .services
        .jobs
        .list(&nexus_domain::jobs::JobQuery {
            kind: Some("webhook.deliver".to_owned()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(jobs.total, 3, "first attempt, scheduled retry, replay");

    // A label with a control character is refused (PostgreSQL text cannot hold NUL).
    let (status, body) = send(
        &app,
        &admin,
        Method::POST,
        "/v1/webhooks/endpoints",
        Some(json!({"url": rx.url, "events": ["user.created"], "description": "a\u{0}b"})),
    )
    .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (422, Some("description"))
    );
}
