//! The JSON columns of the quiz tables, shared by both backends so they store exactly
//! the same text: questions as their authoring specs, settings as their spec, and
//! responses and grades as the domain serializes them.

use crate::StoreError;
use nexus_domain::UserId;
use nexus_domain::learning::quiz::record::{
    StoredQuestion, load_attempt_questions, load_questions, store_attempt_questions,
    store_questions,
};
use nexus_domain::learning::quiz::{
    Attempt, AttemptId, AttemptStatus, Bank, BankId, Graded, Question, QuestionId, Quiz, QuizId,
    QuizSettingsSpec, Response, Score,
};
use nexus_domain::learning::{CourseId, ModuleId};
use std::collections::BTreeMap;
use time::OffsetDateTime;

fn corrupt(what: &'static str, e: impl std::fmt::Display) -> StoreError {
    StoreError::other(what, e.to_string())
}

/// A bank row as read.
pub struct BankRow {
    /// `bank_id`.
    pub id: BankId,
    /// `course_id`.
    pub course: CourseId,
    /// `bank_key`.
    pub key: String,
    /// `title`.
    pub title: String,
    /// `questions` (JSON).
    pub questions: String,
    /// `updated_at`.
    pub updated_at: OffsetDateTime,
}

/// A quiz row as read.
pub struct QuizRow {
    /// `quiz_id`.
    pub id: QuizId,
    /// `course_id`.
    pub course: CourseId,
    /// `module_id`.
    pub module: ModuleId,
    /// `position`.
    pub position: u32,
    /// `bank_id`.
    pub bank: BankId,
    /// `settings` (JSON).
    pub settings: String,
    /// `updated_at`.
    pub updated_at: OffsetDateTime,
}

/// An attempt row as read.
pub struct AttemptRow {
    /// `attempt_id`.
    pub id: AttemptId,
    /// `quiz_id`.
    pub quiz: QuizId,
    /// `course_id`.
    pub course: CourseId,
    /// `bank_id`.
    pub bank: BankId,
    /// `app_user_id`.
    pub user: UserId,
    /// `number`.
    pub number: u32,
    /// `status`.
    pub status: String,
    /// `pass_mark`.
    pub pass_mark: u8,
    /// `questions` (JSON).
    pub questions: String,
    /// `responses` (JSON).
    pub responses: String,
    /// `graded` (JSON).
    pub graded: String,
    /// `started_at`.
    pub started_at: OffsetDateTime,
    /// `deadline`.
    pub deadline: Option<OffsetDateTime>,
    /// `finished_at`.
    pub finished_at: Option<OffsetDateTime>,
}

/// Decodes a bank row.
pub fn bank(row: BankRow) -> Result<Bank, StoreError> {
    let stored: Vec<StoredQuestion> =
        serde_json::from_str(&row.questions).map_err(|e| corrupt("decoding a bank", e))?;
    Ok(Bank {
        questions: load_questions(row.id, stored).map_err(|e| corrupt("decoding a bank", e))?,
        id: row.id,
        course: row.course,
        key: row.key,
        title: row.title,
        updated_at: row.updated_at,
    })
}

/// Decodes a quiz row.
pub fn quiz(row: &QuizRow) -> Result<Quiz, StoreError> {
    let spec: QuizSettingsSpec =
        serde_json::from_str(&row.settings).map_err(|e| corrupt("decoding a quiz", e))?;
    Ok(Quiz {
        settings: spec.parse().map_err(|e| corrupt("decoding a quiz", e))?,
        id: row.id,
        course: row.course,
        module: row.module,
        position: row.position,
        bank: row.bank,
        updated_at: row.updated_at,
    })
}

/// Decodes an attempt row.
pub fn attempt(row: &AttemptRow) -> Result<Attempt, StoreError> {
    let bad = |e: &dyn std::fmt::Display| corrupt("decoding an attempt", e);
    let stored: Vec<StoredQuestion> = serde_json::from_str(&row.questions).map_err(|e| bad(&e))?;
    let responses: BTreeMap<QuestionId, Response> =
        serde_json::from_str(&row.responses).map_err(|e| bad(&e))?;
    let graded: Vec<Graded> = serde_json::from_str(&row.graded).map_err(|e| bad(&e))?;
    Ok(Attempt {
        questions: load_attempt_questions(row.bank, stored).map_err(|e| bad(&e))?,
        status: AttemptStatus::parse(&row.status).ok_or_else(|| bad(&"unknown status"))?,
        id: row.id,
        quiz: row.quiz,
        course: row.course,
        bank: row.bank,
        user: row.user,
        number: row.number,
        pass_mark_percent: row.pass_mark,
        started_at: row.started_at,
        deadline: row.deadline,
        finished_at: row.finished_at,
        responses,
        graded,
    })
}

/// A bank's questions as stored.
pub fn questions_text(questions: &[Question]) -> Result<String, StoreError> {
    serde_json::to_string(&store_questions(questions)).map_err(|e| corrupt("encoding a bank", e))
}

/// A quiz's settings as stored: its spec. The bank is the `bank_id` column, so the
/// spec carries a placeholder key that is never read back.
pub fn settings_text(quiz: &Quiz) -> Result<String, StoreError> {
    serde_json::to_string(&QuizSettingsSpec::from_settings(&quiz.settings, "stored"))
        .map_err(|e| corrupt("encoding a quiz", e))
}

/// An attempt's JSON columns and derived values.
pub struct AttemptText {
    /// `questions`.
    pub questions: String,
    /// `responses`.
    pub responses: String,
    /// `graded`.
    pub graded: String,
    /// The score, once finished.
    pub score: Option<Score>,
}

/// Encodes an attempt's JSON columns.
pub fn attempt_text(a: &Attempt) -> Result<AttemptText, StoreError> {
    let bad = |e: serde_json::Error| corrupt("encoding an attempt", e);
    Ok(AttemptText {
        questions: serde_json::to_string(&store_attempt_questions(&a.questions)).map_err(bad)?,
        responses: serde_json::to_string(&a.responses).map_err(bad)?,
        graded: serde_json::to_string(&a.graded).map_err(bad)?,
        score: a.score(),
    })
}
