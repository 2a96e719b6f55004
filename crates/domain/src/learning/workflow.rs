//! The publishing workflow.
//!
//! A course is edited as a draft. Publishing freezes the draft as the next numbered
//! version, which is what learners see; editing afterwards changes only the draft until
//! the next publish. Unpublishing hides the course from learners (its versions are
//! kept); archiving retires it for good, and an archived course accepts no change.

use serde::{Deserialize, Serialize};

/// Where a course stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema),
    schema(as = CourseStatus)
)]
#[serde(rename_all = "snake_case")]
pub enum ContentStatus {
    /// Never published, or unpublished: learners do not see it.
    Draft,
    /// Learners see its latest published version.
    Published,
    /// Retired: hidden from learners and closed to edits.
    Archived,
}

impl ContentStatus {
    /// Storage and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Archived => "archived",
        }
    }

    /// Parses a storage name.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Draft, Self::Published, Self::Archived]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// An instructor's workflow request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkflowAction {
    /// Freeze the draft as the next version and show it to learners.
    Publish,
    /// Hide from learners; versions are kept.
    Unpublish,
    /// Retire for good.
    Archive,
    /// Change the draft's metadata or content.
    Edit,
}

/// A request the current status does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    /// Archived courses accept nothing.
    #[error("the course is archived")]
    Archived,
    /// Only a published course can be unpublished.
    #[error("the course is not published")]
    NotPublished,
    /// A course needs at least one lesson before learners can see it.
    #[error("a course needs at least one lesson to be published")]
    Empty,
}

/// The outcome of an allowed action: the new status and the version learners see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// Status afterwards.
    pub status: ContentStatus,
    /// Latest published version afterwards (0: never published).
    pub published_version: u32,
}

/// Applies `action` to a course in `status` whose latest published version is
/// `published_version` and whose draft has `lessons` lessons.
pub fn apply(
    status: ContentStatus,
    published_version: u32,
    lessons: usize,
    action: WorkflowAction,
) -> Result<Transition, WorkflowError> {
    use ContentStatus as S;
    use WorkflowAction as A;
    if status == S::Archived {
        return Err(WorkflowError::Archived);
    }
    let next = |status| Transition {
        status,
        published_version,
    };
    match action {
        A::Edit => Ok(next(status)),
        A::Archive => Ok(next(S::Archived)),
        A::Unpublish if status == S::Published => Ok(next(S::Draft)),
        A::Unpublish => Err(WorkflowError::NotPublished),
        A::Publish if lessons == 0 => Err(WorkflowError::Empty),
        A::Publish => Ok(Transition {
            status: S::Published,
            published_version: published_version.saturating_add(1),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ContentStatus as S;
    use WorkflowAction as A;

    #[test]
    fn publishing_numbers_versions_and_archiving_is_final() {
        let t = apply(S::Draft, 0, 3, A::Publish).unwrap();
        assert_eq!((t.status, t.published_version), (S::Published, 1));
        let t = apply(t.status, t.published_version, 3, A::Edit).unwrap();
        assert_eq!(
            (t.status, t.published_version),
            (S::Published, 1),
            "edits touch the draft only"
        );
        let t = apply(t.status, t.published_version, 4, A::Publish).unwrap();
        assert_eq!(t.published_version, 2);
        let t = apply(t.status, t.published_version, 4, A::Unpublish).unwrap();
        assert_eq!(
            (t.status, t.published_version),
            (S::Draft, 2),
            "versions are kept"
        );
        assert_eq!(
            apply(S::Draft, 2, 4, A::Unpublish),
            Err(WorkflowError::NotPublished)
        );
        assert_eq!(apply(S::Draft, 0, 0, A::Publish), Err(WorkflowError::Empty));
        let t = apply(S::Draft, 2, 4, A::Archive).unwrap();
        for action in [A::Publish, A::Unpublish, A::Archive, A::Edit] {
            assert_eq!(apply(t.status, 2, 4, action), Err(WorkflowError::Archived));
        }
    }

    #[test]
    fn statuses_round_trip() {
        for s in [S::Draft, S::Published, S::Archived] {
            assert_eq!(ContentStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(ContentStatus::parse("deleted"), None);
    }
}
