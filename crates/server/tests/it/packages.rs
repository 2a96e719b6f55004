//! Course packages end to end: the curriculum and a package using every option
//! round-trip through import and export unchanged; a malformed package is refused with
//! every error's path and imports nothing; a failure part-way through an import leaves
//! nothing behind; learners can neither export nor import.

use crate::auth::{PW, signed, token_of};
use crate::harness::{TestApp, TestDb, problem};
use nexus_domain::TenantId;
use nexus_domain::audit::AuditQuery;
use nexus_domain::user::Role;
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::Connection;

pub(crate) const CURRICULUM: &str =
    include_str!("../../../../curriculum/financial-literacy-101.json");

struct School {
    app: TestApp,
    tenant: TenantId,
    teach: String,
    pupil: String,
}

async fn school() -> School {
    let app = TestApp::spawn().await;
    let tenant = app
        .user("school", "teach@school.example", PW, Role::Instructor)
        .await;
    app.user("school", "pupil@school.example", PW, Role::Learner)
        .await;
    let (teach, _, _) = token_of(app.login("school", "teach@school.example", PW, None).await).await;
    let (pupil, _, _) = token_of(app.login("school", "pupil@school.example", PW, None).await).await;
    School {
        app,
        tenant,
        teach,
        pupil,
    }
}

impl School {
    async fn import(&self, body: &str) -> reqwest::Response {
        signed(
            &self.app,
            Method::POST,
            "/v1/courses/import",
            "school",
            &self.teach,
        )
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
    }

    /// Imports and returns the new course's ID.
    async fn imported(&self, body: &str) -> String {
        let resp = self.import(body).await;
        assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
        let course: Value = resp.json().await.unwrap();
        assert_eq!(course["status"], "draft");
        course["id"].as_str().unwrap().to_owned()
    }

    async fn export(&self, course: &str) -> Value {
        let path = format!("/v1/courses/{course}/export");
        let resp = signed(&self.app, Method::GET, &path, "school", &self.teach)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let header = |name: &str| resp.headers()[name].to_str().unwrap().to_owned();
        assert_eq!(header("content-type"), "application/json");
        assert!(header("content-disposition").starts_with("attachment; filename=\""));
        resp.json().await.unwrap()
    }

    async fn course_count(&self) -> u64 {
        let resp = signed(&self.app, Method::GET, "/v1/courses", "school", &self.teach)
            .send()
            .await
            .unwrap();
        resp.json::<Value>().await.unwrap()["total"]
            .as_u64()
            .unwrap()
    }
}

#[tokio::test]
async fn the_curriculum_round_trips_through_import_and_export_unchanged() {
    let s = school().await;
    let file: Value = serde_json::from_str(CURRICULUM).unwrap();
    let course = s.imported(CURRICULUM).await;
    let path = format!("/v1/courses/{course}/export");
    let resp = signed(&s.app, Method::GET, &path, "school", &s.teach)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers()["content-disposition"],
        "attachment; filename=\"financial-literacy-101.json\""
    );
    let first: Value = resp.json().await.unwrap();
    assert_eq!(
        first, file,
        "the export is the curriculum file, member for member"
    );

    // And again from the export: export → import → export is the identity.
    let again = s.imported(&first.to_string()).await;
    assert_ne!(again, course, "an import is always a new course");
    assert_eq!(s.export(&again).await, first);

    // One audit record per import, with counts rather than content.
    let q = AuditQuery {
        action: Some("course.import".into()),
        ..Default::default()
    };
    let events = s
        .app
        .wired
        .services
        .audit
        .list(Some(s.tenant), &q)
        .await
        .unwrap();
    assert_eq!(events.len(), 2);
    let diff: Value = serde_json::from_str(events[1].diff.as_deref().unwrap()).unwrap();
    assert_eq!(
        diff["after"],
        json!({"title": "Financial Literacy 101", "modules": 5, "lessons": 11, "banks": 5,
               "questions": 51, "quizzes": 5})
    );
    assert!(
        events[1].diff.as_deref().unwrap().len() < 1000,
        "no bodies in the trail"
    );
}

