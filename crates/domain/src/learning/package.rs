//! Course packages: a whole course (metadata, outline, question banks and quizzes) as
//! one JSON document, for import, export and the platform library.
//!
//! Schema `finai-nexus/course-package`, version 1 (docs/COURSE_PACKAGE.md):
//!
//! ```json
//! {"schema": "finai-nexus/course-package", "schema_version": 1,
//!  "course": {"title": "…", "summary": "…", "level": "beginner", "estimated_minutes": 240,
//!             "tags": ["budgeting"], "self_enrol": true},
//!  "modules": [{"title": "…", "lessons": [{"title": "…", "estimated_minutes": 15, "body": "# …"}],
//!               "quizzes": [{"title": "…", "bank": "basics", "draw": 5}]}],
//!  "banks": [{"key": "basics", "title": "…", "questions": [ … ]}]}
//! ```
//!
//! Like [`QuestionSpec`](super::quiz::QuestionSpec), the serde types are loose (strings,
//! `i64`) so that every mistake becomes a [`FieldError`](crate::FieldError) with a full
//! path (`modules[1].lessons[0].estimated_minutes`) rather than an opaque
//! deserialization failure. [`CoursePackage::parse`] reports every problem at once and
//! reuses the rules of the pieces it is made of ([`CourseDraft::parse`],
//! [`LessonDraft::parse`], [`BankSpec::parse`], [`QuizSettingsSpec::parse`]).
//!
//! Invariant: a package in canonical form (what an export writes) survives
//! `parse` → [`ParsedPackage::into_records`] → [`CoursePackage::from_parts`] unchanged,
//! so export → import → export is the identity.

use super::course::CourseDraft;
use super::outline::LessonDraft;
use super::quiz::question::Question;
use super::quiz::{BankSpec, QuizSettings, QuizSettingsSpec};
use serde::{Deserialize, Serialize};

#[path = "package_parse.rs"]
mod parse;
#[path = "package_records.rs"]
mod records;
pub use parse::check_header;
pub use records::PackageRecords;

/// The `schema` member every package carries.
pub const SCHEMA: &str = "finai-nexus/course-package";
/// The only schema version this build reads and writes.
pub const SCHEMA_VERSION: i64 = 1;
/// Most modules in one package.
pub const MAX_MODULES: usize = 100;
/// Most lessons in one module.
pub const MAX_LESSONS_PER_MODULE: usize = 200;
/// Most quizzes closing one module.
pub const MAX_QUIZZES_PER_MODULE: usize = 20;
/// Most question banks in one package (each holds at most
/// [`MAX_BANK_QUESTIONS`](super::quiz::record::MAX_BANK_QUESTIONS) questions).
pub const MAX_BANKS: usize = 50;

/// A course package as written. See the [module docs](self) for the JSON shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema),
    schema(
        as = CoursePackage,
        description = "A course package (docs/COURSE_PACKAGE.md): a whole course as one JSON \
                       document, with its metadata, outline, question banks and quizzes. \
                       Schema `finai-nexus/course-package`, version 1."
    )
)]
#[serde(deny_unknown_fields)]
pub struct CoursePackage {
    /// Always [`SCHEMA`] (`finai-nexus/course-package`).
    #[cfg_attr(feature = "openapi", schema(example = "finai-nexus/course-package"))]
    #[serde(default)]
    pub schema: String,
    /// Always [`SCHEMA_VERSION`] (1) for this build.
    #[cfg_attr(feature = "openapi", schema(example = 1))]
    #[serde(default)]
    pub schema_version: i64,
    /// The course's metadata.
    #[serde(default)]
    pub course: PackageCourse,
    /// Modules in order, at most [`MAX_MODULES`] (100).
    #[serde(default)]
    pub modules: Vec<PackageModule>,
    /// Question banks, named by key from the modules' quizzes, at most [`MAX_BANKS`]
    /// (50).
    #[serde(default)]
    pub banks: Vec<BankSpec>,
}

/// A package's course metadata, as [`CourseInput`] takes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema),
    schema(as = CoursePackageCourse)
)]
#[serde(deny_unknown_fields)]
pub struct PackageCourse {
    /// 1–200 characters.
    #[serde(default)]
    pub title: String,
    /// Up to 2,000 characters.
    #[serde(default)]
    pub summary: String,
    /// `beginner`, `intermediate` or `advanced`.
    #[serde(default)]
    pub level: String,
    /// 1–10,000.
    #[serde(default)]
    pub estimated_minutes: i64,
    /// Up to 20 tags (canonical form: lower-case, sorted, distinct).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Whether learners may enrol themselves.
    #[serde(default)]
    pub self_enrol: bool,
}

/// A module of a package.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema),
    schema(as = CoursePackageModule)
)]
#[serde(deny_unknown_fields)]
pub struct PackageModule {
    /// 1–200 characters.
    #[serde(default)]
    pub title: String,
    /// Lessons in order, at most [`MAX_LESSONS_PER_MODULE`] (200).
    #[serde(default)]
    pub lessons: Vec<PackageLesson>,
    /// Quizzes closing the module, in order, at most [`MAX_QUIZZES_PER_MODULE`] (20);
    /// each names its bank by key.
    #[serde(default)]
    pub quizzes: Vec<QuizSettingsSpec>,
}

/// A lesson of a package.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema),
    schema(as = CoursePackageLesson)
)]
#[serde(deny_unknown_fields)]
pub struct PackageLesson {
    /// 1–200 characters.
    #[serde(default)]
    pub title: String,
    /// 1–600.
    #[serde(default)]
    pub estimated_minutes: i64,
    /// Markdown, kept verbatim.
    #[serde(default)]
    pub body: String,
}

/// A package that passed [`CoursePackage::parse`]: every rule holds and every quiz's
/// bank exists. Nothing has an identity yet ([`ParsedPackage::into_records`] mints them).
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedPackage {
    /// The course metadata.
    pub course: CourseDraft,
    /// Modules in order.
    pub modules: Vec<ParsedModule>,
    /// Banks in package order.
    pub banks: Vec<ParsedBank>,
}

/// A checked module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedModule {
    /// Title.
    pub title: String,
    /// Lessons in order.
    pub lessons: Vec<LessonDraft>,
    /// Quizzes in order.
    pub quizzes: Vec<ParsedQuiz>,
}

/// A checked quiz.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedQuiz {
    /// Settings.
    pub settings: QuizSettings,
    /// Index of its bank in [`ParsedPackage::banks`].
    pub bank: usize,
}

/// A checked bank. Its questions carry nil placeholder identities until
/// [`ParsedPackage::into_records`].
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedBank {
    /// Canonical key, unique in the package.
    pub key: String,
    /// Title.
    pub title: String,
    /// Questions in authored order.
    pub questions: Vec<Question>,
}

/// A file-name stem for a package of the course titled `title`: lower-case ASCII
/// letters and digits, every other run as one `-`, at most 64 characters (`course` if
/// nothing is left). Safe in a `Content-Disposition` header as it is.
pub fn file_stem(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if out.len() >= 64 {
            break;
        }
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let stem = out.trim_end_matches('-');
    if stem.is_empty() {
        "course".to_owned()
    } else {
        stem.to_owned()
    }
}

#[cfg(test)]
#[path = "package_tests.rs"]
mod tests;
