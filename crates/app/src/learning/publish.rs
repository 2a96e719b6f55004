//! Publishing: freezing the draft as a numbered version that learners read.
//!
//! A version is a JSON snapshot of the outline with every lesson already rendered to
//! sanitized HTML, so serving a lesson to a learner never renders Markdown, and a draft
//! edited after publishing stays invisible until the next publish.
//!
//! The latest published version is cached (per tenant and course) so reading a course
//! or a lesson costs no database round trip; any status change (publish, unpublish,
//! archive) drops the entry after its commit, and the entry expires on its own after
//! [`CONTENT_TTL`] in case a drop is lost. The cached entry is the current version's
//! number, set only from a database read; the version itself is decoded once per
//! process (a version never changes once published), so the full text is read and
//! parsed once per version and process, not on every read.

use super::courses::{CourseService, commit, workflow_error};
use crate::AppError;
use crate::audit::Caller;
use nexus_domain::TenantId;
use nexus_domain::access::Permission;
use nexus_domain::learning::quiz::{BankId, QuizId, QuizSettingsSpec};
use nexus_domain::learning::workflow::{self, WorkflowAction};
use nexus_domain::learning::{ContentStatus, Course, CourseId, LessonId, Level, ModuleId};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// Longest a cached published version may be served without a re-read. A read that
/// races a publish or unpublish can put the previous state back into the cache just
/// after the change dropped it; this bounds how long that can be served.
pub const CONTENT_TTL: Duration = Duration::from_mins(1);

fn generation_key(tenant: TenantId) -> String {
    format!("catalogue-gen:{tenant}")
}

/// The number of the current published version: what a reader checks before using the
/// copy it decoded earlier (versions are frozen, so a number names one content).
fn current_key(tenant: TenantId, course: CourseId) -> String {
    format!("course-current:{tenant}:{course}")
}

/// What learners read: one published version of a course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema),
    schema(as = CourseContent)
)]
pub struct PublishedCourse {
    /// The course.
    pub course: CourseId,
    /// Which version this is (1 for the first publish).
    pub version: u32,
    /// Title at publishing time.
    pub title: String,
    /// Summary at publishing time.
    pub summary: String,
    /// Level at publishing time.
    pub level: Level,
    /// Expected effort in minutes.
    pub estimated_minutes: u32,
    /// Modules in order.
    pub modules: Vec<PublishedModule>,
}

/// A module of a published version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema),
    schema(as = CourseContentModule)
)]
pub struct PublishedModule {
    /// Identity (stable across versions).
    pub id: ModuleId,
    /// Title.
    pub title: String,
    /// Lessons in order.
    pub lessons: Vec<PublishedLesson>,
    /// Quizzes closing the module, in order. (Versions published before quizzes
    /// existed have none.)
    #[cfg_attr(feature = "openapi", schema(required = true))]
    #[serde(default)]
    pub quizzes: Vec<PublishedQuiz>,
}

/// A quiz of a published version: its settings as published, never its questions.
/// Attempts draw from the bank as it is when they start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema),
    schema(as = CourseContentQuiz)
)]
pub struct PublishedQuiz {
    /// Identity (stable across versions).
    pub id: QuizId,
    /// The bank attempts draw from.
    pub bank: BankId,
    /// Settings as published (`bank` names the bank's key).
    pub settings: QuizSettingsSpec,
}

/// A lesson of a published version, rendered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema),
    schema(as = CourseContentLesson)
)]
pub struct PublishedLesson {
    /// Identity (stable across versions).
    pub id: LessonId,
    /// Title.
    pub title: String,
    /// Expected effort in minutes.
    pub estimated_minutes: u32,
    /// The body as sanitized HTML.
    pub html: String,
}

