//! Server-side grading: responses, credit, the revealed answer and the score.
//!
//! Credit is in permille (0–1000) so partial credit needs no floats. The rules:
//!
//! - **single choice, true/false, ordering**: all or nothing.
//! - **numeric**: full credit iff `|given − correct| ≤ tolerance`, plus `1e-9 ×
//!   max(1, |correct|)` so that a value the learner typed exactly (`0.3`) is not refused
//!   because of binary floating point (`0.1 + 0.2`).
//! - **multiple select**: `max(0, right picks − wrong picks) / correct options`, rounded
//!   down (as Canvas does): picking everything earns nothing, and a guess costs as much as
//!   a right pick earns.
//! - A response of the wrong kind, with an index out of range or listed twice, or an
//!   ordering that does not place every item exactly once, earns 0: it is the learner's
//!   answer, wrong, not an error. No response (unanswered) earns 0, and so does a draw
//!   that is not this question's (another id, or an option order of the wrong size).

use super::QuestionId;
use super::attempt::DrawnQuestion;
use super::question::{AnswerKey, Question, QuestionKind};
use serde::{Deserialize, Serialize};

/// Full credit, in permille.
pub const FULL_CREDIT: u16 = 1000;

/// Slack allowed on numeric answers, relative to `max(1, |correct|)`.
const NUMERIC_EPSILON: f64 = 1e-9;

/// A learner's answer to one question, in presented indices.
///
/// Wire shape: `{"type": <question type>, "answer": <value>}`:
///
/// | `type`            | `answer`                                              |
/// |-------------------|-------------------------------------------------------|
/// | `single_choice`   | presented index, e.g. `2`                             |
/// | `multiple_select` | presented indices picked, e.g. `[0, 3]`               |
/// | `true_false`      | `true` or `false`                                     |
/// | `numeric`         | a number, e.g. `1628.89`                              |
/// | `ordering`        | presented indices in the learner's order, `[2, 0, 1]` |
///
/// An unanswered question has no response at all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = QuizResponse))]
#[serde(
    tag = "type",
    content = "answer",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum Response {
    /// The presented index picked.
    SingleChoice(usize),
    /// The presented indices picked, in any order.
    MultipleSelect(Vec<usize>),
    /// The value picked.
    TrueFalse(bool),
    /// The number given.
    Numeric(f64),
    /// Presented indices, in the order the learner put them.
    Ordering(Vec<usize>),
}

impl Response {
    /// The kind of question this response answers.
    pub fn kind(&self) -> QuestionKind {
        match self {
            Self::SingleChoice(_) => QuestionKind::SingleChoice,
            Self::MultipleSelect(_) => QuestionKind::MultipleSelect,
            Self::TrueFalse(_) => QuestionKind::TrueFalse,
            Self::Numeric(_) => QuestionKind::Numeric,
            Self::Ordering(_) => QuestionKind::Ordering,
        }
    }
}

/// The outcome for one question of an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Graded {
    /// The question.
    pub question: QuestionId,
    /// 0–1000.
    pub credit_permille: u16,
    /// Points earned, in thousandths: `points × credit_permille`.
    pub earned_points_milli: u32,
    /// Points the question was worth, in thousandths; what [`score`] totals against.
    pub possible_points_milli: u32,
}

/// Grades `response` to `question` as drawn in `drawn`; `None` is unanswered. See the
/// [module docs](self) for the rules. Grade every drawn question, answered or not, so
/// that [`score`] counts each one's points.
pub fn grade(question: &Question, drawn: &DrawnQuestion, response: Option<&Response>) -> Graded {
    let credit = match response {
        Some(r) if drawn.question == question.id => {
            credit(&question.answer, &drawn.option_order, r)
        }
        _ => 0,
    };
    Graded {
        question: question.id,
        credit_permille: credit,
        earned_points_milli: question.points.saturating_mul(u32::from(credit)),
        possible_points_milli: question.points.saturating_mul(u32::from(FULL_CREDIT)),
    }
}

fn credit(key: &AnswerKey, order: &[usize], response: &Response) -> u16 {
    if !is_permutation(order, key.choices().len()) {
        return 0; // not this question's draw: nothing can be credited
    }
    let all_or_nothing = |right: bool| if right { FULL_CREDIT } else { 0 };
    match (key, response) {
        (AnswerKey::SingleChoice { correct, .. }, Response::SingleChoice(p)) => {
            all_or_nothing(order.get(*p) == Some(correct))
        }
        (AnswerKey::MultipleSelect { correct, .. }, Response::MultipleSelect(ps)) => {
            let Some(picked) = authored(order, ps) else {
                return 0;
            };
            let right = picked.iter().filter(|a| correct.contains(a)).count();
            let wrong = picked.len() - right;
            permille(right.saturating_sub(wrong), correct.len())
        }
        (AnswerKey::TrueFalse { correct }, Response::TrueFalse(given)) => {
            all_or_nothing(given == correct)
        }
        (AnswerKey::Numeric { correct, tolerance }, Response::Numeric(given)) => {
            let slack = tolerance + NUMERIC_EPSILON * correct.abs().max(1.0);
            all_or_nothing(given.is_finite() && (given - correct).abs() <= slack)
        }
        (AnswerKey::Ordering { items }, Response::Ordering(ps)) => all_or_nothing(
            ps.len() == items.len()
                && authored(order, ps).is_some_and(|a| a.iter().copied().eq(0..items.len())),
        ),
        _ => 0,
    }
}

