//! Tenancy: the school, bank or employer that runs FinAI Nexus for its learners.
//!
//! Invariants held by the types here:
//! - a [`TenantSlug`] is a valid single DNS label and not a reserved name, so it can be
//!   used as a subdomain of the base domain;
//! - a [`DomainName`] is a lowercase, fully qualified host name;
//! - branding colours are `#rrggbb` and logo URLs are absolute http(s).

use crate::TenantId;
use crate::paging::{Order, PageRequest};
use crate::validation::{FieldError, invalid};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Subdomains that must never name a tenant, because the platform uses them itself.
const RESERVED_SLUGS: &[&str] = &[
    "www", "api", "admin", "app", "static", "assets", "status", "docs", "platform",
];

/// A tenant's URL-safe handle; also its subdomain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TenantSlug(String);

impl TenantSlug {
    /// Parses a slug: 2–40 chars of `a-z`, `0-9` and inner `-`, not reserved.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        if s.len() < 2 || s.len() > 40 {
            return Err(invalid("length", "must be 2 to 40 characters"));
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(invalid("format", "may contain only a-z, 0-9 and '-'"));
        }
        if s.starts_with('-') || s.ends_with('-') {
            return Err(invalid("format", "must not start or end with '-'"));
        }
        if RESERVED_SLUGS.contains(&s) {
            return Err(invalid("reserved", "is reserved by the platform"));
        }
        Ok(Self(s.to_owned()))
    }
    /// The slug text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TenantSlug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses a human name: trimmed, 1–120 characters.
pub fn parse_name(raw: &str) -> Result<String, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(invalid("required", "must not be empty"));
    }
    if s.chars().count() > 120 {
        return Err(invalid("length", "must be at most 120 characters"));
    }
    Ok(s.to_owned())
}

/// Whether a tenant may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = TenantStatus))]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    /// Serving requests.
    Active,
    /// Every request is refused with 403.
    Suspended,
}

impl TenantStatus {
    /// Stable storage and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
        }
    }
    /// Parses the storage and wire name.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw {
            "active" => Ok(Self::Active),
            "suspended" => Ok(Self::Suspended),
            _ => Err(invalid(
                "unknown_value",
                "must be one of: active, suspended",
            )),
        }
    }
}

/// The tenant's plan: the one commercial plan, which sets its prices and API allowance
/// (the `billing_plan` row of the same code, data changed by platform admins) and its
/// rate limits and monthly quota (configuration, per plan).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = Plan))]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    /// No seat price; a small API allowance and no overage (the quota stops it).
    Free,
    /// Small schools.
    Basic,
    /// Schools and employers.
    Advanced,
    /// Banks and large employers.
    Professional,
}

impl Plan {
    /// Every plan, cheapest first.
    pub const ALL: [Self; 4] = [Self::Free, Self::Basic, Self::Advanced, Self::Professional];

    /// Stable storage and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Basic => "basic",
            Self::Advanced => "advanced",
            Self::Professional => "professional",
        }
    }

    /// Parses the storage and wire name.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == raw)
            .ok_or_else(|| {
                invalid(
                    "unknown_value",
                    "must be one of: free, basic, advanced, professional",
                )
            })
    }

    /// Position in [`Plan::ALL`], for per-plan settings.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A `#rrggbb` colour, stored lowercase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = HexColour))]
#[serde(transparent)]
pub struct HexColour(String);

impl HexColour {
    /// Parses `#rgb`-free, six-digit hex colours only, so CSS injection is impossible.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        let ok =
            s.len() == 7 && s.starts_with('#') && s[1..].bytes().all(|b| b.is_ascii_hexdigit());
        if ok {
            Ok(Self(s.to_ascii_lowercase()))
        } else {
            Err(invalid("format", "must be a colour like #1f6feb"))
        }
    }
    /// The colour text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for HexColour {
    fn default() -> Self {
        Self("#1f6feb".to_owned())
    }
}

/// Parses an absolute http(s) URL of at most 2048 bytes with no whitespace or quotes.
pub fn parse_url(raw: &str) -> Result<String, FieldError> {
    let s = raw.trim();
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    let bad_char = s
        .chars()
        .any(|c| c.is_whitespace() || c == '"' || c == '\'' || c == '<' || c == '>');
    match rest {
        Some(r) if !r.is_empty() && !r.starts_with('/') && s.len() <= 2048 && !bad_char => {
            Ok(s.to_owned())
        }
        _ => Err(invalid("format", "must be an absolute http or https URL")),
    }
}

/// How the tenant presents itself to learners.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = TenantBranding))]
pub struct Branding {
    /// Name shown in the UI header; defaults to the tenant name.
    pub display_name: String,
    /// Absolute URL of the logo image, if any.
    pub logo_url: Option<String>,
    /// Primary UI colour.
    pub primary_colour: HexColour,
}

