//! Rate limits on `/v1`: per API key or per user (by the tenant's plan), per tenant
//! (by plan) and per client IP, with route cost weights.
//!
//! Each request is charged its route's cost against its buckets, most specific first
//! (key or user, then tenant, then IP), so a client that ignores a 429 on its own
//! budget drains nobody else's; the first refusal answers 429 with `Retry-After`.
//! Admitted responses carry the IETF `RateLimit-Policy` and `RateLimit` fields for the
//! tightest bucket.
//!
//! Only an authenticated caller is charged to a tenant: the credential is checked here,
//! and a request without a valid one is charged to its IP alone. What was found (the
//! tenant, the caller) is left in the request's extensions ([`Checked`]) for the
//! extractors, so neither is resolved twice. Otherwise anyone
//! could spend a tenant's budget by naming it. The client IP is the one the
//! trusted-proxy rule produced (`ClientIp`), so a spoofed `X-Forwarded-For` from an
//! untrusted peer changes nothing; IPv6 clients are limited per /64, the block one
//! subscriber usually holds.
//!
//! When the limiter's store fails (Redis unreachable, or refusing commands during a
//! failover), `on_outage` decides: `Local` falls back to this node's own limiter,
//! `Closed` refuses with 503. Either way a warning is logged, and
//! [`Limiter::fallbacks`] and the `nexus_ratelimit_fallbacks_total` metric count it.

use crate::AppState;
use crate::error::ApiError;
use crate::metering::Metering;
use crate::middleware::ClientIp;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use nexus_app::usage::QuotaExhausted;
use nexus_domain::ratelimit::{Decision, Quota};
use nexus_domain::tenancy::Plan;
use nexus_store::{MemoryRateLimits, RateLimitStore};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// What to do when the shared limiter cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnOutage {
    /// Decide with this node's own limiter (the default): availability first.
    Local,
    /// Refuse with 503 until the shared limiter answers again.
    Closed,
}

/// Limits, parsed from config.
#[derive(Debug, Clone)]
pub struct RateLimitSettings {
    /// Off: no limits and no headers.
    pub enabled: bool,
    /// Per client IP.
    pub per_ip: Quota,
    /// Per credential, by plan, in [`Plan::ALL`] order.
    pub per_credential: [Quota; 4],
    /// A tenant's whole budget is this many credentials' worth.
    pub tenant_factor: u32,
    /// See [`OnOutage`].
    pub on_outage: OnOutage,
}

impl RateLimitSettings {
    /// `bucket`'s quota for a tenant on `plan`: a credential's by plan, the tenant's
    /// that many credentials' worth, the address's the same for every plan.
    fn quota(&self, bucket: Bucket, plan: Plan) -> Quota {
        let q = self.per_credential[plan.index()];
        match bucket {
            Bucket::Key | Bucket::User => q,
            Bucket::Tenant => Quota {
                limit: q.limit.saturating_mul(self.tenant_factor.max(1)),
                window_us: q.window_us,
            },
            Bucket::Ip => self.per_ip,
        }
    }
}

/// The limiter the middleware uses: the configured store and a local fallback.
#[derive(Debug)]
pub struct Limiter {
    settings: RateLimitSettings,
    shared: Arc<dyn RateLimitStore>,
    local: MemoryRateLimits,
    fallbacks: AtomicU64,
    /// `RateLimit-Policy` values by bucket and plan, formatted once. Each response
    /// copies its value rather than sharing one: a reference count shared by every
    /// request costs more on two cores than a 30-byte copy.
    policies: [[Box<str>; 4]; 4],
    /// The decision counters, registered at the first decision rather than looked up
    /// by name and labels three times a request. The server installs its recorder
    /// before it serves, so they are live; an app that decides before a recorder
    /// exists (tests only) keeps no-op handles. All eight series show from the first
    /// decision, at 0 until used.
    decisions: std::sync::OnceLock<[[metrics::Counter; 2]; 4]>,
}

/// A bucket a request is charged to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bucket {
    /// An API key's own budget.
    Key,
    /// A signed-in user's own budget.
    User,
    /// The whole tenant's.
    Tenant,
    /// The client address's (or its /64).
    Ip,
}

impl Bucket {
    const ALL: [Self; 4] = [Self::Key, Self::User, Self::Tenant, Self::Ip];

