//! Enrolment: who takes which course.
//!
//! A learner enrols themselves in a published course that allows it, and may withdraw
//! from such a self-enrolment; instructors and admins (`enrolment:write`) assign learners
//! one by one or a cohort at a time, and remove them. Assignments and removals commit in
//! one transaction with their audit record. A learner's own enrolment and withdrawal are
//! not audited: the audit trail records privileged and security-relevant actions (the
//! self-service actions in it are all sign-in and credential events), and the enrolment
//! row itself says who enrolled and when.
//!
//! Cohorts live in [`super::cohorts`], progress in [`super::progress`]; both are methods
//! of the same [`EnrolmentService`].

use super::courses::{CourseService, commit, workflow_error};
use super::store_err;
use crate::AppError;
use crate::audit::{AuditService, Caller, Record};
use nexus_domain::access::{Actor, Permission};
use nexus_domain::learning::enrolment::{
    CohortId, CohortRole, Enrolment, EnrolmentSource, MAX_BATCH,
};
use nexus_domain::learning::progress::{CourseProgress, summarize};
use nexus_domain::learning::{ContentStatus, CourseId, WorkflowError};
use nexus_domain::paging::{MAX_LIMIT, Page, PageRequest};
use nexus_domain::{Clock, FieldErrors, TenantId, UserId};
use nexus_store::{Database, EnrolmentStore, StoreError, Tx, UserStore};
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::Arc;
use time::OffsetDateTime;

/// Enrolment, cohort and progress use cases.
#[derive(Clone)]
pub struct EnrolmentService {
    pub(super) db: Arc<dyn Database>,
    pub(super) store: Arc<dyn EnrolmentStore>,
    pub(super) users: Arc<dyn UserStore>,
    pub(super) courses: CourseService,
    pub(super) audit: AuditService,
    pub(super) achievements: super::achievements::AchievementService,
    pub(super) clock: Arc<dyn Clock>,
}

/// Whom to assign to a course: listed users, a cohort's learners, or both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assignment {
    /// Users to assign one by one (at most [`MAX_BATCH`]).
    pub users: Vec<UserId>,
    /// A cohort whose learner members to assign.
    pub cohort: Option<CohortId>,
}

/// What an assignment did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assigned {
    /// Learners this request enrolled.
    pub enrolled: usize,
    /// Learners who were enrolled already (their enrolment is left as it was).
    pub already_enrolled: usize,
}

/// One of a learner's courses, with their standing in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MyCourse {
    /// The enrolment.
    pub enrolment: Enrolment,
    /// The course title learners see (as published, or the draft's if never published).
    pub title: String,
    /// Whether the course is published now, so its lessons can be opened.
    pub available: bool,
    /// Progress against the latest published lesson order (the last one learners saw
    /// if the course is no longer published).
    pub progress: CourseProgress,
}

/// The signed-in user acting for themselves; only people have enrolments.
/// The signed-in user of this tenant acting as a learner (`course:read`).
pub(super) fn learner(caller: &Caller, tenant: TenantId) -> Result<UserId, AppError> {
    caller.require(tenant, Permission::CourseRead)?;
    own_user(caller, tenant)
}

pub(super) fn own_user(caller: &Caller, tenant: TenantId) -> Result<UserId, AppError> {
    match &caller.actor {
        Actor::User {
            tenant: t, user, ..
        } if *t == tenant => Ok(*user),
        _ => Err(AppError::Forbidden(
            "only a signed-in user of this tenant has enrolments, quiz attempts and rewards",
        )),
    }
}

/// Seeing rosters, cohorts and reports takes either managing enrolments or reading
/// reports (auditors follow classes without changing them).
pub(super) fn require_oversight(caller: &Caller, tenant: TenantId) -> Result<(), AppError> {
    if caller.actor.can(tenant, Permission::EnrolmentWrite)
        || caller.actor.can(tenant, Permission::ReportRead)
    {
        Ok(())
    } else {
        Err(AppError::Forbidden("enrolment:write or report:read"))
    }
}

/// What the audit trail keeps of an enrolment.
fn enrolment_view(e: &Enrolment) -> serde_json::Value {
    json!({
        "user": e.user,
        "source": e.source.as_str(),
        "cohort": e.cohort,
        "assigned_by": e.assigned_by,
    })
}

