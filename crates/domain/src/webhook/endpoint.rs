//! Webhook endpoints: where messages go, and which events they want.

use crate::FieldErrors;
use crate::validation::invalid;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::net::IpAddr;

crate::define_id!(
    /// Identifies a webhook endpoint.
    WebhookId
);

/// An event a tenant can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = WebhookEventType))]
pub enum EventType {
    /// A user account was created.
    #[serde(rename = "user.created")]
    UserCreated,
    /// A learner completed a course.
    #[serde(rename = "enrollment.completed")]
    EnrollmentCompleted,
    /// A learner passed a quiz.
    #[serde(rename = "quiz.passed")]
    QuizPassed,
    /// A simulator order filled (completely).
    #[serde(rename = "order.filled")]
    OrderFilled,
    /// A month was closed into an invoice.
    #[serde(rename = "invoice.closed")]
    InvoiceClosed,
}

impl EventType {
    /// Every event.
    pub const ALL: [Self; 5] = [
        Self::UserCreated,
        Self::EnrollmentCompleted,
        Self::QuizPassed,
        Self::OrderFilled,
        Self::InvoiceClosed,
    ];

    /// The wire name, e.g. `user.created`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserCreated => "user.created",
            Self::EnrollmentCompleted => "enrollment.completed",
            Self::QuizPassed => "quiz.passed",
            Self::OrderFilled => "order.filled",
            Self::InvoiceClosed => "invoice.closed",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == raw)
    }
}

/// Which targets an endpoint may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlPolicy {
    /// Public `https` hosts only: no IP literals in loopback, private, link-local or
    /// other internal ranges, no `localhost` (a tenant must not make us call our own
    /// network).
    PublicHttps,
    /// Anything `http` or `https` (development and tests, by configuration).
    AllowPrivate,
}

/// A checked endpoint URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointUrl(String);

impl EndpointUrl {
    /// Checks `raw` under `policy`. A name that resolves to an internal address is
    /// caught again when delivering (the name's addresses can change after this check).
    pub fn parse(raw: &str, policy: UrlPolicy) -> Result<Self, crate::FieldError> {
        let url = url::Url::parse(raw.trim())
            .map_err(|_| invalid("format", "must be an absolute http(s) URL"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("scheme", "must be http or https"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "credentials",
                "must not carry a user name or password",
            ));
        }
        // The stored (normalised, percent-encoded) form is what must fit: it can be
        // much longer than what was typed.
        if url.fragment().is_some() || url.as_str().len() > 2_000 {
            return Err(invalid("format", "no fragment, at most 2000 characters"));
        }
        let Some(host) = url.host() else {
            return Err(invalid("format", "must name a host"));
        };
        if policy == UrlPolicy::PublicHttps {
            if url.scheme() != "https" {
                return Err(invalid("scheme", "must be https"));
            }
            let internal = match host {
                url::Host::Domain(d) => {
                    let d = d.to_ascii_lowercase();
                    d == "localhost" || d.ends_with(".localhost") || d.ends_with(".internal")
                }
                url::Host::Ipv4(ip) => is_internal(IpAddr::V4(ip)),
                url::Host::Ipv6(ip) => is_internal(IpAddr::V6(ip)),
            };
            if internal {
                return Err(invalid("host", "must be a public host"));
            }
        }
        Ok(Self(url.to_string()))
    }

    /// A URL read back from storage, as stored: it was checked when it was registered,
    /// and delivery checks the addresses it resolves to again. No rule is applied here,
    /// so a rule tightened later cannot make a stored endpoint unreadable.
    pub fn from_stored(raw: &str) -> Option<Self> {
        url::Url::parse(raw).ok().map(|_| Self(raw.to_owned()))
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Loopback, private, link-local, shared, benchmarking, documentation, reserved,
/// multicast or unspecified: never a tenant's public receiver. IPv6 forms that carry an
/// IPv4 address (mapped, compatible, NAT64, 6to4) are judged by that address.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 198 && (o[1] == 18 || o[1] == 19))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || o[0] == 0
                || o[0] >= 240
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let embedded = |hi: u16, lo: u16| {
                let bits = (u32::from(hi) << 16) | u32::from(lo);
                is_internal(IpAddr::V4(std::net::Ipv4Addr::from(bits)))
            };
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] & 0xffc0) == 0xfec0
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                // IPv4-mapped and IPv4-compatible.
                || v6.to_ipv4().is_some_and(|v4| is_internal(IpAddr::V4(v4)))
                // NAT64 (64:ff9b::/96).
                || (s[0] == 0x0064 && s[1] == 0xff9b && s[2..6] == [0; 4] && embedded(s[6], s[7]))
                // 6to4 (2002::/16) names an IPv4 address in its next 32 bits.
                || (s[0] == 0x2002 && embedded(s[1], s[2]))
        }
    }
}

/// Parses event names into `errs`' field errors (`events[i]`, or `events` when empty).
pub fn parse_events(errs: &mut FieldErrors, events: &[String]) -> Option<BTreeSet<EventType>> {
    let mut set = BTreeSet::new();
    let mut ok = !events.is_empty();
    for (i, e) in events.iter().enumerate() {
        if let Some(t) = EventType::parse(e) {
            set.insert(t);
        } else {
            ok = false;
            errs.push(
                format!("events[{i}]"),
                "unknown_value",
                format!("{e} is not an event"),
            );
        }
    }
    if events.is_empty() {
        errs.push("events", "required", "subscribe to at least one event");
    }
    ok.then_some(set)
}

/// Checks a description (trimmed, at most 200 characters).
pub fn parse_description(errs: &mut FieldErrors, raw: &str) -> String {
    let description = raw.trim().to_owned();
    if description.chars().count() > 200 {
        errs.push("description", "too_long", "at most 200 characters");
    }
    // PostgreSQL text refuses NUL; no control character belongs in a label.
    if description.chars().any(char::is_control) {
        errs.push("description", "format", "no control characters");
    }
    description
}

/// A new endpoint, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEndpoint {
    /// Where to send.
    pub url: EndpointUrl,
    /// What to send (at least one).
    pub events: BTreeSet<EventType>,
    /// A label for admins.
    pub description: String,
}

impl NewEndpoint {
    /// Parses a URL, event names and a description, reporting every bad field.
    pub fn parse(
        url: &str,
        events: &[String],
        description: &str,
        policy: UrlPolicy,
    ) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::new();
        let url = errs.check("url", EndpointUrl::parse(url, policy));
        let events = parse_events(&mut errs, events);
        let description = parse_description(&mut errs, description);
        errs.finish(|| {
            Some(Self {
                url: url?,
                events: events?,
                description,
            })
        })
    }
}
