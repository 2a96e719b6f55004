//! Second factors end to end: TOTP enrolment, the pending session, replay refusal,
//! recovery codes, a separate lock for code guessing, and tenant MFA policy.

use crate::harness::{TestApp, problem};
use nexus_domain::access::{BuiltinRole, RoleRef};
use nexus_domain::mfa::{base32_decode, code_at};
use nexus_domain::user::Role;
use nexus_domain::{TenantId, UserId};
use serde_json::{Value, json};

const PW: &str = "correct horse battery staple";

fn now() -> i64 {
    nexus_domain::Clock::now(&nexus_domain::SystemClock).unix_timestamp()
}

async fn post(app: &TestApp, path: &str, token: &str, body: Option<Value>) -> reqwest::Response {
    let mut r = app
        .client
        .post(app.url(path))
        .header("host", "school.localhost")
        .bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    r.send().await.unwrap()
}

async fn whoami(app: &TestApp, token: &str) -> reqwest::Response {
    app.client
        .get(app.url("/v1/auth/session"))
        .header("host", "school.localhost")
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn login(app: &TestApp, email: &str) -> (String, String) {
    let r = app.login("school", email, PW, None).await;
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    (
        b["token"].as_str().unwrap().to_owned(),
        b["mfa"].as_str().unwrap().to_owned(),
    )
}

/// Enrols TOTP for a fresh session and returns the secret and the recovery codes.
async fn enrol(app: &TestApp, token: &str) -> (Vec<u8>, Vec<String>) {
    let e: Value = post(app, "/v1/auth/mfa/totp/enroll", token, None)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        e["otpauth_uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/FinAI%20Nexus:")
    );
    assert!(e["qr_svg"].as_str().unwrap().starts_with("<svg"));
    let secret = base32_decode(e["secret"].as_str().unwrap()).unwrap();
    let wrong = post(
        app,
        "/v1/auth/mfa/totp/confirm",
        token,
        Some(json!({ "code": "000000" })),
    )
    .await;
    problem(wrong, 401, "invalid_second_factor").await;
    let ok = post(
        app,
        "/v1/auth/mfa/totp/confirm",
        token,
        Some(json!({ "code": code_at(&secret, now()) })),
    )
    .await;
    assert_eq!(ok.status(), 200);
    let codes: Vec<String> =
        serde_json::from_value(ok.json::<Value>().await.unwrap()["recovery_codes"].clone())
            .unwrap();
    assert_eq!(codes.len(), 10);
    (secret, codes)
}

