//! Course identities, metadata, and the authoring input parsed at the edge.

use super::workflow::ContentStatus;
use crate::TenantId;
use crate::paging::{Order, PageRequest};
use crate::validation::{FieldError, FieldErrors, invalid};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

crate::define_id!(
    /// Identifies a course within its tenant.
    CourseId
);
crate::define_id!(
    /// Identifies a module of a course.
    ModuleId
);
crate::define_id!(
    /// Identifies a lesson of a module.
    LessonId
);

/// How much a learner is expected to know already.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema),
    schema(as = CourseLevel)
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// No prior knowledge.
    Beginner,
    /// Knows the basics.
    Intermediate,
    /// Ready for depth.
    Advanced,
}

impl Level {
    /// Every level, easiest first.
    pub const ALL: [Level; 3] = [Self::Beginner, Self::Intermediate, Self::Advanced];

    /// Wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Beginner => "beginner",
            Self::Intermediate => "intermediate",
            Self::Advanced => "advanced",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|l| l.as_str() == raw.trim())
            .ok_or_else(|| {
                invalid(
                    "unknown_value",
                    "must be beginner, intermediate or advanced",
                )
            })
    }
}

/// A catalogue tag: 1–32 characters of lower-case letters, digits and `-`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = CourseTag))]
#[serde(transparent)]
pub struct Tag(String);

impl Tag {
    /// Parses a tag, lower-casing it.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let t = raw.trim().to_lowercase();
        let ok = (1..=32).contains(&t.chars().count())
            && t.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !t.starts_with('-')
            && !t.ends_with('-');
        if ok {
            Ok(Self(t))
        } else {
            Err(invalid(
                "format",
                "tags are 1-32 characters of a-z, 0-9 and inner hyphens",
            ))
        }
    }

    /// The tag text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A course's editable metadata, parsed and checked. (Serde for caching only: input
/// arrives as [`CourseInput`] and goes through [`CourseDraft::parse`].)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseDraft {
    /// 1–200 characters.
    pub title: String,
    /// Up to 2,000 characters.
    pub summary: String,
    /// Expected prior knowledge.
    pub level: Level,
    /// Expected effort, 1–10,000 minutes.
    pub estimated_minutes: u32,
    /// Up to 20 distinct tags, sorted.
    pub tags: Vec<Tag>,
    /// Whether learners may enrol themselves.
    pub self_enrol: bool,
}

/// A course as stored: its draft metadata and where it stands in the workflow. (Serde
/// for caching the learner catalogue.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Course {
    /// Identity.
    pub id: CourseId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// The editable metadata (the draft).
    pub meta: CourseDraft,
    /// Workflow state.
    pub status: ContentStatus,
    /// Latest published version (0: never published).
    pub published_version: u32,
    /// The metadata as of the latest publish: what learners see and search, whatever
    /// the draft says meanwhile (`None`: never published).
    pub published_meta: Option<CourseDraft>,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

/// Filter, sort (by title) and window for the catalogue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CourseQuery {
    /// Only courses in this state.
    pub status: Option<ContentStatus>,
    /// Only courses at this level.
    pub level: Option<Level>,
    /// Only courses carrying this tag.
    pub tag: Option<Tag>,
    /// Case-insensitive substring of title or summary.
    pub search: Option<String>,
    /// Direction over the title.
    pub order: Order,
    /// Window.
    pub page: PageRequest,
    /// A learner's view: published courses only, filtered, searched and sorted by their
    /// published metadata rather than the draft.
    pub as_learner: bool,
}

/// Unparsed metadata as it arrives from an adapter.
#[derive(Debug, Clone, Default)]
pub struct CourseInput<'a> {
    /// Title.
    pub title: &'a str,
    /// Summary.
    pub summary: &'a str,
    /// Level name.
    pub level: &'a str,
    /// Minutes.
    pub estimated_minutes: i64,
    /// Tags as typed.
    pub tags: &'a [String],
    /// Self-enrolment.
    pub self_enrol: bool,
}

impl CourseQuery {
    /// A stable text form of the query, for cache keys.
    pub fn cache_key(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}|{}|{}|{}",
            self.status.map_or("", ContentStatus::as_str),
            self.level.map_or("", Level::as_str),
            self.tag.as_ref().map_or("", Tag::as_str),
            // Length-prefixed, so a search containing `|` cannot collide.
            self.search.as_ref().map_or(0, String::len),
            self.search.as_deref().unwrap_or(""),
            self.order.sql(),
            self.page.limit(),
            self.page.offset(),
        )
    }
}

impl CourseDraft {
    /// Parses every field, reporting all problems at once.
    pub fn parse(input: &CourseInput<'_>) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::new();
        let title = errs.check("title", bounded(input.title, 1, 200));
        let summary = errs.check("summary", bounded(input.summary, 0, 2000));
        let level = errs.check("level", Level::parse(input.level));
        let minutes = errs.check(
            "estimated_minutes",
            u32::try_from(input.estimated_minutes)
                .ok()
                .filter(|m| (1..=10_000).contains(m))
                .ok_or_else(|| invalid("range", "must be from 1 to 10000 minutes")),
        );
        let mut tags = Vec::new();
        for (i, raw) in input.tags.iter().enumerate() {
            if let Some(t) = errs.check(&format!("tags[{i}]"), Tag::parse(raw)) {
                tags.push(t);
            }
        }
        tags.sort();
        tags.dedup();
        if tags.len() > 20 {
            errs.push("tags", "too_many", "at most 20 tags");
        }
        errs.finish(|| {
            Some(Self {
                title: title?,
                summary: summary?,
                level: level?,
                estimated_minutes: minutes?,
                tags,
                self_enrol: input.self_enrol,
            })
        })
    }
}

/// Trims and checks a length in characters.
fn bounded(raw: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let s = raw.trim();
    let n = s.chars().count();
    if (min..=max).contains(&n) {
        Ok(s.to_owned())
    } else {
        Err(invalid(
            "length",
            format!("must be {min} to {max} characters"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(tags: &[String]) -> CourseInput<'_> {
        CourseInput {
            title: "  Financial Literacy 101 ",
            summary: "Budgets, interest and risk.",
            level: "beginner",
            estimated_minutes: 240,
            tags,
            self_enrol: true,
        }
    }

    #[test]
    fn a_good_draft_parses_and_normalises() {
        let tags = vec![
            "Budgeting".to_owned(),
            "risk".to_owned(),
            "budgeting".to_owned(),
        ];
        let d = CourseDraft::parse(&input(&tags)).unwrap();
        assert_eq!(d.title, "Financial Literacy 101");
        assert_eq!(d.level, Level::Beginner);
        assert_eq!(
            d.tags.iter().map(Tag::as_str).collect::<Vec<_>>(),
            ["budgeting", "risk"],
            "lower-cased, sorted, deduplicated"
        );
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let tags = vec!["ok".to_owned(), "not ok!".to_owned()];
        let bad = CourseInput {
            title: "  ",
            level: "expert",
            estimated_minutes: 0,
            ..input(&tags)
        };
        let errs = CourseDraft::parse(&bad).unwrap_err();
        let fields: Vec<&str> = errs.as_slice().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "level", "estimated_minutes", "tags[1]"]);
        let many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
        let errs = CourseDraft::parse(&input(&many)).unwrap_err();
        assert_eq!(errs.as_slice()[0].code, "too_many");
    }
}
