//! SQLite cohorts, enrolments and lesson progress. Every statement filters by
//! `tenant_id`: on this backend that filter is the whole of tenant isolation.

use crate::course::parent_missing;
use crate::{SqliteTx, map_err};
use async_trait::async_trait;
use nexus_domain::learning::enrolment::{
    Cohort, CohortId, CohortMember, CohortRole, Enrolment, EnrolmentSource,
};
use nexus_domain::learning::progress::LessonProgress;
use nexus_domain::learning::{CourseId, LessonId};
use nexus_domain::paging::{Page, PageRequest};
use nexus_domain::{TenantId, UserId};
use nexus_store::{EnrolmentStore, StoreError, Tx, downcast};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};
use time::OffsetDateTime;

pub(crate) struct SqliteEnrolments {
    pub(crate) pool: SqlitePool,
}

type Decode<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn into_cohort(row: &SqliteRow) -> Result<Cohort, StoreError> {
    let parse = || -> Decode<Cohort> {
        Ok(Cohort {
            id: CohortId::from_uuid(row.try_get("cohort_id")?),
            tenant_id: TenantId::from_uuid(row.try_get("tenant_id")?),
            name: row.try_get("name")?,
            created_at: row.try_get("created_at")?,
        })
    };
    parse().map_err(|e| StoreError::other("decoding a cohort", e))
}

fn into_member(row: &SqliteRow) -> Result<CohortMember, StoreError> {
    let parse = || -> Decode<CohortMember> {
        Ok(CohortMember {
            user: UserId::from_uuid(row.try_get("app_user_id")?),
            role: CohortRole::parse(row.try_get("role")?)?,
            added_at: row.try_get("added_at")?,
        })
    };
    parse().map_err(|e| StoreError::other("decoding a cohort member", e))
}

fn into_enrolment(row: &SqliteRow) -> Result<Enrolment, StoreError> {
    let parse = || -> Decode<Enrolment> {
        let source: String = row.try_get("source")?;
        Ok(Enrolment {
            course: CourseId::from_uuid(row.try_get("course_id")?),
            user: UserId::from_uuid(row.try_get("app_user_id")?),
            source: EnrolmentSource::parse(&source).ok_or("unknown enrolment source")?,
            assigned_by: row
                .try_get::<Option<uuid::Uuid>, _>("assigned_by")?
                .map(UserId::from_uuid),
            cohort: row
                .try_get::<Option<uuid::Uuid>, _>("cohort_id")?
                .map(CohortId::from_uuid),
            enrolled_at: row.try_get("enrolled_at")?,
        })
    };
    parse().map_err(|e| StoreError::other("decoding an enrolment", e))
}

fn into_progress(row: &SqliteRow) -> Result<LessonProgress, StoreError> {
    let parse = || -> Decode<LessonProgress> {
        Ok(LessonProgress {
            user: UserId::from_uuid(row.try_get("app_user_id")?),
            course: CourseId::from_uuid(row.try_get("course_id")?),
            lesson: LessonId::from_uuid(row.try_get("lesson_id")?),
            seconds_spent: u32::try_from(row.try_get::<i64, _>("seconds_spent")?)?,
            first_seen_at: row.try_get("first_seen_at")?,
            last_seen_at: row.try_get("last_seen_at")?,
            completed_at: row.try_get("completed_at")?,
        })
    };
    parse().map_err(|e| StoreError::other("decoding lesson progress", e))
}

fn page<T>(items: Vec<T>, total: i64, page: PageRequest) -> Page<T> {
    Page {
        items,
        total: u64::try_from(total).unwrap_or(0),
        limit: page.limit(),
        offset: page.offset(),
    }
}

fn window(page: PageRequest) -> (i64, i64) {
    (
        i64::from(page.limit()),
        i64::try_from(page.offset()).unwrap_or(i64::MAX),
    )
}

const ENROLMENT: &str =
    "select course_id, app_user_id, source, assigned_by, cohort_id, enrolled_at from enrolment";