#[tokio::test]
async fn totp_enrolment_verification_replay_and_recovery() {
    let app = TestApp::spawn().await;
    app.user("school", "ada@school.example", PW, Role::Learner)
        .await;
    let (token, mfa) = login(&app, "ada@school.example").await;
    assert_eq!(mfa, "none");
    let (secret, codes) = enrol(&app, &token).await;
    let again = post(&app, "/v1/auth/mfa/totp/enroll", &token, None).await;
    problem(again, 409, "mfa_already_enrolled").await;

    // The next login owes the second factor and can do nothing else.
    let (pending, mfa) = login(&app, "ada@school.example").await;
    assert_eq!(mfa, "pending");
    problem(whoami(&app, &pending).await, 401, "mfa_required").await;
    // The code used to confirm is spent; the next step's code works (±1 step window).
    let reused = post(
        &app,
        "/v1/auth/mfa/verify",
        &pending,
        Some(json!({ "code": code_at(&secret, now()) })),
    )
    .await;
    problem(reused, 401, "invalid_second_factor").await;
    let next = code_at(&secret, now() + 30);
    assert_eq!(
        post(
            &app,
            "/v1/auth/mfa/verify",
            &pending,
            Some(json!({ "code": next }))
        )
        .await
        .status(),
        204
    );
    assert_eq!(whoami(&app, &pending).await.status(), 200);

    // A code is never accepted twice, even on another session.
    let (pending2, _) = login(&app, "ada@school.example").await;
    problem(
        post(
            &app,
            "/v1/auth/mfa/verify",
            &pending2,
            Some(json!({ "code": next })),
        )
        .await,
        401,
        "invalid_second_factor",
    )
    .await;
    // A recovery code works once.
    let rc = post(
        &app,
        "/v1/auth/mfa/verify",
        &pending2,
        Some(json!({ "recovery_code": codes[0].to_uppercase() })),
    )
    .await;
    assert_eq!(rc.status(), 204);
    let (pending3, _) = login(&app, "ada@school.example").await;
    problem(
        post(
            &app,
            "/v1/auth/mfa/verify",
            &pending3,
            Some(json!({ "recovery_code": codes[0] })),
        )
        .await,
        401,
        "invalid_second_factor",
    )
    .await;
    problem(
        post(&app, "/v1/auth/mfa/verify", &pending3, Some(json!({}))).await,
        422,
        "validation_failed",
    )
    .await;

    // Regenerated codes replace the old ones.
    let fresh: Value = post(&app, "/v1/auth/mfa/recovery-codes", &pending, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fresh["recovery_codes"].as_array().unwrap().len(), 10);
    problem(
        post(
            &app,
            "/v1/auth/mfa/verify",
            &pending3,
            Some(json!({ "recovery_code": codes[1] })),
        )
        .await,
        401,
        "invalid_second_factor",
    )
    .await;
    let new_code = fresh["recovery_codes"][0].as_str().unwrap();
    assert_eq!(
        post(
            &app,
            "/v1/auth/mfa/verify",
            &pending3,
            Some(json!({ "recovery_code": new_code }))
        )
        .await
        .status(),
        204
    );
}

/// Five wrong codes lock the second factor; the password counter is untouched, and a
/// correct code cannot get through the lock.
#[tokio::test]
async fn guessing_codes_locks_the_second_factor_separately() {
    let app = TestApp::spawn().await;
    let tenant = app
        .user("school", "bo@school.example", PW, Role::Learner)
        .await;
    let (token, _) = login(&app, "bo@school.example").await;
    let (secret, _) = enrol(&app, &token).await;
    let (pending, _) = login(&app, "bo@school.example").await;
    for _ in 0..4 {
        problem(
            post(
                &app,
                "/v1/auth/mfa/verify",
                &pending,
                Some(json!({ "code": "111111" })),
            )
            .await,
            401,
            "invalid_second_factor",
        )
        .await;
    }
    let correct = post(
        &app,
        "/v1/auth/mfa/verify",
        &pending,
        Some(json!({ "code": code_at(&secret, now() + 30) })),
    )
    .await;
    problem(correct, 429, "too_many_attempts").await;
    let (_, mfa) = login(&app, "bo@school.example").await;
    assert_eq!(
        mfa, "pending",
        "the password still works: its counter is separate"
    );
    let q = nexus_domain::audit::AuditQuery {
        action: Some("auth.".into()),
        limit: 50,
        ..Default::default()
    };
    let actions: Vec<String> = app
        .wired
        .services
        .audit
        .list(Some(tenant), &q)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(
        actions.contains(&"auth.mfa_locked".to_owned()),
        "{actions:?}"
    );
    assert_eq!(
        actions.iter().filter(|a| *a == "auth.mfa_failed").count(),
        5,
        "{actions:?}"
    );
}

