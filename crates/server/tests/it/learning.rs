//! The course catalogue end to end: authoring by instructors, what learners can see,
//! the workflow's refusals, and the audit trail.

use crate::auth::{PW, signed, token_of};
use crate::harness::{TestApp, problem};
use nexus_domain::user::Role;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn instructors_author_courses_learners_see_only_published_ones() {
    let app = TestApp::spawn().await;
    app.user("school", "teach@school.example", PW, Role::Instructor)
        .await;
    app.user("school", "pupil@school.example", PW, Role::Learner)
        .await;
    app.user("other", "teach@other.example", PW, Role::Instructor)
        .await;
    let (teach, _, _) = token_of(app.login("school", "teach@school.example", PW, None).await).await;
    let (pupil, _, _) = token_of(app.login("school", "pupil@school.example", PW, None).await).await;
    let (outsider, _, _) =
        token_of(app.login("other", "teach@other.example", PW, None).await).await;

    let bad = signed(&app, Method::POST, "/v1/courses", "school", &teach)
        .json(&json!({ "title": " ", "level": "expert", "estimated_minutes": 0, "tags": ["ok", "Not OK!"] }))
        .send()
        .await
        .unwrap();
    let body = problem(bad, 422, "validation_failed").await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["title", "level", "estimated_minutes", "tags[1]"]);

    let created = signed(&app, Method::POST, "/v1/courses", "school", &teach)
        .json(&json!({
            "title": "Financial Literacy 101",
            "summary": "Budgets, interest, risk.",
            "level": "beginner",
            "estimated_minutes": 240,
            "tags": ["Budgeting", "money"],
            "self_enrol": true
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let course: Value = created.json().await.unwrap();
    assert_eq!(course["status"], "draft");
    assert_eq!(course["tags"], json!(["budgeting", "money"]));
    let path = format!("/v1/courses/{}", course["id"].as_str().unwrap());

    // A draft is invisible to learners and to other tenants.
    let listed: Value = signed(&app, Method::GET, "/v1/courses", "school", &pupil)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["total"], 0, "{listed}");
    problem(
        signed(&app, Method::GET, &path, "school", &pupil)
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    problem(
        signed(&app, Method::GET, &path, "other", &outsider)
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    let mine: Value = signed(
        &app,
        Method::GET,
        "/v1/courses?tag=budgeting&status=draft",
        "school",
        &teach,
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(mine["total"], 1, "{mine}");
    problem(
        signed(
            &app,
            Method::GET,
            "/v1/courses?status=deleted",
            "school",
            &teach,
        )
        .send()
        .await
        .unwrap(),
        422,
        "validation_failed",
    )
    .await;

    // Learners cannot author.
    problem(
        signed(&app, Method::PATCH, &path, "school", &pupil)
            .json(&json!({ "title": "Mine now", "level": "beginner", "estimated_minutes": 5 }))
            .send()
            .await
            .unwrap(),
        403,
        "forbidden",
    )
    .await;

    let edited: Value = signed(&app, Method::PATCH, &path, "school", &teach)
        .json(&json!({ "title": "Financial Literacy 101", "level": "intermediate", "estimated_minutes": 300 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (edited["level"].as_str(), edited["tags"].clone()),
        (Some("intermediate"), json!([])),
        "PATCH replaces the metadata"
    );

    let archived: Value = signed(
        &app,
        Method::POST,
        &format!("{path}/archive"),
        "school",
        &teach,
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(archived["status"], "archived");
    problem(
        signed(&app, Method::PATCH, &path, "school", &teach)
            .json(&json!({ "title": "Too late", "level": "beginner", "estimated_minutes": 5 }))
            .send()
            .await
            .unwrap(),
        409,
        "course_archived",
    )
    .await;

    // Every change is in the audit trail with before and after.
    let tenant = app
        .wired
        .services
        .tenants
        .get_by_slug(&nexus_domain::tenancy::TenantSlug::parse("school").unwrap())
        .await
        .unwrap();
    let q = nexus_domain::audit::AuditQuery {
        action: Some("course.".into()),
        limit: 10,
        ..Default::default()
    };
    let events = app
        .wired
        .services
        .audit
        .list(Some(tenant.id), &q)
        .await
        .unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["course.archive", "course.update", "course.create"]
    );
    let diff: Value = serde_json::from_str(events[1].diff.as_deref().unwrap()).unwrap();
    assert_eq!(
        (
            diff["before"]["level"].as_str(),
            diff["after"]["level"].as_str()
        ),
        (Some("beginner"), Some("intermediate"))
    );
}