/// A package exercising every question type and quiz option, with two quizzes in one
/// module, an unused bank and markdown whose whitespace matters.
fn every_option() -> Value {
    json!({
        "schema": "finai-nexus/course-package", "schema_version": 1,
        "course": {"title": "Every option", "summary": "All of it.", "level": "advanced",
                   "estimated_minutes": 90, "tags": ["a-tag", "b-tag"], "self_enrol": true},
        "modules": [
            {"title": "One", "lessons": [
                {"title": "Code", "estimated_minutes": 1, "body": "    indented code\n\n* list  \n"},
                {"title": "Empty", "estimated_minutes": 600, "body": ""}
             ],
             "quizzes": [
                {"title": "Strict", "bank": "all-kinds", "draw": 3, "pass_mark_percent": 100,
                 "max_attempts": 1, "time_limit_minutes": 600,
                 "shuffle_questions": true, "shuffle_options": false},
                {"title": "Lenient", "bank": "all-kinds", "pass_mark_percent": 0,
                 "shuffle_questions": false, "shuffle_options": true}
             ]},
            {"title": "Two", "lessons": [], "quizzes": [
                {"title": "Numbers", "bank": "numbers", "draw": 1000, "pass_mark_percent": 70,
                 "max_attempts": 100, "shuffle_questions": false, "shuffle_options": false}
            ]}
        ],
        "banks": [
            {"key": "all-kinds", "title": "All kinds", "questions": [
                {"key": "single", "topic": "t-one", "prompt": "Pick **one**", "explanation": "",
                 "points": 10, "type": "single_choice", "options": ["A", "B", "C"], "answer": 2},
                {"key": "multi", "topic": "t-two", "prompt": "Pick some", "explanation": "Why",
                 "points": 3, "type": "multiple_select", "options": ["A", "B", "C", "D"], "answer": [0, 3]},
                {"key": "truth", "topic": "t-one", "prompt": "True?", "explanation": "Yes",
                 "points": 1, "type": "true_false", "answer": false},
                {"key": "order", "topic": "t-two", "prompt": "Order", "explanation": "So",
                 "points": 2, "type": "ordering", "items": ["First", "Second", "Third"]}
            ]},
            {"key": "numbers", "title": "Numbers", "questions": [
                {"key": "exact", "topic": "maths", "prompt": "2+2", "explanation": "",
                 "points": 1, "type": "numeric", "answer": 4},
                {"key": "close", "topic": "maths", "prompt": "A rate to two places", "explanation": "",
                 "points": 1, "type": "numeric", "answer": 4.37, "tolerance": 0.005},
                {"key": "whole-tolerance", "topic": "maths", "prompt": "big", "explanation": "",
                 "points": 1, "type": "numeric", "answer": 395_290.93, "tolerance": 10}
            ]},
            {"key": "unused", "title": "Unused", "questions": []}
        ]
    })
}

#[tokio::test]
async fn a_package_using_every_option_round_trips() {
    let s = school().await;
    let package = every_option();
    let course = s.imported(&package.to_string()).await;
    assert_eq!(s.export(&course).await, package);
}

#[tokio::test]
async fn a_malformed_package_lists_every_error_and_imports_nothing() {
    let s = school().await;
    let before = s.course_count().await;
    let mut bad = every_option();
    bad["course"]["level"] = json!("expert");
    bad["modules"][0]["title"] = json!("");
    bad["modules"][0]["lessons"][1]["estimated_minutes"] = json!(601);
    bad["modules"][0]["quizzes"][1]["bank"] = json!("missing");
    bad["modules"][1]["quizzes"][0]["time_limit_minutes"] = json!(0);
    bad["banks"][0]["questions"][1]["answer"] = json!([0, 9]);
    bad["banks"][1]["questions"][0]["options"] = json!(["x", "y"]);
    bad["banks"][2]["key"] = json!("All-Kinds");
    let body = problem(s.import(&bad.to_string()).await, 422, "validation_failed").await;
    let got: Vec<(&str, &str)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            ("course.level", "unknown_value"),
            ("banks[0].questions[1].answer[1]", "range"),
            ("banks[1].questions[0].options", "not_allowed"),
            ("banks[2].key", "duplicate"),
            ("modules[0].title", "length"),
            ("modules[0].lessons[1].estimated_minutes", "range"),
            ("modules[0].quizzes[1].bank", "unknown_bank"),
            ("modules[1].quizzes[0].time_limit_minutes", "range"),
        ]
    );

    // Another version is refused for its version, whatever its shape.
    let mut newer = every_option();
    newer["schema_version"] = json!(2);
    newer["glossary"] = json!([]);
    let body = problem(s.import(&newer.to_string()).await, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "schema_version");
    assert_eq!(body["errors"][0]["code"], "unsupported_version");
    // A member this version does not know is named by its path.
    let mut unknown = every_option();
    unknown["modules"][1]["lessons"] =
        json!([{"title": "L", "estimated_minutes": 5, "video": "x"}]);
    let body = problem(
        s.import(&unknown.to_string()).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["code"], "unknown_field");
    assert_eq!(body["errors"][0]["field"], "modules[1].lessons[0].video");
    // A wrong JSON type too.
    let mut typed = every_option();
    typed["modules"][0]["lessons"][0]["estimated_minutes"] = json!("five");
    let body = problem(s.import(&typed.to_string()).await, 422, "validation_failed").await;
    assert_eq!(
        body["errors"][0]["field"],
        "modules[0].lessons[0].estimated_minutes"
    );
    // Not JSON at all.
    problem(s.import("{\"schema\": ").await, 400, "malformed_request").await;

    assert_eq!(s.course_count().await, before, "nothing was half-imported");
}

