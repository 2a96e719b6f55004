//! Question bank, quiz and attempt cases.

use super::*;
use nexus_domain::learning::quiz::{
    Attempt, AttemptId, AttemptStatus, Bank, BankId, QuestionId, QuestionSpec, Quiz, QuizId,
    QuizSettingsSpec, Response,
};
use nexus_domain::learning::{
    ContentStatus, Course, CourseDraft, CourseId, Level, Module, ModuleId,
};
use std::collections::BTreeMap;

fn questions(
    c: &ManualClock,
    bank: BankId,
    prefix: &str,
) -> Vec<nexus_domain::learning::quiz::Question> {
    let specs: Vec<QuestionSpec> = serde_json::from_value(serde_json::json!([
        {"key": format!("{prefix}-1"), "topic": "budgeting", "prompt": "Is a budget a plan?",
         "explanation": "Yes.", "type": "true_false", "answer": true},
        {"key": format!("{prefix}-2"), "topic": "compound-interest", "prompt": "1000 at 5% for 10 years?",
         "explanation": "1000 × 1.05^10.", "points": 2, "type": "numeric", "answer": 1628.89, "tolerance": 0.5},
        {"key": format!("{prefix}-3"), "topic": "budgeting", "prompt": "Pick the needs",
         "type": "multiple_select", "options": ["Rent", "Cinema", "Food"], "answer": [0, 2]},
    ]))
    .unwrap();
    specs
        .iter()
        .map(|s| s.parse(QuestionId::generate(c), bank).unwrap())
        .collect()
}

async fn course_with_module(
    db: &Arc<dyn Database>,
    c: &ManualClock,
    t: TenantId,
) -> (CourseId, ModuleId) {
    let course = Course {
        id: CourseId::generate(c),
        tenant_id: t,
        meta: CourseDraft {
            title: "Money".to_owned(),
            summary: String::new(),
            level: Level::Beginner,
            estimated_minutes: 60,
            tags: Vec::new(),
            self_enrol: true,
        },
        status: ContentStatus::Draft,
        published_version: 0,
        published_meta: None,
        created_at: c.now(),
        updated_at: c.now(),
    };
    committed!(db, t, |tx| db.courses().create(tx, &course)).unwrap();
    let module = Module {
        id: ModuleId::generate(c),
        course: course.id,
        position: 0,
        title: "Basics".to_owned(),
    };
    committed!(db, t, |tx| db.courses().add_module(tx, t, &module)).unwrap();
    (course.id, module.id)
}

fn settings(json: serde_json::Value) -> nexus_domain::learning::quiz::QuizSettings {
    serde_json::from_value::<QuizSettingsSpec>(json)
        .unwrap()
        .parse()
        .unwrap()
}

