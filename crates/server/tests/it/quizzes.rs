//! Quizzes end to end: authoring banks and quizzes, taking them with grading on the
//! server, time limits on the injected clock, attempt limits, mastery, and the
//! answer-leak check over every quiz response a learner receives before submitting.

use crate::auth::{PW, signed, token_of};
use crate::harness::{TestApp, problem};
use nexus_domain::user::Role;
use nexus_domain::{Clock, ManualClock, SystemClock, TenantId, UserId};
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;

/// Markers that must never reach a learner before submission.
const EXPLAIN: &str = "EXPLAIN-MARKER";
const NUMERIC_ANSWER: f64 = 7531.42;
const TOLERANCE: f64 = 0.0123;

fn bank() -> Value {
    json!({
        "key": "money",
        "title": "Money basics",
        "questions": [
            {"key": "needs", "topic": "budgeting", "prompt": "Which is a **need**?",
             "explanation": format!("{EXPLAIN} rent is a need"), "type": "single_choice",
             "options": ["Cinema", "Rent", "Concert"], "answer": 1},
            {"key": "saving", "topic": "saving", "prompt": "Pick the savings habits",
             "explanation": format!("{EXPLAIN} both habits"), "points": 2, "type": "multiple_select",
             "options": ["Pay yourself first", "Spend the rest first", "Automate transfers", "Skip budgeting"],
             "answer": [0, 2]},
            {"key": "fund", "topic": "saving", "prompt": "An emergency fund is for surprises.",
             "explanation": format!("{EXPLAIN} yes"), "type": "true_false", "answer": true},
            {"key": "growth", "topic": "compound-interest", "prompt": "Type the marker number.",
             "explanation": format!("{EXPLAIN} as given"), "type": "numeric",
             "answer": NUMERIC_ANSWER, "tolerance": TOLERANCE},
            {"key": "steps", "topic": "budgeting", "prompt": "Order the budgeting steps",
             "explanation": format!("{EXPLAIN} in this order"), "type": "ordering",
             "items": ["Track income", "List expenses", "Set limits", "Review monthly"]}
        ]
    })
}

/// The right response to a presented question, worked out from the bank above.
pub(crate) fn right(q: &Value) -> Value {
    let options: Vec<&str> = q["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_str().unwrap())
        .collect();
    let at = |text: &str| options.iter().position(|o| *o == text).unwrap();
    match q["type"].as_str().unwrap() {
        "single_choice" => json!({"type": "single_choice", "answer": at("Rent")}),
        "multiple_select" => {
            let mut picks = vec![at("Pay yourself first"), at("Automate transfers")];
            picks.sort_unstable();
            json!({"type": "multiple_select", "answer": picks})
        }
        "true_false" => json!({"type": "true_false", "answer": true}),
        "numeric" => json!({"type": "numeric", "answer": NUMERIC_ANSWER + TOLERANCE / 2.0}),
        "ordering" => {
            let order: Vec<usize> = [
                "Track income",
                "List expenses",
                "Set limits",
                "Review monthly",
            ]
            .iter()
            .map(|t| at(t))
            .collect();
            json!({"type": "ordering", "answer": order})
        }
        other => panic!("unexpected type {other}"),
    }
}

pub(crate) struct Class {
    pub(crate) app: TestApp,
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) teach: String,
    pub(crate) pupil: String,
    pub(crate) peer: String,
    pub(crate) tenant: TenantId,
    pub(crate) pupil_id: UserId,
    pub(crate) course: String,
    pub(crate) module: String,
    pub(crate) lesson: String,
}

