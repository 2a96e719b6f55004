//! Authoring quizzes: question banks of a course and quizzes placed in its modules.
//! Authors (`course:write`) see answer keys here; learners never reach these reads.
//! Every change commits with its audit record and marks the course changed, guarded
//! like outline edits so it cannot slip past an archive.

use super::courses::{CourseService, commit};
use super::store_err;
use crate::AppError;
use crate::audit::Caller;
use nexus_domain::TenantId;
use nexus_domain::learning::quiz::{
    Bank, BankId, BankSpec, QuestionId, Quiz, QuizId, QuizSettingsSpec,
};
use nexus_domain::learning::{CourseId, ModuleId};
use serde_json::json;

/// What the audit trail keeps of a bank: its size, not its answers.
fn bank_view(b: &Bank) -> serde_json::Value {
    json!({ "bank": b.id, "key": b.key, "title": b.title, "questions": b.questions.len() })
}

fn quiz_view(q: &Quiz, bank_key: &str) -> serde_json::Value {
    json!({
        "quiz": q.id,
        "module": q.module,
        "settings": QuizSettingsSpec::from_settings(&q.settings, bank_key),
    })
}

impl CourseService {
    /// A course's banks with their questions and answers, for authors.
    pub async fn banks(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
    ) -> Result<Vec<Bank>, AppError> {
        caller.require(tenant, nexus_domain::access::Permission::CourseWrite)?;
        self.load(tenant, course).await?;
        self.db
            .quizzes()
            .banks(tenant, course)
            .await
            .map_err(store_err("bank"))
    }

    /// One bank of the course, for authors.
    pub async fn bank(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
        id: BankId,
    ) -> Result<Bank, AppError> {
        caller.require(tenant, nexus_domain::access::Permission::CourseWrite)?;
        self.bank_of(tenant, course, id).await
    }

    async fn bank_of(
        &self,
        tenant: TenantId,
        course: CourseId,
        id: BankId,
    ) -> Result<Bank, AppError> {
        let bank = self
            .db
            .quizzes()
            .bank(tenant, id)
            .await
            .map_err(store_err("bank"))?;
        if bank.course != course {
            return Err(AppError::NotFound { resource: "bank" });
        }
        Ok(bank)
    }

    /// Adds a bank to the course. Audited.
    pub async fn create_bank(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
        spec: &BankSpec,
    ) -> Result<Bank, AppError> {
        let c = self.editable(caller, tenant, course).await?;
        let clock = self.clock.clone();
        let bank = spec.parse(
            BankId::generate(clock.as_ref()),
            course,
            &[],
            || QuestionId::generate(clock.as_ref()),
            clock.now(),
        )?;
        let mut tx = self.begin(tenant).await?;
        self.touch_in(tx.as_mut(), &c).await?;
        self.db
            .quizzes()
            .create_bank(tx.as_mut(), tenant, &bank)
            .await
            .map_err(store_err("course"))?;
        let diff = json!({ "after": bank_view(&bank) });
        self.record_change(tx.as_mut(), caller, &c, "course.bank_create", diff)
            .await?;
        commit(tx).await?;
        Ok(bank)
    }

    /// Replaces a bank's title and questions; its key stays. Questions keep their
    /// identity by key. Audited.
    pub async fn replace_bank(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
        id: BankId,
        spec: &BankSpec,
    ) -> Result<Bank, AppError> {
        let c = self.editable(caller, tenant, course).await?;
        let before = self.bank_of(tenant, course, id).await?;
        let clock = self.clock.clone();
        let bank = spec.parse(
            id,
            course,
            &before.questions,
            || QuestionId::generate(clock.as_ref()),
            clock.now(),
        )?;
        if bank.key != before.key {
            return Err(AppError::invalid_field(
                "key",
                nexus_domain::validation::invalid("immutable", "a bank's key cannot change"),
            ));
        }
        let mut tx = self.begin(tenant).await?;
        self.touch_in(tx.as_mut(), &c).await?;
        self.db
            .quizzes()
            .replace_bank(tx.as_mut(), tenant, &bank)
            .await
            .map_err(store_err("bank"))?;
        let diff = json!({ "before": bank_view(&before), "after": bank_view(&bank) });
        self.record_change(tx.as_mut(), caller, &c, "course.bank_update", diff)
            .await?;
        commit(tx).await?;
        Ok(bank)
    }

    /// Deletes a bank no quiz draws from. Audited.
    pub async fn delete_bank(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
        id: BankId,
    ) -> Result<(), AppError> {
        let c = self.editable(caller, tenant, course).await?;
        let before = self.bank_of(tenant, course, id).await?;
        // The published version's quizzes draw from it until the next publish.
        if let Some(published) = self.published(tenant, course).await?
            && published
                .modules
                .iter()
                .flat_map(|m| &m.quizzes)
                .any(|q| q.bank == id)
        {
            return Err(AppError::Conflict {
                code: "bank_in_use",
                message: "a quiz still draws from this bank; delete or repoint it first",
            });
        }
        let mut tx = self.begin(tenant).await?;
        self.touch_in(tx.as_mut(), &c).await?;
        self.db
            .quizzes()
            .delete_bank(tx.as_mut(), tenant, id)
            .await
            .map_err(store_err("bank"))?;
        let diff = json!({ "before": bank_view(&before) });
        self.record_change(tx.as_mut(), caller, &c, "course.bank_delete", diff)
            .await?;
        commit(tx).await
    }

