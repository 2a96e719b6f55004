//! Lesson progress: an enrolled learner reports time on a lesson and completes it;
//! their standing in a course is summarised against the latest published lesson order.
//!
//! Progress is a learner's own record and is not audited. Reported time is bounded by
//! [`nexus_domain::learning::progress::credit_time`], and completion is sticky, so a
//! replayed or tampered report can neither inflate time beyond real time nor undo work.

use super::courses::commit;
use super::enrolment::{EnrolmentService, own_user};
use super::publish::PublishedCourse;
use super::store_err;
use crate::AppError;
use crate::audit::Caller;
use nexus_domain::access::Permission;
use nexus_domain::learning::progress::{
    CourseProgress, LessonProgress, Visit, apply_visit, summarize,
};
use nexus_domain::learning::{ContentStatus, Course, CourseId, LessonId};
use nexus_domain::{TenantId, UserId};
use nexus_store::{StoreError, Tx};

/// What a progress report did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitOutcome {
    /// The lesson's record after the report.
    pub lesson: LessonProgress,
    /// The learner's standing in the course after it.
    pub course: CourseProgress,
    /// True only for the report that first completed the lesson.
    pub newly_completed: bool,
    /// What completing it earned (nothing unless `newly_completed`).
    pub awards: super::achievements::Awards,
}

/// A learner's standing in one course, with the per-lesson records behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MyProgress {
    /// Summary against the lesson order.
    pub course: CourseProgress,
    /// Records for the lessons of that order, in order (lessons since removed from the
    /// course are left out, as they do not count).
    pub lessons: Vec<LessonProgress>,
    /// Whether the course is published now.
    pub available: bool,
}

/// The lessons of a published version, in course order.
pub(super) fn lesson_ids(published: &PublishedCourse) -> Vec<LessonId> {
    published
        .modules
        .iter()
        .flat_map(|m| m.lessons.iter().map(|l| l.id))
        .collect()
}

fn not_enrolled() -> AppError {
    AppError::Conflict {
        code: "not_enrolled",
        message: "enrol in the course first",
    }
}

impl EnrolmentService {
    /// Records a visit to a lesson of the latest published version by an enrolled
    /// learner: time credited within bounds, completion sticky.
    pub async fn report(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
        lesson: LessonId,
        visit: Visit,
    ) -> Result<VisitOutcome, AppError> {
        caller.require(tenant, Permission::CourseRead)?;
        let user = own_user(caller, tenant)?;
        self.require_enrolled(caller, tenant, course, user).await?;
        let published = self
            .courses
            .published(tenant, course)
            .await?
            .ok_or(AppError::NotFound { resource: "course" })?;
        let order = lesson_ids(&published);
        if !order.contains(&lesson) {
            return Err(AppError::NotFound { resource: "lesson" });
        }
        // Only a report that completes the lesson can earn anything; read what rewards
        // need before the transaction holds a connection.
        let ctx = if visit.completed {
            Some(self.achievements.prepare(tenant, user, course).await?)
        } else {
            None
        };
        let mut tx = self.begin(tenant).await?;
        let (record, newly_completed) = self
            .record_visit(tx.as_mut(), tenant, (user, course, lesson), visit)
            .await?;
        // What a completion earns commits with it, or neither does.
        let awards = match ctx {
            Some(ctx) if newly_completed => {
                self.achievements
                    .on_activity(
                        tx.as_mut(),
                        tenant,
                        ctx,
                        super::achievements::Activity::Lesson { lesson },
                    )
                    .await?
            }
            _ => super::achievements::Awards::default(),
        };
        commit(tx).await?;
        if newly_completed {
            metrics::counter!("nexus_lessons_completed_total").increment(1);
        }
        let records = self
            .store
            .course_progress(tenant, course, user)
            .await
            .map_err(store_err("course"))?;
        Ok(VisitOutcome {
            lesson: record,
            course: summarize(&order, &records),
            newly_completed,
            awards,
        })
    }

    /// Loads the learner's record for the lesson, applies the visit and saves it, all in
    /// the caller's transaction; returns the record and whether this visit completed the
    /// lesson. It takes the transaction so that whatever a completion earns (XP, badges)
    /// can be written by the caller in the same transaction and commit with it.
    pub(crate) async fn record_visit(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        key: (UserId, CourseId, LessonId),
        visit: Visit,
    ) -> Result<(LessonProgress, bool), AppError> {
        let (user, _, lesson) = key;
        let existing = self
            .store
            .lesson_progress(tx, tenant, user, lesson)
            .await
            .map_err(store_err("lesson"))?;
        let was_complete = existing.as_ref().is_some_and(|p| p.completed_at.is_some());
        let record = apply_visit(existing, key, visit, self.now());
        self.store
            .save_progress(tx, tenant, &record)
            .await
            .map_err(|e| match e {
                // The enrolment went (withdrawn meanwhile): the row's parent is missing.
                StoreError::NotFound => not_enrolled(),
                e => AppError::from_store("lesson", e),
            })?;
        let newly_completed = !was_complete && record.completed_at.is_some();
        Ok((record, newly_completed))
    }

    /// The caller's standing in a course they are enrolled in.
    pub async fn my_progress(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
    ) -> Result<MyProgress, AppError> {
        caller.require(tenant, Permission::CourseRead)?;
        let user = own_user(caller, tenant)?;
        self.require_enrolled(caller, tenant, course, user).await?;
        let c = self.courses.load(tenant, course).await?;
        let (order, available) = self.lesson_order(&c).await?;
        let records = self
            .store
            .course_progress(tenant, course, user)
            .await
            .map_err(store_err("course"))?;
        let summary = summarize(&order, &records);
        let lessons = order
            .iter()
            .filter_map(|id| records.iter().find(|r| r.lesson == *id).cloned())
            .collect();
        Ok(MyProgress {
            course: summary,
            lessons,
            available,
        })
    }

    /// The lesson order progress is measured against, and whether the course is open to
    /// learners now. A course no longer published is measured against the last version
    /// learners saw, so their record of it stays meaningful.
    pub(super) async fn lesson_order(
        &self,
        course: &Course,
    ) -> Result<(Vec<LessonId>, bool), AppError> {
        if course.status == ContentStatus::Published
            && let Some(p) = self.courses.published(course.tenant_id, course.id).await?
        {
            return Ok((lesson_ids(&p), true));
        }
        let last = self.courses.last_published(course).await?;
        Ok((last.as_ref().map(lesson_ids).unwrap_or_default(), false))
    }

    /// `Ok` if the learner is enrolled; otherwise 409 `not_enrolled` for a course the
    /// caller can see, and 404 for one they cannot (a draft stays invisible).
    async fn require_enrolled(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
        user: UserId,
    ) -> Result<(), AppError> {
        if self.enrolment(tenant, course, user).await?.is_some() {
            return Ok(());
        }
        self.courses.get(caller, tenant, course).await?;
        Err(not_enrolled())
    }
}
