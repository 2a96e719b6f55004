//! The authorization matrix: every route × every kind of caller, with the expected
//! allow or deny. A route added to `nexus_http::ROUTES` without a row here fails the
//! suite, so nothing ships without a decision about who may call it.

use crate::harness::{PLATFORM_TOKEN, TestApp};
use nexus_domain::access::{BuiltinRole, Permission};
use nexus_domain::user::Role;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;

const PW: &str = "matrix password 123";

#[derive(Clone, Copy, Debug)]
enum Access {
    /// Anyone.
    Public,
    /// Any signed-in user of the tenant.
    SignedIn,
    /// Signed-in users holding this permission.
    Perm(Permission),
    /// Signed-in users holding any of these permissions.
    AnyPerm(&'static [Permission]),
    /// Platform operators (operator token) only.
    Platform,
}

/// Who may call each route. Every entry of `nexus_http::ROUTES` must appear.
fn rules() -> Vec<(&'static str, &'static str, Access)> {
    use Access::{AnyPerm, Perm, Platform, Public, SignedIn};
    use Permission as P;
    // Rosters, cohorts and reports: those who manage enrolments or read reports.
    const OVERSIGHT: &[Permission] = &[P::EnrolmentWrite, P::ReportRead];
    // Simulator market data: traders and those who administer the simulator.
    const MARKET: &[Permission] = &[P::SimTrade, P::SimAdmin];
    // Competitions: their entrants and the instructors who run them.
    const CONTESTS: &[Permission] = &[P::SimTrade, P::CompetitionWrite];
    vec![
        ("GET", "/v1/sim/instruments", AnyPerm(MARKET)),
        ("GET", "/v1/sim/instruments/{symbol}", AnyPerm(MARKET)),
        ("GET", "/v1/sim/instruments/{symbol}/bars", AnyPerm(MARKET)),
        ("GET", "/v1/sim/scenarios", AnyPerm(MARKET)),
        ("GET", "/v1/sim/scenarios/{name}", AnyPerm(MARKET)),
        ("GET", "/v1/sim/settings", AnyPerm(MARKET)),
        ("PUT", "/v1/sim/settings", Perm(P::SimAdmin)),
        ("GET", "/v1/sim/imports", AnyPerm(MARKET)),
        ("GET", "/v1/sim/imports/{symbol}", AnyPerm(MARKET)),
        ("PUT", "/v1/sim/imports/{symbol}", Perm(P::SimAdmin)),
        ("GET", "/v1/sim/stream/quotes", AnyPerm(MARKET)),
        ("GET", "/v1/sim/stream/orders", Perm(P::SimTrade)),
        ("GET", "/v1/sim/orders", Perm(P::SimTrade)),
        ("POST", "/v1/sim/orders", Perm(P::SimTrade)),
        ("GET", "/v1/sim/orders/{id}", Perm(P::SimTrade)),
        ("DELETE", "/v1/sim/orders/{id}", Perm(P::SimTrade)),
        ("PATCH", "/v1/sim/orders/{id}", Perm(P::SimTrade)),
        ("GET", "/v1/sim/fills", Perm(P::SimTrade)),
        ("GET", "/v1/sim/portfolios", Perm(P::SimTrade)),
        ("GET", "/v1/sim/portfolios/{id}", Perm(P::SimTrade)),
        ("GET", "/v1/sim/portfolios/{id}/history", Perm(P::SimTrade)),
        (
            "GET",
            "/v1/sim/portfolios/{id}/analytics",
            Perm(P::SimTrade),
        ),
        ("GET", "/v1/sim/competitions", AnyPerm(CONTESTS)),
        ("POST", "/v1/sim/competitions", Perm(P::CompetitionWrite)),
        ("GET", "/v1/sim/competitions/{id}", AnyPerm(CONTESTS)),
        (
            "POST",
            "/v1/sim/competitions/{id}/entries",
            Perm(P::SimTrade),
        ),
        (
            "GET",
            "/v1/sim/competitions/{id}/leaderboard",
            AnyPerm(CONTESTS),
        ),
        ("GET", "/livez", Public),
        ("GET", "/readyz", Public),
        ("GET", "/version", Public),
        ("GET", "/openapi.json", Public),
        ("GET", "/developers", Public),
        ("GET", "/developers/keys", Public),
        ("GET", "/developers/changelog", Public),
        ("GET", "/developers/assets/{file}", Public),
        ("GET", "/developers/reference/", Public),
        ("GET", "/developers/reference/{file}", Public),
        ("GET", "/v1/tenant", Public),
        ("POST", "/v1/auth/login", Public),
        ("POST", "/v1/auth/logout", SignedIn),
        ("GET", "/v1/auth/session", SignedIn),
        ("GET", "/v1/auth/sessions", SignedIn),
        ("DELETE", "/v1/auth/sessions/{id}", SignedIn),
        ("POST", "/v1/auth/mfa/verify", SignedIn),
        ("POST", "/v1/auth/mfa/totp/enroll", SignedIn),
        ("POST", "/v1/auth/mfa/totp/confirm", SignedIn),
        ("POST", "/v1/auth/mfa/recovery-codes", SignedIn),
        ("POST", "/v1/auth/password/forgot", Public),
        ("POST", "/v1/auth/password/reset", Public),
        ("POST", "/v1/auth/email-verification", SignedIn),
        ("POST", "/v1/auth/verify-email", Public),
        (
            "POST",
            "/v1/users/{id}/email-verification",
            Perm(P::UserWrite),
        ),
        ("GET", "/v1/outbox", Perm(P::TenantWrite)),
        ("POST", "/v1/users/invitations", Perm(P::UserInvite)),
        ("POST", "/v1/users/import", Perm(P::UserInvite)),
        ("POST", "/v1/auth/invitations/accept", Public),
        ("GET", "/v1/roles", Perm(P::RoleRead)),
        ("POST", "/v1/roles", Perm(P::RoleWrite)),
        ("PATCH", "/v1/roles/{id}", Perm(P::RoleWrite)),
        ("DELETE", "/v1/roles/{id}", Perm(P::RoleWrite)),
        ("GET", "/v1/api-keys", Perm(P::ApiKeyManage)),
        ("POST", "/v1/api-keys", Perm(P::ApiKeyManage)),
        ("GET", "/v1/api-keys/{id}", Perm(P::ApiKeyManage)),
        ("DELETE", "/v1/api-keys/{id}", Perm(P::ApiKeyManage)),
        ("POST", "/v1/api-keys/{id}/rotate", Perm(P::ApiKeyManage)),
        ("GET", "/v1/webhooks/event-types", Perm(P::WebhookManage)),
        ("GET", "/v1/webhooks/endpoints", Perm(P::WebhookManage)),
        ("POST", "/v1/webhooks/endpoints", Perm(P::WebhookManage)),
        ("GET", "/v1/webhooks/endpoints/{id}", Perm(P::WebhookManage)),
        (
            "PATCH",
            "/v1/webhooks/endpoints/{id}",
            Perm(P::WebhookManage),
        ),
        (
            "DELETE",
            "/v1/webhooks/endpoints/{id}",
            Perm(P::WebhookManage),
        ),
        (
            "POST",
            "/v1/webhooks/endpoints/{id}/rotate-secret",
            Perm(P::WebhookManage),
        ),
        ("GET", "/v1/webhooks/messages", Perm(P::WebhookManage)),
        ("GET", "/v1/webhooks/messages/{id}", Perm(P::WebhookManage)),
        (
            "POST",
            "/v1/webhooks/messages/{id}/replay",
            Perm(P::WebhookManage),
        ),
        ("GET", "/v1/users", Perm(P::UserRead)),
        ("POST", "/v1/users", Perm(P::UserWrite)),
        ("GET", "/v1/users/{id}", Perm(P::UserRead)),
        ("GET", "/v1/users/{id}/roles", Perm(P::UserRead)),
        ("PUT", "/v1/users/{id}/roles", Perm(P::UserWrite)),
        ("DELETE", "/v1/users/{id}/sessions", Perm(P::SessionRevoke)),
        ("DELETE", "/v1/users/{id}/lock", Perm(P::UserWrite)),
        ("GET", "/v1/courses", Perm(P::CourseRead)),
        ("POST", "/v1/courses", Perm(P::CourseWrite)),
        ("GET", "/v1/courses/{id}", Perm(P::CourseRead)),
        ("PATCH", "/v1/courses/{id}", Perm(P::CourseWrite)),
        ("POST", "/v1/courses/{id}/archive", Perm(P::CourseWrite)),
        ("POST", "/v1/courses/import", Perm(P::CourseWrite)),
        ("GET", "/v1/courses/{id}/export", Perm(P::CourseWrite)),
        ("GET", "/v1/library", Perm(P::CourseWrite)),
        ("GET", "/v1/library/{id}", Perm(P::CourseWrite)),
        ("POST", "/v1/library/{id}/adopt", Perm(P::CourseWrite)),
        ("GET", "/v1/courses/{id}/outline", Perm(P::CourseWrite)),
        ("POST", "/v1/courses/{id}/modules", Perm(P::CourseWrite)),
        ("PUT", "/v1/courses/{id}/module-order", Perm(P::CourseWrite)),
        ("GET", "/v1/courses/{id}/prerequisites", Perm(P::CourseRead)),
        (
            "PUT",
            "/v1/courses/{id}/prerequisites",
            Perm(P::CourseWrite),
        ),
        (
            "POST",
            "/v1/courses/{id}/modules/{module}/lessons",
            Perm(P::CourseWrite),
        ),
        (
            "PUT",
            "/v1/courses/{id}/modules/{module}/lesson-order",
            Perm(P::CourseWrite),
        ),
        (
            "PUT",
            "/v1/courses/{id}/lessons/{lesson}",
            Perm(P::CourseWrite),
        ),
        (
            "PATCH",
            "/v1/courses/{id}/modules/{module}",
            Perm(P::CourseWrite),
        ),
        (
            "DELETE",
            "/v1/courses/{id}/modules/{module}",
            Perm(P::CourseWrite),
        ),
        (
            "DELETE",
            "/v1/courses/{id}/lessons/{lesson}",
            Perm(P::CourseWrite),
        ),
        ("POST", "/v1/courses/{id}/publish", Perm(P::CourseWrite)),
        ("POST", "/v1/courses/{id}/unpublish", Perm(P::CourseWrite)),
        ("GET", "/v1/courses/{id}/content", Perm(P::CourseRead)),
        (
            "GET",
            "/v1/courses/{id}/content/lessons/{lesson}",
            Perm(P::CourseRead),
        ),
        ("GET", "/v1/courses/{id}/banks", Perm(P::CourseWrite)),
        ("POST", "/v1/courses/{id}/banks", Perm(P::CourseWrite)),
        ("GET", "/v1/courses/{id}/banks/{bank}", Perm(P::CourseWrite)),
        ("PUT", "/v1/courses/{id}/banks/{bank}", Perm(P::CourseWrite)),
        (
            "DELETE",
            "/v1/courses/{id}/banks/{bank}",
            Perm(P::CourseWrite),
        ),
        ("GET", "/v1/courses/{id}/quizzes", Perm(P::CourseWrite)),
        (
            "POST",
            "/v1/courses/{id}/modules/{module}/quizzes",
            Perm(P::CourseWrite),
        ),
        (
            "PUT",
            "/v1/courses/{id}/quizzes/{quiz}",
            Perm(P::CourseWrite),
        ),
        (
            "DELETE",
            "/v1/courses/{id}/quizzes/{quiz}",
            Perm(P::CourseWrite),
        ),
        (
            "GET",
            "/v1/courses/{id}/quizzes/{quiz}",
            Perm(P::CourseRead),
        ),
        (
            "POST",
            "/v1/courses/{id}/quizzes/{quiz}/attempts",
            Perm(P::CourseRead),
        ),
        ("GET", "/v1/courses/{id}/mastery", Perm(P::CourseRead)),
        ("GET", "/v1/quiz-attempts/{attempt}", Perm(P::CourseRead)),
        (
            "POST",
            "/v1/quiz-attempts/{attempt}/submission",
            Perm(P::CourseRead),
        ),
        ("POST", "/v1/courses/{id}/enrolment", Perm(P::CourseRead)),
        ("DELETE", "/v1/courses/{id}/enrolment", Perm(P::CourseRead)),
        ("GET", "/v1/courses/{id}/enrolments", AnyPerm(OVERSIGHT)),
        (
            "POST",
            "/v1/courses/{id}/enrolments",
            Perm(P::EnrolmentWrite),
        ),
        (
            "DELETE",
            "/v1/courses/{id}/enrolments/{user}",
            Perm(P::EnrolmentWrite),
        ),
        ("GET", "/v1/me/enrolments", Perm(P::CourseRead)),
        (
            "POST",
            "/v1/courses/{id}/lessons/{lesson}/progress",
            Perm(P::CourseRead),
        ),
        ("GET", "/v1/courses/{id}/progress", Perm(P::CourseRead)),
        ("GET", "/v1/cohorts", AnyPerm(OVERSIGHT)),
        ("POST", "/v1/cohorts", Perm(P::EnrolmentWrite)),
        // Members may read their own cohort too; nobody is a member of a random one.
        ("GET", "/v1/cohorts/{id}", AnyPerm(OVERSIGHT)),
        ("PATCH", "/v1/cohorts/{id}", Perm(P::EnrolmentWrite)),
        ("DELETE", "/v1/cohorts/{id}", Perm(P::EnrolmentWrite)),
        ("GET", "/v1/cohorts/{id}/members", AnyPerm(OVERSIGHT)),
        (
            "PUT",
            "/v1/cohorts/{id}/members/{user}",
            Perm(P::EnrolmentWrite),
        ),
        (
            "DELETE",
            "/v1/cohorts/{id}/members/{user}",
            Perm(P::EnrolmentWrite),
        ),
        ("GET", "/v1/cohorts/{id}/progress", Perm(P::ReportRead)),
        ("GET", "/v1/me/achievements", Perm(P::CourseRead)),
        ("PUT", "/v1/me/leaderboard", Perm(P::CourseRead)),
        ("GET", "/v1/leaderboard", Perm(P::CourseRead)),
        ("GET", "/v1/me/certificates", Perm(P::CourseRead)),
        ("GET", "/v1/certificates/verify/{code}", Public),
        (
            "POST",
            "/v1/certificates/{id}/revocation",
            Perm(P::CertificateRevoke),
        ),
        ("GET", "/v1/audit", Perm(P::AuditRead)),
        ("GET", "/v1/audit/export", Perm(P::AuditRead)),
        ("GET", "/v1/platform/tenants", Platform),
        ("GET", "/v1/platform/tenants/{id}/usage", Platform),
        ("GET", "/v1/usage", Perm(P::BillingRead)),
        ("GET", "/v1/billing/plan", Perm(P::BillingRead)),
        ("GET", "/v1/invoices", Perm(P::BillingRead)),
        ("GET", "/v1/invoices/{id}", Perm(P::BillingRead)),
        ("GET", "/v1/invoices/{id}/csv", Perm(P::BillingRead)),
        ("GET", "/v1/invoices/{id}/html", Perm(P::BillingRead)),
        ("GET", "/v1/platform/billing/plans", Platform),
        ("PUT", "/v1/platform/billing/plans/{code}", Platform),
        ("GET", "/v1/platform/tenants/{id}/invoices", Platform),
        ("POST", "/v1/platform/tenants/{id}/invoices", Platform),
        (
            "GET",
            "/v1/platform/tenants/{id}/invoices/{invoice}",
            Platform,
        ),
        (
            "POST",
            "/v1/platform/tenants/{id}/invoices/{invoice}/credit-notes",
            Platform,
        ),
        ("GET", "/v1/usage/export", Perm(P::BillingRead)),
        ("POST", "/v1/platform/tenants", Platform),
        ("GET", "/v1/platform/tenants/{id}", Platform),
        ("PATCH", "/v1/platform/tenants/{id}", Platform),
        ("POST", "/v1/platform/tenants/{id}/domains", Platform),
        (
            "DELETE",
            "/v1/platform/tenants/{id}/domains/{domain}",
            Platform,
        ),
        ("GET", "/v1/platform/jobs", Platform),
        ("POST", "/v1/platform/jobs/purge-dead", Platform),
        ("GET", "/v1/platform/jobs/{id}", Platform),
        ("POST", "/v1/platform/jobs/{id}/retry", Platform),
        ("POST", "/v1/platform/jobs/{id}/cancel", Platform),
        ("PUT", "/v1/platform/library/{slug}", Platform),
        ("DELETE", "/v1/platform/library/{slug}", Platform),
        ("GET", "/v1/platform/audit", Platform),
        ("GET", "/v1/platform/audit/export", Platform),
    ]
}

#[derive(Debug)]
enum Caller {
    Anonymous,
    Operator,
    User {
        name: &'static str,
        email: String,
        permissions: BTreeSet<Permission>,
    },
    /// An API key of the tenant owner, limited to its scopes. Keys act on every route
    /// their scopes allow except the session-only ones (key management, sign-in and
    /// sessions, MFA), and never on platform routes.
    Key {
        name: &'static str,
        secret: String,
        scopes: BTreeSet<Permission>,
    },
    /// A person holding platform_admin, signed in to their home tenant (acme).
    PlatformAdmin {
        tenant: nexus_domain::TenantId,
        user: nexus_domain::UserId,
        email: String,
    },
}

impl Caller {
    fn label(&self) -> &str {
        match self {
            Self::Anonymous => "anonymous",
            Self::Operator => "platform operator",
            Self::User { name, .. } | Self::Key { name, .. } => name,
            Self::PlatformAdmin { .. } => "platform_admin",
        }
    }
}

#[tokio::test]
async fn every_route_allows_exactly_the_callers_it_should() {
    let rules = rules();
    let listed: BTreeSet<(&str, &str)> = rules.iter().map(|(m, p, _)| (*m, *p)).collect();
    for (m, p) in nexus_http::ROUTES {
        assert!(
            listed.contains(&(*m, *p)),
            "{m} {p} has no row in the authorization matrix"
        );
    }
    assert_eq!(
        listed.len(),
        nexus_http::ROUTES.len(),
        "the matrix lists a route that does not exist"
    );

    let app = TestApp::spawn().await;
    let tenant_json = app.create_tenant("acme").await;
    let tenant_id = tenant_json["id"].as_str().unwrap().to_owned();
    let victim = app
        .user("acme", "victim@acme.example", PW, Role::Learner)
        .await;
    let victim_id = app
        .wired
        .services
        .accounts
        .list(
            &nexus_app::Caller::system(),
            victim,
            &nexus_domain::user::UserQuery::default(),
        )
        .await
        .unwrap()
        .items[0]
        .id;
    let role: Value = {
        let owner = make_user(&app, "owner", Role::Admin, &[BuiltinRole::TenantOwner]).await;
        let token = login(&app, &owner).await;
        let r = app
            .client
            .post(app.url("/v1/roles"))
            .header("host", "acme.localhost")
            .bearer_auth(&token)
            .json(&json!({ "name": "Seed role", "permissions": ["course:read"] }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        r.json().await.unwrap()
    };
    let role_id = role["key"]
        .as_str()
        .unwrap()
        .trim_start_matches("custom:")
        .to_owned();

    let mut callers = vec![Caller::Anonymous, Caller::Operator];
    for (name, primary, grants) in [
        ("learner", Role::Learner, vec![]),
        ("instructor", Role::Instructor, vec![]),
        ("tenant_admin", Role::Admin, vec![]),
        ("auditor", Role::Learner, vec![BuiltinRole::Auditor]),
        (
            "billing_admin",
            Role::Learner,
            vec![BuiltinRole::BillingAdmin],
        ),
        ("tenant_owner", Role::Admin, vec![BuiltinRole::TenantOwner]),
    ] {
        let email = make_user(&app, name, primary, &grants).await;
        let mut permissions = nexus_app::auth::builtin_role(primary).permissions();
        for g in &grants {
            permissions.extend(g.permissions());
        }
        callers.push(Caller::User {
            name,
            email,
            permissions,
        });
    }

    // Keys of the owner: one narrow, one with every scope a key may hold.
    let owner = callers
        .iter()
        .find_map(|c| match c {
            Caller::User {
                name: "tenant_owner",
                email,
                permissions,
            } => Some((email.clone(), permissions.clone())),
            _ => None,
        })
        .unwrap();
    let owner_token = login_email(&app, &owner.0).await;
    let every: BTreeSet<Permission> = owner
        .1
        .iter()
        .copied()
        .filter(|p| *p != Permission::PlatformOperate)
        .collect();
    for (name, scopes) in [
        ("key: course:read", BTreeSet::from([Permission::CourseRead])),
        ("key: every scope", every),
    ] {
        let names: Vec<&str> = scopes.iter().map(|p| p.as_str()).collect();
        let r = app
            .client
            .post(app.url("/v1/api-keys"))
            .header("host", "acme.localhost")
            .bearer_auth(&owner_token)
            .json(&json!({ "name": name, "scopes": names }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{name}");
        let made: Value = r.json().await.unwrap();
        callers.push(Caller::Key {
            name,
            secret: made["key"].as_str().unwrap().to_owned(),
            scopes,
        });
    }

    let ops_email = make_user(&app, "ops", Role::Learner, &[BuiltinRole::PlatformAdmin]).await;
    let ops = app
        .wired
        .services
        .accounts
        .list(
            &nexus_app::Caller::system(),
            victim,
            &nexus_domain::user::UserQuery {
                search: Some(ops_email.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .items[0]
        .id;
    callers.push(Caller::PlatformAdmin {
        tenant: victim,
        user: ops,
        email: ops_email,
    });

    let mut failures = Vec::new();
    let mut n = 0u32;
    for (method, path, access) in &rules {
        for caller in &callers {
            n += 1;
            let session_only = path.starts_with("/v1/api-keys") || path.starts_with("/v1/auth/");
            let expect_allow = match (access, caller) {
                (Access::Public, _)
                | (Access::SignedIn, Caller::User { .. })
                | (Access::Platform, Caller::Operator)
                | (_, Caller::PlatformAdmin { .. }) => true,
                (_, Caller::Key { .. }) if session_only => false,
                (Access::SignedIn, Caller::Key { .. }) => true,
                (Access::Perm(p), Caller::Key { scopes, .. }) => scopes.contains(p),
                (Access::AnyPerm(ps), Caller::Key { scopes, .. }) => {
                    ps.iter().any(|p| scopes.contains(p))
                }
                (Access::Perm(p), Caller::User { permissions, .. }) => permissions.contains(p),
                (Access::AnyPerm(ps), Caller::User { permissions, .. }) => {
                    ps.iter().any(|p| permissions.contains(p))
                }
                _ => false,
            };
            let concrete = path
                .replace(
                    "/v1/platform/tenants/{id}",
                    &format!("/v1/platform/tenants/{tenant_id}"),
                )
                .replace("/v1/users/{id}", &format!("/v1/users/{victim_id}"))
                .replace("/v1/roles/{id}", &format!("/v1/roles/{role_id}"))
                .replace("{domain}", "learn.acme.example")
                .replace("{slug}", "matrix-course")
                .replace("{module}", &uuid::Uuid::now_v7().to_string())
                .replace("{lesson}", &uuid::Uuid::now_v7().to_string())
                .replace("{bank}", &uuid::Uuid::now_v7().to_string())
                .replace("{quiz}", &uuid::Uuid::now_v7().to_string())
                .replace("{attempt}", &uuid::Uuid::now_v7().to_string())
                .replace("{code}", "ABCDEFGHJK0123456789")
                .replace("{symbol}", "NXTM")
                .replace("{name}", "calm_bull")
                .replace("{user}", &uuid::Uuid::now_v7().to_string())
                .replace("{id}", &uuid::Uuid::now_v7().to_string())
                + &query_for(method, path);
            let mut req = app
                .client
                .request(
                    Method::from_bytes(method.as_bytes()).unwrap(),
                    app.url(&concrete),
                )
                .header("host", "acme.localhost");
            match caller {
                Caller::Anonymous => {}
                Caller::Operator => req = req.bearer_auth(PLATFORM_TOKEN),
                Caller::User { email, .. } => req = req.bearer_auth(login_email(&app, email).await),
                Caller::Key { secret, .. } => req = req.bearer_auth(secret),
                Caller::PlatformAdmin { tenant, user, .. } => {
                    req = req.bearer_auth(passed_session(&app, *tenant, *user).await);
                }
            }
            if let Some(body) = body_for(method, path, caller, n) {
                req = req.json(&body);
            }
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            // An allowed event stream stays open: its headers are the answer.
            let streaming = resp
                .headers()
                .get("content-type")
                .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
            let code = if streaming {
                String::new()
            } else {
                resp.json::<Value>()
                    .await
                    .ok()
                    .and_then(|v| v["code"].as_str().map(str::to_owned))
                    .unwrap_or_default()
            };
            let denied = (status == 401 && code == "unauthenticated")
                || (status == 403 && code == "forbidden");
            if status >= 500 || denied == expect_allow {
                failures.push(format!(
                    "{method} {path} as {}: got {status} {code}, expected {}",
                    caller.label(),
                    if expect_allow { "allow" } else { "deny" }
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(n >= 200, "only {n} checks ran");
}

/// A valid query string where a route requires one, so a denial can only come from
/// authorization.
fn query_for(method: &str, path: &str) -> String {
    match (method, path) {
        ("GET", "/v1/cohorts/{id}/progress") => format!("?course={}", uuid::Uuid::now_v7()),
        _ => String::new(),
    }
}

/// A valid body for each unsafe route, so a denial can only come from authorization.
fn body_for(method: &str, path: &str, caller: &Caller, n: u32) -> Option<Value> {
    let email = match caller {
        Caller::User { email, .. } | Caller::PlatformAdmin { email, .. } => email.clone(),
        _ => "nobody@acme.example".into(),
    };
    match (method, path) {
        ("POST", "/v1/auth/login") => Some(json!({ "email": email, "password": PW })),
        ("POST", "/v1/auth/password/forgot") => Some(json!({ "email": email })),
        ("POST", "/v1/auth/password/reset") => Some(json!({ "token": "nope", "password": PW })),
        ("POST", "/v1/auth/verify-email") => Some(json!({ "token": "nope" })),
        ("POST", "/v1/users/invitations") => {
            Some(json!({ "email": format!("inv{n}@acme.example"), "role": "learner" }))
        }
        ("POST", "/v1/auth/invitations/accept") => {
            Some(json!({ "token": "nope", "display_name": "X", "password": PW }))
        }
        ("POST", "/v1/roles") | ("PATCH", "/v1/roles/{id}") => {
            Some(json!({ "name": format!("Role {n}"), "permissions": ["course:read"] }))
        }
        ("POST", "/v1/users") => Some(
            json!({ "email": format!("new{n}@acme.example"), "display_name": "New", "role": "learner", "password": PW }),
        ),
        ("PUT", "/v1/users/{id}/roles") => Some(json!({ "roles": [] })),
        ("POST", "/v1/api-keys") => {
            Some(json!({ "name": format!("Key {n}"), "scopes": ["tenant:read"] }))
        }
        ("POST", "/v1/api-keys/{id}/rotate") => Some(json!({})),
        ("POST", "/v1/webhooks/endpoints") => Some(
            json!({ "url": format!("https://hooks{n}.example.com/in"), "events": ["user.created"] }),
        ),
        ("PATCH", "/v1/webhooks/endpoints/{id}") => Some(json!({ "description": "Renamed" })),
        ("POST", "/v1/courses/{id}/modules") | ("PATCH", "/v1/courses/{id}/modules/{module}") => {
            Some(json!({ "title": "M" }))
        }
        ("POST", "/v1/courses/{id}/modules/{module}/lessons")
        | ("PUT", "/v1/courses/{id}/lessons/{lesson}") => {
            Some(json!({ "title": "L", "body": "text", "estimated_minutes": 5 }))
        }
        ("PUT", "/v1/courses/{id}/modules/{module}/lesson-order") => Some(json!({ "lessons": [] })),
        ("PUT", "/v1/courses/{id}/module-order") => Some(json!({ "modules": [] })),
        ("PUT", "/v1/courses/{id}/prerequisites") => Some(json!({ "courses": [] })),
        ("POST", "/v1/courses/{id}/banks") | ("PUT", "/v1/courses/{id}/banks/{bank}") => {
            Some(json!({ "key": "b", "title": "B", "questions": [] }))
        }
        ("POST", "/v1/courses/{id}/modules/{module}/quizzes")
        | ("PUT", "/v1/courses/{id}/quizzes/{quiz}") => Some(json!({ "title": "Q", "bank": "b" })),
        ("POST", "/v1/quiz-attempts/{attempt}/submission") => Some(json!({ "responses": {} })),
        ("PUT", "/v1/me/leaderboard") => Some(json!({ "opt_in": true })),
        ("POST", "/v1/certificates/{id}/revocation") => Some(json!({ "reason": "test" })),
        ("POST", "/v1/courses") | ("PATCH", "/v1/courses/{id}") => Some(
            json!({ "title": format!("Course {n}"), "level": "beginner", "estimated_minutes": 30 }),
        ),
        ("POST", "/v1/courses/{id}/enrolments") => {
            Some(json!({ "user_ids": [uuid::Uuid::now_v7()] }))
        }
        ("POST", "/v1/courses/{id}/lessons/{lesson}/progress") => {
            Some(json!({ "seconds": 30, "completed": true }))
        }
        ("POST", "/v1/cohorts") | ("PATCH", "/v1/cohorts/{id}") => {
            Some(json!({ "name": format!("Cohort {n}") }))
        }
        ("PUT", "/v1/cohorts/{id}/members/{user}") => Some(json!({ "role": "learner" })),
        ("POST", "/v1/auth/mfa/verify" | "/v1/auth/mfa/totp/confirm") => {
            Some(json!({ "code": "000000" }))
        }
        ("POST", "/v1/courses/import") | ("PUT", "/v1/platform/library/{slug}") => Some(json!({
            "schema": "finai-nexus/course-package", "schema_version": 1,
            "course": { "title": format!("Package {n}"), "level": "beginner", "estimated_minutes": 5 }
        })),
        ("POST", "/v1/platform/tenants") => Some(json!({ "slug": format!("t{n}"), "name": "T" })),
        ("PATCH", "/v1/platform/tenants/{id}") => Some(json!({ "name": "Acme" })),
        ("POST", "/v1/platform/tenants/{id}/domains") => {
            Some(json!({ "domain": format!("d{n}.acme.example") }))
        }
        ("POST", "/v1/sim/orders") => Some(json!({
            "symbol": "NXTM", "side": "buy", "type": "limit", "time_in_force": "gtc",
            "qty": "1", "limit_price": "1.00", "client_order_id": format!("matrix-{n}")
        })),
        ("PATCH", "/v1/sim/orders/{id}") => Some(json!({ "qty": "2" })),
        ("PUT", "/v1/sim/settings") => {
            Some(json!({ "starting_cash": "50000", "realism": "standard" }))
        }
        ("POST", "/v1/sim/competitions") => Some(json!({
            "cohort_id": uuid::Uuid::now_v7(), "name": format!("Contest {n}"),
            "starts_at": "2026-01-01T00:00:00Z", "ends_at": "2027-01-01T00:00:00Z",
            "starting_cash": "10000", "metric": "return"
        })),
        _ => None,
    }
}

async fn make_user(app: &TestApp, name: &str, primary: Role, grants: &[BuiltinRole]) -> String {
    let email = format!("{}@acme.example", name.replace('_', "-"));
    let tenant = app.user("acme", &email, PW, primary).await;
    let users = app
        .wired
        .services
        .accounts
        .list(
            &nexus_app::Caller::system(),
            tenant,
            &nexus_domain::user::UserQuery {
                search: Some(email.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let grants = grants
        .iter()
        .map(|g| nexus_domain::access::RoleRef::Builtin(*g))
        .collect();
    app.wired
        .services
        .roles
        .set_user_roles(
            &nexus_app::Caller::system(),
            tenant,
            users.items[0].id,
            grants,
        )
        .await
        .unwrap();
    email
}

async fn login(app: &TestApp, email: &str) -> String {
    login_email(app, email).await
}

/// A fresh session per request, so logout and revocation rows cannot disturb others.
async fn login_email(app: &TestApp, email: &str) -> String {
    let r = app.login("acme", email, PW, None).await;
    assert_eq!(r.status(), 200, "login {email}");
    r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A platform admin's login always owes a TOTP code and each code works once, so a fresh
/// session per request cannot go through `/v1/auth/mfa/verify` (the MFA tests cover that
/// path). This writes the session a completed second factor leaves, through the store.
async fn passed_session(
    app: &TestApp,
    tenant: nexus_domain::TenantId,
    user: nexus_domain::UserId,
) -> String {
    use nexus_domain::session::{NewSession, SessionId, hash_token};
    let token = format!("nxs_matrix_{}", uuid::Uuid::new_v4().simple());
    let now = app.wired.clock.now();
    let new = NewSession {
        id: SessionId::generate(&nexus_domain::SystemClock),
        user,
        token_hash: hash_token(&token),
        csrf_hash: hash_token("unused"),
        created_at: now,
        expires_at: now + time::Duration::hours(1),
        idle_timeout: std::time::Duration::from_mins(30),
        ip: None,
        user_agent: None,
        mfa_state: nexus_domain::mfa::MfaState::Passed,
    };
    let db = &app.wired.db;
    let mut tx = db.begin(Some(tenant)).await.unwrap();
    db.sessions()
        .create(tx.as_mut(), tenant, &new)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    token
}
