//! Quiz submissions per second on PostgreSQL, through the real services: start an
//! attempt (draw from the bank, store it), then submit it (grade on the server, store
//! the result, and award XP, streak, badges and the certificate in the same
//! transaction). Baseline in the same run: `select 1` round trips per second over the
//! same number of connections — what this machine's database can do at all.
//!
//!   cargo run --release -p nexus-bench --bin quiz_submissions -- [seconds=10] [learners=16]
//!
//! Needs PostgreSQL (`NEXUS_BENCH_DATABASE_URL`, default the local `test` database); a
//! scratch database is created and dropped. Bounded by duration.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_precision_loss,
    clippy::too_many_lines
)]

use nexus_app::{Caller, RequestMeta};
use nexus_bench::{Scratch, quantile};
use nexus_domain::access::{Actor, BuiltinRole};
use nexus_domain::learning::quiz::{BankSpec, QuestionId, QuizSettingsSpec, Response, reveal};
use nexus_domain::learning::{CourseDraft, CourseInput, LessonDraft};
use nexus_domain::tenancy::Plan;
use nexus_domain::user::{Email, Password, Role};
use nexus_domain::{TenantId, UserId};
use nexus_store::Database;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn as_user(tenant: TenantId, user: UserId, role: BuiltinRole) -> Caller {
    Caller {
        actor: Actor::User {
            tenant,
            user,
            permissions: role.permissions(),
        },
        meta: RequestMeta::default(),
    }
}

fn bank() -> BankSpec {
    let mut questions = Vec::new();
    for i in 0..4 {
        questions.extend(
            serde_json::from_value::<Vec<serde_json::Value>>(serde_json::json!([
                {"key": format!("tf-{i}"), "topic": "budgeting", "prompt": "A budget is a plan.", "type": "true_false", "answer": true},
                {"key": format!("sc-{i}"), "topic": "saving", "prompt": "Pick the need", "type": "single_choice", "options": ["Rent", "Cinema", "Concert"], "answer": 0},
                {"key": format!("ms-{i}"), "topic": "saving", "prompt": "Pick habits", "type": "multiple_select", "options": ["Automate", "Spend first", "Pay yourself first"], "answer": [0, 2]},
                {"key": format!("nu-{i}"), "topic": "compound-interest", "prompt": "1000 at 5% for 10 years", "type": "numeric", "answer": 1628.89, "tolerance": 0.5},
                {"key": format!("or-{i}"), "topic": "budgeting", "prompt": "Order", "type": "ordering", "items": ["Track", "Plan", "Review"]},
            ]))
            .unwrap(),
        );
    }
    serde_json::from_value(
        serde_json::json!({"key": "money", "title": "Money", "questions": questions}),
    )
    .unwrap()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let secs: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10);
    let learners: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(16);
    let admin = std::env::var("NEXUS_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let scratch = Scratch::create(&admin).await;
    let pg = scratch.database(10).await;
    let db: Arc<dyn Database> = pg.clone();
    let services = nexus_bench::services(db.clone());
    let system = Caller::system();
    let tenant = nexus_bench::bench_tenant(&services, Plan::Professional).await;
    let t = tenant.id;
    let mut users = Vec::new();
    for i in 0..=learners {
        let cmd = nexus_app::accounts::CreateAccount {
            email: Email::parse(&format!("u{i}@bench.example")).unwrap(),
            display_name: format!("Learner {i}"),
            role: if i == 0 {
                Role::Instructor
            } else {
                Role::Learner
            },
            password: Password::parse("benchmark password 2026").unwrap(),
        };
        users.push(services.accounts.create(&system, t, cmd).await.unwrap().id);
    }
    let teach = as_user(t, users[0], BuiltinRole::Instructor);
    let tags: Vec<String> = Vec::new();
    let draft = CourseDraft::parse(&CourseInput {
        title: "Money",
        summary: "",
        level: "beginner",
        estimated_minutes: 30,
        tags: &tags,
        self_enrol: true,
    })
    .unwrap();
    let courses = &services.courses;
    let course = courses.create(&teach, t, draft).await.unwrap().id;
    let module = courses
        .add_module(&teach, t, course, "Basics")
        .await
        .unwrap()
        .id;
    courses
        .add_lesson(
            &teach,
            t,
            course,
            module,
            LessonDraft::parse("Budgets", "# Budgets", 5).unwrap(),
        )
        .await
        .unwrap();
    courses
        .create_bank(&teach, t, course, &bank())
        .await
        .unwrap();
    let settings: QuizSettingsSpec = serde_json::from_value(serde_json::json!({
        "title": "Check", "bank": "money", "draw": 5, "shuffle_questions": true, "shuffle_options": true
    }))
    .unwrap();
    let quiz = courses
        .create_quiz(&teach, t, course, module, &settings)
        .await
        .unwrap()
        .id;
    courses.publish(&teach, t, course).await.unwrap();
    for u in &users[1..] {
        services
            .enrolments
            .enrol_self(&as_user(t, *u, BuiltinRole::Learner), t, course)
            .await
            .unwrap();
    }

    // Baseline: `select 1` round trips over as many tasks as learners, 3 s.
    let deadline = Instant::now() + Duration::from_secs(3);
    let pings: Vec<_> = (0..learners)
        .map(|_| {
            let pool = pg.pool().clone();
            tokio::spawn(async move {
                let mut k = 0u64;
                while Instant::now() < deadline {
                    sqlx::query("select 1").execute(&pool).await.unwrap();
                    k += 1;
                }
                k
            })
        })
        .collect();
    let mut trips = 0;
    for p in pings {
        trips += p.await.unwrap();
    }
    let trips_per_s = trips as f64 / 3.0;

    let deadline = Instant::now() + Duration::from_secs(secs);
    let tasks: Vec<_> = users[1..]
        .iter()
        .map(|u| {
            let (services, caller) = (services.clone(), as_user(t, *u, BuiltinRole::Learner));
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let (attempt, _) = services
                        .quizzes
                        .start(&caller, t, course, quiz)
                        .await
                        .unwrap();
                    let responses: BTreeMap<QuestionId, Response> = attempt
                        .questions
                        .iter()
                        .map(|q| {
                            (
                                q.question.id,
                                reveal(&q.question, &q.drawn).answer.to_response(),
                            )
                        })
                        .collect();
                    let began = Instant::now();
                    let (graded, _, _) = services
                        .quizzes
                        .submit(&caller, t, attempt.id, responses)
                        .await
                        .unwrap();
                    latencies.push(began.elapsed().as_secs_f64() * 1000.0);
                    assert_eq!(graded.score().unwrap().percent, 100);
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    let n = latencies.len();
    let per_s = n as f64 / secs as f64;
    let p50 = quantile(&mut latencies, 0.5);
    let p99 = quantile(&mut latencies, 0.99);
    println!(
        "cores={} seconds={secs} learners={learners} pool=10 draw=5 of 20",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    println!("baseline: select-1 round trips      {trips_per_s:>10.0} /s");
    println!("attempts started and submitted      {per_s:>10.1} /s   ({n} in total)");
    println!("submission latency (grade + store + rewards): p50 {p50:.2} ms, p99 {p99:.2} ms");
    println!(
        "ratio submissions/s : round trips/s {:>10.3}",
        per_s / trips_per_s
    );
    db.close().await;
    scratch.drop_db().await;
}