impl EnrolmentService {
    /// Wires the service; course content comes through the catalogue's service (and its
    /// cache of published versions).
    pub fn new(
        db: Arc<dyn Database>,
        courses: CourseService,
        audit: AuditService,
        achievements: super::achievements::AchievementService,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store: db.enrolments(),
            users: db.users(),
            db,
            courses,
            audit,
            achievements,
            clock,
        }
    }

    /// Enrols the caller in a published course that allows self-enrolment, once they
    /// hold a non-revoked certificate for each of its prerequisites (409
    /// `prerequisites_incomplete` otherwise). Idempotent: `(enrolment, true)` when this
    /// call enrolled them, `(existing, false)` otherwise.
    pub async fn enrol_self(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
    ) -> Result<(Enrolment, bool), AppError> {
        caller.require(tenant, Permission::CourseRead)?;
        let user = own_user(caller, tenant)?;
        let c = self.courses.load(tenant, course).await?;
        // Judged on what learners were shown: the published metadata, not the draft's.
        if c.status != ContentStatus::Published {
            return Err(AppError::NotFound { resource: "course" });
        }
        if !c.published_meta.as_ref().is_some_and(|m| m.self_enrol) {
            return Err(AppError::Conflict {
                code: "self_enrolment_closed",
                message: "this course is not open for self-enrolment; ask an instructor to assign it",
            });
        }
        if let Some(existing) = self.enrolment(tenant, course, user).await? {
            return Ok((existing, false));
        }
        if !self
            .courses
            .missing_prerequisites(tenant, course, user)
            .await?
            .is_empty()
        {
            return Err(AppError::Conflict {
                code: "prerequisites_incomplete",
                message: "complete this course's prerequisites first (GET its prerequisites to see which)",
            });
        }
        let e = Enrolment {
            course,
            user,
            source: EnrolmentSource::SelfEnrolled,
            assigned_by: None,
            cohort: None,
            enrolled_at: self.now(),
        };
        let mut tx = self.begin(tenant).await?;
        let new = self
            .store
            .enrol(tx.as_mut(), tenant, &e)
            .await
            .map_err(store_err("course"))?;
        commit(tx).await?;
        if new {
            return Ok((e, true));
        }
        // Lost a race with another enrolment of the same learner: report that one.
        let existing = self.enrolment(tenant, course, user).await?;
        existing.map(|e| (e, false)).ok_or(AppError::NotFound {
            resource: "enrolment",
        })
    }

    /// Withdraws the caller from a course they enrolled in themselves, with their
    /// progress. An assigned enrolment stays until whoever manages enrolments removes it.
    pub async fn withdraw_self(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
    ) -> Result<(), AppError> {
        caller.require(tenant, Permission::CourseRead)?;
        let user = own_user(caller, tenant)?;
        let e = self
            .enrolment(tenant, course, user)
            .await?
            .ok_or(AppError::NotFound {
                resource: "enrolment",
            })?;
        if e.source != EnrolmentSource::SelfEnrolled {
            return Err(AppError::Conflict {
                code: "enrolment_assigned",
                message: "this course was assigned to you; only an instructor or admin can remove it",
            });
        }
        let mut tx = self.begin(tenant).await?;
        let gone = self
            .store
            .unenrol(tx.as_mut(), tenant, course, user)
            .await
            .map_err(store_err("enrolment"))?;
        if !gone {
            return Err(AppError::NotFound {
                resource: "enrolment",
            });
        }
        commit(tx).await
    }

    /// Assigns users and/or a cohort's learners to a course that is not archived. Every
    /// unknown user (and an unknown cohort) is reported at once, and then nothing is
    /// enrolled. Existing enrolments are left as they are. Audited as one record.
    /// Prerequisites are not checked: whoever assigns a course may judge a learner ready
    /// without the certificates self-enrolment asks for.
    pub async fn assign(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
        what: Assignment,
    ) -> Result<Assigned, AppError> {
        caller.require(tenant, Permission::EnrolmentWrite)?;
        let c = self.courses.load(tenant, course).await?;
        if c.status == ContentStatus::Archived {
            return Err(workflow_error(WorkflowError::Archived));
        }
        // Cohort problems are found first (outside the transaction) but reported after
        // the users', in the order of the request's fields.
        let mut cohort_errs = FieldErrors::new();
        let learners = match what.cohort {
            Some(cohort) => {
                self.cohort_learners(tenant, cohort, &mut cohort_errs)
                    .await?
            }
            None => Vec::new(),
        };
        let targets = targets(&what.users, &learners, what.cohort);
        if targets.len() > MAX_BATCH {
            cohort_errs.push(
                if what.cohort.is_some() {
                    "cohort_id"
                } else {
                    "user_ids"
                },
                "too_many",
                format!("at most {MAX_BATCH} learners per request; assign a bigger class in batches of user_ids"),
            );
        }
        let mut tx = self.begin(tenant).await?;
        let mut errs = self.unknown_users(tx.as_mut(), tenant, &what.users).await?;
        for e in cohort_errs.as_slice() {
            errs.push(e.field.clone(), e.code, e.message.clone());
        }
        if !errs.is_empty() {
            // Dropping the transaction rolls it back: nothing was written yet anyway.
            return Err(AppError::Validation(errs));
        }
        let assigned_by = own_user(caller, tenant).ok();
        let now = self.now();
        let (mut enrolled, mut already) = (Vec::new(), Vec::new());
        for (user, source, cohort) in targets {
            let e = Enrolment {
                course,
                user,
                source,
                assigned_by,
                cohort,
                enrolled_at: now,
            };
            let new = self
                .store
                .enrol(tx.as_mut(), tenant, &e)
                .await
                .map_err(store_err("user"))?;
            if new {
                enrolled.push(user);
            } else {
                already.push(user);
            }
        }
        let diff = json!({
            "cohort": what.cohort,
            "enrolled": enrolled.len(),
            "already_enrolled": already.len(),
            "user_ids": enrolled,
        });
        self.record(tx.as_mut(), caller, tenant, course, "course.assign", diff)
            .await?;
        commit(tx).await?;
        Ok(Assigned {
            enrolled: enrolled.len(),
            already_enrolled: already.len(),
        })
    }

    /// Removes a learner from a course, whatever the enrolment's source, with their
    /// progress. Audited.
    pub async fn unassign(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
        user: UserId,
    ) -> Result<(), AppError> {
        caller.require(tenant, Permission::EnrolmentWrite)?;
        let before = self
            .enrolment(tenant, course, user)
            .await?
            .ok_or(AppError::NotFound {
                resource: "enrolment",
            })?;
        let mut tx = self.begin(tenant).await?;
        let gone = self
            .store
            .unenrol(tx.as_mut(), tenant, course, user)
            .await
            .map_err(store_err("enrolment"))?;
        if !gone {
            return Err(AppError::NotFound {
                resource: "enrolment",
            });
        }
        let diff = json!({ "before": enrolment_view(&before) });
        self.record(tx.as_mut(), caller, tenant, course, "course.unassign", diff)
            .await?;
        commit(tx).await
    }

    /// A course's enrolments, oldest first. Needs `enrolment:write` or `report:read`.
    pub async fn roster(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
        page: PageRequest,
    ) -> Result<Page<Enrolment>, AppError> {
        require_oversight(caller, tenant)?;
        self.courses.load(tenant, course).await?;
        self.store
            .course_enrolments(tenant, course, page)
            .await
            .map_err(store_err("course"))
    }

    /// The caller's courses, newest enrolment first, each with their progress.
    pub async fn mine(
        &self,
        caller: &Caller,
        tenant: TenantId,
        page: PageRequest,
    ) -> Result<Page<MyCourse>, AppError> {
        caller.require(tenant, Permission::CourseRead)?;
        let user = own_user(caller, tenant)?;
        let enrolments = self
            .store
            .user_enrolments(tenant, user, page)
            .await
            .map_err(store_err("user"))?;
        let mut items = Vec::with_capacity(enrolments.items.len());
        for enrolment in &enrolments.items {
            let course = self.courses.load(tenant, enrolment.course).await?;
            let (order, available) = self.lesson_order(&course).await?;
            let records = self
                .store
                .course_progress(tenant, course.id, user)
                .await
                .map_err(store_err("course"))?;
            let title = course.published_meta.map_or(course.meta.title, |m| m.title);
            items.push(MyCourse {
                enrolment: enrolment.clone(),
                title,
                available,
                progress: summarize(&order, &records),
            });
        }
        Ok(Page {
            items,
            total: enrolments.total,
            limit: enrolments.limit,
            offset: enrolments.offset,
        })
    }

    pub(super) async fn enrolment(
        &self,
        tenant: TenantId,
        course: CourseId,
        user: UserId,
    ) -> Result<Option<Enrolment>, AppError> {
        self.store
            .enrolment(tenant, course, user)
            .await
            .map_err(store_err("enrolment"))
    }

    /// A field error for each listed user who is not this tenant's, checked inside the
    /// assignment's transaction (one round trip each, with no transaction of its own).
    async fn unknown_users(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        users: &[UserId],
    ) -> Result<FieldErrors, AppError> {
        let mut errs = FieldErrors::new();
        for (i, u) in users.iter().enumerate() {
            match self.users.get_in(tx, tenant, *u).await {
                Ok(_) => {}
                Err(StoreError::NotFound) => errs.push(
                    format!("user_ids[{i}]"),
                    "unknown_user",
                    "no such user in this organisation",
                ),
                Err(e) => return Err(AppError::from_store("user", e)),
            }
        }
        Ok(errs)
    }

    /// Every learner member of a cohort (paged through), or a field error if the cohort
    /// is not this tenant's.
    async fn cohort_learners(
        &self,
        tenant: TenantId,
        cohort: CohortId,
        errs: &mut FieldErrors,
    ) -> Result<Vec<UserId>, AppError> {
        match self.store.cohort(tenant, cohort).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => {
                errs.push(
                    "cohort_id",
                    "unknown_cohort",
                    "no such cohort in this organisation",
                );
                return Ok(Vec::new());
            }
            Err(e) => return Err(AppError::from_store("cohort", e)),
        }
        let mut out = Vec::new();
        let mut offset = 0u64;
        loop {
            let window = PageRequest::new(Some(MAX_LIMIT), Some(offset))
                .map_err(|e| AppError::Internal(Box::new(e)))?;
            let page = self
                .store
                .members(tenant, cohort, Some(CohortRole::Learner), window)
                .await
                .map_err(store_err("cohort"))?;
            let n = page.items.len();
            out.extend(page.items.into_iter().map(|m| m.user));
            offset += u64::try_from(n).unwrap_or(u64::MAX);
            // Stop past the batch limit too: the request is refused anyway.
            if n == 0 || offset >= page.total || out.len() > MAX_BATCH {
                return Ok(out);
            }
        }
    }

    pub(super) async fn record(
        &self,
        tx: &mut dyn Tx,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
        action: &'static str,
        diff: serde_json::Value,
    ) -> Result<(), AppError> {
        let r = Record {
            tenant: Some(tenant),
            action,
            target: format!("course:{course}"),
            diff: Some(diff),
        };
        self.audit.record_in(tx, caller, r).await
    }

    /// The clock's time to the microsecond, as both backends store it (PostgreSQL's
    /// `timestamptz` keeps no more), so a record returned when written equals the same
    /// record read back later.
    pub(super) fn now(&self) -> OffsetDateTime {
        super::stored_now(self.clock.as_ref())
    }

    pub(super) async fn begin(&self, tenant: TenantId) -> Result<Box<dyn Tx>, AppError> {
        self.db
            .begin(Some(tenant))
            .await
            .map_err(store_err("enrolment"))
    }
}

