//! What is stored about quizzes: banks of questions, quizzes placed in a course's
//! modules, and learners' attempts with everything needed to grade them later.
//!
//! An attempt keeps its own copy of the questions it drew (answer keys included), so
//! editing the bank mid-attempt can change neither what the learner sees nor how they
//! are graded. That copy never leaves the server before submission: learners get
//! [`Attempt::presented`] only.

use super::attempt::{DrawnQuestion, PresentedQuestion, draw, present};
use super::grading::{Graded, Response, RevealedAnswer, Score, grade, reveal, score};
use super::mastery::TopicAnswer;
use super::settings::QuizSettings;
use super::spec::QuestionSpec;
use super::{AttemptError, AttemptId, BankId, Question, QuestionId, QuizId};
use crate::UserId;
use crate::learning::course::{CourseId, ModuleId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// Most questions one bank may hold.
pub const MAX_BANK_QUESTIONS: usize = 500;

/// A bank of questions belonging to one course.
#[derive(Debug, Clone, PartialEq)]
pub struct Bank {
    /// Identity.
    pub id: BankId,
    /// The course it belongs to.
    pub course: CourseId,
    /// The author's key, unique in the course; quizzes (and packages) name banks by it.
    pub key: String,
    /// 1–200 characters.
    pub title: String,
    /// The questions, in authored order.
    pub questions: Vec<Question>,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

/// A bank as authored: `{"key": "basics", "title": "Basics", "questions": [...]}` with
/// questions in the [`QuestionSpec`] format. Course packages use the same shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema),
    schema(
        as = QuizBankSpec,
        description = "A question bank as authored. Course packages use the same shape."
    )
)]
#[serde(deny_unknown_fields)]
pub struct BankSpec {
    /// Slug, unique in the course.
    #[serde(default)]
    pub key: String,
    /// 1–200 characters.
    #[serde(default)]
    pub title: String,
    /// Up to 500 questions.
    #[serde(default)]
    pub questions: Vec<QuestionSpec>,
}

impl BankSpec {
    /// Parses a bank, reporting every problem at once (`key`, `title`,
    /// `questions[3].options[1]`, …). Questions whose key is in `existing` keep their
    /// identity, so learners' past attempts still name the same question; new keys get
    /// IDs from `mint`.
    ///
    /// # Errors
    /// Every field error found.
    pub fn parse(
        &self,
        id: BankId,
        course: CourseId,
        existing: &[Question],
        mut mint: impl FnMut() -> QuestionId,
        now: OffsetDateTime,
    ) -> Result<Bank, crate::FieldErrors> {
        let mut errs = crate::FieldErrors::new();
        let key = errs.check("key", super::question::slug(&self.key));
        let title = errs.check("title", crate::learning::outline::parse_title(&self.title));
        if self.questions.len() > MAX_BANK_QUESTIONS {
            errs.push(
                "questions",
                "too_many",
                format!("a bank holds at most {MAX_BANK_QUESTIONS} questions"),
            );
        }
        let questions = super::bank::parse_bank(&self.questions, id, |k| {
            existing
                .iter()
                .find(|q| q.key == k)
                .map_or_else(&mut mint, |q| q.id)
        });
        let questions = match questions {
            Ok(q) => Some(q),
            Err(e) => {
                for f in e.as_slice() {
                    errs.push(f.field.clone(), f.code, f.message.clone());
                }
                None
            }
        };
        errs.finish(|| {
            Some(Bank {
                id,
                course,
                key: key?,
                title: title?,
                questions: questions?,
                updated_at: now,
            })
        })
    }

    /// The authored form of a stored bank.
    pub fn from_bank(bank: &Bank) -> Self {
        Self {
            key: bank.key.clone(),
            title: bank.title.clone(),
            questions: bank
                .questions
                .iter()
                .map(QuestionSpec::from_question)
                .collect(),
        }
    }
}

/// A quiz: settings over a bank, placed after the lessons of a module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quiz {
    /// Identity.
    pub id: QuizId,
    /// The course.
    pub course: CourseId,
    /// The module it closes.
    pub module: ModuleId,
    /// Place among the module's quizzes, from 0.
    pub position: u32,
    /// The bank it draws from.
    pub bank: BankId,
    /// Checked settings.
    pub settings: QuizSettings,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

