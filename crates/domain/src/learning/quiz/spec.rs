//! The authoring wire format for questions, used by course packages and the authoring API.
//!
//! One flat object whose `type` says which members it carries:
//!
//! ```json
//! {"key": "compound-10y", "topic": "compound-interest", "prompt": "…", "explanation": "…",
//!  "points": 1, "type": "single_choice", "options": ["A", "B", "C"], "answer": 1}
//! ```
//!
//! | `type`            | members                                                  |
//! |-------------------|----------------------------------------------------------|
//! | `single_choice`   | `options`, `answer`: index of the correct option         |
//! | `multiple_select` | `options`, `answer`: array of indices of correct options |
//! | `true_false`      | `answer`: boolean                                        |
//! | `numeric`         | `answer`: number, `tolerance`: number (default 0)        |
//! | `ordering`        | `items`: in the correct order                            |
//!
//! The struct is deliberately loose (strings, `i64`, a JSON value for `answer`) so that
//! every mistake, including an unknown `type`, a member that does not belong to the type
//! or an answer of the wrong JSON type, becomes a [`FieldError`](crate::FieldError) with
//! a path (`options[2]`, `answer`) rather than an opaque deserialization failure.

use super::question::{
    AnswerKey, MAX_OPTION_CHARS, MAX_OPTIONS, MAX_TEXT_CHARS, MIN_OPTIONS, POINTS, Question,
    QuestionKind, Topic, slug,
};
use super::{BankId, QuestionId};
use crate::validation::{FieldError, FieldErrors, invalid};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// One question as authored. See the [module docs](self) for the JSON shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema),
    schema(
        as = QuizQuestionSpec,
        description = "One question as authored. `type` says which members it carries:\n\n\
            | `type` | members |\n\
            |---|---|\n\
            | `single_choice` | `options`, `answer`: index of the correct option |\n\
            | `multiple_select` | `options`, `answer`: array of indices of correct options |\n\
            | `true_false` | `answer`: boolean |\n\
            | `numeric` | `answer`: number, `tolerance`: number (default 0) |\n\
            | `ordering` | `items`: in the correct order |\n\n\
            An unknown `type`, a member the type does not use or an answer of the wrong JSON type \
            is a field error with its path (`options[2]`, `answer`)."
    )
)]
#[serde(deny_unknown_fields)]
pub struct QuestionSpec {
    /// Stable key, unique within the bank: 1–64 lower-case letters, digits and inner
    /// hyphens.
    #[serde(default)]
    pub key: String,
    /// Topic slug, e.g. `compound-interest`: mastery is reported per topic.
    #[serde(default)]
    pub topic: String,
    /// Markdown prompt, up to 4,000 characters.
    #[serde(default)]
    pub prompt: String,
    /// Markdown explanation shown after submission; default empty.
    #[serde(default)]
    pub explanation: String,
    /// Worth, 1–10; default 1.
    #[serde(default = "one")]
    pub points: i64,
    /// The question type: `single_choice`, `multiple_select`, `true_false`, `numeric` or
    /// `ordering`.
    #[serde(default, rename = "type")]
    pub kind: String,
    /// Options of single-choice and multiple-select questions: 2–10, each 1–500
    /// characters, all distinct.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
    /// Items of ordering questions, in the correct order: 3–10, each 1–500 characters,
    /// all distinct.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<String>>,
    /// The correct answer; its JSON type depends on `type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<Value>,
    /// Numeric questions' tolerance; absent means 0.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "tolerance_json"
    )]
    pub tolerance: Option<f64>,
}

fn one() -> i64 {
    1
}

/// Writes a tolerance as authors write it, whole numbers without a fraction (`1`, not
/// `1.0`) like answers, so a canonical spec round-trips unchanged as JSON, not only as
/// numbers.
#[allow(clippy::ref_option)] // the signature serde's `serialize_with` calls
fn tolerance_json<S: serde::Serializer>(t: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(x) => number(*x).serialize(s),
        None => s.serialize_none(),
    }
}

