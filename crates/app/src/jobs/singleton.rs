//! Loops that must run on exactly one node (the market tick, queue metrics).
//!
//! A [`Singleton`] repeatedly tries to take a lease. While it holds it, it runs the body
//! and renews every third of the TTL; if a renewal fails or is refused, it cancels the
//! body at once (another node may take over when the TTL runs out). A holder that dies
//! without releasing blocks others for at most one TTL.

use nexus_domain::Clock;
use nexus_store::LeaseStore;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// A lease-guarded loop runner.
pub struct Singleton {
    leases: Arc<dyn LeaseStore>,
    clock: Arc<dyn Clock>,
    name: String,
    holder: String,
    ttl: Duration,
}

impl Singleton {
    /// A runner for lease `name`, held as `holder` (unique per process) for `ttl`.
    pub fn new(
        leases: Arc<dyn LeaseStore>,
        clock: Arc<dyn Clock>,
        name: &str,
        holder: &str,
        ttl: Duration,
    ) -> Self {
        Self {
            leases,
            clock,
            name: name.to_owned(),
            holder: holder.to_owned(),
            ttl,
        }
    }

    /// Runs `body` whenever this node holds the lease, until `token` is cancelled. The
    /// body gets a token that is cancelled when leadership ends; it should return then.
    pub async fn run<F, Fut>(self, token: CancellationToken, body: F)
    where
        F: Fn(CancellationToken) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let every = self.ttl / 3;
        while !token.is_cancelled() {
            if self.acquire().await {
                tracing::info!(lease = %self.name, holder = %self.holder, "lease acquired; running");
                let lead = token.child_token();
                let mut task = tokio::spawn(body(lead.clone()));
                let finished = loop {
                    tokio::select! {
                        () = tokio::time::sleep(every) => {
                            if !self.acquire().await {
                                tracing::warn!(lease = %self.name, "lease lost; stopping");
                                break false;
                            }
                        }
                        _ = &mut task => break true,
                        () = token.cancelled() => break false,
                    }
                };
                lead.cancel();
                if !finished {
                    let _ = task.await;
                }
                if let Err(e) = self.leases.release(&self.name, &self.holder).await {
                    tracing::warn!(lease = %self.name, error = %e, "releasing the lease failed; it expires on its own");
                }
            }
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = token.cancelled() => {}
            }
        }
    }

    async fn acquire(&self) -> bool {
        match self
            .leases
            .try_acquire(&self.name, &self.holder, self.ttl, self.clock.now())
            .await
        {
            Ok(got) => got,
            Err(e) => {
                tracing::warn!(lease = %self.name, error = %e, "lease check failed");
                false
            }
        }
    }
}