pub(crate) async fn user_id(app: &TestApp, token: &str) -> UserId {
    let me: Value = signed(app, Method::GET, "/v1/auth/session", "school", token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    me["user"]["id"]
        .as_str()
        .or(me["user_id"].as_str())
        .unwrap()
        .parse()
        .unwrap()
}

pub(crate) async fn enrol(c: &Class, token: &str) {
    let path = format!("/v1/courses/{}/enrolment", c.course);
    let resp = signed(&c.app, Method::POST, &path, "school", token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
}

pub(crate) async fn class() -> Class {
    class_with(&[]).await
}

/// A class on an app started with extra `NEXUS_*` settings.
pub(crate) async fn class_with(env: &[(&str, &str)]) -> Class {
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let mut builder = TestApp::builder().clock(clock.clone());
    for (k, v) in env {
        builder = builder.env(k, v);
    }
    let app = builder.spawn().await;
    let tenant = app
        .user("school", "teach@school.example", PW, Role::Instructor)
        .await;
    app.user("school", "pupil@school.example", PW, Role::Learner)
        .await;
    app.user("school", "peer@school.example", PW, Role::Learner)
        .await;
    let (teach, _, _) = token_of(app.login("school", "teach@school.example", PW, None).await).await;
    let (pupil, _, _) = token_of(app.login("school", "pupil@school.example", PW, None).await).await;
    let (peer, _, _) = token_of(app.login("school", "peer@school.example", PW, None).await).await;
    let post = |path: String, body: Value| {
        signed(&app, Method::POST, &path, "school", &teach)
            .json(&body)
            .send()
    };
    let course: Value = post(
        "/v1/courses".into(),
        json!({"title": "Money", "level": "beginner", "estimated_minutes": 30, "self_enrol": true}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let course = course["id"].as_str().unwrap().to_owned();
    let module: Value = post(
        format!("/v1/courses/{course}/modules"),
        json!({"title": "Basics"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let module = module["id"].as_str().unwrap().to_owned();
    let lesson = post(
        format!("/v1/courses/{course}/modules/{module}/lessons"),
        json!({"title": "Budgets", "body": "# Budgets", "estimated_minutes": 5}),
    )
    .await
    .unwrap();
    assert_eq!(lesson.status(), 201);
    let lesson = lesson.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let pupil_id = user_id(&app, &pupil).await;
    Class {
        app,
        clock,
        teach,
        pupil,
        peer,
        tenant,
        pupil_id,
        course,
        module,
        lesson,
    }
}

/// Authoring checks every field at once; learners see quizzes only once published.
pub(crate) async fn author_quiz(c: &Class) -> String {
    let (app, teach, course) = (&c.app, &c.teach, &c.course);
    let bad = signed(app, Method::POST, &format!("/v1/courses/{course}/banks"), "school", teach)
        .json(&json!({"key": "Bad Key!", "title": "", "questions": [
            {"key": "a", "topic": "t", "prompt": "p", "type": "single_choice", "options": ["x", "y"], "answer": 5},
            {"key": "b", "topic": "t", "prompt": "p", "type": "sorting"}
        ]}))
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
    assert_eq!(
        fields,
        ["key", "title", "questions[0].answer", "questions[1].type"]
    );

    let made = signed(
        app,
        Method::POST,
        &format!("/v1/courses/{course}/banks"),
        "school",
        teach,
    )
    .json(&bank())
    .send()
    .await
    .unwrap();
    assert_eq!(made.status(), 201);
    let again = signed(
        app,
        Method::POST,
        &format!("/v1/courses/{course}/banks"),
        "school",
        teach,
    )
    .json(&bank())
    .send()
    .await
    .unwrap();
    problem(again, 409, "bank_key_taken").await;

    let quizzes = format!("/v1/courses/{course}/modules/{}/quizzes", c.module);
    let unknown = signed(app, Method::POST, &quizzes, "school", teach)
        .json(&json!({"title": "Check", "bank": "nope"}))
        .send()
        .await
        .unwrap();
    let body = problem(unknown, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "bank");
    let quiz: Value = signed(app, Method::POST, &quizzes, "school", teach)
        .json(
            &json!({"title": "Money check", "bank": "money", "pass_mark_percent": 60,
                      "max_attempts": 2, "time_limit_minutes": 10,
                      "shuffle_questions": true, "shuffle_options": true}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let quiz = quiz["id"].as_str().unwrap().to_owned();
    let published = signed(
        app,
        Method::POST,
        &format!("/v1/courses/{course}/publish"),
        "school",
        teach,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(published.status(), 200);
    quiz
}

#[tokio::test]
async fn quizzes_are_graded_on_the_server_within_their_limits() {
    let c = class().await;
    let quiz = author_quiz(&c).await;
    let (app, pupil, course) = (&c.app, &c.pupil, &c.course);
    let quiz_path = format!("/v1/courses/{course}/quizzes/{quiz}");
    let get =
        |path: String, token: String| signed(app, Method::GET, &path, "school", &token).send();
    let post = |path: String, token: String, body: Value| {
        signed(app, Method::POST, &path, "school", &token)
            .json(&body)
            .send()
    };

    problem(
        get(quiz_path.clone(), pupil.clone()).await.unwrap(),
        409,
        "not_enrolled",
    )
    .await;
    enrol(&c, pupil).await;
    let info: Value = get(quiz_path.clone(), pupil.clone())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (info["title"].as_str(), info["max_attempts"].as_i64()),
        (Some("Money check"), Some(2))
    );

    // Starting twice returns the same open attempt.
    let started = post(format!("{quiz_path}/attempts"), pupil.clone(), json!({}))
        .await
        .unwrap();
    assert_eq!(started.status(), 201);
    let first: Value = started.json().await.unwrap();
    let again = post(format!("{quiz_path}/attempts"), pupil.clone(), json!({}))
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.unwrap()["id"], first["id"]);
    assert_eq!(first["questions"].as_array().unwrap().len(), 5);
    assert!(first.get("results").is_none());
    let attempt_path = format!("/v1/quiz-attempts/{}", first["id"].as_str().unwrap());
    problem(
        get(attempt_path.clone(), c.peer.clone()).await.unwrap(),
        404,
        "not_found",
    )
    .await;

    // All right but one wrong pick in the multiple select: partial credit there.
    let mut responses = serde_json::Map::new();
    for q in first["questions"].as_array().unwrap() {
        let mut r = right(q);
        if q["type"] == "multiple_select" {
            let options = q["options"].as_array().unwrap();
            let wrong = options.iter().position(|o| o == "Skip budgeting").unwrap();
            let mut picks: Vec<usize> = serde_json::from_value(r["answer"].clone()).unwrap();
            picks.push(wrong);
            r["answer"] = json!(picks);
        }
        responses.insert(q["id"].as_str().unwrap().to_owned(), r);
    }
    c.clock.advance(time::Duration::minutes(3));
    let graded: Value = post(
        format!("{attempt_path}/submission"),
        pupil.clone(),
        json!({"responses": responses}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(graded["status"], "submitted");
    let results = graded["results"].as_array().unwrap();
    let credit_of = |kind: &str| {
        let q = graded["questions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["type"] == kind)
            .unwrap();
        results.iter().find(|r| r["question"] == q["id"]).unwrap()["credit_permille"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(
        credit_of("multiple_select"),
        500,
        "two right, one wrong, of two correct"
    );
    for kind in ["single_choice", "true_false", "numeric", "ordering"] {
        assert_eq!(credit_of(kind), 1000, "{kind}");
    }
    // Four one-point questions right, half of the two-point one: 5 of 6 points.
    assert_eq!(
        (
            graded["score"]["percent"].as_u64(),
            graded["score"]["passed"].as_bool()
        ),
        (Some(83), Some(true))
    );
    assert!(
        results
            .iter()
            .all(|r| r["explanation_html"].as_str().unwrap().contains(EXPLAIN))
    );
    let resubmit = post(
        format!("{attempt_path}/submission"),
        pupil.clone(),
        json!({"responses": {}}),
    )
    .await
    .unwrap();
    problem(resubmit, 409, "attempt_closed").await;

    // The second attempt runs out of time on the injected clock.
    let second: Value = post(format!("{quiz_path}/attempts"), pupil.clone(), json!({}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(second["number"], 2);
    let second_path = format!("/v1/quiz-attempts/{}", second["id"].as_str().unwrap());
    c.clock
        .advance(time::Duration::minutes(10) + time::Duration::seconds(6));
    let late = post(
        format!("{second_path}/submission"),
        pupil.clone(),
        json!({"responses": {}}),
    )
    .await
    .unwrap();
    problem(late, 409, "quiz_time_expired").await;
    let expired: Value = get(second_path, pupil.clone())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            expired["status"].as_str(),
            expired["score"]["percent"].as_u64()
        ),
        (Some("expired"), Some(0))
    );
    let third = post(format!("{quiz_path}/attempts"), pupil.clone(), json!({}))
        .await
        .unwrap();
    problem(third, 409, "attempts_exhausted").await;

    // Mastery comes from both attempts: the expired one counts as wrong answers.
    let mastery: Value = get(format!("/v1/courses/{course}/mastery"), pupil.clone())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let topics: Vec<(&str, u64)> = mastery["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["topic"].as_str().unwrap(),
                t["answered"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        topics,
        [("budgeting", 4), ("compound-interest", 2), ("saving", 4)]
    );
    let summary: Value = get(quiz_path, pupil.clone())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let statuses: Vec<&str> = summary["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["submitted", "expired"]);
    let _ = c.pupil_id;
}

/// Every body a learner gets from a quiz route before submitting is free of anything
/// that gives an answer away: no explanation, correct index, value or tolerance.
#[tokio::test]
async fn no_response_leaks_an_answer() {
    let c = class().await;
    let quiz = author_quiz(&c).await;
    let (app, pupil, course) = (&c.app, &c.pupil, &c.course);
    enrol(&c, pupil).await;
    let quiz_path = format!("/v1/courses/{course}/quizzes/{quiz}");
    let mut bodies: Vec<(String, String)> = Vec::new();
    let mut fetch = async |method: Method, path: String| {
        let resp = signed(app, method.clone(), &path, "school", pupil)
            .send()
            .await
            .unwrap();
        let text = resp.text().await.unwrap();
        bodies.push((format!("{method} {path}"), text.clone()));
        text
    };
    fetch(Method::GET, quiz_path.clone()).await;
    fetch(Method::GET, format!("/v1/courses/{course}/content")).await;
    let started: Value =
        serde_json::from_str(&fetch(Method::POST, format!("{quiz_path}/attempts")).await).unwrap();
    fetch(Method::POST, format!("{quiz_path}/attempts")).await;
    fetch(
        Method::GET,
        format!("/v1/quiz-attempts/{}", started["id"].as_str().unwrap()),
    )
    .await;
    fetch(Method::GET, quiz_path.clone()).await;
    fetch(Method::GET, format!("/v1/courses/{course}/mastery")).await;
    fetch(Method::GET, format!("/v1/courses/{course}/banks")).await;
    fetch(Method::GET, format!("/v1/courses/{course}/quizzes")).await;
    assert_eq!(bodies.len(), 9);
    for (what, body) in &bodies {
        for leak in [
            EXPLAIN,
            "7531.42",
            "0.0123",
            "\"correct\"",
            "\"explanation",
            "\"tolerance\"",
            "\"results\"",
            "\"answer\"",
        ] {
            assert!(!body.contains(leak), "{what} leaks {leak}: {body}");
        }
    }
    // Ordering items are never presented in their correct order.
    let steps = started["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["type"] == "ordering")
        .unwrap();
    assert_ne!(
        steps["options"],
        json!([
            "Track income",
            "List expenses",
            "Set limits",
            "Review monthly"
        ])
    );
    // Authors do see the answers.
    let banks: Value = signed(
        app,
        Method::GET,
        &format!("/v1/courses/{course}/banks"),
        "school",
        &c.teach,
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        banks["items"][0]["questions"][3]["answer"],
        json!(NUMERIC_ANSWER)
    );
}

/// A finished attempt does not give away the answers to the next one: results show
/// your response and credit only, until you pass or run out of attempts, and never
/// while another attempt is open.
#[tokio::test]
async fn answers_stay_hidden_until_a_pass_or_the_last_attempt() {
    let c = class().await;
    let quiz = author_quiz(&c).await; // two attempts allowed
    let (app, pupil, course) = (&c.app, &c.pupil, &c.course);
    enrol(&c, pupil).await;
    let quiz_path = format!("/v1/courses/{course}/quizzes/{quiz}");
    let post = |path: String, body: Value| {
        signed(app, Method::POST, &path, "school", pupil)
            .json(&body)
            .send()
    };
    let get = |path: String| signed(app, Method::GET, &path, "school", pupil).send();
    let first: Value = post(format!("{quiz_path}/attempts"), json!({}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let first_path = format!("/v1/quiz-attempts/{}", first["id"].as_str().unwrap());
    let blank = post(format!("{first_path}/submission"), json!({"responses": {}}))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let second: Value = post(format!("{quiz_path}/attempts"), json!({}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let peek = get(first_path.clone()).await.unwrap().text().await.unwrap();
    for body in [&blank, &peek] {
        assert!(body.contains("\"credit_permille\""), "{body}");
        for leak in [
            EXPLAIN,
            "7531.42",
            "\"correct\"",
            "\"explanation_html\"",
            "\"tolerance\"",
        ] {
            assert!(!body.contains(leak), "leaks {leak}: {body}");
        }
    }
    // The last allowed attempt, failed too: now the answers are shown.
    let second_path = format!("/v1/quiz-attempts/{}", second["id"].as_str().unwrap());
    let last: Value = post(
        format!("{second_path}/submission"),
        json!({"responses": {}}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert!(last["results"][0]["correct"].is_object(), "{last}");
    let first_again: Value = get(first_path).await.unwrap().json().await.unwrap();
    assert!(
        first_again["results"][0]["explanation_html"]
            .as_str()
            .unwrap()
            .contains(EXPLAIN)
    );
}