impl CourseService {
    /// Freezes the draft as the next version and shows it to learners. Needs at least
    /// one lesson. Audited.
    pub async fn publish(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: CourseId,
    ) -> Result<(Course, PublishedCourse), AppError> {
        caller.require(tenant, Permission::CourseWrite)?;
        let before = self.load(tenant, id).await?;
        let outline = self
            .store
            .outline(tenant, id)
            .await
            .map_err(|e| AppError::from_store("course", e))?;
        let lessons = outline.iter().map(|(_, ls)| ls.len()).sum();
        let quizzes = self
            .db
            .quizzes()
            .quizzes(tenant, id)
            .await
            .map_err(|e| AppError::from_store("course", e))?;
        let banks = self
            .db
            .quizzes()
            .banks(tenant, id)
            .await
            .map_err(|e| AppError::from_store("course", e))?;
        let published_quiz = |q: &nexus_domain::learning::quiz::Quiz| {
            let key = banks
                .iter()
                .find(|b| b.id == q.bank)
                .map_or("", |b| b.key.as_str());
            PublishedQuiz {
                id: q.id,
                bank: q.bank,
                settings: QuizSettingsSpec::from_settings(&q.settings, key),
            }
        };
        let next = workflow::apply(
            before.status,
            before.published_version,
            lessons,
            WorkflowAction::Publish,
        )
        .map_err(workflow_error)?;
        let snapshot = PublishedCourse {
            course: id,
            version: next.published_version,
            title: before.meta.title.clone(),
            summary: before.meta.summary.clone(),
            level: before.meta.level,
            estimated_minutes: before.meta.estimated_minutes,
            modules: outline
                .into_iter()
                .map(|(m, ls)| PublishedModule {
                    quizzes: quizzes
                        .iter()
                        .filter(|q| q.module == m.id)
                        .map(published_quiz)
                        .collect(),
                    id: m.id,
                    title: m.title,
                    lessons: ls
                        .into_iter()
                        .map(|l| PublishedLesson {
                            id: l.id,
                            html: nexus_content::render(&l.draft.body).into_string(),
                            title: l.draft.title,
                            estimated_minutes: l.draft.estimated_minutes,
                        })
                        .collect(),
                })
                .collect(),
        };
        let text = serde_json::to_string(&snapshot).map_err(|e| AppError::Internal(Box::new(e)))?;
        let now = self.clock.now();
        let mut after = before.clone();
        after.status = next.status;
        after.published_version = next.published_version;
        after.published_meta = Some(before.meta.clone());
        after.updated_at = now;
        let mut tx = self.begin(tenant).await?;
        let store_err = |e| AppError::from_store("course", e);
        // Guarded on what was read: two publishes (or a publish and an archive) at once
        // cannot both win; the loser gets 409 `course_changed`.
        self.store
            .update(
                tx.as_mut(),
                &after,
                (before.status, before.published_version),
            )
            .await
            .map_err(store_err)?;
        self.store
            .add_version(tx.as_mut(), tenant, id, next.published_version, &text, now)
            .await
            .map_err(store_err)?;
        let diff = json!({ "version": next.published_version, "lessons": lessons });
        self.record_change(tx.as_mut(), caller, &after, "course.publish", diff)
            .await?;
        commit(tx).await?;
        self.forget_content(tenant, id).await;
        Ok((after, snapshot))
    }

    /// Hides a published course from learners; its versions are kept. Audited.
    pub async fn unpublish(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: CourseId,
    ) -> Result<Course, AppError> {
        self.change(
            caller,
            tenant,
            id,
            WorkflowAction::Unpublish,
            "course.unpublish",
            |_| {},
        )
        .await
    }

    /// The latest published version, for anyone with `course:read`; 404 unless published.
    pub async fn content(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: CourseId,
    ) -> Result<Arc<PublishedCourse>, AppError> {
        caller.require(tenant, Permission::CourseRead)?;
        self.published(tenant, id)
            .await?
            .ok_or(AppError::NotFound { resource: "course" })
    }

