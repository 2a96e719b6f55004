//! Deprecation fields on responses (RFC 9745 `Deprecation`, RFC 8594 `Sunset`, and
//! `Link: rel="deprecation"`), from one table of deprecated routes and fields.
//!
//! The table is code, reviewed with the change that deprecates something, and the
//! changelog in docs/API_VERSIONING.md must name every entry (a test checks it). A
//! deprecated field marks the routes whose bodies carry it: clients learn of it from
//! the same headers, and the changelog says which field it is.

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

/// One deprecated route, or a deprecated field of its bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deprecation {
    /// `GET`, `POST`, …
    pub method: &'static str,
    /// The route template, e.g. `/v1/courses/{id}`.
    pub route: &'static str,
    /// The deprecated field, when only a field is.
    pub field: Option<&'static str>,
    /// When the deprecation was announced (the `Deprecation` date).
    pub since: OffsetDateTime,
    /// When it stops working; at least six months after `since`.
    pub sunset: OffsetDateTime,
    /// The changelog's anchor for this entry, e.g. `2027-01-15-course-summary`.
    pub anchor: &'static str,
}

/// Everything deprecated today. Empty: nothing in v1 is deprecated yet.
pub const DEPRECATIONS: &[Deprecation] = &[];

/// The shortest notice a sunset may give, in days.
pub const MIN_NOTICE_DAYS: i64 = 183;

/// Nests `v1` under `/v1` with the deprecation fields layered on its routes, as the
/// application router does (the table names full templates, `/v1/...`).
pub(crate) fn nest_v1<S: Clone + Send + Sync + 'static>(
    v1: axum::Router<S>,
    table: Arc<[Deprecation]>,
) -> axum::Router<S> {
    axum::Router::new().nest(
        "/v1",
        v1.route_layer(axum::middleware::from_fn_with_state(
            table,
            deprecation_fields,
        )),
    )
}

/// The middleware: adds the three fields when the matched route is in `table`.
pub(crate) async fn deprecation_fields(
    State(table): State<Arc<[Deprecation]>>,
    req: Request,
    next: Next,
) -> Response {
    let hit = req.extensions().get::<MatchedPath>().and_then(|p| {
        let (m, route) = (req.method().as_str(), p.as_str());
        table
            .iter()
            .find(|d| d.method == m && d.route == route)
            .copied()
    });
    let mut resp = next.run(req).await;
    if let Some(d) = hit {
        for (name, value) in fields(&d) {
            if let Ok(v) = HeaderValue::from_str(&value) {
                resp.headers_mut().append(name, v);
            }
        }
    }
    resp
}

/// The header fields for one entry.
pub fn fields(d: &Deprecation) -> [(&'static str, String); 3] {
    // RFC 9745: a structured-field Date, `@` and Unix seconds. RFC 8594: an HTTP-date.
    let sunset = d
        .sunset
        .to_offset(time::UtcOffset::UTC)
        .format(&Rfc2822)
        .map(|s| s.replace("+0000", "GMT"))
        .unwrap_or_default();
    [
        ("deprecation", format!("@{}", d.since.unix_timestamp())),
        ("sunset", sunset),
        (
            "link",
            format!(
                "</developers/changelog#{}>; rel=\"deprecation\"; type=\"text/html\"",
                d.anchor
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use time::macros::datetime;
    use tower::ServiceExt;

    fn entry() -> Deprecation {
        Deprecation {
            method: "GET",
            route: "/v1/things/{id}",
            field: None,
            since: datetime!(2027-01-15 0:00 UTC),
            sunset: datetime!(2027-07-31 0:00 UTC),
            anchor: "2027-01-15-things",
        }
    }

    /// A deprecated field of another route's bodies.
    fn field_entry() -> Deprecation {
        Deprecation {
            method: "GET",
            route: "/v1/other",
            field: Some("colour"),
            anchor: "2027-01-15-other-colour",
            ..entry()
        }
    }

    /// Through the same nesting and layering as the application's `/v1` router.
    async fn call(path: &str) -> Response {
        let table: Arc<[Deprecation]> = Arc::from(vec![entry(), field_entry()]);
        let v1 = Router::new()
            .route(
                "/things/{id}",
                get(|| async { "thing" }).post(|| async { "made" }),
            )
            .route("/other", get(|| async { "other" }))
            .route("/plain", get(|| async { "plain" }));
        let app = nest_v1(v1, table);
        let method = if path.starts_with("POST ") {
            "POST"
        } else {
            "GET"
        };
        let uri = path.trim_start_matches("POST ");
        app.oneshot(
            Request::builder()
                .method(method)
                .uri(uri)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn a_deprecated_route_carries_the_three_fields() {
        let resp = call("/v1/things/42").await;
        let h = resp.headers();
        assert_eq!(h["deprecation"], "@1799971200");
        assert_eq!(h["sunset"], "Sat, 31 Jul 2027 00:00:00 GMT");
        assert_eq!(
            h["link"],
            "</developers/changelog#2027-01-15-things>; rel=\"deprecation\"; type=\"text/html\""
        );
    }

    #[tokio::test]
    async fn a_route_carrying_a_deprecated_field_is_marked_with_its_entry() {
        let resp = call("/v1/other").await;
        let h = resp.headers();
        assert_eq!(h["deprecation"], "@1799971200");
        assert!(
            h["link"]
                .to_str()
                .unwrap()
                .contains("changelog#2027-01-15-other-colour"),
            "{h:?}"
        );
    }

    #[tokio::test]
    async fn other_routes_and_methods_carry_none() {
        for path in ["/v1/plain", "POST /v1/things/42"] {
            let resp = call(path).await;
            assert!(resp.headers().get("deprecation").is_none(), "{path}");
            assert!(resp.headers().get("sunset").is_none(), "{path}");
        }
    }

    #[test]
    fn every_entry_names_a_route_and_gives_six_months_notice() {
        let changelog = include_str!("../../../docs/API_VERSIONING.md");
        for d in DEPRECATIONS {
            assert!(
                crate::ROUTES.contains(&(d.method, d.route)),
                "{} {} is not a route",
                d.method,
                d.route
            );
            assert!(
                d.sunset - d.since >= time::Duration::days(MIN_NOTICE_DAYS),
                "{}: sunset too soon",
                d.route
            );
            assert!(
                changelog.contains(&format!("id=\"{}\"", d.anchor)),
                "the changelog lacks an entry with id=\"{}\"",
                d.anchor
            );
        }
    }
}
