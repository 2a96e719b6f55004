//! Properties of drawing, grading and the spec format over generated questions.

use super::attempt::is_identity;
use super::fixtures::{bank_id, qid, settings};
use super::spec::number;
use super::*;
use proptest::prelude::*;
use proptest::sample::subsequence;
use serde_json::Value;

/// Distinct, trimmed options or items, in any order.
fn choices() -> impl Strategy<Value = Vec<String>> {
    prop::collection::btree_set("[A-Za-z0-9$]([A-Za-z0-9 .%$]{0,20}[A-Za-z0-9%])?", 2..=10)
        .prop_map(|s| s.into_iter().collect::<Vec<_>>())
        .prop_shuffle()
}

/// Finite numbers, whole and fractional, large and tiny.
fn finite() -> BoxedStrategy<f64> {
    prop_oneof![
        any::<i32>().prop_map(f64::from),
        -1.0e6..1.0e6_f64,
        prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO,
    ]
    .boxed()
}

/// Numbers as authors write them: at most 10 significant digits. serde_json (without its
/// `float_roundtrip` feature) may read numbers of 16 or more digits 1 ulp off, so only
/// these survive a trip through JSON text bit for bit.
fn decimal() -> BoxedStrategy<f64> {
    (any::<i32>(), 0..=4_i32)
        .prop_map(|(m, k)| f64::from(m) / 10_f64.powi(k))
        .boxed()
}

/// The type-specific members of a canonical spec: (type, options, items, answer, tolerance).
type Members = (
    &'static str,
    Option<Vec<String>>,
    Option<Vec<String>>,
    Option<Value>,
    Option<f64>,
);

fn members(number_in: fn() -> BoxedStrategy<f64>) -> impl Strategy<Value = Members> {
    let single = choices().prop_flat_map(|o| {
        (0..o.len()).prop_map(move |i| {
            (
                "single_choice",
                Some(o.clone()),
                None,
                Some(Value::from(i)),
                None,
            )
        })
    });
    let multiple = choices().prop_flat_map(|o| {
        let n = o.len();
        subsequence((0..n).collect::<Vec<_>>(), 1..=n).prop_map(move |c| {
            (
                "multiple_select",
                Some(o.clone()),
                None,
                Some(Value::from(c)),
                None,
            )
        })
    });
    let true_false =
        any::<bool>().prop_map(|b| ("true_false", None, None, Some(Value::from(b)), None));
    // 0 is written by leaving `tolerance` out.
    let tolerance = prop_oneof![
        Just(None),
        number_in()
            .prop_filter_map("0 is absent", |t| (t != 0.0).then_some(t.abs()))
            .prop_map(Some),
    ];
    let numeric =
        (number_in(), tolerance).prop_map(|(x, t)| ("numeric", None, None, Some(number(x)), t));
    let ordering = choices()
        .prop_filter("orderings need three items", |i| i.len() >= 3)
        .prop_map(|i| ("ordering", None, Some(i), None, None));
    prop_oneof![single, multiple, true_false, numeric, ordering]
}

/// Valid specs in canonical form, numbers drawn from `number_in`.
fn spec(number_in: fn() -> BoxedStrategy<f64>) -> impl Strategy<Value = QuestionSpec> {
    let slug = "[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?";
    (
        slug,
        slug,
        "[A-Za-z *#\n]{0,40}[a-z?]",
        "[A-Za-z *\n]{0,40}",
        1..=10_i64,
        members(number_in),
    )
        .prop_map(
            |(key, topic, prompt, explanation, points, m)| QuestionSpec {
                key,
                topic,
                prompt,
                explanation,
                points,
                kind: m.0.to_owned(),
                options: m.1,
                items: m.2,
                answer: m.3,
                tolerance: m.4,
            },
        )
}

/// A bank of distinct questions.
fn questions(max: usize) -> impl Strategy<Value = Vec<Question>> {
    prop::collection::vec(spec(finite), 0..=max).prop_map(|specs| {
        specs
            .iter()
            .zip(1..)
            .map(|(s, i)| s.parse(qid(i), bank_id()).unwrap())
            .collect()
    })
}

