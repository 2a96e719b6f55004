//! The usage meter's flushes: on an interval while serving, and once more after the
//! HTTP server has drained, so a graceful stop loses no counted request.

use nexus_app::usage::Meter;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Flushes `meter` every `every` until `token` is cancelled.
pub(crate) fn spawn(
    meter: Arc<Meter>,
    every: Duration,
    token: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tokio::select! {
                _ = tick.tick() => { meter.flush().await; }
                () = token.cancelled() => break,
            }
        }
    })
}

/// Waits for the interval flusher to stop, then writes whatever is left. Call after
/// the drain: no request can be counted any more.
pub(crate) async fn finish(flusher: JoinHandle<()>, meter: &Meter) {
    if let Err(e) = flusher.await {
        tracing::error!(error = %e, "usage flusher failed");
    }
    let left = meter.pending_requests();
    let report = meter.flush().await;
    if report.failed > 0 {
        tracing::error!(
            requests = left,
            tenants = report.failed,
            "usage could not be written at shutdown; it is lost"
        );
    } else {
        tracing::info!(
            requests = left,
            rows = report.rows,
            "usage flushed at shutdown"
        );
    }
}
