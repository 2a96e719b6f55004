//! The HTTP API end to end: tenancy resolution, the platform API, problem+json for every
//! kind of bad input, and the cross-cutting headers.

use crate::harness::{PLATFORM_TOKEN, TestApp, problem};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn probes_and_version() {
    let app = TestApp::spawn().await;
    let live = app.client.get(app.url("/livez")).send().await.unwrap();
    assert_eq!(live.status(), 200);
    let ready: Value = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ready");
    assert!(
        ready["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "database" && c["ok"] == true)
    );
    let version: Value = app
        .client
        .get(app.url("/version"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(version["name"], "finai-nexus");
    assert_eq!(version["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn tenant_resolves_by_subdomain_header_and_custom_domain() {
    let app = TestApp::spawn().await;
    let t = app.create_tenant("acme").await;
    let id = t["id"].as_str().unwrap();

    let by_host: Value = app
        .tenant_get("acme", "/v1/tenant")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_host["slug"], "acme");
    assert_eq!(by_host["display_name"], "acme org");
    assert!(
        by_host.get("plan").is_none() && by_host.get("id").is_none(),
        "public profile hides internals"
    );

    // On a platform host (an IP here) the X-Tenant header names the tenant.
    let by_header = app
        .client
        .get(app.url("/v1/tenant"))
        .header("x-tenant", "acme")
        .send()
        .await
        .unwrap();
    assert_eq!(by_header.status(), 200);

    // A header that disagrees with the host is refused rather than silently ignored.
    let clash = app
        .tenant_get("acme", "/v1/tenant")
        .header("x-tenant", "other")
        .send()
        .await
        .unwrap();
    problem(clash, 400, "bad_request").await;

    // Custom domains resolve once attached, and stop when removed.
    let add = app
        .platform(Method::POST, &format!("/tenants/{id}/domains"))
        .json(&json!({ "domain": "Learn.Acme.Example" }))
        .send()
        .await
        .unwrap();
    assert_eq!(add.status(), 201);
    let body: Value = add.json().await.unwrap();
    assert_eq!(body["domains"], json!(["learn.acme.example"]));
    let custom = app
        .client
        .get(app.url("/v1/tenant"))
        .header("host", "learn.acme.example")
        .send()
        .await
        .unwrap();
    assert_eq!(custom.status(), 200);
    let del = app
        .platform(
            Method::DELETE,
            &format!("/tenants/{id}/domains/learn.acme.example"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 200);
    let gone = app
        .client
        .get(app.url("/v1/tenant"))
        .header("host", "learn.acme.example")
        .send()
        .await
        .unwrap();
    problem(gone, 404, "tenant_not_found").await;
}

#[tokio::test]
async fn unknown_tenant_is_404_and_suspended_is_403() {
    let app = TestApp::spawn().await;
    let unknown = app.tenant_get("nobody", "/v1/tenant").send().await.unwrap();
    let body = problem(unknown, 404, "tenant_not_found").await;
    assert_eq!(body["instance"], "/v1/tenant");
    let no_tenant = app.client.get(app.url("/v1/tenant")).send().await.unwrap();
    problem(no_tenant, 404, "tenant_not_found").await;

    let t = app.create_tenant("sleepy").await;
    let id = t["id"].as_str().unwrap();
    // Warm the resolution cache first, so the test proves suspension invalidates it.
    assert_eq!(
        app.tenant_get("sleepy", "/v1/tenant")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    app.set_status(id, "suspended").await;
    problem(
        app.tenant_get("sleepy", "/v1/tenant").send().await.unwrap(),
        403,
        "tenant_suspended",
    )
    .await;
    app.set_status(id, "active").await;
    assert_eq!(
        app.tenant_get("sleepy", "/v1/tenant")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn tenant_header_can_be_disabled() {
    let app = TestApp::builder()
        .env("NEXUS_HTTP_ALLOW_TENANT_HEADER", "false")
        .spawn()
        .await;
    app.create_tenant("acme").await;
    let resp = app
        .client
        .get(app.url("/v1/tenant"))
        .header("x-tenant", "acme")
        .send()
        .await
        .unwrap();
    problem(resp, 400, "bad_request").await;
    assert_eq!(
        app.tenant_get("acme", "/v1/tenant")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn platform_api_requires_the_operator_token() {
    let app = TestApp::spawn().await;
    let none = app
        .client
        .get(app.url("/v1/platform/tenants"))
        .send()
        .await
        .unwrap();
    problem(none, 401, "unauthenticated").await;
    let wrong = app
        .client
        .get(app.url("/v1/platform/tenants"))
        .bearer_auth("x".repeat(PLATFORM_TOKEN.len()))
        .send()
        .await
        .unwrap();
    problem(wrong, 401, "unauthenticated").await;

    let disabled = TestApp::builder()
        .env("NEXUS_HTTP_PLATFORM_TOKEN", "")
        .spawn()
        .await;
    let resp = disabled
        .platform(Method::GET, "/tenants")
        .send()
        .await
        .unwrap();
    problem(resp, 401, "unauthenticated").await;
}

#[tokio::test]
async fn platform_tenant_crud_and_conflicts() {
    let app = TestApp::spawn().await;
    let created = app
        .platform(Method::POST, "/tenants")
        .json(&json!({
            "slug": "big-bank", "name": "Big Bank", "plan": "professional",
            "branding": { "primary_colour": "#AA3300", "logo_url": "https://cdn.example.com/b.png" },
            "settings": { "locale": "en-GB", "time_zone": "Europe/London" }
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let t: Value = created.json().await.unwrap();
    assert_eq!(
        (t["plan"].as_str(), t["status"].as_str()),
        (Some("professional"), Some("active"))
    );
    assert_eq!(t["branding"]["primary_colour"], "#aa3300");
    assert_eq!(t["branding"]["display_name"], "Big Bank");
    let id = t["id"].as_str().unwrap().to_owned();

    let dup = app
        .platform(Method::POST, "/tenants")
        .json(&json!({ "slug": "big-bank", "name": "Other" }))
        .send()
        .await
        .unwrap();
    problem(dup, 409, "slug_taken").await;

    let got: Value = app
        .platform(Method::GET, &format!("/tenants/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got, t);
    problem(
        app.platform(Method::GET, "/tenants/not-a-uuid")
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    let missing = format!("/tenants/{}", uuid::Uuid::now_v7());
    problem(
        app.platform(Method::GET, &missing).send().await.unwrap(),
        404,
        "not_found",
    )
    .await;

    let patched: Value = app
        .platform(Method::PATCH, &format!("/tenants/{id}"))
        .json(&json!({ "name": "Bigger Bank", "branding": { "display_name": "BB Learn" } }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(patched["name"], "Bigger Bank");
    assert_eq!(patched["branding"]["display_name"], "BB Learn");
    assert_eq!(
        patched["branding"]["primary_colour"], "#aa3300",
        "omitted branding fields are kept"
    );

    let other = app.create_tenant("other").await;
    app.platform(Method::POST, &format!("/tenants/{id}/domains"))
        .json(&json!({ "domain": "learn.bb.example" }))
        .send()
        .await
        .unwrap();
    let taken = app
        .platform(
            Method::POST,
            &format!("/tenants/{}/domains", other["id"].as_str().unwrap()),
        )
        .json(&json!({ "domain": "learn.bb.example" }))
        .send()
        .await
        .unwrap();
    problem(taken, 409, "domain_taken").await;
}

#[tokio::test]
async fn platform_tenant_list_filters_sorts_and_pages() {
    let app = TestApp::spawn().await;
    for slug in ["delta", "alpha", "charlie", "bravo"] {
        app.create_tenant(slug).await;
    }
    let c = app
        .platform(Method::GET, "/tenants?q=charlie")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    app.set_status(c["items"][0]["id"].as_str().unwrap(), "suspended")
        .await;

    let slugs = |v: &Value| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["slug"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let list = |q: &'static str| app.platform(Method::GET, &format!("/tenants{q}")).send();
    let all: Value = list("").await.unwrap().json().await.unwrap();
    assert_eq!(slugs(&all), ["alpha", "bravo", "charlie", "delta"]);
    assert_eq!(all["total"], 4);
    let page: Value = list("?sort=slug&order=desc&limit=2&offset=1")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (slugs(&page), page["total"].as_u64()),
        (vec!["charlie".to_owned(), "bravo".to_owned()], Some(4))
    );
    let active: Value = list("?status=active").await.unwrap().json().await.unwrap();
    assert_eq!(slugs(&active), ["alpha", "bravo", "delta"]);

    let bad = list("?sort=secret_column&limit=0&order=sideways")
        .await
        .unwrap();
    let body = problem(bad, 422, "validation_failed").await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["sort", "order", "limit"]);
    problem(list("?limit=lots").await.unwrap(), 422, "validation_failed").await;
    problem(list("?surprise=1").await.unwrap(), 422, "validation_failed").await;
}

#[tokio::test]
async fn bad_bodies_get_precise_problems() {
    let app = TestApp::builder()
        .env("NEXUS_HTTP_BODY_LIMIT", "4KiB")
        .spawn()
        .await;
    let post = || app.platform(Method::POST, "/tenants");

    let malformed = post()
        .header("content-type", "application/json")
        .body("{\"slug\": ")
        .send()
        .await
        .unwrap();
    let body = problem(malformed, 400, "malformed_request").await;
    assert!(body["detail"].as_str().unwrap().contains("not valid JSON"));

    let invalid = post()
        .json(&json!({
            "slug": "Bad Slug", "name": "  ", "plan": "platinum",
            "branding": { "primary_colour": "red", "logo_url": "javascript:alert(1)" },
            "settings": { "time_zone": "Mars", "locale": "klingon-language-tag" }
        }))
        .send()
        .await
        .unwrap();
    let body = problem(invalid, 422, "validation_failed").await;
    let mut fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "branding.logo_url",
            "branding.primary_colour",
            "name",
            "plan",
            "settings.locale",
            "settings.time_zone",
            "slug"
        ],
        "every invalid field is listed"
    );
    assert!(
        body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["code"].is_string() && e["message"].is_string())
    );

    let unknown = post()
        .json(&json!({ "slug": "ok", "name": "Ok", "is_admin": true }))
        .send()
        .await
        .unwrap();
    let body = problem(unknown, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "is_admin");
    assert_eq!(body["errors"][0]["code"], "unknown_field");

    let wrong_type = post()
        .json(&json!({ "slug": 42, "name": "Ok" }))
        .send()
        .await
        .unwrap();
    let body = problem(wrong_type, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "slug");

    let not_json = post()
        .header("content-type", "text/plain")
        .body("slug=x")
        .send()
        .await
        .unwrap();
    problem(not_json, 415, "unsupported_media_type").await;

    let big = json!({ "slug": "big", "name": "x".repeat(8 * 1024) });
    problem(
        post().json(&big).send().await.unwrap(),
        413,
        "payload_too_large",
    )
    .await;
    // Nothing was created by any of the above.
    let all: Value = app
        .platform(Method::GET, "/tenants")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all["total"], 0);
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems() {
    let app = TestApp::spawn().await;
    problem(
        app.client
            .get(app.url("/v1/nothing-here"))
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    problem(
        app.client.get(app.url("/nope")).send().await.unwrap(),
        404,
        "not_found",
    )
    .await;
    let resp = app.client.put(app.url("/livez")).send().await.unwrap();
    assert!(resp.headers().contains_key("allow"));
    problem(resp, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn security_headers_request_ids_and_compression() {
    let app = TestApp::spawn().await;
    let resp = app.client.get(app.url("/livez")).send().await.unwrap();
    let h = resp.headers();
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin");
    assert!(
        !h.contains_key("strict-transport-security"),
        "no HSTS without TLS"
    );
    let generated = h["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(generated).is_ok());

    let echoed = app
        .client
        .get(app.url("/livez"))
        .header("x-request-id", "client-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "client-abc-123");
    let hostile = app
        .client
        .get(app.url("/livez"))
        .header("x-request-id", "<script>")
        .send()
        .await
        .unwrap();
    assert_ne!(
        hostile.headers()["x-request-id"],
        "<script>",
        "unsafe ids are replaced"
    );

    for slug in [
        "one", "two", "three", "four", "five", "six", "seven", "eight",
    ] {
        app.create_tenant(slug).await;
    }
    let gz = app
        .platform(Method::GET, "/tenants")
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");

    let tls = TestApp::builder()
        .env("NEXUS_HTTP_EXTERNAL_TLS", "true")
        .spawn()
        .await;
    let resp = tls.client.get(tls.url("/livez")).send().await.unwrap();
    assert!(
        resp.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age=")
    );
}

/// Versioning: no route answers without its version prefix (no unversioned aliases),
/// checked against the live router for every route in the inventory.
#[tokio::test]
async fn no_route_answers_without_its_version_prefix() {
    let app = TestApp::spawn().await;
    app.create_tenant("acme").await;
    let mut answered = Vec::new();
    for (method, path) in nexus_http::ROUTES {
        let Some(bare) = path.strip_prefix("/v1") else {
            continue;
        };
        let concrete = bare
            .split('/')
            .map(|seg| {
                if seg.starts_with('{') {
                    uuid::Uuid::now_v7().to_string()
                } else {
                    seg.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let r = app
            .client
            .request(
                Method::from_bytes(method.as_bytes()).unwrap(),
                app.url(&concrete),
            )
            .header("host", "acme.localhost")
            .bearer_auth(PLATFORM_TOKEN)
            .send()
            .await
            .unwrap();
        if r.status() != 404 {
            answered.push(format!("{method} {concrete}: {}", r.status()));
        }
    }
    assert!(
        answered.is_empty(),
        "unversioned paths answered: {answered:?}"
    );
}