fn quiz_settings() -> impl Strategy<Value = QuizSettings> {
    (prop::option::of(1..30_u32), any::<bool>(), any::<bool>()).prop_map(|(draw, sq, so)| {
        QuizSettings {
            draw,
            shuffle_questions: sq,
            shuffle_options: so,
            ..settings()
        }
    })
}

fn response() -> impl Strategy<Value = Response> {
    let index = 0..12_usize;
    prop_oneof![
        index.clone().prop_map(Response::SingleChoice),
        prop::collection::vec(index.clone(), 0..12).prop_map(Response::MultipleSelect),
        any::<bool>().prop_map(Response::TrueFalse),
        prop_oneof![finite(), any::<f64>()].prop_map(Response::Numeric),
        prop::collection::vec(index, 0..12).prop_map(Response::Ordering),
    ]
}

proptest! {
    // Failures print their minimal input; nothing is written into the source tree.
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn draws_take_distinct_questions_with_permuted_options(
        bank in questions(25), s in quiz_settings(), seed in any::<u64>(),
    ) {
        let drawn = draw(&bank, &s, seed);
        let want = s.draw.map_or(bank.len(), |d| bank.len().min(d as usize));
        prop_assert_eq!(drawn.len(), want);
        let positions: Vec<usize> = drawn
            .iter()
            .map(|d| bank.iter().position(|q| q.id == d.question).unwrap())
            .collect();
        let mut distinct = positions.clone();
        distinct.sort_unstable();
        distinct.dedup();
        prop_assert_eq!(distinct.len(), positions.len());
        if !s.shuffle_questions {
            prop_assert!(positions.is_sorted());
        }
        for (d, &p) in drawn.iter().zip(&positions) {
            let key = &bank[p].answer;
            let mut sorted = d.option_order.clone();
            sorted.sort_unstable();
            prop_assert_eq!(sorted, (0..key.choices().len()).collect::<Vec<_>>());
            if matches!(key, AnswerKey::Ordering { .. }) {
                prop_assert!(!is_identity(&d.option_order));
            }
        }
        prop_assert_eq!(draw(&bank, &s, seed), drawn, "deterministic");
    }

    #[test]
    fn the_revealed_answer_earns_full_credit(
        bank in questions(8), s in quiz_settings(), seed in any::<u64>(),
    ) {
        for d in draw(&bank, &s, seed) {
            let q = bank.iter().find(|q| q.id == d.question).unwrap();
            let revealed = reveal(q, &d);
            let g = grade(q, &d, Some(&revealed.answer.to_response()));
            prop_assert_eq!(g.credit_permille, 1000, "{:?} drawn {:?}", q, d);
            prop_assert_eq!(g.earned_points_milli, g.possible_points_milli);
        }
    }

    #[test]
    fn credit_stays_within_bounds(
        bank in questions(6), s in quiz_settings(), seed in any::<u64>(),
        responses in prop::collection::vec(response(), 6),
    ) {
        for (d, r) in draw(&bank, &s, seed).iter().zip(&responses) {
            let q = bank.iter().find(|q| q.id == d.question).unwrap();
            let g = grade(q, d, Some(r));
            prop_assert!(g.credit_permille <= 1000);
            prop_assert!(g.earned_points_milli <= g.possible_points_milli);
            if r.kind() != q.answer.kind() {
                prop_assert_eq!(g.credit_permille, 0);
            }
        }
    }

    #[test]
    fn specs_round_trip_through_questions(s in spec(finite)) {
        let q = s.parse(qid(1), bank_id()).unwrap();
        let back = QuestionSpec::from_question(&q);
        prop_assert_eq!(&back, &s);
        prop_assert_eq!(back.parse(q.id, q.bank).unwrap(), q);
    }

    #[test]
    fn specs_round_trip_through_json_text(s in spec(decimal)) {
        let json = serde_json::to_string(&s).unwrap();
        let read: QuestionSpec = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&read, &s);
        let q = read.parse(qid(1), bank_id()).unwrap();
        prop_assert_eq!(serde_json::to_string(&QuestionSpec::from_question(&q)).unwrap(), json);
    }
}