/// A tenant requiring MFA for admins forces an unenrolled admin through enrolment
/// before the session is usable; other roles are unaffected.
#[tokio::test]
async fn tenant_policy_forces_enrolment_for_chosen_roles() {
    let app = TestApp::spawn().await;
    app.user("school", "head@school.example", PW, Role::Admin)
        .await;
    app.user("school", "pupil@school.example", PW, Role::Learner)
        .await;
    let t = app
        .wired
        .services
        .tenants
        .get_by_slug(&nexus_domain::tenancy::TenantSlug::parse("school").unwrap())
        .await
        .unwrap();
    let patch = app
        .platform(reqwest::Method::PATCH, &format!("/tenants/{}", t.id))
        .json(&json!({ "settings": { "mfa_required_roles": ["tenant_admin"] } }))
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), 200);
    let bad = app
        .platform(reqwest::Method::PATCH, &format!("/tenants/{}", t.id))
        .json(&json!({ "settings": { "mfa_required_roles": ["overlord"] } }))
        .send()
        .await
        .unwrap();
    problem(bad, 422, "validation_failed").await;

    let (admin, mfa) = login(&app, "head@school.example").await;
    assert_eq!(mfa, "enroll_required");
    problem(whoami(&app, &admin).await, 401, "mfa_required").await;
    enrol(&app, &admin).await;
    assert_eq!(
        whoami(&app, &admin).await.status(),
        200,
        "enrolling completes the same session"
    );
    let (_, mfa) = login(&app, "pupil@school.example").await;
    assert_eq!(mfa, "none");

    // The policy follows granted roles too, not just the account role.
    let patch = app
        .platform(reqwest::Method::PATCH, &format!("/tenants/{}", t.id))
        .json(&json!({ "settings": { "mfa_required_roles": ["auditor"] } }))
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), 200);
    let pupil = user_id(&app, t.id, "pupil@school.example").await;
    grant(&app, t.id, pupil, &[BuiltinRole::Auditor]).await;
    let (_, mfa) = login(&app, "pupil@school.example").await;
    assert_eq!(
        mfa, "enroll_required",
        "auditor is granted, not the account role"
    );
}

async fn user_id(app: &TestApp, tenant: TenantId, email: &str) -> UserId {
    let q = nexus_domain::user::UserQuery {
        search: Some(email.to_owned()),
        ..Default::default()
    };
    let caller = nexus_app::Caller::system();
    app.wired
        .services
        .accounts
        .list(&caller, tenant, &q)
        .await
        .unwrap()
        .items[0]
        .id
}

async fn grant(app: &TestApp, tenant: TenantId, user: UserId, roles: &[BuiltinRole]) {
    let roles = roles.iter().map(|r| RoleRef::Builtin(*r)).collect();
    app.wired
        .services
        .roles
        .set_user_roles(&nexus_app::Caller::cli(), tenant, user, roles)
        .await
        .unwrap();
}

