//! Cross-cutting HTTP behaviour: request IDs, client IPs, security headers, limits,
//! timeouts, the readiness gate and the problem fallback.
//!
//! `X-Forwarded-For` is believed only when the TCP peer is a configured proxy; otherwise
//! a client could spoof its address past rate limits and audit logs.

use crate::error::ApiError;
use crate::{AppState, HttpSettings};
use axum::Router;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ipnet::IpNet;
use opentelemetry_sdk::trace::ShouldSample;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Per-request facts that error rendering needs without threading them everywhere.
#[derive(Clone, Debug, Default)]
pub(crate) struct RequestContext {
    pub(crate) request_id: String,
    pub(crate) path: Option<String>,
    /// Whether the request is traced; `None` when tracing is off.
    pub(crate) sampled: Option<bool>,
}

tokio::task_local! {
    // Task-local rather than passed: ApiError can be built deep inside an extractor.
    static CONTEXT: RequestContext;
}

impl RequestContext {
    /// The context of the request this task is serving (empty outside one).
    pub(crate) fn current() -> Self {
        CONTEXT.try_with(Clone::clone).unwrap_or_default()
    }
}

/// Whether the request this task serves is traced (`None` outside a request, or with
/// tracing off).
pub(crate) fn current_request_sampled() -> Option<bool> {
    CONTEXT.try_with(|c| c.sampled).ok().flatten()
}

/// The client's address after applying the trusted-proxy rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Accepts a sane incoming `X-Request-Id` or uses the trace ID (or mints one), scopes
/// the request's span and context to it, and returns it on the response with the
/// request's `traceparent`.
async fn request_id(
    State(sampler): State<Option<&'static dyn ShouldSample>>,
    req: Request,
    next: Next,
) -> Response {
    let incoming = req
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 128
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map(str::to_owned);
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let client = req
        .extensions()
        .get::<ClientIp>()
        .map(|c| c.0.to_string())
        .unwrap_or_default();
    // With tracing on, sampling is decided first: an unsampled request's span (and
    // everything under it) never reaches the trace layer.
    let decision = sampler.map(|s| crate::trace::decide(s, req.headers(), &route));
    let span = crate::trace::request_span(
        decision.as_ref().is_none_or(|d| d.sampled),
        req.method().as_str(),
        &route,
    );
    // Continue the caller's trace (W3C `traceparent`) when it sent one. With tracing
    // off the context stays empty and nothing below changes.
    let trace = match &decision {
        Some(d) => d.ids(&span),
        None => crate::trace::continue_from(&span, req.headers()),
    };
    // Without an X-Request-Id of the caller's, a trace we start has its trace ID as the
    // request ID, so one ID finds the logs, the trace and the problem body. A trace the
    // caller started spans many requests, so each of those gets its own ID.
    let id = match (incoming, &trace) {
        (Some(id), _) => id,
        (None, Some(t)) if !t.continued => t.trace_id.clone(),
        _ => uuid::Uuid::new_v4().to_string(),
    };
    span.record("request_id", id.as_str());
    if let Some(t) = &trace {
        span.record("trace_id", t.trace_id.as_str());
        span.record("span_id", t.span_id.as_str());
    }
    let ctx = RequestContext {
        request_id: id.clone(),
        path: Some(req.uri().path().to_owned()),
        sampled: decision.as_ref().map(|d| d.sampled),
    };
    let mut resp =
        tracing::Instrument::instrument(CONTEXT.scope(ctx, next.run(req)), span.clone()).await;
    let status = resp.status().as_u16();
    span.record("http.response.status_code", status);
    // The client's address is on this access line only, never on the span: spans (and
    // events, except this target's) go to the trace backend, and an IP address is
    // personal data.
    span.in_scope(
        || tracing::info!(target: "nexus_http::access", status, client_ip = %client, "served"),
    );
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(X_REQUEST_ID, v);
    }
    if let Some(t) = trace
        && let Ok(v) = HeaderValue::from_str(&t.traceparent)
    {
        resp.headers_mut().insert("traceparent", v);
    }
    resp
}

/// Works out the client address, believing `X-Forwarded-For` only from trusted proxies.
async fn client_ip(
    State(trusted): State<Arc<Vec<IpNet>>>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let forwarded = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(peer) = peer {
        let ip = resolve_client_ip(peer, forwarded.as_deref(), &trusted);
        req.extensions_mut().insert(ClientIp(ip));
    }
    next.run(req).await
}

/// Walks `X-Forwarded-For` from the right, skipping trusted proxies; the first untrusted
/// hop is the client. A malformed entry stops the walk at the last trusted hop.
pub(crate) fn resolve_client_ip(
    peer: IpAddr,
    forwarded: Option<&str>,
    trusted: &[IpNet],
) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded.unwrap_or_default().rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

