//! The course catalogue: create, read, list, edit metadata, and workflow transitions.

use crate::AppError;
use crate::audit::{AuditService, Caller, Record};
use nexus_domain::access::Permission;
use nexus_domain::learning::workflow::{self, WorkflowAction, WorkflowError};
use nexus_domain::learning::{ContentStatus, Course, CourseDraft, CourseId, CourseQuery};
use nexus_domain::paging::Page;
use nexus_domain::{Clock, TenantId};
use nexus_store::{CourseStore, Database, Tx};
use serde_json::json;
use std::sync::Arc;

/// Course use cases.
#[derive(Clone)]
pub struct CourseService {
    pub(super) db: Arc<dyn Database>,
    pub(super) cache: Arc<dyn nexus_store::CacheStore>,
    pub(super) store: Arc<dyn CourseStore>,
    pub(super) audit: AuditService,
    pub(super) clock: Arc<dyn Clock>,
    /// Published versions already decoded (see `decoded`).
    pub(super) decoded: Arc<super::decoded::DecodedCourses>,
}

/// How many decoded published versions a process keeps: a tenant's active courses,
/// times the tenants a node serves at once; about 100 KB each for a course like the demo.
const DECODED_VERSIONS: usize = 256;

pub(super) fn workflow_error(e: WorkflowError) -> AppError {
    match e {
        WorkflowError::Archived => AppError::Conflict {
            code: "course_archived",
            message: "the course is archived and accepts no changes",
        },
        WorkflowError::NotPublished => AppError::Conflict {
            code: "course_not_published",
            message: "the course is not published",
        },
        WorkflowError::Empty => AppError::Conflict {
            code: "course_empty",
            message: "a course needs at least one lesson to be published",
        },
    }
}

/// A course as a learner sees it: published, with its published metadata.
fn learner_view(mut course: Course) -> Option<Course> {
    if course.status != ContentStatus::Published {
        return None;
    }
    course.meta = course.published_meta.clone()?;
    Some(course)
}

/// What an audit diff shows of a course.
fn view(c: &Course) -> serde_json::Value {
    json!({
        "title": c.meta.title,
        "level": c.meta.level.as_str(),
        "estimated_minutes": c.meta.estimated_minutes,
        "tags": c.meta.tags.iter().map(nexus_domain::learning::Tag::as_str).collect::<Vec<_>>(),
        "self_enrol": c.meta.self_enrol,
        "status": c.status.as_str(),
        "published_version": c.published_version,
    })
}