    /// A course's quizzes in outline order, for authors.
    pub async fn quizzes(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
    ) -> Result<Vec<Quiz>, AppError> {
        caller.require(tenant, nexus_domain::access::Permission::CourseWrite)?;
        self.load(tenant, course).await?;
        self.db
            .quizzes()
            .quizzes(tenant, course)
            .await
            .map_err(store_err("quiz"))
    }

    /// Resolves a settings spec's bank key within the course.
    async fn resolve(
        &self,
        tenant: TenantId,
        course: CourseId,
        spec: &QuizSettingsSpec,
    ) -> Result<(nexus_domain::learning::quiz::QuizSettings, Bank), AppError> {
        let settings = spec.parse()?;
        let key = spec.bank.trim().to_lowercase();
        let banks = self
            .db
            .quizzes()
            .banks(tenant, course)
            .await
            .map_err(store_err("bank"))?;
        let bank = banks.into_iter().find(|b| b.key == key).ok_or_else(|| {
            AppError::invalid_field(
                "bank",
                nexus_domain::validation::invalid(
                    "unknown_bank",
                    "no bank of this course has this key",
                ),
            )
        })?;
        Ok((settings, bank))
    }

    /// Places a quiz after the lessons (and earlier quizzes) of a module. Audited.
    pub async fn create_quiz(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
        module: ModuleId,
        spec: &QuizSettingsSpec,
    ) -> Result<Quiz, AppError> {
        let c = self.editable(caller, tenant, course).await?;
        let outline = self.outline_of(tenant, course).await?;
        if !outline.iter().any(|(m, _)| m.id == module) {
            return Err(AppError::NotFound { resource: "module" });
        }
        let (settings, bank) = self.resolve(tenant, course, spec).await?;
        let existing = self
            .db
            .quizzes()
            .quizzes(tenant, course)
            .await
            .map_err(store_err("quiz"))?;
        let position = existing
            .iter()
            .filter(|q| q.module == module)
            .map(|q| q.position + 1)
            .max()
            .unwrap_or(0);
        let quiz = Quiz {
            id: QuizId::generate(self.clock.as_ref()),
            course,
            module,
            position,
            bank: bank.id,
            settings,
            updated_at: self.clock.now(),
        };
        let mut tx = self.begin(tenant).await?;
        self.touch_in(tx.as_mut(), &c).await?;
        self.db
            .quizzes()
            .create_quiz(tx.as_mut(), tenant, &quiz)
            .await
            .map_err(store_err("module"))?;
        let diff = json!({ "after": quiz_view(&quiz, &bank.key) });
        self.record_change(tx.as_mut(), caller, &c, "course.quiz_create", diff)
            .await?;
        commit(tx).await?;
        Ok(quiz)
    }

    /// Replaces a quiz's settings (and bank). Audited.
    pub async fn update_quiz(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
        id: QuizId,
        spec: &QuizSettingsSpec,
    ) -> Result<Quiz, AppError> {
        let c = self.editable(caller, tenant, course).await?;
        let before = self.quiz_of(tenant, course, id).await?;
        let (settings, bank) = self.resolve(tenant, course, spec).await?;
        let quiz = Quiz {
            bank: bank.id,
            settings,
            updated_at: self.clock.now(),
            ..before.clone()
        };
        let mut tx = self.begin(tenant).await?;
        self.touch_in(tx.as_mut(), &c).await?;
        self.db
            .quizzes()
            .update_quiz(tx.as_mut(), tenant, &quiz)
            .await
            .map_err(store_err("quiz"))?;
        let diff = json!({ "before": { "quiz": before.id, "title": before.settings.title }, "after": quiz_view(&quiz, &bank.key) });
        self.record_change(tx.as_mut(), caller, &c, "course.quiz_update", diff)
            .await?;
        commit(tx).await?;
        Ok(quiz)
    }

    /// Deletes a quiz from the draft. Learners' attempts stay, and the published version
    /// keeps offering it until the next publish. Audited.
    pub async fn delete_quiz(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
        id: QuizId,
    ) -> Result<(), AppError> {
        let c = self.editable(caller, tenant, course).await?;
        let before = self.quiz_of(tenant, course, id).await?;
        let mut tx = self.begin(tenant).await?;
        self.touch_in(tx.as_mut(), &c).await?;
        self.db
            .quizzes()
            .delete_quiz(tx.as_mut(), tenant, id)
            .await
            .map_err(store_err("quiz"))?;
        let diff = json!({ "before": { "quiz": before.id, "title": before.settings.title } });
        self.record_change(tx.as_mut(), caller, &c, "course.quiz_delete", diff)
            .await?;
        commit(tx).await
    }

    async fn quiz_of(
        &self,
        tenant: TenantId,
        course: CourseId,
        id: QuizId,
    ) -> Result<Quiz, AppError> {
        let quiz = self
            .db
            .quizzes()
            .quiz(tenant, id)
            .await
            .map_err(store_err("quiz"))?;
        if quiz.course != course {
            return Err(AppError::NotFound { resource: "quiz" });
        }
        Ok(quiz)
    }
}
