//! Recording and verifying the audit trail.
//!
//! Every privileged action goes through [`AuditService::record`] with the [`Caller`]
//! that asked for it. A failed audit write fails the action's request (it is never
//! swallowed), and [`AuditService::verify`] recomputes a chain end to end.

use crate::AppError;
use nexus_domain::access::Actor;
use nexus_domain::audit::{
    AuditEvent, AuditEventId, AuditQuery, ChainBreak, NewAuditEvent, chain_of, verify,
};
use nexus_domain::paging::Order;
use nexus_domain::{Clock, TenantId};
use nexus_store::{AuditStore, Tx};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Where a request came from, for the audit record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMeta {
    /// Client address (after the trusted-proxy rule).
    pub ip: Option<String>,
    /// `User-Agent`.
    pub user_agent: Option<String>,
    /// `X-Request-Id`.
    pub request_id: Option<String>,
}

/// Who is asking, and from where.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The acting identity.
    pub actor: Actor,
    /// Request facts.
    pub meta: RequestMeta,
}

impl Caller {
    /// A platform operator at the command line.
    pub fn cli() -> Self {
        Self {
            actor: Actor::Platform,
            meta: RequestMeta {
                user_agent: Some("nexus-cli".into()),
                ..RequestMeta::default()
            },
        }
    }
    /// The system itself (jobs, start-up).
    pub fn system() -> Self {
        Self {
            actor: Actor::System,
            meta: RequestMeta::default(),
        }
    }

    /// `Forbidden` unless the caller may operate the platform (operator token, CLI, the
    /// system, or a platform_admin user).
    pub fn require_platform(&self) -> Result<(), AppError> {
        if self.actor.is_platform() {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                nexus_domain::access::Permission::PlatformOperate.as_str(),
            ))
        }
    }

    /// `Forbidden` unless the caller holds `p` in `tenant`.
    pub fn require(
        &self,
        tenant: TenantId,
        p: nexus_domain::access::Permission,
    ) -> Result<(), AppError> {
        if self.actor.can(tenant, p) {
            Ok(())
        } else {
            Err(AppError::Forbidden(p.as_str()))
        }
    }
}

/// One action to record.
#[derive(Debug, Clone)]
pub struct Record<'a> {
    /// The tenant concerned, if any.
    pub tenant: Option<TenantId>,
    /// Dotted action, e.g. `tenant.update`.
    pub action: &'a str,
    /// What it was done to, e.g. `tenant:acme`.
    pub target: String,
    /// `{"before": …, "after": …}` where it applies.
    pub diff: Option<serde_json::Value>,
}

/// What verification found for one chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// `platform` or the tenant ID.
    pub chain: String,
    /// Events verified, or where the chain breaks.
    pub outcome: Result<u64, ChainBreak>,
}

/// The audit use cases.
#[derive(Clone)]
pub struct AuditService {
    store: Arc<dyn AuditStore>,
    clock: Arc<dyn Clock>,
}

/// Logs a recorded event. The object is logged only when it is an opaque ID
/// (`user:<uuid>`): some name a person (`login:<e-mail>` for a failed login), and logs,
/// unlike the audit chain, must hold no personal data.
fn log_event(e: &NewAuditEvent, id: AuditEventId) {
    let object = match e.target.split_once(':') {
        Some((kind, id)) if uuid::Uuid::parse_str(id).is_ok() => format!("{kind}:{id}"),
        Some((kind, _)) => format!("{kind}:[redacted]"),
        None if uuid::Uuid::parse_str(&e.target).is_ok() => e.target.clone(),
        None => "[redacted]".to_owned(),
    };
    let chain = chain_of(e.tenant);
    tracing::info!(target: "audit", chain = %chain, event = %id, actor = %e.actor, action = %e.action, object = %object, "audit");
}