/// Makes inserting quizzes fail (a real fault inside the real database: the last rows
/// an import writes, after its course, modules, lessons and banks), or heals it.
async fn quiz_fault(db: &TestDb, on: bool) {
    let sql = match (db.is_postgres(), on) {
        (true, true) => "revoke insert on quiz from nexus_app",
        (true, false) => "grant insert on quiz to nexus_app",
        (false, true) => {
            "create trigger quiz_fault before insert on quiz \
             begin select raise(abort, 'injected quiz fault'); end"
        }
        (false, false) => "drop trigger quiz_fault",
    };
    if db.is_postgres() {
        let mut c = sqlx::PgConnection::connect(db.url()).await.unwrap();
        sqlx::query(sql).execute(&mut c).await.unwrap();
    } else {
        let mut c = sqlx::SqliteConnection::connect(db.url()).await.unwrap();
        sqlx::query(sql).execute(&mut c).await.unwrap();
    }
}

/// Rows of the tables an import writes, counted as the schema owner (past RLS).
async fn rows(db: &TestDb) -> Vec<i64> {
    let mut out = Vec::new();
    for table in ["course", "course_module", "lesson", "question_bank", "quiz"] {
        let sql = format!("select count(*) from {table}");
        let n: i64 = if db.is_postgres() {
            let mut c = sqlx::PgConnection::connect(db.url()).await.unwrap();
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut c)
                .await
                .unwrap()
        } else {
            let mut c = sqlx::SqliteConnection::connect(db.url()).await.unwrap();
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut c)
                .await
                .unwrap()
        };
        out.push(n);
    }
    out
}

/// Every failure a parser can see is caught before anything is written, so the honest
/// way to fail mid-import is a real fault in the database: the quiz inserts (the last
/// rows written) are refused after the course, its modules, lessons and banks went in.
/// Nothing of them may remain, and no audit record may describe them.
#[tokio::test]
async fn a_failure_mid_import_leaves_nothing_behind() {
    let s = school().await;
    let db = s.app.db.as_ref().unwrap();
    assert_eq!(rows(db).await, [0, 0, 0, 0, 0]);
    quiz_fault(db, true).await;
    let body = problem(s.import(CURRICULUM).await, 500, "internal").await;
    assert!(!body.to_string().contains("quiz"), "{body}");
    assert_eq!(rows(db).await, [0, 0, 0, 0, 0], "nothing was half-imported");
    let q = AuditQuery {
        action: Some("course.".into()),
        ..Default::default()
    };
    let audit = &s.app.wired.services.audit;
    assert!(audit.list(Some(s.tenant), &q).await.unwrap().is_empty());

    quiz_fault(db, false).await;
    s.imported(CURRICULUM).await;
    assert_eq!(rows(db).await, [1, 5, 11, 5, 5]);
}

#[tokio::test]
async fn learners_can_neither_export_nor_import() {
    let s = school().await;
    let course = s.imported(CURRICULUM).await;
    let path = format!("/v1/courses/{course}/export");
    let resp = signed(&s.app, Method::GET, &path, "school", &s.pupil)
        .send()
        .await
        .unwrap();
    problem(resp, 403, "forbidden").await;
    let resp = signed(
        &s.app,
        Method::POST,
        "/v1/courses/import",
        "school",
        &s.pupil,
    )
    .header("content-type", "application/json")
    .body(CURRICULUM)
    .send()
    .await
    .unwrap();
    problem(resp, 403, "forbidden").await;
}
