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

/// Modules and lessons: appended in order, reordered only as a whole permutation,
/// previewed with lesson Markdown rendered and sanitized, closed once archived.
#[tokio::test]
async fn authors_build_an_outline_and_preview_it_safely() {
    let app = TestApp::spawn().await;
    app.user("school", "teach@school.example", PW, Role::Instructor)
        .await;
    app.user("school", "pupil@school.example", PW, Role::Learner)
        .await;
    let (teach, _, _) = token_of(app.login("school", "teach@school.example", PW, None).await).await;
    let (pupil, _, _) = token_of(app.login("school", "pupil@school.example", PW, None).await).await;
    let post = |path: String, body: Value| {
        signed(&app, Method::POST, &path, "school", &teach)
            .json(&body)
            .send()
    };
    let course: Value = post(
        "/v1/courses".into(),
        json!({ "title": "Money", "level": "beginner", "estimated_minutes": 60 }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let base = format!("/v1/courses/{}", course["id"].as_str().unwrap());
    let mut modules = Vec::new();
    for title in ["Keeping money", "Growing money"] {
        let m: Value = post(format!("{base}/modules"), json!({ "title": title }))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        modules.push(m["id"].as_str().unwrap().to_owned());
    }
    let mut lessons = Vec::new();
    for (title, body) in [
        ("Budgets", "# Budgets\n\nSpend **less** than you earn."),
        (
            "Sneaky",
            "Hi <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>",
        ),
    ] {
        let l = post(
            format!("{base}/modules/{}/lessons", modules[0]),
            json!({ "title": title, "body": body, "estimated_minutes": 10 }),
        )
        .await
        .unwrap();
        assert_eq!(l.status(), 201);
        let l: Value = l.json().await.unwrap();
        lessons.push(l["id"].as_str().unwrap().to_owned());
    }
    let bad = post(
        format!("{base}/modules/{}/lessons", modules[1]),
        json!({ "title": "", "estimated_minutes": 0 }),
    )
    .await
    .unwrap();
    problem(bad, 422, "validation_failed").await;

    // Reordering takes every lesson exactly once.
    let order = format!("{base}/modules/{}/lesson-order", modules[0]);
    let partial = signed(&app, Method::PUT, &order, "school", &teach)
        .json(&json!({ "lessons": [lessons[1]] }))
        .send()
        .await
        .unwrap();
    let body = problem(partial, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["code"], "missing_item");
    let swapped = signed(&app, Method::PUT, &order, "school", &teach)
        .json(&json!({ "lessons": [lessons[1], lessons[0]] }))
        .send()
        .await
        .unwrap();
    assert_eq!(swapped.status(), 200);

    let fixed = signed(
        &app,
        Method::PUT,
        &format!("{base}/lessons/{}", lessons[1]),
        "school",
        &teach,
    )
    .json(&json!({ "title": "Not sneaky", "body": "Plain *text*.", "estimated_minutes": 5 }))
    .send()
    .await
    .unwrap();
    assert_eq!(fixed.status(), 200);

    let preview: Value = signed(
        &app,
        Method::GET,
        &format!("{base}/outline"),
        "school",
        &teach,
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let titles: Vec<Vec<&str>> = preview["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            m["lessons"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["title"].as_str().unwrap())
                .collect()
        })
        .collect();
    assert_eq!(titles, vec![vec!["Not sneaky", "Budgets"], vec![]]);
    let html = preview["modules"][0]["lessons"][1]["html"]
        .as_str()
        .unwrap();
    assert!(html.contains("<strong>less</strong>"), "{html}");

    // A body with script is stored as written but never served as script.
    let sneaky = post(
        format!("{base}/modules/{}/lessons", modules[1]),
        json!({ "title": "Sneaky again", "body": "<script>alert(1)</script><a href=\"javascript:alert(1)\">x</a>", "estimated_minutes": 1 }),
    )
    .await
    .unwrap();
    assert_eq!(sneaky.status(), 201);
    let preview = signed(
        &app,
        Method::GET,
        &format!("{base}/outline"),
        "school",
        &teach,
    )
    .send()
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    let served: Value = serde_json::from_str(&preview).unwrap();
    let html = served["modules"][1]["lessons"][0]["html"].as_str().unwrap();
    assert!(
        !html.contains("<script") && !html.contains("javascript:"),
        "{html}"
    );

    // Rename and delete: a deleted module takes its lessons; the outline shows the rest.
    let renamed = signed(
        &app,
        Method::PATCH,
        &format!("{base}/modules/{}", modules[0]),
        "school",
        &teach,
    )
    .json(&json!({ "title": "Keeping money safe" }))
    .send()
    .await
    .unwrap();
    assert_eq!(renamed.status(), 200);
    let gone = signed(
        &app,
        Method::DELETE,
        &format!("{base}/lessons/{}", lessons[0]),
        "school",
        &teach,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(gone.status(), 204);
    let dropped = signed(
        &app,
        Method::DELETE,
        &format!("{base}/modules/{}", modules[1]),
        "school",
        &teach,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(dropped.status(), 204);
    let after = post(
        format!("{base}/modules/{}/lessons", modules[0]),
        json!({ "title": "Appended", "estimated_minutes": 2 }),
    )
    .await
    .unwrap();
    assert_eq!(after.status(), 201);
    let outline: Value = signed(
        &app,
        Method::GET,
        &format!("{base}/outline"),
        "school",
        &teach,
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let shape: Vec<(String, Vec<String>)> = outline["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["title"].as_str().unwrap().to_owned(),
                m["lessons"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l["title"].as_str().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        vec![(
            "Keeping money safe".to_owned(),
            vec!["Not sneaky".to_owned(), "Appended".to_owned()]
        )],
        "appending after a deletion goes last"
    );

    problem(
        signed(
            &app,
            Method::GET,
            &format!("{base}/outline"),
            "school",
            &pupil,
        )
        .send()
        .await
        .unwrap(),
        403,
        "forbidden",
    )
    .await;
    let elsewhere = post(
        format!(
            "/v1/courses/{}/modules/{}/lessons",
            uuid::Uuid::now_v7(),
            modules[0]
        ),
        json!({ "title": "Lost", "estimated_minutes": 1 }),
    )
    .await
    .unwrap();
    problem(elsewhere, 404, "not_found").await;

    post(format!("{base}/archive"), json!({})).await.unwrap();
    problem(
        post(format!("{base}/modules"), json!({ "title": "Late" }))
            .await
            .unwrap(),
        409,
        "course_archived",
    )
    .await;
}

/// Publishing freezes the draft as a numbered version: learners read that version,
/// edits to the draft stay invisible until the next publish, unpublishing hides it.
#[tokio::test]
async fn learners_read_the_published_version_not_the_draft() {
    let app = TestApp::spawn().await;
    app.user("school", "teach@school.example", PW, Role::Instructor)
        .await;
    app.user("school", "pupil@school.example", PW, Role::Learner)
        .await;
    let (teach, _, _) = token_of(app.login("school", "teach@school.example", PW, None).await).await;
    let (pupil, _, _) = token_of(app.login("school", "pupil@school.example", PW, None).await).await;
    let send = |method: Method, path: String, token: &str, body: Option<Value>| {
        let mut r = signed(&app, method, &path, "school", token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        r.send()
    };
    let course: Value = send(
        Method::POST,
        "/v1/courses".into(),
        &teach,
        Some(json!({ "title": "Inflation", "level": "beginner", "estimated_minutes": 20 })),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let base = format!("/v1/courses/{}", course["id"].as_str().unwrap());
    problem(
        send(Method::POST, format!("{base}/publish"), &teach, None)
            .await
            .unwrap(),
        409,
        "course_empty",
    )
    .await;
    let module: Value = send(
        Method::POST,
        format!("{base}/modules"),
        &teach,
        Some(json!({ "title": "Prices" })),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let lesson: Value = send(
        Method::POST,
        format!("{base}/modules/{}/lessons", module["id"].as_str().unwrap()),
        &teach,
        Some(json!({ "title": "What inflation is", "body": "Prices rise: **v1**.", "estimated_minutes": 5 })),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let lesson_id = lesson["id"].as_str().unwrap().to_owned();
    let published: Value = send(Method::POST, format!("{base}/publish"), &teach, None)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            published["status"].as_str(),
            published["published_version"].as_u64()
        ),
        (Some("published"), Some(1))
    );

    let read = |token: String| {
        let app = &app;
        let base = base.clone();
        async move {
            signed(
                app,
                Method::GET,
                &format!("{base}/content"),
                "school",
                &token,
            )
            .send()
            .await
            .unwrap()
        }
    };
    let v1: Value = read(pupil.clone()).await.json().await.unwrap();
    assert_eq!(v1["version"], 1);
    let html = v1["modules"][0]["lessons"][0]["html"].as_str().unwrap();
    assert!(html.contains("<strong>v1</strong>"), "{html}");
    let one: Value = send(
        Method::GET,
        format!("{base}/content/lessons/{lesson_id}"),
        &pupil,
        None,
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(one["title"], "What inflation is");
    let listed: Value = send(Method::GET, "/v1/courses".into(), &pupil, None)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["total"], 1);

    // Editing the draft changes nothing learners see until the next publish.
    let edit = send(
        Method::PUT,
        format!("{base}/lessons/{lesson_id}"),
        &teach,
        Some(json!({ "title": "What inflation is", "body": "Prices rise: **v2**.", "estimated_minutes": 5 })),
    )
    .await
    .unwrap();
    assert_eq!(edit.status(), 200);
    let renamed = send(
        Method::PATCH,
        base.clone(),
        &teach,
        Some(json!({ "title": "Draft title", "level": "advanced", "estimated_minutes": 99 })),
    )
    .await
    .unwrap();
    assert_eq!(renamed.status(), 200);
    let still: Value = read(pupil.clone()).await.json().await.unwrap();
    assert_eq!(still, v1, "the draft does not leak");
    let shown: Value = send(Method::GET, base.clone(), &pupil, None)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (shown["title"].as_str(), shown["level"].as_str()),
        (Some("Inflation"), Some("beginner")),
        "learners see the published metadata: {shown}"
    );
    let found: Value = send(Method::GET, "/v1/courses?q=draft".into(), &pupil, None)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["total"], 0, "nor can they search the draft's words");
    send(Method::POST, format!("{base}/publish"), &teach, None)
        .await
        .unwrap();
    let v2: Value = read(pupil.clone()).await.json().await.unwrap();
    assert_eq!(v2["version"], 2);
    // The learner catalogue is cached, and a publish replaces it at once.
    let listed: Value = send(Method::GET, "/v1/courses".into(), &pupil, None)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"][0]["title"], v2["title"], "{listed}");
    assert!(
        v2["modules"][0]["lessons"][0]["html"]
            .as_str()
            .unwrap()
            .contains("<strong>v2</strong>")
    );

    let hidden: Value = send(Method::POST, format!("{base}/unpublish"), &teach, None)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            hidden["status"].as_str(),
            hidden["published_version"].as_u64()
        ),
        (Some("draft"), Some(2))
    );
    problem(read(pupil.clone()).await, 404, "not_found").await;
    let listed: Value = send(Method::GET, "/v1/courses".into(), &pupil, None)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["total"], 0,
        "unpublished: gone from the cached catalogue"
    );
    problem(
        send(Method::POST, format!("{base}/unpublish"), &teach, None)
            .await
            .unwrap(),
        409,
        "course_not_published",
    )
    .await;
}

/// A published version cannot be rewritten, even by the application itself: what
/// learners were shown stays what they were shown.
#[tokio::test]
async fn published_versions_are_immutable_in_the_database() {
    use sqlx::Connection;
    let app = TestApp::spawn().await;
    app.user("school", "teach@school.example", PW, Role::Instructor)
        .await;
    let (teach, _, _) = token_of(app.login("school", "teach@school.example", PW, None).await).await;
    let post = |path: String, body: Value| {
        signed(&app, Method::POST, &path, "school", &teach)
            .json(&body)
            .send()
    };
    let course: Value = post(
        "/v1/courses".into(),
        json!({ "title": "Savings", "level": "beginner", "estimated_minutes": 10 }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let base = format!("/v1/courses/{}", course["id"].as_str().unwrap());
    let module: Value = post(format!("{base}/modules"), json!({ "title": "One" }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    post(
        format!("{base}/modules/{}/lessons", module["id"].as_str().unwrap()),
        json!({ "title": "Why save", "body": "Because.", "estimated_minutes": 3 }),
    )
    .await
    .unwrap();
    assert_eq!(
        post(format!("{base}/publish"), json!({}))
            .await
            .unwrap()
            .status(),
        200
    );

    let db = app.db.as_ref().unwrap();
    let errors: Vec<String> = if db.is_postgres() {
        let pg = db.pg_with(db.url());
        let mut out = Vec::new();
        for sql in [
            "update course_version set snapshot = '{}'",
            "delete from course_version",
        ] {
            out.push(
                sqlx::query(sql)
                    .execute(pg.pool())
                    .await
                    .unwrap_err()
                    .to_string(),
            );
        }
        out
    } else {
        let mut c = sqlx::SqliteConnection::connect(db.url()).await.unwrap();
        let mut out = Vec::new();
        for sql in [
            "update course_version set snapshot = '{}'",
            "delete from course_version",
        ] {
            out.push(
                sqlx::query(sql)
                    .execute(&mut c)
                    .await
                    .unwrap_err()
                    .to_string(),
            );
        }
        out
    };
    for e in errors {
        assert!(
            e.contains("permission denied") || e.contains("immutable"),
            "{e}"
        );
    }
}

/// Modules reorder like lessons: the full new order, each module once; the outline shows
/// it at once, learners only after the next publish. Audited with before/after.
#[tokio::test]
async fn authors_reorder_modules_and_learners_see_it_after_republishing() {
    let app = TestApp::spawn().await;
    app.user("school", "teach@school.example", PW, Role::Instructor)
        .await;
    app.user("school", "pupil@school.example", PW, Role::Learner)
        .await;
    app.user("school", "head@school.example", PW, Role::Admin)
        .await;
    let (teach, _, _) = token_of(app.login("school", "teach@school.example", PW, None).await).await;
    let (pupil, _, _) = token_of(app.login("school", "pupil@school.example", PW, None).await).await;
    let (head, _, _) = token_of(app.login("school", "head@school.example", PW, None).await).await;
    let send = |method: Method, path: String, token: &str, body: Option<Value>| {
        let mut r = signed(&app, method, &path, "school", token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        r.send()
    };
    let json_of = |r: reqwest::Response| async move { r.json::<Value>().await.unwrap() };
    let course = json_of(
        send(
            Method::POST,
            "/v1/courses".into(),
            &teach,
            Some(json!({ "title": "Order", "level": "beginner", "estimated_minutes": 20 })),
        )
        .await
        .unwrap(),
    )
    .await;
    let base = format!("/v1/courses/{}", course["id"].as_str().unwrap());
    let mut modules = Vec::new();
    for title in ["First", "Second", "Third"] {
        let m = json_of(
            send(
                Method::POST,
                format!("{base}/modules"),
                &teach,
                Some(json!({ "title": title })),
            )
            .await
            .unwrap(),
        )
        .await;
        let id = m["id"].as_str().unwrap().to_owned();
        let l = send(
            Method::POST,
            format!("{base}/modules/{id}/lessons"),
            &teach,
            Some(json!({ "title": format!("{title} lesson"), "body": "Text.", "estimated_minutes": 5 })),
        )
        .await
        .unwrap();
        assert_eq!(l.status(), 201);
        modules.push(id);
    }
    let published = send(Method::POST, format!("{base}/publish"), &teach, None)
        .await
        .unwrap();
    assert_eq!(published.status(), 200);

    let order = format!("{base}/module-order");
    let refused = |body: Value, code: &'static str| {
        let send = &send;
        let (order, teach) = (order.clone(), teach.clone());
        async move {
            let r = send(Method::PUT, order, &teach, Some(body)).await.unwrap();
            let body = problem(r, 422, "validation_failed").await;
            assert_eq!(body["errors"][0]["field"], "modules", "{body}");
            assert_eq!(body["errors"][0]["code"], code, "{body}");
        }
    };
    refused(
        json!({ "modules": [modules[2], modules[0]] }),
        "missing_item",
    )
    .await;
    refused(
        json!({ "modules": [modules[2], modules[0], modules[0]] }),
        "duplicate_item",
    )
    .await;
    refused(
        json!({ "modules": [modules[2], modules[0], modules[1], uuid::Uuid::now_v7()] }),
        "unknown_item",
    )
    .await;
    let new_order = json!([modules[2], modules[0], modules[1]]);
    let done = send(
        Method::PUT,
        order.clone(),
        &teach,
        Some(json!({ "modules": new_order })),
    )
    .await
    .unwrap();
    assert_eq!(done.status(), 200);
    assert_eq!(json_of(done).await["modules"], new_order);

    let titles = |v: &Value| -> Vec<String> {
        v["modules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let outline = json_of(
        send(Method::GET, format!("{base}/outline"), &teach, None)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(titles(&outline), ["Third", "First", "Second"]);
    let content = json_of(
        send(Method::GET, format!("{base}/content"), &pupil, None)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        titles(&content),
        ["First", "Second", "Third"],
        "the published version keeps its order until the next publish"
    );
    send(Method::POST, format!("{base}/publish"), &teach, None)
        .await
        .unwrap();
    let content = json_of(
        send(Method::GET, format!("{base}/content"), &pupil, None)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(titles(&content), ["Third", "First", "Second"]);

    let trail = json_of(
        send(
            Method::GET,
            "/v1/audit?action=course.module_reorder".into(),
            &head,
            None,
        )
        .await
        .unwrap(),
    )
    .await;
    let items = trail["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{trail}");
    let diff: Value = serde_json::from_str(items[0]["diff"].as_str().unwrap()).unwrap();
    assert_eq!(diff["before"], json!(modules));
    assert_eq!(diff["after"], new_order);

    // Learners cannot reorder; an archived course accepts no reordering.
    problem(
        send(
            Method::PUT,
            order.clone(),
            &pupil,
            Some(json!({ "modules": new_order })),
        )
        .await
        .unwrap(),
        403,
        "forbidden",
    )
    .await;
    send(Method::POST, format!("{base}/archive"), &teach, None)
        .await
        .unwrap();
    problem(
        send(
            Method::PUT,
            order,
            &teach,
            Some(json!({ "modules": new_order })),
        )
        .await
        .unwrap(),
        409,
        "course_archived",
    )
    .await;
}
