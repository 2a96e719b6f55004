//! A course's outline: ordered modules of ordered lessons, with their parsed inputs.

use super::course::{CourseId, LessonId, ModuleId};
use crate::validation::{FieldError, FieldErrors, invalid};
use time::OffsetDateTime;

/// Longest lesson body, in characters (about 30 printed pages).
pub const MAX_LESSON_CHARS: usize = 100_000;

/// A module: a titled, ordered group of lessons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    /// Identity.
    pub id: ModuleId,
    /// The course it belongs to.
    pub course: CourseId,
    /// Place in the course, from 0.
    pub position: u32,
    /// 1–200 characters.
    pub title: String,
}

/// A lesson as authored (the draft; learners see published versions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lesson {
    /// Identity.
    pub id: LessonId,
    /// The module it belongs to.
    pub module: ModuleId,
    /// Place in the module, from 0.
    pub position: u32,
    /// The authored content.
    pub draft: LessonDraft,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

/// A lesson's authored content, parsed and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LessonDraft {
    /// 1–200 characters.
    pub title: String,
    /// Markdown, up to [`MAX_LESSON_CHARS`]; rendered and sanitized when served.
    pub body: String,
    /// Expected effort, 1–600 minutes.
    pub estimated_minutes: u32,
}

impl LessonDraft {
    /// Parses every field, reporting all problems at once.
    pub fn parse(title: &str, body: &str, estimated_minutes: i64) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::new();
        let title = errs.check("title", parse_title(title));
        if body.chars().count() > MAX_LESSON_CHARS {
            errs.push(
                "body",
                "length",
                format!("must be at most {MAX_LESSON_CHARS} characters"),
            );
        }
        let minutes = errs.check(
            "estimated_minutes",
            u32::try_from(estimated_minutes)
                .ok()
                .filter(|m| (1..=600).contains(m))
                .ok_or_else(|| invalid("range", "must be from 1 to 600 minutes")),
        );
        errs.finish(|| {
            Some(Self {
                title: title?,
                body: body.to_owned(),
                estimated_minutes: minutes?,
            })
        })
    }
}

/// A module or lesson title: trimmed, 1–200 characters.
pub fn parse_title(raw: &str) -> Result<String, FieldError> {
    let t = raw.trim();
    if (1..=200).contains(&t.chars().count()) {
        Ok(t.to_owned())
    } else {
        Err(invalid("length", "must be 1 to 200 characters"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lesson_drafts_report_every_problem() {
        let ok = LessonDraft::parse(" Budgets ", "# Why budget\n\nBecause.", 15).unwrap();
        assert_eq!(ok.title, "Budgets");
        let long = "x".repeat(MAX_LESSON_CHARS + 1);
        let errs = LessonDraft::parse("", &long, 0).unwrap_err();
        let fields: Vec<&str> = errs.as_slice().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "body", "estimated_minutes"]);
    }
}
