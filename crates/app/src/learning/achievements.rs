//! Rewards for learning: XP, daily streaks, badges and certificates, awarded inside the
//! transaction of the activity that earned them (a lesson completed, a quiz attempt
//! submitted), so a reward commits with its cause or not at all, and retries never pay
//! twice (the ledger keys each award by what it was for).
//!
//! Streaks count days in the tenant's time zone on the injected clock. The ledger is
//! also the activity log: every active day gets a streak entry, so the streak needs no
//! second table.
//!
//! Two phases, so a request never holds a pooled connection while waiting for another
//! (under load that starves the pool): [`AchievementService::prepare`] reads what it
//! needs from the pool *before* the caller opens its transaction, and
//! [`AchievementService::on_activity`] then works only inside that transaction.

use super::courses::CourseService;
use crate::AppError;
use nexus_domain::learning::certificate::{Certificate, CertificateId, code_from, is_complete};
use nexus_domain::learning::gamification::{
    self as game, BadgeRule, LearnerStats, XpEntry, XpEvent, XpSource,
};
use nexus_domain::learning::quiz::{Attempt, AttemptStatus, QuizId, mastery};
use nexus_domain::learning::{CourseId, LessonId};
use nexus_domain::webhook::EventType;
use nexus_domain::{Clock, TenantId, UserId};
use nexus_store::{Database, StoreError, Tx};
use std::collections::BTreeSet;
use std::sync::Arc;
use time::OffsetDateTime;

/// Awards XP, streaks, badges and certificates.
#[derive(Clone)]
pub struct AchievementService {
    pub(super) db: Arc<dyn Database>,
    pub(super) courses: CourseService,
    pub(super) audit: crate::audit::AuditService,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) badges: Arc<Vec<BadgeRule>>,
    pub(super) outbox: crate::webhooks::Outbox,
}

/// What one activity earned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Awards {
    /// XP gained by this activity, streak included.
    pub xp: u32,
    /// The streak after it, when it extended one.
    pub streak: Option<u32>,
    /// Keys of badges newly earned.
    pub badges: Vec<String>,
    /// A certificate newly issued.
    pub certificate: Option<Certificate>,
}

/// What just happened, beyond what the store can already see.
pub(crate) enum Activity<'a> {
    /// A lesson was completed for the first time.
    Lesson {
        /// The lesson.
        lesson: LessonId,
    },
    /// A quiz attempt was submitted in time (passed or not).
    Quiz(&'a Attempt),
}

/// What rewarding an activity needs from outside its transaction, read beforehand.
pub(crate) struct Context {
    user: UserId,
    course: CourseId,
    tz: jiff::tz::TimeZone,
    /// The published course's lessons and quizzes (`None`: not published now).
    published: Option<(String, Vec<LessonId>, Vec<QuizId>)>,
    completed: BTreeSet<LessonId>,
    attempts: Vec<Attempt>,
    certificates: usize,
    held: BTreeSet<String>,
}

fn store_err(e: StoreError) -> AppError {
    AppError::from_store("learner", e)
}

