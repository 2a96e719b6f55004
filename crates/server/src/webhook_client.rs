//! The production webhook [`Transport`]: reqwest over rustls (ring provider, Mozilla
//! roots), no redirects, no proxy, and a resolver that refuses internal addresses.
//!
//! A tenant's URL was checked when it was registered, but a name can be pointed at an
//! internal address afterwards (DNS rebinding), so every delivery checks again the
//! addresses the name resolves to, and connects only to those that passed.

use async_trait::async_trait;
use nexus_app::webhooks::{Response, Transport};
use nexus_domain::webhook::{EndpointUrl, RESPONSE_EXCERPT, is_internal};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// Makes ring the process's rustls provider (idempotent). reqwest is built without a
/// provider of its own (its default would compile aws-lc as well), so any client built
/// with default TLS settings, ours or a test's, needs this first.
pub fn install_crypto_provider() {
    // Err means one is installed already: ring, by an earlier call.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Resolves names, dropping internal addresses unless allowed.
struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<_> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| allow_private || !is_internal(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// Delivers webhooks over HTTP(S).
pub struct HttpTransport {
    client: reqwest::Client,
    allow_private: bool,
}

impl HttpTransport {
    /// A client with `timeout` per attempt.
    pub fn new(allow_private: bool, timeout: Duration) -> Result<Self, String> {
        install_crypto_provider();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("webhook TLS: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .dns_resolver(Arc::new(GuardedResolver { allow_private }))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|e| format!("webhook HTTP client: {e}"))?;
        Ok(Self {
            client,
            allow_private,
        })
    }
}

#[async_trait]
impl Transport for HttpTransport {
    #[tracing::instrument(name = "POST", skip_all, fields(otel.kind = "client", http.request.method = "POST", server.address = tracing::field::Empty, http.response.status_code = tracing::field::Empty))]
    async fn post(
        &self,
        url: &EndpointUrl,
        headers: &[(&'static str, String)],
        body: &str,
    ) -> Result<Response, String> {
        let parsed = reqwest::Url::parse(url.as_str()).map_err(|e| e.to_string())?;
        // IP literals skip the resolver; the rule must hold for them too.
        if let Some(host) = parsed.host_str() {
            let literal = host.trim_start_matches('[').trim_end_matches(']');
            if let Ok(ip) = literal.parse::<IpAddr>()
                && !self.allow_private
                && is_internal(ip)
            {
                return Err(format!("{ip} is an internal address"));
            }
        }
        let mut request = self.client.post(parsed).body(body.to_owned());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.map_err(|e| describe(&e))?;
        let status = response.status().as_u16();
        let span = tracing::Span::current();
        span.record(
            "server.address",
            response.url().host_str().unwrap_or_default(),
        );
        span.record("http.response.status_code", status);
        // Read at most the excerpt kept: a receiver must not make us buffer a large body.
        let mut kept = Vec::new();
        let mut response = response;
        while kept.len() < RESPONSE_EXCERPT {
            match response.chunk().await {
                Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
        kept.truncate(RESPONSE_EXCERPT);
        Ok(Response {
            status,
            body: String::from_utf8_lossy(&kept).into_owned(),
        })
    }
}

/// A failure reason an admin can act on, without the URL repeated.
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_redirect() {
        "redirects are not followed"
    } else {
        "request failed"
    };
    let mut cause = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if cause.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {cause}")
    }
}