/// Where an attempt stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = QuizAttemptStatus))]
#[serde(rename_all = "snake_case")]
pub enum AttemptStatus {
    /// Started, not yet submitted.
    Open,
    /// Submitted in time and graded.
    Submitted,
    /// The time limit passed before a submission: graded as unanswered.
    Expired,
}

impl AttemptStatus {
    /// Storage and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Submitted => "submitted",
            Self::Expired => "expired",
        }
    }

    /// Parses a storage name.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Open, Self::Submitted, Self::Expired]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// One drawn question with its answer key, as the attempt keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptQuestion {
    /// The question as it was when drawn.
    pub question: Question,
    /// How it is presented.
    pub drawn: DrawnQuestion,
}

/// One learner's attempt at a quiz.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// Identity.
    pub id: AttemptId,
    /// The quiz.
    pub quiz: QuizId,
    /// The quiz's course.
    pub course: CourseId,
    /// The bank its questions were drawn from.
    pub bank: BankId,
    /// The learner.
    pub user: UserId,
    /// 1 for the learner's first attempt at this quiz; unique per learner and quiz, so
    /// two attempts started at once cannot both slip under the attempt limit.
    pub number: u32,
    /// The pass mark when it started.
    pub pass_mark_percent: u8,
    /// The questions drawn, in presented order.
    pub questions: Vec<AttemptQuestion>,
    /// When it started.
    pub started_at: OffsetDateTime,
    /// When it must be submitted (`None`: untimed).
    pub deadline: Option<OffsetDateTime>,
    /// Where it stands.
    pub status: AttemptStatus,
    /// When it was submitted or expired.
    pub finished_at: Option<OffsetDateTime>,
    /// The learner's responses by question (empty until submitted).
    pub responses: BTreeMap<QuestionId, Response>,
    /// Per-question outcome, in presented order (empty until finished).
    pub graded: Vec<Graded>,
}

impl Attempt {
    /// Starts attempt number `number`, drawing from `bank` with `seed`.
    pub fn start(
        id: AttemptId,
        quiz: &Quiz,
        bank: &Bank,
        user: UserId,
        number: u32,
        seed: u64,
        now: OffsetDateTime,
    ) -> Self {
        let questions = draw(&bank.questions, &quiz.settings, seed)
            .into_iter()
            .filter_map(|d| {
                let q = bank.questions.iter().find(|q| q.id == d.question)?;
                Some(AttemptQuestion {
                    question: q.clone(),
                    drawn: d,
                })
            })
            .collect();
        Self {
            id,
            quiz: quiz.id,
            course: quiz.course,
            bank: quiz.bank,
            user,
            number,
            pass_mark_percent: quiz.settings.pass_mark_percent,
            questions,
            started_at: now,
            deadline: super::attempt::deadline(now, &quiz.settings),
            status: AttemptStatus::Open,
            finished_at: None,
            responses: BTreeMap::new(),
            graded: Vec::new(),
        }
    }

    /// The learner's view while open: nothing that gives the answers away.
    pub fn presented(&self) -> Vec<PresentedQuestion> {
        self.questions
            .iter()
            .map(|q| present(&q.question, &q.drawn))
            .collect()
    }

    /// Whether the time limit, with its grace, has passed at `now`.
    pub fn is_overdue(&self, now: OffsetDateTime) -> bool {
        self.deadline
            .is_some_and(|d| super::attempt::is_past(d, now))
    }

    /// Grades a submission. Responses to questions not in the attempt are ignored. A
    /// submission after the deadline (plus grace) closes the attempt as expired, graded
    /// as unanswered, and is refused with [`AttemptError::TimeExpired`]; the caller
    /// still stores the closed attempt.
    ///
    /// # Errors
    /// [`AttemptError::TimeExpired`] as above. Submitting a closed attempt is the
    /// caller's to refuse (it is a state conflict, not a rule of grading).
    pub fn submit(
        &mut self,
        responses: BTreeMap<QuestionId, Response>,
        now: OffsetDateTime,
    ) -> Result<(), AttemptError> {
        if self.is_overdue(now) {
            self.expire(now);
            return Err(AttemptError::TimeExpired {
                deadline: self.deadline.unwrap_or(now),
            });
        }
        let asked: Vec<QuestionId> = self.questions.iter().map(|q| q.question.id).collect();
        self.responses = responses
            .into_iter()
            .filter(|(id, _)| asked.contains(id))
            .collect();
        self.graded = self
            .questions
            .iter()
            .map(|q| grade(&q.question, &q.drawn, self.responses.get(&q.question.id)))
            .collect();
        self.status = AttemptStatus::Submitted;
        self.finished_at = Some(now);
        Ok(())
    }

