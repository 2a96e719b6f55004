//! The OpenAPI 3.1 document, generated from the code.
//!
//! Each route module declares its operations with `#[utoipa::path]` next to the
//! handlers and exposes them as `api()`; this module nests them under their mount
//! points, then adds what every operation shares: the `default` problem+json response
//! (RFC 9457, with the stable `code`), the `X-Tenant` header on tenant routes, the 429
//! of the rate limits and quota, and the security schemes. Tests check that the
//! document lists exactly the routes the routers serve, and the server's suite checks
//! that `/openapi.json` equals the committed `docs/openapi.json`.

use crate::routes;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, OpenApi, RefOr, Required, ResponseBuilder, ResponsesBuilder,
};
use utoipa::{OpenApi as _, ToSchema};

/// An RFC 9457 problem document, as every error response carries it.
#[derive(ToSchema)]
#[schema(as = Problem)]
#[allow(dead_code)]
pub(crate) struct ProblemDoc {
    /// `urn:finai-nexus:problem:<code>`.
    #[schema(rename = "type")]
    kind: String,
    /// A short, fixed summary of the problem.
    title: String,
    /// The HTTP status.
    status: u16,
    /// This occurrence, in words a client may show.
    detail: Option<String>,
    /// The request path.
    instance: Option<String>,
    /// The stable machine code, e.g. `validation_failed`, `rate_limited`.
    code: String,
    /// The request's trace ID, for support.
    trace_id: String,
    /// On 422: every invalid field.
    errors: Option<nexus_domain::FieldErrors>,
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "FinAI Nexus API",
        description = "Multi-tenant financial education: learning, a portfolio simulator \
            (educational only: virtual money, no advice) and the API platform. Every error \
            is RFC 9457 problem+json with a stable `code`. Tenant routes name their tenant \
            by host (`<slug>.<base domain>`) or the `X-Tenant` header.",
        license(name = "Proprietary")
    ),
    components(schemas(ProblemDoc))
)]
struct Root;

/// The whole document.
pub fn document() -> OpenApi {
    let mut doc = Root::openapi();
    env!("CARGO_PKG_VERSION").clone_into(&mut doc.info.version);
    for (mount, mut api) in routes::apis() {
        // Prefix by hand and merge: `OpenApi::nest` replaces a path another module
        // already declared, dropping its operations; merging keeps both (two modules
        // serve different methods of one path).
        let paths = std::mem::take(&mut api.paths.paths);
        api.paths.paths = paths
            .into_iter()
            .map(|(path, item)| (format!("{mount}{path}"), item))
            .collect();
        doc.merge(api);
    }
    decorate(&mut doc);
    doc
}

/// The document as served and committed: pretty JSON with a trailing newline.
pub fn document_json() -> String {
    let mut out = document()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    out.push('\n');
    out
}

fn problem_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                        "Problem",
                    ))))
                    .build(),
            )
            .build(),
    )
}

fn tenant_header() -> Parameter {
    ParameterBuilder::new()
        .name("X-Tenant")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "The tenant's slug, when the host does not name it (enabled by \
             `http.allow_tenant_header`).",
        ))
        .schema(Some(
            utoipa::openapi::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::String),
        ))
        .build()
}

/// What every operation shares.
fn decorate(doc: &mut OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    let bearer = |format: &str, what: &str| {
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format(format)
                .description(Some(what))
                .build(),
        )
    };
    components.add_security_scheme(
        "session",
        bearer("opaque", "A session token from `POST /v1/auth/login`."),
    );
    components.add_security_scheme(
        "session_cookie",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            crate::extract::SESSION_COOKIE,
            "The session cookie set by `POST /v1/auth/login`.",
        ))),
    );
    components.add_security_scheme(
        "api_key",
        bearer(
            "nxk_live_…",
            "An API key (`nxk_live_…`), acting for its owner within its scopes.",
        ),
    );
    components.add_security_scheme(
        "platform",
        bearer(
            "opaque",
            "The platform operator token (`http.platform_token`) or a platform admin's session.",
        ),
    );
    for (path, item) in &mut doc.paths.paths {
        let tenant_route = path.starts_with("/v1/") && !path.starts_with("/v1/platform/");
        for op in operations(item) {
            let mut responses = std::mem::take(&mut op.responses);
            let extra = ResponsesBuilder::new()
                .response(
                    "default",
                    problem_response("An error, as RFC 9457 problem+json with a stable `code`."),
                )
                .build();
            for (status, r) in extra.responses {
                responses.responses.entry(status).or_insert(r);
            }
            if path.starts_with("/v1/") {
                responses
                    .responses
                    .entry("429".to_owned())
                    .or_insert_with(|| {
                        problem_response(
                            "`rate_limited` (with `Retry-After` and `RateLimit` fields) or \
                         `quota_exhausted` (an API key's tenant spent its monthly units).",
                        )
                    });
            }
            op.responses = responses;
            if tenant_route {
                op.parameters
                    .get_or_insert_with(Vec::new)
                    .push(RefOr::T(tenant_header()));
            }
        }
    }
}