/// Until start-up finishes, API calls get 503 with `Retry-After` instead of hanging.
pub(crate) async fn readiness_gate(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if state.services.health.is_started() {
        next.run(req).await
    } else {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "starting",
            "The service is starting",
        )
        .detail("the database is not ready yet; retry shortly")
        .into_response()
    }
}

/// Gives error responses from tower layers and axum's router (413, timeouts, 405) a
/// problem body, so clients can rely on problem+json for every error.
async fn problem_fallback(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    // Our own JSON error bodies (problems, and /readyz's report) pass through untouched.
    let is_json = resp.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
        v.as_bytes() == b"application/problem+json" || v.as_bytes() == b"application/json"
    });
    if (status.is_client_error() || status.is_server_error()) && !is_json {
        let mut fresh = ApiError::from_status(status).into_response();
        for name in [header::ALLOW, header::RETRY_AFTER] {
            if let Some(v) = resp.headers().get(&name) {
                fresh.headers_mut().insert(name, v.clone());
            }
        }
        return fresh;
    }
    resp
}

/// Adds the security headers unless a handler set its own.
async fn security_headers(
    State(headers): State<Arc<Vec<(HeaderName, HeaderValue)>>>,
    req: Request,
    next: Next,
) -> Response {
    let mut resp = next.run(req).await;
    for (name, value) in headers.iter() {
        resp.headers_mut()
            .entry(name.clone())
            .or_insert_with(|| value.clone());
    }
    resp
}

/// Wraps the router in the middleware stack (listed innermost first).
pub(crate) fn apply(router: Router, s: &HttpSettings) -> Router {
    let trusted = Arc::new(s.trusted_proxies.clone());
    let headers = Arc::new(security_header_values(s.external_tls));
    router
        .layer(RequestBodyLimitLayer::new(s.body_limit_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            s.request_timeout,
        ))
        .layer(axum::middleware::from_fn(problem_fallback))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(
            headers,
            security_headers,
        ))
        // Inside the request ID (its span) and outside the timeout (its 503s count).
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(crate::red::RedTable::new(crate::ROUTES)),
            crate::red::observe,
        ))
        .layer(axum::middleware::from_fn_with_state(
            s.trace_sampler,
            request_id,
        ))
        // Outermost, so the request span can carry the client address.
        .layer(axum::middleware::from_fn_with_state(trusted, client_ip))
}

/// Security headers, as `(name, value)`; HSTS only when TLS terminates in front of us.
pub(crate) fn security_header_values(external_tls: bool) -> Vec<(HeaderName, HeaderValue)> {
    let mut v = vec![
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'",
            ),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    ];
    if external_tls {
        v.push((
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn inside_an_unsampled_request_nothing_may_be_traced() {
        let ctx = |sampled| RequestContext {
            sampled,
            ..RequestContext::default()
        };
        // In turn, twice: the answer is the request's, never kept.
        for _ in 0..2 {
            let unsampled = CONTEXT.scope(ctx(Some(false)), async { crate::trace::may_trace() });
            assert!(!unsampled.await);
            let sampled = CONTEXT.scope(ctx(Some(true)), async { crate::trace::may_trace() });
            assert!(sampled.await);
            let tracing_off = CONTEXT.scope(ctx(None), async { crate::trace::may_trace() });
            assert!(tracing_off.await);
        }
        assert!(
            crate::trace::may_trace(),
            "outside a request the SDK decides"
        );
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxies: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // Untrusted peer: its own address, whatever the header says.
        assert_eq!(
            resolve_client_ip(ip("203.0.113.9"), Some("1.2.3.4"), &proxies),
            ip("203.0.113.9")
        );
        // Trusted peer: the rightmost untrusted hop.
        assert_eq!(
            resolve_client_ip(
                ip("10.0.0.2"),
                Some("1.2.3.4, 198.51.100.7, 10.0.0.5"),
                &proxies
            ),
            ip("198.51.100.7")
        );
        // Trusted peer without the header: the peer.
        assert_eq!(
            resolve_client_ip(ip("10.0.0.2"), None, &proxies),
            ip("10.0.0.2")
        );
        // Garbage stops the walk at the last trusted hop.
        assert_eq!(
            resolve_client_ip(ip("10.0.0.2"), Some("1.2.3.4, nonsense"), &proxies),
            ip("10.0.0.2")
        );
        // No proxies configured: never believed.
        assert_eq!(
            resolve_client_ip(ip("127.0.0.1"), Some("1.2.3.4"), &[]),
            ip("127.0.0.1")
        );
    }
}