impl QuestionSpec {
    /// Parses every member, reporting all problems at once with paths relative to the
    /// question (`options[2]`, `answer`).
    ///
    /// Keys and topics are trimmed and lower-cased and options trimmed; prompts and
    /// explanations are kept verbatim because whitespace is meaningful in markdown.
    pub fn parse(&self, id: QuestionId, bank: BankId) -> Result<Question, FieldErrors> {
        let mut errs = FieldErrors::new();
        let key = errs.check("key", slug(&self.key));
        let topic = errs.check("topic", Topic::parse(&self.topic));
        let prompt = errs.check("prompt", markdown(&self.prompt, 1));
        let explanation = errs.check("explanation", markdown(&self.explanation, 0));
        let points = errs.check(
            "points",
            u32::try_from(self.points)
                .ok()
                .filter(|p| POINTS.contains(p))
                .ok_or_else(|| invalid("range", "must be from 1 to 10")),
        );
        let kind = if self.kind.trim().is_empty() {
            errs.push("type", "required", "required");
            None
        } else {
            errs.check("type", QuestionKind::parse(&self.kind))
        };
        let answer = kind.and_then(|k| self.answer_key(k, &mut errs));
        errs.finish(|| {
            Some(Question {
                id,
                bank,
                key: key?,
                topic: topic?,
                prompt: prompt?,
                explanation: explanation?,
                points: points?,
                answer: answer?,
            })
        })
    }

    /// The canonical spec of a question: `parse` of it gives the question back, and a
    /// spec already in canonical form (trimmed, lower-case slugs, `tolerance` omitted
    /// when 0, whole numbers written without a fraction) comes back unchanged.
    pub fn from_question(q: &Question) -> QuestionSpec {
        let mut spec = QuestionSpec {
            key: q.key.clone(),
            topic: q.topic.as_str().to_owned(),
            prompt: q.prompt.clone(),
            explanation: q.explanation.clone(),
            points: i64::from(q.points),
            kind: q.answer.kind().as_str().to_owned(),
            options: None,
            items: None,
            answer: None,
            tolerance: None,
        };
        match &q.answer {
            AnswerKey::SingleChoice { options, correct } => {
                spec.options = Some(options.clone());
                spec.answer = Some(Value::from(*correct));
            }
            AnswerKey::MultipleSelect { options, correct } => {
                spec.options = Some(options.clone());
                spec.answer = Some(Value::from(correct.clone()));
            }
            AnswerKey::TrueFalse { correct } => spec.answer = Some(Value::from(*correct)),
            AnswerKey::Numeric { correct, tolerance } => {
                spec.answer = Some(number(*correct));
                spec.tolerance = (*tolerance != 0.0).then_some(*tolerance);
            }
            AnswerKey::Ordering { items } => spec.items = Some(items.clone()),
        }
        spec
    }

    fn answer_key(&self, kind: QuestionKind, errs: &mut FieldErrors) -> Option<AnswerKey> {
        use QuestionKind as K;
        let allowed = [
            (
                "options",
                self.options.is_some(),
                matches!(kind, K::SingleChoice | K::MultipleSelect),
            ),
            ("items", self.items.is_some(), kind == K::Ordering),
            ("answer", self.answer.is_some(), kind != K::Ordering),
            ("tolerance", self.tolerance.is_some(), kind == K::Numeric),
        ];
        for (member, present, belongs) in allowed {
            if present && !belongs {
                let msg = format!("not used by {} questions", kind.as_str());
                errs.push(member, "not_allowed", msg);
            }
        }
        let answer = self.answer.as_ref();
        if answer.is_none() && kind != K::Ordering {
            errs.push("answer", "required", "required");
        }
        let n = self.options.as_ref().map_or(0, Vec::len);
        match kind {
            K::SingleChoice => {
                let options = choices("options", self.options.as_deref(), errs);
                let correct = errs.check("answer", index(answer?, n));
                Some(AnswerKey::SingleChoice {
                    options: options?,
                    correct: correct?,
                })
            }
            K::MultipleSelect => {
                let options = choices("options", self.options.as_deref(), errs);
                let correct = indices(answer?, n, errs);
                Some(AnswerKey::MultipleSelect {
                    options: options?,
                    correct: correct?,
                })
            }
            K::TrueFalse => {
                let correct = answer?.as_bool();
                if correct.is_none() {
                    errs.push("answer", "type", "must be true or false");
                }
                Some(AnswerKey::TrueFalse { correct: correct? })
            }
            K::Numeric => {
                let tolerance = self.tolerance.unwrap_or(0.0);
                if !(tolerance.is_finite() && tolerance >= 0.0) {
                    errs.push("tolerance", "range", "must be a number of at least 0");
                }
                let correct = answer?.as_f64().filter(|x| x.is_finite());
                if correct.is_none() {
                    errs.push("answer", "type", "must be a number");
                }
                Some(AnswerKey::Numeric {
                    correct: correct?,
                    tolerance,
                })
            }
            K::Ordering => {
                let items = choices("items", self.items.as_deref(), errs)?;
                // Two items are always shown in the wrong order (see `draw`), which
                // would be the answer: an ordering needs at least three.
                if items.len() < MIN_ORDERING_ITEMS {
                    let msg =
                        format!("an ordering needs {MIN_ORDERING_ITEMS} to {MAX_OPTIONS} items");
                    errs.push("items", "count", msg);
                    return None;
                }
                Some(AnswerKey::Ordering { items })
            }
        }
    }
}

