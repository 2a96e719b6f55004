//! Logging setup: one `init()` returning a guard held for the process's life.
//!
//! OpenTelemetry export and metrics arrive with the observability issue; the guard is
//! where their flush-on-drop will live.

use crate::config::LogFormat;
use tracing_subscriber::EnvFilter;

/// Keeps telemetry alive; dropping it flushes (nothing to flush yet).
#[derive(Debug)]
pub struct TelemetryGuard;

/// Installs the global subscriber. A second call (as in tests) is a no-op.
pub fn init(format: LogFormat, level: &str) -> TelemetryGuard {
    let filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Text => builder.compact().try_init(),
    };
    TelemetryGuard
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
                );
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
