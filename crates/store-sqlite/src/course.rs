//! SQLite course catalogue. Every statement filters by `tenant_id`: on this backend that
//! filter is the whole of tenant isolation.

use crate::{SqliteTx, map_err};
use async_trait::async_trait;
use nexus_domain::TenantId;
use nexus_domain::learning::{
    ContentStatus, Course, CourseDraft, CourseId, CourseQuery, Lesson, LessonDraft, LessonId,
    Level, Module, ModuleId,
};
use nexus_domain::paging::Page;
use nexus_store::course::{parse_tags, tags_column};
use nexus_store::sql::like_pattern;
use nexus_store::{CourseStore, StoreError, Tx, downcast};

use std::collections::{BTreeMap, BTreeSet};

use sqlx::{AssertSqlSafe, Row, SqlitePool};

pub(crate) struct SqliteCourses {
    pub(crate) pool: SqlitePool,
}

const SELECT: &str = "select tenant_id, course_id, title, summary, level, estimated_minutes, tags, \
     self_enrol, status, published_version, created_at, updated_at, published_title, \
     published_summary, published_level, published_minutes, published_tags, published_self_enrol \
     from course";

fn into_domain(row: &sqlx::sqlite::SqliteRow) -> Result<Course, StoreError> {
    let parse = || -> Result<Course, Box<dyn std::error::Error + Send + Sync>> {
        let status: String = row.try_get("status")?;
        Ok(Course {
            id: CourseId::from_uuid(row.try_get("course_id")?),
            tenant_id: TenantId::from_uuid(row.try_get("tenant_id")?),
            meta: CourseDraft {
                title: row.try_get("title")?,
                summary: row.try_get("summary")?,
                level: Level::parse(row.try_get("level")?)?,
                estimated_minutes: u32::try_from(row.try_get::<i64, _>("estimated_minutes")?)?,
                tags: parse_tags(row.try_get("tags")?)?,
                self_enrol: row.try_get("self_enrol")?,
            },
            status: ContentStatus::parse(&status).ok_or("unknown course status")?,
            published_version: u32::try_from(row.try_get::<i64, _>("published_version")?)?,
            published_meta: match row.try_get::<Option<String>, _>("published_title")? {
                None => None,
                Some(title) => Some(CourseDraft {
                    title,
                    summary: row
                        .try_get::<Option<String>, _>("published_summary")?
                        .unwrap_or_default(),
                    level: Level::parse(
                        &row.try_get::<Option<String>, _>("published_level")?
                            .unwrap_or_default(),
                    )?,
                    estimated_minutes: u32::try_from(
                        row.try_get::<Option<i64>, _>("published_minutes")?
                            .unwrap_or(1),
                    )?,
                    tags: parse_tags(
                        &row.try_get::<Option<String>, _>("published_tags")?
                            .unwrap_or_default(),
                    )?,
                    // Published before the column existed: the draft's flag, as then.
                    self_enrol: match row.try_get::<Option<bool>, _>("published_self_enrol")? {
                        Some(open) => open,
                        None => row.try_get("self_enrol")?,
                    },
                }),
            },
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    };
    parse().map_err(|e| StoreError::other("decoding a course", e))
}

/// Why a guarded course write matched no row: the course moved on since the caller read
/// it (`course_changed`), or it is gone.
async fn changed_or_gone(
    conn: &mut sqlx::SqliteConnection,
    tenant: TenantId,
    id: CourseId,
) -> StoreError {
    let exists: Result<Option<i64>, _> =
        sqlx::query_scalar("select 1 from course where tenant_id = ?1 and course_id = ?2")
            .bind(tenant.as_uuid())
            .bind(id.as_uuid())
            .fetch_optional(conn)
            .await;
    match exists {
        Ok(Some(_)) => StoreError::Conflict {
            constraint: "course_changed",
        },
        Ok(None) => StoreError::NotFound,
        Err(e) => map_err("updating a course", e),
    }
}

/// A foreign key that points nowhere here means the parent is not this tenant's.
pub(crate) fn parent_missing(context: &'static str, e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound,
        _ => map_err(context, e),
    }
}

fn into_module(row: &sqlx::sqlite::SqliteRow) -> Result<Module, StoreError> {
    let parse = || -> Result<Module, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Module {
            id: ModuleId::from_uuid(row.try_get("module_id")?),
            course: CourseId::from_uuid(row.try_get("course_id")?),
            position: u32::try_from(row.try_get::<i64, _>("position")?)?,
            title: row.try_get("title")?,
        })
    };
    parse().map_err(|e| StoreError::other("decoding a module", e))
}

