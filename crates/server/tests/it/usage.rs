//! Usage metering end to end: requests counted by caller, route template, status and
//! latency with their cost units; summaries and the CSV export for tenant admins and
//! the platform view; the flush at graceful shutdown; a failed flush kept for the next
//! one; and the monthly quota (429 `quota_exhausted`), which a second node sees
//! through the database.

use crate::auth::token_of;
use crate::harness::{TestApp, TestDb, problem};
use async_trait::async_trait;
use nexus_app::usage::{Meter, Metered, QuotaSettings, UsageRange};
use nexus_domain::TenantId;
use nexus_domain::usage::{Caller, UsageGroup, UsageRow, UsageTotal};
use nexus_domain::user::Role;
use nexus_store::{StoreError, UsageStore};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

const PW: &str = "correct horse battery staple";
const HOST: &str = "meter.localhost";

/// A flush interval no test reaches: flushes happen when a test asks, or at shutdown.
fn manual_flush() -> crate::harness::TestAppBuilder {
    TestApp::builder().env("NEXUS_METERING_FLUSH_INTERVAL", "10m")
}

async fn signed_in(app: &TestApp) -> (TenantId, String) {
    let tenant = app
        .user("meter", "admin@meter.example", PW, Role::Admin)
        .await;
    let (token, _, _) = token_of(app.login("meter", "admin@meter.example", PW, None).await).await;
    (tenant, token)
}

