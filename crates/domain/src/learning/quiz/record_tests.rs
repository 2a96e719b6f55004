use super::*;
use crate::learning::quiz::fixtures::{bank_id, one_of_each, settings};
use crate::{Clock, ManualClock};
use time::Duration;

fn fixture(limit: Option<Duration>) -> (Quiz, Bank, ManualClock) {
    let clock = ManualClock::at_unix(1_780_000_000);
    let course = CourseId::generate(&clock);
    let bank = Bank {
        id: bank_id(),
        course,
        key: "interest".to_owned(),
        title: "Interest".to_owned(),
        questions: one_of_each(),
        updated_at: clock.now(),
    };
    let quiz = Quiz {
        id: QuizId::generate(&clock),
        course,
        module: ModuleId::generate(&clock),
        position: 0,
        bank: bank.id,
        settings: QuizSettings {
            time_limit: limit,
            shuffle_options: true,
            shuffle_questions: true,
            ..settings()
        },
        updated_at: clock.now(),
    };
    (quiz, bank, clock)
}

fn start(quiz: &Quiz, bank: &Bank, clock: &ManualClock) -> Attempt {
    Attempt::start(
        AttemptId::generate(clock),
        quiz,
        bank,
        UserId::generate(clock),
        1,
        42,
        clock.now(),
    )
}

/// The right answer to every question, as the learner would send it.
fn all_right(a: &Attempt) -> BTreeMap<QuestionId, Response> {
    a.questions
        .iter()
        .map(|q| {
            let r = crate::learning::quiz::reveal(&q.question, &q.drawn);
            (q.question.id, r.answer.to_response())
        })
        .collect()
}

#[test]
fn an_open_attempt_reveals_nothing_and_a_submitted_one_is_graded() {
    let (quiz, bank, clock) = fixture(None);
    let mut a = start(&quiz, &bank, &clock);
    assert_eq!(a.questions.len(), 5);
    assert!(a.revealed().is_none() && a.score().is_none());
    let shown = serde_json::to_string(&a.presented()).unwrap();
    for leak in ["explanation", "correct", "tolerance", "\"answer\""] {
        assert!(!shown.contains(leak), "{leak} in {shown}");
    }
    let mut answers = all_right(&a);
    // One answer to a question that was not asked is ignored.
    answers.insert(QuestionId::generate(&clock), Response::TrueFalse(true));
    a.submit(answers, clock.now()).unwrap();
    assert_eq!(a.status, AttemptStatus::Submitted);
    assert_eq!(a.responses.len(), 5);
    let s = a.score().unwrap();
    assert_eq!((s.percent, s.passed), (100, true));
    assert_eq!(a.revealed().unwrap().len(), 5);
    assert!(a.topic_answers().iter().all(|t| t.credit_permille == 1000));
}

#[test]
fn time_limits_are_enforced_with_the_injected_clock() {
    let (quiz, bank, clock) = fixture(Some(Duration::minutes(10)));
    let mut on_time = start(&quiz, &bank, &clock);
    let mut late = on_time.clone();
    assert_eq!(on_time.deadline, Some(clock.now() + Duration::minutes(10)));
    clock.advance(Duration::minutes(10) + Duration::seconds(5));
    assert!(!on_time.is_overdue(clock.now()), "grace is inclusive");
    on_time.submit(all_right(&on_time), clock.now()).unwrap();
    assert!(on_time.score().unwrap().passed);
    clock.advance(Duration::seconds(1));
    assert!(late.is_overdue(clock.now()));
    let err = late.submit(all_right(&late), clock.now()).unwrap_err();
    assert!(matches!(err, AttemptError::TimeExpired { .. }));
    assert_eq!(late.status, AttemptStatus::Expired);
    let s = late.score().unwrap();
    assert_eq!(
        (s.percent, s.passed),
        (0, false),
        "expired: graded as unanswered"
    );
    assert!(late.responses.is_empty());
}

#[test]
fn stored_questions_round_trip() {
    let (quiz, bank, clock) = fixture(None);
    let a = start(&quiz, &bank, &clock);
    let json = serde_json::to_string(&store_attempt_questions(&a.questions)).unwrap();
    let drawn = load_attempt_questions(bank.id, serde_json::from_str(&json).unwrap()).unwrap();
    assert_eq!(drawn, a.questions);
    let json = serde_json::to_string(&store_questions(&bank.questions)).unwrap();
    let pool = load_questions(bank.id, serde_json::from_str(&json).unwrap()).unwrap();
    assert_eq!(pool, bank.questions);
    let no_draw = serde_json::to_string(&store_questions(&bank.questions)).unwrap();
    assert!(load_attempt_questions(bank.id, serde_json::from_str(&no_draw).unwrap()).is_err());
    for s in [
        AttemptStatus::Open,
        AttemptStatus::Submitted,
        AttemptStatus::Expired,
    ] {
        assert_eq!(AttemptStatus::parse(s.as_str()), Some(s));
    }
}

#[test]
fn answers_are_revealed_only_after_a_pass_or_the_last_attempt() {
    let (quiz, bank, clock) = fixture(None);
    let mut failed = start(&quiz, &bank, &clock);
    failed.submit(BTreeMap::new(), clock.now()).unwrap();
    assert!(
        !answers_revealed(std::slice::from_ref(&failed), None),
        "failed, attempts left"
    );
    assert!(
        answers_revealed(std::slice::from_ref(&failed), Some(1)),
        "no attempts left"
    );
    let open = start(&quiz, &bank, &clock);
    assert!(
        !answers_revealed(&[failed.clone(), open.clone()], Some(2)),
        "never while one is open"
    );
    let mut passed = open;
    passed.submit(all_right(&passed), clock.now()).unwrap();
    assert!(answers_revealed(&[failed, passed], None));
}
