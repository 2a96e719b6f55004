//! Authoring a course's outline: modules, lessons, their order, and a rendered preview.

use super::courses::CourseService;
use crate::AppError;
use crate::audit::Caller;
use nexus_content::SafeHtml;
use nexus_domain::TenantId;
use nexus_domain::access::Permission;
use nexus_domain::learning::order::reorder;
use nexus_domain::learning::workflow::{self, WorkflowAction};
use nexus_domain::learning::{Course, CourseId, Lesson, LessonDraft, LessonId, Module, ModuleId};
use serde_json::json;

/// A lesson with its body rendered to sanitized HTML, for previews.
#[derive(Debug, Clone)]
pub struct RenderedLesson {
    /// The lesson as authored.
    pub lesson: Lesson,
    /// Its body as safe HTML.
    pub html: SafeHtml,
}

impl CourseService {
    /// The draft outline with every lesson rendered. Authors only (`course:write`):
    /// learners will read published versions.
    pub async fn preview(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: CourseId,
    ) -> Result<(Course, Vec<(Module, Vec<RenderedLesson>)>), AppError> {
        caller.require(tenant, Permission::CourseWrite)?;
        let course = self.load(tenant, id).await?;
        let outline = self.outline_of(tenant, id).await?;
        let rendered = outline
            .into_iter()
            .map(|(m, lessons)| {
                let lessons = lessons
                    .into_iter()
                    .map(|l| RenderedLesson {
                        html: nexus_content::render(&l.draft.body),
                        lesson: l,
                    })
                    .collect();
                (m, lessons)
            })
            .collect();
        Ok((course, rendered))
    }

    /// Appends a module to a course. Audited.
    pub async fn add_module(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
        title: &str,
    ) -> Result<Module, AppError> {
        let c = self.editable(caller, tenant, course).await?;
        let title = nexus_domain::learning::outline::parse_title(title)
            .map_err(|e| AppError::invalid_field("title", e))?;
        let outline = self.outline_of(tenant, course).await?;
        let module = Module {
            id: ModuleId::generate(self.clock.as_ref()),
            course,
            position: next_position(outline.iter().map(|(m, _)| m.position))?,
            title,
        };
        let mut tx = self.begin(tenant).await?;
        self.touch_in(tx.as_mut(), &c).await?;
        self.store
            .add_module(tx.as_mut(), tenant, &module)
            .await
            .map_err(|e| AppError::from_store("course", e))?;
        let diff = json!({ "after": { "module": module.id, "title": module.title } });
        self.record_change(tx.as_mut(), caller, &c, "course.module_add", diff)
            .await?;
        super::courses::commit(tx).await?;
        Ok(module)
    }

    /// Appends a lesson to a module of the course. Audited (title and size, not body).
    pub async fn add_lesson(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
        module: ModuleId,
        draft: LessonDraft,
    ) -> Result<Lesson, AppError> {
        let c = self.editable(caller, tenant, course).await?;
        let outline = self.outline_of(tenant, course).await?;
        let siblings = outline
            .iter()
            .find(|(m, _)| m.id == module)
            .map(|(_, ls)| next_position(ls.iter().map(|l| l.position)))
            .ok_or(AppError::NotFound { resource: "module" })??;
        let lesson = Lesson {
            id: LessonId::generate(self.clock.as_ref()),
            module,
            position: siblings,
            draft,
            updated_at: self.clock.now(),
        };
        let mut tx = self.begin(tenant).await?;
        self.touch_in(tx.as_mut(), &c).await?;
        self.store
            .add_lesson(tx.as_mut(), tenant, &lesson)
            .await
            .map_err(|e| AppError::from_store("module", e))?;
        self.record_change(
            tx.as_mut(),
            caller,
            &c,
            "course.lesson_add",
            lesson_view(&lesson),
        )
        .await?;
        super::courses::commit(tx).await?;
        Ok(lesson)
    }

