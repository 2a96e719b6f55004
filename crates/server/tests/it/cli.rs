//! The `nexus` CLI against a real database: migrate, tenant create/list/suspend/activate,
//! user create, and the first-run demo seed.

use crate::harness::{TestApp, TestDb};
use std::process::{Command, Output};

fn nexus(db: &TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nexus"))
        .env_clear()
        .env("NEXUS_DATABASE_URL", db.url())
        .env("NEXUS_LOG_LEVEL", "warn")
        .args(args)
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "status {:?}\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[tokio::test]
async fn tenant_and_user_lifecycle_from_the_command_line() {
    let db = TestDb::fresh().await;
    let out = ok(&nexus(&db, &["migrate"]));
    assert!(
        out.contains("→ applying migrations… done"),
        "progress is shown: {out}"
    );

    let out = ok(&nexus(
        &db,
        &[
            "tenant",
            "create",
            "--slug",
            "river-school",
            "--name",
            "River School",
            "--plan",
            "basic",
        ],
    ));
    assert!(out.contains("✓ tenant river-school created"), "{out}");

    let dup = nexus(
        &db,
        &[
            "tenant",
            "create",
            "--slug",
            "river-school",
            "--name",
            "Again",
        ],
    );
    assert_eq!(dup.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&dup.stderr).contains("a tenant with this slug already exists")
    );

    let bad = nexus(
        &db,
        &["tenant", "create", "--slug", "Bad Slug", "--name", "X"],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--slug: may contain only"));

    let out = ok(&nexus(
        &db,
        &[
            "user",
            "create",
            "--tenant",
            "river-school",
            "--email",
            "Head@River.example",
            "--name",
            "Head Teacher",
        ],
    ));
    assert!(
        out.contains("✓ admin head@river.example created in tenant river-school"),
        "{out}"
    );
    let password = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("password: "))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(password.len(), 20);

    let mut child = Command::new(env!("CARGO_BIN_EXE_nexus"))
        .env_clear()
        .env("NEXUS_DATABASE_URL", db.url())
        .args([
            "user",
            "create",
            "--tenant",
            "river-school",
            "--email",
            "pupil@river.example",
            "--name",
            "Pupil",
            "--role",
            "learner",
            "--password-stdin",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"a long enough password\n").unwrap();
    let out = ok(&child.wait_with_output().unwrap());
    assert!(
        !out.contains("password:"),
        "a supplied password is not echoed"
    );

    // Roles: only the operator can hand out platform_admin; changes are audited.
    let roles = |extra: &[&str]| {
        let mut args = vec![
            "user",
            "roles",
            "--tenant",
            "river-school",
            "--email",
            "pupil@river.example",
        ];
        args.extend_from_slice(extra);
        nexus(&db, &args)
    };
    let out = ok(&roles(&["--add", "platform_admin", "--add", "auditor"]));
    assert!(out.contains("granted: auditor, platform_admin"), "{out}");
    let out = ok(&roles(&["--remove", "platform_admin"]));
    assert!(out.contains("granted: auditor"), "{out}");
    let bad = roles(&["--add", "overlord"]);
    assert_eq!(bad.status.code(), Some(1), "{bad:?}");
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("--add"),
        "{bad:?}"
    );
    let ghost = nexus(
        &db,
        &[
            "user",
            "roles",
            "--tenant",
            "river-school",
            "--email",
            "ghost@river.example",
        ],
    );
    assert!(
        String::from_utf8_lossy(&ghost.stderr).contains("no account ghost@river.example"),
        "{ghost:?}"
    );

    let out = ok(&nexus(&db, &["tenant", "suspend", "river-school"]));
    assert!(out.contains("now suspended"));
    let out = ok(&nexus(&db, &["tenant", "list", "--status", "suspended"]));
    assert!(
        out.contains("river-school") && out.contains("(1 of 1 tenants)"),
        "{out}"
    );
    ok(&nexus(&db, &["tenant", "activate", "river-school"]));

    // What the CLI wrote is what the services see: both accounts verify.
    let store = db.database().await;
    let tenant = store
        .tenants()
        .find_by_slug(&"river-school".parse_slug())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tenant.status, nexus_domain::tenancy::TenantStatus::Active);
    let users = store
        .users()
        .list(tenant.id, &nexus_domain::user::UserQuery::default())
        .await
        .unwrap();
    assert_eq!(users.total, 2);
    let clock: std::sync::Arc<dyn nexus_domain::Clock> =
        std::sync::Arc::new(nexus_domain::SystemClock);
    let audit = nexus_app::audit::AuditService::new(store.audit(), clock.clone());
    let jobs = nexus_app::jobs::JobService::new(
        store.clone(),
        std::sync::Arc::new(nexus_app::jobs::Registry::new()),
        clock.clone(),
        audit.clone(),
    );
    let accounts = nexus_app::accounts::AccountService::new(
        store.clone(),
        jobs,
        clock,
        nexus_app::accounts::HashParams::default(),
        audit,
    );
    let login = |email: &str, pw: &str| {
        let accounts = accounts.clone();
        let (email, pw) = (
            nexus_domain::user::Email::parse(email).unwrap(),
            nexus_domain::user::Password::parse(pw).unwrap(),
        );
        async move { accounts.verify_login(tenant.id, &email, pw).await }
    };
    assert!(login("head@river.example", &password).await.is_ok());
    assert!(
        login("pupil@river.example", "a long enough password")
            .await
            .is_ok()
    );
    assert!(
        login("pupil@river.example", "the wrong password!!")
            .await
            .is_err()
    );
    assert!(
        login("nobody@river.example", "a long enough password")
            .await
            .is_err()
    );
    store.close().await;
}

