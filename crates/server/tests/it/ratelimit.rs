//! Rate limits over HTTP: per credential by plan, per client IP (a spoofed
//! `X-Forwarded-For` from an untrusted peer resets nothing), cost weights, the
//! `RateLimit` fields, 429 problem+json with `Retry-After`, and the Redis-outage
//! fallback (Redis cut by a TCP proxy in front of the real server).

use crate::auth::token_of;
use crate::harness::proxy::{TcpProxy, via};
use crate::harness::{TestApp, problem};
use nexus_domain::user::Role;

const PW: &str = "correct horse battery staple";

fn field(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_user_gets_their_plans_budget_then_429_with_retry_after() {
    // The tenant's whole budget is two users' worth (factor 2), so anything wrongly
    // charged to the tenant shows.
    let app = TestApp::builder()
        .env("NEXUS_RATELIMIT_BASIC_PER_MINUTE", "5")
        .env("NEXUS_RATELIMIT_FREE_PER_MINUTE", "5")
        .env("NEXUS_RATELIMIT_TENANT_FACTOR", "2")
        .spawn()
        .await;
    app.user("acme", "ana@acme.example", PW, Role::Admin).await;
    app.user("acme", "bo@acme.example", PW, Role::Learner).await;
    // Anonymous requests are charged to their IP only: naming a tenant spends nothing
    // of its budget.
    for _ in 0..12 {
        let r = app
            .client
            .get(app.url("/v1/tenant"))
            .header("host", "acme.localhost")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let (token, _, _) = token_of(app.login("acme", "ana@acme.example", PW, None).await).await;
    let get = || {
        app.client
            .get(app.url("/v1/auth/session"))
            .header("host", "acme.localhost")
            .bearer_auth(&token)
    };
    // The login above was anonymous (no credential yet): the session starts full.
    for left in (0..5).rev() {
        let r = get().send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(field(&r, "ratelimit-policy"), "\"user\";q=5;w=60");
        assert!(
            field(&r, "ratelimit").starts_with(&format!("\"user\";r={left};t=")),
            "{}",
            field(&r, "ratelimit")
        );
    }
    let r = get().send().await.unwrap();
    let retry: u64 = field(&r, "retry-after").parse().unwrap();
    assert!((1..=12).contains(&retry), "{retry}");
    assert!(field(&r, "ratelimit").starts_with("\"user\";r=0;t="));
    let body = problem(r, 429, "rate_limited").await;
    assert!(body["detail"].as_str().unwrap().contains("user"), "{body}");

    // A second session of the same user shares the user's budget.
    let (again, _, _) = token_of(app.login("acme", "ana@acme.example", PW, None).await).await;
    let session = |t: String| {
        app.client
            .get(app.url("/v1/auth/session"))
            .header("host", "acme.localhost")
            .bearer_auth(t)
            .send()
    };
    problem(session(again).await.unwrap(), 429, "rate_limited").await;
    // Another user has their own budget. Ana's refused requests spent nothing of the
    // tenant's (two users' worth: ten), so Bo gets all five of his; had they been
    // charged, the tenant would have run out first.
    let (bo, _, _) = token_of(app.login("acme", "bo@acme.example", PW, None).await).await;
    for _ in 0..5 {
        assert_eq!(session(bo.clone()).await.unwrap().status(), 200);
    }
    let r = session(bo).await.unwrap();
    assert_eq!(
        field(&r, "ratelimit-policy"),
        "\"user\";q=5;w=60",
        "bo's own budget is what ran out"
    );
    problem(r, 429, "rate_limited").await;
}

/// The tenant's plan picks the per-credential limit (free 2, basic 4 here), and the
/// tenant's bucket (one user's worth, factor 1) refuses a second user once the first
/// has spent it, with its own policy in the fields.
#[tokio::test]
async fn the_plan_sets_the_limits_and_the_tenant_bucket_caps_its_users() {
    let app = TestApp::builder()
        .env("NEXUS_RATELIMIT_FREE_PER_MINUTE", "2")
        .env("NEXUS_RATELIMIT_BASIC_PER_MINUTE", "4")
        .env("NEXUS_RATELIMIT_TENANT_FACTOR", "1")
        .spawn()
        .await;
    for (slug, plan) in [("small", "free"), ("large", "basic")] {
        let r = app
            .platform(reqwest::Method::POST, "/tenants")
            .json(&serde_json::json!({ "slug": slug, "name": slug, "plan": plan }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{slug}");
        for who in ["ana", "bo"] {
            app.user(slug, &format!("{who}@{slug}.example"), PW, Role::Learner)
                .await;
        }
    }
    let session = |slug: &'static str, token: String| {
        app.client
            .get(app.url("/v1/auth/session"))
            .header("host", format!("{slug}.localhost"))
            .bearer_auth(token)
            .send()
    };
    for (slug, budget) in [("small", 2), ("large", 4)] {
        let email = format!("ana@{slug}.example");
        let (ana, _, _) = token_of(app.login(slug, &email, PW, None).await).await;
        for _ in 0..budget {
            let r = session(slug, ana.clone()).await.unwrap();
            assert_eq!(r.status(), 200, "{slug}");
            assert_eq!(
                field(&r, "ratelimit-policy"),
                format!("\"user\";q={budget};w=60"),
                "{slug}: the plan's limit"
            );
        }
        let r = session(slug, ana).await.unwrap();
        assert_eq!(
            field(&r, "ratelimit-policy"),
            format!("\"user\";q={budget};w=60")
        );
        problem(r, 429, "rate_limited").await;
        // Bo has budget of his own left, but the tenant's (one user's worth) is spent.
        let email = format!("bo@{slug}.example");
        let (bo, _, _) = token_of(app.login(slug, &email, PW, None).await).await;
        let r = session(slug, bo).await.unwrap();
        assert_eq!(
            field(&r, "ratelimit-policy"),
            format!("\"tenant\";q={budget};w=60"),
            "{slug}: the tenant's bucket refused"
        );
        let body = problem(r, 429, "rate_limited").await;
        assert!(
            body["detail"].as_str().unwrap().contains("tenant"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn a_spoofed_forwarded_for_does_not_reset_the_ip_limit() {
    // No trusted proxies (the default): X-Forwarded-For is ignored. Creating the
    // tenant (a platform call from the same address) takes one of the four.
    let app = TestApp::builder()
        .env("NEXUS_RATELIMIT_IP_PER_MINUTE", "4")
        .spawn()
        .await;
    app.create_tenant("acme").await;
    let mut statuses = Vec::new();
    for i in 0..5 {
        let r = app
            .client
            .get(app.url("/v1/tenant"))
            .header("host", "acme.localhost")
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);

    // Behind a trusted proxy the forwarded address is the client: separate budgets.
    let proxied = TestApp::builder()
        .env("NEXUS_RATELIMIT_IP_PER_MINUTE", "3")
        .env("NEXUS_HTTP_TRUSTED_PROXIES", "127.0.0.1/32")
        .spawn()
        .await;
    proxied.create_tenant("acme").await;
    for i in 0..5 {
        let r = proxied
            .client
            .get(proxied.url("/v1/tenant"))
            .header("host", "acme.localhost")
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "client {i}");
    }
}

#[tokio::test]
async fn expensive_routes_draw_their_cost() {
    let app = TestApp::builder()
        .env("NEXUS_RATELIMIT_BASIC_PER_MINUTE", "30")
        .env("NEXUS_RATELIMIT_FREE_PER_MINUTE", "30")
        .spawn()
        .await;
    app.user("acme", "ana@acme.example", PW, Role::Admin).await;
    let (token, _, _) = token_of(app.login("acme", "ana@acme.example", PW, None).await).await;
    let remaining = |r: &reqwest::Response| -> u32 {
        let v = field(r, "ratelimit");
        v.split(";r=")
            .nth(1)
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let call = |path: &str| {
        app.client
            .get(app.url(path))
            .header("host", "acme.localhost")
            .bearer_auth(&token)
            .send()
    };
    let r = call("/v1/audit").await.unwrap();
    assert_eq!(r.status(), 200);
    let before = remaining(&r);
    let r = call("/v1/audit/export").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(remaining(&r), before - 10, "an export costs 10");
}

#[tokio::test]
async fn a_redis_outage_falls_back_to_local_limits_or_fails_closed() {
    let Ok(redis) = std::env::var("NEXUS_TEST_REDIS_URL") else {
        return eprintln!("skipped: NEXUS_TEST_REDIS_URL is not set");
    };
    let target = crate::harness::proxy::pg_socket(&redis);
    for (mode, expect) in [("local", 429u16), ("closed", 503)] {
        let proxy = TcpProxy::start(target, false).await;
        let app = TestApp::builder()
            .env("NEXUS_REDIS_URL", &via(&redis, proxy.addr))
            // Generous, so the requests before the cut reach Redis even on a busy machine
            // (after it, connections are refused at once).
            .env("NEXUS_REDIS_TIMEOUT", "2s")
            .env("NEXUS_RATELIMIT_IP_PER_MINUTE", "2")
            .env("NEXUS_RATELIMIT_ON_REDIS_ERROR", mode)
            .spawn()
            .await;
        app.create_tenant("acme").await;
        let get = || {
            app.client
                .get(app.url("/v1/tenant"))
                .header("host", "acme.localhost")
                .send()
        };
        assert_eq!(get().await.unwrap().status(), 200, "{mode}: Redis up");
        proxy.cut();
        let mut statuses = Vec::new();
        for _ in 0..3 {
            statuses.push(get().await.unwrap().status().as_u16());
        }
        match mode {
            // The local limiter starts empty: two more, then refused.
            "local" => assert_eq!(statuses, [200, 200, expect], "{mode}"),
            _ => assert_eq!(statuses, [expect, expect, expect], "{mode}"),
        }
        if mode == "closed" {
            problem(get().await.unwrap(), 503, "rate_limiter_unavailable").await;
        }
        proxy.restore();
    }
}

/// Three app instances on one database and one Redis share a user's budget: 60
/// concurrent requests spread over them admit the budget (20) and no more, beyond what
/// the bucket refills while they run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_instances_sharing_redis_never_admit_more_than_the_budget() {
    if std::env::var("NEXUS_TEST_REDIS_URL").is_err() {
        return eprintln!("skipped: NEXUS_TEST_REDIS_URL is not set");
    }
    let prefix = format!("shared-{}", uuid::Uuid::new_v4().simple());
    let node = |url: Option<String>| {
        let mut b = TestApp::builder()
            .env("NEXUS_REDIS_PREFIX", &prefix)
            .env("NEXUS_RATELIMIT_FREE_PER_MINUTE", "20")
            .env("NEXUS_RATELIMIT_TENANT_FACTOR", "10")
            .env("NEXUS_RATELIMIT_IP_PER_MINUTE", "10000")
            // A slow Redis on a loaded machine must not pass for the shared limit: no
            // local fallback (it would start full), and a fallback shows as a 503.
            .env("NEXUS_REDIS_TIMEOUT", "2s")
            .env("NEXUS_RATELIMIT_ON_REDIS_ERROR", "closed");
        if let Some(u) = url {
            b = b.env("NEXUS_DATABASE_URL", &u);
        }
        b.spawn()
    };
    let first = node(None).await;
    let url = first.db.as_ref().unwrap().url().to_owned();
    let nodes = [first, node(Some(url.clone())).await, node(Some(url)).await];
    nodes[0]
        .user("acme", "ana@acme.example", PW, Role::Learner)
        .await;
    let (token, _, _) = token_of(nodes[0].login("acme", "ana@acme.example", PW, None).await).await;
    let started = std::time::Instant::now();
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..60 {
        let app = &nodes[i % 3];
        let req = app
            .client
            .get(app.url("/v1/auth/session"))
            .header("host", "acme.localhost")
            .bearer_auth(&token);
        calls.spawn(async move { req.send().await.unwrap().status().as_u16() });
    }
    let statuses: Vec<u16> = calls.join_all().await;
    // The bucket refills one request every 3 s (20 a minute).
    let refill = started.elapsed().as_secs() / 3 + 1;
    let admitted = statuses.iter().filter(|s| **s == 200).count() as u64;
    let refused = statuses.iter().filter(|s| **s == 429).count() as u64;
    assert_eq!(admitted + refused, 60, "only 200 or 429: {statuses:?}");
    assert!(
        (20..=20 + refill).contains(&admitted),
        "admitted {admitted} of a budget of 20 (+{refill} refill): {statuses:?}"
    );
}