    /// Closes an overdue attempt as expired: every question unanswered.
    pub fn expire(&mut self, now: OffsetDateTime) {
        self.responses.clear();
        self.graded = self
            .questions
            .iter()
            .map(|q| grade(&q.question, &q.drawn, None))
            .collect();
        self.status = AttemptStatus::Expired;
        self.finished_at = Some(now);
    }

    /// The total, once finished.
    pub fn score(&self) -> Option<Score> {
        (self.status != AttemptStatus::Open).then(|| score(&self.graded, self.pass_mark_percent))
    }

    /// Correct answers and explanations, once finished (never while open).
    pub fn revealed(&self) -> Option<Vec<RevealedAnswer>> {
        (self.status != AttemptStatus::Open).then(|| {
            self.questions
                .iter()
                .map(|q| reveal(&q.question, &q.drawn))
                .collect()
        })
    }

    /// Each graded answer with its topic, for mastery.
    pub fn topic_answers(&self) -> Vec<TopicAnswer> {
        let at = self.finished_at.unwrap_or(self.started_at);
        self.questions
            .iter()
            .zip(&self.graded)
            .map(|(q, g)| TopicAnswer {
                topic: q.question.topic.clone(),
                credit_permille: g.credit_permille,
                at,
            })
            .collect()
    }
}

/// Whether a learner may see the correct answers and explanations of their finished
/// attempts at a quiz: only once they have passed it or used every attempt it allows,
/// and never while an attempt is open. Otherwise a blank first attempt would reveal the
/// answers to a second one drawn from the same bank.
pub fn answers_revealed(attempts: &[Attempt], max_attempts: Option<u32>) -> bool {
    let open = attempts.iter().any(|a| a.status == AttemptStatus::Open);
    let passed = attempts.iter().any(|a| a.score().is_some_and(|s| s.passed));
    let used_up =
        max_attempts.is_some_and(|m| attempts.len() >= usize::try_from(m).unwrap_or(usize::MAX));
    !open && (passed || used_up)
}

/// How a bank's questions and an attempt's drawn questions are stored: as their
/// authoring specs (which round-trip exactly) with their identities.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredQuestion {
    /// Identity.
    pub id: QuestionId,
    /// The question as authored.
    pub spec: QuestionSpec,
    /// Presentation, for an attempt's copy only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drawn: Option<DrawnQuestion>,
}

/// Encodes questions for storage.
pub fn store_questions(questions: &[Question]) -> Vec<StoredQuestion> {
    questions
        .iter()
        .map(|q| StoredQuestion {
            id: q.id,
            spec: QuestionSpec::from_question(q),
            drawn: None,
        })
        .collect()
}

/// Decodes stored questions of `bank`.
///
/// # Errors
/// The first stored spec that no longer parses (a bug or a hand-edited row).
pub fn load_questions(
    bank: BankId,
    stored: Vec<StoredQuestion>,
) -> Result<Vec<Question>, crate::FieldErrors> {
    stored
        .into_iter()
        .map(|s| s.spec.parse(s.id, bank))
        .collect()
}

/// Encodes an attempt's questions for storage.
pub fn store_attempt_questions(questions: &[AttemptQuestion]) -> Vec<StoredQuestion> {
    questions
        .iter()
        .map(|q| StoredQuestion {
            id: q.question.id,
            spec: QuestionSpec::from_question(&q.question),
            drawn: Some(q.drawn.clone()),
        })
        .collect()
}

/// Decodes an attempt's stored questions.
///
/// # Errors
/// A stored spec that no longer parses, or a question stored without its presentation.
pub fn load_attempt_questions(
    bank: BankId,
    stored: Vec<StoredQuestion>,
) -> Result<Vec<AttemptQuestion>, crate::FieldErrors> {
    stored
        .into_iter()
        .map(|s| {
            let drawn = s.drawn.clone().ok_or_else(|| {
                let mut e = crate::FieldErrors::new();
                e.push("drawn", "required", "stored without its presentation");
                e
            })?;
            Ok(AttemptQuestion {
                question: s.spec.parse(s.id, bank)?,
                drawn,
            })
        })
        .collect()
}

#[cfg(test)]
#[path = "record_tests.rs"]
mod tests;