impl AuditService {
    /// Wires the service.
    pub fn new(store: Arc<dyn AuditStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    fn event(caller: &Caller, r: Record<'_>) -> NewAuditEvent {
        NewAuditEvent {
            tenant: r.tenant,
            actor: caller.actor.audit_name(),
            action: r.action.to_owned(),
            target: r.target,
            ip: caller.meta.ip.clone(),
            user_agent: caller.meta.user_agent.clone(),
            request_id: caller.meta.request_id.clone(),
            diff: r.diff,
        }
    }

    /// Records an action in its own transaction.
    pub async fn record(&self, caller: &Caller, r: Record<'_>) -> Result<(), AppError> {
        let id = AuditEventId::generate(self.clock.as_ref());
        let event = Self::event(caller, r);
        log_event(&event, id);
        self.store
            .append(event, id, self.clock.now())
            .await
            .map_err(|e| AppError::from_store("audit chain", e))
    }

    /// Records an action inside the caller's transaction: it commits with the change,
    /// and is chained shortly after (see [`Self::seal_all`]).
    pub async fn record_in(
        &self,
        tx: &mut dyn Tx,
        caller: &Caller,
        r: Record<'_>,
    ) -> Result<(), AppError> {
        let id = AuditEventId::generate(self.clock.as_ref());
        let event = Self::event(caller, r);
        // Logged when recorded; should the transaction then roll back, the chain (which
        // `nexus audit verify` checks) is the record of what happened, not this line.
        log_event(&event, id);
        self.store
            .append_in(tx, event, id, self.clock.now())
            .await
            .map_err(|e| AppError::from_store("audit chain", e))
    }

    /// Chains every event recorded but not chained yet; returns how many. Every node
    /// runs it about once a second ([`Self::seal_every`]); reads seal their chain first.
    pub async fn seal_all(&self) -> Result<u64, AppError> {
        self.store
            .seal_all()
            .await
            .map_err(|e| AppError::from_store("audit chain", e))
    }

    /// Runs [`Self::seal_all`] every `every` until `token` is cancelled, then once more,
    /// so a graceful stop leaves nothing waiting that this node recorded.
    pub async fn seal_every(&self, every: std::time::Duration, token: CancellationToken) {
        loop {
            let stop = tokio::select! {
                () = tokio::time::sleep(every) => false,
                () = token.cancelled() => true,
            };
            match self.seal_all().await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(events = n, "audit events chained"),
                Err(e) => tracing::warn!(error = %e, "chaining audit events failed; retrying"),
            }
            if stop {
                return;
            }
        }
    }

    /// Reads a chain (`None` = platform) with filters and a cursor.
    pub async fn list(
        &self,
        tenant: Option<TenantId>,
        query: &AuditQuery,
    ) -> Result<Vec<AuditEvent>, AppError> {
        self.store
            .list(tenant, query)
            .await
            .map_err(|e| AppError::from_store("audit chain", e))
    }

    /// Recomputes one chain from its first event and compares it with its recorded head.
    ///
    /// Sealers keep chaining while this reads, so the head is read before the events: an
    /// event past that head was either chained meanwhile (then a second read finds the
    /// head moved over it, and the rest is read) or is covered by no head at all (rows
    /// forged past the head, or a head moved back), which [`verify`] then reports.
    pub async fn verify(&self, tenant: Option<TenantId>) -> Result<ChainReport, AppError> {
        let err = |e| AppError::from_store("audit chain", e);
        self.store.seal(tenant).await.map_err(err)?;
        let seq = |h: &Option<(i64, String)>| h.as_ref().map_or(0, |(s, _)| *s);
        let mut head = self.store.head(tenant).await.map_err(err)?;
        let mut events: Vec<AuditEvent> = Vec::new();
        // Each round reads only what was chained since the last; a busy chain settles
        // within a round or two (sealing runs about once a second). Bounded regardless.
        for _ in 0..100 {
            let after = events.last().map(|e| e.seq);
            events.extend(self.events_after(tenant, after).await?);
            let last = events.last().map_or(0, |e| e.seq);
            if last <= seq(&head) {
                break;
            }
            let again = self.store.head(tenant).await.map_err(err)?;
            let moved = seq(&again) > seq(&head);
            head = again;
            if !moved {
                break;
            }
        }
        let chain = chain_of(tenant);
        let outcome = verify(
            &chain,
            &events,
            head.as_ref().map(|(s, h)| (*s, h.as_str())),
        );
        Ok(ChainReport { chain, outcome })
    }

    /// A chain's events after `after` (all of them for `None`), in order.
    async fn events_after(
        &self,
        tenant: Option<TenantId>,
        mut after: Option<i64>,
    ) -> Result<Vec<AuditEvent>, AppError> {
        let mut events = Vec::new();
        loop {
            let q = AuditQuery {
                after_seq: after,
                order: Order::Asc,
                limit: 1000,
                ..AuditQuery::default()
            };
            let page = self.list(tenant, &q).await?;
            let n = page.len();
            after = page.last().map(|e| e.seq).or(after);
            events.extend(page);
            if n < 1000 {
                return Ok(events);
            }
        }
    }

    /// Every chain that exists (`None` = platform).
    pub async fn chains(&self) -> Result<Vec<Option<TenantId>>, AppError> {
        self.store
            .chains()
            .await
            .map_err(|e| AppError::from_store("audit chain", e))
    }
}
