//! The OpenAPI document and the developer portal, served by the real app: the document
//! equals the committed `docs/openapi.json` (the spec-drift check), and every portal
//! page and asset is served from the binary with nothing fetched from elsewhere.

use crate::harness::TestApp;

/// Regenerate with `cargo run -q -- openapi > docs/openapi.json`.
#[tokio::test]
async fn the_served_document_equals_the_committed_one() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let served = resp.text().await.unwrap();
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/openapi.json"
    ))
    .expect("docs/openapi.json is committed");
    assert!(
        served == committed,
        "docs/openapi.json is stale: regenerate it with `cargo run -q -- openapi > docs/openapi.json` and commit it"
    );
    let doc: serde_json::Value = serde_json::from_str(&served).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
}

#[tokio::test]
async fn the_portal_serves_every_page_and_asset_itself() {
    let app = TestApp::spawn().await;
    for (path, kind, needle) in [
        ("/developers", "text/html", "Handle 429"),
        ("/developers/keys", "text/html", "Create key"),
        ("/developers/changelog", "text/html", "Changelog"),
        ("/developers/assets/portal.css", "text/css", "--accent"),
        (
            "/developers/assets/keys.js",
            "text/javascript",
            "/v1/api-keys",
        ),
        ("/developers/reference/", "text/html", "swagger-ui"),
        (
            "/developers/reference/swagger-initializer.js",
            "javascript",
            "/openapi.json",
        ),
        (
            "/developers/reference/swagger-ui-bundle.js",
            "javascript",
            "SwaggerUIBundle",
        ),
    ] {
        let resp = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        let ct = resp.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ct.contains(kind), "{path}: {ct}");
        let body = resp.text().await.unwrap();
        assert!(body.contains(needle), "{path} lacks {needle}");
        if kind == "text/html" {
            // Nothing is loaded from another origin.
            for external in ["src=\"http", "href=\"http://", "src=\"//", "cdn."] {
                assert!(!body.contains(external), "{path} references {external}");
            }
        }
    }
    for missing in [
        "/developers/assets/nope.js",
        "/developers/reference/nope.js",
    ] {
        let resp = app.client.get(app.url(missing)).send().await.unwrap();
        assert_eq!(resp.status(), 404, "{missing}");
    }
}