/// Fewest items an ordering question may have.
pub const MIN_ORDERING_ITEMS: usize = 3;

/// Markdown text: kept verbatim, at most 4,000 characters, at least `min` of them not
/// whitespace.
fn markdown(raw: &str, min: usize) -> Result<String, FieldError> {
    let ok = raw.trim().chars().count() >= min && raw.chars().count() <= MAX_TEXT_CHARS;
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(invalid(
            "length",
            format!("must be {min} to {MAX_TEXT_CHARS} characters"),
        ))
    }
}

/// Options or ordering items: 2–10, each trimmed to 1–500 characters, all distinct.
fn choices(field: &str, raw: Option<&[String]>, errs: &mut FieldErrors) -> Option<Vec<String>> {
    let Some(raw) = raw else {
        errs.push(field, "required", "required");
        return None;
    };
    let before = errs.as_slice().len();
    if !(MIN_OPTIONS..=MAX_OPTIONS).contains(&raw.len()) {
        let msg = format!("must have {MIN_OPTIONS} to {MAX_OPTIONS} entries");
        errs.push(field, "count", msg);
    }
    let mut seen = BTreeMap::new();
    let mut out = Vec::with_capacity(raw.len());
    for (i, r) in raw.iter().enumerate() {
        let t = r.trim();
        if !(1..=MAX_OPTION_CHARS).contains(&t.chars().count()) {
            let msg = format!("must be 1 to {MAX_OPTION_CHARS} characters");
            errs.push(format!("{field}[{i}]"), "length", msg);
        } else if let Some(j) = seen.insert(t, i) {
            let msg = format!("same as {field}[{j}]");
            errs.push(format!("{field}[{i}]"), "duplicate", msg);
        }
        out.push(t.to_owned());
    }
    (errs.as_slice().len() == before).then_some(out)
}

/// An option index below `n`.
fn index(v: &Value, n: usize) -> Result<usize, FieldError> {
    let i = v
        .as_u64()
        .ok_or_else(|| invalid("type", "must be an option index (a whole number from 0)"))?;
    usize::try_from(i)
        .ok()
        .filter(|i| *i < n)
        .ok_or_else(|| invalid("range", "must be the index of an option"))
}

/// A non-empty set of distinct option indices below `n`, sorted.
fn indices(v: &Value, n: usize, errs: &mut FieldErrors) -> Option<Vec<usize>> {
    let Some(list) = v.as_array() else {
        errs.push("answer", "type", "must be an array of option indices");
        return None;
    };
    if list.is_empty() {
        errs.push("answer", "required", "at least one option must be correct");
    }
    let before = errs.as_slice().len();
    let mut out = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let field = format!("answer[{i}]");
        if let Some(ix) = errs.check(&field, index(item, n)) {
            if out.contains(&ix) {
                errs.push(field, "duplicate", "option listed twice");
            }
            out.push(ix);
        }
    }
    out.sort_unstable();
    (errs.as_slice().len() == before && !out.is_empty()).then_some(out)
}

/// A JSON number for `x`, whole numbers written without a fraction as authors write
/// them (`1000`, not `1000.0`), so canonical specs round-trip unchanged.
#[allow(clippy::float_cmp, clippy::cast_possible_truncation)] // exact: checked whole, < 2^53
pub(super) fn number(x: f64) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: every whole f64 below is an exact i64
    if x.trunc() == x && x.abs() < EXACT {
        Value::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

#[cfg(test)]
#[path = "spec_tests.rs"]
mod tests;
