//! Login, sessions, CSRF and brute-force defence end to end, on the configured backend.

use crate::harness::{TestApp, TestDb, problem};
use nexus_domain::user::Role;
use reqwest::Method;
use serde_json::Value;
use std::time::Duration;

pub(crate) const PW: &str = "correct horse battery staple";

pub(crate) fn signed(
    app: &TestApp,
    method: Method,
    path: &str,
    slug: &str,
    token: &str,
) -> reqwest::RequestBuilder {
    app.client
        .request(method, app.url(path))
        .header("host", format!("{slug}.localhost"))
        .bearer_auth(token)
}

/// The single-use token in a mailed `…?token=…` link.
pub(crate) fn link_token(body: &str) -> String {
    body.split("token=")
        .nth(1)
        .expect("the mail carries a token link")
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

pub(crate) async fn token_of(resp: reqwest::Response) -> (String, String, Vec<String>) {
    assert_eq!(resp.status(), 200);
    let cookies: Vec<String> = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let body: Value = resp.json().await.unwrap();
    (
        body["token"].as_str().unwrap().to_owned(),
        body["csrf_token"].as_str().unwrap().to_owned(),
        cookies,
    )
}

#[tokio::test]
async fn login_gives_a_session_usable_as_bearer_or_cookie() {
    let app = TestApp::spawn().await;
    app.user("school", "teacher@school.example", PW, Role::Instructor)
        .await;
    let resp = app
        .login("school", "Teacher@School.example", PW, None)
        .await;
    let (token, _, cookies) = token_of(resp).await;
    assert!(token.starts_with("nxs_") && token.len() > 40);
    let session_cookie = cookies
        .iter()
        .find(|c| c.starts_with("nexus_session="))
        .unwrap();
    assert!(
        session_cookie.contains("HttpOnly") && session_cookie.contains("SameSite=Lax"),
        "{session_cookie}"
    );
    assert!(
        !session_cookie.contains("Secure"),
        "no Secure flag without TLS"
    );
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("nexus_csrf=") && !c.contains("HttpOnly"))
    );

    let me: Value = signed(&app, Method::GET, "/v1/auth/session", "school", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "instructor");
    assert!(
        me["permissions"]
            .as_array()
            .unwrap()
            .contains(&"course:write".into())
    );
    let via_cookie = app
        .client
        .get(app.url("/v1/auth/session"))
        .header("host", "school.localhost")
        .header("cookie", format!("nexus_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(via_cookie.status(), 200);

    // A session belongs to its tenant: another tenant's host does not accept it.
    app.create_tenant("other").await;
    problem(
        signed(&app, Method::GET, "/v1/auth/session", "other", &token)
            .send()
            .await
            .unwrap(),
        401,
        "unauthenticated",
    )
    .await;
    problem(
        signed(
            &app,
            Method::GET,
            "/v1/auth/session",
            "school",
            "nxs_forged",
        )
        .send()
        .await
        .unwrap(),
        401,
        "unauthenticated",
    )
    .await;
    problem(
        app.client
            .get(app.url("/v1/auth/session"))
            .header("host", "school.localhost")
            .send()
            .await
            .unwrap(),
        401,
        "unauthenticated",
    )
    .await;
}

/// An unknown e-mail and a wrong password are indistinguishable.
#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_answer() {
    let app = TestApp::spawn().await;
    app.user("school", "real@school.example", PW, Role::Learner)
        .await;
    let strip = |mut v: Value| {
        let o = v.as_object_mut().unwrap();
        o.remove("trace_id");
        v
    };
    let wrong = problem(
        app.login("school", "real@school.example", "not the password", None)
            .await,
        401,
        "invalid_credentials",
    )
    .await;
    let unknown = problem(
        app.login("school", "ghost@school.example", "not the password", None)
            .await,
        401,
        "invalid_credentials",
    )
    .await;
    let malformed = problem(
        app.login("school", "not-an-email", "x", None).await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(strip(wrong.clone()), strip(unknown));
    assert_eq!(strip(wrong), strip(malformed));
}

/// Ten failures from one IP lock that (account, IP) pair only; the victim logs in from
/// elsewhere. Twenty failures across IPs lock the account everywhere.
#[tokio::test]
async fn lockout_per_account_and_ip_spares_other_ips_until_the_account_limit() {
    let app = TestApp::builder()
        .env("NEXUS_HTTP_TRUSTED_PROXIES", "127.0.0.1/32")
        .spawn()
        .await;
    app.user("bank", "victim@bank.example", PW, Role::Learner)
        .await;
    for _ in 0..10 {
        problem(
            app.login(
                "bank",
                "victim@bank.example",
                "guess guess guess",
                Some("198.51.100.66"),
            )
            .await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    let locked = app
        .login("bank", "victim@bank.example", PW, Some("198.51.100.66"))
        .await;
    let retry: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    problem(locked, 429, "too_many_attempts").await;
    assert_eq!(
        app.login("bank", "victim@bank.example", PW, Some("203.0.113.5"))
            .await
            .status(),
        200,
        "the victim is not locked out"
    );

    // The account limit (20) is reached by failures spread over many IPs (9 each).
    for i in 0..20 {
        let ip = format!("192.0.2.{}", i / 9 + 10);
        problem(
            app.login(
                "bank",
                "victim@bank.example",
                "spray spray spray",
                Some(&ip),
            )
            .await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    problem(
        app.login("bank", "victim@bank.example", PW, Some("203.0.113.99"))
            .await,
        429,
        "too_many_attempts",
    )
    .await;

    // Every failure and each lock is in the audit trail.
    let tenant = app
        .wired
        .services
        .tenants
        .get_by_slug(&nexus_domain::tenancy::TenantSlug::parse("bank").unwrap())
        .await
        .unwrap();
    let q = |action: &str| nexus_domain::audit::AuditQuery {
        action: Some(action.into()),
        limit: 200,
        ..Default::default()
    };
    let failed = app
        .wired
        .services
        .audit
        .list(Some(tenant.id), &q("auth.login_failed"))
        .await
        .unwrap();
    assert_eq!(failed.len(), 30);
    assert_eq!(
        failed[0].ip.as_deref(),
        Some("192.0.2.12"),
        "the client IP behind the trusted proxy"
    );
    let locks = app
        .wired
        .services
        .audit
        .list(Some(tenant.id), &q("auth.locked"))
        .await
        .unwrap();
    assert_eq!(locks.len(), 2, "one per-IP lock, one account lock");

    // An administrator ends both locks at once; the victim signs in from anywhere.
    app.user("bank", "head@bank.example", PW, Role::Admin).await;
    let (admin, _, _) = token_of(
        app.login("bank", "head@bank.example", PW, Some("203.0.113.7"))
            .await,
    )
    .await;
    let victim = app
        .wired
        .services
        .accounts
        .list(
            &nexus_app::Caller::system(),
            tenant.id,
            &nexus_domain::user::UserQuery {
                search: Some("victim@".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .items[0]
        .id;
    let unlock = signed(
        &app,
        Method::DELETE,
        &format!("/v1/users/{victim}/lock"),
        "bank",
        &admin,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(unlock.status(), 204);
    for ip in ["198.51.100.66", "203.0.113.99"] {
        assert_eq!(
            app.login("bank", "victim@bank.example", PW, Some(ip))
                .await
                .status(),
            200,
            "{ip}"
        );
    }
    let unlocked = app
        .wired
        .services
        .audit
        .list(Some(tenant.id), &q("auth.unlocked"))
        .await
        .unwrap();
    assert_eq!(unlocked.len(), 1, "{unlocked:?}");
    assert!(
        unlocked[0]
            .diff
            .as_deref()
            .unwrap()
            .contains(r#""reason":"admin""#)
    );
}

/// Unknown accounts are throttled exactly like real ones (no enumeration via 429s).
#[tokio::test]
async fn throttling_does_not_reveal_which_accounts_exist() {
    let app = TestApp::builder()
        .env("NEXUS_HTTP_TRUSTED_PROXIES", "127.0.0.1/32")
        .spawn()
        .await;
    app.user("bank", "real@bank.example", PW, Role::Learner)
        .await;
    for who in ["real@bank.example", "ghost@bank.example"] {
        for _ in 0..10 {
            app.login("bank", who, "wrong wrong wrong", Some("198.51.100.7"))
                .await;
        }
        problem(
            app.login("bank", who, "wrong wrong wrong", Some("198.51.100.7"))
                .await,
            429,
            "too_many_attempts",
        )
        .await;
    }
}

/// Failures beyond the third from one IP are answered progressively later.
#[tokio::test]
async fn repeated_failures_are_slowed_down() {
    let app = TestApp::builder()
        .env("NEXUS_SECURITY_LOGIN_DELAY", "200ms")
        .spawn()
        .await;
    app.user("school", "slow@school.example", PW, Role::Learner)
        .await;
    for _ in 0..3 {
        app.login("school", "slow@school.example", "wrong wrong wrong", None)
            .await;
    }
    let started = std::time::Instant::now();
    app.login("school", "slow@school.example", "wrong wrong wrong", None)
        .await;
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "4th failure answered in {:?}",
        started.elapsed()
    );
    let started = std::time::Instant::now();
    app.login("school", "slow@school.example", "wrong wrong wrong", None)
        .await;
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "5th failure answered in {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn cookie_sessions_need_the_csrf_token_for_unsafe_methods() {
    let app = TestApp::spawn().await;
    app.user("school", "c@school.example", PW, Role::Learner)
        .await;
    let (token, csrf, _) = token_of(app.login("school", "c@school.example", PW, None).await).await;
    let logout = |csrf: Option<&str>| {
        let mut r = app
            .client
            .post(app.url("/v1/auth/logout"))
            .header("host", "school.localhost")
            .header(
                "cookie",
                format!("nexus_session={token}; nexus_csrf={csrf:?}"),
            );
        if let Some(c) = csrf {
            r = r.header("x-csrf-token", c);
        }
        r.send()
    };
    problem(logout(None).await.unwrap(), 403, "csrf_failed").await;
    problem(
        logout(Some("csrf_wrong")).await.unwrap(),
        403,
        "csrf_failed",
    )
    .await;
    let ok = logout(Some(&csrf)).await.unwrap();
    assert_eq!(ok.status(), 204);
    assert!(
        ok.headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().contains("Max-Age=0")),
        "cookies cleared"
    );
    problem(
        signed(&app, Method::GET, "/v1/auth/session", "school", &token)
            .send()
            .await
            .unwrap(),
        401,
        "unauthenticated",
    )
    .await;

    // A bearer token is not sent by browsers on their own, so it needs no CSRF token.
    let (bearer, _, _) = token_of(app.login("school", "c@school.example", PW, None).await).await;
    assert_eq!(
        signed(&app, Method::POST, "/v1/auth/logout", "school", &bearer)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
}

#[tokio::test]
async fn users_list_and_revoke_their_sessions_immediately() {
    let app = TestApp::spawn().await;
    app.user("school", "multi@school.example", PW, Role::Learner)
        .await;
    let (laptop, _, _) =
        token_of(app.login("school", "multi@school.example", PW, None).await).await;
    let (phone, _, _) = token_of(app.login("school", "multi@school.example", PW, None).await).await;
    // Warm the validation cache for the phone first.
    assert_eq!(
        signed(&app, Method::GET, "/v1/auth/session", "school", &phone)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let list: Value = signed(&app, Method::GET, "/v1/auth/sessions", "school", &laptop)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = list.as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items.iter().filter(|s| s["current"] == true).count(), 1);
    let phone_id = items.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let r = signed(
        &app,
        Method::DELETE,
        &format!("/v1/auth/sessions/{phone_id}"),
        "school",
        &laptop,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 204);
    problem(
        signed(&app, Method::GET, "/v1/auth/session", "school", &phone)
            .send()
            .await
            .unwrap(),
        401,
        "unauthenticated",
    )
    .await;
    problem(
        signed(
            &app,
            Method::DELETE,
            &format!("/v1/auth/sessions/{phone_id}"),
            "school",
            &laptop,
        )
        .send()
        .await
        .unwrap(),
        404,
        "not_found",
    )
    .await;

    // Another learner cannot revoke someone else's session.
    app.user("school", "other@school.example", PW, Role::Learner)
        .await;
    let (other, _, _) = token_of(app.login("school", "other@school.example", PW, None).await).await;
    let laptop_id = items.iter().find(|s| s["current"] == true).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    problem(
        signed(
            &app,
            Method::DELETE,
            &format!("/v1/auth/sessions/{laptop_id}"),
            "school",
            &other,
        )
        .send()
        .await
        .unwrap(),
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        signed(&app, Method::GET, "/v1/auth/session", "school", &laptop)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let tenant = app
        .wired
        .services
        .tenants
        .get_by_slug(&nexus_domain::tenancy::TenantSlug::parse("school").unwrap())
        .await
        .unwrap();
    let events = app
        .wired
        .services
        .audit
        .list(Some(tenant.id), &nexus_domain::audit::AuditQuery::default())
        .await
        .unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert!(
        actions.contains(&"session.revoke")
            && actions.iter().filter(|a| **a == "auth.login").count() == 3,
        "{actions:?}"
    );
}

/// With Redis, a revocation on one replica takes effect at once on another that had the
/// session cached.
#[tokio::test]
async fn revocation_reaches_other_replicas_through_redis() {
    if std::env::var("NEXUS_TEST_REDIS_URL").is_err() {
        return eprintln!(
            "skipped: needs NEXUS_TEST_REDIS_URL (without Redis, revocation is per process)"
        );
    }
    let db = TestDb::fresh().await;
    let url = db.url().to_owned();
    let prefix = format!("repl-{}", uuid::Uuid::new_v4().simple());
    let a = TestApp::builder()
        .db(db)
        .env("NEXUS_REDIS_PREFIX", &prefix)
        .spawn()
        .await;
    let b = TestApp::builder()
        .db(TestDb::sqlite())
        .env("NEXUS_DATABASE_URL", &url)
        .env("NEXUS_REDIS_PREFIX", &prefix)
        .spawn()
        .await;
    a.user("shared", "r@shared.example", PW, Role::Learner)
        .await;
    let (token, _, _) = token_of(a.login("shared", "r@shared.example", PW, None).await).await;
    assert_eq!(
        signed(&b, Method::GET, "/v1/auth/session", "shared", &token)
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "b caches it"
    );
    assert_eq!(
        signed(&a, Method::POST, "/v1/auth/logout", "shared", &token)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    problem(
        signed(&b, Method::GET, "/v1/auth/session", "shared", &token)
            .send()
            .await
            .unwrap(),
        401,
        "unauthenticated",
    )
    .await;
}

async fn perms(app: &TestApp, token: &str) -> Vec<String> {
    let me: Value = signed(app, Method::GET, "/v1/auth/session", "school", token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    me["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect()
}

/// Admins manage accounts through `/v1/users`: weak and common passwords are refused
/// with a field error, duplicates conflict, lists filter and page, and role grants take
/// effect on the user's live session at once.
#[tokio::test]
async fn admins_manage_users_and_their_roles() {
    let app = TestApp::spawn().await;
    app.user("school", "head@school.example", PW, Role::Admin)
        .await;
    let (admin, _, _) = token_of(app.login("school", "head@school.example", PW, None).await).await;
    let create = |body: Value| {
        signed(&app, Method::POST, "/v1/users", "school", &admin)
            .json(&body)
            .send()
    };

    let weak = create(serde_json::json!({ "email": "new@school.example", "display_name": "New Pupil", "role": "learner", "password": "password1234" })).await.unwrap();
    let body = problem(weak, 422, "validation_failed").await;
    assert_eq!(
        (
            body["errors"][0]["field"].as_str(),
            body["errors"][0]["code"].as_str()
        ),
        (Some("password"), Some("too_weak"))
    );
    let made = create(serde_json::json!({ "email": "new@school.example", "display_name": "New Pupil", "role": "learner", "password": PW })).await.unwrap();
    assert_eq!(made.status(), 201);
    let user: Value = made.json().await.unwrap();
    let dup = create(serde_json::json!({ "email": "NEW@school.example", "display_name": "Again", "role": "learner", "password": PW })).await.unwrap();
    problem(dup, 409, "email_taken").await;

    let list: Value = signed(
        &app,
        Method::GET,
        "/v1/users?role=learner&q=new",
        "school",
        &admin,
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["email"], "new@school.example");

    // Granting `auditor` shows up in the learner's existing session immediately.
    let (learner, _, _) = token_of(app.login("school", "new@school.example", PW, None).await).await;
    assert!(
        !perms(&app, &learner)
            .await
            .contains(&"audit:read".to_owned())
    );
    let path = format!("/v1/users/{}/roles", user["id"].as_str().unwrap());
    let set = signed(&app, Method::PUT, &path, "school", &admin)
        .json(&serde_json::json!({ "roles": ["auditor"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    assert!(
        perms(&app, &learner)
            .await
            .contains(&"audit:read".to_owned())
    );
    let audit = signed(
        &app,
        Method::GET,
        "/v1/audit?action=user.roles",
        "school",
        &learner,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(audit.status(), 200, "the new auditor can read the trail");
    let trail: Value = audit.json().await.unwrap();
    let diff: Value = serde_json::from_str(trail["items"][0]["diff"].as_str().unwrap()).unwrap();
    assert_eq!(
        diff,
        serde_json::json!({ "before": [], "after": ["auditor"] })
    );

    // No escalation: an admin cannot grant billing:write, which they lack.
    let escalate = signed(&app, Method::PUT, &path, "school", &admin)
        .json(&serde_json::json!({ "roles": ["billing_admin"] }))
        .send()
        .await
        .unwrap();
    problem(escalate, 403, "forbidden").await;
    let unknown = signed(&app, Method::PUT, &path, "school", &admin)
        .json(&serde_json::json!({ "roles": ["wizard"] }))
        .send()
        .await
        .unwrap();
    problem(unknown, 422, "validation_failed").await;

    // Changing or deleting a custom role reaches its holders' live sessions at once.
    let role: Value = signed(&app, Method::POST, "/v1/roles", "school", &admin)
        .json(&serde_json::json!({ "name": "Reviewer", "permissions": ["report:read"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = role["key"].as_str().unwrap().to_owned();
    let set = signed(&app, Method::PUT, &path, "school", &admin)
        .json(&serde_json::json!({ "roles": [key] }))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    assert!(
        perms(&app, &learner)
            .await
            .contains(&"report:read".to_owned())
    );
    let role_path = format!("/v1/roles/{}", key.trim_start_matches("custom:"));
    let widened = signed(&app, Method::PATCH, &role_path, "school", &admin)
        .json(
            &serde_json::json!({ "name": "Reviewer", "permissions": ["report:read", "user:read"] }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(widened.status(), 200);
    assert!(
        perms(&app, &learner)
            .await
            .contains(&"user:read".to_owned())
    );
    let deleted = signed(&app, Method::DELETE, &role_path, "school", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let left = perms(&app, &learner).await;
    assert!(
        !left.contains(&"report:read".to_owned()) && !left.contains(&"user:read".to_owned()),
        "{left:?}"
    );
}

/// Time limits, with the injected clock: a session unused for the tenant's idle timeout
/// ends, a busy one ends at its absolute limit, and a login lock ends by itself, which
/// the next sign-in records as a security event.
#[tokio::test]
async fn sessions_and_locks_end_on_the_injected_clock() {
    let db = TestDb::fresh().await;
    let store = db.database().await;
    let clock = std::sync::Arc::new(nexus_domain::ManualClock::at_unix(1_780_000_000));
    let services = nexus_app::Services::new(
        store.clone(),
        std::sync::Arc::new(nexus_store::MemoryCache::new(100)),
        clock.clone(),
        nexus_app::tenancy::TenancySettings {
            base_domain: "localhost".into(),
            allow_tenant_header: true,
            cache_ttl: Duration::from_secs(1),
        },
        nexus_app::accounts::HashParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        },
        std::sync::Arc::new(nexus_app::jobs::Registry::new()),
        nexus_app::auth::AuthSettings {
            delay_base: Duration::ZERO,
            ..nexus_app::auth::AuthSettings::default()
        },
    );
    let caller = nexus_app::Caller::system();
    let settings = nexus_domain::tenancy::TenantSettings {
        session_idle_minutes: 30,
        session_absolute_hours: 2,
        ..Default::default()
    };
    let tenant = services
        .tenants
        .create(
            &caller,
            nexus_domain::tenancy::NewTenant {
                slug: nexus_domain::tenancy::TenantSlug::parse("clocked").unwrap(),
                name: "Clocked".into(),
                plan: nexus_domain::tenancy::Plan::Free,
                branding: nexus_domain::tenancy::Branding {
                    display_name: "C".into(),
                    logo_url: None,
                    primary_colour: nexus_domain::tenancy::HexColour::default(),
                },
                settings,
            },
        )
        .await
        .unwrap();
    let cmd = nexus_app::accounts::CreateAccount {
        email: nexus_domain::user::Email::parse("t@clocked.example").unwrap(),
        display_name: "T".into(),
        role: Role::Learner,
        password: nexus_domain::user::Password::parse(PW).unwrap(),
    };
    services
        .accounts
        .create(&caller, tenant.id, cmd)
        .await
        .unwrap();
    let login = || {
        services.auth.login(
            &tenant,
            "t@clocked.example",
            PW,
            nexus_app::RequestMeta::default(),
        )
    };

    let idle = login().await.unwrap().token;
    clock.advance(time::Duration::minutes(29));
    assert!(
        services.auth.validate(tenant.id, &idle).await.is_ok(),
        "used after 29 minutes: still live"
    );
    clock.advance(time::Duration::minutes(29));
    assert!(
        services.auth.validate(tenant.id, &idle).await.is_ok(),
        "the last use reset the idle clock"
    );
    clock.advance(time::Duration::minutes(31));
    assert!(
        services.auth.validate(tenant.id, &idle).await.is_err(),
        "31 idle minutes: ended"
    );

    let busy = login().await.unwrap().token;
    for _ in 0..7 {
        clock.advance(time::Duration::minutes(15));
        assert!(services.auth.validate(tenant.id, &busy).await.is_ok());
    }
    clock.advance(time::Duration::minutes(15));
    assert!(
        services.auth.validate(tenant.id, &busy).await.is_err(),
        "2 hours after login: ended however busy"
    );

    // Ten failures lock this (account, IP); the right password waits out the lock.
    for _ in 0..10 {
        let wrong = services
            .auth
            .login(
                &tenant,
                "t@clocked.example",
                "not the password",
                nexus_app::RequestMeta::default(),
            )
            .await;
        assert!(
            matches!(wrong, Err(nexus_app::AppError::InvalidCredentials)),
            "{wrong:?}"
        );
    }
    assert!(matches!(
        login().await,
        Err(nexus_app::AppError::TooManyAttempts { .. })
    ));
    clock.advance(time::Duration::minutes(16));
    assert!(login().await.is_ok(), "the lock ran out");
    let q = nexus_domain::audit::AuditQuery {
        action: Some("auth.unlocked".into()),
        limit: 10,
        ..Default::default()
    };
    let unlocked = services.audit.list(Some(tenant.id), &q).await.unwrap();
    assert_eq!(unlocked.len(), 1, "{unlocked:?}");
    let diff: serde_json::Value =
        serde_json::from_str(unlocked[0].diff.as_deref().unwrap()).unwrap();
    assert_eq!(
        diff,
        serde_json::json!({ "scope": "account_ip", "reason": "expired" })
    );
    store.close().await;
}
