//! Cohorts (classes): named groups of learners with their instructors, and the class
//! progress report.
//!
//! Changing a cohort or its members takes `enrolment:write`, and each change commits with
//! its audit record. Reading takes `enrolment:write` or `report:read`; a member may also
//! read the cohort itself (not its roster, which is other people's data).

use super::courses::commit;
use super::enrolment::{EnrolmentService, own_user, require_oversight};
use super::store_err;
use crate::AppError;
use crate::audit::{Caller, Record};
use nexus_domain::access::Permission;
use nexus_domain::learning::CourseId;
use nexus_domain::learning::enrolment::{Cohort, CohortId, CohortMember, CohortRole};
use nexus_domain::learning::progress::{CourseProgress, LessonProgress, summarize};
use nexus_domain::paging::{MAX_LIMIT, Page, PageRequest};
use nexus_domain::{TenantId, UserId};
use nexus_store::{StoreError, Tx};
use serde_json::json;

/// One learner's row in a class progress report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearnerProgress {
    /// The learner.
    pub user: UserId,
    /// Their display name.
    pub display_name: String,
    /// Whether they are enrolled in the course.
    pub enrolled: bool,
    /// Their standing (zero when not enrolled).
    pub progress: CourseProgress,
}

fn name_taken(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict {
            constraint: "cohort_name_key",
        } => AppError::Conflict {
            code: "cohort_name_taken",
            message: "a cohort with this name already exists",
        },
        e => AppError::from_store("cohort", e),
    }
}

impl EnrolmentService {
    /// Creates a cohort. `name` is already parsed (`parse_cohort_name`). Audited.
    pub async fn create_cohort(
        &self,
        caller: &Caller,
        tenant: TenantId,
        name: String,
    ) -> Result<Cohort, AppError> {
        caller.require(tenant, Permission::EnrolmentWrite)?;
        let cohort = Cohort {
            id: CohortId::generate(self.clock.as_ref()),
            tenant_id: tenant,
            name,
            created_at: self.now(),
        };
        let mut tx = self.begin(tenant).await?;
        self.store
            .create_cohort(tx.as_mut(), &cohort)
            .await
            .map_err(name_taken)?;
        let diff = json!({ "after": { "name": cohort.name } });
        self.record_cohort(tx.as_mut(), caller, &cohort, "cohort.create", diff)
            .await?;
        commit(tx).await?;
        Ok(cohort)
    }

    /// Renames a cohort (`name` already parsed). Audited with before and after.
    pub async fn rename_cohort(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: CohortId,
        name: String,
    ) -> Result<Cohort, AppError> {
        caller.require(tenant, Permission::EnrolmentWrite)?;
        let before = self.load_cohort(tenant, id).await?;
        let mut tx = self.begin(tenant).await?;
        self.store
            .rename_cohort(tx.as_mut(), tenant, id, &name)
            .await
            .map_err(name_taken)?;
        let after = Cohort {
            name,
            ..before.clone()
        };
        let diff = json!({ "before": { "name": before.name }, "after": { "name": after.name } });
        self.record_cohort(tx.as_mut(), caller, &after, "cohort.rename", diff)
            .await?;
        commit(tx).await?;
        Ok(after)
    }

    /// Deletes a cohort and its memberships; the enrolments it made stay. Audited.
    pub async fn delete_cohort(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: CohortId,
    ) -> Result<(), AppError> {
        caller.require(tenant, Permission::EnrolmentWrite)?;
        let before = self.load_cohort(tenant, id).await?;
        let mut tx = self.begin(tenant).await?;
        self.store
            .delete_cohort(tx.as_mut(), tenant, id)
            .await
            .map_err(store_err("cohort"))?;
        let diff = json!({ "before": { "name": before.name } });
        self.record_cohort(tx.as_mut(), caller, &before, "cohort.delete", diff)
            .await?;
        commit(tx).await
    }

    /// The tenant's cohorts by name. Needs `enrolment:write` or `report:read`.
    pub async fn cohorts(
        &self,
        caller: &Caller,
        tenant: TenantId,
        page: PageRequest,
    ) -> Result<Page<Cohort>, AppError> {
        require_oversight(caller, tenant)?;
        self.store
            .cohorts(tenant, None, page)
            .await
            .map_err(store_err("cohort"))
    }

    /// One cohort, for those who oversee cohorts and for its own members. Anyone else is
    /// refused whether or not it exists, so its existence does not leak.
    pub async fn cohort(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: CohortId,
    ) -> Result<Cohort, AppError> {
        if require_oversight(caller, tenant).is_err() {
            let user = own_user(caller, tenant)?;
            if !self.is_member(tenant, id, user).await? {
                return Err(AppError::Forbidden("enrolment:write or report:read"));
            }
        }
        self.load_cohort(tenant, id).await
    }

