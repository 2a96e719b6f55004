//! The inventory of every route, for the authorization matrix test.
//!
//! `ROUTES` must list exactly the routes the routers define; the unit test below reads
//! the router sources and fails if a route is added without an entry here (and the
//! integration suite fails if an entry has no row in the authorization matrix).

/// `(method, path template)` of every route, under its mount point.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/livez"),
    ("GET", "/readyz"),
    ("GET", "/version"),
    ("GET", "/openapi.json"),
    ("GET", "/developers"),
    ("GET", "/developers/keys"),
    ("GET", "/developers/changelog"),
    ("GET", "/developers/assets/{file}"),
    ("GET", "/developers/reference/"),
    ("GET", "/developers/reference/{file}"),
    ("GET", "/v1/tenant"),
    ("POST", "/v1/auth/login"),
    ("POST", "/v1/auth/logout"),
    ("GET", "/v1/auth/session"),
    ("GET", "/v1/auth/sessions"),
    ("DELETE", "/v1/auth/sessions/{id}"),
    ("POST", "/v1/auth/mfa/verify"),
    ("POST", "/v1/auth/mfa/totp/enroll"),
    ("POST", "/v1/auth/mfa/totp/confirm"),
    ("POST", "/v1/auth/mfa/recovery-codes"),
    ("POST", "/v1/auth/password/forgot"),
    ("POST", "/v1/auth/password/reset"),
    ("POST", "/v1/auth/email-verification"),
    ("POST", "/v1/auth/verify-email"),
    ("POST", "/v1/users/{id}/email-verification"),
    ("GET", "/v1/outbox"),
    ("POST", "/v1/users/invitations"),
    ("POST", "/v1/users/import"),
    ("POST", "/v1/auth/invitations/accept"),
    ("GET", "/v1/roles"),
    ("POST", "/v1/roles"),
    ("PATCH", "/v1/roles/{id}"),
    ("DELETE", "/v1/roles/{id}"),
    ("GET", "/v1/api-keys"),
    ("POST", "/v1/api-keys"),
    ("GET", "/v1/api-keys/{id}"),
    ("DELETE", "/v1/api-keys/{id}"),
    ("POST", "/v1/api-keys/{id}/rotate"),
    ("GET", "/v1/webhooks/event-types"),
    ("GET", "/v1/webhooks/endpoints"),
    ("POST", "/v1/webhooks/endpoints"),
    ("GET", "/v1/webhooks/endpoints/{id}"),
    ("PATCH", "/v1/webhooks/endpoints/{id}"),
    ("DELETE", "/v1/webhooks/endpoints/{id}"),
    ("POST", "/v1/webhooks/endpoints/{id}/rotate-secret"),
    ("GET", "/v1/webhooks/messages"),
    ("GET", "/v1/webhooks/messages/{id}"),
    ("POST", "/v1/webhooks/messages/{id}/replay"),
    ("GET", "/v1/users"),
    ("POST", "/v1/users"),
    ("GET", "/v1/users/{id}"),
    ("GET", "/v1/users/{id}/roles"),
    ("PUT", "/v1/users/{id}/roles"),
    ("DELETE", "/v1/users/{id}/sessions"),
    ("DELETE", "/v1/users/{id}/lock"),
    ("GET", "/v1/courses"),
    ("POST", "/v1/courses"),
    ("GET", "/v1/courses/{id}"),
    ("PATCH", "/v1/courses/{id}"),
    ("POST", "/v1/courses/{id}/archive"),
    ("POST", "/v1/courses/import"),
    ("GET", "/v1/courses/{id}/export"),
    ("GET", "/v1/library"),
    ("GET", "/v1/library/{id}"),
    ("POST", "/v1/library/{id}/adopt"),
    ("GET", "/v1/courses/{id}/outline"),
    ("POST", "/v1/courses/{id}/modules"),
    ("PUT", "/v1/courses/{id}/module-order"),
    ("GET", "/v1/courses/{id}/prerequisites"),
    ("PUT", "/v1/courses/{id}/prerequisites"),
    ("PATCH", "/v1/courses/{id}/modules/{module}"),
    ("DELETE", "/v1/courses/{id}/modules/{module}"),
    ("POST", "/v1/courses/{id}/modules/{module}/lessons"),
    ("PUT", "/v1/courses/{id}/modules/{module}/lesson-order"),
    ("PUT", "/v1/courses/{id}/lessons/{lesson}"),
    ("DELETE", "/v1/courses/{id}/lessons/{lesson}"),
    ("POST", "/v1/courses/{id}/publish"),
    ("POST", "/v1/courses/{id}/unpublish"),
    ("GET", "/v1/courses/{id}/content"),
    ("GET", "/v1/courses/{id}/content/lessons/{lesson}"),
    ("GET", "/v1/courses/{id}/banks"),
    ("POST", "/v1/courses/{id}/banks"),
    ("GET", "/v1/courses/{id}/banks/{bank}"),
    ("PUT", "/v1/courses/{id}/banks/{bank}"),
    ("DELETE", "/v1/courses/{id}/banks/{bank}"),
    ("GET", "/v1/courses/{id}/quizzes"),
    ("POST", "/v1/courses/{id}/modules/{module}/quizzes"),
    ("PUT", "/v1/courses/{id}/quizzes/{quiz}"),
    ("DELETE", "/v1/courses/{id}/quizzes/{quiz}"),
    ("GET", "/v1/courses/{id}/quizzes/{quiz}"),
    ("POST", "/v1/courses/{id}/quizzes/{quiz}/attempts"),
    ("GET", "/v1/courses/{id}/mastery"),
    ("GET", "/v1/quiz-attempts/{attempt}"),
    ("POST", "/v1/quiz-attempts/{attempt}/submission"),
    ("GET", "/v1/me/achievements"),
    ("PUT", "/v1/me/leaderboard"),
    ("GET", "/v1/leaderboard"),
    ("GET", "/v1/me/certificates"),
    ("GET", "/v1/certificates/verify/{code}"),
    ("POST", "/v1/certificates/{id}/revocation"),
    ("POST", "/v1/courses/{id}/enrolment"),
    ("DELETE", "/v1/courses/{id}/enrolment"),
    ("GET", "/v1/courses/{id}/enrolments"),
    ("POST", "/v1/courses/{id}/enrolments"),
    ("DELETE", "/v1/courses/{id}/enrolments/{user}"),
    ("GET", "/v1/me/enrolments"),
    ("POST", "/v1/courses/{id}/lessons/{lesson}/progress"),
    ("GET", "/v1/courses/{id}/progress"),
    ("GET", "/v1/cohorts"),
    ("POST", "/v1/cohorts"),
    ("GET", "/v1/cohorts/{id}"),
    ("PATCH", "/v1/cohorts/{id}"),
    ("DELETE", "/v1/cohorts/{id}"),
    ("GET", "/v1/cohorts/{id}/members"),
    ("PUT", "/v1/cohorts/{id}/members/{user}"),
    ("DELETE", "/v1/cohorts/{id}/members/{user}"),
    ("GET", "/v1/cohorts/{id}/progress"),
    ("GET", "/v1/audit"),
    ("GET", "/v1/audit/export"),
    ("GET", "/v1/usage"),
    ("GET", "/v1/usage/export"),
    ("GET", "/v1/billing/plan"),
    ("GET", "/v1/invoices"),
    ("GET", "/v1/invoices/{id}"),
    ("GET", "/v1/invoices/{id}/csv"),
    ("GET", "/v1/invoices/{id}/html"),
    ("GET", "/v1/platform/tenants"),
    ("POST", "/v1/platform/tenants"),
    ("GET", "/v1/platform/tenants/{id}"),
    ("PATCH", "/v1/platform/tenants/{id}"),
    ("POST", "/v1/platform/tenants/{id}/domains"),
    ("DELETE", "/v1/platform/tenants/{id}/domains/{domain}"),
    ("GET", "/v1/platform/jobs"),
    ("POST", "/v1/platform/jobs/purge-dead"),
    ("GET", "/v1/platform/jobs/{id}"),
    ("POST", "/v1/platform/jobs/{id}/retry"),
    ("POST", "/v1/platform/jobs/{id}/cancel"),
    ("PUT", "/v1/platform/library/{slug}"),
    ("DELETE", "/v1/platform/library/{slug}"),
    ("GET", "/v1/platform/audit"),
    ("GET", "/v1/platform/audit/export"),
    ("GET", "/v1/platform/tenants/{id}/usage"),
    ("GET", "/v1/platform/billing/plans"),
    ("PUT", "/v1/platform/billing/plans/{code}"),
    ("GET", "/v1/platform/tenants/{id}/invoices"),
    ("POST", "/v1/platform/tenants/{id}/invoices"),
    ("GET", "/v1/platform/tenants/{id}/invoices/{invoice}"),
    (
        "POST",
        "/v1/platform/tenants/{id}/invoices/{invoice}/credit-notes",
    ),
    ("GET", "/v1/sim/instruments"),
    ("GET", "/v1/sim/instruments/{symbol}"),
    ("GET", "/v1/sim/instruments/{symbol}/bars"),
    ("GET", "/v1/sim/scenarios"),
    ("GET", "/v1/sim/scenarios/{name}"),
    ("GET", "/v1/sim/orders"),
    ("POST", "/v1/sim/orders"),
    ("GET", "/v1/sim/orders/{id}"),
    ("DELETE", "/v1/sim/orders/{id}"),
    ("PATCH", "/v1/sim/orders/{id}"),
    ("GET", "/v1/sim/fills"),
    ("GET", "/v1/sim/portfolios"),
    ("GET", "/v1/sim/portfolios/{id}"),
    ("GET", "/v1/sim/portfolios/{id}/history"),
    ("GET", "/v1/sim/portfolios/{id}/analytics"),
    ("GET", "/v1/sim/competitions"),
    ("POST", "/v1/sim/competitions"),
    ("GET", "/v1/sim/competitions/{id}"),
    ("POST", "/v1/sim/competitions/{id}/entries"),
    ("GET", "/v1/sim/competitions/{id}/leaderboard"),
    ("GET", "/v1/sim/settings"),
    ("PUT", "/v1/sim/settings"),
    ("GET", "/v1/sim/imports"),
    ("GET", "/v1/sim/imports/{symbol}"),
    ("PUT", "/v1/sim/imports/{symbol}"),
    ("GET", "/v1/sim/stream/quotes"),
    ("GET", "/v1/sim/stream/orders"),
];