/// Tenant-wide settings that shape behaviour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = TenantSettings))]
pub struct TenantSettings {
    /// BCP 47 language tag for the UI, e.g. `en` or `pt-BR`.
    pub locale: String,
    /// IANA time zone for schedules and certificates, e.g. `Europe/London`.
    pub time_zone: String,
    /// A session unused this long ends (default 30; Keycloak's SSO idle).
    #[serde(default = "default_idle_minutes")]
    pub session_idle_minutes: u32,
    /// A session ends this long after login whatever its use (default 12).
    #[serde(default = "default_absolute_hours")]
    pub session_absolute_hours: u32,
    /// Account roles (built-in names, e.g. `tenant_admin`) that must use a second factor.
    #[serde(default)]
    pub mfa_required_roles: Vec<String>,
}

fn default_idle_minutes() -> u32 {
    30
}

fn default_absolute_hours() -> u32 {
    12
}

impl Default for TenantSettings {
    fn default() -> Self {
        Self {
            locale: "en".to_owned(),
            time_zone: "UTC".to_owned(),
            session_idle_minutes: default_idle_minutes(),
            session_absolute_hours: default_absolute_hours(),
            mfa_required_roles: Vec::new(),
        }
    }
}

/// Parses a BCP 47-shaped tag: 2–3 letter language with optional subtags.
pub fn parse_locale(raw: &str) -> Result<String, FieldError> {
    let s = raw.trim();
    let mut parts = s.split('-');
    let lang_ok = parts
        .next()
        .is_some_and(|l| (2..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_lowercase()));
    let rest_ok =
        parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    if lang_ok && rest_ok {
        Ok(s.to_owned())
    } else {
        Err(invalid("format", "must be a language tag like en or pt-BR"))
    }
}

/// Parses an IANA-shaped zone name (`UTC` or `Area/City`); the zone database itself is
/// consulted where schedules are computed.
pub fn parse_time_zone(raw: &str) -> Result<String, FieldError> {
    let s = raw.trim();
    let shaped = s == "UTC"
        || (s.contains('/')
            && s.len() <= 64
            && s.split('/').all(|p| {
                !p.is_empty()
                    && p.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"_-+".contains(&b))
            }));
    if shaped {
        Ok(s.to_owned())
    } else {
        Err(invalid(
            "format",
            "must be an IANA time zone like Europe/London",
        ))
    }
}

/// A custom host name that routes to one tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DomainName(String);

impl DomainName {
    /// Parses a fully qualified host name (at least two labels), lowercased.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim().trim_end_matches('.').to_ascii_lowercase();
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        // A numeric last label means an IP address, which is never a custom domain.
        let tld_alpha = s
            .rsplit('.')
            .next()
            .is_some_and(|l| l.bytes().any(|b| b.is_ascii_alphabetic()));
        if s.len() <= 253 && s.contains('.') && s.split('.').all(label_ok) && tld_alpha {
            Ok(Self(s))
        } else {
            Err(invalid(
                "format",
                "must be a host name like learn.example.com",
            ))
        }
    }
    /// The host name text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A tenant as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    /// Identity.
    pub id: TenantId,
    /// Subdomain handle.
    pub slug: TenantSlug,
    /// Legal or organisational name.
    pub name: String,
    /// Active or suspended.
    pub status: TenantStatus,
    /// Commercial plan.
    pub plan: Plan,
    /// Behavioural settings.
    pub settings: TenantSettings,
    /// Look and feel.
    pub branding: Branding,
    /// Custom host names, sorted.
    pub domains: Vec<DomainName>,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

/// A parsed request to create a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTenant {
    /// Subdomain handle; must be unused.
    pub slug: TenantSlug,
    /// Organisational name.
    pub name: String,
    /// Commercial plan.
    pub plan: Plan,
    /// Look and feel; `display_name` falls back to `name`.
    pub branding: Branding,
    /// Behavioural settings.
    pub settings: TenantSettings,
}

/// A parsed partial update; `None` leaves a field unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantPatch {
    /// New name.
    pub name: Option<String>,
    /// New plan.
    pub plan: Option<Plan>,
    /// New status.
    pub status: Option<TenantStatus>,
    /// New branding (whole object).
    pub branding: Option<Branding>,
    /// New settings (whole object).
    pub settings: Option<TenantSettings>,
}

impl TenantPatch {
    /// Applies the patch to a tenant, returning the new state.
    pub fn apply(self, mut t: Tenant, now: OffsetDateTime) -> Tenant {
        if let Some(v) = self.name {
            t.name = v;
        }
        if let Some(v) = self.plan {
            t.plan = v;
        }
        if let Some(v) = self.status {
            t.status = v;
        }
        if let Some(v) = self.branding {
            t.branding = v;
        }
        if let Some(v) = self.settings {
            t.settings = v;
        }
        t.updated_at = now;
        t
    }
}

