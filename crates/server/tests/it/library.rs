//! The platform library end to end: the shipped curriculum is in it from the first
//! start (and is not rewritten by later ones); authors browse and adopt copies;
//! operators publish, replace and withdraw entries in the platform audit chain; and a
//! fresh demo shows the curriculum, published, to its learner.

use crate::auth::{PW, signed, token_of};
use crate::harness::{TestApp, problem};
use crate::packages::CURRICULUM;
use nexus_domain::audit::AuditQuery;
use nexus_domain::user::Role;
use reqwest::Method;
use serde_json::{Value, json};

async fn get(app: &TestApp, slug: &str, token: &str, path: &str) -> reqwest::Response {
    signed(app, Method::GET, path, slug, token)
        .send()
        .await
        .unwrap()
}

async fn login(app: &TestApp, slug: &str, email: &str, role: Role) -> String {
    app.user(slug, email, PW, role).await;
    token_of(app.login(slug, email, PW, None).await).await.0
}

/// The library's entry for the curriculum, as listed to `token`.
async fn curriculum_entry(app: &TestApp, slug: &str, token: &str) -> Value {
    let page: Value = get(app, slug, token, "/v1/library?level=beginner&q=literacy")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 1, "{page}");
    let entry = page["items"][0].clone();
    assert_eq!(entry["slug"], "financial-literacy-101");
    assert_eq!(entry["title"], "Financial Literacy 101");
    entry
}

async fn library_events(app: &TestApp) -> Vec<nexus_domain::audit::AuditEvent> {
    let q = AuditQuery {
        action: Some("library.".into()),
        ..Default::default()
    };
    app.wired.services.audit.list(None, &q).await.unwrap()
}