    /// The name in keys, fields, problems and metric labels.
    fn as_str(self) -> &'static str {
        match self {
            Self::Key => "key",
            Self::User => "user",
            Self::Tenant => "tenant",
            Self::Ip => "ip",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Keys the in-process limiter tracks at most.
const LOCAL_KEYS: usize = 1_000_000;

impl Limiter {
    /// A limiter over `shared` (in process or Redis).
    pub fn new(settings: RateLimitSettings, shared: Arc<dyn RateLimitStore>) -> Self {
        let policies = Bucket::ALL.map(|b| {
            Plan::ALL.map(|plan| {
                let q = settings.quota(b, plan);
                format!(
                    "\"{}\";q={};w={}",
                    b.as_str(),
                    q.limit,
                    (q.window_us / 1_000_000).max(1)
                )
                .into_boxed_str()
            })
        });
        Self {
            settings,
            shared,
            local: MemoryRateLimits::new(LOCAL_KEYS),
            fallbacks: AtomicU64::new(0),
            policies,
            decisions: std::sync::OnceLock::new(),
        }
    }

    /// Counts one decision in `nexus_ratelimit_decisions_total`.
    fn count(&self, bucket: Bucket, allowed: bool) {
        let counters = self.decisions.get_or_init(|| {
            Bucket::ALL.map(|b| {
                [false, true].map(|allowed| {
                    metrics::counter!("nexus_ratelimit_decisions_total", "bucket" => b.as_str(), "allowed" => if allowed { "true" } else { "false" })
                })
            })
        });
        counters[bucket.index()][usize::from(allowed)].increment(1);
    }

    /// Decisions taken by the local fallback because the shared limiter was down.
    pub fn fallbacks(&self) -> u64 {
        self.fallbacks.load(Ordering::Relaxed)
    }

    /// Decides every bucket in one step (see [`RateLimitStore::acquire_all`]).
    async fn acquire_all(
        &self,
        buckets: &[(&str, Quota)],
        cost: u32,
    ) -> Result<Vec<Decision>, ApiError> {
        match self.shared.acquire_all(buckets, cost).await {
            Ok(d) => {
                // After an outage the fallback holds addresses and user IDs it no longer
                // decides for: prune it as shared decisions resume.
                if self.fallbacks.load(Ordering::Relaxed) > 0 {
                    self.local.prune_if_due();
                }
                Ok(d)
            }
            // Any failure, not only an unreachable Redis: a failover's READONLY or an
            // OOM refusal must not turn every request into a 500.
            Err(e) => {
                // Counted per decision, one per bucket, as before the batch.
                let decisions = u64::try_from(buckets.len()).unwrap_or(u64::MAX);
                self.fallbacks.fetch_add(decisions, Ordering::Relaxed);
                metrics::counter!("nexus_ratelimit_fallbacks_total", "on_outage" => match self.settings.on_outage {
                    OnOutage::Local => "local",
                    OnOutage::Closed => "closed",
                })
                .increment(decisions);
                tracing::warn!(error = %e, backend = self.shared.backend(), on_outage = ?self.settings.on_outage, "rate limiter unreachable");
                match self.settings.on_outage {
                    OnOutage::Local => self.local.acquire_all(buckets, cost).await.map_err(|e| {
                        ApiError::from(nexus_app::AppError::from_store("rate_limit", e))
                    }),
                    OnOutage::Closed => Err(ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "rate_limiter_unavailable",
                        "Rate limiter unavailable",
                    )
                    .detail("requests are refused until the rate limiter answers again")),
                }
            }
        }
    }
}

/// What a route costs. Expensive routes (bulk imports and exports, CSV uploads, order
/// placement, which writes several tables) cost more than a read, the way Canvas
/// weighs its API calls.
pub(crate) fn route_cost(method: &Method, route: &str) -> u32 {
    let route = route.strip_prefix("/v1").unwrap_or(route);
    match (method.as_str(), route) {
        (_, "/users/import" | "/courses/import" | "/audit/export" | "/platform/audit/export")
        | ("PUT", "/sim/imports/{symbol}") => 10,
        ("GET", "/courses/{id}/export" | "/usage/export") => 5,
        ("POST", "/sim/orders") | ("PATCH", "/sim/orders/{id}") => 2,
        _ => 1,
    }
}

/// What the limiter established about a request (its tenant, and its caller when the
/// credential is valid), left in the request's extensions so the extractors reuse it
/// instead of resolving and authenticating a second time.
#[derive(Clone)]
pub(crate) struct Checked {
    pub(crate) tenant: nexus_domain::tenancy::Tenant,
    pub(crate) verified: Option<Verified>,
}

/// A credential the limiter found valid.
#[derive(Clone)]
pub(crate) enum Verified {
    /// A session token (bearer or cookie).
    Session(Box<nexus_app::auth::Authenticated>),
    /// An API key.
    Key(Arc<nexus_app::apikeys::KeyAuthenticated>),
}

impl Verified {
    /// The caller's own bucket and its ID there.
    fn bucket(&self) -> (Bucket, uuid::Uuid) {
        match self {
            Self::Session(a) => (Bucket::User, a.session.user.as_uuid()),
            Self::Key(k) => (Bucket::Key, k.key.id.as_uuid()),
        }
    }
}

/// The request's caller, or `None` when it carries no valid credential for `tenant`.
async fn principal(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    ip: Option<std::net::IpAddr>,
    tenant: nexus_domain::TenantId,
) -> Option<Verified> {
    use crate::extract::{SESSION_COOKIE, bearer, cookie};
    let token = bearer(headers).or_else(|| cookie(headers, SESSION_COOKIE))?;
    if nexus_domain::apikey::ApiKeySecret::is_key(token) {
        let auth = state
            .services
            .api_keys
            .authenticate(tenant, token, ip)
            .await
            .ok()?;
        Some(Verified::Key(auth))
    } else {
        let auth = state.services.auth.validate(tenant, token).await.ok()?;
        Some(Verified::Session(Box::new(auth)))
    }
}

/// The IP bucket: the address, or its /64 for IPv6.
fn ip_bucket(ip: std::net::IpAddr) -> String {
    use std::fmt::Write as _;
    let mut key = String::with_capacity(48);
    key.push_str("ip:");
    // Writing to a String cannot fail.
    let _ = match ip {
        std::net::IpAddr::V4(v4) => write!(key, "{v4}"),
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            write!(key, "{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    };
    key
}

/// `tenant:<tenant>`, or `key:<tenant>:<key>` and `user:<tenant>:<user>`: built by
/// hand, as these are made three times a request.
fn bucket_key(bucket: Bucket, tenant: nexus_domain::TenantId, who: Option<uuid::Uuid>) -> String {
    let mut buf = uuid::Uuid::encode_buffer();
    let mut key = String::with_capacity(80);
    key.push_str(bucket.as_str());
    key.push(':');
    key.push_str(tenant.as_uuid().hyphenated().encode_lower(&mut buf));
    if let Some(who) = who {
        key.push(':');
        key.push_str(who.hyphenated().encode_lower(&mut buf));
    }
    key
}

/// For the request's logs and span: the tenant, and the user by their opaque ID (a
/// pseudonym; never the e-mail). And the caller counts as active on this node.
fn note_caller(state: &AppState, tenant: nexus_domain::TenantId, verified: Option<&Verified>) {
    let span = tracing::Span::current();
    span.record("tenant_id", tracing::field::display(tenant));
    match verified {
        Some(Verified::Session(a)) => {
            span.record("user_id", tracing::field::display(a.session.user));
            state
                .settings
                .active
                .users
                .saw(a.session.user.as_uuid().as_u128());
            state
                .settings
                .active
                .sessions
                .saw(a.session.id.as_uuid().as_u128());
        }
        Some(Verified::Key(k)) => {
            span.record("user_id", tracing::field::display(k.key.owner));
            state
                .settings
                .active
                .users
                .saw(k.key.owner.as_uuid().as_u128());
        }
        None => {}
    }
}

/// The middleware (a route layer under `/v1`, so the matched route is known): rate
/// limits, the monthly quota (API keys only), then metering of whatever came of the
/// request ([`crate::metering`]).
pub(crate) async fn rate_limit(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let started = std::time::Instant::now();
    // Borrowed, not cloned: a reference count shared by every request is a cache line
    // both cores fight over.
    let limiter = state
        .settings
        .limiter
        .as_deref()
        .filter(|l| l.settings.enabled);
    let metering = state.settings.metering;
    if limiter.is_none() && !metering {
        return next.run(req).await;
    }
    let (route, cost) = {
        let path = req
            .extensions()
            .get::<MatchedPath>()
            .map_or("", MatchedPath::as_str);
        let method = req.method().as_str();
        // `METHOD /v1/template`, one allocation.
        let mut route = String::with_capacity(method.len() + 1 + path.len());
        route.push_str(method);
        route.push(' ');
        route.push_str(path);
        (route, route_cost(req.method(), path))
    };
    let ip = req.extensions().get::<ClientIp>().map(|c| c.0);
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let x_tenant = req.headers().get("x-tenant").and_then(|v| v.to_str().ok());
    // An unknown tenant is the handler's to report (404); only the IP limit applies.
    let checked = match state.services.tenants.resolve(host, x_tenant).await {
        Ok(tenant) => {
            let verified = principal(&state, req.headers(), ip, tenant.id).await;
            note_caller(&state, tenant.id, verified.as_ref());
            Some(Checked { tenant, verified })
        }
        Err(_) => None,
    };
    let mut metered = if metering {
        Metering::start(
            &state.services.usage,
            checked.as_ref(),
            route,
            started,
            state.settings.request_timeout,
            cost,
        )
    } else {
        None
    };
    let mut tightest = None;
    if let Some(limiter) = limiter {
        match limit(limiter, checked.as_ref(), ip, cost).await {
            Ok(t) => tightest = t,
            Err(resp) => {
                if let Some(m) = metered {
                    m.finish(resp.status().as_u16(), false);
                }
                return resp;
            }
        }
    }
    if let Some(m) = metered.as_mut()
        && let Err(q) = m.admit().await
    {
        let resp = quota_exhausted(&state, q);
        if let Some(m) = metered {
            m.finish(resp.status().as_u16(), false);
        }
        return resp;
    }
    if let Some(c) = checked {
        req.extensions_mut().insert(c);
    }
    let mut resp = next.run(req).await;
    if let Some((bucket, policy, d)) = tightest {
        set_fields(&mut resp, bucket, policy, d);
    }
    if let Some(m) = metered {
        m.finish(resp.status().as_u16(), true);
    }
    resp
}

/// The tightest admitting bucket (with its policy field), or the refusal.
type Tightest<'a> = Option<(Bucket, &'a str, Decision)>;

/// Charges `cost` to each of the request's buckets, most specific first.
async fn limit<'a>(
    limiter: &'a Limiter,
    checked: Option<&Checked>,
    ip: Option<std::net::IpAddr>,
    cost: u32,
) -> Result<Tightest<'a>, Response> {
    let s = &limiter.settings;
    // The IP's quota is the same on every plan; without a tenant any plan will do.
    let plan = checked.map_or(Plan::Free, |c| c.tenant.plan);
    let mut checks: Vec<(Bucket, String)> = Vec::with_capacity(3);
    if let Some(Checked {
        tenant,
        verified: Some(v),
    }) = checked
    {
        let (own, who) = v.bucket();
        checks.push((own, bucket_key(own, tenant.id, Some(who))));
        checks.push((Bucket::Tenant, bucket_key(Bucket::Tenant, tenant.id, None)));
    }
    if let Some(ip) = ip {
        checks.push((Bucket::Ip, ip_bucket(ip)));
    }
    let buckets: Vec<(&str, Quota)> = checks
        .iter()
        .map(|(b, key)| (key.as_str(), s.quota(*b, plan)))
        .collect();
    // One step for all buckets: one lock in process, one round trip to Redis.
    let decisions = limiter
        .acquire_all(&buckets, cost)
        .await
        .map_err(IntoResponse::into_response)?;
    // Every bucket is decided unless one refused: a short answer that admits would
    // skip the buckets after it.
    if decisions.len() < buckets.len() && decisions.last().is_none_or(|d| d.allowed) {
        return Err(ApiError::from(nexus_app::AppError::Internal(
            "the rate limiter skipped buckets without refusing".into(),
        ))
        .into_response());
    }
    let mut tightest: Tightest = None;
    for ((&(bucket, _), &(_, quota)), d) in checks.iter().zip(&buckets).zip(decisions) {
        limiter.count(bucket, d.allowed);
        let policy = &*limiter.policies[bucket.index()][plan.index()];
        if !d.allowed {
            let name = bucket.as_str();
            let mut resp = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "Too many requests",
            )
            .detail(format!(
                "the {name} limit of {} per {} s is used up; retry after {} s",
                quota.limit,
                quota.window_us / 1_000_000,
                d.retry_after_secs()
            ))
            .into_response();
            set_fields(&mut resp, bucket, policy, d);
            if let Ok(v) = HeaderValue::from_str(&d.retry_after_secs().to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return Err(resp);
        }
        if tightest
            .as_ref()
            .is_none_or(|(_, _, t)| d.remaining < t.remaining)
        {
            tightest = Some((bucket, policy, d));
        }
    }
    Ok(tightest)
}