/// Creates an API key with `course:read` as the signed-in admin: `(secret, id)`.
async fn new_key(app: &TestApp, token: &str, name: &str) -> (String, String) {
    let made: Value = app
        .client
        .post(app.url("/v1/api-keys"))
        .header("host", HOST)
        .bearer_auth(token)
        .json(&json!({ "name": name, "scopes": ["course:read"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        made["key"].as_str().unwrap().to_owned(),
        made["id"].as_str().unwrap().to_owned(),
    )
}

fn get(app: &TestApp, path: &str, token: Option<&str>) -> reqwest::RequestBuilder {
    let req = app.client.get(app.url(path)).header("host", HOST);
    match token {
        Some(t) => req.bearer_auth(t),
        None => req,
    }
}

async fn status(req: reqwest::RequestBuilder) -> u16 {
    req.send().await.unwrap().status().as_u16()
}

fn item<'a>(summary: &'a Value, group: &str) -> &'a Value {
    summary["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["group"] == group)
        .unwrap_or_else(|| panic!("no {group} in {summary}"))
}

#[tokio::test]
async fn requests_are_metered_by_caller_route_and_status_and_reported() {
    let app = manual_flush().spawn().await;
    let (tenant, token) = signed_in(&app).await;
    let (key, key_id) = new_key(&app, &token, "reports").await;

    for _ in 0..3 {
        assert_eq!(status(get(&app, "/v1/courses", Some(&token))).await, 200);
    }
    for _ in 0..2 {
        assert_eq!(status(get(&app, "/v1/courses", Some(&key))).await, 200);
    }
    // A 404 on a matched route is counted under its template.
    let missing = format!("/v1/courses/{}", uuid::Uuid::now_v7());
    assert_eq!(status(get(&app, &missing, Some(&key))).await, 404);
    // Anonymous: counted, never charged units.
    assert_eq!(status(get(&app, "/v1/courses", None)).await, 401);
    // The admin's login and the key's creation were counted as well.
    let report = app.wired.services.usage.flush().await;
    assert_eq!(report.failed, 0);
    assert!(report.rows >= 5, "{report:?}");

    let by_route: Value = get(&app, "/v1/usage?group_by=route", Some(&token))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_route["group_by"], "route");
    let courses = item(&by_route, "GET /v1/courses");
    // 3 by session, 2 by key, 1 anonymous; only the key's are charged units.
    assert_eq!(
        (courses["requests"].as_u64(), courses["units"].as_u64()),
        (Some(6), Some(2))
    );
    let one = item(&by_route, "GET /v1/courses/{id}");
    assert_eq!(one["requests"], 1);
    assert_eq!(item(&by_route, "POST /v1/auth/login")["units"], 0);
    assert_eq!(item(&by_route, "POST /v1/api-keys")["units"], 0);
    let charged: u64 = by_route["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["units"].as_u64().unwrap())
        .sum();
    assert_eq!(charged, 3);
    assert_eq!(by_route["month"]["units"], charged);

    let by_caller: Value = get(&app, "/v1/usage?group_by=caller", Some(&token))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let by_key = item(&by_caller, &format!("key:{key_id}"));
    assert_eq!(
        (by_key["requests"].as_u64(), by_key["units"].as_u64()),
        (Some(3), Some(3))
    );
    assert_eq!(item(&by_caller, "session")["units"], 0);
    assert_eq!(item(&by_caller, "session")["requests"], 4);
    assert_eq!(item(&by_caller, "anonymous")["units"], 0);
    let by_status: Value = get(&app, "/v1/usage?group_by=status", Some(&token))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(item(&by_status, "4xx")["requests"], 2);
    assert!(by_status["month"]["quota"].is_null(), "{by_status}");

    // The platform sees the same figures for this tenant.
    let platform: Value = app
        .platform(
            reqwest::Method::GET,
            &format!("/tenants/{tenant}/usage?group_by=route"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(platform["items"], by_route["items"]);

    let csv = get(&app, "/v1/usage/export", Some(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("hour,caller,route,status_class,latency_bucket,requests,units")
    );
    let key_404 = lines
        .clone()
        .find(|l| l.contains("GET /v1/courses/{id}"))
        .unwrap();
    assert!(key_404.contains(&format!(",key:{key_id},")), "{key_404}");
    assert!(key_404.contains(",4xx,lt_"), "{key_404}");
    let requests: u64 = lines
        .filter(|l| l.contains(",GET /v1/courses,"))
        .map(|l| l.split(',').nth(5).unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(requests, 6);
}

#[tokio::test]
async fn usage_reports_need_billing_read_and_valid_ranges() {
    let app = manual_flush().spawn().await;
    let (_, admin) = signed_in(&app).await;
    app.user("meter", "learner@meter.example", PW, Role::Learner)
        .await;
    let (learner, _, _) =
        token_of(app.login("meter", "learner@meter.example", PW, None).await).await;
    problem(
        get(&app, "/v1/usage", Some(&learner)).send().await.unwrap(),
        403,
        "forbidden",
    )
    .await;
    problem(
        get(&app, "/v1/usage/export", Some(&learner))
            .send()
            .await
            .unwrap(),
        403,
        "forbidden",
    )
    .await;
    problem(
        get(&app, "/v1/usage", None).send().await.unwrap(),
        401,
        "unauthenticated",
    )
    .await;
    for (bad, field) in [
        ("/v1/usage?group_by=colour", "group_by"),
        ("/v1/usage?from=yesterday", "from"),
        (
            "/v1/usage?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
            "from",
        ),
        (
            "/v1/usage?from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z",
            "to",
        ),
        ("/v1/usage/export?to=soon", "to"),
    ] {
        let r = get(&app, bad, Some(&admin)).send().await.unwrap();
        let body = problem(r, 422, "validation_failed").await;
        assert_eq!(body["errors"][0]["field"], field, "{bad}: {body}");
    }
    let r = get(&app, "/v1/usage?colour=red", Some(&admin))
        .send()
        .await
        .unwrap();
    let body = problem(r, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["code"], "invalid_query", "{body}");
    let unknown = app
        .platform(
            reqwest::Method::GET,
            &format!("/tenants/{}/usage", uuid::Uuid::now_v7()),
        )
        .send()
        .await
        .unwrap();
    problem(unknown, 404, "not_found").await;
}

/// What the store holds for `tenant` around now, by route.
async fn by_route(store: &dyn UsageStore, tenant: TenantId) -> Vec<UsageTotal> {
    let now = nexus_domain::Clock::now(&nexus_domain::SystemClock);
    store
        .totals(
            tenant,
            now - time::Duration::days(1),
            now + time::Duration::days(1),
            UsageGroup::Route,
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn a_graceful_stop_flushes_every_counted_request() {
    let app = manual_flush().spawn().await;
    let (tenant, token) = signed_in(&app).await;
    for _ in 0..25 {
        assert_eq!(status(get(&app, "/v1/courses", Some(&token))).await, 200);
    }
    assert!(app.wired.services.usage.pending_requests() >= 25);
    let db = app.stop_keep_db().await;
    let totals = by_route(db.database().await.usage().as_ref(), tenant).await;
    let courses = totals
        .iter()
        .find(|t| t.group == "GET /v1/courses")
        .unwrap_or_else(|| panic!("{totals:?}"));
    assert_eq!(courses.count.requests, 25);
    // A session's requests are counted, not charged.
    assert_eq!(courses.count.units, 0);
}

/// Without a stop or a manual flush, the node's flusher writes its counts on its
/// interval (the shortest allowed, 1 s).
#[tokio::test]
async fn counts_reach_the_database_on_the_flush_interval() {
    let app = TestApp::builder()
        .env("NEXUS_METERING_FLUSH_INTERVAL", "1s")
        .spawn()
        .await;
    let (tenant, token) = signed_in(&app).await;
    for _ in 0..7 {
        assert_eq!(status(get(&app, "/v1/courses", Some(&token))).await, 200);
    }
    let store = app.wired.db.usage();
    crate::harness::eventually("the interval flush writes the counts", || {
        let store = store.clone();
        async move {
            by_route(store.as_ref(), tenant)
                .await
                .iter()
                .any(|t| t.group == "GET /v1/courses" && t.count.requests == 7)
        }
    })
    .await;
    assert_eq!(app.wired.services.usage.pending_requests(), 0);
}

/// The real store, made to fail on demand: a database outage cannot be produced for one
/// store call alone, so this stand-in injects it.
struct Flaky {
    inner: Arc<dyn UsageStore>,
    failing: AtomicBool,
}

#[async_trait]
impl UsageStore for Flaky {
    async fn add(&self, tenant: TenantId, rows: &[UsageRow]) -> Result<(), StoreError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("injected outage".into()));
        }
        self.inner.add(tenant, rows).await
    }
    async fn totals(
        &self,
        tenant: TenantId,
        from: time::OffsetDateTime,
        to: time::OffsetDateTime,
        group: UsageGroup,
    ) -> Result<Vec<UsageTotal>, StoreError> {
        self.inner.totals(tenant, from, to, group).await
    }
    async fn rows(
        &self,
        tenant: TenantId,
        from: time::OffsetDateTime,
        to: time::OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<UsageRow>, StoreError> {
        self.inner.rows(tenant, from, to, limit).await
    }
    async fn units(
        &self,
        tenant: TenantId,
        from: time::OffsetDateTime,
        to: time::OffsetDateTime,
    ) -> Result<u64, StoreError> {
        self.inner.units(tenant, from, to).await
    }
    async fn purge_before(
        &self,
        tenant: TenantId,
        before: time::OffsetDateTime,
    ) -> Result<u64, StoreError> {
        self.inner.purge_before(tenant, before).await
    }
}

fn request(tenant: TenantId, status: u16, units: u64, reserved: u64) -> Metered {
    Metered {
        tenant,
        caller: Caller::Key(nexus_domain::apikey::ApiKeyId::from_uuid(uuid::Uuid::nil())),
        route: "GET /v1/courses".into(),
        status,
        micros: 1_200,
        units,
        reserved,
    }
}

const TEN: QuotaSettings = QuotaSettings {
    monthly_units: [Some(10); 4],
};

#[tokio::test]
async fn a_failed_flush_keeps_its_counts_and_the_quota_counts_reservations() {
    let db = TestDb::fresh().await;
    let database = db.database().await;
    let app = manual_flush().db(db).spawn().await;
    let tenant: TenantId = app.create_tenant("flaky").await["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let flaky = Arc::new(Flaky {
        inner: database.usage(),
        failing: AtomicBool::new(true),
    });
    let clock: Arc<dyn nexus_domain::Clock> = Arc::new(nexus_domain::SystemClock);
    let meter = Meter::new(flaky.clone(), clock.clone(), TEN);
    let plan = nexus_domain::tenancy::Plan::Basic;
    for _ in 0..4 {
        meter.record(request(tenant, 200, 2, 0));
    }
    let failed = meter.flush().await;
    assert_eq!(
        (failed.rows, failed.failed, failed.failed_requests),
        (0, 1, 4)
    );
    assert_eq!(meter.pending_requests(), 4);
    // 8 units held, not lost: 3 more do not fit.
    assert_eq!(
        meter.check_quota(tenant, plan, 3).await.unwrap_err().used,
        8
    );
    // 2 do, and are reserved: a concurrent request cannot take the same last units.
    meter.check_quota(tenant, plan, 2).await.unwrap();
    assert_eq!(
        meter.check_quota(tenant, plan, 1).await.unwrap_err().used,
        10
    );
    // The reserved request failed on our side: charged nothing, its units released.
    meter.record(request(tenant, 503, 0, 2));
    meter.check_quota(tenant, plan, 2).await.unwrap();
    meter.record(request(tenant, 200, 2, 2));

    flaky.failing.store(false, Ordering::SeqCst);
    let ok = meter.flush().await;
    assert_eq!((ok.rows, ok.failed), (2, 0));
    assert_eq!(meter.pending_requests(), 0);
    let range = UsageRange::parse(None, None, clock.now()).unwrap();
    let totals = meter
        .totals(tenant, range, UsageGroup::Status)
        .await
        .unwrap();
    assert_eq!(totals.len(), 2, "{totals:?}");
    assert_eq!((totals[0].count.requests, totals[0].count.units), (5, 10));
    assert_eq!((totals[1].count.requests, totals[1].count.units), (1, 0));
    // Flushed units still count, on this node and on a fresh one that reads the store.
    assert!(meter.check_quota(tenant, plan, 1).await.is_err());
    let fresh = Meter::new(database.usage(), clock, TEN);
    let refused = fresh.check_quota(tenant, plan, 1).await.unwrap_err();
    assert_eq!((refused.limit, refused.used), (10, 10));
}

#[tokio::test]
async fn the_quota_starts_over_when_the_month_turns() {
    let db = TestDb::fresh().await;
    let database = db.database().await;
    let app = manual_flush().db(db).spawn().await;
    let tenant: TenantId = app.create_tenant("months").await["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    // 2026-11-30 23:59:00 UTC.
    let clock = Arc::new(nexus_domain::ManualClock::at_unix(1_796_083_140));
    let meter = Meter::new(database.usage(), clock.clone(), TEN);
    let plan = nexus_domain::tenancy::Plan::Free;
    meter.record(request(tenant, 200, 6, 0));
    meter.flush().await;
    meter.record(request(tenant, 200, 3, 0));
    let refused = meter.check_quota(tenant, plan, 2).await.unwrap_err();
    assert_eq!(refused.used, 9);
    assert_eq!(refused.resets_at.unix_timestamp(), 1_796_083_200);
    clock.advance(time::Duration::minutes(2));
    // December: nothing stored or held for it yet (the 3 held units are November's).
    meter.check_quota(tenant, plan, 10).await.unwrap();
    assert!(meter.check_quota(tenant, plan, 1).await.is_err());
}

#[tokio::test]
async fn refused_requests_are_counted_but_never_charged() {
    let app = manual_flush()
        .env("NEXUS_RATELIMIT_BASIC_PER_MINUTE", "2")
        .env("NEXUS_RATELIMIT_FREE_PER_MINUTE", "2")
        .spawn()
        .await;
    let (tenant, token) = signed_in(&app).await;
    let (key, _) = new_key(&app, &token, "burst").await;
    assert_eq!(status(get(&app, "/v1/courses", Some(&key))).await, 200);
    assert_eq!(status(get(&app, "/v1/courses", Some(&key))).await, 200);
    assert_eq!(status(get(&app, "/v1/courses", Some(&key))).await, 429);
    app.wired.services.usage.flush().await;
    let now = app.wired.clock.now();
    let range = UsageRange::parse(None, None, now).unwrap();
    let by_status = app
        .wired
        .services
        .usage
        .totals(tenant, range, UsageGroup::Status)
        .await
        .unwrap();
    let class = |g: &str| {
        by_status
            .iter()
            .find(|t| t.group == g)
            .map(|t| (t.count.requests, t.count.units))
    };
    // The session's key creation (2xx, uncharged) and the key's two reads (charged).
    assert_eq!(class("2xx"), Some((4, 2)), "{by_status:?}");
    assert_eq!(class("4xx"), Some((1, 0)), "{by_status:?}");
}

#[tokio::test]
async fn the_monthly_quota_refuses_api_keys_with_its_own_code_on_every_node() {
    let quota = |b: crate::harness::TestAppBuilder| {
        b.env("NEXUS_QUOTA_FREE_PER_MONTH", "5")
            .env("NEXUS_QUOTA_BASIC_PER_MONTH", "5")
            .env("NEXUS_QUOTA_ADVANCED_PER_MONTH", "5")
            .env("NEXUS_QUOTA_PROFESSIONAL_PER_MONTH", "5")
    };
    let app = quota(manual_flush()).spawn().await;
    let (_, token) = signed_in(&app).await;
    let (key, _) = new_key(&app, &token, "sync").await;
    for i in 0..5 {
        assert_eq!(
            status(get(&app, "/v1/courses", Some(&key))).await,
            200,
            "request {i}"
        );
    }
    let refused = get(&app, "/v1/courses", Some(&key)).send().await.unwrap();
    let retry: i64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=31 * 86_400).contains(&retry), "{retry}");
    let body = problem(refused, 429, "quota_exhausted").await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("5 API request units"),
        "{body}"
    );
    // The quota is the API's: the tenant's own people, signed in, are not locked out,
    // and its admins can still see why their integration stopped.
    assert_eq!(status(get(&app, "/v1/courses", Some(&token))).await, 200);
    assert_eq!(status(get(&app, "/v1/usage", Some(&token))).await, 200);

    // A second node on the same database sees the spent quota (the first wrote its
    // counts when it stopped).
    let db = app.stop_keep_db().await;
    let second = quota(manual_flush()).db(db).spawn().await;
    problem(
        get(&second, "/v1/courses", Some(&key))
            .send()
            .await
            .unwrap(),
        429,
        "quota_exhausted",
    )
    .await;
}