#[cfg(test)]
mod tests {
    use super::ROUTES;
    use std::collections::BTreeSet;

    /// Router sources and where each is mounted.
    const SOURCES: &[(&str, &str)] = &[
        ("", include_str!("probes.rs")),
        ("", include_str!("developers.rs")),
        ("/v1", include_str!("tenant.rs")),
        ("/v1", include_str!("auth.rs")),
        ("/v1", include_str!("mfa.rs")),
        ("/v1", include_str!("recovery.rs")),
        ("/v1", include_str!("invitations.rs")),
        ("/v1", include_str!("roles.rs")),
        ("/v1", include_str!("api_keys.rs")),
        ("/v1", include_str!("webhooks.rs")),
        ("/v1", include_str!("users.rs")),
        ("/v1", include_str!("verification.rs")),
        ("/v1", include_str!("audit.rs")),
        ("/v1", include_str!("courses.rs")),
        ("/v1", include_str!("packages.rs")),
        ("/v1", include_str!("library.rs")),
        ("/v1", include_str!("outline.rs")),
        ("/v1", include_str!("prerequisites.rs")),
        ("/v1", include_str!("publishing.rs")),
        ("/v1", include_str!("quizzes.rs")),
        ("/v1", include_str!("attempts.rs")),
        ("/v1", include_str!("rewards.rs")),
        ("/v1", include_str!("enrolment.rs")),
        ("/v1", include_str!("progress.rs")),
        ("/v1", include_str!("cohorts.rs")),
        ("/v1", include_str!("sim/market.rs")),
        ("/v1", include_str!("sim/orders.rs")),
        ("/v1", include_str!("sim/portfolios.rs")),
        ("/v1", include_str!("sim/competitions.rs")),
        ("/v1", include_str!("sim/admin.rs")),
        ("/v1", include_str!("sim/stream.rs")),
        ("/v1", include_str!("usage.rs")),
        ("/v1", include_str!("billing.rs")),
        ("/v1/platform", include_str!("platform_tenants.rs")),
        ("/v1/platform", include_str!("platform_jobs.rs")),
        ("/v1/platform", include_str!("platform_library.rs")),
        ("/v1/platform", include_str!("platform_audit.rs")),
        ("/v1/platform", include_str!("platform_usage.rs")),
        ("/v1/platform", include_str!("platform_billing.rs")),
    ];