/// 429 `quota_exhausted`, with `Retry-After` until the quota starts over.
fn quota_exhausted(state: &AppState, q: QuotaExhausted) -> Response {
    let wait = (q.resets_at - state.services.clock.now())
        .whole_seconds()
        .max(1);
    let mut resp = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "quota_exhausted",
        "Monthly request quota used up",
    )
    .detail(format!(
        "this tenant's plan includes {} API request units a month and {} are used; \
         the quota starts over at the start of next month (UTC)",
        q.limit, q.used
    ))
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

/// `RateLimit-Policy: "ip";q=600;w=60` and `RateLimit: "ip";r=599;t=1`
/// (draft-ietf-httpapi-ratelimit-headers). The policy is made once per bucket and plan
/// ([`Limiter::new`]).
fn set_fields(resp: &mut Response, bucket: Bucket, policy: &str, d: Decision) {
    // Named once (no parse per request); the current value is moved in, the policy
    // copied (see `Limiter::policies`).
    const POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
    const CURRENT: HeaderName = HeaderName::from_static("ratelimit");
    // Written by hand: `format!` was a measurable share of the gateway's cost.
    let name = bucket.as_str();
    let mut current = String::with_capacity(name.len() + 48);
    current.push('"');
    current.push_str(name);
    current.push_str("\";r=");
    let mut digits = itoa::Buffer::new();
    current.push_str(digits.format(d.remaining));
    current.push_str(";t=");
    current.push_str(digits.format(d.reset_secs()));
    if let Ok(v) = HeaderValue::from_str(policy) {
        resp.headers_mut().insert(POLICY, v);
    }
    if let Ok(v) = HeaderValue::try_from(current) {
        resp.headers_mut().insert(CURRENT, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_share_their_64() {
        let a: std::net::IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: std::net::IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: std::net::IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ip_bucket(a), ip_bucket(b));
        assert_ne!(ip_bucket(a), ip_bucket(c));
        assert_eq!(ip_bucket("203.0.113.7".parse().unwrap()), "ip:203.0.113.7");
    }

    #[test]
    fn the_fields_name_the_bucket_and_its_numbers() {
        for (remaining, reset_us, t) in [(0, 0, 0), (599, 1, 1), (u32::MAX, 60_000_000, 60)] {
            let mut resp = Response::new(axum::body::Body::empty());
            let d = Decision {
                allowed: true,
                remaining,
                reset_us,
                retry_after_us: 0,
            };
            set_fields(&mut resp, Bucket::Key, "\"key\";q=600;w=60", d);
            let field = |name: &str| resp.headers()[name].to_str().unwrap().to_owned();
            assert_eq!(field("ratelimit"), format!("\"key\";r={remaining};t={t}"));
            assert_eq!(field("ratelimit-policy"), "\"key\";q=600;w=60");
        }
    }

    #[test]
    fn expensive_routes_cost_more() {
        assert_eq!(route_cost(&Method::GET, "/v1/courses"), 1);
        assert_eq!(route_cost(&Method::POST, "/v1/users/import"), 10);
        assert_eq!(route_cost(&Method::GET, "/v1/audit/export"), 10);
        assert_eq!(route_cost(&Method::POST, "/v1/sim/orders"), 2);
        assert_eq!(route_cost(&Method::GET, "/v1/sim/orders"), 1);
    }
}
