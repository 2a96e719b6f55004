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
    fn credential_quota(&self, plan: Plan) -> Quota {
        self.per_credential[plan.index()]
    }
}

/// The limiter the middleware uses: the configured store and a local fallback.
#[derive(Debug)]
pub struct Limiter {
    settings: RateLimitSettings,
    shared: Arc<dyn RateLimitStore>,
    local: MemoryRateLimits,
    fallbacks: AtomicU64,
}

/// Keys the in-process limiter tracks at most.
const LOCAL_KEYS: usize = 1_000_000;

impl Limiter {
    /// A limiter over `shared` (in process or Redis).
    pub fn new(settings: RateLimitSettings, shared: Arc<dyn RateLimitStore>) -> Self {
        Self {
            settings,
            shared,
            local: MemoryRateLimits::new(LOCAL_KEYS),
            fallbacks: AtomicU64::new(0),
        }
    }

    /// Decisions taken by the local fallback because the shared limiter was down.
    pub fn fallbacks(&self) -> u64 {
        self.fallbacks.load(Ordering::Relaxed)
    }

    async fn acquire(&self, key: &str, quota: Quota, cost: u32) -> Result<Decision, ApiError> {
        match self.shared.acquire(key, quota, cost).await {
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
                self.fallbacks.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("nexus_ratelimit_fallbacks_total", "on_outage" => match self.settings.on_outage {
                    OnOutage::Local => "local",
                    OnOutage::Closed => "closed",
                })
                .increment(1);
                tracing::warn!(error = %e, backend = self.shared.backend(), on_outage = ?self.settings.on_outage, "rate limiter unreachable");
                match self.settings.on_outage {
                    OnOutage::Local => self.local.acquire(key, quota, cost).await.map_err(|e| {
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
    Key(Box<nexus_app::apikeys::KeyAuthenticated>),
}

impl Verified {
    /// The bucket's name and the caller in it.
    fn bucket(&self) -> (&'static str, String) {
        match self {
            Self::Session(a) => ("user", a.session.user.to_string()),
            Self::Key(k) => ("key", k.key.id.to_string()),
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
        Some(Verified::Key(Box::new(auth)))
    } else {
        let auth = state.services.auth.validate(tenant, token).await.ok()?;
        Some(Verified::Session(Box::new(auth)))
    }
}

/// The IP bucket: the address, or its /64 for IPv6.
fn ip_bucket(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => format!("ip:{v4}"),
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("ip:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
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
    let limiter = state
        .settings
        .limiter
        .clone()
        .filter(|l| l.settings.enabled);
    let metering = state.settings.metering;
    if limiter.is_none() && !metering {
        return next.run(req).await;
    }
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("", MatchedPath::as_str)
        .to_owned();
    let route = format!("{} {route}", req.method());
    let cost = route_cost(req.method(), route.split_once(' ').map_or("", |r| r.1));
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
            state.services.usage.clone(),
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
    if let Some(limiter) = &limiter {
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
    if let Some((name, quota, d)) = tightest {
        set_fields(&mut resp, name, quota, d);
    }
    if let Some(m) = metered {
        m.finish(resp.status().as_u16(), true);
    }
    resp
}

/// The tightest admitting bucket, or the refusal.
type Tightest = Option<(&'static str, Quota, Decision)>;

/// Charges `cost` to each of the request's buckets, most specific first.
async fn limit(
    limiter: &Limiter,
    checked: Option<&Checked>,
    ip: Option<std::net::IpAddr>,
    cost: u32,
) -> Result<Tightest, Response> {
    let s = &limiter.settings;
    let mut checks: Vec<(&'static str, String, Quota)> = Vec::with_capacity(3);
    if let Some(Checked {
        tenant,
        verified: Some(v),
    }) = checked
    {
        let q = s.credential_quota(tenant.plan);
        let whole = Quota {
            limit: q.limit.saturating_mul(s.tenant_factor.max(1)),
            window_us: q.window_us,
        };
        let (name, who) = v.bucket();
        checks.push((name, format!("{name}:{}:{who}", tenant.id), q));
        checks.push(("tenant", format!("tenant:{}", tenant.id), whole));
    }
    if let Some(ip) = ip {
        checks.push(("ip", ip_bucket(ip), s.per_ip));
    }
    let mut tightest: Tightest = None;
    for (name, key, quota) in checks {
        let d = limiter
            .acquire(&key, quota, cost)
            .await
            .map_err(IntoResponse::into_response)?;
        metrics::counter!("nexus_ratelimit_decisions_total", "bucket" => name, "allowed" => if d.allowed { "true" } else { "false" })
            .increment(1);
        if !d.allowed {
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
            set_fields(&mut resp, name, quota, d);
            if let Ok(v) = HeaderValue::from_str(&d.retry_after_secs().to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return Err(resp);
        }
        if tightest.is_none_or(|(_, _, t)| d.remaining < t.remaining) {
            tightest = Some((name, quota, d));
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
/// (draft-ietf-httpapi-ratelimit-headers).
fn set_fields(resp: &mut Response, name: &str, quota: Quota, d: Decision) {
    // Named once (no parse per request), values moved in (no copy).
    const POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
    const CURRENT: HeaderName = HeaderName::from_static("ratelimit");
    let policy = format!(
        "\"{name}\";q={};w={}",
        quota.limit,
        (quota.window_us / 1_000_000).max(1)
    );
    let current = format!("\"{name}\";r={};t={}", d.remaining, d.reset_secs());
    for (field, value) in [(POLICY, policy), (CURRENT, current)] {
        if let Ok(v) = HeaderValue::try_from(value) {
            resp.headers_mut().insert(field, v);
        }
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
    fn expensive_routes_cost_more() {
        assert_eq!(route_cost(&Method::GET, "/v1/courses"), 1);
        assert_eq!(route_cost(&Method::POST, "/v1/users/import"), 10);
        assert_eq!(route_cost(&Method::GET, "/v1/audit/export"), 10);
        assert_eq!(route_cost(&Method::POST, "/v1/sim/orders"), 2);
        assert_eq!(route_cost(&Method::GET, "/v1/sim/orders"), 1);
    }
}
