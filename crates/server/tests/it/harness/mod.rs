//! Test harness: fresh databases, a real server on port 0, and typed helpers.
//!
//! SQLite is the default. When `NEXUS_TEST_DATABASE_URL` is set (CI always sets it) the
//! app-level tests run on PostgreSQL instead, each in its own freshly created database;
//! when `NEXUS_TEST_REDIS_URL` is set the app uses Redis (with a per-test key prefix).

pub mod db;
pub mod proxy;
pub mod raw;
pub mod smtp;

pub use db::TestDb;

use nexus_domain::SystemClock;
use nexus_server::config::Config;
use nexus_server::{Application, StartError, Wired};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The platform token every test app is configured with.
pub const PLATFORM_TOKEN: &str = "test-platform-token-0123456789abcdef";

/// A running server plus the database behind it.
pub struct TestApp {
    pub addr: SocketAddr,
    pub metrics_addr: Option<SocketAddr>,
    pub client: reqwest::Client,
    pub wired: Wired,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<Result<(), StartError>>>,
    pub db: Option<TestDb>,
}

/// Extra job handlers a test registers next to the built-in ones.
pub type ExtraJobs =
    Box<dyn FnOnce(&mut nexus_app::jobs::Registry, &Arc<dyn nexus_store::Database>) + Send>;

/// Configures a [`TestApp`] before it starts.
pub struct TestAppBuilder {
    env: BTreeMap<String, String>,
    db: Option<TestDb>,
    wait_ready: bool,
    jobs: Option<ExtraJobs>,
    clock: Option<Arc<dyn nexus_domain::Clock>>,
}

impl TestApp {
    /// A ready app on a fresh database with default settings.
    pub async fn spawn() -> Self {
        Self::builder().spawn().await
    }

    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            env: BTreeMap::new(),
            db: None,
            wait_ready: true,
            jobs: None,
            clock: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A request addressed to a tenant by subdomain of the default base domain.
    pub fn tenant_get(&self, slug: &str, path: &str) -> reqwest::RequestBuilder {
        self.client
            .get(self.url(path))
            .header("host", format!("{slug}.localhost"))
    }

