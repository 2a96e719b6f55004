//! The question model: what is asked, how it is worth, and its answer key.

use super::{BankId, QuestionId};
use crate::validation::{FieldError, invalid};
use serde::{Deserialize, Serialize};

/// Fewest options (or ordering items) a question may have: one is not a choice.
pub const MIN_OPTIONS: usize = 2;
/// Most options (or ordering items) a question may have: more is unreadable on a phone.
pub const MAX_OPTIONS: usize = 10;
/// Longest option or ordering item, in characters.
pub const MAX_OPTION_CHARS: usize = 500;
/// Longest prompt or explanation, in characters.
pub const MAX_TEXT_CHARS: usize = 4000;
/// Longest question key or topic, in characters.
pub const MAX_SLUG_CHARS: usize = 64;
/// Points a question may be worth.
pub const POINTS: std::ops::RangeInclusive<u32> = 1..=10;

/// What a question is about, e.g. `compound-interest`: 1–64 characters of lower-case
/// letters, digits and inner hyphens. Mastery is reported per topic.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = QuizTopic))]
#[serde(transparent)]
pub struct Topic(String);

impl Topic {
    /// Parses a topic, trimming and lower-casing it (as course tags are).
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        slug(raw).map(Self)
    }

    /// The topic text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Parses a slug: trimmed, lower-cased, 1–64 characters of `a-z`, `0-9` and inner `-`.
pub fn slug(raw: &str) -> Result<String, FieldError> {
    let s = raw.trim().to_lowercase();
    let ok = (1..=MAX_SLUG_CHARS).contains(&s.chars().count())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if ok {
        Ok(s)
    } else {
        Err(invalid(
            "format",
            "must be 1-64 characters of a-z, 0-9 and inner hyphens",
        ))
    }
}

/// A checked question of a bank.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    /// Identity.
    pub id: QuestionId,
    /// The bank it belongs to.
    pub bank: BankId,
    /// The author's stable key, unique within the bank: a slug of 1–64 characters.
    /// Re-importing a package matches questions by key, so learners' history survives.
    pub key: String,
    /// What it tests; mastery is reported per topic.
    pub topic: Topic,
    /// Markdown, 1–4,000 characters; rendered and sanitized when served.
    pub prompt: String,
    /// Markdown, up to 4,000 characters; shown only after submission.
    pub explanation: String,
    /// Worth, 1–10.
    pub points: u32,
    /// The kind of question and its correct answer.
    pub answer: AnswerKey,
}

/// A question's kind and its correct answer, in authored terms (authored option indices,
/// items in their correct order). Never sent to a learner before submission.
#[derive(Debug, Clone, PartialEq)]
pub enum AnswerKey {
    /// Pick exactly one option.
    SingleChoice {
        /// 2–10 distinct options, trimmed, 1–500 characters each.
        options: Vec<String>,
        /// Index of the correct option.
        correct: usize,
    },
    /// Pick every correct option; partial credit.
    MultipleSelect {
        /// 2–10 distinct options, trimmed, 1–500 characters each.
        options: Vec<String>,
        /// Indices of the correct options: sorted, distinct, non-empty.
        correct: Vec<usize>,
    },
    /// True or false.
    TrueFalse {
        /// The correct answer.
        correct: bool,
    },
    /// A number, within a tolerance.
    Numeric {
        /// The correct value, finite.
        correct: f64,
        /// Largest accepted distance from `correct`: finite and at least 0.
        tolerance: f64,
    },
    /// Put items in order.
    Ordering {
        /// 2–10 distinct items, trimmed, 1–500 characters each, in the correct order.
        items: Vec<String>,
    },
}

impl AnswerKey {
    /// The kind of question this key answers.
    pub fn kind(&self) -> QuestionKind {
        match self {
            Self::SingleChoice { .. } => QuestionKind::SingleChoice,
            Self::MultipleSelect { .. } => QuestionKind::MultipleSelect,
            Self::TrueFalse { .. } => QuestionKind::TrueFalse,
            Self::Numeric { .. } => QuestionKind::Numeric,
            Self::Ordering { .. } => QuestionKind::Ordering,
        }
    }

    /// The options (or ordering items) in authored order; empty for true/false and
    /// numeric questions.
    pub fn choices(&self) -> &[String] {
        match self {
            Self::SingleChoice { options, .. } | Self::MultipleSelect { options, .. } => options,
            Self::Ordering { items } => items,
            Self::TrueFalse { .. } | Self::Numeric { .. } => &[],
        }
    }
}

/// The kinds of question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = QuizQuestionKind))]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// Pick exactly one option.
    SingleChoice,
    /// Pick every correct option.
    MultipleSelect,
    /// True or false.
    TrueFalse,
    /// A number, within a tolerance.
    Numeric,
    /// Put items in order.
    Ordering,
}

impl QuestionKind {
    /// Every kind.
    pub const ALL: [QuestionKind; 5] = [
        Self::SingleChoice,
        Self::MultipleSelect,
        Self::TrueFalse,
        Self::Numeric,
        Self::Ordering,
    ];

    /// Wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SingleChoice => "single_choice",
            Self::MultipleSelect => "multiple_select",
            Self::TrueFalse => "true_false",
            Self::Numeric => "numeric",
            Self::Ordering => "ordering",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw.trim())
            .ok_or_else(|| {
                invalid(
                    "unknown_value",
                    "must be single_choice, multiple_select, true_false, numeric or ordering",
                )
            })
    }

    /// Whether the learner picks from (or orders) a list of options.
    pub fn has_options(self) -> bool {
        !matches!(self, Self::TrueFalse | Self::Numeric)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_wire_names() {
        for k in QuestionKind::ALL {
            assert_eq!(QuestionKind::parse(k.as_str()).unwrap(), k);
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
        }
        assert_eq!(
            QuestionKind::parse("essay").unwrap_err().code,
            "unknown_value"
        );
    }

    #[test]
    fn topics_are_slugs() {
        assert_eq!(
            Topic::parse(" Compound-Interest ").unwrap().as_str(),
            "compound-interest"
        );
        for bad in ["", "-x", "x-", "a b", "é", &"x".repeat(65)] {
            assert!(Topic::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Topic::parse(&"x".repeat(64)).is_ok());
    }
}
