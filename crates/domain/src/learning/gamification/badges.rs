//! Badges: named achievements whose criteria are data, so tenants can author their own.
//!
//! A [`Criterion`] is externally tagged JSON with snake_case names; a threshold is the
//! variant's value:
//!
//! ```json
//! {"lessons_completed": 5}        {"quizzes_passed": 5}      {"perfect_quizzes": 1}
//! {"courses_completed": 1}        {"streak_days": 7}         {"xp_at_least": 1000}
//! {"topic_mastered": {"topic": "budgeting"}}
//! {"all_of": [{"courses_completed": 3}, {"any_of": [{"perfect_quizzes": 5}, {"xp_at_least": 2000}]}]}
//! ```
//!
//! Every criterion is monotonic: more progress never un-meets one. So a badge, once
//! earned, stays earned, and [`newly_earned`] is all a caller needs after each event.

use crate::learning::course::Tag;
use crate::validation::FieldErrors;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// How deep `all_of` / `any_of` may nest: deeper trees are unreadable to authors.
pub const MAX_NESTING: usize = 4;

/// Raw JSON deeper than this is rejected before deserialising (a valid criterion at
/// [`MAX_NESTING`] is about 11 levels deep), so hostile input cannot recurse far.
const MAX_JSON_DEPTH: usize = 32;

/// What a learner must have achieved for a badge.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Criterion {
    /// At least this many lessons completed.
    LessonsCompleted(u32),
    /// At least this many quizzes passed (each quiz counted once).
    QuizzesPassed(u32),
    /// At least this many quizzes passed with 100%.
    PerfectQuizzes(u32),
    /// At least this many courses completed.
    CoursesCompleted(u32),
    /// A longest-ever streak of at least this many days (a lapsed streak still counts).
    StreakDays(u32),
    /// At least this much XP in total.
    XpAtLeast(u64),
    /// The topic (written like a catalogue tag, e.g. `budgeting`) has been mastered.
    TopicMastered {
        /// The topic's tag.
        topic: String,
    },
    /// Every listed criterion holds (at least one must be listed).
    AllOf(Vec<Criterion>),
    /// At least one listed criterion holds (at least one must be listed).
    AnyOf(Vec<Criterion>),
}

/// What a learner has achieved so far: the facts criteria are checked against.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LearnerStats {
    /// Distinct lessons completed.
    pub lessons_completed: u32,
    /// Distinct quizzes passed.
    pub quizzes_passed: u32,
    /// Distinct quizzes passed with 100%.
    pub perfect_quizzes: u32,
    /// Courses completed.
    pub courses_completed: u32,
    /// Longest daily streak ever, in days.
    pub longest_streak: u32,
    /// Total XP.
    pub xp: u64,
    /// Tags of the topics mastered.
    pub mastered_topics: BTreeSet<String>,
}

/// A badge and the criterion that awards it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadgeRule {
    /// Stable identifier, stored with each award (e.g. `first_steps`).
    pub key: String,
    /// Display name.
    pub name: String,
    /// What the learner did to earn it.
    pub description: String,
    /// When it is awarded.
    pub criterion: Criterion,
}

impl Criterion {
    /// Whether `stats` meet this criterion.
    pub fn is_met(&self, stats: &LearnerStats) -> bool {
        match self {
            Self::LessonsCompleted(n) => stats.lessons_completed >= *n,
            Self::QuizzesPassed(n) => stats.quizzes_passed >= *n,
            Self::PerfectQuizzes(n) => stats.perfect_quizzes >= *n,
            Self::CoursesCompleted(n) => stats.courses_completed >= *n,
            Self::StreakDays(n) => stats.longest_streak >= *n,
            Self::XpAtLeast(n) => stats.xp >= *n,
            Self::TopicMastered { topic } => stats.mastered_topics.contains(topic),
            Self::AllOf(all) => all.iter().all(|c| c.is_met(stats)),
            Self::AnyOf(any) => any.iter().any(|c| c.is_met(stats)),
        }
    }