    /// A platform API request with the operator token.
    pub fn platform(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(&format!("/v1/platform{path}")))
            .bearer_auth(PLATFORM_TOKEN)
    }

    /// Creates a tenant through the platform API and returns its JSON.
    pub async fn create_tenant(&self, slug: &str) -> Value {
        let resp = self
            .platform(reqwest::Method::POST, "/tenants")
            .json(&json!({ "slug": slug, "name": format!("{slug} org") }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.status(),
            201,
            "creating tenant {slug}: {}",
            resp.text().await.unwrap()
        );
        resp.json().await.unwrap()
    }

    /// Sets a tenant's status through the platform API.
    pub async fn set_status(&self, id: &str, status: &str) {
        let resp = self
            .platform(reqwest::Method::PATCH, &format!("/tenants/{id}"))
            .json(&json!({ "status": status }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    }

    /// Creates an account directly through the services (no HTTP), returning its tenant.
    pub async fn user(
        &self,
        slug: &str,
        email: &str,
        password: &str,
        role: nexus_domain::user::Role,
    ) -> nexus_domain::TenantId {
        let slug_t = nexus_domain::tenancy::TenantSlug::parse(slug).unwrap();
        let tenant = match self.wired.services.tenants.get_by_slug(&slug_t).await {
            Ok(t) => t.id,
            Err(_) => self.create_tenant(slug).await["id"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap(),
        };
        let cmd = nexus_app::accounts::CreateAccount {
            email: nexus_domain::user::Email::parse(email).unwrap(),
            display_name: "Test User".into(),
            role,
            password: nexus_domain::user::Password::parse(password).unwrap(),
        };
        self.wired
            .services
            .accounts
            .create(&nexus_app::Caller::system(), tenant, cmd)
            .await
            .unwrap();
        tenant
    }

    /// `POST /v1/auth/login` for a tenant, from an optional forwarded client IP.
    pub async fn login(
        &self,
        slug: &str,
        email: &str,
        password: &str,
        from: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(self.url("/v1/auth/login"))
            .header("host", format!("{slug}.localhost"))
            .json(&json!({ "email": email, "password": password }));
        if let Some(ip) = from {
            req = req.header("x-forwarded-for", ip);
        }
        req.send().await.unwrap()
    }

    /// Waits until `/readyz` answers 200.
    pub async fn wait_ready(&self) {
        for _ in 0..200 {
            if self
                .client
                .get(self.url("/readyz"))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("app at {} never became ready", self.addr);
    }

    /// Sends the shutdown signal and waits for the server to stop.
    pub async fn stop(mut self) -> Result<(), StartError> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.handle.take().unwrap().await.unwrap()
    }

    /// Stops the server but keeps its database for another app.
    pub async fn stop_keep_db(mut self) -> TestDb {
        let db = self.db.take().unwrap();
        self.stop().await.unwrap();
        db
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl TestAppBuilder {
    /// Sets a `NEXUS_*` variable for this app.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.insert(key.to_owned(), value.to_owned());
        self
    }

    /// Uses a given database instead of a fresh default one.
    pub fn db(mut self, db: TestDb) -> Self {
        self.db = Some(db);
        self
    }

    /// Registers extra job handlers.
    pub fn jobs(
        mut self,
        f: impl FnOnce(&mut nexus_app::jobs::Registry, &Arc<dyn nexus_store::Database>) + Send + 'static,
    ) -> Self {
        self.jobs = Some(Box::new(f));
        self
    }

    /// Runs the app on this clock (e.g. a `ManualClock` a test advances) instead of
    /// the system clock.
    pub fn clock(mut self, clock: Arc<dyn nexus_domain::Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Do not wait for readiness (for start-up tests).
    pub fn no_wait(mut self) -> Self {
        self.wait_ready = false;
        self
    }

    pub async fn spawn(self) -> TestApp {
        nexus_server::webhook_client::install_crypto_provider();
        // Errors (5xx causes, failed jobs) go to the captured test output, shown on failure.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(std::env::var("NEXUS_TEST_LOG").unwrap_or_else(|_| "error".into()))
            .with_test_writer()
            .try_init();
        let db = match self.db {
            Some(db) => db,
            None => TestDb::fresh().await,
        };
        let mut env: BTreeMap<String, String> = BTreeMap::from([
            ("NEXUS_HTTP_ADDR".into(), "127.0.0.1:0".into()),
            ("NEXUS_DATABASE_URL".into(), db.url().to_owned()),
            ("NEXUS_DATABASE_RETRY_MAX_BACKOFF".into(), "500ms".into()),
            ("NEXUS_DEMO_SEED".into(), "false".into()),
            ("NEXUS_HTTP_PLATFORM_TOKEN".into(), PLATFORM_TOKEN.into()),
            ("NEXUS_LOG_LEVEL".into(), "warn".into()),
            ("NEXUS_WORKER_POLL_INTERVAL".into(), "20ms".into()),
            ("NEXUS_SECURITY_LOGIN_DELAY".into(), "0ms".into()),
            // Limits stay on (every test passes the middleware) but out of reach; the
            // rate-limit tests set their own.
            ("NEXUS_RATELIMIT_IP_PER_MINUTE".into(), "10000000".into()),
            ("NEXUS_RATELIMIT_FREE_PER_MINUTE".into(), "10000000".into()),
            ("NEXUS_RATELIMIT_BASIC_PER_MINUTE".into(), "10000000".into()),
            (
                "NEXUS_RATELIMIT_ADVANCED_PER_MINUTE".into(),
                "10000000".into(),
            ),
            (
                "NEXUS_RATELIMIT_PROFESSIONAL_PER_MINUTE".into(),
                "10000000".into(),
            ),
            // Metering stays on, quotas off; the usage tests set their own.
            ("NEXUS_QUOTA_FREE_PER_MONTH".into(), "0".into()),
            ("NEXUS_QUOTA_BASIC_PER_MONTH".into(), "0".into()),
            ("NEXUS_QUOTA_ADVANCED_PER_MONTH".into(), "0".into()),
        ]);
        if let Ok(redis) = std::env::var("NEXUS_TEST_REDIS_URL") {
            env.insert("NEXUS_REDIS_URL".into(), redis);
            env.insert(
                "NEXUS_REDIS_PREFIX".into(),
                format!("test-{}", uuid::Uuid::new_v4().simple()),
            );
        }
        env.extend(self.env);
        let config = Config::load(None, &env).expect("test config is valid");
        let extra = self.jobs;
        let clock = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let app = Application::build_with(config, clock, move |r, db| {
            if let Some(f) = extra {
                f(r, db);
            }
        })
        .await
        .expect("app builds");
        let metrics_addr = app.metrics_addr();
        let addr = app.local_addr();
        let wired = app.wired().clone();
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(app.run_until(async move {
            let _ = rx.await;
        }));
        let test_app = TestApp {
            addr,
            metrics_addr,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            wired,
            shutdown: Some(tx),
            handle: Some(handle),
            db: Some(db),
        };
        if self.wait_ready {
            test_app.wait_ready().await;
        }
        test_app
    }
}

/// Asserts a problem+json response and returns its body.
pub async fn problem(resp: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(resp.status().as_u16(), status, "unexpected status");
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(ct.as_deref(), Some("application/problem+json"));
    let request_id = resp
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().unwrap().to_owned());
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["type"], format!("urn:finai-nexus:problem:{code}"));
    assert!(body["title"].is_string());
    assert_eq!(
        body["trace_id"].as_str(),
        request_id.as_deref(),
        "trace_id matches X-Request-Id"
    );
    body
}

/// Polls `check` every 20 ms for up to 15 s; panics naming `what` if it never holds.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..750 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for: {what}");
}