    /// The latest published version from the cache when it can, without a permission
    /// check: for other learning services (progress is measured against it) after they
    /// have checked their own. `None` unless the course is published now.
    pub(crate) async fn published(
        &self,
        tenant: TenantId,
        id: CourseId,
    ) -> Result<Option<Arc<PublishedCourse>>, AppError> {
        // Which version is current (a few bytes), then that version decoded in process.
        let current = current_key(tenant, id);
        let known = match self.cache.get(&current).await {
            Ok(Some(bytes)) => std::str::from_utf8(&bytes)
                .ok()
                .and_then(|v| v.parse().ok()),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "course cache read failed; using the database");
                None
            }
        };
        if let Some(v) = known {
            if let Some(c) = self.decoded.get((tenant, id, v)) {
                return Ok(Some(c));
            }
            // Not decoded here yet: a version never changes, so read that one.
            let text = self
                .store
                .version(tenant, id, v)
                .await
                .map_err(|e| AppError::from_store("course", e))?;
            if let Some(text) = text {
                return Ok(Some(self.decode(tenant, id, v, &text)?));
            }
        }
        // Which version is current is taken from the database only, never from another
        // cached copy, so the entry lives at most CONTENT_TTL past a change that raced it.
        let course = match self.load(tenant, id).await {
            Err(AppError::NotFound { .. }) => return Ok(None),
            other => other?,
        };
        if course.status != ContentStatus::Published || course.published_version == 0 {
            return Ok(None);
        }
        let v = course.published_version;
        let published = if let Some(c) = self.decoded.get((tenant, id, v)) {
            c
        } else {
            let Some(text) = self.version_text(&course).await? else {
                return Ok(None);
            };
            self.decode(tenant, id, v, &text)?
        };
        if let Err(e) = self
            .cache
            .set(&current, v.to_string().as_bytes(), CONTENT_TTL)
            .await
        {
            tracing::warn!(error = %e, "course cache write failed");
        }
        Ok(Some(published))
    }

    /// Parses version `v`'s text and keeps the result for this process's next readers.
    fn decode(
        &self,
        tenant: TenantId,
        id: CourseId,
        v: u32,
        text: &str,
    ) -> Result<Arc<PublishedCourse>, AppError> {
        let published: PublishedCourse =
            serde_json::from_str(text).map_err(|e| AppError::Internal(Box::new(e)))?;
        let published = Arc::new(published);
        self.decoded.put((tenant, id, v), published.clone());
        Ok(published)
    }

    /// The last version learners were shown, whatever the course's status now (an
    /// unpublished or archived course keeps its versions); `None` if never published.
    /// Not cached: only courses that are no longer published need it.
    pub(crate) async fn last_published(
        &self,
        course: &Course,
    ) -> Result<Option<PublishedCourse>, AppError> {
        self.version_text(course)
            .await?
            .map(|text| serde_json::from_str(&text).map_err(|e| AppError::Internal(Box::new(e))))
            .transpose()
    }

    async fn version_text(&self, course: &Course) -> Result<Option<String>, AppError> {
        if course.published_version == 0 {
            return Ok(None);
        }
        self.store
            .version(course.tenant_id, course.id, course.published_version)
            .await
            .map_err(|e| AppError::from_store("course", e))
    }

    /// Drops the cached published version, and the tenant's cached learner catalogue
    /// with it, after a status change has committed.
    pub(super) async fn forget_content(&self, tenant: TenantId, id: CourseId) {
        if let Err(e) = self.cache.delete(&current_key(tenant, id)).await {
            tracing::error!(error = %e, "course cache invalidation failed; the entry expires with its TTL");
        }
        // Pages cached under the old generation are never read again and expire.
        if let Err(e) = self.cache.delete(&generation_key(tenant)).await {
            tracing::error!(error = %e, "catalogue cache invalidation failed; pages expire with their TTL");
        }
    }

    /// The tenant's current catalogue generation: a random tag that keys cached learner
    /// catalogue pages, made afresh when the last one was dropped. `None` when the
    /// cache cannot be used (then nothing is cached).
    pub(super) async fn catalogue_generation(&self, tenant: TenantId) -> Option<String> {
        let key = generation_key(tenant);
        match self.cache.get(&key).await {
            Ok(Some(g)) => return String::from_utf8(g).ok(),
            Ok(None) => {}
            Err(_) => return None,
        }
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).ok()?;
        let generation = hex::encode(bytes);
        // Outlives the pages keyed by it; if it expires, a new one simply starts.
        self.cache
            .set(&key, generation.as_bytes(), Duration::from_hours(24))
            .await
            .ok()?;
        Some(generation)
    }
}
