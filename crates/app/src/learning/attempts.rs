//! Taking quizzes: starting attempts, submitting them for grading on the server, and
//! reading results and topic mastery.
//!
//! Only enrolled learners take quizzes, and only quizzes of the course's latest
//! published version. Before submission a learner sees presented questions only;
//! answers and explanations exist in responses only for finished attempts. Time limits
//! are checked against the injected clock on every read and on submission, so an
//! abandoned attempt closes as expired the next time anyone looks at it.

use super::courses::CourseService;
use super::enrolment::learner;
use super::publish::PublishedQuiz;
use super::store_err;
use crate::AppError;
use crate::audit::Caller;
use nexus_domain::learning::CourseId;
use nexus_domain::learning::quiz::record::answers_revealed;
use nexus_domain::learning::quiz::{
    Attempt, AttemptError, AttemptId, AttemptStatus, QuestionId, QuizId, Response, TopicMastery,
    mastery,
};
use nexus_domain::{Clock, TenantId, UserId};
use nexus_store::{Database, StoreError};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Quiz-taking use cases.
#[derive(Clone)]
pub struct QuizService {
    db: Arc<dyn Database>,
    courses: CourseService,
    achievements: super::achievements::AchievementService,
    clock: Arc<dyn Clock>,
}

/// A quiz as a learner sees it before starting: its published settings and their own
/// attempts so far.
#[derive(Debug, Clone)]
pub struct LearnerQuiz {
    /// The quiz as published.
    pub quiz: PublishedQuiz,
    /// The learner's attempts, by number.
    pub attempts: Vec<Attempt>,
}

fn attempt_error(e: &AttemptError) -> AppError {
    match e {
        AttemptError::AttemptsExhausted { .. } => AppError::Conflict {
            code: "attempts_exhausted",
            message: "every attempt this quiz allows has been used",
        },
        AttemptError::TimeExpired { .. } => AppError::Conflict {
            code: "quiz_time_expired",
            message: "the time limit passed before submission; the attempt closed as expired",
        },
    }
}