/// Whether `order` holds each of `0..n` exactly once.
fn is_permutation(order: &[usize], n: usize) -> bool {
    let mut seen = vec![false; n];
    order.len() == n
        && order
            .iter()
            .all(|&a| a < n && !std::mem::replace(&mut seen[a], true))
}

/// Presented indices as authored ones; `None` if any is out of range or repeated.
fn authored(order: &[usize], presented: &[usize]) -> Option<Vec<usize>> {
    let mut seen = vec![false; order.len()];
    presented
        .iter()
        .map(|&p| {
            let first = !std::mem::replace(seen.get_mut(p)?, true);
            first.then_some(order[p])
        })
        .collect()
}

/// `part / whole` in permille, rounded down, at most 1000 (0 when `whole` is 0).
fn permille(part: usize, whole: usize) -> u16 {
    let p = (part.saturating_mul(1000))
        .checked_div(whole)
        .unwrap_or(0)
        .min(1000);
    u16::try_from(p).unwrap_or(0)
}

/// The correct answer in presented indices, shown after submission.
///
/// Wire shape: `{"question": "<id>", "type": <question type>, "answer": <value>,
/// "explanation": "<markdown>"}`, where `answer` is as in a [`Response`] (for ordering:
/// presented indices in the correct order; for multiple select: sorted) and numeric
/// questions add `"tolerance": <number>`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema),
    schema(
        as = QuizRevealedAnswer,
        description = "The correct answer in presented indices, with the explanation, shown after \
            submission. `answer` is as in a response (for ordering: presented indices in the correct \
            order; for multiple select: sorted); numeric questions add `tolerance`."
    )
)]
pub struct RevealedAnswer {
    /// The question.
    pub question: QuestionId,
    /// The correct answer.
    #[serde(flatten)]
    pub answer: CorrectAnswer,
    /// Markdown explanation.
    pub explanation: String,
}

/// A correct answer in presented indices.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = QuizCorrectAnswer))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CorrectAnswer {
    /// The presented index of the correct option.
    SingleChoice {
        /// Presented index.
        answer: usize,
    },
    /// The presented indices of the correct options, sorted.
    MultipleSelect {
        /// Presented indices.
        answer: Vec<usize>,
    },
    /// The correct value.
    TrueFalse {
        /// Value.
        answer: bool,
    },
    /// The correct number and the tolerance accepted around it.
    Numeric {
        /// Value.
        answer: f64,
        /// Largest accepted distance.
        tolerance: f64,
    },
    /// Presented indices, in the correct order.
    Ordering {
        /// Presented indices.
        answer: Vec<usize>,
    },
}

impl CorrectAnswer {
    /// The response that would earn full credit.
    pub fn to_response(&self) -> Response {
        match self {
            Self::SingleChoice { answer } => Response::SingleChoice(*answer),
            Self::MultipleSelect { answer } => Response::MultipleSelect(answer.clone()),
            Self::TrueFalse { answer } => Response::TrueFalse(*answer),
            Self::Numeric { answer, .. } => Response::Numeric(*answer),
            Self::Ordering { answer } => Response::Ordering(answer.clone()),
        }
    }
}

/// The correct answer to `question` as drawn in `drawn`, with its explanation. Only for
/// after submission.
pub fn reveal(question: &Question, drawn: &DrawnQuestion) -> RevealedAnswer {
    let order = &drawn.option_order;
    // Indices the draw does not place (a mismatched draw) are dropped.
    let presented = |a: &usize| order.iter().position(|x| x == a);
    let answer = match &question.answer {
        AnswerKey::SingleChoice { correct, .. } => CorrectAnswer::SingleChoice {
            answer: presented(correct).unwrap_or(*correct),
        },
        AnswerKey::MultipleSelect { correct, .. } => {
            let mut answer: Vec<usize> = correct.iter().filter_map(presented).collect();
            answer.sort_unstable();
            CorrectAnswer::MultipleSelect { answer }
        }
        AnswerKey::TrueFalse { correct } => CorrectAnswer::TrueFalse { answer: *correct },
        AnswerKey::Numeric { correct, tolerance } => CorrectAnswer::Numeric {
            answer: *correct,
            tolerance: *tolerance,
        },
        AnswerKey::Ordering { items } => CorrectAnswer::Ordering {
            answer: (0..items.len()).filter_map(|a| presented(&a)).collect(),
        },
    };
    RevealedAnswer {
        question: question.id,
        answer,
        explanation: question.explanation.clone(),
    }
}

/// An attempt's total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Score {
    /// Points earned, in thousandths.
    pub earned_milli: u64,
    /// Points available, in thousandths.
    pub possible_milli: u64,
    /// `earned / possible`, rounded down (so 69.9% does not pass a 70% mark); 0 for an
    /// empty quiz.
    pub percent: u8,
    /// Whether `percent` reaches the pass mark. An empty quiz passes only a 0% mark.
    pub passed: bool,
}

/// Totals an attempt's graded questions against `pass_mark_percent`.
pub fn score(graded: &[Graded], pass_mark_percent: u8) -> Score {
    let earned: u64 = graded
        .iter()
        .map(|g| u64::from(g.earned_points_milli))
        .sum();
    let possible: u64 = graded
        .iter()
        .map(|g| u64::from(g.possible_points_milli))
        .sum();
    let percent = (earned.saturating_mul(100))
        .checked_div(possible)
        .unwrap_or(0)
        .min(100);
    let percent = u8::try_from(percent).unwrap_or(0);
    Score {
        earned_milli: earned,
        possible_milli: possible,
        percent,
        passed: percent >= pass_mark_percent,
    }
}

#[cfg(test)]
#[path = "grading_tests.rs"]
mod tests;