    /// Checks the authoring rules: thresholds of at least 1 (a badge everyone has is a
    /// mistake), topics that are valid tags, combinators non-empty and at most
    /// [`MAX_NESTING`] deep. Errors name paths like `criterion.all_of[1].streak_days`.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errs = FieldErrors::new();
        self.check("criterion", 0, &mut errs);
        errs.finish(|| Some(()))
    }

    /// The wire name of this variant.
    fn name(&self) -> &'static str {
        match self {
            Self::LessonsCompleted(_) => "lessons_completed",
            Self::QuizzesPassed(_) => "quizzes_passed",
            Self::PerfectQuizzes(_) => "perfect_quizzes",
            Self::CoursesCompleted(_) => "courses_completed",
            Self::StreakDays(_) => "streak_days",
            Self::XpAtLeast(_) => "xp_at_least",
            Self::TopicMastered { .. } => "topic_mastered",
            Self::AllOf(_) => "all_of",
            Self::AnyOf(_) => "any_of",
        }
    }

    fn check(&self, at: &str, nesting: usize, errs: &mut FieldErrors) {
        let path = format!("{at}.{}", self.name());
        match self {
            Self::LessonsCompleted(0)
            | Self::QuizzesPassed(0)
            | Self::PerfectQuizzes(0)
            | Self::CoursesCompleted(0)
            | Self::StreakDays(0)
            | Self::XpAtLeast(0) => errs.push(path, "range", "must be at least 1"),
            Self::TopicMastered { topic } => {
                errs.check(&format!("{path}.topic"), Tag::parse(topic).map(drop));
            }
            Self::AllOf(list) | Self::AnyOf(list) => {
                if nesting >= MAX_NESTING {
                    errs.push(
                        path,
                        "too_deep",
                        format!("all_of and any_of nest at most {MAX_NESTING} deep"),
                    );
                } else if list.is_empty() {
                    errs.push(path, "empty", "must list at least one criterion");
                } else {
                    for (i, c) in list.iter().enumerate() {
                        c.check(&format!("{path}[{i}]"), nesting + 1, errs);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Parses and validates an authored criterion (see [`Criterion::validate`]).
pub fn parse_criterion(json: &serde_json::Value) -> Result<Criterion, FieldErrors> {
    let mut errs = FieldErrors::new();
    if deeper_than(json, MAX_JSON_DEPTH) {
        errs.push("criterion", "too_deep", "criterion is nested too deeply");
        return Err(errs);
    }
    match Criterion::deserialize(json) {
        Ok(c) => c.validate().map(|()| c),
        Err(e) => {
            errs.push("criterion", "format", e.to_string());
            Err(errs)
        }
    }
}

/// Whether `v` nests more than `limit` levels; recurses at most `limit` deep.
fn deeper_than(v: &serde_json::Value, limit: usize) -> bool {
    use serde_json::Value;
    match v {
        Value::Array(a) => limit == 0 || a.iter().any(|c| deeper_than(c, limit - 1)),
        Value::Object(o) => limit == 0 || o.values().any(|c| deeper_than(c, limit - 1)),
        _ => false,
    }
}

/// The rules whose criteria `stats` meet, in rule order.
pub fn earned<'a>(rules: &'a [BadgeRule], stats: &LearnerStats) -> Vec<&'a BadgeRule> {
    rules.iter().filter(|r| r.criterion.is_met(stats)).collect()
}

/// The rules met by `after` but not by `before`: the badges to award after an event.
/// Badges are never revoked, so rules met before and not after are simply absent.
pub fn newly_earned<'a>(
    rules: &'a [BadgeRule],
    before: &LearnerStats,
    after: &LearnerStats,
) -> Vec<&'a BadgeRule> {
    rules
        .iter()
        .filter(|r| r.criterion.is_met(after) && !r.criterion.is_met(before))
        .collect()
}
