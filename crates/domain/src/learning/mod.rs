//! Learning content: courses made of modules made of lessons, and the rules that govern
//! them (workflow, ordering, prerequisites). Pure: storage and rendering live elsewhere.
//!
//! - [`course`]: identities, metadata and the parsed authoring input.
//! - [`workflow`]: draft → published (versioned) → archived.
//! - [`outline`]: modules and lessons, and their parsed inputs.
//! - [`order`]: reordering lessons and modules as a checked permutation.
//! - [`prerequisites`]: course prerequisites must never form a cycle.

pub mod course;
pub mod gamification;
pub mod order;
pub mod outline;
pub mod prerequisites;
pub mod quiz;
pub mod workflow;

pub use course::{
    Course, CourseDraft, CourseId, CourseInput, CourseQuery, LessonId, Level, ModuleId, Tag,
};
pub use outline::{Lesson, LessonDraft, Module};
pub use workflow::{ContentStatus, WorkflowAction, WorkflowError};
