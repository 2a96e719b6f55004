use super::*;
use crate::learning::quiz::fixtures::{bank, one_of_each, settings};
use time::macros::datetime;

fn ids(drawn: &[DrawnQuestion]) -> Vec<QuestionId> {
    drawn.iter().map(|d| d.question).collect()
}

#[test]
fn without_shuffles_everything_is_drawn_in_authored_order() {
    let qs = one_of_each();
    let drawn = draw(&qs, &settings(), 1);
    assert_eq!(ids(&drawn), qs.iter().map(|q| q.id).collect::<Vec<_>>());
    let orders: Vec<&[usize]> = drawn.iter().map(|d| d.option_order.as_slice()).collect();
    assert_eq!(orders[..4], [&[0, 1, 2, 3][..], &[0, 1, 2, 3], &[], &[]]);
    assert_eq!(orders[4].len(), 4);
    assert!(
        !is_identity(orders[4]),
        "ordering items are always shuffled"
    );
}

#[test]
fn a_partial_draw_keeps_authored_order_unless_shuffled() {
    let qs = bank(20);
    let five = QuizSettings {
        draw: Some(5),
        ..settings()
    };
    let drawn = ids(&draw(&qs, &five, 7));
    assert_eq!(drawn.len(), 5);
    assert!(drawn.is_sorted(), "fixture ids ascend in authored order");
    let shuffled = QuizSettings {
        shuffle_questions: true,
        ..five.clone()
    };
    assert!((0..20).any(|seed| !ids(&draw(&qs, &shuffled, seed)).is_sorted()));
    let too_many = QuizSettings {
        draw: Some(50),
        ..settings()
    };
    assert_eq!(draw(&qs, &too_many, 7).len(), 20);
    assert!(draw(&[], &too_many, 7).is_empty());
}

#[test]
fn draws_are_deterministic_and_depend_on_the_seed() {
    let qs = bank(20);
    let s = QuizSettings {
        draw: Some(10),
        shuffle_questions: true,
        shuffle_options: true,
        ..settings()
    };
    assert_eq!(draw(&qs, &s, 12345), draw(&qs, &s, 12345));
    assert_ne!(ids(&draw(&qs, &s, 12345)), ids(&draw(&qs, &s, 12346)));
    // Pinned: a stored seed must keep producing the same attempt in every release.
    let pinned: Vec<u128> = draw(&qs, &s, 2025)
        .iter()
        .map(|d| d.question.as_uuid().as_u128() - 100)
        .collect();
    assert_eq!(pinned, PINNED_DRAW);
}

const PINNED_DRAW: [u128; 10] = [4, 2, 5, 1, 16, 19, 6, 7, 12, 15];

#[test]
fn options_shuffle_only_when_asked() {
    let qs = bank(20);
    let s = QuizSettings {
        shuffle_options: true,
        ..settings()
    };
    let drawn = draw(&qs, &s, 3);
    let choice = |d: &DrawnQuestion, q: &Question| {
        matches!(
            q.answer.kind(),
            QuestionKind::SingleChoice | QuestionKind::MultipleSelect
        ) && !is_identity(&d.option_order)
    };
    assert!(drawn.iter().zip(&qs).any(|(d, q)| choice(d, q)));
    for (d, q) in drawn.iter().zip(&qs) {
        let mut sorted = d.option_order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..q.answer.choices().len()).collect::<Vec<_>>());
    }
}

#[test]
fn presented_questions_reveal_nothing() {
    let s = QuizSettings {
        shuffle_options: true,
        ..settings()
    };
    let qs = one_of_each();
    for (q, d) in qs.iter().zip(draw(&qs, &s, 99)) {
        let p = present(q, &d);
        let json = serde_json::to_value(&p).unwrap();
        let members: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for secret in ["answer", "correct", "explanation", "tolerance"] {
            assert!(!members.contains(&secret), "{secret} in {json}");
        }
        assert!(
            !json.to_string().contains("compounding"),
            "explanation leaked: {json}"
        );
        assert_eq!(json["type"], q.answer.kind().as_str());
        let expected: Vec<&String> = d
            .option_order
            .iter()
            .map(|&i| &q.answer.choices()[i])
            .collect();
        assert_eq!(p.options.iter().collect::<Vec<_>>(), expected);
        if let AnswerKey::Ordering { items } = &q.answer {
            assert_ne!(&p.options, items, "ordering shown in its correct order");
        }
    }
}

#[test]
fn submissions_are_accepted_until_deadline_plus_grace() {
    let start = datetime!(2025-03-01 09:00 UTC);
    let timed = QuizSettings {
        time_limit: Some(Duration::minutes(15)),
        ..settings()
    };
    let end = datetime!(2025-03-01 09:15 UTC);
    assert_eq!(deadline(start, &timed), Some(end));
    assert_eq!(check_submission(start, &timed, end), Ok(()));
    assert_eq!(
        check_submission(start, &timed, end + SUBMISSION_GRACE),
        Ok(())
    );
    assert_eq!(
        check_submission(start, &timed, end + SUBMISSION_GRACE + Duration::seconds(1)),
        Err(AttemptError::TimeExpired { deadline: end })
    );
    assert_eq!(deadline(start, &settings()), None);
    let years_later = datetime!(2030-01-01 00:00 UTC);
    assert_eq!(check_submission(start, &settings(), years_later), Ok(()));
}

#[test]
fn attempts_run_out_at_the_maximum() {
    let three = QuizSettings {
        max_attempts: Some(3),
        ..settings()
    };
    assert_eq!(may_start(0, &three), Ok(()));
    assert_eq!(may_start(2, &three), Ok(()));
    let err = may_start(3, &three).unwrap_err();
    assert_eq!(err, AttemptError::AttemptsExhausted { max: 3 });
    assert_eq!(
        err.to_string(),
        "all 3 attempts at this quiz have been used"
    );
    assert_eq!(may_start(u32::MAX, &settings()), Ok(()));
}
