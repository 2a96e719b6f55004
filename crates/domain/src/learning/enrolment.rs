//! Who takes which course: enrolments, and cohorts (classes) of learners with their
//! instructors.
//!
//! Reading the published catalogue needs only `course:read`; enrolment is what makes a
//! course *yours*: progress, quizzes and certificates are kept per enrolment.

use super::course::CourseId;
use crate::validation::{FieldError, invalid};
use crate::{TenantId, UserId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

crate::define_id!(
    /// Identifies a cohort (a class) within its tenant.
    CohortId
);

/// How a learner came to be enrolled. Kept so an admin can tell a learner's own choice
/// from an assignment, and so removing a cohort's assignment can leave self-enrolments be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = EnrolmentSource))]
#[serde(rename_all = "snake_case")]
pub enum EnrolmentSource {
    /// The learner enrolled themselves (the course allows it).
    SelfEnrolled,
    /// An instructor or admin assigned this one learner.
    Assigned,
    /// An instructor or admin assigned the learner's cohort.
    Cohort,
}

impl EnrolmentSource {
    /// Every source.
    pub const ALL: [Self; 3] = [Self::SelfEnrolled, Self::Assigned, Self::Cohort];

    /// Wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SelfEnrolled => "self_enrolled",
            Self::Assigned => "assigned",
            Self::Cohort => "cohort",
        }
    }

    /// Parses a storage name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// One learner's enrolment in one course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Enrolment {
    /// The course.
    pub course: CourseId,
    /// The learner.
    pub user: UserId,
    /// How they were enrolled.
    pub source: EnrolmentSource,
    /// Who assigned them (none for self-enrolment).
    pub assigned_by: Option<UserId>,
    /// The cohort whose assignment enrolled them, if any.
    pub cohort: Option<CohortId>,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub enrolled_at: OffsetDateTime,
}

/// A class: a named group of learners with their instructors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cohort {
    /// Identity.
    pub id: CohortId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// 1–200 characters, unique in the tenant (case-insensitive).
    pub name: String,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// What a member does in a cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = CohortRole))]
#[serde(rename_all = "snake_case")]
pub enum CohortRole {
    /// Teaches the class and follows its progress.
    Instructor,
    /// Takes the class's courses.
    Learner,
}

impl CohortRole {
    /// Wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Instructor => "instructor",
            Self::Learner => "learner",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw.trim() {
            "instructor" => Ok(Self::Instructor),
            "learner" => Ok(Self::Learner),
            _ => Err(invalid("unknown_value", "must be instructor or learner")),
        }
    }
}

/// One member of a cohort.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CohortMember {
    /// The member.
    pub user: UserId,
    /// Their part in the class.
    pub role: CohortRole,
    /// When they joined.
    #[serde(with = "time::serde::rfc3339")]
    pub added_at: OffsetDateTime,
}

/// A cohort name: trimmed, 1–200 characters.
pub fn parse_cohort_name(raw: &str) -> Result<String, FieldError> {
    let t = raw.trim();
    if (1..=200).contains(&t.chars().count()) {
        Ok(t.to_owned())
    } else {
        Err(invalid("length", "must be 1 to 200 characters"))
    }
}

/// Most users one request may assign or add at once; bigger classes go in batches.
pub const MAX_BATCH: usize = 500;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_roles_parse_at_the_edge() {
        assert_eq!(parse_cohort_name("  Class 9B ").unwrap(), "Class 9B");
        assert!(parse_cohort_name("   ").is_err());
        assert!(parse_cohort_name(&"x".repeat(201)).is_err());
        assert_eq!(CohortRole::parse("learner").unwrap(), CohortRole::Learner);
        assert!(CohortRole::parse("teacher").is_err());
        for s in EnrolmentSource::ALL {
            assert_eq!(EnrolmentSource::parse(s.as_str()), Some(s));
        }
    }
}