    /// `(METHOD, path)` of every `.route("path", verb(..).verb(..))` in `src`.
    fn routes_in(prefix: &str, src: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut rest = src;
        while let Some(at) = rest.find(".route(") {
            let call = &rest[at + ".route(".len()..];
            let mut depth = 1;
            let end = call
                .char_indices()
                .find(|(_, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(call.len(), |(i, _)| i);
            let args = &call[..end];
            let path = args.split('"').nth(1).unwrap_or_default();
            for verb in ["get", "post", "put", "patch", "delete"] {
                let needle = format!("{verb}(");
                let found = args.match_indices(&needle).any(|(i, _)| {
                    i == 0
                        || !args.as_bytes()[i - 1].is_ascii_alphanumeric()
                            && args.as_bytes()[i - 1] != b'_'
                });
                if found {
                    out.push((verb.to_ascii_uppercase(), format!("{prefix}{path}")));
                }
            }
            rest = &call[end..];
        }
        out
    }

    #[test]
    fn the_scanner_reads_chained_verbs_across_lines() {
        let src = "Router::new()\n  .route(\n \"/a/{id}\",\n get(show).patch(update).delete(remove_x),\n )\n .route(\"/b\", post(budget_delete))";
        let got = routes_in("/x", src);
        let want = [
            ("GET", "/x/a/{id}"),
            ("PATCH", "/x/a/{id}"),
            ("DELETE", "/x/a/{id}"),
            ("POST", "/x/b"),
        ];
        assert_eq!(got, want.map(|(m, p)| (m.to_owned(), p.to_owned())));
    }

    #[test]
    fn the_inventory_lists_exactly_the_routes_the_routers_define() {
        let defined: BTreeSet<(String, String)> =
            SOURCES.iter().flat_map(|(p, s)| routes_in(p, s)).collect();
        let listed: BTreeSet<(String, String)> = ROUTES
            .iter()
            .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
            .collect();
        let missing: Vec<_> = defined.difference(&listed).collect();
        let stale: Vec<_> = listed.difference(&defined).collect();
        assert!(
            missing.is_empty(),
            "routes missing from ROUTES: {missing:?}"
        );
        assert!(
            stale.is_empty(),
            "ROUTES entries no router defines: {stale:?}"
        );
        assert_eq!(defined.len(), ROUTES.len(), "ROUTES has duplicates");
    }

    /// Operational endpoints outside the versioned API: probes for the orchestrator.
    /// Operational probes, and the portal and document that describe the API.
    const UNVERSIONED: &[&str] = &[
        "/livez",
        "/readyz",
        "/version",
        "/openapi.json",
        "/developers",
        "/developers/keys",
        "/developers/changelog",
        "/developers/assets/{file}",
        "/developers/reference/",
        "/developers/reference/{file}",
    ];

    #[test]
    fn every_public_route_lives_under_a_version_prefix() {
        let stray: Vec<_> = ROUTES
            .iter()
            .filter(|(_, p)| !p.starts_with("/v1/") && !UNVERSIONED.contains(p))
            .collect();
        assert!(
            stray.is_empty(),
            "routes outside /v1 (version them, or list them as operational): {stray:?}"
        );
        // Every router source is mounted under /v1, except the probes and the portal.
        for (mount, src) in SOURCES {
            let probes = src.contains("\"/livez\"") || src.contains("\"/developers\"");
            assert!(
                mount.starts_with("/v1") || probes,
                "a router mounted at `{mount}` is outside the versioned API"
            );
        }
    }
}