#[tokio::test]
async fn authors_browse_and_adopt_copies_of_the_curriculum() {
    let app = TestApp::spawn().await;
    let teach = login(&app, "school", "teach@school.example", Role::Instructor).await;
    let pupil = login(&app, "school", "pupil@school.example", Role::Learner).await;
    let entry = curriculum_entry(&app, "school", &teach).await;
    let id = entry["id"].as_str().unwrap();
    let none: Value = get(&app, "school", &teach, "/v1/library?level=advanced")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(none["total"], 0);

    let detail: Value = get(&app, "school", &teach, &format!("/v1/library/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["modules"].as_array().unwrap().len(), 5);
    assert_eq!(detail["questions"], 51);
    assert!(detail["modules"][0]["lessons"][0].get("body").is_none());

    // Each adoption is an independent draft copy, identical to the package.
    let adopt = || async {
        let resp = signed(
            &app,
            Method::POST,
            &format!("/v1/library/{id}/adopt"),
            "school",
            &teach,
        )
        .send()
        .await
        .unwrap();
        assert_eq!(resp.status(), 201);
        resp.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (first, second) = (adopt().await, adopt().await);
    assert_ne!(first, second);
    let export: Value = get(
        &app,
        "school",
        &teach,
        &format!("/v1/courses/{first}/export"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(export, serde_json::from_str::<Value>(CURRICULUM).unwrap());
    let tenant = app
        .wired
        .services
        .tenants
        .get_by_slug(&nexus_domain::tenancy::TenantSlug::parse("school").unwrap())
        .await
        .unwrap()
        .id;
    let q = AuditQuery {
        action: Some("course.adopt".into()),
        ..Default::default()
    };
    let adopted = app
        .wired
        .services
        .audit
        .list(Some(tenant), &q)
        .await
        .unwrap();
    assert_eq!(adopted.len(), 2);
    assert!(
        adopted[0]
            .diff
            .as_deref()
            .unwrap()
            .contains("financial-literacy-101")
    );

    problem(
        get(&app, "school", &pupil, "/v1/library").await,
        403,
        "forbidden",
    )
    .await;
    let missing = format!("/v1/library/{}/adopt", uuid::Uuid::now_v7());
    let resp = signed(&app, Method::POST, &missing, "school", &teach)
        .send()
        .await
        .unwrap();
    problem(resp, 404, "not_found").await;
}

#[tokio::test]
async fn operators_publish_replace_and_withdraw_entries() {
    let app = TestApp::spawn().await;
    let put = |slug: &str, body: &Value| {
        app.platform(Method::PUT, &format!("/library/{slug}"))
            .json(body)
            .send()
    };
    let mut package: Value = serde_json::from_str(CURRICULUM).unwrap();
    package["course"]["title"] = json!("Money Matters");
    let created = put("money-matters", &package).await.unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["title"], "Money Matters");

    let same = put("money-matters", &package).await.unwrap();
    assert_eq!(same.status(), 200);
    assert_eq!(
        same.json::<Value>().await.unwrap(),
        created,
        "nothing rewritten"
    );

    package["course"]["level"] = json!("intermediate");
    let updated: Value = put("Money-Matters", &package)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(updated["id"], created["id"], "the slug keeps its identity");
    assert_eq!(updated["level"], "intermediate");

    // The same parser as an import: every error, with its path.
    package["modules"][2]["quizzes"][0]["bank"] = json!("nowhere");
    package["banks"][4]["title"] = json!("");
    let body = problem(
        put("money-matters", &package).await.unwrap(),
        422,
        "validation_failed",
    )
    .await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["banks[4].title", "modules[2].quizzes[0].bank"]);
    problem(
        put("not a slug", &package).await.unwrap(),
        422,
        "validation_failed",
    )
    .await;

    let delete = || {
        app.platform(Method::DELETE, "/library/money-matters")
            .send()
    };
    assert_eq!(delete().await.unwrap().status(), 204);
    problem(delete().await.unwrap(), 404, "not_found").await;

    let actions: Vec<String> = library_events(&app)
        .await
        .into_iter()
        .rev()
        .map(|e| format!("{} {} {}", e.actor, e.action, e.target))
        .collect();
    assert_eq!(
        actions,
        [
            "system library.create library:financial-literacy-101",
            "platform library.create library:money-matters",
            "platform library.update library:money-matters",
            "platform library.delete library:money-matters",
        ]
    );
}

#[tokio::test]
async fn restarts_keep_the_curriculum_without_rewriting_it() {
    let app = TestApp::spawn().await;
    let teach = login(&app, "school", "teach@school.example", Role::Instructor).await;
    let before = curriculum_entry(&app, "school", &teach).await;
    let db = app.stop_keep_db().await;
    let app = TestApp::builder().db(db).spawn().await;
    let teach = token_of(app.login("school", "teach@school.example", PW, None).await)
        .await
        .0;
    assert_eq!(curriculum_entry(&app, "school", &teach).await, before);
    assert_eq!(
        library_events(&app).await.len(),
        1,
        "one create, no rewrites"
    );
}

#[tokio::test]
async fn a_fresh_demo_shows_the_curriculum_to_its_learner() {
    let app = TestApp::builder()
        .env("NEXUS_DEMO_SEED", "true")
        .spawn()
        .await;
    // Demo passwords are random and printed once: sign in as extra demo accounts.
    let learner = login(&app, "demo", "pupil@demo.example", Role::Learner).await;
    let courses: Value = get(&app, "demo", &learner, "/v1/courses")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(courses["total"], 1, "{courses}");
    let course = &courses["items"][0];
    assert_eq!(course["title"], "Financial Literacy 101");
    assert_eq!(course["status"], "published");
    let path = format!("/v1/courses/{}/content", course["id"].as_str().unwrap());
    let content: Value = get(&app, "demo", &learner, &path)
        .await
        .json()
        .await
        .unwrap();
    let lessons: usize = content["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["lessons"].as_array().unwrap().len())
        .sum();
    assert!(lessons >= 8, "{lessons} lessons");
    assert_eq!(
        content["modules"][0]["quizzes"].as_array().unwrap().len(),
        1
    );

    let teach = login(&app, "demo", "teach@demo.example", Role::Instructor).await;
    curriculum_entry(&app, "demo", &teach).await;
}