/// Sort keys for the tenant list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TenantSort {
    /// By slug.
    #[default]
    Slug,
    /// By name.
    Name,
    /// By creation time.
    CreatedAt,
}

impl TenantSort {
    /// Parses a sort key from a query string.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw {
            "slug" => Ok(Self::Slug),
            "name" => Ok(Self::Name),
            "created_at" => Ok(Self::CreatedAt),
            _ => Err(invalid(
                "unknown_value",
                "must be one of: slug, name, created_at",
            )),
        }
    }
    /// Column for this key; a fixed string, never user text.
    pub fn column(self) -> &'static str {
        match self {
            Self::Slug => "slug",
            Self::Name => "name",
            Self::CreatedAt => "created_at",
        }
    }
}

/// Filter, sort and window for listing tenants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantQuery {
    /// Only tenants with this status.
    pub status: Option<TenantStatus>,
    /// Case-insensitive substring of slug or name.
    pub search: Option<String>,
    /// Sort key.
    pub sort: TenantSort,
    /// Sort direction.
    pub order: Order,
    /// Window.
    pub page: PageRequest,
}

/// What a request's `Host` says about its tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKind {
    /// `<slug>.<base domain>`.
    Subdomain(TenantSlug),
    /// A host that may be a tenant's custom domain.
    Custom(DomainName),
    /// The base domain itself, an IP address or another non-tenant host: the tenant must
    /// come from elsewhere (the `X-Tenant` header) if at all.
    Platform,
}

/// Classifies a `Host` header value (port allowed) against the platform's base domain.
pub fn classify_host(host: &str, base_domain: &str) -> HostKind {
    let host = host.trim().to_ascii_lowercase();
    // Strip a port, but not the colons of a bracketed IPv6 literal.
    let host = if host.starts_with('[') {
        return HostKind::Platform;
    } else {
        host.rsplit_once(':')
            .map_or(host.as_str(), |(h, _)| h)
            .trim_end_matches('.')
            .to_owned()
    };
    let base = base_domain
        .trim()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    if host == base {
        return HostKind::Platform;
    }
    if let Some(label) = host.strip_suffix(&base).and_then(|p| p.strip_suffix('.')) {
        return match TenantSlug::parse(label) {
            Ok(slug) if !label.contains('.') => HostKind::Subdomain(slug),
            _ => HostKind::Platform,
        };
    }
    DomainName::parse(&host).map_or(HostKind::Platform, HostKind::Custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(TenantSlug::parse("demo").is_ok());
        assert!(TenantSlug::parse("big-bank-2").is_ok());
        for bad in ["a", "Demo", "-x", "x-", "has space", "www", &"x".repeat(41)] {
            assert!(TenantSlug::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn host_classification() {
        let slug = |s: &str| HostKind::Subdomain(TenantSlug::parse(s).unwrap());
        assert_eq!(
            classify_host("demo.localhost:8080", "localhost"),
            slug("demo")
        );
        assert_eq!(
            classify_host("Demo.Nexus.Example.COM", "nexus.example.com"),
            slug("demo")
        );
        assert_eq!(
            classify_host("localhost:8080", "localhost"),
            HostKind::Platform
        );
        assert_eq!(
            classify_host("127.0.0.1:8080", "localhost"),
            HostKind::Platform
        );
        assert_eq!(classify_host("[::1]:8080", "localhost"), HostKind::Platform);
        assert_eq!(
            classify_host("a.b.localhost", "localhost"),
            HostKind::Platform
        );
        assert_eq!(
            classify_host("www.localhost", "localhost"),
            HostKind::Platform
        );
        assert_eq!(
            classify_host("learn.bank.example", "localhost"),
            HostKind::Custom(DomainName::parse("learn.bank.example").unwrap())
        );
    }

    #[test]
    fn colours_urls_domains_zones() {
        assert_eq!(HexColour::parse("#1F6FEB").unwrap().as_str(), "#1f6feb");
        assert!(HexColour::parse("red").is_err());
        assert!(HexColour::parse("#12345g").is_err());
        assert!(parse_url("https://cdn.example.com/logo.png").is_ok());
        assert!(parse_url("javascript:alert(1)").is_err());
        assert!(parse_url("https://x.com/\"onload=").is_err());
        assert_eq!(
            DomainName::parse("Learn.Example.COM.").unwrap().as_str(),
            "learn.example.com"
        );
        assert!(DomainName::parse("localhost").is_err());
        assert!(DomainName::parse("bad_host.com").is_err());
        assert!(DomainName::parse("127.0.0.1").is_err());
        assert!(parse_time_zone("Europe/London").is_ok());
        assert!(parse_time_zone("UTC").is_ok());
        assert!(parse_time_zone("London").is_err());
        assert!(parse_locale("pt-BR").is_ok());
        assert!(parse_locale("english").is_err());
    }
}