const PROGRESS: &str = "select app_user_id, course_id, lesson_id, seconds_spent, first_seen_at, last_seen_at, completed_at from lesson_progress";

#[async_trait]
impl EnrolmentStore for SqliteEnrolments {
    async fn create_cohort(&self, tx: &mut dyn Tx, c: &Cohort) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        sqlx::query(
            "insert into cohort (tenant_id, cohort_id, name, created_at) values (?, ?, ?, ?)",
        )
        .bind(c.tenant_id.as_uuid())
        .bind(c.id.as_uuid())
        .bind(&c.name)
        .bind(c.created_at)
        .execute(conn)
        .await
        .map(|_| ())
        .map_err(|e| map_err("inserting a cohort", e))
    }

    async fn rename_cohort(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: CohortId,
        name: &str,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        let done =
            sqlx::query("update cohort set name = ?3 where tenant_id = ?1 and cohort_id = ?2")
                .bind(tenant.as_uuid())
                .bind(id.as_uuid())
                .bind(name)
                .execute(conn)
                .await
                .map_err(|e| map_err("renaming a cohort", e))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn delete_cohort(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: CohortId,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        let done = sqlx::query("delete from cohort where tenant_id = ?1 and cohort_id = ?2")
            .bind(tenant.as_uuid())
            .bind(id.as_uuid())
            .execute(conn)
            .await
            .map_err(|e| map_err("deleting a cohort", e))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn cohort(&self, tenant: TenantId, id: CohortId) -> Result<Cohort, StoreError> {
        let row = sqlx::query(
            "select tenant_id, cohort_id, name, created_at from cohort where tenant_id = ?1 and cohort_id = ?2",
        )
        .bind(tenant.as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| map_err("loading a cohort", e))?;
        row.as_ref().map_or(Err(StoreError::NotFound), into_cohort)
    }

    async fn cohorts(
        &self,
        tenant: TenantId,
        member: Option<UserId>,
        req: PageRequest,
    ) -> Result<Page<Cohort>, StoreError> {
        let filter = "where c.tenant_id = ?1 and (?2 is null or exists (select 1 from cohort_member m \
             where m.tenant_id = c.tenant_id and m.cohort_id = c.cohort_id and m.app_user_id = ?2))";
        let member = member.map(|u| u.as_uuid());
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "select count(*) from cohort c {filter}"
        )))
        .bind(tenant.as_uuid())
        .bind(member)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| map_err("counting cohorts", e))?;
        let (limit, offset) = window(req);
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "select c.tenant_id, c.cohort_id, c.name, c.created_at from cohort c {filter} \
             order by lower(c.name), c.cohort_id limit ?3 offset ?4"
        )))
        .bind(tenant.as_uuid())
        .bind(member)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| map_err("listing cohorts", e))?;
        let items = rows.iter().map(into_cohort).collect::<Result<_, _>>()?;
        Ok(page(items, total, req))
    }

    async fn put_member(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        cohort: CohortId,
        m: &CohortMember,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        sqlx::query(
            "insert into cohort_member (tenant_id, cohort_id, app_user_id, role, added_at) \
             values (?1, ?2, ?3, ?4, ?5) \
             on conflict (tenant_id, cohort_id, app_user_id) do update set role = excluded.role",
        )
        .bind(tenant.as_uuid())
        .bind(cohort.as_uuid())
        .bind(m.user.as_uuid())
        .bind(m.role.as_str())
        .bind(m.added_at)
        .execute(conn)
        .await
        .map(|_| ())
        .map_err(|e| parent_missing("adding a cohort member", e))
    }

    async fn remove_member(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        cohort: CohortId,
        user: UserId,
    ) -> Result<bool, StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        sqlx::query(
            "delete from cohort_member where tenant_id = ?1 and cohort_id = ?2 and app_user_id = ?3",
        )
        .bind(tenant.as_uuid())
        .bind(cohort.as_uuid())
        .bind(user.as_uuid())
        .execute(conn)
        .await
        .map(|d| d.rows_affected() > 0)
        .map_err(|e| map_err("removing a cohort member", e))
    }

    async fn members(
        &self,
        tenant: TenantId,
        cohort: CohortId,
        role: Option<CohortRole>,
        req: PageRequest,
    ) -> Result<Page<CohortMember>, StoreError> {
        let filter = "where tenant_id = ?1 and cohort_id = ?2 and (?3 is null or role = ?3)";
        let role = role.map(CohortRole::as_str);
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "select count(*) from cohort_member {filter}"
        )))
        .bind(tenant.as_uuid())
        .bind(cohort.as_uuid())
        .bind(role)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| map_err("counting cohort members", e))?;
        let (limit, offset) = window(req);
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "select app_user_id, role, added_at from cohort_member {filter} \
             order by added_at, app_user_id limit ?4 offset ?5"
        )))
        .bind(tenant.as_uuid())
        .bind(cohort.as_uuid())
        .bind(role)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| map_err("listing cohort members", e))?;
        let items = rows.iter().map(into_member).collect::<Result<_, _>>()?;
        Ok(page(items, total, req))
    }

    async fn enrol(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        e: &Enrolment,
    ) -> Result<bool, StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        sqlx::query(
            "insert into enrolment (tenant_id, course_id, app_user_id, source, assigned_by, cohort_id, enrolled_at) \
             values (?, ?, ?, ?, ?, ?, ?) on conflict do nothing",
        )
        .bind(tenant.as_uuid())
        .bind(e.course.as_uuid())
        .bind(e.user.as_uuid())
        .bind(e.source.as_str())
        .bind(e.assigned_by.map(|u| u.as_uuid()))
        .bind(e.cohort.map(|c| c.as_uuid()))
        .bind(e.enrolled_at)
        .execute(conn)
        .await
        .map(|d| d.rows_affected() > 0)
        .map_err(|e| parent_missing("enrolling a learner", e))
    }

    async fn unenrol(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        course: CourseId,
        user: UserId,
    ) -> Result<bool, StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        sqlx::query(
            "delete from enrolment where tenant_id = ?1 and course_id = ?2 and app_user_id = ?3",
        )
        .bind(tenant.as_uuid())
        .bind(course.as_uuid())
        .bind(user.as_uuid())
        .execute(conn)
        .await
        .map(|d| d.rows_affected() > 0)
        .map_err(|e| map_err("withdrawing a learner", e))
    }

    async fn enrolment(
        &self,
        tenant: TenantId,
        course: CourseId,
        user: UserId,
    ) -> Result<Option<Enrolment>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ENROLMENT} where tenant_id = ?1 and course_id = ?2 and app_user_id = ?3"
        )))
        .bind(tenant.as_uuid())
        .bind(course.as_uuid())
        .bind(user.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| map_err("loading an enrolment", e))?;
        row.as_ref().map(into_enrolment).transpose()
    }

    async fn course_enrolments(
        &self,
        tenant: TenantId,
        course: CourseId,
        req: PageRequest,
    ) -> Result<Page<Enrolment>, StoreError> {
        self.enrolments_where(
            "course_id",
            tenant,
            course.as_uuid(),
            "enrolled_at, app_user_id",
            req,
        )
        .await
    }

    async fn user_enrolments(
        &self,
        tenant: TenantId,
        user: UserId,
        req: PageRequest,
    ) -> Result<Page<Enrolment>, StoreError> {
        self.enrolments_where(
            "app_user_id",
            tenant,
            user.as_uuid(),
            "enrolled_at desc, course_id",
            req,
        )
        .await
    }

    async fn save_progress(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        p: &LessonProgress,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        sqlx::query(
            "insert into lesson_progress (tenant_id, app_user_id, lesson_id, course_id, seconds_spent, \
             first_seen_at, last_seen_at, completed_at) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
             on conflict (tenant_id, app_user_id, lesson_id) do update set course_id = excluded.course_id, \
             seconds_spent = max(lesson_progress.seconds_spent, excluded.seconds_spent), \
             last_seen_at = max(lesson_progress.last_seen_at, excluded.last_seen_at), \
             completed_at = coalesce(lesson_progress.completed_at, excluded.completed_at)",
        )
        .bind(tenant.as_uuid())
        .bind(p.user.as_uuid())
        .bind(p.lesson.as_uuid())
        .bind(p.course.as_uuid())
        .bind(i64::from(p.seconds_spent))
        .bind(p.first_seen_at)
        .bind(p.last_seen_at)
        .bind(p.completed_at)
        .execute(conn)
        .await
        .map(|_| ())
        .map_err(|e| parent_missing("saving lesson progress", e))
    }

    async fn lesson_progress(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        user: UserId,
        lesson: LessonId,
    ) -> Result<Option<LessonProgress>, StoreError> {
        let conn = &mut *downcast::<SqliteTx>(tx)?.0;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{PROGRESS} where tenant_id = ?1 and app_user_id = ?2 and lesson_id = ?3"
        )))
        .bind(tenant.as_uuid())
        .bind(user.as_uuid())
        .bind(lesson.as_uuid())
        .fetch_optional(conn)
        .await
        .map_err(|e| map_err("loading lesson progress", e))?;
        row.as_ref().map(into_progress).transpose()
    }

    async fn course_progress(
        &self,
        tenant: TenantId,
        course: CourseId,
        user: UserId,
    ) -> Result<Vec<LessonProgress>, StoreError> {
        self.progress_of(tenant, course, &[user]).await
    }

    async fn progress_of(
        &self,
        tenant: TenantId,
        course: CourseId,
        users: &[UserId],
    ) -> Result<Vec<LessonProgress>, StoreError> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        // Users as a JSON array: one statement whatever the class size.
        let ids: Vec<String> = users.iter().map(ToString::to_string).collect();
        let ids =
            serde_json::to_string(&ids).map_err(|e| StoreError::other("listing progress", e))?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{PROGRESS} where tenant_id = ?1 and course_id = ?2 \
             and lower(hex(app_user_id)) in (select lower(replace(value, '-', '')) from json_each(?3)) \
             order by app_user_id, first_seen_at"
        )))
        .bind(tenant.as_uuid())
        .bind(course.as_uuid())
        .bind(ids)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| map_err("listing lesson progress", e))?;
        rows.iter().map(into_progress).collect()
    }

    async fn completions(
        &self,
        tenant: TenantId,
        user: UserId,
        since: OffsetDateTime,
    ) -> Result<Vec<OffsetDateTime>, StoreError> {
        sqlx::query_scalar(
            "select completed_at from lesson_progress where tenant_id = ?1 and app_user_id = ?2 \
             and completed_at is not null and completed_at >= ?3 order by completed_at",
        )
        .bind(tenant.as_uuid())
        .bind(user.as_uuid())
        .bind(since)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| map_err("listing completions", e))
    }
}

impl SqliteEnrolments {
    /// Enrolments whose `column` (a fixed name, never input) equals `key`, paged.
    async fn enrolments_where(
        &self,
        column: &'static str,
        tenant: TenantId,
        key: uuid::Uuid,
        order: &'static str,
        req: PageRequest,
    ) -> Result<Page<Enrolment>, StoreError> {
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "select count(*) from enrolment where tenant_id = ?1 and {column} = ?2"
        )))
        .bind(tenant.as_uuid())
        .bind(key)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| map_err("counting enrolments", e))?;
        let (limit, offset) = window(req);
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ENROLMENT} where tenant_id = ?1 and {column} = ?2 order by {order} limit ?3 offset ?4"
        )))
        .bind(tenant.as_uuid())
        .bind(key)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| map_err("listing enrolments", e))?;
        let items = rows.iter().map(into_enrolment).collect::<Result<_, _>>()?;
        Ok(page(items, total, req))
    }
}
