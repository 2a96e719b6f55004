//! Badge criteria: evaluation, the wire shape, validation and monotonicity.

use super::super::badges::{
    BadgeRule, Criterion, LearnerStats, MAX_NESTING, earned, newly_earned, parse_criterion,
};
use super::super::catalogue::default_badges;
use proptest::prelude::*;
use serde_json::json;
use std::collections::BTreeSet;

fn keys<'a>(rules: &[&'a BadgeRule]) -> Vec<&'a str> {
    rules.iter().map(|r| r.key.as_str()).collect()
}

fn fields(json: &serde_json::Value) -> Vec<(String, &'static str)> {
    parse_criterion(json)
        .unwrap_err()
        .as_slice()
        .iter()
        .map(|e| (e.field.clone(), e.code))
        .collect()
}

#[test]
fn default_badges_are_earned_as_progress_grows() {
    let rules = default_badges();
    assert!(earned(&rules, &LearnerStats::default()).is_empty());
    let one = LearnerStats {
        lessons_completed: 1,
        ..LearnerStats::default()
    };
    assert_eq!(keys(&earned(&rules, &one)), ["first_steps"]);
    let later = LearnerStats {
        lessons_completed: 12,
        quizzes_passed: 5,
        perfect_quizzes: 1,
        courses_completed: 3,
        longest_streak: 8,
        xp: 2_500,
        mastered_topics: ["budgeting", "saving"].map(str::to_owned).into(),
    };
    assert_eq!(
        keys(&newly_earned(&rules, &one, &later)),
        [
            "bookworm",
            "quiz_whiz",
            "perfectionist",
            "on_fire",
            "graduate",
            "budget_boss",
            "scholar"
        ]
    );
    assert!(
        newly_earned(&rules, &later, &one).is_empty(),
        "never revoked"
    );
}

#[test]
fn default_badges_are_valid_unique_and_round_trip() {
    let rules = default_badges();
    let unique: BTreeSet<&str> = rules.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(unique.len(), rules.len());
    for rule in &rules {
        let json = serde_json::to_value(&rule.criterion).unwrap();
        assert_eq!(
            parse_criterion(&json).unwrap(),
            rule.criterion,
            "{}",
            rule.key
        );
        let back: BadgeRule = serde_json::from_value(serde_json::to_value(rule).unwrap()).unwrap();
        assert_eq!(&back, rule);
    }
}

#[test]
fn the_wire_shape_is_externally_tagged_snake_case() {
    let c = Criterion::AllOf(vec![
        Criterion::LessonsCompleted(5),
        Criterion::TopicMastered {
            topic: "budgeting".to_owned(),
        },
        Criterion::AnyOf(vec![Criterion::XpAtLeast(1000), Criterion::StreakDays(7)]),
    ]);
    let json = json!({"all_of": [
        {"lessons_completed": 5},
        {"topic_mastered": {"topic": "budgeting"}},
        {"any_of": [{"xp_at_least": 1000}, {"streak_days": 7}]}
    ]});
    assert_eq!(serde_json::to_value(&c).unwrap(), json);
    assert_eq!(parse_criterion(&json).unwrap(), c);
}

#[test]
fn malformed_criteria_are_rejected_with_paths() {
    let bad = |j| fields(&j);
    assert_eq!(
        bad(json!({"lessons": 5})),
        [("criterion".to_owned(), "format")]
    );
    assert_eq!(
        bad(json!({"streak_days": -1})),
        [("criterion".to_owned(), "format")]
    );
    assert_eq!(
        bad(json!({"topic_mastered": {"topic": "x", "extra": 1}})),
        [("criterion".to_owned(), "format")]
    );
    assert_eq!(
        bad(
            json!({"all_of": [{"any_of": []}, {"streak_days": 0}, {"topic_mastered": {"topic": "Not A Tag"}}]})
        ),
        [
            ("criterion.all_of[0].any_of".to_owned(), "empty"),
            ("criterion.all_of[1].streak_days".to_owned(), "range"),
            (
                "criterion.all_of[2].topic_mastered.topic".to_owned(),
                "format"
            ),
        ]
    );
    assert_eq!(
        bad(json!({"all_of": []})),
        [("criterion.all_of".to_owned(), "empty")]
    );
}

fn nested(levels: usize) -> serde_json::Value {
    (0..levels).fold(
        json!({"xp_at_least": 1}),
        |inner, _| json!({"any_of": [inner]}),
    )
}

#[test]
fn nesting_is_limited() {
    assert!(parse_criterion(&nested(MAX_NESTING)).is_ok());
    let errs = fields(&nested(MAX_NESTING + 1));
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].1, "too_deep");
    assert!(errs[0].0.ends_with("any_of[0].any_of"), "{}", errs[0].0);
    assert_eq!(fields(&nested(500)), [("criterion".to_owned(), "too_deep")]);
}

const TOPICS: [&str; 4] = ["budgeting", "saving", "investing", "credit"];

fn criterion() -> impl Strategy<Value = Criterion> {
    let leaf = prop_oneof![
        (0..20_u32).prop_map(Criterion::LessonsCompleted),
        (0..20_u32).prop_map(Criterion::QuizzesPassed),
        (0..20_u32).prop_map(Criterion::PerfectQuizzes),
        (0..20_u32).prop_map(Criterion::CoursesCompleted),
        (0..20_u32).prop_map(Criterion::StreakDays),
        (0..2_000_u64).prop_map(Criterion::XpAtLeast),
        prop::sample::select(&TOPICS[..]).prop_map(|t| Criterion::TopicMastered {
            topic: t.to_owned()
        }),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Criterion::AllOf),
            prop::collection::vec(inner, 0..4).prop_map(Criterion::AnyOf),
        ]
    })
}

prop_compose! {
    fn stats()(
        counts in prop::array::uniform5(0..20_u32),
        xp in 0..2_000_u64,
        topics in prop::sample::subsequence(&TOPICS[..], 0..=TOPICS.len()),
    ) -> LearnerStats {
        LearnerStats {
            lessons_completed: counts[0],
            quizzes_passed: counts[1],
            perfect_quizzes: counts[2],
            courses_completed: counts[3],
            longest_streak: counts[4],
            xp,
            mastered_topics: topics.into_iter().map(str::to_owned).collect(),
        }
    }
}

proptest! {
    #[test]
    fn criteria_are_monotonic(c in criterion(), a in stats(), more in stats()) {
        let b = LearnerStats {
            lessons_completed: a.lessons_completed + more.lessons_completed,
            quizzes_passed: a.quizzes_passed + more.quizzes_passed,
            perfect_quizzes: a.perfect_quizzes + more.perfect_quizzes,
            courses_completed: a.courses_completed + more.courses_completed,
            longest_streak: a.longest_streak + more.longest_streak,
            xp: a.xp + more.xp,
            mastered_topics: a.mastered_topics.union(&more.mastered_topics).cloned().collect(),
        };
        if c.is_met(&a) {
            prop_assert!(c.is_met(&b));
        }
        let rules = [BadgeRule {
            key: "k".to_owned(),
            name: "n".to_owned(),
            description: "d".to_owned(),
            criterion: c,
        }];
        prop_assert!(newly_earned(&rules, &b, &a).is_empty());
    }

    #[test]
    fn criteria_round_trip_through_json(c in criterion()) {
        let json = serde_json::to_value(&c).unwrap();
        prop_assert_eq!(serde_json::from_value::<Criterion>(json.clone()).unwrap(), c.clone());
        if c.validate().is_ok() {
            prop_assert_eq!(parse_criterion(&json).unwrap(), c);
        }
    }
}