impl QuizService {
    /// Wires the service.
    pub fn new(
        db: Arc<dyn Database>,
        courses: CourseService,
        achievements: super::achievements::AchievementService,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            db,
            courses,
            achievements,
            clock,
        }
    }

    fn now(&self) -> time::OffsetDateTime {
        super::stored_now(self.clock.as_ref())
    }

    /// A quiz of the published course and the learner's attempts at it.
    pub async fn quiz(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
        quiz: QuizId,
    ) -> Result<LearnerQuiz, AppError> {
        let user = self.enrolled(caller, tenant, course).await?;
        let (published, _) = self.published(caller, tenant, course, quiz).await?;
        let attempts = self.attempts_of(tenant, quiz, user).await?;
        Ok(LearnerQuiz {
            quiz: published,
            attempts,
        })
    }

    /// Starts an attempt, or returns the learner's open one (so a retried start never
    /// burns a second attempt): `(attempt, true)` when this call started it.
    pub async fn start(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
        quiz: QuizId,
    ) -> Result<(Attempt, bool), AppError> {
        let user = self.enrolled(caller, tenant, course).await?;
        let (published, module) = self.published(caller, tenant, course, quiz).await?;
        let settings = published.settings.parse()?;
        let attempts = self.attempts_of(tenant, quiz, user).await?;
        if let Some(open) = attempts.iter().find(|a| a.status == AttemptStatus::Open) {
            return Ok((open.clone(), false));
        }
        let taken = u32::try_from(attempts.len()).unwrap_or(u32::MAX);
        nexus_domain::learning::quiz::may_start(taken, &settings).map_err(|e| attempt_error(&e))?;
        let bank = self
            .db
            .quizzes()
            .bank(tenant, published.bank)
            .await
            .map_err(store_err("quiz"))?;
        // Learners take the quiz as published, whatever the draft says (or whether the
        // draft still has it).
        let quiz_now = nexus_domain::learning::quiz::Quiz {
            id: published.id,
            course,
            module,
            position: 0,
            bank: published.bank,
            settings,
            updated_at: self.now(),
        };
        let attempt = Attempt::start(
            AttemptId::generate(self.clock.as_ref()),
            &quiz_now,
            &bank,
            user,
            taken + 1,
            seed()?,
            self.now(),
        );
        let mut tx = self.begin(tenant).await?;
        match self
            .db
            .quizzes()
            .add_attempt(tx.as_mut(), tenant, &attempt)
            .await
        {
            Ok(()) => {}
            Err(StoreError::Conflict { .. }) => {
                return Err(AppError::Conflict {
                    code: "attempt_in_progress",
                    message: "another attempt at this quiz was started at the same moment",
                });
            }
            Err(e) => return Err(AppError::from_store("quiz", e)),
        }
        tx.commit().await.map_err(store_err("quiz"))?;
        Ok((attempt, true))
    }

    /// One of the learner's own attempts; an overdue open attempt is closed first. The
    /// flag says whether its answers may be shown (see [`answers_revealed`]).
    pub async fn attempt(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: AttemptId,
    ) -> Result<(Attempt, bool), AppError> {
        let user = learner(caller, tenant)?;
        let attempt = self.own(tenant, user, id).await?;
        let attempt = self.close_if_overdue(tenant, attempt).await?;
        let reveal = self.reveal(caller, tenant, &attempt).await?;
        Ok((attempt, reveal))
    }

    /// Whether the learner may see the answers of their attempts at this quiz now.
    async fn reveal(
        &self,
        caller: &Caller,
        tenant: TenantId,
        a: &Attempt,
    ) -> Result<bool, AppError> {
        if a.status == AttemptStatus::Open {
            return Ok(false);
        }
        let all = self.attempts_of(tenant, a.quiz, a.user).await?;
        // The allowance as published; if the quiz is no longer published, no more
        // attempts can start, so every attempt has been used.
        let max = match self.published(caller, tenant, a.course, a.quiz).await {
            Ok((q, _)) => q.settings.parse()?.max_attempts,
            Err(AppError::NotFound { .. }) => Some(0),
            Err(e) => return Err(e),
        };
        Ok(answers_revealed(&all, max))
    }

    /// Grades a submission on the server. `responses` are keyed by question; missing
    /// ones count as unanswered. Late submissions close the attempt as expired and are
    /// refused with 409 `quiz_time_expired`; a second submission gets 409
    /// `attempt_closed`.
    pub async fn submit(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: AttemptId,
        responses: BTreeMap<QuestionId, Response>,
    ) -> Result<(Attempt, super::achievements::Awards, bool), AppError> {
        let user = learner(caller, tenant)?;
        let mut attempt = self.own(tenant, user, id).await?;
        if attempt.status != AttemptStatus::Open {
            return Err(closed());
        }
        // Withdrawn meanwhile: no grade, no rewards.
        self.enrolled(caller, tenant, attempt.course).await?;
        let outcome = attempt.submit(responses, self.now());
        // Read what rewards need before the transaction holds a connection.
        let ctx = if outcome.is_ok() {
            Some(
                self.achievements
                    .prepare(tenant, user, attempt.course)
                    .await?,
            )
        } else {
            None
        };
        let mut tx = self.begin(tenant).await?;
        finish_in(tx.as_mut(), self.db.as_ref(), tenant, &attempt).await?;
        // What a submission earns commits with its grade, or neither does. An expired
        // attempt earns nothing.
        let awards = match ctx {
            Some(ctx) => {
                self.achievements
                    .on_activity(
                        tx.as_mut(),
                        tenant,
                        ctx,
                        super::achievements::Activity::Quiz(&attempt),
                    )
                    .await?
            }
            None => super::achievements::Awards::default(),
        };
        tx.commit().await.map_err(store_err("attempt"))?;
        let result = match attempt.score() {
            Some(s) if s.passed => "passed",
            Some(_) => "failed",
            None => "expired",
        };
        metrics::counter!("nexus_quiz_attempts_total", "result" => result).increment(1);
        outcome.map_err(|e| attempt_error(&e))?;
        let reveal = self.reveal(caller, tenant, &attempt).await?;
        Ok((attempt, awards, reveal))
    }

    /// The learner's mastery per topic in a course, from their finished attempts.
    pub async fn mastery(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
    ) -> Result<Vec<TopicMastery>, AppError> {
        let user = self.enrolled(caller, tenant, course).await?;
        let attempts = self
            .db
            .quizzes()
            .finished_attempts(tenant, user, Some(course))
            .await
            .map_err(store_err("quiz"))?;
        let answers: Vec<_> = attempts.iter().flat_map(Attempt::topic_answers).collect();
        Ok(mastery(&answers))
    }

    async fn enrolled(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
    ) -> Result<UserId, AppError> {
        let user = learner(caller, tenant)?;
        let enrolment = self
            .db
            .enrolments()
            .enrolment(tenant, course, user)
            .await
            .map_err(store_err("course"))?;
        if enrolment.is_none() {
            return Err(AppError::Conflict {
                code: "not_enrolled",
                message: "enrol in the course first",
            });
        }
        Ok(user)
    }

    /// The quiz as the latest published version has it, with its module; 404 if it is
    /// not there.
    async fn published(
        &self,
        caller: &Caller,
        tenant: TenantId,
        course: CourseId,
        quiz: QuizId,
    ) -> Result<(PublishedQuiz, nexus_domain::learning::ModuleId), AppError> {
        let content = self.courses.content(caller, tenant, course).await?;
        content
            .modules
            .iter()
            .find_map(|m| {
                m.quizzes
                    .iter()
                    .find(|q| q.id == quiz)
                    .map(|q| (q.clone(), m.id))
            })
            .ok_or(AppError::NotFound { resource: "quiz" })
    }

    async fn attempts_of(
        &self,
        tenant: TenantId,
        quiz: QuizId,
        user: UserId,
    ) -> Result<Vec<Attempt>, AppError> {
        let attempts = self
            .db
            .quizzes()
            .attempts(tenant, quiz, user)
            .await
            .map_err(store_err("quiz"))?;
        let mut out = Vec::with_capacity(attempts.len());
        for a in attempts {
            out.push(self.close_if_overdue(tenant, a).await?);
        }
        Ok(out)
    }

    async fn own(
        &self,
        tenant: TenantId,
        user: UserId,
        id: AttemptId,
    ) -> Result<Attempt, AppError> {
        let attempt = self
            .db
            .quizzes()
            .attempt(tenant, id)
            .await
            .map_err(store_err("attempt"))?;
        // Someone else's attempt is as good as absent.
        if attempt.user != user {
            return Err(AppError::NotFound {
                resource: "attempt",
            });
        }
        Ok(attempt)
    }

    async fn close_if_overdue(
        &self,
        tenant: TenantId,
        mut attempt: Attempt,
    ) -> Result<Attempt, AppError> {
        let now = self.now();
        if attempt.status == AttemptStatus::Open && attempt.is_overdue(now) {
            attempt.expire(now);
            match self.finish(tenant, &attempt).await {
                // A submission or another reader closed it first: read what won.
                Err(AppError::Conflict {
                    code: "attempt_closed",
                    ..
                }) => {
                    return self
                        .db
                        .quizzes()
                        .attempt(tenant, attempt.id)
                        .await
                        .map_err(store_err("attempt"));
                }
                other => other?,
            }
        }
        Ok(attempt)
    }

    /// Stores a finished attempt in its own transaction.
    async fn finish(&self, tenant: TenantId, attempt: &Attempt) -> Result<(), AppError> {
        let mut tx = self.begin(tenant).await?;
        finish_in(tx.as_mut(), self.db.as_ref(), tenant, attempt).await?;
        tx.commit().await.map_err(store_err("attempt"))
    }

    async fn begin(&self, tenant: TenantId) -> Result<Box<dyn nexus_store::Tx>, AppError> {
        self.db.begin(Some(tenant)).await.map_err(store_err("quiz"))
    }
}

/// Stores a finished attempt in the caller's transaction; 409 `attempt_closed` if it
/// was finished meanwhile.
async fn finish_in(
    tx: &mut dyn nexus_store::Tx,
    db: &dyn Database,
    tenant: TenantId,
    attempt: &Attempt,
) -> Result<(), AppError> {
    match db.quizzes().finish_attempt(tx, tenant, attempt).await {
        Ok(()) => Ok(()),
        Err(StoreError::Conflict { .. }) => Err(closed()),
        Err(e) => Err(AppError::from_store("attempt", e)),
    }
}

fn closed() -> AppError {
    AppError::Conflict {
        code: "attempt_closed",
        message: "this attempt was already submitted or has expired",
    }
}

/// A fresh draw seed from the OS.
fn seed() -> Result<u64, AppError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(e.to_string().into()))?;
    Ok(u64::from_le_bytes(bytes))
}
