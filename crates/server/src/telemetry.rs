//! Logs and traces: one `init()` returning a guard held for the process's life.
//!
//! Traces are exported over OTLP (HTTP/protobuf) when `OTEL_EXPORTER_OTLP_ENDPOINT` or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set, honouring the standard `OTEL_*`
//! variables (service name, resource attributes, sampler, headers, timeout); W3C
//! `traceparent` is accepted and propagated. Dropping the guard flushes the last spans.

use crate::config::LogFormat;
use opentelemetry::trace::TracerProvider as _;
use tracing_subscriber::filter::FilterExt as _;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// The sampler requests are traced by when traces are exported: the SDK's, configured
/// by `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG` as the tracer's own is.
/// `None` unless `init` installed the trace layer: if the exporter could not be built,
/// traces are off and requests must not claim trace IDs nobody records.
pub fn request_sampler() -> Option<&'static dyn opentelemetry_sdk::trace::ShouldSample> {
    REQUEST_SAMPLER.get().map(|s| &**s)
}

/// Set by `init` when it installs the trace layer. Process-wide, as the subscriber it
/// goes with is; a `&'static` so that each request copies a pointer rather than
/// counting a reference shared by every request.
static REQUEST_SAMPLER: std::sync::OnceLock<Box<dyn opentelemetry_sdk::trace::ShouldSample>> =
    std::sync::OnceLock::new();

/// Keeps telemetry alive; dropping it flushes spans not yet exported.
#[derive(Debug)]
pub struct TelemetryGuard {
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(p) = self.provider.take()
            && let Err(e) = p.shutdown()
        {
            eprintln!("nexus: flushing traces failed: {e}");
        }
    }
}