impl AchievementService {
    /// Wires the service with the built-in badge catalogue.
    pub fn new(
        db: Arc<dyn Database>,
        courses: CourseService,
        audit: crate::audit::AuditService,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            outbox: crate::webhooks::Outbox::new(&db, clock.clone()),
            db,
            courses,
            audit,
            clock,
            badges: Arc::new(game::default_badges()),
        }
    }

    /// Reads, from the pool, what rewarding `user`'s activity in `course` needs. Call it
    /// before opening the activity's transaction.
    pub(crate) async fn prepare(
        &self,
        tenant: TenantId,
        user: UserId,
        course: CourseId,
    ) -> Result<Context, AppError> {
        let published = self.courses.published(tenant, course).await?.map(|c| {
            let lessons = c
                .modules
                .iter()
                .flat_map(|m| m.lessons.iter().map(|l| l.id))
                .collect();
            let quizzes = c
                .modules
                .iter()
                .flat_map(|m| m.quizzes.iter().map(|q| q.id))
                .collect();
            (c.title.clone(), lessons, quizzes)
        });
        let completed = self
            .db
            .enrolments()
            .course_progress(tenant, course, user)
            .await
            .map_err(store_err)?
            .into_iter()
            .filter(|p| p.completed_at.is_some())
            .map(|p| p.lesson)
            .collect();
        let store = self.db.achievements();
        Ok(Context {
            user,
            course,
            tz: self.time_zone(tenant).await?,
            published,
            completed,
            attempts: self
                .db
                .quizzes()
                .finished_attempts(tenant, user, None)
                .await
                .map_err(store_err)?,
            certificates: store
                .certificates(tenant, user)
                .await
                .map_err(store_err)?
                .len(),
            held: store
                .badges(tenant, user)
                .await
                .map_err(store_err)?
                .into_iter()
                .map(|(k, _)| k)
                .collect(),
        })
    }

    /// Records the rewards for `activity` in the caller's transaction, with `ctx` from
    /// [`Self::prepare`]. Works only inside `tx`.
    pub(crate) async fn on_activity(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        mut ctx: Context,
        activity: Activity<'_>,
    ) -> Result<Awards, AppError> {
        let store = self.db.achievements();
        let now = self.now();
        let user = ctx.user;
        // The activity just recorded is not in what `prepare` read: add it.
        match &activity {
            Activity::Lesson { lesson } => {
                ctx.completed.insert(*lesson);
            }
            Activity::Quiz(a) => {
                if a.status == AttemptStatus::Submitted
                    && !ctx.attempts.iter().any(|x| x.id == a.id)
                {
                    ctx.attempts.push((*a).clone());
                }
            }
        }
        let before = store
            .xp_entries(tx, tenant, user)
            .await
            .map_err(store_err)?;
        let mut awards = Awards::default();
        let earned = match &activity {
            Activity::Lesson { lesson } => Some(entry(
                user,
                XpSource::Lesson,
                lesson.to_string(),
                XpEvent::LessonCompleted,
                None,
                now,
            )),
            Activity::Quiz(a) => {
                let passed = a.score().is_some_and(|s| s.passed);
                let first_pass = passed
                    && !before
                        .iter()
                        .any(|e| e.source == XpSource::Quiz && e.reference == a.quiz.to_string());
                let percent = a.score().map_or(0, |s| s.percent);
                let event = XpEvent::QuizPassed {
                    percent,
                    first_pass,
                };
                first_pass.then(|| {
                    entry(
                        user,
                        XpSource::Quiz,
                        a.quiz.to_string(),
                        event,
                        Some(u32::from(percent)),
                        now,
                    )
                })
            }
        };
        if let Some(e) = &earned
            && store.add_xp(tx, tenant, e).await.map_err(store_err)?
        {
            awards.xp += e.amount;
        }
        let previous: Vec<OffsetDateTime> = before.iter().map(|e| e.at).collect();
        if let Some(length) = game::extends_streak(&previous, now, &ctx.tz) {
            let day = game::local_day(now, &ctx.tz).to_string();
            let e = entry(
                user,
                XpSource::Streak,
                day,
                XpEvent::StreakExtended { length },
                Some(length),
                now,
            );
            if store.add_xp(tx, tenant, &e).await.map_err(store_err)? {
                awards.xp += e.amount;
                awards.streak = Some(length);
            }
        }
        if let Activity::Quiz(a) = &activity
            && let Some(score) = a.score().filter(|s| s.passed)
        {
            let data = serde_json::json!({
                "user_id": user, "course_id": a.course, "quiz_id": a.quiz,
                "attempt_id": a.id, "percent": score.percent,
            });
            self.outbox
                .emit_in(tx, tenant, EventType::QuizPassed, Some(user), data)
                .await?;
        }
        awards.certificate = self.certify(tx, tenant, &ctx).await?;
        if let Some(cert) = &awards.certificate {
            let data = serde_json::json!({
                "user_id": user, "course_id": cert.course, "certificate_id": cert.id,
            });
            self.outbox
                .emit_in(tx, tenant, EventType::EnrollmentCompleted, Some(user), data)
                .await?;
        }
        ctx.certificates += usize::from(awards.certificate.is_some());
        awards.badges = self.new_badges(tx, tenant, &ctx).await?;
        Ok(awards)
    }

    /// Issues the course's certificate if this activity completed it.
    async fn certify(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        ctx: &Context,
    ) -> Result<Option<Certificate>, AppError> {
        // Unpublished meanwhile: nothing to certify against.
        let Some((title, lessons, quizzes)) = &ctx.published else {
            return Ok(None);
        };
        let passed: BTreeSet<QuizId> = ctx
            .attempts
            .iter()
            .filter(|a| a.course == ctx.course && a.score().is_some_and(|s| s.passed))
            .map(|a| a.quiz)
            .collect();
        if !is_complete(lessons, &ctx.completed, quizzes, &passed) {
            return Ok(None);
        }
        // Read in the transaction, and only for the rare activity that completes a course.
        let holder = self
            .db
            .users()
            .get_in(tx, tenant, ctx.user)
            .await
            .map_err(store_err)?;
        let mut random = [0u8; 13];
        getrandom::fill(&mut random).map_err(|e| AppError::Internal(e.to_string().into()))?;
        let cert = Certificate {
            id: CertificateId::generate(self.clock.as_ref()),
            course: ctx.course,
            user: ctx.user,
            code: code_from(random),
            holder_name: holder.display_name,
            course_title: title.clone(),
            issued_at: self.now(),
            revoked_at: None,
            revoked_reason: None,
        };
        let issued = self
            .db
            .achievements()
            .issue_certificate(tx, tenant, &cert)
            .await
            .map_err(store_err)?;
        Ok(issued.then_some(cert))
    }

    /// Awards badges the learner's stats now meet; returns the new keys.
    async fn new_badges(
        &self,
        tx: &mut dyn Tx,
        tenant: TenantId,
        ctx: &Context,
    ) -> Result<Vec<String>, AppError> {
        let store = self.db.achievements();
        let ledger = store
            .xp_entries(tx, tenant, ctx.user)
            .await
            .map_err(store_err)?;
        let stats = stats(
            &ledger,
            &ctx.attempts,
            ctx.certificates,
            &ctx.tz,
            self.now(),
        );
        let mut new = Vec::new();
        for rule in game::earned(&self.badges, &stats) {
            if !ctx.held.contains(&rule.key)
                && store
                    .award_badge(tx, tenant, ctx.user, &rule.key, self.now())
                    .await
                    .map_err(store_err)?
            {
                new.push(rule.key.clone());
            }
        }
        Ok(new)
    }

    pub(super) fn now(&self) -> OffsetDateTime {
        super::stored_now(self.clock.as_ref())
    }

    pub(super) async fn time_zone(&self, tenant: TenantId) -> Result<jiff::tz::TimeZone, AppError> {
        let t = self.db.tenants().get(tenant).await.map_err(store_err)?;
        // Validated when set; fall back to UTC rather than fail a learner's request.
        Ok(jiff::tz::TimeZone::get(&t.settings.time_zone).unwrap_or(jiff::tz::TimeZone::UTC))
    }
}

