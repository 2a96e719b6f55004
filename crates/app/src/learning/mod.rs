//! Learning use cases: the course catalogue and its authoring workflow.
//!
//! Instructors (`course:write`) author; everyone in the tenant with `course:read` reads
//! the catalogue, where learners see only published courses and a draft is as good as
//! absent (404). Every change commits with its audit record. Whole courses move as
//! packages ([`package`]: export, import) and through the platform [`library`].

pub mod attempts;
pub mod banks;
pub mod courses;
pub mod library;
pub mod outline;
pub mod package;
pub mod publish;
