use super::*;
use crate::learning::quiz::fixtures::{
    multiple, numeric, one_of_each, ordering, qid, question, single,
};
use serde_json::json;

fn drawn(q: &Question, order: &[usize]) -> DrawnQuestion {
    DrawnQuestion {
        question: q.id,
        option_order: order.to_vec(),
    }
}

fn credit_of(q: &Question, order: &[usize], r: &Response) -> u16 {
    grade(q, &drawn(q, order), Some(r)).credit_permille
}

#[test]
fn single_choice_is_all_or_nothing_in_presented_indices() {
    let q = question(1, single()); // correct: authored 2
    let order = [3, 2, 0, 1]; // authored 2 is shown second
    assert_eq!(credit_of(&q, &order, &Response::SingleChoice(1)), 1000);
    assert_eq!(
        credit_of(&q, &order, &Response::SingleChoice(2)),
        0,
        "authored index"
    );
    assert_eq!(
        credit_of(&q, &order, &Response::SingleChoice(9)),
        0,
        "out of range"
    );
}

#[test]
fn multiple_select_earns_right_minus_wrong_over_correct() {
    let q = question(1, multiple()); // 3 correct of 4: authored 0, 1, 3
    let id = [0, 1, 2, 3];
    let c = |picks: &[usize]| credit_of(&q, &id, &Response::MultipleSelect(picks.to_vec()));
    assert_eq!(c(&[3, 1, 0]), 1000);
    assert_eq!(c(&[0, 1, 2]), 333, "2 right, 1 wrong: 1/3, rounded down");
    assert_eq!(c(&[0, 1]), 666);
    assert_eq!(c(&[0]), 333);
    assert_eq!(c(&[0, 1, 2, 3]), 666, "everything: 3 right, 1 wrong");
    assert_eq!(c(&[0, 2]), 0);
    assert_eq!(c(&[2]), 0, "never below zero");
    assert_eq!(c(&[]), 0);
    assert_eq!(c(&[0, 0, 1]), 0, "duplicates");
    assert_eq!(c(&[0, 1, 4]), 0, "out of range");
    // Shuffled: presented 0 shows authored 2 (wrong), presented 1..=3 the right ones.
    let order = [2, 0, 1, 3];
    let s = |picks: &[usize]| credit_of(&q, &order, &Response::MultipleSelect(picks.to_vec()));
    assert_eq!(s(&[1, 2, 3]), 1000);
    assert_eq!(s(&[0, 1, 2]), 333);
    let g = grade(
        &q,
        &drawn(&q, &id),
        Some(&Response::MultipleSelect(vec![0, 1, 2])),
    );
    assert_eq!(
        (g.earned_points_milli, g.possible_points_milli),
        (666, 2000)
    );
}

#[test]
fn true_false_is_all_or_nothing() {
    let q = &one_of_each()[2]; // true
    assert_eq!(credit_of(q, &[], &Response::TrueFalse(true)), 1000);
    assert_eq!(credit_of(q, &[], &Response::TrueFalse(false)), 0);
}

#[test]
fn numeric_accepts_the_tolerance_and_representation_error() {
    let q = question(1, numeric()); // 1628.89 ± 0.01
    let c = |x: f64| credit_of(&q, &[], &Response::Numeric(x));
    for ok in [1628.89, 1628.90, 1628.88, 1628.895] {
        assert_eq!(c(ok), 1000, "{ok}");
    }
    for bad in [1628.91, 1628.87, -1628.89, f64::NAN, f64::INFINITY] {
        assert_eq!(c(bad), 0, "{bad}");
    }
    let exact = question(
        2,
        AnswerKey::Numeric {
            correct: 0.3,
            tolerance: 0.0,
        },
    );
    assert_eq!(credit_of(&exact, &[], &Response::Numeric(0.1 + 0.2)), 1000);
    assert_eq!(credit_of(&exact, &[], &Response::Numeric(0.3001)), 0);
}

#[test]
fn ordering_is_all_or_nothing_in_presented_indices() {
    let q = question(1, ordering()); // Earn, Budget, Save, Invest
    let order = [2, 0, 3, 1]; // shown: Save, Earn, Invest, Budget
    let c = |ps: &[usize]| credit_of(&q, &order, &Response::Ordering(ps.to_vec()));
    assert_eq!(c(&[1, 3, 0, 2]), 1000);
    assert_eq!(c(&[3, 1, 0, 2]), 0);
    assert_eq!(c(&[0, 1, 2, 3]), 0, "as presented");
    assert_eq!(c(&[1, 3, 0]), 0, "too short");
    assert_eq!(c(&[1, 1, 0, 2]), 0, "duplicate");
    assert_eq!(c(&[1, 3, 0, 9]), 0, "out of range");
}

