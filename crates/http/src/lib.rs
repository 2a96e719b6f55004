//! The HTTP adapter for FinAI Nexus.
//!
//! A request passes, outermost first: client IP → request ID and trace span → security
//! headers → compression → problem fallback → timeout → body limit → router. Under
//! `/v1` a readiness gate answers 503 until start-up finished, then each matched route
//! passes the rate limits, the monthly quota and the meter ([`ratelimit`]), and a
//! deprecated one gains its `Deprecation`/`Sunset`/`Link` fields ([`deprecation`]).
//! Handlers are thin: they extract (tenant, body), parse into domain commands, call one
//! service, and map the result to a wire DTO. Every error leaves through [`ApiError`], the only place that
//! chooses an HTTP status.

pub mod active;
pub mod deprecation;
mod error;
mod extract;
mod metering;
mod middleware;
pub mod openapi;
pub mod ratelimit;
pub mod red;
mod routes;
pub mod trace;

pub use error::ApiError;
pub use middleware::ClientIp;
pub use routes::inventory::ROUTES;

use axum::Router;
use ipnet::IpNet;
use nexus_app::Services;
use std::sync::Arc;
use std::time::Duration;

/// HTTP behaviour settings, parsed from config by the binary.
#[derive(Clone)]
pub struct HttpSettings {
    /// Largest accepted request body.
    pub body_limit_bytes: usize,
    /// Per-request deadline.
    pub request_timeout: Duration,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// TLS is terminated in front of us: send HSTS.
    pub external_tls: bool,
    /// Port for links in mail, after the tenant's host (from config, never a request).
    pub link_port: Option<u16>,
    /// Bearer token for `/v1/platform/*`; `None` disables those routes (401).
    pub platform_token: Option<Arc<str>>,
    /// Build identity for `/version`.
    pub version: &'static str,
    /// Rate limits on `/v1`; `None`: none.
    pub limiter: Option<Arc<ratelimit::Limiter>>,
    /// Meter `/v1` requests and enforce monthly quotas.
    pub metering: bool,
    /// Active users and sessions on this node, fed by the rate-limit middleware and
    /// published at each metrics scrape.
    pub active: Arc<active::Active>,
    /// The trace sampler (`OTEL_TRACES_SAMPLER`) when traces are exported: requests
    /// are sampled before their span is made. `None`: tracing is off.
    pub trace_sampler: Option<&'static dyn opentelemetry_sdk::trace::ShouldSample>,
}

impl std::fmt::Debug for HttpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSettings")
            .field("body_limit_bytes", &self.body_limit_bytes)
            .field("request_timeout", &self.request_timeout)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("external_tls", &self.external_tls)
            .field("link_port", &self.link_port)
            .field(
                "platform_token",
                &self.platform_token.as_ref().map(|_| "[redacted]"),
            )
            .field("limiter", &self.limiter)
            .field("metering", &self.metering)
            .field("trace_sampler", &self.trace_sampler)
            .finish_non_exhaustive()
    }
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// The use cases. Behind one `Arc`: axum clones the state for every extractor and
    /// middleware of every request, and `Services` by value is a few hundred reference
    /// counts (profiled at about 15 % of a loaded server's CPU, cloning and dropping).
    pub services: Arc<Services>,
    /// HTTP settings.
    pub settings: Arc<HttpSettings>,
}

/// Builds the whole application router.
///
/// With `serve_api` false (a worker process) only the probes are served; every other
/// path is a 404 problem.
pub fn router(services: Services, settings: HttpSettings, serve_api: bool) -> Router {
    let state = AppState {
        services: Arc::new(services),
        settings: Arc::new(settings),
    };
    let mut app = Router::new().merge(routes::probes());
    if serve_api {
        app = app.merge(routes::developers());
    }
    if serve_api {
        let api = deprecation::nest_v1(
            routes::v1().route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                ratelimit::rate_limit,
            )),
            Arc::from(deprecation::DEPRECATIONS),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::readiness_gate,
        ));
        app = app.merge(api);
    }
    let app = app.fallback(routes::not_found).with_state(state.clone());
    middleware::apply(app, &state.settings)
}