fn into_lesson(row: &sqlx::sqlite::SqliteRow) -> Result<Lesson, StoreError> {
    let parse = || -> Result<Lesson, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Lesson {
            id: LessonId::from_uuid(row.try_get("lesson_id")?),
            module: ModuleId::from_uuid(row.try_get("module_id")?),
            position: u32::try_from(row.try_get::<i64, _>("position")?)?,
            draft: LessonDraft {
                title: row.try_get("title")?,
                body: row.try_get("body")?,
                estimated_minutes: u32::try_from(row.try_get::<i64, _>("estimated_minutes")?)?,
            },
            updated_at: row.try_get("updated_at")?,
        })
    };
    parse().map_err(|e| StoreError::other("decoding a lesson", e))
}

#[async_trait]
impl CourseStore for SqliteCourses {
    async fn create(&self, tx: &mut dyn Tx, c: &Course) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        sqlx::query(
            "insert into course (tenant_id, course_id, title, summary, level, estimated_minutes, tags, \
             self_enrol, status, published_version, created_at, updated_at, published_title) \
             values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(c.tenant_id.as_uuid())
        .bind(c.id.as_uuid())
        .bind(&c.meta.title)
        .bind(&c.meta.summary)
        .bind(c.meta.level.as_str())
        .bind(i64::from(c.meta.estimated_minutes))
        .bind(tags_column(&c.meta.tags))
        .bind(c.meta.self_enrol)
        .bind(c.status.as_str())
        .bind(i64::from(c.published_version))
        .bind(c.created_at)
        .bind(c.updated_at)
        // A new course has never been published; its published metadata is set only
        // by `update` at publishing time.
        .bind(Option::<String>::None)
        .execute(&mut *conn)
        .await
        .map(|_| ())
        .map_err(|e| map_err("inserting a course", e))
    }

    async fn update(
        &self,
        tx: &mut dyn Tx,
        c: &Course,
        expected: (ContentStatus, u32),
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        let published = c.published_meta.as_ref();
        let done = sqlx::query(
            "update course set title = ?3, summary = ?4, level = ?5, estimated_minutes = ?6, tags = ?7, \
             self_enrol = ?8, status = ?9, published_version = ?10, updated_at = ?11, \
             published_title = ?12, published_summary = ?13, published_level = ?14, \
             published_minutes = ?15, published_tags = ?16, published_self_enrol = ?19 \
             where tenant_id = ?1 and course_id = ?2 and status = ?17 and published_version = ?18",
        )
        .bind(c.tenant_id.as_uuid())
        .bind(c.id.as_uuid())
        .bind(&c.meta.title)
        .bind(&c.meta.summary)
        .bind(c.meta.level.as_str())
        .bind(i64::from(c.meta.estimated_minutes))
        .bind(tags_column(&c.meta.tags))
        .bind(c.meta.self_enrol)
        .bind(c.status.as_str())
        .bind(i64::from(c.published_version))
        .bind(c.updated_at)
        .bind(published.map(|m| m.title.clone()))
        .bind(published.map(|m| m.summary.clone()))
        .bind(published.map(|m| m.level.as_str()))
        .bind(published.map(|m| i64::from(m.estimated_minutes)))
        .bind(published.map(|m| tags_column(&m.tags)))
        .bind(expected.0.as_str())
        .bind(i64::from(expected.1))
        .bind(published.map(|m| m.self_enrol))
        .execute(&mut *conn)
        .await
        .map_err(|e| map_err("updating a course", e))?;
        if done.rows_affected() > 0 {
            return Ok(());
        }
        // Nothing matched: gone, or moved on since the caller read it.
        Err(changed_or_gone(conn, c.tenant_id, c.id).await)
    }

