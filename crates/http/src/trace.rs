//! W3C trace context for requests: continue the caller's trace and name ours, and decide
//! whether a request is traced before its span exists.
//!
//! Sampling is decided here, with the SDK's own sampler (the one `OTEL_TRACES_SAMPLER`
//! configures), on a trace ID drawn here. An unsampled request then makes no span for
//! the trace layer at all, and nor does anything it runs: building and entering spans
//! that the sampler would drop was most of what tracing cost (docs/PERFORMANCE.md). A
//! sampled request's span is given the same trace ID (through [`HandedIds`]), so the
//! SDK's sampler, asking again, decides alike.

use axum::http::HeaderMap;
use opentelemetry::propagation::{Extractor, TextMapPropagator as _};
use opentelemetry::trace::{SpanId, SpanKind, TraceContextExt as _, TraceFlags, TraceId};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{IdGenerator, RandomIdGenerator, SamplingDecision, ShouldSample};
use std::cell::Cell;
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

impl TraceIds {
    fn new(trace_id: TraceId, span_id: SpanId, flags: TraceFlags, continued: bool) -> Self {
        Self {
            trace_id: trace_id.to_string(),
            continued,
            span_id: span_id.to_string(),
            traceparent: format!("00-{trace_id}-{span_id}-{:02x}", flags.to_u8()),
        }
    }
}

