//! Topic mastery, derived from submitted attempts rather than stored, so it can never
//! disagree with them and the rule can change without a migration.
//!
//! The rule, per topic:
//!
//! - `percent` is the mean credit of the learner's **10 most recent** answers in the
//!   topic, rounded down: recent work counts, so a learner who has since caught up is
//!   not held back by early mistakes.
//! - `answered` counts every answer in the topic.
//! - `level`: [`MasteryLevel::Mastered`] at 80% or more over at least 3 answers (one
//!   lucky answer is not mastery); [`MasteryLevel::Developing`] from 50% (or 80%+ over
//!   fewer than 3); [`MasteryLevel::Learning`] below 50%;
//!   [`MasteryLevel::NotStarted`] without answers.

use super::grading::FULL_CREDIT;
use super::question::Topic;
use serde::Serialize;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// How many recent answers a topic's percentage is taken over.
pub const RECENT_ANSWERS: usize = 10;
/// Fewest answers for [`MasteryLevel::Mastered`].
pub const MASTERY_MIN_ANSWERS: u32 = 3;

/// One graded answer of a submitted attempt, by topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicAnswer {
    /// The question's topic.
    pub topic: Topic,
    /// Credit earned, 0–1000.
    pub credit_permille: u16,
    /// When the attempt was submitted.
    pub at: OffsetDateTime,
}

/// How well a learner knows a topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = QuizMasteryLevel))]
#[serde(rename_all = "snake_case")]
pub enum MasteryLevel {
    /// No answers yet.
    NotStarted,
    /// Below 50%.
    Learning,
    /// 50–79%, or 80% and more over fewer than 3 answers.
    Developing,
    /// 80% or more over at least 3 answers.
    Mastered,
}

impl MasteryLevel {
    /// The level for a recent-answer percentage over `answered` answers.
    pub fn from_percent(percent: u8, answered: u32) -> Self {
        match percent {
            _ if answered == 0 => Self::NotStarted,
            80.. if answered >= MASTERY_MIN_ANSWERS => Self::Mastered,
            50.. => Self::Developing,
            _ => Self::Learning,
        }
    }
}

/// A learner's standing in one topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = QuizTopicMastery))]
pub struct TopicMastery {
    /// The topic.
    pub topic: Topic,
    /// The level reached.
    pub level: MasteryLevel,
    /// Mean credit of the 10 most recent answers, 0–100, rounded down.
    pub percent: u8,
    /// All answers in the topic.
    pub answered: u32,
}

impl TopicMastery {
    /// A topic without answers, for listing every topic of a course.
    pub fn not_started(topic: Topic) -> Self {
        Self {
            topic,
            level: MasteryLevel::NotStarted,
            percent: 0,
            answered: 0,
        }
    }
}

/// Mastery of every topic that has answers, sorted by topic. See the
/// [module docs](self) for the rule. Answers at the same instant count as more recent
/// the later they come in `answers`.
pub fn mastery(answers: &[TopicAnswer]) -> Vec<TopicMastery> {
    let mut by_topic: BTreeMap<&Topic, Vec<&TopicAnswer>> = BTreeMap::new();
    for a in answers {
        by_topic.entry(&a.topic).or_default().push(a);
    }
    by_topic
        .into_iter()
        .map(|(topic, mut list)| {
            list.sort_by_key(|a| a.at); // stable: ties keep input order
            let recent = &list[list.len().saturating_sub(RECENT_ANSWERS)..];
            let total: u64 = recent
                .iter()
                .map(|a| u64::from(a.credit_permille.min(FULL_CREDIT)))
                .sum();
            let whole = u64::from(FULL_CREDIT) * recent.len() as u64;
            let percent = (total * 100).checked_div(whole).unwrap_or(0);
            let percent = u8::try_from(percent).unwrap_or(100);
            let answered = u32::try_from(list.len()).unwrap_or(u32::MAX);
            TopicMastery {
                topic: topic.clone(),
                level: MasteryLevel::from_percent(percent, answered),
                percent,
                answered,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;
    use time::macros::datetime;

    fn answer(topic: &str, credit: u16, minute: i64) -> TopicAnswer {
        TopicAnswer {
            topic: Topic::parse(topic).unwrap(),
            credit_permille: credit,
            at: datetime!(2025-03-01 12:00 UTC) + Duration::minutes(minute),
        }
    }

    #[test]
    fn levels_follow_the_thresholds() {
        use MasteryLevel as L;
        assert_eq!(L::from_percent(0, 0), L::NotStarted);
        assert_eq!(L::from_percent(49, 5), L::Learning);
        assert_eq!(L::from_percent(50, 5), L::Developing);
        assert_eq!(L::from_percent(79, 5), L::Developing);
        assert_eq!(L::from_percent(80, 3), L::Mastered);
        assert_eq!(L::from_percent(100, 2), L::Developing, "too few answers");
        assert_eq!(
            TopicMastery::not_started(Topic::parse("tax").unwrap()).level,
            L::NotStarted
        );
    }

    #[test]
    fn topics_are_sorted_and_counted() {
        let got = mastery(&[
            answer("tax", 1000, 0),
            answer("budgets", 500, 1),
            answer("tax", 0, 2),
            answer("budgets", 1000, 3),
            answer("budgets", 1000, 4),
        ]);
        let topics: Vec<&str> = got.iter().map(|m| m.topic.as_str()).collect();
        assert_eq!(topics, ["budgets", "tax"]);
        assert_eq!((got[0].percent, got[0].answered), (83, 3));
        assert_eq!(got[0].level, MasteryLevel::Mastered);
        assert_eq!((got[1].percent, got[1].answered), (50, 2));
        assert_eq!(got[1].level, MasteryLevel::Developing);
        assert!(mastery(&[]).is_empty());
    }

    #[test]
    fn only_the_ten_most_recent_answers_count() {
        // Five early failures, then ten successes given out of order: the failures age out.
        let mut answers: Vec<TopicAnswer> = (0..5).map(|m| answer("risk", 0, m)).collect();
        answers.extend((0..10).rev().map(|m| answer("risk", 1000, 100 + m)));
        answers.reverse();
        let m = &mastery(&answers)[0];
        assert_eq!(
            (m.percent, m.answered, m.level),
            (100, 15, MasteryLevel::Mastered)
        );
        // One more failure, most recent: 9 of the last 10.
        answers.push(answer("risk", 0, 200));
        let m = &mastery(&answers)[0];
        assert_eq!(
            (m.percent, m.answered, m.level),
            (90, 16, MasteryLevel::Mastered)
        );
        // Partial credit averages and rounds down: (1000 + 333 + 0) / 3 = 44.4%.
        let m = &mastery(&[answer("x", 1000, 0), answer("x", 333, 1), answer("x", 0, 2)])[0];
        assert_eq!((m.percent, m.level), (44, MasteryLevel::Learning));
    }
}