    async fn touch(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: CourseId,
        expected: (ContentStatus, u32),
        at: time::OffsetDateTime,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        let done = sqlx::query(
            "update course set updated_at = ?3 \
             where tenant_id = ?1 and course_id = ?2 and status = ?4 and published_version = ?5",
        )
        .bind(tenant.as_uuid())
        .bind(id.as_uuid())
        .bind(at)
        .bind(expected.0.as_str())
        .bind(i64::from(expected.1))
        .execute(&mut *conn)
        .await
        .map_err(|e| map_err("updating a course", e))?;
        if done.rows_affected() > 0 {
            return Ok(());
        }
        Err(changed_or_gone(conn, tenant, id).await)
    }

    async fn get(&self, tenant: TenantId, id: CourseId) -> Result<Course, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "{SELECT} where tenant_id = ?1 and course_id = ?2"
        )))
        .bind(tenant.as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| map_err("loading a course", e))?;
        row.as_ref().map_or(Err(StoreError::NotFound), into_domain)
    }

    async fn list(&self, tenant: TenantId, q: &CourseQuery) -> Result<Page<Course>, StoreError> {
        // A learner's view filters and sorts on the published metadata; the column
        // names are fixed strings, never input.
        let (title, summary, level_col, tags_col) = if q.as_learner {
            (
                "published_title",
                "published_summary",
                "published_level",
                "published_tags",
            )
        } else {
            ("title", "summary", "level", "tags")
        };
        let filter = format!(
            "where tenant_id = ?1 and (?2 is null or status = ?2) \
             and (?3 is null or {level_col} = ?3) and (?4 is null or {tags_col} like ?4) \
             and (?5 is null or lower({title}) like ?5 escape '\\' or lower({summary}) like ?5 escape '\\')"
        );
        let status = if q.as_learner {
            Some(ContentStatus::Published)
        } else {
            q.status
        };
        let status = status.map(ContentStatus::as_str);
        let level = q.level.map(Level::as_str);
        let tag = q.tag.as_ref().map(|t| format!("%|{}|%", t.as_str()));
        let pattern = q.search.as_deref().map(like_pattern);
        let total: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "select count(*) from course {filter}"
        )))
        .bind(tenant.as_uuid())
        .bind(status)
        .bind(level)
        .bind(&tag)
        .bind(&pattern)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| map_err("counting courses", e))?;
        let sql = format!(
            "{SELECT} {filter} order by {title} {}, course_id limit ?6 offset ?7",
            q.order.sql()
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(tenant.as_uuid())
            .bind(status)
            .bind(level)
            .bind(&tag)
            .bind(&pattern)
            .bind(i64::from(q.page.limit()))
            .bind(i64::try_from(q.page.offset()).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await
            .map_err(|e| map_err("listing courses", e))?;
        Ok(Page {
            items: rows.iter().map(into_domain).collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
            limit: q.page.limit(),
            offset: q.page.offset(),
        })
    }

    async fn add_module(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        m: &Module,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        sqlx::query(
            "insert into course_module (tenant_id, module_id, course_id, position, title) \
             values (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(tenant.as_uuid())
        .bind(m.id.as_uuid())
        .bind(m.course.as_uuid())
        .bind(i64::from(m.position))
        .bind(&m.title)
        .execute(&mut *conn)
        .await
        .map(|_| ())
        .map_err(|e| parent_missing("adding a module", e))
    }

    async fn add_lesson(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        l: &Lesson,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        sqlx::query(
            "insert into lesson (tenant_id, lesson_id, module_id, position, title, body, estimated_minutes, updated_at) \
             values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .bind(tenant.as_uuid())
        .bind(l.id.as_uuid())
        .bind(l.module.as_uuid())
        .bind(i64::from(l.position))
        .bind(&l.draft.title)
        .bind(&l.draft.body)
        .bind(i64::from(l.draft.estimated_minutes))
        .bind(l.updated_at)
        .execute(&mut *conn)
        .await
        .map(|_| ())
        .map_err(|e| parent_missing("adding a lesson", e))
    }

    async fn update_lesson(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        l: &Lesson,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        let done = sqlx::query(
            "update lesson set title = ?3, body = ?4, estimated_minutes = ?5, updated_at = ?6 \
             where tenant_id = ?1 and lesson_id = ?2",
        )
        .bind(tenant.as_uuid())
        .bind(l.id.as_uuid())
        .bind(&l.draft.title)
        .bind(&l.draft.body)
        .bind(i64::from(l.draft.estimated_minutes))
        .bind(l.updated_at)
        .execute(&mut *conn)
        .await
        .map_err(|e| map_err("updating a lesson", e))?;
        if done.rows_affected() == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn set_lesson_order(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        module: ModuleId,
        order: &[LessonId],
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        for (position, lesson) in order.iter().enumerate() {
            let position =
                u32::try_from(position).map_err(|e| StoreError::other("ordering lessons", e))?;
            let done = sqlx::query(
                "update lesson set position = ?4 where tenant_id = ?1 and module_id = ?2 and lesson_id = ?3",
            )
            .bind(tenant.as_uuid())
            .bind(module.as_uuid())
            .bind(lesson.as_uuid())
            .bind(i64::from(position))
            .execute(&mut *conn)
            .await
            .map_err(|e| map_err("ordering lessons", e))?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
        }
        Ok(())
    }

    async fn set_module_order(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        course: CourseId,
        order: &[ModuleId],
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        for (position, module) in order.iter().enumerate() {
            let position =
                u32::try_from(position).map_err(|e| StoreError::other("ordering modules", e))?;
            let done = sqlx::query(
                "update course_module set position = ?4 \
                 where tenant_id = ?1 and course_id = ?2 and module_id = ?3",
            )
            .bind(tenant.as_uuid())
            .bind(course.as_uuid())
            .bind(module.as_uuid())
            .bind(i64::from(position))
            .execute(&mut *conn)
            .await
            .map_err(|e| map_err("ordering modules", e))?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
        }
        Ok(())
    }

    async fn set_prerequisites(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        course: CourseId,
        requires: &BTreeSet<CourseId>,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        sqlx::query("delete from course_prerequisite where tenant_id = ?1 and course_id = ?2")
            .bind(tenant.as_uuid())
            .bind(course.as_uuid())
            .execute(&mut *conn)
            .await
            .map_err(|e| map_err("setting prerequisites", e))?;
        for required in requires {
            sqlx::query(
                "insert into course_prerequisite (tenant_id, course_id, requires_course_id) \
                 values (?1, ?2, ?3)",
            )
            .bind(tenant.as_uuid())
            .bind(course.as_uuid())
            .bind(required.as_uuid())
            .execute(&mut *conn)
            .await
            .map_err(|e| parent_missing("setting prerequisites", e))?;
        }
        Ok(())
    }

    async fn prerequisites(
        &self,
        tenant: TenantId,
        course: CourseId,
    ) -> Result<BTreeSet<CourseId>, StoreError> {
        let ids: Vec<uuid::Uuid> = sqlx::query_scalar(
            "select requires_course_id from course_prerequisite \
             where tenant_id = ?1 and course_id = ?2",
        )
        .bind(tenant.as_uuid())
        .bind(course.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(|e| map_err("loading prerequisites", e))?;
        Ok(ids.into_iter().map(CourseId::from_uuid).collect())
    }

    async fn prerequisite_graph(
        &self,
        tenant: TenantId,
    ) -> Result<BTreeMap<CourseId, BTreeSet<CourseId>>, StoreError> {
        let edges: Vec<(uuid::Uuid, uuid::Uuid)> = sqlx::query_as(
            "select course_id, requires_course_id from course_prerequisite where tenant_id = ?1",
        )
        .bind(tenant.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(|e| map_err("loading prerequisites", e))?;
        let mut graph: BTreeMap<CourseId, BTreeSet<CourseId>> = BTreeMap::new();
        for (course, required) in edges {
            graph
                .entry(CourseId::from_uuid(course))
                .or_default()
                .insert(CourseId::from_uuid(required));
        }
        Ok(graph)
    }

    async fn outline(
        &self,
        tenant: TenantId,
        course: CourseId,
    ) -> Result<Vec<(Module, Vec<Lesson>)>, StoreError> {
        let modules = sqlx::query(
            "select module_id, course_id, position, title from course_module \
             where tenant_id = ?1 and course_id = ?2 order by position, module_id",
        )
        .bind(tenant.as_uuid())
        .bind(course.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(|e| map_err("loading an outline", e))?;
        let lessons = sqlx::query(
            "select l.lesson_id, l.module_id, l.position, l.title, l.body, l.estimated_minutes, l.updated_at \
             from lesson l join course_module m on m.tenant_id = l.tenant_id and m.module_id = l.module_id \
             where l.tenant_id = ?1 and m.course_id = ?2 order by l.position, l.lesson_id",
        )
        .bind(tenant.as_uuid())
        .bind(course.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(|e| map_err("loading an outline", e))?;
        let mut out: Vec<(Module, Vec<Lesson>)> = modules
            .iter()
            .map(|r| into_module(r).map(|m| (m, Vec::new())))
            .collect::<Result<_, _>>()?;
        for row in &lessons {
            let lesson = into_lesson(row)?;
            if let Some((_, list)) = out.iter_mut().find(|(m, _)| m.id == lesson.module) {
                list.push(lesson);
            }
        }
        Ok(out)
    }

    async fn add_version(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        course: CourseId,
        version: u32,
        snapshot: &str,
        at: time::OffsetDateTime,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        sqlx::query(
            "insert into course_version (tenant_id, course_id, version, snapshot, published_at) \
             values (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(tenant.as_uuid())
        .bind(course.as_uuid())
        .bind(i64::from(version))
        .bind(snapshot)
        .bind(at)
        .execute(&mut *conn)
        .await
        .map(|_| ())
        .map_err(|e| parent_missing("storing a course version", e))
    }

    async fn version(
        &self,
        tenant: TenantId,
        course: CourseId,
        version: u32,
    ) -> Result<Option<String>, StoreError> {
        let snapshot: Option<String> = sqlx::query_scalar(
            "select snapshot from course_version where tenant_id = ?1 and course_id = ?2 and version = ?3",
        )
        .bind(tenant.as_uuid())
        .bind(course.as_uuid())
        .bind(i64::from(version))
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| map_err("loading a course version", e))?;
        Ok(snapshot)
    }

    async fn rename_module(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        module: ModuleId,
        title: &str,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        let done = sqlx::query(
            "update course_module set title = ?3 where tenant_id = ?1 and module_id = ?2",
        )
        .bind(tenant.as_uuid())
        .bind(module.as_uuid())
        .bind(title)
        .execute(&mut *conn)
        .await
        .map_err(|e| map_err("renaming a module", e))?;
        if done.rows_affected() == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn delete_module(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        module: ModuleId,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        sqlx::query("delete from lesson where tenant_id = ?1 and module_id = ?2")
            .bind(tenant.as_uuid())
            .bind(module.as_uuid())
            .execute(&mut *conn)
            .await
            .map_err(|e| map_err("deleting a module", e))?;
        let done = sqlx::query("delete from course_module where tenant_id = ?1 and module_id = ?2")
            .bind(tenant.as_uuid())
            .bind(module.as_uuid())
            .execute(&mut *conn)
            .await
            .map_err(|e| map_err("deleting a module", e))?;
        if done.rows_affected() == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn delete_lesson(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        lesson: LessonId,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        let done = sqlx::query("delete from lesson where tenant_id = ?1 and lesson_id = ?2")
            .bind(tenant.as_uuid())
            .bind(lesson.as_uuid())
            .execute(&mut *conn)
            .await
            .map_err(|e| map_err("deleting a lesson", e))?;
        if done.rows_affected() == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }
}
