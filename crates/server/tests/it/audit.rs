//! The audit trail end to end: admin actions recorded with who/what/where and a
//! before/after diff, read back with filters and cursors, exported as NDJSON, and
//! `nexus audit verify` catching a row altered or deleted directly in the database.

use crate::auth::PW;
use crate::harness::{TestApp, TestDb, problem};
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::Connection;
use std::process::{Command, Output};

fn audit(app: &TestApp, query: &str) -> reqwest::RequestBuilder {
    app.platform(Method::GET, &format!("/audit{query}"))
}

#[tokio::test]
async fn admin_actions_are_audited_with_request_facts_and_diffs() {
    let app = TestApp::spawn().await;
    let created: Value = app
        .platform(Method::POST, "/tenants")
        .header("user-agent", "audit-test/1")
        .header("x-request-id", "req-audit-create")
        .json(&json!({ "slug": "audited", "name": "Audited Bank" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let patch = app
        .platform(Method::PATCH, &format!("/tenants/{id}"))
        .header("x-request-id", "req-audit-rename")
        .json(&json!({ "name": "Renamed Bank" }))
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), 200);
    app.set_status(&id, "suspended").await;
    app.platform(Method::POST, &format!("/tenants/{id}/domains"))
        .json(&json!({ "domain": "learn.audited.example" }))
        .send()
        .await
        .unwrap();

    let page: Value = audit(&app, &format!("?tenant={id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "tenant.domain_add",
            "tenant.suspend",
            "tenant.update",
            "tenant.create"
        ],
        "newest first"
    );
    let rename = &page["items"][2];
    assert_eq!(rename["actor"], "platform");
    assert_eq!(rename["target"], "tenant:audited");
    assert_eq!(rename["ip"], "127.0.0.1");
    assert_eq!(rename["request_id"], "req-audit-rename");
    let diff: Value = serde_json::from_str(rename["diff"].as_str().unwrap()).unwrap();
    assert_eq!(
        (
            diff["before"]["name"].as_str(),
            diff["after"]["name"].as_str()
        ),
        (Some("Audited Bank"), Some("Renamed Bank"))
    );
    let create = &page["items"][3];
    assert_eq!(
        (create["user_agent"].as_str(), create["request_id"].as_str()),
        (Some("audit-test/1"), Some("req-audit-create"))
    );

    // Filters and the cursor.
    let suspend: Value = audit(&app, &format!("?tenant={id}&action=tenant.suspend"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(suspend["items"].as_array().unwrap().len(), 1);
    let first: Value = audit(&app, &format!("?tenant={id}&limit=3"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(first["items"].as_array().unwrap().len(), 3);
    let cursor = first["next_cursor"].as_i64().unwrap();
    let rest: Value = audit(&app, &format!("?tenant={id}&limit=3&cursor={cursor}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rest["items"][0]["action"], "tenant.create");
    assert!(rest["next_cursor"].is_null());
    problem(
        audit(&app, "?from=yesterday").send().await.unwrap(),
        422,
        "validation_failed",
    )
    .await;
    problem(
        app.client
            .get(app.url("/v1/platform/audit"))
            .send()
            .await
            .unwrap(),
        401,
        "unauthenticated",
    )
    .await;

    // NDJSON export, oldest first, each line a whole event.
    let export = audit(&app, &format!("/export?tenant={id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(export.headers()["content-type"], "application/x-ndjson");
    let text = export.text().await.unwrap();
    let seqs: Vec<i64> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["seq"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(seqs, [1, 2, 3, 4]);
}

#[tokio::test]
async fn operator_job_actions_land_in_the_platform_chain() {
    let app = TestApp::builder()
        .env("NEXUS_SERVER_ROLE", "api")
        .spawn()
        .await;
    let purged = app
        .platform(Method::POST, "/jobs/purge-dead")
        .send()
        .await
        .unwrap();
    assert_eq!(purged.status(), 200);
    let page: Value = audit(&app, "?action=job.")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["action"], "job.purge_dead");
    assert_eq!(page["items"][0]["chain"], "platform");
}

fn verify(db: &TestDb) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nexus"))
        .env_clear()
        .env("NEXUS_DATABASE_URL", db.url())
        .args(["audit", "verify"])
        .output()
        .unwrap()
}

/// Alters, then deletes, an event straight in the database (as someone with direct
/// access would, bypassing the app's append-only grants and triggers): verification
/// names the first bad event and exits non-zero.
#[tokio::test]
async fn audit_verify_detects_rows_altered_or_deleted_in_the_database() {
    let app = TestApp::spawn().await;
    let t = app.create_tenant("tamper").await;
    let id = t["id"].as_str().unwrap().to_owned();
    for name in ["One", "Two", "Three"] {
        let r = app
            .platform(Method::PATCH, &format!("/tenants/{id}"))
            .json(&json!({ "name": name }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let db = app.stop_keep_db().await;

    let ok = verify(&db);
    let stdout = String::from_utf8_lossy(&ok.stdout).into_owned();
    assert!(
        ok.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        stdout.contains("✓ tenant tamper: 4 events verified"),
        "{stdout}"
    );

    let tamper = |sql: &str| raw_sql(&db, sql.replace("{chain}", &id));
    tamper("update audit_event set target = 'tenant:innocent' where chain = '{chain}' and seq = 2")
        .await;
    let bad = verify(&db);
    let stdout = String::from_utf8_lossy(&bad.stdout).into_owned();
    assert_eq!(bad.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("✗ tenant tamper: broken at event 2: the event was altered"),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("audit trail tampered with"));

    // Deleting the newest event instead is caught by the chain head.
    tamper("update audit_event set target = 'tenant:tamper' where chain = '{chain}' and seq = 2")
        .await;
    assert!(
        verify(&db).status.success(),
        "restoring the original value restores the chain"
    );
    // Moving the head back to event 3 leaves event 4 covered by no head.
    let head_at = |n: u8| {
        format!(
            "update audit_head set seq = {n}, hash = (select hash from audit_event \
             where chain = '{{chain}}' and seq = {n}) where chain = '{{chain}}'"
        )
    };
    tamper(&head_at(3)).await;
    let bad = verify(&db);
    assert!(
        String::from_utf8_lossy(&bad.stdout).contains(
            "broken at event 4: events past the recorded head (added, or the head moved back)"
        ),
        "{}",
        String::from_utf8_lossy(&bad.stdout)
    );
    tamper(&head_at(4)).await;
    assert!(verify(&db).status.success(), "the head restored");
    tamper("delete from audit_event where chain = '{chain}' and seq = 4").await;
    let bad = verify(&db);
    assert!(
        String::from_utf8_lossy(&bad.stdout)
            .contains("broken at event 4: events after this point were deleted")
    );

    // Deleting the head row itself: the chain is still listed and reported, not skipped.
    tamper(&head_at(3)).await;
    assert!(verify(&db).status.success(), "three events, head at 3");
    tamper("delete from audit_head where chain = '{chain}'").await;
    let bad = verify(&db);
    let stdout = String::from_utf8_lossy(&bad.stdout).into_owned();
    assert_eq!(bad.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("✗ tenant tamper: broken at event 1: the chain head is missing"),
        "{stdout}"
    );
    if db.is_postgres() {
        // An action recorded after that waits to be chained rather than restarting the
        // chain at genesis over the old events; verification still reports the head.
        // (SQLite chains as it records, so there the action itself is refused.)
        let app = TestApp::builder().db(db).spawn().await;
        let r = app
            .platform(Method::PATCH, &format!("/tenants/{id}"))
            .json(&json!({ "name": "Four" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        let db = app.stop_keep_db().await;
        let bad = verify(&db);
        let stdout = String::from_utf8_lossy(&bad.stdout).into_owned();
        assert!(stdout.contains("the chain head is missing"), "{stdout}");
        let mut owner = sqlx::PgConnection::connect(db.url()).await.unwrap();
        let waiting: i64 = sqlx::query_scalar("select count(*) from audit_pending")
            .fetch_one(&mut owner)
            .await
            .unwrap();
        assert!(waiting >= 1, "the new event still waits, not lost");
    }
}

/// Runs SQL as the database owner, past the application's protections.
async fn raw_sql(db: &TestDb, sql: String) {
    if db.is_postgres() {
        let mut c = sqlx::PgConnection::connect(db.url()).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut c)
            .await
            .unwrap();
    } else {
        let mut c = sqlx::SqliteConnection::connect(db.url()).await.unwrap();
        for stmt in [
            "drop trigger if exists audit_event_no_update",
            "drop trigger if exists audit_event_no_delete",
        ] {
            sqlx::query(stmt).execute(&mut c).await.unwrap();
        }
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut c)
            .await
            .unwrap();
    }
}

/// The application itself cannot rewrite history: updates and deletes are refused.
#[tokio::test]
async fn the_application_cannot_update_or_delete_audit_events() {
    let app = TestApp::spawn().await;
    app.create_tenant("append-only").await;
    let err = if app.db.as_ref().unwrap().is_postgres() {
        let pg = app
            .db
            .as_ref()
            .unwrap()
            .pg_with(app.db.as_ref().unwrap().url());
        // Nor may it drop an event recorded but not chained yet.
        let waiting = sqlx::query("delete from audit_pending")
            .execute(pg.pool())
            .await
            .unwrap_err()
            .to_string();
        assert!(waiting.contains("permission denied"), "{waiting}");
        sqlx::query("update audit_event set target = 'x'")
            .execute(pg.pool())
            .await
            .unwrap_err()
            .to_string()
    } else {
        let url = app.db.as_ref().unwrap().url().to_owned();
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("delete from audit_event")
            .execute(&mut c)
            .await
            .unwrap_err()
            .to_string()
    };
    assert!(
        err.contains("permission denied") || err.contains("append-only"),
        "{err}"
    );
}

/// Makes appends to the audit trail fail (a real fault inside the real database), or
/// heals it again.
async fn audit_fault(db: &TestDb, on: bool) {
    let sql = match (db.is_postgres(), on) {
        // PostgreSQL records events in `audit_pending` first (chained later).
        (true, true) => "revoke insert on audit_pending from nexus_app",
        (true, false) => "grant insert on audit_pending to nexus_app",
        (false, true) => {
            "create trigger audit_event_fault before insert on audit_event \
             begin select raise(abort, 'injected audit fault'); end"
        }
        (false, false) => "drop trigger audit_event_fault",
    };
    if db.is_postgres() {
        let mut c = sqlx::PgConnection::connect(db.url()).await.unwrap();
        sqlx::query(sql).execute(&mut c).await.unwrap();
    } else {
        let mut c = sqlx::SqliteConnection::connect(db.url()).await.unwrap();
        sqlx::query(sql).execute(&mut c).await.unwrap();
    }
}

/// A change and its audit record commit together: when the record cannot be written,
/// the change does not happen either (and the client gets a 500 without internals).
/// Covers account creation, custom roles, grants, revoking a user's sessions,
/// invitations, and the platform's tenant changes.
#[tokio::test]
async fn admin_changes_do_not_happen_unaudited() {
    let app = TestApp::spawn().await;
    let tenant = app
        .user(
            "ledger",
            "head@ledger.example",
            PW,
            nexus_domain::user::Role::Admin,
        )
        .await;
    app.user(
        "ledger",
        "kim@ledger.example",
        PW,
        nexus_domain::user::Role::Learner,
    )
    .await;
    let token: String = app
        .login("ledger", "head@ledger.example", PW, None)
        .await
        .json::<Value>()
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let call = |method: Method, path: &str| {
        app.client
            .request(method, app.url(path))
            .header("host", "ledger.localhost")
            .bearer_auth(&token)
    };
    let q = nexus_domain::user::UserQuery {
        search: Some("kim@".into()),
        ..Default::default()
    };
    let kim = app
        .wired
        .services
        .accounts
        .list(&nexus_app::Caller::system(), tenant, &q)
        .await
        .unwrap()
        .items[0]
        .id;
    let kim_roles = format!("/v1/users/{kim}/roles");
    let db = app.db.as_ref().unwrap();
    let kim_token: String = app
        .login("ledger", "kim@ledger.example", PW, None)
        .await
        .json::<Value>()
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();

    audit_fault(db, true).await;
    let role = call(Method::POST, "/v1/roles")
        .json(&json!({ "name": "Coach", "permissions": ["course:read"] }))
        .send()
        .await
        .unwrap();
    let body = problem(role, 500, "internal").await;
    assert!(!body.to_string().contains("audit_"), "{body}");
    let grant = call(Method::PUT, &kim_roles)
        .json(&json!({ "roles": ["auditor"] }))
        .send()
        .await
        .unwrap();
    problem(grant, 500, "internal").await;
    let created = call(Method::POST, "/v1/users")
        .json(&json!({ "email": "new@ledger.example", "display_name": "New", "role": "learner", "password": PW }))
        .send()
        .await
        .unwrap();
    problem(created, 500, "internal").await;
    let revoke = call(Method::DELETE, &format!("/v1/users/{kim}/sessions"))
        .send()
        .await
        .unwrap();
    problem(revoke, 500, "internal").await;
    let invite = call(Method::POST, "/v1/users/invitations")
        .json(&json!({ "email": "invitee@ledger.example", "role": "learner" }))
        .send()
        .await
        .unwrap();
    problem(invite, 500, "internal").await;
    let renamed = app
        .platform(Method::PATCH, &format!("/tenants/{tenant}"))
        .json(&json!({ "name": "Renamed Ledger" }))
        .send()
        .await
        .unwrap();
    problem(renamed, 500, "internal").await;
    let domain = app
        .platform(Method::POST, &format!("/tenants/{tenant}/domains"))
        .json(&json!({ "domain": "learn.ledger.example" }))
        .send()
        .await
        .unwrap();
    problem(domain, 500, "internal").await;

    let roles: Value = call(Method::GET, "/v1/roles")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        !roles.to_string().contains("Coach"),
        "the role was rolled back with its record: {roles}"
    );
    let granted: Value = call(Method::GET, &kim_roles)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(granted, json!([]), "the grant was rolled back");
    let users: Value = call(Method::GET, "/v1/users?q=new@")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(users["total"], 0, "{users}");
    let shown: Value = app
        .platform(Method::GET, &format!("/tenants/{tenant}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(shown["name"], "Renamed Ledger", "{shown}");
    let kim_session = app
        .client
        .get(app.url("/v1/auth/session"))
        .header("host", "ledger.localhost")
        .bearer_auth(&kim_token)
        .send()
        .await
        .unwrap();
    assert_eq!(kim_session.status(), 200, "the revocation was rolled back");
    let mails: Value = call(Method::GET, "/v1/outbox")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        mails,
        json!([]),
        "no invitation mail for a rolled-back invitation"
    );
    assert_eq!(shown["domains"], json!([]), "{shown}");

    audit_fault(db, false).await;
    let role = call(Method::POST, "/v1/roles")
        .json(&json!({ "name": "Coach", "permissions": ["course:read"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(role.status(), 201);
    let recorded: Value = audit(&app, &format!("?tenant={tenant}&action=role.create"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(recorded["items"].as_array().unwrap().len(), 1, "{recorded}");
}
