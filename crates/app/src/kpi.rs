//! Business KPIs read from stored state (as opposed to the counters bumped where things
//! happen): published as gauges by one node at a time, under a lease, so replicas do
//! not report the same figure twice.

use nexus_store::UserStore;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The gauge of accounts across every tenant.
pub const REGISTERED_USERS: &str = "nexus_users_registered";

/// Publishes [`REGISTERED_USERS`] every `every` until `token` is cancelled. Run it under
/// a [`crate::jobs::singleton::Singleton`].
pub async fn export_registered(
    users: Arc<dyn UserStore>,
    every: Duration,
    token: CancellationToken,
) {
    loop {
        match users.count_all().await {
            #[allow(clippy::cast_precision_loss)] // a gauge; counts far below 2^52
            Ok(n) => metrics::gauge!(REGISTERED_USERS).set(n as f64),
            Err(e) => tracing::warn!(error = %e, "counting registered users failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = token.cancelled() => return,
        }
    }
}
