//! Enrolments, cohorts and lesson progress: who takes which course and how far they
//! are. Tenant-owned: every method takes the `TenantId`. Changes run in the caller's
//! transaction so an assignment commits with its audit record, and a completed lesson
//! with the XP it earns.

use crate::{StoreError, Tx};
use async_trait::async_trait;
use nexus_domain::learning::enrolment::{Cohort, CohortId, CohortMember, CohortRole, Enrolment};
use nexus_domain::learning::progress::LessonProgress;
use nexus_domain::learning::{CourseId, LessonId};
use nexus_domain::paging::{Page, PageRequest};
use nexus_domain::{TenantId, UserId};
use time::OffsetDateTime;

/// Stores cohorts, enrolments and lesson progress.
#[async_trait]
pub trait EnrolmentStore: Send + Sync {
    /// Inserts a cohort; `Conflict { constraint: "cohort_name_key" }` if the name is
    /// taken in the tenant (case-insensitive).
    async fn create_cohort(&self, tx: &mut dyn Tx, cohort: &Cohort) -> Result<(), StoreError>;
    /// Renames a cohort; `NotFound` if it is not this tenant's, `Conflict` as above.
    async fn rename_cohort(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: CohortId,
        name: &str,
    ) -> Result<(), StoreError>;
    /// Deletes a cohort and its memberships (enrolments it made stay); `NotFound` if gone.
    async fn delete_cohort(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: CohortId,
    ) -> Result<(), StoreError>;
    /// One cohort, or `NotFound`.
    async fn cohort(&self, tenant: TenantId, id: CohortId) -> Result<Cohort, StoreError>;
    /// Cohorts by name, optionally only those `member` belongs to, paged.
    async fn cohorts(
        &self,
        tenant: TenantId,
        member: Option<UserId>,
        page: PageRequest,
    ) -> Result<Page<Cohort>, StoreError>;
    /// Adds a member or changes their role; `NotFound` if the cohort or the user is not
    /// this tenant's.
    async fn put_member(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        cohort: CohortId,
        member: &CohortMember,
    ) -> Result<(), StoreError>;
    /// Removes a member; false if they were not one.
    async fn remove_member(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        cohort: CohortId,
        user: UserId,
    ) -> Result<bool, StoreError>;
    /// A cohort's members in order of joining, optionally of one role, paged.
    async fn members(
        &self,
        tenant: TenantId,
        cohort: CohortId,
        role: Option<CohortRole>,
        page: PageRequest,
    ) -> Result<Page<CohortMember>, StoreError>;
    /// Enrols a learner unless already enrolled: true if this call enrolled them (an
    /// existing enrolment is left as it was). `NotFound` if the course or the user is
    /// not this tenant's.
    async fn enrol(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        enrolment: &Enrolment,
    ) -> Result<bool, StoreError>;
    /// Withdraws a learner, with their progress in the course; false if not enrolled.
    async fn unenrol(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        course: CourseId,
        user: UserId,
    ) -> Result<bool, StoreError>;
    /// One enrolment, if it exists.
    async fn enrolment(
        &self,
        tenant: TenantId,
        course: CourseId,
        user: UserId,
    ) -> Result<Option<Enrolment>, StoreError>;
    /// A course's enrolments, oldest first, paged.
    async fn course_enrolments(
        &self,
        tenant: TenantId,
        course: CourseId,
        page: PageRequest,
    ) -> Result<Page<Enrolment>, StoreError>;
    /// A learner's enrolments, newest first, paged.
    async fn user_enrolments(
        &self,
        tenant: TenantId,
        user: UserId,
        page: PageRequest,
    ) -> Result<Page<Enrolment>, StoreError>;
    /// Saves a lesson record (insert or update); `NotFound` unless the learner is
    /// enrolled in the record's course. An update never moves time or the last visit
    /// back and never clears a completion, so a report racing another (both read the
    /// same old row) cannot undo what the other wrote.
    async fn save_progress(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        progress: &LessonProgress,
    ) -> Result<(), StoreError>;
    /// One lesson record, read inside the transaction that will update it.
    async fn lesson_progress(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        user: UserId,
        lesson: LessonId,
    ) -> Result<Option<LessonProgress>, StoreError>;
    /// A learner's lesson records in one course.
    async fn course_progress(
        &self,
        tenant: TenantId,
        course: CourseId,
        user: UserId,
    ) -> Result<Vec<LessonProgress>, StoreError>;
    /// Every lesson record of the given learners in one course (for class reports).
    async fn progress_of(
        &self,
        tenant: TenantId,
        course: CourseId,
        users: &[UserId],
    ) -> Result<Vec<LessonProgress>, StoreError>;
    /// When each lesson was completed, for a learner's streaks.
    async fn completions(
        &self,
        tenant: TenantId,
        user: UserId,
        since: OffsetDateTime,
    ) -> Result<Vec<OffsetDateTime>, StoreError>;
}