/// The caller's trace context from its `traceparent`, if it sent a valid one. W3C is
/// the one format we accept, so its propagator is used directly.
fn caller(headers: &HeaderMap) -> opentelemetry::Context {
    TraceContextPropagator::new().extract(&Headers(headers))
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

thread_local! {
    // Set and cleared around one synchronous step of the request middleware (starting
    // the request's span), so a thread-local is enough.
    static NEXT_TRACE: Cell<Option<TraceId>> = const { Cell::new(None) };
}

/// The target of an unsampled request's span. The trace layer turns it off by its
/// static filter, so with logs at `warn` or quieter the span is not made at all; a
/// per-layer filter that said no per request would still leave the span to be built for
/// the registry (tracing-subscriber makes a span any layer might want). It sits under
/// the traced span's target, so a log directive for `nexus_http::middleware` (targets
/// match by prefix) covers both.
pub const UNTRACED: &str = "nexus_http::middleware::untraced";

/// The request's span: under the traced target when the request is sampled (or
/// tracing is off), under [`UNTRACED`] when not.
pub fn request_span(traced: bool, method: &str, route: &str) -> tracing::Span {
    macro_rules! span {
        ($target:expr) => {
            tracing::info_span!(
                target: $target,
                "request",
                otel.name = %format_args!("{method} {route}"),
                otel.kind = "server",
                method = %method,
                route = %route,
                request_id = tracing::field::Empty,
                trace_id = tracing::field::Empty,
                span_id = tracing::field::Empty,
                tenant_id = tracing::field::Empty,
                user_id = tracing::field::Empty,
                http.response.status_code = tracing::field::Empty,
            )
        };
    }
    if traced {
        span!("nexus_http::middleware")
    } else {
        span!(UNTRACED)
    }
}

/// Whether a span made now may go to the trace layer: not one made inside an unsampled
/// request (its events, its Redis commands). Everywhere else (jobs, start-up, work a
/// request spawned onto another task) the SDK's sampler decides as usual.
pub fn may_trace() -> bool {
    crate::middleware::current_request_sampled().unwrap_or(true)
}

/// The SDK's trace IDs: the one this request drew, when its span starts, and random
/// ones otherwise. Installed in the tracer provider by the binary.
#[derive(Debug, Default)]
pub struct HandedIds(RandomIdGenerator);

impl IdGenerator for HandedIds {
    fn new_trace_id(&self) -> TraceId {
        NEXT_TRACE
            .with(Cell::take)
            .unwrap_or_else(|| self.0.new_trace_id())
    }

    fn new_span_id(&self) -> SpanId {
        self.0.new_span_id()
    }
}

/// A request's sampling decision, made before its span.
#[derive(Debug)]
pub(crate) struct Decision {
    parent: opentelemetry::Context,
    trace_id: TraceId,
    /// Whether the request is traced.
    pub(crate) sampled: bool,
}

/// Clears the trace ID handed to the SDK on drop, so a panic while starting the span
/// cannot leave it for the next root span on this worker thread.
struct HandedOnce;

impl Drop for HandedOnce {
    fn drop(&mut self) {
        NEXT_TRACE.with(|n| n.set(None));
    }
}

/// Decides whether the request with `headers` (on `route`) is traced: the caller's
/// `traceparent` is the parent, as the SDK would see it.
pub(crate) fn decide(sampler: &dyn ShouldSample, headers: &HeaderMap, route: &str) -> Decision {
    let parent = caller(headers);
    let sc = parent.span().span_context().clone();
    let trace_id = if sc.is_valid() {
        sc.trace_id()
    } else {
        RandomIdGenerator::default().new_trace_id()
    };
    // The built-in samplers read neither the name nor the attributes; the route stands
    // in for the span's name without formatting it.
    let result = sampler.should_sample(Some(&parent), trace_id, route, &SpanKind::Server, &[], &[]);
    Decision {
        parent,
        trace_id,
        sampled: result.decision == SamplingDecision::RecordAndSample,
    }
}

impl Decision {
    /// The request's IDs: from its span when sampled, drawn here when not (the flags
    /// then say "not sampled", so the caller's next hop does not trace either).
    pub(crate) fn ids(&self, span: &tracing::Span) -> Option<TraceIds> {
        let continued = self.parent.span().span_context().is_valid();
        if self.sampled {
            NEXT_TRACE.with(|n| n.set((!continued).then_some(self.trace_id)));
            let _clear = HandedOnce;
            return continue_with(span, self.parent.clone());
        }
        let span_id = RandomIdGenerator::default().new_span_id();
        Some(TraceIds::new(
            self.trace_id,
            span_id,
            TraceFlags::NOT_SAMPLED,
            continued,
        ))
    }
}

/// Makes `span` a child of the caller's `traceparent`, if valid, and returns the
/// span's trace context; `None` when tracing is off (the span has no trace).
pub(crate) fn continue_from(span: &tracing::Span, headers: &HeaderMap) -> Option<TraceIds> {
    continue_with(span, caller(headers))
}

/// As [`continue_from`], with the caller's context already read.
fn continue_with(span: &tracing::Span, parent: opentelemetry::Context) -> Option<TraceIds> {
    let continued = parent.span().span_context().is_valid();
    if continued {
        // Fails only when no OpenTelemetry layer is installed: then there is no trace.
        let _ = span.set_parent(parent);
    }
    let cx = span.context();
    let sc = cx.span().span_context().clone();
    sc.is_valid()
        .then(|| TraceIds::new(sc.trace_id(), sc.span_id(), sc.trace_flags(), continued))
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_sdk::trace::Sampler;

    fn headers(traceparent: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(t) = traceparent {
            h.insert("traceparent", t.parse().unwrap_or_else(|_| unreachable!()));
        }
        h
    }

    const PARENT: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331";

    #[test]
    fn the_configured_sampler_decides_and_a_parent_is_followed() {
        let on = Sampler::ParentBased(Box::new(Sampler::AlwaysOn));
        let off = Sampler::AlwaysOff;
        assert!(decide(&on, &headers(None), "/r").sampled);
        assert!(!decide(&off, &headers(None), "/r").sampled);
        let unsampled_parent = headers(Some(&format!("{PARENT}-00")));
        let sampled_parent = headers(Some(&format!("{PARENT}-01")));
        assert!(!decide(&on, &unsampled_parent, "/r").sampled);
        assert!(decide(&on, &sampled_parent, "/r").sampled);
        let d = decide(&on, &unsampled_parent, "/r");
        assert_eq!(d.trace_id.to_string(), "0af7651916cd43dd8448eb211c80319c");
    }

    #[test]
    fn an_unsampled_request_still_has_ids_that_say_so() {
        let d = decide(&Sampler::AlwaysOff, &headers(None), "/r");
        let ids = d
            .ids(&tracing::Span::none())
            .unwrap_or_else(|| unreachable!());
        assert_eq!(ids.trace_id.len(), 32);
        assert!(!ids.continued);
        assert_eq!(
            ids.traceparent,
            format!("00-{}-{}-00", ids.trace_id, ids.span_id)
        );
        let continued = decide(
            &Sampler::ParentBased(Box::new(Sampler::AlwaysOn)),
            &headers(Some(&format!("{PARENT}-00"))),
            "/r",
        );
        let ids = continued
            .ids(&tracing::Span::none())
            .unwrap_or_else(|| unreachable!());
        assert!(ids.continued);
        assert_eq!(ids.trace_id, "0af7651916cd43dd8448eb211c80319c");
    }

    #[test]
    fn outside_a_request_the_sdk_decides() {
        assert!(may_trace());
    }

    #[test]
    fn the_drawn_trace_id_is_handed_to_the_sdk_once() {
        let ids = HandedIds::default();
        let drawn = TraceId::from(42_u128);
        NEXT_TRACE.with(|n| n.set(Some(drawn)));
        assert_eq!(ids.new_trace_id(), drawn);
        assert_ne!(ids.new_trace_id(), drawn);
    }
}