impl CourseService {
    /// Wires the service.
    pub fn new(
        db: Arc<dyn Database>,
        cache: Arc<dyn nexus_store::CacheStore>,
        audit: AuditService,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store: db.courses(),
            db,
            cache,
            audit,
            clock,
            decoded: Arc::new(super::decoded::DecodedCourses::new(DECODED_VERSIONS)),
        }
    }

    /// Creates a draft course. Needs `course:write`; audited.
    pub async fn create(
        &self,
        caller: &Caller,
        tenant: TenantId,
        meta: CourseDraft,
    ) -> Result<Course, AppError> {
        caller.require(tenant, Permission::CourseWrite)?;
        let now = self.clock.now();
        let course = Course {
            id: CourseId::generate(self.clock.as_ref()),
            tenant_id: tenant,
            meta,
            status: ContentStatus::Draft,
            published_version: 0,
            published_meta: None,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.begin(tenant).await?;
        self.store
            .create(tx.as_mut(), &course)
            .await
            .map_err(|e| AppError::from_store("course", e))?;
        self.record(tx.as_mut(), caller, &course, "course.create", None)
            .await?;
        commit(tx).await?;
        Ok(course)
    }

    /// One course. Without `course:write`, only a published course is visible.
    pub async fn get(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: CourseId,
    ) -> Result<Course, AppError> {
        caller.require(tenant, Permission::CourseRead)?;
        let course = self
            .store
            .get(tenant, id)
            .await
            .map_err(|e| AppError::from_store("course", e))?;
        if caller.actor.can(tenant, Permission::CourseWrite) {
            return Ok(course);
        }
        learner_view(course).ok_or(AppError::NotFound { resource: "course" })
    }

    /// The catalogue. Without `course:write`, only published courses are listed.
    pub async fn list(
        &self,
        caller: &Caller,
        tenant: TenantId,
        mut query: CourseQuery,
    ) -> Result<Page<Course>, AppError> {
        caller.require(tenant, Permission::CourseRead)?;
        let learner = !caller.actor.can(tenant, Permission::CourseWrite);
        query.as_learner = learner;
        if !learner {
            return self
                .store
                .list(tenant, &query)
                .await
                .map_err(|e| AppError::from_store("course", e));
        }
        // The learner catalogue changes only when a course's status does, so it is
        // cached under the tenant's catalogue generation, which every status change
        // replaces (see `forget_content`).
        let key = self
            .catalogue_generation(tenant)
            .await
            .map(|generation| format!("catalogue:{tenant}:{generation}:{}", query.cache_key()));
        if let Some(key) = &key
            && let Ok(Some(bytes)) = self.cache.get(key).await
            && let Ok(page) = serde_json::from_slice::<Page<Course>>(&bytes)
        {
            return Ok(page);
        }
        let page = self
            .store
            .list(tenant, &query)
            .await
            .map_err(|e| AppError::from_store("course", e))?;
        // Learners see what was published, never the draft's metadata.
        let page = Page {
            items: page.items.into_iter().filter_map(learner_view).collect(),
            ..page
        };
        if let Some(key) = &key
            && let Ok(bytes) = serde_json::to_vec(&page)
            && let Err(e) = self
                .cache
                .set(key, &bytes, super::publish::CONTENT_TTL)
                .await
        {
            tracing::warn!(error = %e, "catalogue cache write failed");
        }
        Ok(page)
    }

    /// Replaces a course's metadata (the draft). Refused once archived. Audited with
    /// before/after.
    pub async fn update(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: CourseId,
        meta: CourseDraft,
    ) -> Result<Course, AppError> {
        self.change(
            caller,
            tenant,
            id,
            WorkflowAction::Edit,
            "course.update",
            |c| {
                c.meta = meta;
            },
        )
        .await
    }

    /// Retires a course for good: hidden from learners and closed to edits. Audited.
    pub async fn archive(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: CourseId,
    ) -> Result<Course, AppError> {
        self.change(
            caller,
            tenant,
            id,
            WorkflowAction::Archive,
            "course.archive",
            |_| {},
        )
        .await
    }

    /// Applies a workflow action and an edit, then stores and records the result.
    pub(super) async fn change(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: CourseId,
        action: WorkflowAction,
        audit_action: &'static str,
        edit: impl FnOnce(&mut Course),
    ) -> Result<Course, AppError> {
        caller.require(tenant, Permission::CourseWrite)?;
        let before = self
            .store
            .get(tenant, id)
            .await
            .map_err(|e| AppError::from_store("course", e))?;
        // Lessons arrive with the next slice of this issue; until then nothing can be
        // published, and the count only matters for `Publish`.
        let next = workflow::apply(before.status, before.published_version, 0, action)
            .map_err(workflow_error)?;
        let mut after = before.clone();
        edit(&mut after);
        after.status = next.status;
        after.published_version = next.published_version;
        after.updated_at = self.clock.now();
        let mut tx = self.begin(tenant).await?;
        self.store
            .update(
                tx.as_mut(),
                &after,
                (before.status, before.published_version),
            )
            .await
            .map_err(|e| AppError::from_store("course", e))?;
        self.record(tx.as_mut(), caller, &after, audit_action, Some(&before))
            .await?;
        commit(tx).await?;
        if after.status != before.status {
            self.forget_content(tenant, id).await;
        }
        Ok(after)
    }

    async fn record(
        &self,
        tx: &mut dyn Tx,
        caller: &Caller,
        course: &Course,
        action: &'static str,
        before: Option<&Course>,
    ) -> Result<(), AppError> {
        let diff = match before {
            Some(b) => json!({ "before": view(b), "after": view(course) }),
            None => json!({ "after": view(course) }),
        };
        let r = Record {
            tenant: Some(course.tenant_id),
            action,
            target: format!("course:{}", course.id),
            diff: Some(diff),
        };
        self.audit.record_in(tx, caller, r).await
    }

    /// Loads a course of this tenant.
    pub(super) async fn load(&self, tenant: TenantId, id: CourseId) -> Result<Course, AppError> {
        self.store
            .get(tenant, id)
            .await
            .map_err(|e| AppError::from_store("course", e))
    }

    /// Records a change to a course's content in the caller's transaction.
    pub(super) async fn record_change(
        &self,
        tx: &mut dyn Tx,
        caller: &Caller,
        course: &Course,
        action: &'static str,
        diff: serde_json::Value,
    ) -> Result<(), AppError> {
        let r = Record {
            tenant: Some(course.tenant_id),
            action,
            target: format!("course:{}", course.id),
            diff: Some(diff),
        };
        self.audit.record_in(tx, caller, r).await
    }

    pub(super) async fn begin(&self, tenant: TenantId) -> Result<Box<dyn Tx>, AppError> {
        self.db
            .begin(Some(tenant))
            .await
            .map_err(|e| AppError::from_store("course", e))
    }
}

pub(super) async fn commit(tx: Box<dyn Tx>) -> Result<(), AppError> {
    tx.commit()
        .await
        .map_err(|e| AppError::from_store("course", e))
}
