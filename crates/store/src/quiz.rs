//! Quizzes: question banks, quizzes placed in modules, and learners' attempts.
//! Tenant-owned: every method takes the `TenantId`. Changes run in the caller's
//! transaction so authoring commits with its audit record, and a graded attempt with
//! the XP it earns.

use crate::{StoreError, Tx};
use async_trait::async_trait;
use nexus_domain::learning::CourseId;
use nexus_domain::learning::quiz::{Attempt, AttemptId, Bank, BankId, Quiz, QuizId};
use nexus_domain::{TenantId, UserId};

/// Stores banks, quizzes and attempts.
#[async_trait]
pub trait QuizStore: Send + Sync {
    /// Inserts a bank; `Conflict { constraint: "question_bank_key_key" }` if its key is
    /// taken in the course, `NotFound` if the course is not this tenant's.
    async fn create_bank(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        bank: &Bank,
    ) -> Result<(), StoreError>;
    /// Replaces a bank's title and questions (its key and course never change);
    /// `NotFound` if gone.
    async fn replace_bank(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        bank: &Bank,
    ) -> Result<(), StoreError>;
    /// Deletes a bank; `NotFound` if gone, `Conflict { constraint: "quiz_bank_fkey" }`
    /// while a quiz draws from it.
    async fn delete_bank(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: BankId,
    ) -> Result<(), StoreError>;
    /// One bank with its questions, or `NotFound`.
    async fn bank(&self, tenant: TenantId, id: BankId) -> Result<Bank, StoreError>;
    /// A course's banks by key.
    async fn banks(&self, tenant: TenantId, course: CourseId) -> Result<Vec<Bank>, StoreError>;
    /// Inserts a quiz; `NotFound` if its module or bank is not this tenant's.
    async fn create_quiz(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        quiz: &Quiz,
    ) -> Result<(), StoreError>;
    /// Saves a quiz's settings, bank and `updated_at`; `NotFound` if gone.
    async fn update_quiz(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        quiz: &Quiz,
    ) -> Result<(), StoreError>;
    /// Deletes a quiz from the draft (learners' attempts stay); `NotFound` if gone.
    async fn delete_quiz(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        id: QuizId,
    ) -> Result<(), StoreError>;
    /// One quiz, or `NotFound`.
    async fn quiz(&self, tenant: TenantId, id: QuizId) -> Result<Quiz, StoreError>;
    /// A course's quizzes in outline order (by module, then position).
    async fn quizzes(&self, tenant: TenantId, course: CourseId) -> Result<Vec<Quiz>, StoreError>;
    /// Inserts a new attempt; `Conflict { constraint: "quiz_attempt_number_key" }` if
    /// the learner already has one with its number (a concurrent start).
    async fn add_attempt(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        attempt: &Attempt,
    ) -> Result<(), StoreError>;
    /// Saves a finished attempt, only if it is still open in storage:
    /// `Conflict { constraint: "attempt_closed" }` if it was finished meanwhile (a
    /// double submission), `NotFound` if gone.
    async fn finish_attempt(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        attempt: &Attempt,
    ) -> Result<(), StoreError>;
    /// One attempt, or `NotFound`.
    async fn attempt(&self, tenant: TenantId, id: AttemptId) -> Result<Attempt, StoreError>;
    /// A learner's attempts at one quiz, by number.
    async fn attempts(
        &self,
        tenant: TenantId,
        quiz: QuizId,
        user: UserId,
    ) -> Result<Vec<Attempt>, StoreError>;
    /// A learner's finished attempts in a course (all courses with `None`), oldest first.
    async fn finished_attempts(
        &self,
        tenant: TenantId,
        user: UserId,
        course: Option<CourseId>,
    ) -> Result<Vec<Attempt>, StoreError>;
}