    /// Replaces a lesson's content. Audited with before/after (title and size).
    pub async fn update_lesson(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
        lesson: LessonId,
        draft: LessonDraft,
    ) -> Result<Lesson, AppError> {
        let c = self.editable(caller, tenant, course).await?;
        let outline = self.outline_of(tenant, course).await?;
        let before = outline
            .iter()
            .flat_map(|(_, ls)| ls)
            .find(|l| l.id == lesson)
            .cloned()
            .ok_or(AppError::NotFound { resource: "lesson" })?;
        let after = Lesson {
            draft,
            updated_at: self.clock.now(),
            ..before.clone()
        };
        let mut tx = self.begin(tenant).await?;
        self.touch_in(tx.as_mut(), &c).await?;
        self.store
            .update_lesson(tx.as_mut(), tenant, &after)
            .await
            .map_err(|e| AppError::from_store("lesson", e))?;
        let diff = json!({ "before": lesson_view(&before), "after": lesson_view(&after) });
        self.record_change(tx.as_mut(), caller, &c, "course.lesson_update", diff)
            .await?;
        super::courses::commit(tx).await?;
        Ok(after)
    }

    /// Puts a module's lessons in a new order: every lesson exactly once. Audited.
    pub async fn reorder_lessons(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
        module: ModuleId,
        order: &[LessonId],
    ) -> Result<Vec<LessonId>, AppError> {
        let c = self.editable(caller, tenant, course).await?;
        let outline = self.outline_of(tenant, course).await?;
        let current: Vec<LessonId> = outline
            .iter()
            .find(|(m, _)| m.id == module)
            .map(|(_, ls)| ls.iter().map(|l| l.id).collect())
            .ok_or(AppError::NotFound { resource: "module" })?;
        let order = reorder(&current, order).map_err(|e| AppError::invalid_field("lessons", e))?;
        let mut tx = self.begin(tenant).await?;
        self.touch_in(tx.as_mut(), &c).await?;
        self.store
            .set_lesson_order(tx.as_mut(), tenant, module, &order)
            .await
            .map_err(|e| AppError::from_store("lesson", e))?;
        let diff = json!({ "module": module, "before": current, "after": order });
        self.record_change(tx.as_mut(), caller, &c, "course.lesson_reorder", diff)
            .await?;
        super::courses::commit(tx).await?;
        Ok(order)
    }

    /// Puts the course's modules in a new order: every module exactly once. Refused once
    /// archived. Audited with before/after. Learners see the new order only when the
    /// course is next published.
    pub async fn reorder_modules(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
        order: &[ModuleId],
    ) -> Result<Vec<ModuleId>, AppError> {
        let c = self.editable(caller, tenant, course).await?;
        let outline = self.outline_of(tenant, course).await?;
        let current: Vec<ModuleId> = outline.iter().map(|(m, _)| m.id).collect();
        let order = reorder(&current, order).map_err(|e| AppError::invalid_field("modules", e))?;
        let mut tx = self.begin(tenant).await?;
        self.touch_in(tx.as_mut(), &c).await?;
        self.store
            .set_module_order(tx.as_mut(), tenant, course, &order)
            .await
            .map_err(|e| AppError::from_store("module", e))?;
        let diff = json!({ "before": current, "after": order });
        self.record_change(tx.as_mut(), caller, &c, "course.module_reorder", diff)
            .await?;
        super::courses::commit(tx).await?;
        Ok(order)
    }

    /// Renames a module of the course. Audited.
    pub async fn rename_module(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
        module: ModuleId,
        title: &str,
    ) -> Result<Module, AppError> {
        let c = self.editable(caller, tenant, course).await?;
        let title = nexus_domain::learning::outline::parse_title(title)
            .map_err(|e| AppError::invalid_field("title", e))?;
        let outline = self.outline_of(tenant, course).await?;
        let before = outline
            .into_iter()
            .map(|(m, _)| m)
            .find(|m| m.id == module)
            .ok_or(AppError::NotFound { resource: "module" })?;
        let mut tx = self.begin(tenant).await?;
        self.touch_in(tx.as_mut(), &c).await?;
        self.store
            .rename_module(tx.as_mut(), tenant, module, &title)
            .await
            .map_err(|e| AppError::from_store("module", e))?;
        let diff = json!({ "module": module, "before": before.title, "after": title });
        self.record_change(tx.as_mut(), caller, &c, "course.module_rename", diff)
            .await?;
        super::courses::commit(tx).await?;
        Ok(Module { title, ..before })
    }

