//! Courses: the catalogue's records. Tenant-owned: every method takes the `TenantId`;
//! changes run in the caller's transaction so they commit with their audit record.

use crate::{StoreError, Tx};
use async_trait::async_trait;
use nexus_domain::TenantId;
use nexus_domain::learning::{Course, CourseId, CourseQuery, Lesson, LessonId, Module, ModuleId};
use nexus_domain::paging::Page;
use std::collections::{BTreeMap, BTreeSet};

/// Stores courses.
#[async_trait]
pub trait CourseStore: Send + Sync {
    /// Inserts a course.
    async fn create(&self, tx: &mut dyn Tx, course: &Course) -> Result<(), StoreError>;
    /// Saves metadata (draft and published), status, published version and
    /// `updated_at`, only if the stored status and published version are still
    /// `expected` (what the caller read): `Conflict { constraint: "course_changed" }` if
    /// they moved meanwhile, `NotFound` if the course is gone.
    async fn update(
        &self,
        tx: &mut dyn Tx,
        course: &Course,
        expected: (nexus_domain::learning::ContentStatus, u32),
    ) -> Result<(), StoreError>;
    /// Sets `updated_at` only, with the same guard and errors as [`CourseStore::update`]:
    /// outline edits mark the course changed without rewriting its metadata.
    async fn touch(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: CourseId,
        expected: (nexus_domain::learning::ContentStatus, u32),
        at: time::OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// One course, or `NotFound`.
    async fn get(&self, tenant: TenantId, id: CourseId) -> Result<Course, StoreError>;
    /// The catalogue, filtered and paged, by title.
    async fn list(&self, tenant: TenantId, query: &CourseQuery)
    -> Result<Page<Course>, StoreError>;
    /// Adds a module to its course; `NotFound` if the course is not this tenant's.
    async fn add_module(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        module: &Module,
    ) -> Result<(), StoreError>;
    /// Adds a lesson to its module; `NotFound` if the module is not this tenant's.
    async fn add_lesson(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        lesson: &Lesson,
    ) -> Result<(), StoreError>;
    /// Saves a lesson's content and `updated_at`; `NotFound` if gone.
    async fn update_lesson(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        lesson: &Lesson,
    ) -> Result<(), StoreError>;
    /// Renames a module; `NotFound` if it is not this tenant's.
    async fn rename_module(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        module: ModuleId,
        title: &str,
    ) -> Result<(), StoreError>;
    /// Deletes a module and its lessons; `NotFound` if it is not this tenant's.
    async fn delete_module(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        module: ModuleId,
    ) -> Result<(), StoreError>;
    /// Deletes a lesson; `NotFound` if it is not this tenant's.
    async fn delete_lesson(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        lesson: LessonId,
    ) -> Result<(), StoreError>;
    /// Renumbers a module's lessons in the given order (the caller has checked it is a
    /// permutation); `NotFound` if a lesson is not in the module.
    async fn set_lesson_order(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        module: ModuleId,
        order: &[LessonId],
    ) -> Result<(), StoreError>;
    /// Renumbers a course's modules in the given order (the caller has checked it is a
    /// permutation); `NotFound` if a module is not in the course.
    async fn set_module_order(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        course: CourseId,
        order: &[ModuleId],
    ) -> Result<(), StoreError>;
    /// Replaces the courses `course` requires (the caller has checked the graph stays
    /// acyclic); `NotFound` if a listed course (or, with any listed, `course` itself) is
    /// not this tenant's, and then nothing changes once the transaction rolls back.
    async fn set_prerequisites(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        course: CourseId,
        requires: &BTreeSet<CourseId>,
    ) -> Result<(), StoreError>;
    /// The courses `course` requires (empty for none, or for an unknown course).
    async fn prerequisites(
        &self,
        tenant: TenantId,
        course: CourseId,
    ) -> Result<BTreeSet<CourseId>, StoreError>;
    /// Every course of the tenant that has prerequisites, with them: the whole graph,
    /// for the cycle check.
    async fn prerequisite_graph(
        &self,
        tenant: TenantId,
    ) -> Result<BTreeMap<CourseId, BTreeSet<CourseId>>, StoreError>;
    /// Stores a published version's snapshot (immutable);
    /// `Conflict { constraint: "course_version_pkey" }` if it exists.
    async fn add_version(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        course: CourseId,
        version: u32,
        snapshot: &str,
        at: time::OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// A published version's snapshot, if it exists.
    async fn version(
        &self,
        tenant: TenantId,
        course: CourseId,
        version: u32,
    ) -> Result<Option<String>, StoreError>;
    /// A course's modules in order, each with its lessons in order.
    async fn outline(
        &self,
        tenant: TenantId,
        course: CourseId,
    ) -> Result<Vec<(Module, Vec<Lesson>)>, StoreError>;
}

/// Tags as stored: `|a|b|`, so one tag is matched with `LIKE '%|tag|%'` on both backends
/// (tags are `[a-z0-9-]`, which `LIKE` treats literally).
pub fn tags_column(tags: &[nexus_domain::learning::Tag]) -> String {
    let mut s = String::from("|");
    for t in tags {
        s.push_str(t.as_str());
        s.push('|');
    }
    s
}

/// Parses the stored tags column.
pub fn parse_tags(raw: &str) -> Result<Vec<nexus_domain::learning::Tag>, nexus_domain::FieldError> {
    raw.split('|')
        .filter(|t| !t.is_empty())
        .map(nexus_domain::learning::Tag::parse)
        .collect()
}