/// Who an assignment enrols, each once: listed users as individually assigned, then the
/// cohort's learners not already listed.
fn targets(
    users: &[UserId],
    learners: &[UserId],
    cohort: Option<CohortId>,
) -> Vec<(UserId, EnrolmentSource, Option<CohortId>)> {
    let mut seen = BTreeSet::new();
    let listed = users.iter().map(|u| (*u, EnrolmentSource::Assigned, None));
    let from_cohort = learners
        .iter()
        .map(|u| (*u, EnrolmentSource::Cohort, cohort));
    listed
        .chain(from_cohort)
        .filter(|(u, _, _)| seen.insert(*u))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use nexus_domain::ManualClock;

    #[test]
    fn listed_users_win_over_their_cohort_and_each_is_enrolled_once() {
        let clock = ManualClock::at_unix(1_700_000_000);
        let [a, b, c] = [(); 3].map(|()| UserId::generate(&clock));
        let cohort = CohortId::generate(&clock);
        let got = targets(&[a, b, a], &[b, c], Some(cohort));
        assert_eq!(
            got,
            [
                (a, EnrolmentSource::Assigned, None),
                (b, EnrolmentSource::Assigned, None),
                (c, EnrolmentSource::Cohort, Some(cohort)),
            ]
        );
    }
}