    /// Deletes a module of the course with its lessons (published versions keep their
    /// copies). Audited with what was removed.
    pub async fn delete_module(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
        module: ModuleId,
    ) -> Result<(), AppError> {
        let c = self.editable(caller, tenant, course).await?;
        let outline = self.outline_of(tenant, course).await?;
        let (before, lessons) = outline
            .into_iter()
            .find(|(m, _)| m.id == module)
            .ok_or(AppError::NotFound { resource: "module" })?;
        let mut tx = self.begin(tenant).await?;
        self.touch_in(tx.as_mut(), &c).await?;
        self.store
            .delete_module(tx.as_mut(), tenant, module)
            .await
            .map_err(|e| AppError::from_store("module", e))?;
        let diff = json!({ "before": { "module": module, "title": before.title, "lessons": lessons.iter().map(lesson_view).collect::<Vec<_>>() } });
        self.record_change(tx.as_mut(), caller, &c, "course.module_delete", diff)
            .await?;
        super::courses::commit(tx).await
    }

    /// Deletes a lesson of the course (published versions keep their copies). Audited.
    pub async fn delete_lesson(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
        lesson: LessonId,
    ) -> Result<(), AppError> {
        let c = self.editable(caller, tenant, course).await?;
        let outline = self.outline_of(tenant, course).await?;
        let before = outline
            .iter()
            .flat_map(|(_, ls)| ls)
            .find(|l| l.id == lesson)
            .cloned()
            .ok_or(AppError::NotFound { resource: "lesson" })?;
        let mut tx = self.begin(tenant).await?;
        self.touch_in(tx.as_mut(), &c).await?;
        self.store
            .delete_lesson(tx.as_mut(), tenant, lesson)
            .await
            .map_err(|e| AppError::from_store("lesson", e))?;
        let diff = json!({ "before": lesson_view(&before) });
        self.record_change(tx.as_mut(), caller, &c, "course.lesson_delete", diff)
            .await?;
        super::courses::commit(tx).await
    }

    /// The course, if the caller may author it and it still accepts edits.
    pub(super) async fn editable(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: CourseId,
    ) -> Result<Course, AppError> {
        caller.require(tenant, Permission::CourseWrite)?;
        let course = self.load(tenant, id).await?;
        workflow::apply(
            course.status,
            course.published_version,
            0,
            WorkflowAction::Edit,
        )
        .map_err(super::courses::workflow_error)?;
        Ok(course)
    }

    /// Marks the course changed, guarded on the state `editable` read, so an outline
    /// edit racing an archive (or a publish) cannot slip in: one of them gets 409.
    pub(super) async fn touch_in(
        &self,
        tx: &mut dyn nexus_store::Tx,
        course: &Course,
    ) -> Result<(), AppError> {
        let expected = (course.status, course.published_version);
        self.store
            .touch(tx, course.tenant_id, course.id, expected, self.clock.now())
            .await
            .map_err(|e| AppError::from_store("course", e))
    }

    pub(super) async fn outline_of(
        &self,
        tenant: TenantId,
        id: CourseId,
    ) -> Result<Vec<(Module, Vec<Lesson>)>, AppError> {
        self.store
            .outline(tenant, id)
            .await
            .map_err(|e| AppError::from_store("course", e))
    }
}

/// What the audit trail keeps of a lesson: not the body itself, which can be long.
fn lesson_view(l: &Lesson) -> serde_json::Value {
    json!({
        "lesson": l.id,
        "module": l.module,
        "title": l.draft.title,
        "body_chars": l.draft.body.chars().count(),
        "estimated_minutes": l.draft.estimated_minutes,
    })
}

/// One past the largest position (0 for none): appending after deletions left gaps.
fn next_position(positions: impl Iterator<Item = u32>) -> Result<u32, AppError> {
    positions
        .max()
        .map_or(Some(0), |p| p.checked_add(1))
        .ok_or_else(|| AppError::Internal("position overflow".into()))
}
