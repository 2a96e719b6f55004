//! PostgreSQL question banks, quizzes and attempts. Statements filter by `tenant_id`
//! and run in tenant-scoped transactions, so row-level security backs the filter up.
//! Questions, responses and grades are JSON text (see `nexus_store::quiz_codec`).

use crate::course::parent_missing;
use crate::{PgTx, begin_tenant_tx, map_err};
use async_trait::async_trait;
use nexus_domain::learning::quiz::{Attempt, AttemptId, Bank, BankId, Quiz, QuizId};
use nexus_domain::learning::{CourseId, ModuleId};
use nexus_domain::{TenantId, UserId};
use nexus_store::quiz_codec::{self, AttemptRow, BankRow, QuizRow};
use nexus_store::{QuizStore, StoreError, Tx, downcast};
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, PgPool, Row};

pub(crate) struct PgQuizzes {
    pub(crate) pool: PgPool,
}

const BANK: &str =
    "select bank_id, course_id, bank_key, title, questions, updated_at from question_bank";
const QUIZ: &str = "select q.quiz_id, q.course_id, q.module_id, q.position, q.bank_id, q.settings, \
     q.updated_at from quiz q";
const ATTEMPT: &str = "select attempt_id, quiz_id, course_id, bank_id, app_user_id, number, status, \
     pass_mark, questions, responses, graded, started_at, deadline, finished_at from quiz_attempt";

type Decode<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn into_bank(row: &PgRow) -> Result<Bank, StoreError> {
    let parse = || -> Decode<BankRow> {
        Ok(BankRow {
            id: BankId::from_uuid(row.try_get("bank_id")?),
            course: CourseId::from_uuid(row.try_get("course_id")?),
            key: row.try_get("bank_key")?,
            title: row.try_get("title")?,
            questions: row.try_get("questions")?,
            updated_at: row.try_get("updated_at")?,
        })
    };
    quiz_codec::bank(parse().map_err(|e| StoreError::other("decoding a bank", e))?)
}

fn into_quiz(row: &PgRow) -> Result<Quiz, StoreError> {
    let parse = || -> Decode<QuizRow> {
        Ok(QuizRow {
            id: QuizId::from_uuid(row.try_get("quiz_id")?),
            course: CourseId::from_uuid(row.try_get("course_id")?),
            module: ModuleId::from_uuid(row.try_get("module_id")?),
            position: u32::try_from(row.try_get::<i32, _>("position")?)?,
            bank: BankId::from_uuid(row.try_get("bank_id")?),
            settings: row.try_get("settings")?,
            updated_at: row.try_get("updated_at")?,
        })
    };
    quiz_codec::quiz(&parse().map_err(|e| StoreError::other("decoding a quiz", e))?)
}

fn into_attempt(row: &PgRow) -> Result<Attempt, StoreError> {
    let parse = || -> Decode<AttemptRow> {
        Ok(AttemptRow {
            id: AttemptId::from_uuid(row.try_get("attempt_id")?),
            quiz: QuizId::from_uuid(row.try_get("quiz_id")?),
            course: CourseId::from_uuid(row.try_get("course_id")?),
            bank: BankId::from_uuid(row.try_get("bank_id")?),
            user: UserId::from_uuid(row.try_get("app_user_id")?),
            number: u32::try_from(row.try_get::<i32, _>("number")?)?,
            status: row.try_get("status")?,
            pass_mark: u8::try_from(row.try_get::<i32, _>("pass_mark")?)?,
            questions: row.try_get("questions")?,
            responses: row.try_get("responses")?,
            graded: row.try_get("graded")?,
            started_at: row.try_get("started_at")?,
            deadline: row.try_get("deadline")?,
            finished_at: row.try_get("finished_at")?,
        })
    };
    quiz_codec::attempt(&parse().map_err(|e| StoreError::other("decoding an attempt", e))?)
}