trait ParseSlug {
    fn parse_slug(&self) -> nexus_domain::tenancy::TenantSlug;
}

impl ParseSlug for &str {
    fn parse_slug(&self) -> nexus_domain::tenancy::TenantSlug {
        nexus_domain::tenancy::TenantSlug::parse(self).unwrap()
    }
}

/// On an empty database the demo tenant is seeded once, with an admin and a learner.
#[tokio::test]
async fn demo_tenant_is_seeded_once_on_an_empty_database() {
    let db = TestDb::fresh().await;
    let url = db.url().to_owned();
    let app = TestApp::builder()
        .db(db)
        .env("NEXUS_DEMO_SEED", "true")
        .spawn()
        .await;
    let demo = app.tenant_get("demo", "/v1/tenant").send().await.unwrap();
    assert_eq!(demo.status(), 200);
    let demo_id = app
        .wired
        .services
        .tenants
        .get_by_slug(&"demo".parse_slug())
        .await
        .unwrap()
        .id;
    let users = app
        .wired
        .services
        .accounts
        .list(
            &nexus_app::Caller::system(),
            demo_id,
            &nexus_domain::user::UserQuery::default(),
        )
        .await
        .unwrap();
    let roles: Vec<_> = users.items.iter().map(|u| u.role.as_str()).collect();
    assert_eq!(roles, ["admin", "learner"]);
    // The learner has a funded practice portfolio and an entry in a running competition.
    let sim = app.wired.db.sim();
    let learner = users.items[1].id;
    let portfolios = sim.portfolios_of(demo_id, learner).await.unwrap();
    assert_eq!(portfolios.len(), 2, "practice + competition entry");
    let practice = portfolios.iter().find(|p| p.competition.is_none()).unwrap();
    assert_eq!(practice.cash, rust_decimal::Decimal::new(100_000, 0));
    let contests = sim
        .competitions(demo_id, None, nexus_domain::paging::PageRequest::default())
        .await
        .unwrap();
    assert_eq!(contests.len(), 1);
    assert!(contests[0].is_running(app.wired.clock.now()));
    let entry = portfolios.iter().find(|p| p.competition.is_some()).unwrap();
    assert_eq!(entry.competition, Some(contests[0].id));
    assert_eq!(entry.cash, contests[0].starting_cash);
    let db = app.stop_keep_db().await;

    // A restart on the same database does not seed again.
    let again = TestApp::builder()
        .db(db)
        .env("NEXUS_DATABASE_URL", &url)
        .env("NEXUS_DEMO_SEED", "true")
        .spawn()
        .await;
    assert_eq!(again.wired.services.tenants.count().await.unwrap(), 1);
}

/// `demo.seed = auto` seeds on SQLite (the `cargo run` default) but not on PostgreSQL.
#[tokio::test]
async fn demo_seed_auto_follows_the_backend() {
    let db = TestDb::fresh().await;
    let postgres = db.is_postgres();
    let app = TestApp::builder()
        .db(db)
        .env("NEXUS_DEMO_SEED", "auto")
        .spawn()
        .await;
    assert_eq!(
        app.wired.services.tenants.count().await.unwrap(),
        u64::from(!postgres)
    );
}