    /// A cohort's members in order of joining, optionally of one role.
    pub async fn members(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: CohortId,
        role: Option<CohortRole>,
        page: PageRequest,
    ) -> Result<Page<CohortMember>, AppError> {
        require_oversight(caller, tenant)?;
        self.load_cohort(tenant, id).await?;
        self.store
            .members(tenant, id, role, page)
            .await
            .map_err(store_err("cohort"))
    }

    /// Adds a member of this tenant to a cohort, or changes their role (keeping when
    /// they joined). Audited.
    pub async fn put_member(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: CohortId,
        user: UserId,
        role: CohortRole,
    ) -> Result<(), AppError> {
        caller.require(tenant, Permission::EnrolmentWrite)?;
        let cohort = self.load_cohort(tenant, id).await?;
        let member = CohortMember {
            user,
            role,
            added_at: self.now(),
        };
        let mut tx = self.begin(tenant).await?;
        self.store
            .put_member(tx.as_mut(), tenant, id, &member)
            .await
            // The cohort was just read, so a missing parent is the user: another
            // tenant's or no one's.
            .map_err(store_err("user"))?;
        let diff = json!({ "after": { "user": user, "role": role.as_str() } });
        self.record_cohort(tx.as_mut(), caller, &cohort, "cohort.member.put", diff)
            .await?;
        commit(tx).await
    }

    /// Removes a member from a cohort (their enrolments stay). Audited.
    pub async fn remove_member(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: CohortId,
        user: UserId,
    ) -> Result<(), AppError> {
        caller.require(tenant, Permission::EnrolmentWrite)?;
        let cohort = self.load_cohort(tenant, id).await?;
        let mut tx = self.begin(tenant).await?;
        let removed = self
            .store
            .remove_member(tx.as_mut(), tenant, id, user)
            .await
            .map_err(store_err("cohort"))?;
        if !removed {
            return Err(AppError::NotFound { resource: "member" });
        }
        let diff = json!({ "before": { "user": user } });
        self.record_cohort(tx.as_mut(), caller, &cohort, "cohort.member.remove", diff)
            .await?;
        commit(tx).await
    }

    /// The class report: each learner member (paged) with their standing in a course.
    /// Needs `report:read`.
    pub async fn class_report(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: CohortId,
        course: CourseId,
        page: PageRequest,
    ) -> Result<Page<LearnerProgress>, AppError> {
        caller.require(tenant, Permission::ReportRead)?;
        self.load_cohort(tenant, id).await?;
        let c = self.courses.load(tenant, course).await?;
        let (order, _) = self.lesson_order(&c).await?;
        let learners = self
            .store
            .members(tenant, id, Some(CohortRole::Learner), page)
            .await
            .map_err(store_err("cohort"))?;
        let users: Vec<UserId> = learners.items.iter().map(|m| m.user).collect();
        // One query for the whole page's lesson records.
        let records = self
            .store
            .progress_of(tenant, course, &users)
            .await
            .map_err(store_err("course"))?;
        let mut rows = Vec::with_capacity(users.len());
        for user in users {
            let account = self
                .users
                .get(tenant, user)
                .await
                .map_err(store_err("user"))?;
            let enrolled = self.enrolment(tenant, course, user).await?.is_some();
            let mine: Vec<LessonProgress> =
                records.iter().filter(|r| r.user == user).cloned().collect();
            rows.push(LearnerProgress {
                user,
                display_name: account.display_name,
                enrolled,
                progress: summarize(&order, &mine),
            });
        }
        Ok(Page {
            items: rows,
            total: learners.total,
            limit: learners.limit,
            offset: learners.offset,
        })
    }

    async fn load_cohort(&self, tenant: TenantId, id: CohortId) -> Result<Cohort, AppError> {
        self.store
            .cohort(tenant, id)
            .await
            .map_err(store_err("cohort"))
    }

    /// Whether `user` belongs to the cohort, found among their own cohorts (a person is in
    /// few; a cohort may hold many).
    async fn is_member(
        &self,
        tenant: TenantId,
        id: CohortId,
        user: UserId,
    ) -> Result<bool, AppError> {
        let mut offset = 0u64;
        loop {
            let window = PageRequest::new(Some(MAX_LIMIT), Some(offset))
                .map_err(|e| AppError::Internal(Box::new(e)))?;
            let page = self
                .store
                .cohorts(tenant, Some(user), window)
                .await
                .map_err(store_err("cohort"))?;
            if page.items.iter().any(|c| c.id == id) {
                return Ok(true);
            }
            let n = page.items.len();
            offset += u64::try_from(n).unwrap_or(u64::MAX);
            if n == 0 || offset >= page.total {
                return Ok(false);
            }
        }
    }

    async fn record_cohort(
        &self,
        tx: &mut dyn Tx,
        caller: &Caller,
        cohort: &Cohort,
        action: &'static str,
        diff: serde_json::Value,
    ) -> Result<(), AppError> {
        let r = Record {
            tenant: Some(cohort.tenant_id),
            action,
            target: format!("cohort:{}", cohort.id),
            diff: Some(diff),
        };
        self.audit.record_in(tx, caller, r).await
    }
}
