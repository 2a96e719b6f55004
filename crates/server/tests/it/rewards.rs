//! Rewards end to end: XP, streaks in the tenant's time zone on the injected clock,
//! badges, certificates with public verification and revocation, and opt-in
//! leaderboards.

use crate::auth::{PW, signed, token_of};
use crate::harness::problem;
use crate::quizzes::{Class, author_quiz, class, class_with, enrol, right};
use nexus_domain::Clock;
use nexus_domain::user::Role;
use reqwest::Method;
use serde_json::{Value, json};

pub(crate) async fn complete_lesson(c: &Class, token: &str, lesson: &str) -> Value {
    let path = format!("/v1/courses/{}/lessons/{lesson}/progress", c.course);
    let resp = signed(&c.app, Method::POST, &path, "school", token)
        .json(&json!({"seconds": 60, "completed": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

pub(crate) async fn pass_quiz(c: &Class, token: &str, quiz: &str) -> Value {
    let path = format!("/v1/courses/{}/quizzes/{quiz}/attempts", c.course);
    let attempt: Value = signed(&c.app, Method::POST, &path, "school", token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let responses: serde_json::Map<String, Value> = attempt["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| (q["id"].as_str().unwrap().to_owned(), right(q)))
        .collect();
    let path = format!(
        "/v1/quiz-attempts/{}/submission",
        attempt["id"].as_str().unwrap()
    );
    signed(&c.app, Method::POST, &path, "school", token)
        .json(&json!({ "responses": responses }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn get(c: &Class, token: &str, path: &str) -> Value {
    signed(&c.app, Method::GET, path, "school", token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn completing_a_course_earns_xp_badges_and_a_verifiable_certificate() {
    let c = class().await;
    let quiz = author_quiz(&c).await;
    enrol(&c, &c.pupil).await;

    let done = complete_lesson(&c, &c.pupil, &c.lesson).await;
    assert_eq!(done["newly_completed"], true);
    // 10 for the lesson, 5 for the first day of a streak.
    assert_eq!(
        (
            done["awards"]["xp"].as_u64(),
            done["awards"]["streak"].as_u64()
        ),
        (Some(15), Some(1))
    );
    assert_eq!(done["awards"]["badges"], json!(["first_steps"]));
    assert!(
        done["awards"].get("certificate").is_none(),
        "the quiz is still to pass"
    );
    let again = complete_lesson(&c, &c.pupil, &c.lesson).await;
    assert_eq!(
        (
            again["newly_completed"].as_bool(),
            again["awards"]["xp"].as_u64()
        ),
        (Some(false), Some(0))
    );

    let graded = pass_quiz(&c, &c.pupil, &quiz).await;
    assert_eq!(graded["score"]["percent"], 100);
    // 20 for a first pass, 10 more for 100%; no streak XP twice in a day.
    assert_eq!(graded["awards"]["xp"], 30);
    let badges: Vec<&str> = graded["awards"]["badges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_str().unwrap())
        .collect();
    assert_eq!(badges, ["perfectionist", "graduate"]);
    let cert = graded["awards"]["certificate"].clone();
    assert_eq!(cert["course_title"], "Money");

    let me = get(&c, &c.pupil, "/v1/me/achievements").await;
    assert_eq!(
        (me["xp"].as_u64(), me["level"]["level"].as_u64()),
        (Some(45), Some(1))
    );
    assert_eq!(
        (
            me["streak"]["current"].as_u64(),
            me["streak"]["longest"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let earned: Vec<&str> = me["badges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| !b["earned_at"].is_null())
        .map(|b| b["key"].as_str().unwrap())
        .collect();
    assert_eq!(earned, ["first_steps", "perfectionist", "graduate"]);
    let mine = get(&c, &c.pupil, "/v1/me/certificates").await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);

    // Anyone can verify, and learns validity, name, course and date only.
    let verify = format!(
        "/v1/certificates/verify/{}",
        cert["code"].as_str().unwrap().to_lowercase()
    );
    let public: Value = c
        .app
        .tenant_get("school", &verify)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut keys: Vec<&str> = public
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["course_title", "holder_name", "issued_on", "valid"]);
    assert_eq!(
        (public["valid"].as_bool(), public["holder_name"].as_str()),
        (Some(true), Some("Test User"))
    );
    let other_tenant = c.app.tenant_get("elsewhere", &verify).send().await.unwrap();
    assert_ne!(
        other_tenant.status(),
        200,
        "codes verify on their own tenant only"
    );
    let unknown = c
        .app
        .tenant_get("school", "/v1/certificates/verify/ZZZZZZZZZZZZZZZZZZZZ")
        .send()
        .await
        .unwrap();
    problem(unknown, 404, "not_found").await;

    // Revocation: admins only, with a reason, once; audited.
    c.app
        .user("school", "head@school.example", PW, Role::Admin)
        .await;
    let (head, _, _) = token_of(c.app.login("school", "head@school.example", PW, None).await).await;
    let revoke = format!(
        "/v1/certificates/{}/revocation",
        cert["id"].as_str().unwrap()
    );
    let denied = signed(&c.app, Method::POST, &revoke, "school", &c.teach)
        .json(&json!({"reason": "no"}))
        .send()
        .await
        .unwrap();
    problem(denied, 403, "forbidden").await;
    let revoked: Value = signed(&c.app, Method::POST, &revoke, "school", &head)
        .json(&json!({"reason": "Issued in error"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(revoked["revoked_at"].is_string());
    let twice = signed(&c.app, Method::POST, &revoke, "school", &head)
        .json(&json!({"reason": "again"}))
        .send()
        .await
        .unwrap();
    problem(twice, 409, "certificate_revoked").await;
    let public: Value = c
        .app
        .tenant_get("school", &verify)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(public["valid"], false);
    let q = nexus_domain::audit::AuditQuery {
        action: Some("certificate.".into()),
        limit: 10,
        ..Default::default()
    };
    let events = c
        .app
        .wired
        .services
        .audit
        .list(Some(c.tenant), &q)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert!(
        events[0]
            .diff
            .as_deref()
            .unwrap()
            .contains("Issued in error")
    );
}

/// The same instants make one local day in UTC and two in Auckland.
#[tokio::test]
async fn streaks_count_days_in_the_tenant_time_zone() {
    let mut results = Vec::new();
    for zone in ["UTC", "Pacific/Auckland"] {
        let c = class().await;
        let path = format!("/tenants/{}", c.tenant);
        let set = c
            .app
            .platform(Method::PATCH, &path)
            .json(&json!({"settings": {"time_zone": zone}}))
            .send()
            .await
            .unwrap();
        assert_eq!(set.status(), 200, "{zone}");
        // A second lesson to complete later.
        let lessons = format!("/v1/courses/{}/modules/{}/lessons", c.course, c.module);
        let second: Value = signed(&c.app, Method::POST, &lessons, "school", &c.teach)
            .json(&json!({"title": "Saving", "body": "Save.", "estimated_minutes": 5}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let publish = format!("/v1/courses/{}/publish", c.course);
        signed(&c.app, Method::POST, &publish, "school", &c.teach)
            .send()
            .await
            .unwrap();
        enrol(&c, &c.pupil).await;
        // 10:30 UTC is 22:30 or 23:30 in Auckland (UTC+12 in winter, +13 in summer).
        let now = c.clock.now();
        let target = now.replace_time(time::macros::time!(10:30)) + time::Duration::days(1);
        c.clock.advance(target - now);
        // Sessions idle out over a jump of hours: sign in again at each step.
        let login = async || {
            token_of(
                c.app
                    .login("school", "pupil@school.example", PW, None)
                    .await,
            )
            .await
            .0
        };
        let pupil = login().await;
        let first = complete_lesson(&c, &pupil, &c.lesson).await;
        assert_eq!(first["awards"]["streak"], 1);
        // Two hours later: still the same UTC day, past midnight in Auckland.
        c.clock.advance(time::Duration::hours(2));
        let pupil = login().await;
        let later = complete_lesson(&c, &pupil, second["id"].as_str().unwrap()).await;
        let me = get(&c, &pupil, "/v1/me/achievements").await;
        results.push((
            zone,
            later["awards"]["streak"].as_u64(),
            me["streak"]["current"].as_u64(),
        ));
    }
    assert_eq!(
        results,
        [
            ("UTC", None, Some(1)),
            ("Pacific/Auckland", Some(2), Some(2))
        ]
    );
}

#[tokio::test]
async fn leaderboards_name_only_learners_who_opted_in() {
    let c = class().await;
    author_quiz(&c).await; // publishes the course
    for token in [&c.pupil, &c.peer] {
        enrol(&c, token).await;
    }
    complete_lesson(&c, &c.pupil, &c.lesson).await;
    complete_lesson(&c, &c.peer, &c.lesson).await;
    let opt = signed(
        &c.app,
        Method::PUT,
        "/v1/me/leaderboard",
        "school",
        &c.pupil,
    )
    .json(&json!({"opt_in": true}))
    .send()
    .await
    .unwrap();
    assert_eq!(opt.status(), 200);

    c.app
        .user("school", "third@school.example", PW, Role::Learner)
        .await;
    let (third, _, _) = token_of(
        c.app
            .login("school", "third@school.example", PW, None)
            .await,
    )
    .await;
    let board = get(&c, &third, "/v1/leaderboard").await;
    let rows = board["items"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "learners without XP are not listed");
    let text = board.to_string();
    let peer_id = crate::quizzes::user_id(&c.app, &c.peer).await;
    assert!(
        !text.contains(&peer_id.to_string()),
        "no ID of a learner who did not opt in"
    );
    let names: Vec<&str> = rows
        .iter()
        .map(|r| r["display_name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Anonymous") && names.contains(&"Test User"));
    assert!(rows.iter().all(|r| r["rank"] == 1), "equal XP, equal rank");
    // The learner who did not opt in sees their own row, marked, and nobody else's name.
    let own = get(&c, &c.peer, "/v1/leaderboard").await;
    let mine = own["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["is_you"] == true)
        .unwrap();
    assert_eq!(mine["user"], peer_id.to_string());

    // Cohort boards: for members and report readers.
    let cohort: Value = signed(&c.app, Method::POST, "/v1/cohorts", "school", &c.teach)
        .json(&json!({"name": "Class 9B"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cohort = cohort["id"].as_str().unwrap();
    let member = format!("/v1/cohorts/{cohort}/members/{}", c.pupil_id);
    let put = signed(&c.app, Method::PUT, &member, "school", &c.teach)
        .json(&json!({"role": "learner"}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let path = format!("/v1/leaderboard?cohort={cohort}");
    let theirs = get(&c, &c.pupil, &path).await;
    assert_eq!(theirs["items"].as_array().unwrap().len(), 1);
    let outsider = signed(&c.app, Method::GET, &path, "school", &third)
        .send()
        .await
        .unwrap();
    problem(outsider, 403, "forbidden").await;
    let teacher = get(&c, &c.teach, &path).await;
    assert_eq!(teacher["items"][0]["display_name"], "Test User");
}

/// Rewarding an activity reads before its transaction opens, so concurrent submissions
/// on a small pool never hold one connection while waiting for another (which starved
/// the pool under load: every request held one and waited for a second until timeout).
#[tokio::test]
async fn concurrent_submissions_do_not_starve_a_small_pool() {
    let c = class_with(&[
        ("NEXUS_DATABASE_MAX_CONNECTIONS", "2"),
        ("NEXUS_DATABASE_ACQUIRE_TIMEOUT", "3s"),
    ])
    .await;
    let quiz = author_quiz(&c).await;
    let mut tokens = Vec::new();
    for i in 0..6 {
        let email = format!("l{i}@school.example");
        c.app.user("school", &email, PW, Role::Learner).await;
        let (token, _, _) = token_of(c.app.login("school", &email, PW, None).await).await;
        enrol(&c, &token).await;
        tokens.push(token);
    }
    let results = futures_join(tokens.iter().map(|t| pass_quiz(&c, t, &quiz))).await;
    for graded in results {
        assert_eq!(graded["status"], "submitted", "{graded}");
        assert_eq!(graded["awards"]["xp"], 35, "quiz 30 + first streak day 5");
    }
}

/// Runs futures concurrently on this task.
async fn futures_join<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut set: Vec<std::pin::Pin<Box<F>>> = futures.map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = set.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in set.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().map(Option::unwrap).collect()
}

/// Topic badges must be earnable with the shipped curriculum: every topic a built-in
/// badge names is a topic of its questions.
#[test]
fn every_badge_topic_is_taught_by_the_curriculum() {
    use nexus_domain::learning::gamification::{Criterion, default_badges};
    fn topics(c: &Criterion, out: &mut Vec<String>) {
        match c {
            Criterion::TopicMastered { topic } => out.push(topic.clone()),
            Criterion::AllOf(cs) | Criterion::AnyOf(cs) => cs.iter().for_each(|c| topics(c, out)),
            _ => {}
        }
    }
    let package: Value = serde_json::from_str(include_str!(
        "../../../../curriculum/financial-literacy-101.json"
    ))
    .unwrap();
    let taught: Vec<&str> = package["banks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["questions"].as_array().unwrap())
        .map(|q| q["topic"].as_str().unwrap())
        .collect();
    let mut named = Vec::new();
    for b in default_badges() {
        topics(&b.criterion, &mut named);
    }
    assert!(!named.is_empty());
    for t in named {
        assert!(
            taught.contains(&t.as_str()),
            "badge topic {t} is not in the curriculum"
        );
    }
}