fn operations(item: &mut utoipa::openapi::PathItem) -> Vec<&mut utoipa::openapi::path::Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn documented() -> BTreeSet<(String, String)> {
        let doc = document();
        let mut out = BTreeSet::new();
        for (path, item) in &doc.paths.paths {
            for (m, op) in [
                ("GET", &item.get),
                ("PUT", &item.put),
                ("POST", &item.post),
                ("DELETE", &item.delete),
                ("PATCH", &item.patch),
            ] {
                if op.is_some() {
                    out.insert((m.to_owned(), path.clone()));
                }
            }
        }
        out
    }

    #[test]
    fn the_document_covers_exactly_the_served_routes() {
        // The portal's pages are HTML for people, not API.
        let served: BTreeSet<(String, String)> = crate::ROUTES
            .iter()
            .filter(|(_, p)| !p.starts_with("/developers"))
            .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
            .collect();
        let documented = documented();
        let missing: Vec<_> = served.difference(&documented).collect();
        let extra: Vec<_> = documented.difference(&served).collect();
        assert!(
            missing.is_empty(),
            "routes without an operation: {missing:?}"
        );
        assert!(extra.is_empty(), "operations without a route: {extra:?}");
    }

    #[test]
    fn every_operation_has_an_id_a_success_response_and_the_problem_default() {
        let doc = document();
        let mut ids = BTreeSet::new();
        for (path, item) in &doc.paths.paths {
            for op in [&item.get, &item.put, &item.post, &item.delete, &item.patch]
                .into_iter()
                .flatten()
            {
                let id = op.operation_id.clone().unwrap_or_default();
                assert!(
                    ids.insert(id.clone()),
                    "{path}: operation id {id:?} repeats"
                );
                assert!(
                    op.responses
                        .responses
                        .keys()
                        .any(|s| s.starts_with('2') || s.starts_with('3')),
                    "{path}: no success response"
                );
                assert!(op.responses.responses.contains_key("default"), "{path}");
            }
        }
    }

    /// Components are keyed by name, so two types sharing one would silently leave one
    /// of them described by the other's schema.
    #[test]
    fn no_two_types_share_a_schema_name() {
        let mut seen = std::collections::BTreeMap::<String, String>::new();
        let mut clashes = Vec::new();
        for (_, api) in crate::routes::apis() {
            for (name, schema) in api.components.map(|c| c.schemas).unwrap_or_default() {
                let json = serde_json::to_string(&schema).unwrap();
                match seen.get(&name) {
                    Some(before) if *before != json => clashes.push(name),
                    _ => {
                        seen.insert(name, json);
                    }
                }
            }
        }
        assert!(
            clashes.is_empty(),
            "schema names used by different types: {clashes:?}"
        );
    }

    #[test]
    fn the_document_is_openapi_3_1_and_names_its_security_schemes() {
        let json: serde_json::Value = serde_json::from_str(&document_json()).unwrap();
        assert!(
            json["openapi"].as_str().unwrap().starts_with("3.1"),
            "{}",
            json["openapi"]
        );
        for scheme in ["session", "session_cookie", "api_key", "platform"] {
            assert!(
                json["components"]["securitySchemes"][scheme].is_object(),
                "{scheme}"
            );
        }
        assert!(json["components"]["schemas"]["Problem"].is_object());
    }
}
