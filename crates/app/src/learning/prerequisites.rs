//! Course prerequisites: which courses a learner must have completed (holding a
//! non-revoked certificate) before enrolling themselves in another.
//!
//! The graph stays acyclic ([`check_acyclic`]) so every course can be started by
//! someone. Prerequisites are not part of a published version: a change applies to the
//! next self-enrolment at once. Only self-enrolment is gated; instructors and admins
//! who assign a course may override (see `EnrolmentService::assign`).

use super::courses::{CourseService, commit};
use crate::AppError;
use crate::audit::Caller;
use nexus_domain::access::{Actor, Permission};
use nexus_domain::learning::CourseId;
use nexus_domain::learning::prerequisites::{MAX_PREREQUISITES, check_acyclic};
use nexus_domain::{FieldErrors, TenantId, UserId};
use nexus_store::StoreError;
use serde_json::json;
use std::collections::BTreeSet;

/// One prerequisite of a course, as the caller sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prerequisite {
    /// The required course.
    pub course: CourseId,
    /// Its title: the draft's for authors, as published (or the draft's if never
    /// published) for everyone else.
    pub title: String,
    /// Whether the caller holds a non-revoked certificate for it (false for callers who
    /// are not users of this tenant).
    pub completed: bool,
}

impl CourseService {
    /// Replaces the courses `course` requires. Needs `course:write`; refused once the
    /// course is archived. Every unknown course is reported at once (`courses[i]`,
    /// `unknown_course`); a course requiring itself, directly or through others, is
    /// refused on `courses` with code `cycle`. Audited with before/after, in the same
    /// transaction.
    pub async fn set_prerequisites(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
        ids: &[CourseId],
    ) -> Result<BTreeSet<CourseId>, AppError> {
        let c = self.editable(caller, tenant, course).await?;
        let wanted: BTreeSet<CourseId> = ids.iter().copied().collect();
        if wanted.len() > MAX_PREREQUISITES {
            let mut errs = FieldErrors::new();
            errs.push(
                "courses",
                "too_many",
                format!("at most {MAX_PREREQUISITES} prerequisites"),
            );
            return Err(errs.into());
        }
        let mut errs = FieldErrors::new();
        for (i, id) in ids.iter().enumerate() {
            match self.store.get(tenant, *id).await {
                Ok(_) => {}
                Err(StoreError::NotFound) => errs.push(
                    format!("courses[{i}]"),
                    "unknown_course",
                    format!("{id} is not a course of this tenant"),
                ),
                Err(e) => return Err(AppError::from_store("course", e)),
            }
        }
        errs.finish(|| Some(()))?;
        let graph = self
            .store
            .prerequisite_graph(tenant)
            .await
            .map_err(|e| AppError::from_store("course", e))?;
        if let Err(path) = check_acyclic(&graph, course, &wanted) {
            let path: Vec<String> = path.iter().map(ToString::to_string).collect();
            let mut errs = FieldErrors::new();
            errs.push(
                "courses",
                "cycle",
                format!(
                    "a course cannot require itself, even through others: {}",
                    path.join(" → ")
                ),
            );
            return Err(errs.into());
        }
        let before = self
            .store
            .prerequisites(tenant, course)
            .await
            .map_err(|e| AppError::from_store("course", e))?;
        let mut tx = self.begin(tenant).await?;
        self.touch_in(tx.as_mut(), &c).await?;
        self.store
            .set_prerequisites(tx.as_mut(), tenant, course, &wanted)
            .await
            .map_err(|e| AppError::from_store("course", e))?;
        let diff = json!({ "before": before, "after": wanted });
        self.record_change(tx.as_mut(), caller, &c, "course.prerequisites", diff)
            .await?;
        commit(tx).await?;
        Ok(wanted)
    }

    /// The courses `course` requires, with whether the caller completed each. Needs
    /// `course:read`; like [`CourseService::get`], learners see it only for a published
    /// course.
    pub async fn prerequisites(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
    ) -> Result<Vec<Prerequisite>, AppError> {
        self.get(caller, tenant, course).await?;
        let author = caller.actor.can(tenant, Permission::CourseWrite);
        let ids = self.required(tenant, course).await?;
        let completed = match &caller.actor {
            Actor::User {
                tenant: t, user, ..
            } if *t == tenant => self.completed(tenant, *user).await?,
            _ => BTreeSet::new(),
        };
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let c = self.load(tenant, id).await?;
            let title = match (author, c.published_meta) {
                (false, Some(published)) => published.title,
                _ => c.meta.title,
            };
            out.push(Prerequisite {
                course: id,
                title,
                completed: completed.contains(&id),
            });
        }
        Ok(out)
    }

    /// The prerequisites of `course` that `user` has not completed (empty when they may
    /// enrol themselves).
    pub(super) async fn missing_prerequisites(
        &self,
        tenant: TenantId,
        course: CourseId,
        user: UserId,
    ) -> Result<BTreeSet<CourseId>, AppError> {
        let required = self.required(tenant, course).await?;
        if required.is_empty() {
            return Ok(required);
        }
        let completed = self.completed(tenant, user).await?;
        Ok(required.difference(&completed).copied().collect())
    }

    async fn required(
        &self,
        tenant: TenantId,
        course: CourseId,
    ) -> Result<BTreeSet<CourseId>, AppError> {
        self.store
            .prerequisites(tenant, course)
            .await
            .map_err(|e| AppError::from_store("course", e))
    }

    /// Courses the user holds a non-revoked certificate for.
    async fn completed(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<BTreeSet<CourseId>, AppError> {
        let certificates = self
            .db
            .achievements()
            .certificates(tenant, user)
            .await
            .map_err(|e| AppError::from_store("certificate", e))?;
        Ok(certificates
            .into_iter()
            .filter(|c| c.revoked_at.is_none())
            .map(|c| c.course)
            .collect())
    }
}
