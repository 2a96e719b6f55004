//! The developer portal and the OpenAPI document, served by this binary with every
//! asset embedded (no CDN, no fetch at build or run time):
//!
//! - `/openapi.json`: the OpenAPI 3.1 document ([`crate::openapi`]);
//! - `/developers`: the getting-started guide (a key, a first call, 429s);
//! - `/developers/reference/`: Swagger UI over `/openapi.json`, with "try it out";
//! - `/developers/keys`: API key self-service for tenant admins, over the public API;
//! - `/developers/changelog`: the changelog from docs/API_VERSIONING.md.
//!
//! Outside `/v1` like the probes: these are pages and a document about the API, not
//! part of it. The pages name no tenant; the keys page calls the API on its own host.

use crate::AppState;
use crate::error::ApiError;
use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use std::sync::{Arc, LazyLock};

/// This module's operations, for the OpenAPI document: only the document itself; the
/// portal pages are HTML for people.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(openapi_json))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi_json))
        .route("/developers", get(guide))
        .route("/developers/keys", get(keys))
        .route("/developers/changelog", get(changelog))
        .route("/developers/assets/{file}", get(asset))
        .route("/developers/reference/", get(reference_index))
        .route("/developers/reference/{file}", get(reference))
}

/// Built once: the document does not change while the process runs.
static DOCUMENT: LazyLock<String> = LazyLock::new(crate::openapi::document_json);

const LAYOUT: &str = include_str!("../../assets/developers/layout.html");

/// Pages may style with their own sheet and run their own script, nothing inline or
/// from elsewhere. Swagger UI sets inline styles on elements, hence `'unsafe-inline'`
/// for styles (never for scripts).
const PAGE_CSP: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
     frame-ancestors 'none'; base-uri 'self'; object-src 'none'; form-action 'self'";

fn page(title: &str, body: &str, script: Option<&str>) -> Response {
    let script = script.map_or(String::new(), |s| {
        format!("<script src=\"/developers/assets/{s}\"></script>")
    });
    let html = LAYOUT
        .replace("{{title}}", title)
        .replace("{{script}}", &script)
        .replace("{{body}}", body);
    with_csp(Html(html).into_response())
}

fn with_csp(mut resp: Response) -> Response {
    resp.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_CSP),
    );
    resp
}

/// `GET /openapi.json` — the OpenAPI 3.1 document of this server's API.
#[utoipa::path(get, path = "/openapi.json", operation_id = "openapi_document", tag = "Meta",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object)),
    security(()))]
async fn openapi_json() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.as_str(),
    )
}

async fn guide() -> Response {
    page(
        "Getting started",
        include_str!("../../assets/developers/index.html"),
        None,
    )
}

async fn keys() -> Response {
    page(
        "API keys",
        include_str!("../../assets/developers/keys.html"),
        Some("keys.js"),
    )
}

/// The changelog: the `## Changelog` part of docs/API_VERSIONING.md, rendered.
static CHANGELOG: LazyLock<String> = LazyLock::new(|| {
    let doc = include_str!("../../../../docs/API_VERSIONING.md");
    let part = doc.find("## Changelog").map_or(doc, |i| &doc[i..]);
    nexus_content::render(part).as_str().to_owned()
});

async fn changelog() -> Response {
    page("Changelog", &CHANGELOG, None)
}

async fn asset(Path(file): Path<String>) -> Result<Response, ApiError> {
    let (body, kind): (&'static str, &str) = match file.as_str() {
        "portal.css" => (
            include_str!("../../assets/developers/portal.css"),
            "text/css; charset=utf-8",
        ),
        "keys.js" => (
            include_str!("../../assets/developers/keys.js"),
            "text/javascript; charset=utf-8",
        ),
        _ => return Err(ApiError::not_found("asset")),
    };
    Ok(([(header::CONTENT_TYPE, kind)], body).into_response())
}

static SWAGGER: LazyLock<Arc<utoipa_swagger_ui::Config<'static>>> =
    LazyLock::new(|| Arc::new(utoipa_swagger_ui::Config::from("/openapi.json")));

async fn reference_index() -> Result<Response, ApiError> {
    swagger("index.html")
}

async fn reference(Path(file): Path<String>) -> Result<Response, ApiError> {
    swagger(&file)
}

fn swagger(file: &str) -> Result<Response, ApiError> {
    match utoipa_swagger_ui::serve(file, SWAGGER.clone()) {
        Ok(Some(f)) => {
            let mut resp = (
                [(header::CONTENT_TYPE, f.content_type)],
                f.bytes.into_owned(),
            )
                .into_response();
            if f.gzpipped {
                resp.headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            Ok(with_csp(resp))
        }
        Ok(None) => Err(ApiError::not_found("file")),
        Err(e) => {
            tracing::error!(error = %e, file, "serving the API reference failed");
            Err(ApiError::from_status(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            ))
        }
    }
}
