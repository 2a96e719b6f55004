//! API keys end to end over HTTP: create (shown once, stored as a hash), use on the
//! routes their scopes allow, no escalation, rotation with overlap, revocation at once,
//! last use recorded, and every change audited.

use crate::auth::token_of;
use crate::harness::{TestApp, problem};
use nexus_domain::user::Role;
use serde_json::{Value, json};

const PW: &str = "correct horse battery staple";

struct Admin<'a> {
    app: &'a TestApp,
    token: String,
}

impl Admin<'_> {
    async fn get_json(&self, path: &str) -> Value {
        self.req(reqwest::Method::GET, path)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.app
            .client
            .request(method, self.app.url(path))
            .header("host", "keys.localhost")
            .bearer_auth(&self.token)
    }
}

fn with_key(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    key: &str,
) -> reqwest::RequestBuilder {
    app.client
        .request(method, app.url(path))
        .header("host", "keys.localhost")
        .bearer_auth(key)
}

async fn admin(app: &TestApp) -> Admin<'_> {
    app.user("keys", "admin@keys.example", PW, Role::Admin)
        .await;
    let (token, _, _) = token_of(app.login("keys", "admin@keys.example", PW, None).await).await;
    Admin { app, token }
}

async fn create(a: &Admin<'_>, body: Value) -> Value {
    let r = a
        .req(reqwest::Method::POST, "/v1/api-keys")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

#[tokio::test]
async fn keys_authenticate_within_their_scopes_and_stop_at_once_when_revoked() {
    let app = TestApp::spawn().await;
    let a = admin(&app).await;
    let made = create(
        &a,
        json!({ "name": "HR sync", "scopes": ["user:read", "tenant:read"] }),
    )
    .await;
    let key = made["key"].as_str().unwrap().to_owned();
    let id = made["id"].as_str().unwrap().to_owned();
    assert!(key.starts_with("nxk_live_"), "{made}");
    assert_eq!(made["status"], "active");
    assert_eq!(made["hint"].as_str().unwrap(), &key[..21]);

    // The secret is shown once: neither the list nor the key's own page carries it.
    for path in ["/v1/api-keys".to_owned(), format!("/v1/api-keys/{id}")] {
        let body = a
            .req(reqwest::Method::GET, &path)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!body.contains(&key), "{path} leaked the key");
        assert!(body.contains(&id), "{body}");
    }

    // Within its scopes it works; beyond them it is forbidden.
    let r = with_key(&app, reqwest::Method::GET, "/v1/users", &key)
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = with_key(&app, reqwest::Method::GET, "/v1/roles", &key)
        .send()
        .await
        .unwrap();
    problem(r, 403, "forbidden").await;
    let r = with_key(&app, reqwest::Method::POST, "/v1/users", &key)
        .json(&json!({ "email": "x@keys.example", "display_name": "X", "role": "learner", "password": PW }))
        .send()
        .await
        .unwrap();
    problem(r, 403, "forbidden").await;

    // A key cannot manage keys (that needs a session), whatever its scopes.
    let r = with_key(&app, reqwest::Method::GET, "/v1/api-keys", &key)
        .send()
        .await
        .unwrap();
    problem(r, 401, "unauthenticated").await;

    // Its use is recorded.
    let shown: Value = a.get_json(&format!("/v1/api-keys/{id}")).await;
    assert!(shown["last_used_at"].is_string(), "{shown}");
    assert_eq!(
        shown["last_used_ip"], "127.0.0.1",
        "the caller's address: {shown}"
    );

    // Malformed, unknown and other-tenant keys are all 401, alike.
    app.user("other", "admin@other.example", PW, Role::Admin)
        .await;
    for bad in [
        "nxk_live_short".to_owned(),
        format!("nxk_live_{}", "A".repeat(43)),
    ] {
        let r = with_key(&app, reqwest::Method::GET, "/v1/users", &bad)
            .send()
            .await
            .unwrap();
        problem(r, 401, "unauthenticated").await;
    }
    let r = app
        .client
        .get(app.url("/v1/users"))
        .header("host", "other.localhost")
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    problem(r, 401, "unauthenticated").await;

    // Revoked: the very next request fails.
    let r = a
        .req(reqwest::Method::DELETE, &format!("/v1/api-keys/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "revoked");
    let r = with_key(&app, reqwest::Method::GET, "/v1/users", &key)
        .send()
        .await
        .unwrap();
    problem(r, 401, "unauthenticated").await;
    // Revoking again changes nothing.
    let again: Value = a
        .req(reqwest::Method::DELETE, &format!("/v1/api-keys/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["revoked_at"], body["revoked_at"]);

    let audit: Value = a.get_json("/v1/audit?action=api_key.revoke").await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 1, "{audit}");
}

#[tokio::test]
async fn rotation_overlaps_then_the_old_key_stops() {
    let app = TestApp::spawn().await;
    let a = admin(&app).await;
    let first = create(
        &a,
        json!({ "name": "Warehouse", "scopes": ["course:read"] }),
    )
    .await;
    let old_key = first["key"].as_str().unwrap().to_owned();
    let id = first["id"].as_str().unwrap();

    // An hour of overlap: both keys work.
    let r = a
        .req(reqwest::Method::POST, &format!("/v1/api-keys/{id}/rotate"))
        .json(&json!({ "overlap_seconds": 3600 }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let second: Value = r.json().await.unwrap();
    let new_key = second["key"].as_str().unwrap().to_owned();
    assert_ne!(new_key, old_key);
    assert_eq!(second["rotated_from"], first["id"]);
    assert_eq!(second["name"], "Warehouse");
    for k in [&old_key, &new_key] {
        let r = with_key(&app, reqwest::Method::GET, "/v1/courses", k)
            .send()
            .await
            .unwrap();
        let status = r.status();
        assert_eq!(status, 200, "{k}: {}", r.text().await.unwrap());
    }
    let old: Value = a.get_json(&format!("/v1/api-keys/{id}")).await;
    assert!(old["expires_at"].is_string(), "{old}");
    assert_eq!(old["status"], "active");

    // No overlap: the key being replaced stops at once.
    let second_id = second["id"].as_str().unwrap();
    let r = a
        .req(
            reqwest::Method::POST,
            &format!("/v1/api-keys/{second_id}/rotate"),
        )
        .json(&json!({ "overlap_seconds": 0 }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = with_key(&app, reqwest::Method::GET, "/v1/courses", &new_key)
        .send()
        .await
        .unwrap();
    problem(r, 401, "unauthenticated").await;
    // An expired key cannot be rotated again, and the overlap is bounded.
    let r = a
        .req(
            reqwest::Method::POST,
            &format!("/v1/api-keys/{second_id}/rotate"),
        )
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    problem(r, 409, "api_key_not_live").await;
    let r = a
        .req(reqwest::Method::POST, &format!("/v1/api-keys/{id}/rotate"))
        .json(&json!({ "overlap_seconds": 8 * 86_400 }))
        .send()
        .await
        .unwrap();
    let body = problem(r, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "overlap_seconds", "{body}");

    let audit: Value = a.get_json("/v1/audit?action=api_key.rotate").await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 2, "{audit}");
}

#[tokio::test]
async fn bad_requests_and_escalation_are_refused() {
    let app = TestApp::spawn().await;
    let a = admin(&app).await;
    let r = a
        .req(reqwest::Method::POST, "/v1/api-keys")
        .json(&json!({ "name": "", "scopes": ["nope", "platform:operate"], "expires_at": "2000-01-01T00:00:00Z" }))
        .send()
        .await
        .unwrap();
    let body = problem(r, 422, "validation_failed").await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "scopes", "scopes", "expires_at"], "{body}");

    // A tenant admin does not hold billing:write, so cannot give it to a key.
    let r = a
        .req(reqwest::Method::POST, "/v1/api-keys")
        .json(&json!({ "name": "Billing", "scopes": ["billing:write"] }))
        .send()
        .await
        .unwrap();
    problem(r, 403, "forbidden").await;

    // Learners cannot manage keys at all.
    app.user("keys", "learner@keys.example", PW, Role::Learner)
        .await;
    let (token, _, _) = token_of(app.login("keys", "learner@keys.example", PW, None).await).await;
    let r = app
        .client
        .post(app.url("/v1/api-keys"))
        .header("host", "keys.localhost")
        .bearer_auth(&token)
        .json(&json!({ "name": "Mine", "scopes": ["course:read"] }))
        .send()
        .await
        .unwrap();
    problem(r, 403, "forbidden").await;

    let r = a
        .req(reqwest::Method::GET, "/v1/api-keys/not-an-id")
        .send()
        .await
        .unwrap();
    problem(r, 404, "not_found").await;

    let made = create(&a, json!({ "name": "Paged", "scopes": ["tenant:read"] })).await;
    let list: Value = a.get_json("/v1/api-keys?limit=1").await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], made["id"]);
    let audit: Value = a.get_json("/v1/audit?action=api_key.create").await;
    let items = audit["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{audit}");
    assert!(
        !audit.to_string().contains(made["key"].as_str().unwrap()),
        "the audit trail never holds the key"
    );
}

/// Two replicas sharing the database and Redis: a key revoked on one stops on the
/// other at the next request, although the other had it cached.
#[tokio::test]
async fn a_revocation_reaches_every_replica_through_the_shared_cache() {
    if std::env::var("NEXUS_TEST_REDIS_URL").is_err() {
        return eprintln!("skipped: NEXUS_TEST_REDIS_URL is not set");
    }
    let prefix = format!("shared-{}", uuid::Uuid::new_v4().simple());
    let one = TestApp::builder()
        .env("NEXUS_REDIS_PREFIX", &prefix)
        .spawn()
        .await;
    let url = one.db.as_ref().unwrap().url().to_owned();
    let two = TestApp::builder()
        .env("NEXUS_REDIS_PREFIX", &prefix)
        .env("NEXUS_DATABASE_URL", &url)
        .spawn()
        .await;
    let a = admin(&one).await;
    let made = create(&a, json!({ "name": "Replicated", "scopes": ["user:read"] })).await;
    let key = made["key"].as_str().unwrap();
    for _ in 0..2 {
        let r = with_key(&two, reqwest::Method::GET, "/v1/users", key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "cached on the second replica");
    }
    let r = a
        .req(
            reqwest::Method::DELETE,
            &format!("/v1/api-keys/{}", made["id"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = with_key(&two, reqwest::Method::GET, "/v1/users", key)
        .send()
        .await
        .unwrap();
    problem(r, 401, "unauthenticated").await;
}