fn entry(
    user: UserId,
    source: XpSource,
    reference: String,
    event: XpEvent,
    detail: Option<u32>,
    at: OffsetDateTime,
) -> XpEntry {
    XpEntry {
        user,
        source,
        reference,
        amount: game::xp_for(&event),
        detail,
        at,
    }
}

/// A learner's stats for badge criteria. Quizzes count once each; a quiz is "perfect"
/// when the learner's first passing attempt at it scored 100% (later retakes, taken
/// once the answers were shown, do not count).
pub(super) fn stats(
    ledger: &[XpEntry],
    attempts: &[Attempt],
    courses_completed: usize,
    tz: &jiff::tz::TimeZone,
    now: OffsetDateTime,
) -> LearnerStats {
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let mut first_pass: std::collections::BTreeMap<QuizId, &Attempt> =
        std::collections::BTreeMap::new();
    for a in attempts
        .iter()
        .filter(|a| a.score().is_some_and(|s| s.passed))
    {
        let earlier = first_pass.get(&a.quiz).is_some_and(|b| b.number < a.number);
        if !earlier {
            first_pass.insert(a.quiz, a);
        }
    }
    let passed = first_pass.len();
    let perfect = first_pass
        .values()
        .filter(|a| a.score().is_some_and(|s| s.percent == 100))
        .count();
    let activity: Vec<OffsetDateTime> = ledger.iter().map(|e| e.at).collect();
    let answers: Vec<_> = attempts.iter().flat_map(Attempt::topic_answers).collect();
    LearnerStats {
        lessons_completed: count(
            ledger
                .iter()
                .filter(|e| e.source == XpSource::Lesson)
                .count(),
        ),
        quizzes_passed: count(passed),
        perfect_quizzes: count(perfect),
        courses_completed: count(courses_completed),
        longest_streak: game::streak(&activity, tz, now).longest,
        xp: ledger.iter().map(|e| u64::from(e.amount)).sum(),
        mastered_topics: mastery(&answers)
            .into_iter()
            .filter(|m| m.level == nexus_domain::learning::quiz::MasteryLevel::Mastered)
            .map(|m| m.topic.as_str().to_owned())
            .collect(),
    }
}
