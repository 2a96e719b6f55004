//! Attempts: which questions a learner gets, what they see, and the limits on starting
//! and submitting.
//!
//! An attempt's questions are [`draw`]n from the bank with a seed, so the draw is
//! reproducible; store the resulting [`DrawnQuestion`]s with the attempt (they hold the
//! option orders that responses are expressed in). Learners see [`present`]ed questions
//! only.

use super::QuestionId;
use super::question::{AnswerKey, Question, QuestionKind, Topic};
use super::settings::QuizSettings;
use super::shuffle::SplitMix64;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// A question as drawn for one attempt, with the order its options are shown in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawnQuestion {
    /// The question.
    pub question: QuestionId,
    /// `option_order[presented_index] = authored_index`, a permutation of the options
    /// (or ordering items); empty for true/false and numeric questions. Responses and
    /// revealed answers use presented indices.
    pub option_order: Vec<usize>,
}

/// Draws an attempt's questions from `questions` (a bank of distinct questions).
///
/// Takes `settings.draw` questions (or all) without replacement, in authored order unless
/// `shuffle_questions`. Single- and multiple-choice options are shuffled only with
/// `shuffle_options`, but ordering items always are, and never into their correct
/// order, since that order is the answer. The result depends only on the arguments, so
/// the same seed gives the same draw on every machine.
pub fn draw(questions: &[Question], settings: &QuizSettings, seed: u64) -> Vec<DrawnQuestion> {
    let mut rng = SplitMix64::new(seed);
    let n = questions.len();
    let k = settings
        .draw
        .map_or(n, |d| usize::try_from(d).unwrap_or(usize::MAX).min(n));
    let mut picked: Vec<usize> = (0..n).collect();
    if k < n || settings.shuffle_questions {
        rng.shuffle(&mut picked);
        picked.truncate(k);
        if !settings.shuffle_questions {
            picked.sort_unstable();
        }
    }
    picked
        .into_iter()
        .map(|i| {
            let q = &questions[i];
            DrawnQuestion {
                question: q.id,
                option_order: option_order(&q.answer, settings.shuffle_options, &mut rng),
            }
        })
        .collect()
}

fn option_order(key: &AnswerKey, shuffle_options: bool, rng: &mut SplitMix64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..key.choices().len()).collect();
    match key {
        AnswerKey::SingleChoice { .. } | AnswerKey::MultipleSelect { .. } if shuffle_options => {
            rng.shuffle(&mut order);
        }
        AnswerKey::Ordering { .. } if order.len() >= 2 => {
            // Rejecting the correct order keeps every other arrangement equally likely.
            // A try fails with probability 1/n! <= 1/2, so 32 failures are practically
            // impossible; rotating then still guarantees the bound.
            for _ in 0..32 {
                rng.shuffle(&mut order);
                if !is_identity(&order) {
                    return order;
                }
            }
            order.rotate_left(1);
        }
        _ => {}
    }
    order
}

pub(super) fn is_identity(order: &[usize]) -> bool {
    order.iter().enumerate().all(|(i, &a)| i == a)
}

/// A question as the learner sees it before submitting: nothing in it reveals the answer
/// (no explanation, correct index or tolerance).
///
/// ```json
/// {"id": "…", "type": "single_choice", "topic": "compound-interest", "prompt": "…",
///  "points": 1, "options": ["B", "C", "A"]}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PresentedQuestion {
    /// The question.
    pub id: QuestionId,
    /// Its kind, so the client knows which input to show (`type` on the wire, as in
    /// specs and responses).
    #[serde(rename = "type")]
    pub kind: QuestionKind,
    /// Its topic.
    pub topic: Topic,
    /// Markdown prompt.
    pub prompt: String,
    /// Worth.
    pub points: u32,
    /// Options, or ordering items, in presented order; empty for true/false and numeric.
    pub options: Vec<String>,
}

/// The learner's view of `question` as drawn in `drawn` (which must be its draw).
pub fn present(question: &Question, drawn: &DrawnQuestion) -> PresentedQuestion {
    let choices = question.answer.choices();
    PresentedQuestion {
        id: question.id,
        kind: question.answer.kind(),
        topic: question.topic.clone(),
        prompt: question.prompt.clone(),
        points: question.points,
        options: drawn
            .option_order
            .iter()
            .filter_map(|&i| choices.get(i).cloned())
            .collect(),
    }
}

/// Lateness forgiven after a time limit, so a submission sent in the last second is not
/// refused because of network latency.
pub const SUBMISSION_GRACE: Duration = Duration::seconds(5);

/// Why an attempt may not be started or submitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttemptError {
    /// The learner has used every attempt the quiz allows.
    #[error("all {max} attempts at this quiz have been used")]
    AttemptsExhausted {
        /// Attempts allowed.
        max: u32,
    },
    /// The time limit (plus grace) has passed.
    #[error("the time limit for this attempt ended at {deadline}")]
    TimeExpired {
        /// When the time limit ended (before grace).
        deadline: OffsetDateTime,
    },
}

/// When an attempt started at `started_at` must be submitted (`None`: untimed). This is
/// what the learner is shown; [`SUBMISSION_GRACE`] is not included.
pub fn deadline(started_at: OffsetDateTime, settings: &QuizSettings) -> Option<OffsetDateTime> {
    settings.time_limit.map(|l| started_at.saturating_add(l))
}

/// Whether a submission at `now` is in time: up to the deadline plus
/// [`SUBMISSION_GRACE`], inclusive.
pub fn check_submission(
    started_at: OffsetDateTime,
    settings: &QuizSettings,
    now: OffsetDateTime,
) -> Result<(), AttemptError> {
    match deadline(started_at, settings) {
        Some(d) if is_past(d, now) => Err(AttemptError::TimeExpired { deadline: d }),
        _ => Ok(()),
    }
}

/// Whether `now` is past `deadline` plus [`SUBMISSION_GRACE`] (the grace is inclusive).
pub fn is_past(deadline: OffsetDateTime, now: OffsetDateTime) -> bool {
    now > deadline.saturating_add(SUBMISSION_GRACE)
}

/// Whether a learner who has already started `previous_attempts` attempts may start
/// another.
pub fn may_start(previous_attempts: u32, settings: &QuizSettings) -> Result<(), AttemptError> {
    match settings.max_attempts {
        Some(max) if previous_attempts >= max => Err(AttemptError::AttemptsExhausted { max }),
        _ => Ok(()),
    }
}

#[cfg(test)]
#[path = "attempt_tests.rs"]
mod tests;