/// Whether the environment asks for trace export.
pub fn traces_requested(env: &dyn Fn(&str) -> Option<String>) -> bool {
    let set = |k: &str| env(k).is_some_and(|v| !v.trim().is_empty());
    let disabled = env("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    !disabled && (set("OTEL_EXPORTER_OTLP_ENDPOINT") || set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
}

fn tracer_provider() -> Result<opentelemetry_sdk::trace::SdkTracerProvider, String> {
    crate::webhook_client::install_crypto_provider();
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()
        .map_err(|e| format!("OTLP exporter: {e}"))?;
    // The builder reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES; our default name
    // applies only when neither names the service.
    let named = std::env::var("OTEL_SERVICE_NAME").is_ok()
        || std::env::var("OTEL_RESOURCE_ATTRIBUTES").is_ok_and(|a| {
            a.split(',')
                .any(|kv| kv.trim().starts_with("service.name="))
        });
    let mut resource = opentelemetry_sdk::Resource::builder();
    if !named {
        resource = resource.with_service_name("finai-nexus");
    }
    let resource = resource
        .with_attribute(opentelemetry::KeyValue::new(
            "service.version",
            env!("CARGO_PKG_VERSION"),
        ))
        .build();
    Ok(opentelemetry_sdk::trace::SdkTracerProvider::builder()
        // Requests draw their trace ID before their span exists (to sample first); this
        // hands it to the SDK. The sampler is the SDK's default: from `OTEL_*`.
        .with_id_generator(nexus_http::trace::HandedIds::default())
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}

/// Installs the global subscriber: logs to stderr at `level`, spans to OTLP when
/// configured, and database statements as metrics (with `metrics`) and spans (with
/// traces) on `db_backend` (`sqlite` or `postgres`). A second call (as in tests) is a
/// no-op.
pub fn init(
    format: LogFormat,
    level: &str,
    db_backend: &'static str,
    metrics: bool,
) -> TelemetryGuard {
    let mut layers = vec![logs_layer(format, level)];
    let mut provider = None;
    let mut db_tracer = None;
    if traces_requested(&|k| std::env::var(k).ok()) {
        match tracer_provider() {
            Ok(p) => {
                let tracer = p.tracer("finai-nexus");
                db_tracer = Some(tracer.clone());
                provider = Some(p);
                opentelemetry::global::set_text_map_propagator(
                    opentelemetry_sdk::propagation::TraceContextPropagator::new(),
                );
                layers.push(traces_layer(tracer));
            }
            Err(e) => eprintln!("nexus: traces are off: {e}"),
        }
    }
    let exporting = db_tracer.is_some();
    // sqlx's statement events (target `sqlx::query`, debug) reach this layer only, and
    // only when something consumes them: enabling them makes sqlx format every
    // statement's summary, which a process without metrics or traces need not pay.
    if metrics || exporting {
        layers.push(statements_layer(db_backend, db_tracer));
    }
    // A `Vec` of the layers present, not `Option`s: an absent `Option` layer answers
    // "always interested" for every callsite, so with metrics on and traces off every
    // info span (one per request) was built and entered for nobody. The measured cost
    // was most of the metrics-only overhead (docs/PERFORMANCE.md).
    let installed = tracing_subscriber::registry()
        .with(layers)
        .try_init()
        .is_ok();
    if exporting && installed {
        let _ = REQUEST_SAMPLER.set(opentelemetry_sdk::trace::Config::default().sampler);
    }
    TelemetryGuard { provider }
}

type Boxed = Box<dyn Layer<tracing_subscriber::Registry> + Send + Sync>;

fn logs_layer(format: LogFormat, level: &str) -> Boxed {
    let filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match format {
        LogFormat::Json => logs
            .fmt_fields(tracing_subscriber::fmt::format::JsonFields::new())
            .event_format(crate::ecs::Ecs)
            .with_filter(filter)
            .boxed(),
        LogFormat::Text => logs.compact().with_filter(filter).boxed(),
    }
}

/// Spans and events at info and above: requests, jobs, deliveries; not sqlx's
/// per-statement info events (every SQL text as a span event).
fn traces_layer(tracer: opentelemetry_sdk::trace::Tracer) -> Boxed {
    // No busy/idle tracking: it takes the time and a span lock on every poll, which a
    // request awaiting the database does many times. No thread or source location
    // attributes either: they only add bytes to export.
    tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_tracked_inactivity(false)
        .with_threads(false)
        .with_location(false)
        // `sqlx::query` off entirely: its slow-statement warnings carry the SQL text,
        // which must not leave the process (statements become spans through
        // `db_statements`, without it).
        // And nothing of an unsampled request: its spans would be built only to be
        // dropped by the sampler.
        // An unsampled request's own span is under a target turned off here. What is
        // made inside one is refused by a dynamic filter, asked on every span and event
        // (a plain `filter_fn` is asked once per callsite and its first answer kept, and
        // these callsites serve sampled and unsampled requests alike).
        .with_filter(
            EnvFilter::new(format!(
                "info,sqlx=warn,sqlx::query=off,nexus_http::access=off,{}=off",
                nexus_http::trace::UNTRACED
            ))
            .and(
                tracing_subscriber::filter::dynamic_filter_fn(|_, _| {
                    nexus_http::trace::may_trace()
                })
                .with_max_level_hint(tracing::level_filters::LevelFilter::INFO),
            ),
        )
        .boxed()
}

fn statements_layer(
    db_backend: &'static str,
    tracer: Option<opentelemetry_sdk::trace::Tracer>,
) -> Boxed {
    crate::db_statements::DbStatements::new(db_backend, tracer)
        .with_filter(
            tracing_subscriber::filter::Targets::new()
                .with_target("sqlx::query", tracing::Level::DEBUG)
                .with_target(crate::db_statements::ACQUIRE_TARGET, tracing::Level::DEBUG),
        )
        .boxed()
}

/// The process's Prometheus recorder. The `metrics` facade is process-global by design,
/// so the recorder is installed once and every app in the process shares it.
static PROMETHEUS: std::sync::OnceLock<Option<metrics_exporter_prometheus::PrometheusHandle>> =
    std::sync::OnceLock::new();

/// Installs the Prometheus recorder (once per process) and returns its handle.
pub fn prometheus() -> Option<metrics_exporter_prometheus::PrometheusHandle> {
    PROMETHEUS
        .get_or_init(|| {
            // Request durations are histograms (not summaries): an SLO is a bucket ratio,
            // and buckets aggregate across replicas where quantiles do not.
            let builder = metrics_exporter_prometheus::PrometheusBuilder::new()
                .set_buckets_for_metric(
                    metrics_exporter_prometheus::Matcher::Full(nexus_http::red::DURATION.into()),
                    &nexus_http::red::DURATION_BUCKETS,
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        metrics_exporter_prometheus::Matcher::Full(
                            crate::db_statements::DURATION.into(),
                        ),
                        &crate::db_statements::BUCKETS,
                    )
                })
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        metrics_exporter_prometheus::Matcher::Full(
                            crate::db_statements::ACQUIRE.into(),
                        ),
                        &crate::db_statements::ACQUIRE_BUCKETS,
                    )
                });
            let recorder = match builder {
                Ok(b) => b.build_recorder(),
                Err(e) => {
                    tracing::warn!(error = %e, "histogram buckets refused; using summaries");
                    metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder()
                }
            };
            let handle = recorder.handle();
            match metrics::set_global_recorder(recorder) {
                Ok(()) => Some(handle),
                Err(e) => {
                    tracing::warn!(error = %e, "another metrics recorder is installed; /metrics disabled");
                    None
                }
            }
        })
        .clone()
}

