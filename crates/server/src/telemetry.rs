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
