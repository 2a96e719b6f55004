//! Learning content: courses made of modules made of lessons, and the rules that govern
//! them (workflow, ordering, prerequisites). Pure: storage and rendering live elsewhere.
//!
//! - [`course`]: identities, metadata and the parsed authoring input.
//! - [`workflow`]: draft → published (versioned) → archived.
//! - [`outline`]: modules and lessons, and their parsed inputs.
//! - [`order`]: reordering lessons and modules as a checked permutation.
//! - [`prerequisites`]: course prerequisites must never form a cycle.
//! - [`enrolment`]: who takes which course; cohorts (classes).
//! - [`progress`]: lessons completed, time spent, completion and the resume point.
//! - [`quiz`]: questions, banks, attempts and server-side grading.
//! - [`package`]: a whole course as one JSON document (import, export, the library).
//! - [`library`]: the platform's shared courses, which tenants adopt as their own copy.
//! - [`gamification`]: XP, streaks, badges and leaderboards.
//! - [`certificate`]: certificates of completion and the rule that earns one.

pub mod certificate;
pub mod course;
pub mod enrolment;
pub mod gamification;
pub mod library;
pub mod order;
pub mod outline;
pub mod package;
pub mod prerequisites;
pub mod progress;
pub mod quiz;
pub mod workflow;

pub use course::{
    Course, CourseDraft, CourseId, CourseInput, CourseQuery, LessonId, Level, ModuleId, Tag,
};
pub use outline::{Lesson, LessonDraft, Module};
pub use workflow::{ContentStatus, WorkflowAction, WorkflowError};