/// platform_admin: a person, not a shared token. Only the platform can grant or remove
/// it; its holder must have passed a second factor (a session from before the grant does
/// not count); then they operate `/v1/platform/*` under their own name in the audit
/// trail. A custom role carrying `platform:operate` owes a second factor just the same.
#[tokio::test]
async fn platform_admins_are_people_with_a_second_factor() {
    let app = TestApp::spawn().await;
    let t = app
        .user("school", "owner@school.example", PW, Role::Admin)
        .await;
    app.user("school", "ops@school.example", PW, Role::Learner)
        .await;
    let owner_id = user_id(&app, t, "owner@school.example").await;
    let ops_id = user_id(&app, t, "ops@school.example").await;
    grant(&app, t, owner_id, &[BuiltinRole::TenantOwner]).await;
    let platform_get = |token: String| {
        app.client
            .get(app.url("/v1/platform/tenants"))
            .header("host", "school.localhost")
            .bearer_auth(token)
            .send()
    };

    // A tenant owner holds everything in the tenant, and still cannot reach the platform
    // or hand out the permission that does.
    let (owner, mfa) = login(&app, "owner@school.example").await;
    assert_eq!(mfa, "none");
    problem(platform_get(owner.clone()).await.unwrap(), 403, "forbidden").await;
    let put = app
        .client
        .put(app.url(&format!("/v1/users/{ops_id}/roles")))
        .header("host", "school.localhost")
        .bearer_auth(&owner)
        .json(&json!({ "roles": ["platform_admin"] }))
        .send()
        .await
        .unwrap();
    problem(put, 403, "forbidden").await;
    let custom = post(
        &app,
        "/v1/roles",
        &owner,
        Some(json!({ "name": "Sneaky", "permissions": ["platform:operate"] })),
    )
    .await;
    problem(custom, 403, "forbidden").await;

    // The platform grants it (what `nexus user roles --add platform_admin` calls).
    let (before_grant, mfa) = login(&app, "ops@school.example").await;
    assert_eq!(mfa, "none");
    grant(&app, t, ops_id, &[BuiltinRole::PlatformAdmin]).await;
    problem(
        platform_get(before_grant).await.unwrap(),
        401,
        "mfa_required",
    )
    .await;
    // A tenant owner cannot take it away either.
    let strip = app
        .client
        .put(app.url(&format!("/v1/users/{ops_id}/roles")))
        .header("host", "school.localhost")
        .bearer_auth(&owner)
        .json(&json!({ "roles": [] }))
        .send()
        .await
        .unwrap();
    problem(strip, 403, "forbidden").await;
    let (ops, mfa) = login(&app, "ops@school.example").await;
    assert_eq!(
        mfa, "enroll_required",
        "platform_admin always needs a second factor"
    );
    problem(
        platform_get(ops.clone()).await.unwrap(),
        401,
        "mfa_required",
    )
    .await;
    enrol(&app, &ops).await;
    assert_eq!(platform_get(ops.clone()).await.unwrap().status(), 200);
    let created = app
        .client
        .post(app.url("/v1/platform/tenants"))
        .header("host", "school.localhost")
        .bearer_auth(&ops)
        .json(&json!({ "slug": "ops-made", "name": "Ops Made" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    // On a bare platform host there is no tenant to find the session in.
    let bare = app
        .client
        .get(app.url("/v1/platform/tenants"))
        .bearer_auth(&ops)
        .send()
        .await
        .unwrap();
    problem(bare, 401, "unauthenticated").await;

    let audit: Value = app
        .platform(
            reqwest::Method::GET,
            &format!(
                "/audit?tenant={}&action=tenant.create",
                created["id"].as_str().unwrap()
            ),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let actors: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert!(
        actors.contains(&format!("user:{ops_id}").as_str()),
        "the operator is named in the audit trail: {audit}"
    );

    // The permission, not the role's name, is what demands the second factor.
    app.user("school", "ops2@school.example", PW, Role::Learner)
        .await;
    let ops2 = user_id(&app, t, "ops2@school.example").await;
    let draft = nexus_app::roles::RoleDraft {
        name: "Night operator".into(),
        description: "Runs the platform overnight".into(),
        permissions: [nexus_domain::access::Permission::PlatformOperate].into(),
    };
    let custom = app
        .wired
        .services
        .roles
        .create(&nexus_app::Caller::cli(), t, draft)
        .await
        .unwrap();
    app.wired
        .services
        .roles
        .set_user_roles(
            &nexus_app::Caller::cli(),
            t,
            ops2,
            vec![RoleRef::Custom(custom.id)],
        )
        .await
        .unwrap();
    let (_, mfa) = login(&app, "ops2@school.example").await;
    assert_eq!(mfa, "enroll_required");
    // Nor can the tenant owner defang or delete such a role.
    let role_url = app.url(&format!("/v1/roles/{}", custom.id));
    let patch = app
        .client
        .patch(&role_url)
        .header("host", "school.localhost")
        .bearer_auth(&owner)
        .json(&json!({ "name": "Night operator", "permissions": ["course:read"] }))
        .send()
        .await
        .unwrap();
    problem(patch, 403, "forbidden").await;
    let delete = app
        .client
        .delete(&role_url)
        .header("host", "school.localhost")
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap();
    problem(delete, 403, "forbidden").await;
}
