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
    /// The head is read first and events after it are left out: sealers keep chaining
    /// while this reads, and an event chained after the head was read is not missing
    /// from the chain, only newer than this check.
    pub async fn verify(&self, tenant: Option<TenantId>) -> Result<ChainReport, AppError> {
        let err = |e| AppError::from_store("audit chain", e);
        self.store.seal(tenant).await.map_err(err)?;
        let (mut head, mut events) = (None, Vec::new());
        // Twice at most: a chain's very first seal landing between reading its (absent)
        // head and its events would otherwise look like a deleted head.
        for _ in 0..2 {
            head = self.store.head(tenant).await.map_err(err)?;
            // No head: read every event, so a deleted head row is reported, not hidden.
            let last = head.as_ref().map_or(i64::MAX, |(seq, _)| *seq);
            events = self.events_up_to(tenant, last).await?;
            if head.is_some() || events.is_empty() {
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

    /// A chain's events in order, up to and including `last`.
    async fn events_up_to(
        &self,
        tenant: Option<TenantId>,
        last: i64,
    ) -> Result<Vec<AuditEvent>, AppError> {
        let mut events = Vec::new();
        let mut after = None;
        loop {
            let q = AuditQuery {
                after_seq: after,
                order: Order::Asc,
                limit: 1000,
                ..AuditQuery::default()
            };
            let page = self.list(tenant, &q).await?;
            let n = page.len();
            after = page.last().map(|e| e.seq);
            events.extend(page.into_iter().take_while(|e| e.seq <= last));
            if n < 1000 || after.is_some_and(|s| s >= last) {
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