pub(super) async fn quiz_banks_and_attempts(db: Arc<dyn Database>) {
    let c = clock();
    let t = add_tenant(&db, &c, "quizzes", "Quizzes").await;
    let other = add_tenant(&db, &c, "quizzes-2", "Other").await;
    let store = db.quizzes();
    let (course, module) = course_with_module(&db, &c, t).await;
    let (their_course, their_module) = course_with_module(&db, &c, other).await;

    // Banks: unique key per course, round trip of every question, per tenant.
    let id = BankId::generate(&c);
    let mut bank = Bank {
        id,
        course,
        key: "basics".to_owned(),
        title: "Basics".to_owned(),
        questions: questions(&c, id, "b"),
        updated_at: c.now(),
    };
    committed!(db, t, |tx| store.create_bank(tx, t, &bank)).unwrap();
    assert_eq!(store.bank(t, id).await.unwrap(), bank);
    assert!(matches!(
        store.bank(other, id).await,
        Err(StoreError::NotFound)
    ));
    let clash = Bank {
        id: BankId::generate(&c),
        ..bank.clone()
    };
    assert!(matches!(
        committed!(db, t, |tx| store.create_bank(tx, t, &clash)),
        Err(StoreError::Conflict {
            constraint: "question_bank_key_key"
        })
    ));
    let stolen = Bank {
        id: BankId::generate(&c),
        course: their_course,
        ..bank.clone()
    };
    assert!(
        matches!(
            committed!(db, t, |tx| store.create_bank(tx, t, &stolen)),
            Err(StoreError::NotFound)
        ),
        "a bank cannot join another tenant's course"
    );
    let spare = Bank {
        id: BankId::generate(&c),
        key: "spare".to_owned(),
        questions: Vec::new(),
        ..bank.clone()
    };
    committed!(db, t, |tx| store.create_bank(tx, t, &spare)).unwrap();
    bank.title = "Basics, revised".to_owned();
    bank.questions.truncate(2);
    c.advance(time::Duration::seconds(1));
    bank.updated_at = c.now();
    committed!(db, t, |tx| store.replace_bank(tx, t, &bank)).unwrap();
    assert_eq!(store.bank(t, id).await.unwrap(), bank);
    assert!(matches!(
        committed!(db, other, |tx| store.replace_bank(tx, other, &bank)),
        Err(StoreError::NotFound)
    ));
    let keys: Vec<String> = store
        .banks(t, course)
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.key)
        .collect();
    assert_eq!(keys, ["basics", "spare"]);

    // Quizzes: in a module of this tenant, over a bank of this tenant.
    let quiz = Quiz {
        id: QuizId::generate(&c),
        course,
        module,
        position: 0,
        bank: id,
        settings: settings(
            serde_json::json!({"title": "Check", "bank": "basics", "max_attempts": 2, "time_limit_minutes": 5}),
        ),
        updated_at: c.now(),
    };
    committed!(db, t, |tx| store.create_quiz(tx, t, &quiz)).unwrap();
    assert_eq!(store.quiz(t, quiz.id).await.unwrap(), quiz);
    let elsewhere = Quiz {
        id: QuizId::generate(&c),
        module: their_module,
        course: their_course,
        ..quiz.clone()
    };
    assert!(matches!(
        committed!(db, t, |tx| store.create_quiz(tx, t, &elsewhere)),
        Err(StoreError::NotFound)
    ));
    let second = Quiz {
        id: QuizId::generate(&c),
        position: 1,
        bank: spare.id,
        ..quiz.clone()
    };
    committed!(db, t, |tx| store.create_quiz(tx, t, &second)).unwrap();
    let mut edited = second.clone();
    edited.settings.title = "Second check".to_owned();
    edited.bank = id;
    committed!(db, t, |tx| store.update_quiz(tx, t, &edited)).unwrap();
    assert_eq!(store.quiz(t, second.id).await.unwrap(), edited);
    let order: Vec<QuizId> = store
        .quizzes(t, course)
        .await
        .unwrap()
        .iter()
        .map(|q| q.id)
        .collect();
    assert_eq!(order, [quiz.id, second.id]);
    assert!(store.quizzes(other, course).await.unwrap().is_empty());
    assert!(
        matches!(
            committed!(db, t, |tx| store.delete_bank(tx, t, id)),
            Err(StoreError::Conflict {
                constraint: "quiz_bank_fkey"
            })
        ),
        "a bank in use stays"
    );
    committed!(db, t, |tx| store.delete_bank(tx, t, spare.id)).unwrap();
    assert!(matches!(
        committed!(db, t, |tx| store.delete_bank(tx, t, spare.id)),
        Err(StoreError::NotFound)
    ));

    // Attempts: numbered per learner, finished once.
    let learner = UserId::generate(&c);
    db.users()
        .create(
            t,
            learner,
            &new_user("quiz@example.com", "Quinn", Role::Learner),
            c.now(),
        )
        .await
        .unwrap();
    let loaded = store.bank(t, id).await.unwrap();
    let mut first = Attempt::start(
        AttemptId::generate(&c),
        &quiz,
        &loaded,
        learner,
        1,
        7,
        c.now(),
    );
    committed!(db, t, |tx| store.add_attempt(tx, t, &first)).unwrap();
    assert_eq!(store.attempt(t, first.id).await.unwrap(), first);
    assert!(matches!(
        store.attempt(other, first.id).await,
        Err(StoreError::NotFound)
    ));
    let racing = Attempt::start(
        AttemptId::generate(&c),
        &quiz,
        &loaded,
        learner,
        1,
        8,
        c.now(),
    );
    assert!(
        matches!(
            committed!(db, t, |tx| store.add_attempt(tx, t, &racing)),
            Err(StoreError::Conflict {
                constraint: "quiz_attempt_number_key"
            })
        ),
        "two attempts cannot share a number"
    );
    c.advance(time::Duration::minutes(1));
    let answers: BTreeMap<QuestionId, Response> = first
        .questions
        .iter()
        .map(|q| {
            let r = nexus_domain::learning::quiz::reveal(&q.question, &q.drawn);
            (q.question.id, r.answer.to_response())
        })
        .collect();
    first.submit(answers, c.now()).unwrap();
    committed!(db, t, |tx| store.finish_attempt(tx, t, &first)).unwrap();
    assert_eq!(store.attempt(t, first.id).await.unwrap(), first);
    assert!(
        matches!(
            committed!(db, t, |tx| store.finish_attempt(tx, t, &first)),
            Err(StoreError::Conflict {
                constraint: "attempt_closed"
            })
        ),
        "finished once"
    );
    let mut second_try = Attempt::start(
        AttemptId::generate(&c),
        &quiz,
        &loaded,
        learner,
        2,
        9,
        c.now(),
    );
    committed!(db, t, |tx| store.add_attempt(tx, t, &second_try)).unwrap();
    assert_eq!(
        store
            .attempts(t, quiz.id, learner)
            .await
            .unwrap()
            .iter()
            .map(|a| a.number)
            .collect::<Vec<_>>(),
        [1, 2]
    );
    let done = store
        .finished_attempts(t, learner, Some(course))
        .await
        .unwrap();
    assert_eq!(done, [first.clone()], "open attempts are not finished");
    c.advance(time::Duration::minutes(10));
    second_try.expire(c.now());
    committed!(db, t, |tx| store.finish_attempt(tx, t, &second_try)).unwrap();
    let done = store.finished_attempts(t, learner, None).await.unwrap();
    assert_eq!(
        done.iter().map(|a| a.status).collect::<Vec<_>>(),
        [AttemptStatus::Submitted, AttemptStatus::Expired]
    );
    assert!(
        store
            .finished_attempts(t, learner, Some(their_course))
            .await
            .unwrap()
            .is_empty()
    );

    // Deleting a quiz from the draft keeps learners' attempts: they took it as published.
    committed!(db, t, |tx| store.delete_quiz(tx, t, quiz.id)).unwrap();
    assert_eq!(store.attempt(t, first.id).await.unwrap(), first);
    assert!(matches!(
        committed!(db, t, |tx| store.delete_quiz(tx, t, quiz.id)),
        Err(StoreError::NotFound)
    ));
}
