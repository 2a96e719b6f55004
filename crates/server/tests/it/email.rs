//! Everything that arrives by e-mail, end to end: password reset, invitations and bulk
//! import, e-mail verification, and delivery over a real SMTP server.

use crate::auth::{PW, link_token, signed, token_of};
use crate::harness::{TestApp, problem};
use nexus_domain::user::Role;
use reqwest::Method;
use serde_json::Value;
use std::time::Duration;

/// Forgot-password answers the same for every address; a registered one gets a
/// single-use link (in the development outbox) that sets a new, strength-checked
/// password and signs the account out everywhere.
#[tokio::test]
async fn password_reset_by_email() {
    let app = TestApp::spawn().await;
    app.user("school", "head@school.example", PW, Role::Admin)
        .await;
    app.user("school", "kim@school.example", PW, Role::Learner)
        .await;
    let (old_session, _, _) =
        token_of(app.login("school", "kim@school.example", PW, None).await).await;
    let forgot = |email: &'static str| {
        app.client
            .post(app.url("/v1/auth/password/forgot"))
            .header("host", "school.localhost")
            .json(&serde_json::json!({ "email": email }))
            .send()
    };
    let known = forgot("kim@school.example").await.unwrap();
    let unknown = forgot("nobody@school.example").await.unwrap();
    assert_eq!(
        (known.status(), unknown.status()),
        (reqwest::StatusCode::ACCEPTED, reqwest::StatusCode::ACCEPTED)
    );
    assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap());

    let (admin, _, _) = token_of(app.login("school", "head@school.example", PW, None).await).await;
    let outbox = || async {
        let v: Value = signed(&app, Method::GET, "/v1/outbox", "school", &admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v.as_array().unwrap().len()
    };
    crate::harness::eventually("the reset mail reaches the outbox", || async {
        outbox().await > 0
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mails: Value = signed(&app, Method::GET, "/v1/outbox", "school", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mails = mails.as_array().unwrap();
    assert_eq!(mails.len(), 1, "no mail for the unknown address: {mails:?}");
    assert_eq!(mails[0]["to"], "kim@school.example");
    let body = mails[0]["body"].as_str().unwrap();
    let link = format!(
        "http://school.localhost:{}/reset-password?token=",
        app.addr.port()
    );
    assert!(body.contains(&link), "{body}");
    let token = link_token(body);

    let reset = |password: &'static str| {
        let token = token.clone();
        app.client
            .post(app.url("/v1/auth/password/reset"))
            .header("host", "school.localhost")
            .json(&serde_json::json!({ "token": token, "password": password }))
            .send()
    };
    problem(
        reset("password1234").await.unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        reset("a brand new passphrase 77").await.unwrap().status(),
        204,
        "a refused attempt did not spend the link"
    );
    problem(
        reset("another new passphrase 78").await.unwrap(),
        400,
        "invalid_token",
    )
    .await;

    problem(
        app.login("school", "kim@school.example", PW, None).await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(
        app.login(
            "school",
            "kim@school.example",
            "a brand new passphrase 77",
            None
        )
        .await
        .status(),
        200
    );
    problem(
        signed(
            &app,
            Method::GET,
            "/v1/auth/session",
            "school",
            &old_session,
        )
        .send()
        .await
        .unwrap(),
        401,
        "unauthenticated",
    )
    .await;
    problem(
        reset("yet another passphrase 79").await.unwrap(),
        400,
        "invalid_token",
    )
    .await;
}

/// An admin invites by e-mail (one address, or a CSV of many with per-row results); the
/// invitee accepts through the mailed single-use link and can then log in.
#[tokio::test]
async fn invitations_and_bulk_import() {
    let app = TestApp::spawn().await;
    app.user("school", "head@school.example", PW, Role::Admin)
        .await;
    app.user("school", "existing@school.example", PW, Role::Learner)
        .await;
    let (admin, _, _) = token_of(app.login("school", "head@school.example", PW, None).await).await;
    let invite = |body: Value| {
        signed(
            &app,
            Method::POST,
            "/v1/users/invitations",
            "school",
            &admin,
        )
        .json(&body)
        .send()
    };
    let ok = invite(serde_json::json!({ "email": "Newbie@School.example", "role": "instructor" }))
        .await
        .unwrap();
    assert_eq!(ok.status(), 202);
    problem(
        invite(serde_json::json!({ "email": "existing@school.example" }))
            .await
            .unwrap(),
        409,
        "email_taken",
    )
    .await;
    problem(
        invite(serde_json::json!({ "email": "nope", "role": "king" }))
            .await
            .unwrap(),
        422,
        "validation_failed",
    )
    .await;

    let csv = "email,role\nrow1@school.example,learner\nnot-an-email,learner\nrow3@school.example,wizard\nrow4@school.example\nexisting@school.example,learner\n";
    let import = signed(&app, Method::POST, "/v1/users/import", "school", &admin)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(import.status(), 200);
    let report: Value = import.json().await.unwrap();
    let statuses: Vec<(u64, &str)> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [
            (2, "invited"),
            (3, "rejected"),
            (4, "rejected"),
            (5, "rejected"),
            (6, "rejected")
        ]
    );
    assert_eq!(
        (report["invited"].as_u64(), report["rejected"].as_u64()),
        (Some(1), Some(4))
    );
    assert!(
        report["rows"][3]["errors"][0]
            .as_str()
            .unwrap()
            .contains("expected 2 columns"),
        "{report}"
    );
    let json_body = signed(&app, Method::POST, "/v1/users/import", "school", &admin)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    problem(json_body, 415, "unsupported_media_type").await;

    // Two invitation mails (newbie and row1) reach the outbox.
    let outbox = || async {
        let v: Value = signed(&app, Method::GET, "/v1/outbox", "school", &admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v.as_array().unwrap().clone()
    };
    crate::harness::eventually("both invitations are mailed", || async {
        outbox().await.len() == 2
    })
    .await;
    let mails = outbox().await;
    let mail = mails
        .iter()
        .find(|m| m["to"] == "newbie@school.example")
        .unwrap();
    let token = link_token(mail["body"].as_str().unwrap());

    let accept = |password: &'static str| {
        let token = token.clone();
        app.client
            .post(app.url("/v1/auth/invitations/accept"))
            .header("host", "school.localhost")
            .json(&serde_json::json!({ "token": token, "display_name": "New Teacher", "password": password }))
            .send()
    };
    problem(
        accept("password1234").await.unwrap(),
        422,
        "validation_failed",
    )
    .await;
    let created = accept("a fine new passphrase 42").await.unwrap();
    assert_eq!(created.status(), 201);
    let user: Value = created.json().await.unwrap();
    assert_eq!(
        (user["email"].as_str(), user["role"].as_str()),
        (Some("newbie@school.example"), Some("instructor"))
    );
    problem(
        accept("a fine new passphrase 43").await.unwrap(),
        400,
        "invalid_token",
    )
    .await;
    assert_eq!(
        app.login(
            "school",
            "newbie@school.example",
            "a fine new passphrase 42",
            None
        )
        .await
        .status(),
        200
    );

    let audit: Value = signed(
        &app,
        Method::GET,
        "/v1/audit?action=user.",
        "school",
        &admin,
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"user.invite") && actions.contains(&"user.invitation_accepted"),
        "{actions:?}"
    );
}

/// The development outbox of `slug`, newest first.
async fn outbox(app: &TestApp, slug: &str, admin: &str) -> Vec<Value> {
    let v: Value = signed(app, Method::GET, "/v1/outbox", slug, admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v.as_array().unwrap().clone()
}

/// Waits for the outbox mail to `to` and returns its body.
async fn mail_to(app: &TestApp, slug: &str, admin: &str, to: &str) -> String {
    crate::harness::eventually("the mail reaches the outbox", || async {
        outbox(app, slug, admin).await.iter().any(|m| m["to"] == to)
    })
    .await;
    let mails = outbox(app, slug, admin).await;
    let m = mails.iter().find(|m| m["to"] == to).unwrap();
    m["body"].as_str().unwrap().to_owned()
}

/// An account created by an admin gets a verification link; spending it marks the
/// address verified once, in the audit trail too. Links point at the tenant's own host,
/// never at a `Host` the caller chose.
#[tokio::test]
async fn email_verification_by_link() {
    let app = TestApp::spawn().await;
    app.user("school", "head@school.example", PW, Role::Admin)
        .await;
    let (admin, _, _) = token_of(app.login("school", "head@school.example", PW, None).await).await;
    let created = signed(&app, Method::POST, "/v1/users", "school", &admin)
        .json(&serde_json::json!({
            "email": "ana@school.example", "display_name": "Ana", "role": "learner", "password": PW
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["email_verified"], false);
    assert!(created["email_verified_at"].is_null());
    let id = created["id"].as_str().unwrap().to_owned();

    let body = mail_to(&app, "school", &admin, "ana@school.example").await;
    let link = format!(
        "http://school.localhost:{}/verify-email?token=",
        app.addr.port()
    );
    assert!(body.contains(&link), "{body}");
    let token = link_token(&body);
    let verify = |token: String| {
        app.client
            .post(app.url("/v1/auth/verify-email"))
            .header("host", "school.localhost")
            .json(&serde_json::json!({ "token": token }))
            .send()
    };
    problem(
        verify("not-a-token".into()).await.unwrap(),
        400,
        "invalid_token",
    )
    .await;
    let other_tenant = app
        .client
        .post(app.url("/v1/auth/verify-email"))
        .header("host", "elsewhere.localhost")
        .json(&serde_json::json!({ "token": token }))
        .send()
        .await
        .unwrap();
    assert_ne!(
        other_tenant.status(),
        204,
        "a link works only in its tenant"
    );
    assert_eq!(verify(token.clone()).await.unwrap().status(), 204);
    problem(verify(token).await.unwrap(), 400, "invalid_token").await;

    let shown: Value = signed(
        &app,
        Method::GET,
        &format!("/v1/users/{id}"),
        "school",
        &admin,
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(shown["email_verified"], true, "{shown}");
    assert!(shown["email_verified_at"].is_string());

    // Nothing left to prove: asking again is a conflict, for the user and for an admin.
    let (ana, _, _) = token_of(app.login("school", "ana@school.example", PW, None).await).await;
    problem(
        signed(
            &app,
            Method::POST,
            "/v1/auth/email-verification",
            "school",
            &ana,
        )
        .send()
        .await
        .unwrap(),
        409,
        "email_already_verified",
    )
    .await;
    let path = format!("/v1/users/{id}/email-verification");
    problem(
        signed(&app, Method::POST, &path, "school", &admin)
            .send()
            .await
            .unwrap(),
        409,
        "email_already_verified",
    )
    .await;

    // The admin asks for their own link from a platform host (an IP) with `X-Tenant`:
    // the Host is the caller's choice, the link still points at the tenant.
    let asked = app
        .client
        .post(app.url("/v1/auth/email-verification"))
        .header("host", "203.0.113.7:8443")
        .header("x-tenant", "school")
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), 202, "{}", asked.text().await.unwrap());
    let body = mail_to(&app, "school", &admin, "head@school.example").await;
    assert!(body.contains(&link) && !body.contains("8443"), "{body}");
    let audit: Value = signed(
        &app,
        Method::GET,
        "/v1/audit?action=auth.email_verified",
        "school",
        &admin,
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let events = audit["items"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{audit}");
    assert_eq!(events[0]["target"], format!("user:{id}"));
    let created_audit: Value = signed(
        &app,
        Method::GET,
        "/v1/audit?action=user.create",
        "school",
        &admin,
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert!(
        created_audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["target"] == format!("user:{id}")
                && serde_json::from_str::<Value>(e["diff"].as_str().unwrap()).unwrap()["after"]
                    ["email_verified"]
                    == false),
        "{created_audit}"
    );
}

/// With a relay configured, mail goes over SMTP (to a real server) and not to the outbox;
/// the mailed reset link works end to end.
#[tokio::test]
async fn mail_goes_over_smtp_when_a_relay_is_configured() {
    let Some(smtp) = crate::harness::smtp::SmtpServer::start().await else {
        return;
    };
    let app = TestApp::builder()
        .env("NEXUS_MAIL_SMTP_URL", &smtp.url)
        .env("NEXUS_MAIL_FROM", "River School <no-reply@river.example>")
        .spawn()
        .await;
    app.user("river", "head@river.example", PW, Role::Admin)
        .await;
    app.user("river", "kim@river.example", PW, Role::Learner)
        .await;
    let forgot = app
        .client
        .post(app.url("/v1/auth/password/forgot"))
        .header("host", "river.localhost")
        .json(&serde_json::json!({ "email": "kim@river.example" }))
        .send()
        .await
        .unwrap();
    assert_eq!(forgot.status(), 202);
    let message = smtp.wait_for("kim@river.example").await;
    assert!(
        message.contains("From: \"River School\" <no-reply@river.example>"),
        "{message}"
    );
    assert!(
        message.contains("Subject: Reset your FinAI Nexus password"),
        "{message}"
    );
    let link = format!(
        "http://river.localhost:{}/reset-password?token=",
        app.addr.port()
    );
    assert!(message.contains(&link), "{message}");
    let token = link_token(&message);
    let reset = app
        .client
        .post(app.url("/v1/auth/password/reset"))
        .header("host", "river.localhost")
        .json(&serde_json::json!({ "token": token, "password": "a brand new passphrase 42" }))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 204, "{}", reset.text().await.unwrap());
    assert_eq!(
        app.login(
            "river",
            "kim@river.example",
            "a brand new passphrase 42",
            None
        )
        .await
        .status(),
        200
    );
    let (admin, _, _) = token_of(app.login("river", "head@river.example", PW, None).await).await;
    assert!(
        outbox(&app, "river", &admin).await.is_empty(),
        "with a relay, nothing is kept in the outbox"
    );
    assert_eq!(smtp.messages().len(), 1);
}