#[test]
fn wrong_shapes_unanswered_and_foreign_draws_earn_nothing() {
    let qs = one_of_each();
    let responses = [
        Response::SingleChoice(0),
        Response::MultipleSelect(vec![0]),
        Response::TrueFalse(true),
        Response::Numeric(1628.89),
        Response::Ordering(vec![0, 1, 2, 3]),
    ];
    let orders: [&[usize]; 5] = [&[0, 1, 2, 3], &[0, 1, 2, 3], &[], &[], &[1, 0, 2, 3]];
    for (q, order) in qs.iter().zip(orders) {
        for r in responses.iter().filter(|r| r.kind() != q.answer.kind()) {
            assert_eq!(credit_of(q, order, r), 0, "{r:?} to {:?}", q.answer.kind());
        }
        let g = grade(q, &drawn(q, order), None);
        assert_eq!(
            (
                g.credit_permille,
                g.earned_points_milli,
                g.possible_points_milli
            ),
            (0, 0, 2000)
        );
    }
    let tf = &qs[2];
    let foreign = DrawnQuestion {
        question: qid(999),
        option_order: vec![],
    };
    assert_eq!(
        grade(tf, &foreign, Some(&Response::TrueFalse(true))).credit_permille,
        0
    );
    let single = &qs[0];
    assert_eq!(
        credit_of(single, &[0, 1], &Response::SingleChoice(1)),
        0,
        "draw of another shape"
    );
}

#[test]
fn responses_read_as_type_and_answer() {
    let cases = [
        (
            json!({"type": "single_choice", "answer": 2}),
            Response::SingleChoice(2),
        ),
        (
            json!({"type": "multiple_select", "answer": [0, 3]}),
            Response::MultipleSelect(vec![0, 3]),
        ),
        (
            json!({"type": "true_false", "answer": false}),
            Response::TrueFalse(false),
        ),
        (
            json!({"type": "numeric", "answer": 1628.89}),
            Response::Numeric(1628.89),
        ),
        (
            json!({"type": "ordering", "answer": [2, 0, 1]}),
            Response::Ordering(vec![2, 0, 1]),
        ),
    ];
    for (wire, r) in cases {
        assert_eq!(serde_json::from_value::<Response>(wire.clone()).unwrap(), r);
        assert_eq!(serde_json::to_value(&r).unwrap(), wire);
    }
    let int: Response = serde_json::from_value(json!({"type": "numeric", "answer": 12})).unwrap();
    assert_eq!(int, Response::Numeric(12.0));
    for bad in [
        json!({"type": "essay", "answer": "x"}),
        json!({"type": "single_choice", "answer": -1}),
        json!({"type": "single_choice", "answer": 1, "extra": 0}),
    ] {
        assert!(serde_json::from_value::<Response>(bad).is_err());
    }
}

#[test]
fn revealed_answers_use_presented_indices() {
    let qs = one_of_each();
    let orders: [&[usize]; 5] = [&[3, 2, 0, 1], &[2, 0, 1, 3], &[], &[], &[2, 0, 3, 1]];
    let got: Vec<serde_json::Value> = qs
        .iter()
        .zip(orders)
        .map(|(q, o)| serde_json::to_value(reveal(q, &drawn(q, o))).unwrap())
        .collect();
    let expl = "Because of *compounding*.";
    let id = |n: u128| qid(n).to_string();
    assert_eq!(
        got[0],
        json!({"question": id(1), "type": "single_choice", "answer": 1, "explanation": expl})
    );
    assert_eq!(
        got[1],
        json!({"question": id(2), "type": "multiple_select", "answer": [1, 2, 3], "explanation": expl})
    );
    assert_eq!(
        got[2],
        json!({"question": id(3), "type": "true_false", "answer": true, "explanation": expl})
    );
    assert_eq!(
        got[3],
        json!({"question": id(4), "type": "numeric", "answer": 1628.89, "tolerance": 0.01, "explanation": expl})
    );
    assert_eq!(
        got[4],
        json!({"question": id(5), "type": "ordering", "answer": [1, 3, 0, 2], "explanation": expl})
    );
}

fn graded(credit: u16, points: u32) -> Graded {
    Graded {
        question: qid(1),
        credit_permille: credit,
        earned_points_milli: points * u32::from(credit),
        possible_points_milli: points * 1000,
    }
}

#[test]
fn scores_round_down_and_compare_with_the_pass_mark() {
    let s = score(&[graded(1000, 2), graded(333, 2)], 70);
    assert_eq!(
        (s.earned_milli, s.possible_milli, s.percent, s.passed),
        (2666, 4000, 66, false)
    );
    let s = score(&[graded(1000, 7), graded(0, 3)], 70);
    assert_eq!(
        (s.percent, s.passed),
        (70, true),
        "exactly the pass mark passes"
    );
    let s = score(&[graded(999, 10)], 100);
    assert_eq!((s.percent, s.passed), (99, false), "99.9% is not 100%");
    let empty = score(&[], 70);
    assert_eq!((empty.percent, empty.passed), (0, false));
    assert!(score(&[], 0).passed, "an empty quiz passes only a 0% mark");
}