#[async_trait]
impl QuizStore for PgQuizzes {
    async fn create_bank(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        bank: &Bank,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<PgTx>(tx)?.0;
        sqlx::query(
            "insert into question_bank (tenant_id, bank_id, course_id, bank_key, title, questions, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(tenant.as_uuid())
        .bind(bank.id.as_uuid())
        .bind(bank.course.as_uuid())
        .bind(&bank.key)
        .bind(&bank.title)
        .bind(quiz_codec::questions_text(&bank.questions)?)
        .bind(bank.updated_at)
        .execute(conn)
        .await
        .map(|_| ())
        .map_err(|e| parent_missing("inserting a bank", e))
    }

    async fn replace_bank(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        bank: &Bank,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<PgTx>(tx)?.0;
        let done = sqlx::query(
            "update question_bank set title = $3, questions = $4, updated_at = $5 \
             where tenant_id = $1 and bank_id = $2",
        )
        .bind(tenant.as_uuid())
        .bind(bank.id.as_uuid())
        .bind(&bank.title)
        .bind(quiz_codec::questions_text(&bank.questions)?)
        .bind(bank.updated_at)
        .execute(conn)
        .await
        .map_err(|e| map_err("replacing a bank", e))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn delete_bank(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: BankId,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<PgTx>(tx)?.0;
        // SQLite does not name a failed foreign key, so look first.
        let used: Option<i32> =
            sqlx::query_scalar("select 1 from quiz where tenant_id = $1 and bank_id = $2 limit 1")
                .bind(tenant.as_uuid())
                .bind(id.as_uuid())
                .fetch_optional(&mut *conn)
                .await
                .map_err(|e| map_err("deleting a bank", e))?;
        if used.is_some() {
            return Err(StoreError::Conflict {
                constraint: "quiz_bank_fkey",
            });
        }
        let done = sqlx::query("delete from question_bank where tenant_id = $1 and bank_id = $2")
            .bind(tenant.as_uuid())
            .bind(id.as_uuid())
            .execute(conn)
            .await
            .map_err(|e| map_err("deleting a bank", e))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn bank(&self, tenant: TenantId, id: BankId) -> Result<Bank, StoreError> {
        let mut rtx = begin_tenant_tx(&self.pool, tenant).await?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "{BANK} where tenant_id = $1 and bank_id = $2"
        )))
        .bind(tenant.as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(&mut *rtx)
        .await
        .map_err(|e| map_err("loading a bank", e))?;
        rtx.commit()
            .await
            .map_err(|e| map_err("ending a read", e))?;
        row.as_ref().map_or(Err(StoreError::NotFound), into_bank)
    }

    async fn banks(&self, tenant: TenantId, course: CourseId) -> Result<Vec<Bank>, StoreError> {
        let mut rtx = begin_tenant_tx(&self.pool, tenant).await?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{BANK} where tenant_id = $1 and course_id = $2 order by bank_key"
        )))
        .bind(tenant.as_uuid())
        .bind(course.as_uuid())
        .fetch_all(&mut *rtx)
        .await
        .map_err(|e| map_err("listing banks", e))?;
        rtx.commit()
            .await
            .map_err(|e| map_err("ending a read", e))?;
        rows.iter().map(into_bank).collect()
    }

    async fn create_quiz(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        q: &Quiz,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<PgTx>(tx)?.0;
        sqlx::query(
            "insert into quiz (tenant_id, quiz_id, course_id, module_id, position, bank_id, settings, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(tenant.as_uuid())
        .bind(q.id.as_uuid())
        .bind(q.course.as_uuid())
        .bind(q.module.as_uuid())
        .bind(i32::try_from(q.position).unwrap_or(i32::MAX))
        .bind(q.bank.as_uuid())
        .bind(quiz_codec::settings_text(q)?)
        .bind(q.updated_at)
        .execute(conn)
        .await
        .map(|_| ())
        .map_err(|e| parent_missing("inserting a quiz", e))
    }

    async fn update_quiz(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        q: &Quiz,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<PgTx>(tx)?.0;
        let done = sqlx::query(
            "update quiz set bank_id = $3, settings = $4, updated_at = $5, position = $6 \
             where tenant_id = $1 and quiz_id = $2",
        )
        .bind(tenant.as_uuid())
        .bind(q.id.as_uuid())
        .bind(q.bank.as_uuid())
        .bind(quiz_codec::settings_text(q)?)
        .bind(q.updated_at)
        .bind(i32::try_from(q.position).unwrap_or(i32::MAX))
        .execute(conn)
        .await
        .map_err(|e| parent_missing("updating a quiz", e))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn delete_quiz(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: QuizId,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<PgTx>(tx)?.0;
        let done = sqlx::query("delete from quiz where tenant_id = $1 and quiz_id = $2")
            .bind(tenant.as_uuid())
            .bind(id.as_uuid())
            .execute(conn)
            .await
            .map_err(|e| map_err("deleting a quiz", e))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn quiz(&self, tenant: TenantId, id: QuizId) -> Result<Quiz, StoreError> {
        let mut rtx = begin_tenant_tx(&self.pool, tenant).await?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "{QUIZ} where q.tenant_id = $1 and q.quiz_id = $2"
        )))
        .bind(tenant.as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(&mut *rtx)
        .await
        .map_err(|e| map_err("loading a quiz", e))?;
        rtx.commit()
            .await
            .map_err(|e| map_err("ending a read", e))?;
        row.as_ref().map_or(Err(StoreError::NotFound), into_quiz)
    }

    async fn quizzes(&self, tenant: TenantId, course: CourseId) -> Result<Vec<Quiz>, StoreError> {
        let mut rtx = begin_tenant_tx(&self.pool, tenant).await?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{QUIZ} join course_module m on m.tenant_id = q.tenant_id and m.module_id = q.module_id \
             where q.tenant_id = $1 and q.course_id = $2 order by m.position, q.position, q.quiz_id"
        )))
        .bind(tenant.as_uuid())
        .bind(course.as_uuid())
        .fetch_all(&mut *rtx)
        .await
        .map_err(|e| map_err("listing quizzes", e))?;
        rtx.commit()
            .await
            .map_err(|e| map_err("ending a read", e))?;
        rows.iter().map(into_quiz).collect()
    }

    async fn add_attempt(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        a: &Attempt,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<PgTx>(tx)?.0;
        let text = quiz_codec::attempt_text(a)?;
        sqlx::query(
            "insert into quiz_attempt (tenant_id, attempt_id, quiz_id, course_id, bank_id, app_user_id, \
             number, status, pass_mark, questions, responses, graded, score_percent, passed, \
             started_at, deadline, finished_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        )
        .bind(tenant.as_uuid())
        .bind(a.id.as_uuid())
        .bind(a.quiz.as_uuid())
        .bind(a.course.as_uuid())
        .bind(a.bank.as_uuid())
        .bind(a.user.as_uuid())
        .bind(i32::try_from(a.number).unwrap_or(i32::MAX))
        .bind(a.status.as_str())
        .bind(i32::from(a.pass_mark_percent))
        .bind(&text.questions)
        .bind(&text.responses)
        .bind(&text.graded)
        .bind(text.score.map(|s| i32::from(s.percent)))
        .bind(text.score.map(|s| s.passed))
        .bind(a.started_at)
        .bind(a.deadline)
        .bind(a.finished_at)
        .execute(conn)
        .await
        .map(|_| ())
        .map_err(|e| parent_missing("starting an attempt", e))
    }

    async fn finish_attempt(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        a: &Attempt,
    ) -> Result<(), StoreError> {
        let conn = &mut *downcast::<PgTx>(tx)?.0;
        let text = quiz_codec::attempt_text(a)?;
        let done = sqlx::query(
            "update quiz_attempt set status = $3, responses = $4, graded = $5, score_percent = $6, \
             passed = $7, finished_at = $8 \
             where tenant_id = $1 and attempt_id = $2 and status = 'open'",
        )
        .bind(tenant.as_uuid())
        .bind(a.id.as_uuid())
        .bind(a.status.as_str())
        .bind(&text.responses)
        .bind(&text.graded)
        .bind(text.score.map(|s| i32::from(s.percent)))
        .bind(text.score.map(|s| s.passed))
        .bind(a.finished_at)
        .execute(&mut *conn)
        .await
        .map_err(|e| map_err("finishing an attempt", e))?;
        if done.rows_affected() > 0 {
            return Ok(());
        }
        let exists: Option<i32> = sqlx::query_scalar(
            "select 1 from quiz_attempt where tenant_id = $1 and attempt_id = $2",
        )
        .bind(tenant.as_uuid())
        .bind(a.id.as_uuid())
        .fetch_optional(conn)
        .await
        .map_err(|e| map_err("finishing an attempt", e))?;
        Err(if exists.is_some() {
            StoreError::Conflict {
                constraint: "attempt_closed",
            }
        } else {
            StoreError::NotFound
        })
    }

    async fn attempt(&self, tenant: TenantId, id: AttemptId) -> Result<Attempt, StoreError> {
        let mut rtx = begin_tenant_tx(&self.pool, tenant).await?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "{ATTEMPT} where tenant_id = $1 and attempt_id = $2"
        )))
        .bind(tenant.as_uuid())
        .bind(id.as_uuid())
        .fetch_optional(&mut *rtx)
        .await
        .map_err(|e| map_err("loading an attempt", e))?;
        rtx.commit()
            .await
            .map_err(|e| map_err("ending a read", e))?;
        row.as_ref().map_or(Err(StoreError::NotFound), into_attempt)
    }

    async fn attempts(
        &self,
        tenant: TenantId,
        quiz: QuizId,
        user: UserId,
    ) -> Result<Vec<Attempt>, StoreError> {
        let mut rtx = begin_tenant_tx(&self.pool, tenant).await?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{ATTEMPT} where tenant_id = $1 and quiz_id = $2 and app_user_id = $3 order by number"
        )))
        .bind(tenant.as_uuid())
        .bind(quiz.as_uuid())
        .bind(user.as_uuid())
        .fetch_all(&mut *rtx)
        .await
        .map_err(|e| map_err("listing attempts", e))?;
        rtx.commit()
            .await
            .map_err(|e| map_err("ending a read", e))?;
        rows.iter().map(into_attempt).collect()
    }

    async fn finished_attempts(
        &self,
        tenant: TenantId,
        user: UserId,
        course: Option<CourseId>,
    ) -> Result<Vec<Attempt>, StoreError> {
        let mut rtx = begin_tenant_tx(&self.pool, tenant).await?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{ATTEMPT} where tenant_id = $1 and app_user_id = $2 and ($3::uuid is null or course_id = $3) \
             and status <> 'open' order by finished_at, attempt_id"
        )))
        .bind(tenant.as_uuid())
        .bind(user.as_uuid())
        .bind(course.map(|c| c.as_uuid()))
        .fetch_all(&mut *rtx)
        .await
        .map_err(|e| map_err("listing attempts", e))?;
        rtx.commit()
            .await
            .map_err(|e| map_err("ending a read", e))?;
        rows.iter().map(into_attempt).collect()
    }
}
