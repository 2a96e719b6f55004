//! Enrolment, cohorts and progress end to end: self-enrolment and withdrawal, assignment
//! of users and cohorts (all or nothing), tenant isolation, cohort administration,
//! lesson progress, "my courses", the class report, and the audit trail.
//!
//! The test server runs on the system clock, so time credit is asserted only where it is
//! deterministic: a first report is capped, and a repeat moments later adds at most the
//! seconds that really passed.

use crate::auth::{PW, signed, token_of};
use crate::harness::{TestApp, problem};
use nexus_domain::TenantId;
use nexus_domain::learning::progress::MAX_REPORT_SECONDS;
use nexus_domain::user::Role;
use reqwest::Method;
use serde_json::{Value, json};

const SCHOOL: &str = "school";

/// A request to the school; the future owns what it needs, so closures can return it.
pub(crate) fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> impl Future<Output = reqwest::Response> + use<> {
    send_to(app, SCHOOL, method, path, token, body)
}

pub(crate) fn send_to(
    app: &TestApp,
    slug: &str,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> impl Future<Output = reqwest::Response> + use<> {
    let mut req = signed(app, method, path, slug, token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    async move { req.send().await.unwrap() }
}

/// Asserts the status and returns the JSON body (`Null` when empty).
pub(crate) async fn expect(resp: reqwest::Response, status: u16) -> Value {
    let got = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    assert_eq!(got, status, "{text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    }
}

/// The `errors[].field` paths of a 422.
pub(crate) async fn invalid_fields(resp: reqwest::Response) -> Vec<(String, String)> {
    let body = problem(resp, 422, "validation_failed").await;
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Creates an account and returns `(tenant, user id, session token)`.
pub(crate) async fn person(
    app: &TestApp,
    slug: &str,
    email: &str,
    role: Role,
) -> (TenantId, String, String) {
    let tenant = app.user(slug, email, PW, role).await;
    let users = app
        .wired
        .services
        .accounts
        .list(
            &nexus_app::Caller::system(),
            tenant,
            &nexus_domain::user::UserQuery {
                search: Some(email.to_owned()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let (token, _, _) = token_of(app.login(slug, email, PW, None).await).await;
    (tenant, users.items[0].id.to_string(), token)
}

/// A course with `lessons` lessons over two modules (the last lesson in the second), and
/// published unless `publish` is false. Returns its path and lesson IDs in course order.
pub(crate) async fn course(
    app: &TestApp,
    token: &str,
    self_enrol: bool,
    lessons: usize,
    publish: bool,
) -> (String, Vec<String>) {
    let c = expect(
        send(
            app,
            Method::POST,
            "/v1/courses",
            token,
            Some(json!({ "title": "Money basics", "level": "beginner", "estimated_minutes": 30, "self_enrol": self_enrol })),
        )
        .await,
        201,
    )
    .await;
    let base = format!("/v1/courses/{}", c["id"].as_str().unwrap());
    let mut modules = Vec::new();
    for title in ["Saving", "Spending"] {
        let m = expect(
            send(
                app,
                Method::POST,
                &format!("{base}/modules"),
                token,
                Some(json!({ "title": title })),
            )
            .await,
            201,
        )
        .await;
        modules.push(m["id"].as_str().unwrap().to_owned());
    }
    let mut ids = Vec::new();
    for i in 0..lessons {
        let module = if i + 1 == lessons {
            &modules[1]
        } else {
            &modules[0]
        };
        let l = expect(
            send(
                app,
                Method::POST,
                &format!("{base}/modules/{module}/lessons"),
                token,
                Some(json!({ "title": format!("Lesson {i}"), "body": "Text.", "estimated_minutes": 5 })),
            )
            .await,
            201,
        )
        .await;
        ids.push(l["id"].as_str().unwrap().to_owned());
    }
    if publish {
        expect(
            send(app, Method::POST, &format!("{base}/publish"), token, None).await,
            200,
        )
        .await;
    }
    (base, ids)
}

/// Audit actions of the school's trail in `family` (e.g. `cohort.`), oldest first.
pub(crate) async fn audited(app: &TestApp, admin: &str, family: &str) -> Vec<(String, Value)> {
    let trail = expect(
        send(
            app,
            Method::GET,
            &format!("/v1/audit?action={family}&limit=100"),
            admin,
            None,
        )
        .await,
        200,
    )
    .await;
    let mut out: Vec<(String, Value)> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["diff"]
                    .as_str()
                    .map_or(Value::Null, |d| serde_json::from_str(d).unwrap()),
            )
        })
        .collect();
    out.reverse();
    out
}

#[tokio::test]
async fn learners_enrol_themselves_only_where_a_published_course_allows_it() {
    let app = TestApp::spawn().await;
    let (_, _, teach) = person(&app, SCHOOL, "teach@school.example", Role::Instructor).await;
    let (_, ana_id, ana) = person(&app, SCHOOL, "ana@school.example", Role::Learner).await;
    let (open, lessons) = course(&app, &teach, true, 2, true).await;
    let (closed, _) = course(&app, &teach, false, 1, true).await;
    let (draft, _) = course(&app, &teach, true, 1, false).await;

    let first = expect(
        send(&app, Method::POST, &format!("{open}/enrolment"), &ana, None).await,
        201,
    )
    .await;
    assert_eq!(
        (first["user"].as_str(), first["source"].as_str()),
        (Some(ana_id.as_str()), Some("self_enrolled"))
    );
    let again = expect(
        send(&app, Method::POST, &format!("{open}/enrolment"), &ana, None).await,
        200,
    )
    .await;
    assert_eq!(
        again, first,
        "idempotent: the existing enrolment comes back"
    );

    problem(
        send(
            &app,
            Method::POST,
            &format!("{closed}/enrolment"),
            &ana,
            None,
        )
        .await,
        409,
        "self_enrolment_closed",
    )
    .await;
    problem(
        send(
            &app,
            Method::POST,
            &format!("{draft}/enrolment"),
            &ana,
            None,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    // Opening the draft's metadata does not open the published course until republished.
    expect(
        send(
            &app,
            Method::PATCH,
            &closed,
            &teach,
            Some(json!({ "title": "Money basics", "level": "beginner", "estimated_minutes": 30, "self_enrol": true })),
        )
        .await,
        200,
    )
    .await;
    problem(
        send(
            &app,
            Method::POST,
            &format!("{closed}/enrolment"),
            &ana,
            None,
        )
        .await,
        409,
        "self_enrolment_closed",
    )
    .await;
    problem(
        send(
            &app,
            Method::POST,
            "/v1/courses/not-an-id/enrolment",
            &ana,
            None,
        )
        .await,
        404,
        "not_found",
    )
    .await;

    // Withdrawing takes the progress with it: re-enrolling starts afresh.
    expect(
        send(
            &app,
            Method::POST,
            &format!("{open}/lessons/{}/progress", lessons[0]),
            &ana,
            Some(json!({ "seconds": 60, "completed": true })),
        )
        .await,
        200,
    )
    .await;
    expect(
        send(
            &app,
            Method::DELETE,
            &format!("{open}/enrolment"),
            &ana,
            None,
        )
        .await,
        204,
    )
    .await;
    problem(
        send(
            &app,
            Method::DELETE,
            &format!("{open}/enrolment"),
            &ana,
            None,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    problem(
        send(&app, Method::GET, &format!("{open}/progress"), &ana, None).await,
        409,
        "not_enrolled",
    )
    .await;
    expect(
        send(&app, Method::POST, &format!("{open}/enrolment"), &ana, None).await,
        201,
    )
    .await;
    let fresh = expect(
        send(&app, Method::GET, &format!("{open}/progress"), &ana, None).await,
        200,
    )
    .await;
    assert_eq!(fresh["course"]["lessons_completed"], 0, "{fresh}");
    assert_eq!(fresh["lessons"], json!([]));

    // An assigned enrolment is not the learner's to drop.
    expect(
        send(
            &app,
            Method::POST,
            &format!("{closed}/enrolments"),
            &teach,
            Some(json!({ "user_ids": [ana_id] })),
        )
        .await,
        200,
    )
    .await;
    problem(
        send(
            &app,
            Method::DELETE,
            &format!("{closed}/enrolment"),
            &ana,
            None,
        )
        .await,
        409,
        "enrolment_assigned",
    )
    .await;
}

#[tokio::test]
async fn assignment_is_all_or_nothing_and_a_cohort_enrols_its_learners() {
    let app = TestApp::spawn().await;
    let (_, teach_id, teach) = person(&app, SCHOOL, "teach@school.example", Role::Instructor).await;
    let (_, _, admin) = person(&app, SCHOOL, "admin@school.example", Role::Admin).await;
    let (_, ana_id, _) = person(&app, SCHOOL, "ana@school.example", Role::Learner).await;
    let (_, bo_id, _) = person(&app, SCHOOL, "bo@school.example", Role::Learner).await;
    let (_, cy_id, cy) = person(&app, SCHOOL, "cy@school.example", Role::Learner).await;
    let (_, stranger_id, _) = person(&app, "other", "dee@other.example", Role::Learner).await;
    let (path, _) = course(&app, &teach, false, 1, true).await;
    let assign = |body: Value| {
        send(
            &app,
            Method::POST,
            &format!("{path}/enrolments"),
            &teach,
            Some(body),
        )
    };
    let roster = || {
        send(
            &app,
            Method::GET,
            &format!("{path}/enrolments"),
            &teach,
            None,
        )
    };

    // Every bad ID at once, and nothing enrolled: not even the good one.
    let unknown = uuid::Uuid::now_v7().to_string();
    let refused = assign(json!({ "user_ids": [ana_id, unknown, stranger_id] })).await;
    assert_eq!(
        invalid_fields(refused).await,
        [
            ("user_ids[1]".to_owned(), "unknown_user".to_owned()),
            ("user_ids[2]".to_owned(), "unknown_user".to_owned()),
        ],
        "another tenant's user is unknown here"
    );
    assert_eq!(expect(roster().await, 200).await["total"], 0);
    assert_eq!(
        invalid_fields(assign(json!({ "user_ids": ["nope", ana_id], "cohort_id": "x" })).await)
            .await,
        [
            ("user_ids[0]".to_owned(), "format".to_owned()),
            ("cohort_id".to_owned(), "format".to_owned()),
        ]
    );
    assert_eq!(
        invalid_fields(assign(json!({})).await).await,
        [("user_ids".to_owned(), "required".to_owned())]
    );
    let too_many: Vec<String> = (0..=nexus_domain::learning::enrolment::MAX_BATCH)
        .map(|_| uuid::Uuid::now_v7().to_string())
        .collect();
    assert_eq!(
        invalid_fields(assign(json!({ "user_ids": too_many })).await).await,
        [("user_ids".to_owned(), "too_many".to_owned())]
    );
    assert_eq!(
        invalid_fields(assign(json!({ "cohort_id": uuid::Uuid::now_v7() })).await).await,
        [("cohort_id".to_owned(), "unknown_cohort".to_owned())]
    );
    assert_eq!(
        invalid_fields(
            assign(json!({ "user_ids": [unknown], "cohort_id": uuid::Uuid::now_v7() })).await
        )
        .await,
        [
            ("user_ids[0]".to_owned(), "unknown_user".to_owned()),
            ("cohort_id".to_owned(), "unknown_cohort".to_owned()),
        ],
        "in the order of the request's fields"
    );
    problem(
        send(
            &app,
            Method::POST,
            &format!("{path}/enrolments"),
            &cy,
            Some(json!({ "user_ids": [cy_id] })),
        )
        .await,
        403,
        "forbidden",
    )
    .await;

    // A cohort enrols its learners, not its instructors; a listed user counts once.
    let cohort = expect(
        send(
            &app,
            Method::POST,
            "/v1/cohorts",
            &teach,
            Some(json!({ "name": "Class 9B" })),
        )
        .await,
        201,
    )
    .await;
    let cohort_id = cohort["id"].as_str().unwrap().to_owned();
    for (user, role) in [
        (&ana_id, "learner"),
        (&bo_id, "learner"),
        (&teach_id, "instructor"),
    ] {
        expect(
            send(
                &app,
                Method::PUT,
                &format!("/v1/cohorts/{cohort_id}/members/{user}"),
                &teach,
                Some(json!({ "role": role })),
            )
            .await,
            200,
        )
        .await;
    }
    let done = expect(
        assign(json!({ "user_ids": [cy_id, ana_id], "cohort_id": cohort_id })).await,
        200,
    )
    .await;
    assert_eq!(done, json!({ "enrolled": 3, "already_enrolled": 0 }));
    let listed = expect(roster().await, 200).await;
    assert_eq!(listed["total"], 3, "{listed}");
    let by_user = |id: &str| {
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["user"] == id)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(
        by_user(&ana_id)["source"],
        "assigned",
        "listed wins over the cohort"
    );
    assert_eq!(by_user(&bo_id)["source"], "cohort");
    assert_eq!(by_user(&bo_id)["cohort"], cohort_id.as_str());
    assert_eq!(by_user(&bo_id)["assigned_by"], teach_id.as_str());
    assert_eq!(by_user(&cy_id)["source"], "assigned");
    assert_eq!(
        by_user(&teach_id),
        Value::Null,
        "instructors are not enrolled"
    );
    let paged = expect(
        send(
            &app,
            Method::GET,
            &format!("{path}/enrolments?limit=1&offset=1"),
            &teach,
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (
            paged["total"].as_u64(),
            paged["items"].as_array().unwrap().len()
        ),
        (Some(3), 1)
    );

    let again = expect(assign(json!({ "cohort_id": cohort_id })).await, 200).await;
    assert_eq!(again, json!({ "enrolled": 0, "already_enrolled": 2 }));

    // Removing: 204, then 404; the learner is gone from the roster.
    let unassign = format!("{path}/enrolments/{bo_id}");
    expect(
        send(&app, Method::DELETE, &unassign, &teach, None).await,
        204,
    )
    .await;
    problem(
        send(&app, Method::DELETE, &unassign, &teach, None).await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(expect(roster().await, 200).await["total"], 2);

    // An archived course takes no new learners.
    expect(
        send(&app, Method::POST, &format!("{path}/archive"), &teach, None).await,
        200,
    )
    .await;
    problem(
        assign(json!({ "user_ids": [bo_id] })).await,
        409,
        "course_archived",
    )
    .await;

    // One audit record per assignment, with the counts and who; one per removal.
    let trail = audited(&app, &admin, "course.").await;
    let enrolment_actions: Vec<&(String, Value)> = trail
        .iter()
        .filter(|(a, _)| a == "course.assign" || a == "course.unassign")
        .collect();
    assert_eq!(
        enrolment_actions
            .iter()
            .map(|(a, _)| a.as_str())
            .collect::<Vec<_>>(),
        ["course.assign", "course.assign", "course.unassign"]
    );
    let first = &enrolment_actions[0].1;
    assert_eq!(
        (
            first["enrolled"].as_u64(),
            first["already_enrolled"].as_u64()
        ),
        (Some(3), Some(0))
    );
    assert_eq!(first["user_ids"].as_array().unwrap().len(), 3);
    assert_eq!(first["cohort"], cohort_id.as_str());
    assert_eq!(enrolment_actions[2].1["before"]["user"], bo_id.as_str());
}

#[tokio::test]
async fn other_tenants_can_neither_see_nor_enrol_nor_join() {
    let app = TestApp::spawn().await;
    let (_, _, teach) = person(&app, SCHOOL, "teach@school.example", Role::Instructor).await;
    let (_, ana_id, _) = person(&app, SCHOOL, "ana@school.example", Role::Learner).await;
    let (_, dee_id, dee) = person(&app, "other", "dee@other.example", Role::Learner).await;
    let (_, _, boss) = person(&app, "other", "boss@other.example", Role::Admin).await;
    let (path, lessons) = course(&app, &teach, true, 1, true).await;
    let cohort = expect(
        send(
            &app,
            Method::POST,
            "/v1/cohorts",
            &teach,
            Some(json!({ "name": "Class 9B" })),
        )
        .await,
        201,
    )
    .await;
    let cohort_path = format!("/v1/cohorts/{}", cohort["id"].as_str().unwrap());
    let other = |method: Method, p: &str, token: &str, body: Option<Value>| {
        send_to(&app, "other", method, p, token, body)
    };

    problem(
        other(Method::POST, &format!("{path}/enrolment"), &dee, None).await,
        404,
        "not_found",
    )
    .await;
    problem(
        other(
            Method::POST,
            &format!("{path}/lessons/{}/progress", lessons[0]),
            &dee,
            Some(json!({ "seconds": 1 })),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    problem(
        other(Method::GET, &format!("{path}/enrolments"), &boss, None).await,
        404,
        "not_found",
    )
    .await;
    problem(
        other(
            Method::POST,
            &format!("{path}/enrolments"),
            &boss,
            Some(json!({ "user_ids": [dee_id] })),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    problem(
        other(Method::GET, &cohort_path, &boss, None).await,
        404,
        "not_found",
    )
    .await;
    problem(
        other(
            Method::PUT,
            &format!("{cohort_path}/members/{dee_id}"),
            &boss,
            Some(json!({ "role": "learner" })),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let listed = expect(other(Method::GET, "/v1/cohorts", &boss, None).await, 200).await;
    assert_eq!(listed["total"], 0);

    // Nor can the school reach the other tenant's people.
    problem(
        send(
            &app,
            Method::PUT,
            &format!("{cohort_path}/members/{dee_id}"),
            &teach,
            Some(json!({ "role": "learner" })),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    // The other tenant's own cohort cannot take the school's learner either.
    let theirs = expect(
        other(
            Method::POST,
            "/v1/cohorts",
            &boss,
            Some(json!({ "name": "Class 9B" })),
        )
        .await,
        201,
    )
    .await;
    problem(
        other(
            Method::PUT,
            &format!(
                "/v1/cohorts/{}/members/{ana_id}",
                theirs["id"].as_str().unwrap()
            ),
            &boss,
            Some(json!({ "role": "learner" })),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let mine = expect(
        other(Method::GET, "/v1/me/enrolments", &dee, None).await,
        200,
    )
    .await;
    assert_eq!(mine["total"], 0);
}

#[tokio::test]
async fn cohorts_are_named_uniquely_and_hold_learners_and_instructors() {
    let app = TestApp::spawn().await;
    let (_, teach_id, teach) = person(&app, SCHOOL, "teach@school.example", Role::Instructor).await;
    let (_, _, admin) = person(&app, SCHOOL, "admin@school.example", Role::Admin).await;
    let (_, ana_id, ana) = person(&app, SCHOOL, "ana@school.example", Role::Learner).await;
    let (_, _, bo) = person(&app, SCHOOL, "bo@school.example", Role::Learner).await;

    let create = |name: &str| {
        send(
            &app,
            Method::POST,
            "/v1/cohorts",
            &teach,
            Some(json!({ "name": name })),
        )
    };
    let nine_b = expect(create("  Class 9B ").await, 201).await;
    assert_eq!(nine_b["name"], "Class 9B", "trimmed");
    problem(create("class 9b").await, 409, "cohort_name_taken").await;
    assert_eq!(
        invalid_fields(create("   ").await).await,
        [("name".to_owned(), "length".to_owned())]
    );
    let nine_a = expect(create("Class 9A").await, 201).await;
    let path = format!("/v1/cohorts/{}", nine_b["id"].as_str().unwrap());
    let other_path = format!("/v1/cohorts/{}", nine_a["id"].as_str().unwrap());
    problem(
        send(
            &app,
            Method::PATCH,
            &other_path,
            &teach,
            Some(json!({ "name": "CLASS 9B" })),
        )
        .await,
        409,
        "cohort_name_taken",
    )
    .await;
    let renamed = expect(
        send(
            &app,
            Method::PATCH,
            &other_path,
            &teach,
            Some(json!({ "name": "Class 9A (2026)" })),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(renamed["name"], "Class 9A (2026)");
    let page = expect(
        send(&app, Method::GET, "/v1/cohorts?limit=1", &teach, None).await,
        200,
    )
    .await;
    assert_eq!(
        (
            page["total"].as_u64(),
            page["items"][0]["name"].as_str(),
            page["limit"].as_u64()
        ),
        (Some(2), Some("Class 9A (2026)"), Some(1))
    );
    problem(
        send(&app, Method::GET, "/v1/cohorts", &ana, None).await,
        403,
        "forbidden",
    )
    .await;
    problem(
        send(
            &app,
            Method::POST,
            "/v1/cohorts",
            &ana,
            Some(json!({ "name": "Mine" })),
        )
        .await,
        403,
        "forbidden",
    )
    .await;

    // Members: add, change a role in place, filter by role, remove.
    let member = |user: &str| format!("{path}/members/{user}");
    let put = |user: String, role: &str| {
        send(
            &app,
            Method::PUT,
            &member(&user),
            &teach,
            Some(json!({ "role": role })),
        )
    };
    let added = expect(put(ana_id.clone(), "learner").await, 200).await;
    assert_eq!(
        (added["user"].as_str(), added["role"].as_str()),
        (Some(ana_id.as_str()), Some("learner"))
    );
    expect(put(teach_id.clone(), "learner").await, 200).await;
    expect(put(teach_id.clone(), "instructor").await, 200).await;
    assert_eq!(
        invalid_fields(put(ana_id.clone(), "teacher").await).await,
        [("role".to_owned(), "unknown_value".to_owned())]
    );
    problem(
        put(uuid::Uuid::now_v7().to_string(), "learner").await,
        404,
        "not_found",
    )
    .await;
    problem(
        send(
            &app,
            Method::PUT,
            &format!("/v1/cohorts/{}/members/{ana_id}", uuid::Uuid::now_v7()),
            &teach,
            Some(json!({ "role": "learner" })),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let all = expect(
        send(&app, Method::GET, &format!("{path}/members"), &teach, None).await,
        200,
    )
    .await;
    let roles: Vec<(&str, &str)> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["user"].as_str().unwrap(), m["role"].as_str().unwrap()))
        .collect();
    assert_eq!(
        roles,
        [
            (ana_id.as_str(), "learner"),
            (teach_id.as_str(), "instructor")
        ]
    );
    let instructors = expect(
        send(
            &app,
            Method::GET,
            &format!("{path}/members?role=instructor"),
            &teach,
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(instructors["total"], 1);
    assert_eq!(
        invalid_fields(
            send(
                &app,
                Method::GET,
                &format!("{path}/members?role=x&limit=0"),
                &teach,
                None
            )
            .await
        )
        .await,
        [
            ("role".to_owned(), "unknown_value".to_owned()),
            ("limit".to_owned(), "out_of_range".to_owned())
        ]
    );

    // A member reads their own cohort, not its roster; a non-member reads neither.
    let own = expect(send(&app, Method::GET, &path, &ana, None).await, 200).await;
    assert_eq!(own["name"], "Class 9B");
    problem(
        send(&app, Method::GET, &format!("{path}/members"), &ana, None).await,
        403,
        "forbidden",
    )
    .await;
    problem(
        send(&app, Method::GET, &path, &bo, None).await,
        403,
        "forbidden",
    )
    .await;
    problem(
        send(&app, Method::GET, "/v1/cohorts/not-an-id", &teach, None).await,
        404,
        "not_found",
    )
    .await;

    expect(
        send(&app, Method::DELETE, &member(&ana_id), &teach, None).await,
        204,
    )
    .await;
    problem(
        send(&app, Method::DELETE, &member(&ana_id), &teach, None).await,
        404,
        "not_found",
    )
    .await;
    problem(
        send(&app, Method::GET, &path, &ana, None).await,
        403,
        "forbidden",
    )
    .await;

    expect(send(&app, Method::DELETE, &path, &teach, None).await, 204).await;
    problem(
        send(&app, Method::GET, &path, &teach, None).await,
        404,
        "not_found",
    )
    .await;
    problem(
        send(&app, Method::DELETE, &path, &teach, None).await,
        404,
        "not_found",
    )
    .await;

    // Every change is in the trail, in the order it happened.
    let trail = audited(&app, &admin, "cohort.").await;
    let actions: Vec<&str> = trail.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "cohort.create",
            "cohort.create",
            "cohort.rename",
            "cohort.member.put",
            "cohort.member.put",
            "cohort.member.put",
            "cohort.member.remove",
            "cohort.delete",
        ]
    );
    assert_eq!(trail[2].1["before"]["name"], "Class 9A");
    assert_eq!(trail[2].1["after"]["name"], "Class 9A (2026)");
    assert_eq!(trail[5].1["after"]["role"], "instructor");
}

#[tokio::test]
async fn progress_is_credited_within_bounds_and_completion_is_sticky() {
    let app = TestApp::spawn().await;
    let (_, _, teach) = person(&app, SCHOOL, "teach@school.example", Role::Instructor).await;
    let (_, _, ana) = person(&app, SCHOOL, "ana@school.example", Role::Learner).await;
    let (path, l) = course(&app, &teach, true, 3, true).await;
    let (draft, _) = course(&app, &teach, true, 1, false).await;
    let report = |lesson: &str, seconds: i64, completed: bool| {
        send(
            &app,
            Method::POST,
            &format!("{path}/lessons/{lesson}/progress"),
            &ana,
            Some(json!({ "seconds": seconds, "completed": completed })),
        )
    };

    problem(report(&l[0], 10, false).await, 409, "not_enrolled").await;
    problem(
        send(&app, Method::GET, &format!("{path}/progress"), &ana, None).await,
        409,
        "not_enrolled",
    )
    .await;
    problem(
        send(&app, Method::GET, &format!("{draft}/progress"), &ana, None).await,
        404,
        "not_found",
    )
    .await;
    expect(
        send(&app, Method::POST, &format!("{path}/enrolment"), &ana, None).await,
        201,
    )
    .await;

    // A lesson added to the draft after publishing is not there for learners yet.
    let outline = expect(
        send(&app, Method::GET, &format!("{path}/outline"), &teach, None).await,
        200,
    )
    .await;
    let module = outline["modules"][0]["id"].as_str().unwrap().to_owned();
    let unpublished = expect(
        send(
            &app,
            Method::POST,
            &format!("{path}/modules/{module}/lessons"),
            &teach,
            Some(json!({ "title": "Later", "estimated_minutes": 5 })),
        )
        .await,
        201,
    )
    .await;
    problem(
        report(unpublished["id"].as_str().unwrap(), 10, false).await,
        404,
        "not_found",
    )
    .await;
    problem(
        report(&uuid::Uuid::now_v7().to_string(), 10, false).await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        invalid_fields(report(&l[0], 86_401, false).await).await,
        [("seconds".to_owned(), "out_of_range".to_owned())]
    );
    assert_eq!(
        invalid_fields(report(&l[0], -1, false).await).await,
        [("seconds".to_owned(), "out_of_range".to_owned())]
    );

    // A first report is capped; a repeat moments later adds only the time that passed.
    let started = std::time::Instant::now();
    let first = expect(report(&l[0], 5_000, false).await, 200).await;
    assert_eq!(first["lesson"]["seconds_spent"], MAX_REPORT_SECONDS);
    assert_eq!(first["newly_completed"], false);
    let second = expect(report(&l[0], 86_400, false).await, 200).await;
    let credited = second["lesson"]["seconds_spent"].as_u64().unwrap();
    let passed = started.elapsed().as_secs() + 1;
    assert!(
        (u64::from(MAX_REPORT_SECONDS)..=u64::from(MAX_REPORT_SECONDS) + passed)
            .contains(&credited),
        "credited {credited} s after {passed} s"
    );

    // Completion: newly_completed exactly once, and never undone.
    let done = expect(report(&l[0], 0, true).await, 200).await;
    assert_eq!(done["newly_completed"], true);
    assert_eq!(done["lesson"]["completed"], true);
    let completed_at = done["lesson"]["completed_at"].clone();
    let standing = &done["course"];
    assert_eq!(
        (
            standing["lessons_total"].as_u64(),
            standing["lessons_completed"].as_u64(),
            standing["percent"].as_u64()
        ),
        (Some(3), Some(1), Some(33))
    );
    assert_eq!(standing["resume"], l[1].as_str());
    let again = expect(report(&l[0], 0, true).await, 200).await;
    assert_eq!(again["newly_completed"], false);
    let reread = expect(report(&l[0], 0, false).await, 200).await;
    assert_eq!(reread["lesson"]["completed"], true, "sticky");
    assert_eq!(reread["lesson"]["completed_at"], completed_at);

    // Finishing the last lesson first: resume wraps round to the gap.
    let third = expect(report(&l[2], 30, true).await, 200).await;
    assert_eq!(third["course"]["percent"], 66);
    assert_eq!(third["course"]["resume"], l[1].as_str());
    let all = expect(report(&l[1], 30, true).await, 200).await;
    assert_eq!(all["course"]["percent"], 100);
    assert_eq!(all["course"]["resume"], Value::Null);

    let mine = expect(
        send(&app, Method::GET, &format!("{path}/progress"), &ana, None).await,
        200,
    )
    .await;
    assert_eq!(mine["available"], true);
    assert_eq!(mine["course"]["lessons_completed"], 3);
    let order: Vec<&str> = mine["lessons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["lesson"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        [l[0].as_str(), l[1].as_str(), l[2].as_str()],
        "in course order"
    );

    // My courses show the progress; once unpublished, what is known is kept.
    let (second_course, _) = course(&app, &teach, true, 2, true).await;
    expect(
        send(
            &app,
            Method::POST,
            &format!("{second_course}/enrolment"),
            &ana,
            None,
        )
        .await,
        201,
    )
    .await;
    let courses = expect(
        send(&app, Method::GET, "/v1/me/enrolments", &ana, None).await,
        200,
    )
    .await;
    assert_eq!(courses["total"], 2);
    assert_eq!(
        courses["items"][0]["course"],
        second_course.trim_start_matches("/v1/courses/"),
        "newest first"
    );
    assert_eq!(courses["items"][0]["progress"]["percent"], 0);
    assert_eq!(courses["items"][1]["title"], "Money basics");
    assert_eq!(courses["items"][1]["progress"]["percent"], 100);
    assert_eq!(courses["items"][1]["available"], true);
    expect(
        send(
            &app,
            Method::POST,
            &format!("{path}/unpublish"),
            &teach,
            None,
        )
        .await,
        200,
    )
    .await;
    let courses = expect(
        send(
            &app,
            Method::GET,
            "/v1/me/enrolments?limit=1&offset=1",
            &ana,
            None,
        )
        .await,
        200,
    )
    .await;
    let item = &courses["items"][0];
    assert_eq!(
        (
            item["available"].as_bool(),
            item["progress"]["lessons_total"].as_u64(),
            item["progress"]["percent"].as_u64()
        ),
        (Some(false), Some(3), Some(100))
    );
    problem(report(&l[0], 1, false).await, 404, "not_found").await;
    let kept = expect(
        send(&app, Method::GET, &format!("{path}/progress"), &ana, None).await,
        200,
    )
    .await;
    assert_eq!(
        (
            kept["available"].as_bool(),
            kept["course"]["percent"].as_u64()
        ),
        (Some(false), Some(100))
    );
}

#[tokio::test]
async fn the_class_report_shows_each_learner_member() {
    let app = TestApp::spawn().await;
    let (_, teach_id, teach) = person(&app, SCHOOL, "teach@school.example", Role::Instructor).await;
    let (_, ana_id, ana) = person(&app, SCHOOL, "ana@school.example", Role::Learner).await;
    let (_, bo_id, _) = person(&app, SCHOOL, "bo@school.example", Role::Learner).await;
    let (path, l) = course(&app, &teach, false, 2, true).await;
    let course_id = path.trim_start_matches("/v1/courses/").to_owned();
    let cohort = expect(
        send(
            &app,
            Method::POST,
            "/v1/cohorts",
            &teach,
            Some(json!({ "name": "Class 9B" })),
        )
        .await,
        201,
    )
    .await;
    let cohort_path = format!("/v1/cohorts/{}", cohort["id"].as_str().unwrap());
    for (user, role) in [
        (&ana_id, "learner"),
        (&teach_id, "instructor"),
        (&bo_id, "learner"),
    ] {
        expect(
            send(
                &app,
                Method::PUT,
                &format!("{cohort_path}/members/{user}"),
                &teach,
                Some(json!({ "role": role })),
            )
            .await,
            200,
        )
        .await;
    }
    expect(
        send(
            &app,
            Method::POST,
            &format!("{path}/enrolments"),
            &teach,
            Some(json!({ "user_ids": [ana_id] })),
        )
        .await,
        200,
    )
    .await;
    expect(
        send(
            &app,
            Method::POST,
            &format!("{path}/lessons/{}/progress", l[0]),
            &ana,
            Some(json!({ "seconds": 120, "completed": true })),
        )
        .await,
        200,
    )
    .await;

    let report = expect(
        send(
            &app,
            Method::GET,
            &format!("{cohort_path}/progress?course={course_id}"),
            &teach,
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(report["total"], 2, "learners only: {report}");
    let rows = report["items"].as_array().unwrap();
    assert_eq!(rows[0]["user"], ana_id.as_str());
    assert_eq!(rows[0]["display_name"], "Test User");
    assert_eq!(rows[0]["enrolled"], true);
    assert_eq!(rows[0]["progress"]["percent"], 50);
    assert_eq!(rows[0]["progress"]["seconds_spent"], 120);
    assert_eq!(rows[1]["user"], bo_id.as_str());
    assert_eq!(rows[1]["enrolled"], false);
    assert_eq!(
        (
            rows[1]["progress"]["percent"].as_u64(),
            rows[1]["progress"]["lessons_total"].as_u64()
        ),
        (Some(0), Some(2))
    );
    let window = expect(
        send(
            &app,
            Method::GET,
            &format!("{cohort_path}/progress?course={course_id}&limit=1&offset=1"),
            &teach,
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (
            window["total"].as_u64(),
            window["items"][0]["user"].as_str()
        ),
        (Some(2), Some(bo_id.as_str()))
    );

    assert_eq!(
        invalid_fields(
            send(
                &app,
                Method::GET,
                &format!("{cohort_path}/progress"),
                &teach,
                None
            )
            .await
        )
        .await,
        [("course".to_owned(), "required".to_owned())]
    );
    problem(
        send(
            &app,
            Method::GET,
            &format!("{cohort_path}/progress?course={}", uuid::Uuid::now_v7()),
            &teach,
            None,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    problem(
        send(
            &app,
            Method::GET,
            &format!("{cohort_path}/progress?course={course_id}"),
            &ana,
            None,
        )
        .await,
        403,
        "forbidden",
    )
    .await;
}