/// Publishes the pool's state as gauges (at each scrape, so it is current).
fn publish_pool(db: &dyn nexus_store::Database) {
    let p = db.pool_stats();
    let backend = db.backend();
    metrics::gauge!("nexus_db_pool_connections", "backend" => backend, "state" => "idle")
        .set(f64::from(p.idle));
    metrics::gauge!("nexus_db_pool_connections", "backend" => backend, "state" => "in_use")
        .set(f64::from(p.open.saturating_sub(p.idle)));
    metrics::gauge!("nexus_db_pool_max_connections", "backend" => backend).set(f64::from(p.max));
}

/// Serves `/metrics` on its own listener until `token` is cancelled.
pub(crate) fn serve_metrics(
    listener: tokio::net::TcpListener,
    db: std::sync::Arc<dyn nexus_store::Database>,
    active: std::sync::Arc<nexus_http::active::Active>,
    token: tokio_util::sync::CancellationToken,
) {
    let Some(handle) = prometheus() else { return };
    let upkeep = handle.clone();
    let upkeep_token = token.clone();
    tokio::spawn(async move {
        // Histograms are summarised lazily; drain them regularly so memory stays flat.
        loop {
            tokio::select! {
                () = tokio::time::sleep(std::time::Duration::from_secs(5)) => upkeep.run_upkeep(),
                () = upkeep_token.cancelled() => return,
            }
        }
    });
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let handle = handle.clone();
            publish_pool(db.as_ref());
            // So the gauges fall when traffic stops, not only move when it comes.
            active.publish();
            async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4",
                    )],
                    handle.render(),
                )
            }
        }),
    );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(token.cancelled_owned())
            .await
        {
            tracing::error!(error = %e, "metrics listener failed");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    // One test, in this order: callsite interest is process-wide, so a subscriber with
    // a dynamic filter alive on another test thread would change what the other
    // subscriber's spans are asked (the first check would pass or fail by timing).
    #[test]
    fn layers_build_only_the_spans_someone_wants() {
        metrics_without_traces_builds_no_info_spans_but_sees_statements();
        an_unsampled_request_makes_no_span_and_a_sampled_one_is_traced();
    }

    fn an_unsampled_request_makes_no_span_and_a_sampled_one_is_traced() {
        use nexus_http::trace::{HandedIds, request_span};
        use tracing_opentelemetry::OpenTelemetrySpanExt as _;
        // Logs at warn, so only the trace layer could want the request span.
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
            .with_id_generator(HandedIds::default())
            .build();
        let layers = vec![
            logs_layer(LogFormat::Text, "warn"),
            traces_layer(provider.tracer("test")),
        ];
        let subscriber = tracing_subscriber::registry().with(layers);
        tracing::subscriber::with_default(subscriber, || {
            use opentelemetry::trace::TraceContextExt as _;
            // Each in turn, twice: neither answer may stick to its callsite.
            for _ in 0..2 {
                assert!(request_span(false, "GET", "/r").is_disabled());
                let traced = request_span(true, "GET", "/r");
                assert!(!traced.is_disabled(), "a sampled request lost its span");
                assert!(traced.context().span().span_context().is_sampled());
            }
        });
    }

    fn metrics_without_traces_builds_no_info_spans_but_sees_statements() {
        // The composition `init` makes with metrics on and traces off, logging at warn.
        let layers = vec![
            logs_layer(LogFormat::Text, "warn"),
            statements_layer("sqlite", None),
        ];
        let subscriber = tracing_subscriber::registry().with(layers);
        tracing::subscriber::with_default(subscriber, || {
            assert!(
                tracing::info_span!("request").is_disabled(),
                "no layer wants info spans, so none may be built"
            );
            assert!(
                tracing::enabled!(target: "sqlx::query", tracing::Level::DEBUG),
                "the statements layer must still see sqlx's statement events"
            );
        });
    }
}
