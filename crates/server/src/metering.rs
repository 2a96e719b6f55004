//! The usage meter's flushes: on an interval while serving, once more after the HTTP
//! server has drained, so a graceful stop loses no counted request, and a last time
//! before the pool closes for requests that outlived a forced close (axum runs each
//! connection in its own task, so aborting the server does not stop them at once).

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
/// the drain.
pub(crate) async fn finish(flusher: JoinHandle<()>, meter: &Meter) {
    if let Err(e) = flusher.await {
        tracing::error!(error = %e, "usage flusher failed");
    }
    last_flush(meter, "usage flushed at shutdown").await;
}

/// Writes what requests finishing after [`finish`] counted; call just before the pool
/// closes.
pub(crate) async fn stragglers(meter: &Meter) {
    if meter.pending_requests() > 0 {
        last_flush(meter, "late usage flushed before the pool closed").await;
    }
}

async fn last_flush(meter: &Meter, done: &'static str) {
    // One retry: a transient error at shutdown would otherwise lose the batch.
    let mut report = meter.flush().await;
    if report.failed > 0 {
        report = meter.flush().await;
    }
    if report.failed > 0 {
        tracing::error!(
            requests = report.failed_requests,
            tenants = report.failed,
            "usage could not be written at shutdown; it is lost"
        );
    } else {
        tracing::info!(rows = report.rows, "{done}");
    }
}
