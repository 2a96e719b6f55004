//! W3C trace context for requests: continue the caller's trace and name ours.

use axum::http::HeaderMap;
use opentelemetry::propagation::{Extractor, TextMapPropagator as _};
use opentelemetry::trace::TraceContextExt as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// This request's place in a trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TraceIds {
    /// 32 hex digits.
    pub trace_id: String,
    /// Whether the caller's trace was continued (not one we started).
    pub continued: bool,
    /// This request's span: 16 hex digits.
    pub span_id: String,
    /// `00-<trace>-<span>-<flags>` for the response.
    pub traceparent: String,
}

struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(axum::http::HeaderName::as_str).collect()
    }
}

/// Makes `span` a child of the caller's `traceparent`, if valid, and returns the
/// span's trace context; `None` when tracing is off (the span has no trace).
pub(crate) fn continue_from(span: &tracing::Span, headers: &HeaderMap) -> Option<TraceIds> {
    // W3C is the one format we accept, so its propagator is used directly.
    let parent = TraceContextPropagator::new().extract(&Headers(headers));
    let continued = parent.span().span_context().is_valid();
    if continued {
        // Fails only when no OpenTelemetry layer is installed: then there is no trace.
        let _ = span.set_parent(parent);
    }
    let cx = span.context();
    let sc = cx.span().span_context().clone();
    sc.is_valid().then(|| TraceIds {
        trace_id: sc.trace_id().to_string(),
        continued,
        span_id: sc.span_id().to_string(),
        traceparent: format!(
            "00-{}-{}-{:02x}",
            sc.trace_id(),
            sc.span_id(),
            sc.trace_flags().to_u8()
        ),
    })
}
