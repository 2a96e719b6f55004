//! Taking quizzes: `/v1/courses/{id}/quizzes/{quiz}` (what a learner sees before
//! starting), its `/attempts`, `/v1/quiz-attempts/{attempt}` and its `/submission`,
//! and `/v1/courses/{id}/mastery`.
//!
//! While an attempt is open its body carries presented questions only: no correct
//! index, value, tolerance or explanation (`it::quizzes::no_response_leaks_an_answer`
//! inspects every body). Results appear once the attempt is finished.

use super::id;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{JsonBody, SignedIn};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use nexus_app::learning::attempts::LearnerQuiz;
use nexus_domain::learning::CourseId;
use nexus_domain::learning::quiz::{
    Attempt, AttemptId, AttemptStatus, QuestionId, QuizId, Response, RevealedAnswer, TopicMastery,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::OffsetDateTime;
use utoipa::ToSchema;

/// This module's operations, for the OpenAPI document. `/courses/{id}/quizzes/{quiz}`
/// is shared with `quizzes.rs` (PUT and DELETE there, GET here); the document merges
/// the two.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(quiz, start, attempt, submit, mastery))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/courses/{id}/quizzes/{quiz}", get(quiz))
        .route("/courses/{id}/quizzes/{quiz}/attempts", post(start))
        .route("/courses/{id}/mastery", get(mastery))
        .route("/quiz-attempts/{attempt}", get(attempt))
        .route("/quiz-attempts/{attempt}/submission", post(submit))
}

fn html(markdown: &str) -> String {
    nexus_content::render(markdown).into_string()
}

/// A quiz as a learner sees it before starting: its settings and their attempts.
#[derive(Serialize, ToSchema)]
#[schema(as = QuizForLearner)]
struct QuizOut {
    id: QuizId,
    title: String,
    /// Questions per attempt (`null`: the whole bank).
    questions: Option<i64>,
    /// Score needed to pass, 0–100.
    pass_mark_percent: i64,
    /// Attempts allowed (`null`: unlimited).
    max_attempts: Option<i64>,
    /// Time allowed per attempt (`null`: untimed).
    time_limit_minutes: Option<i64>,
    /// The caller's attempts, by number.
    attempts: Vec<AttemptSummary>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = QuizAttemptSummary)]
struct AttemptSummary {
    id: AttemptId,
    /// The learner's attempt number at this quiz, from 1.
    number: u32,
    status: AttemptStatus,
    #[serde(with = "time::serde::rfc3339")]
    started_at: OffsetDateTime,
    /// When the time limit runs out (`null`: untimed).
    #[serde(with = "time::serde::rfc3339::option")]
    deadline: Option<OffsetDateTime>,
    /// Present once the attempt is finished.
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<ScoreOut>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = QuizScore)]
struct ScoreOut {
    /// Earned over possible, rounded down, 0–100.
    percent: u8,
    /// Whether `percent` reaches the pass mark.
    passed: bool,
    /// Points earned, in thousandths of a point.
    earned_milli: u64,
    /// Points available, in thousandths of a point.
    possible_milli: u64,
}

/// A question as presented: nothing from which its answer could be derived.
#[derive(Serialize, ToSchema)]
#[schema(as = QuizPresentedQuestion)]
struct QuestionOut {
    id: QuestionId,
    #[serde(rename = "type")]
    kind: nexus_domain::learning::quiz::QuestionKind,
    /// Topic slug.
    topic: String,
    /// The prompt, rendered from Markdown.
    prompt_html: String,
    /// What the question is worth, 1–10.
    points: u32,
    /// Options (single choice, multiple select) or items (ordering) in presented
    /// order; responses refer to them by index. Empty for other types.
    options: Vec<String>,
}

/// How one question of a finished attempt was graded.
#[derive(Serialize, ToSchema)]
#[schema(as = QuizQuestionResult)]
struct ResultOut {
    question: QuestionId,
    /// Credit earned, 0–1000.
    credit_permille: u16,
    /// The learner's response; absent if unanswered.
    #[serde(skip_serializing_if = "Option::is_none")]
    response: Option<Response>,
    /// Only once answers may be shown: after a pass or the last allowed attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    correct: Option<RevealedAnswer>,
    /// The explanation, rendered from Markdown; shown when `correct` is.
    #[serde(skip_serializing_if = "Option::is_none")]
    explanation_html: Option<String>,
}

/// One attempt as its learner sees it.
#[derive(Serialize, ToSchema)]
#[schema(as = QuizAttempt)]
struct AttemptOut {
    #[serde(flatten)]
    summary: AttemptSummary,
    quiz: QuizId,
    course: CourseId,
    /// When it was submitted or expired (`null`: still open).
    #[serde(with = "time::serde::rfc3339::option")]
    finished_at: Option<OffsetDateTime>,
    /// The drawn questions, in presented order.
    questions: Vec<QuestionOut>,
    /// Present once the attempt is finished, never before.
    #[serde(skip_serializing_if = "Option::is_none")]
    results: Option<Vec<ResultOut>>,
    /// What the submission earned (submission responses only).
    #[serde(skip_serializing_if = "Option::is_none")]
    awards: Option<super::rewards::AwardsOut>,
}

fn summary(a: &Attempt) -> AttemptSummary {
    AttemptSummary {
        id: a.id,
        number: a.number,
        status: a.status,
        started_at: a.started_at,
        deadline: a.deadline,
        score: a.score().map(|s| ScoreOut {
            percent: s.percent,
            passed: s.passed,
            earned_milli: s.earned_milli,
            possible_milli: s.possible_milli,
        }),
    }
}

/// An attempt as its learner sees it. `reveal`: whether correct answers and
/// explanations may be shown (a pass, or no attempts left; never while one is open).
fn attempt_out(a: &Attempt, reveal: bool) -> AttemptOut {
    let questions = a
        .presented()
        .into_iter()
        .map(|p| QuestionOut {
            id: p.id,
            kind: p.kind,
            topic: p.topic.as_str().to_owned(),
            prompt_html: html(&p.prompt),
            points: p.points,
            options: p.options,
        })
        .collect();
    let results = a.revealed().map(|revealed| {
        revealed
            .into_iter()
            .zip(&a.graded)
            .map(|(r, g)| ResultOut {
                question: r.question,
                credit_permille: g.credit_permille,
                response: a.responses.get(&r.question).cloned(),
                explanation_html: reveal.then(|| html(&r.explanation)),
                correct: reveal.then_some(r),
            })
            .collect()
    });
    AttemptOut {
        summary: summary(a),
        quiz: a.quiz,
        course: a.course,
        finished_at: a.finished_at,
        questions,
        results,
        awards: None,
    }
}

/// `GET /v1/courses/{id}/quizzes/{quiz}` — settings and the learner's attempts.
#[utoipa::path(get, path = "/courses/{id}/quizzes/{quiz}", operation_id = "quizzes_show", tag = "Quizzes",
    params(("id" = String, Path, description = "The course's ID"), ("quiz" = String, Path, description = "The quiz's ID")),
    responses((status = 200, description = "The quiz's settings and the caller's attempts", body = QuizOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn quiz(
    State(s): State<AppState>,
    signed: SignedIn,
    Path((course, quiz)): Path<(String, String)>,
) -> Result<Json<QuizOut>, ApiError> {
    let LearnerQuiz { quiz, attempts } = s
        .services
        .quizzes
        .quiz(
            &signed.caller(),
            signed.tenant,
            id(&course, "course")?,
            id(&quiz, "quiz")?,
        )
        .await?;
    Ok(Json(QuizOut {
        id: quiz.id,
        title: quiz.settings.title,
        questions: quiz.settings.draw,
        pass_mark_percent: quiz.settings.pass_mark_percent,
        max_attempts: quiz.settings.max_attempts,
        time_limit_minutes: quiz.settings.time_limit_minutes,
        attempts: attempts.iter().map(summary).collect(),
    }))
}

/// `POST /v1/courses/{id}/quizzes/{quiz}/attempts` — starts an attempt (201), or
/// returns the open one (200).
#[utoipa::path(post, path = "/courses/{id}/quizzes/{quiz}/attempts", operation_id = "quiz_attempts_start", tag = "Quiz attempts",
    params(("id" = String, Path, description = "The course's ID"), ("quiz" = String, Path, description = "The quiz's ID")),
    responses((status = 201, description = "A new attempt", body = AttemptOut), (status = 200, description = "The attempt already open", body = AttemptOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn start(
    State(s): State<AppState>,
    signed: SignedIn,
    Path((course, quiz)): Path<(String, String)>,
) -> Result<(StatusCode, Json<AttemptOut>), ApiError> {
    let (attempt, created) = s
        .services
        .quizzes
        .start(
            &signed.caller(),
            signed.tenant,
            id(&course, "course")?,
            id(&quiz, "quiz")?,
        )
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(attempt_out(&attempt, false))))
}

/// `GET /v1/quiz-attempts/{attempt}` — one of the caller's attempts.
#[utoipa::path(get, path = "/quiz-attempts/{attempt}", operation_id = "quiz_attempts_show", tag = "Quiz attempts",
    params(("attempt" = String, Path, description = "The attempt's ID")),
    responses((status = 200, description = "The attempt; results once it is finished", body = AttemptOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn attempt(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(attempt): Path<String>,
) -> Result<Json<AttemptOut>, ApiError> {
    let (a, reveal) = s
        .services
        .quizzes
        .attempt(&signed.caller(), signed.tenant, id(&attempt, "attempt")?)
        .await?;
    Ok(Json(attempt_out(&a, reveal)))
}

#[derive(Deserialize, ToSchema)]
#[schema(as = QuizSubmission)]
#[serde(deny_unknown_fields)]
struct SubmissionIn {
    /// Responses by question ID; unanswered questions are simply absent.
    #[serde(default)]
    responses: BTreeMap<QuestionId, Response>,
}

/// `POST /v1/quiz-attempts/{attempt}/submission` — grades the attempt.
#[utoipa::path(post, path = "/quiz-attempts/{attempt}/submission", operation_id = "quiz_attempts_submit", tag = "Quiz attempts",
    params(("attempt" = String, Path, description = "The attempt's ID")),
    request_body = SubmissionIn,
    responses((status = 200, description = "The graded attempt, with what it earned", body = AttemptOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn submit(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(attempt): Path<String>,
    JsonBody(body): JsonBody<SubmissionIn>,
) -> Result<Json<AttemptOut>, ApiError> {
    let (a, awards, reveal) = s
        .services
        .quizzes
        .submit(
            &signed.caller(),
            signed.tenant,
            id(&attempt, "attempt")?,
            body.responses,
        )
        .await?;
    let mut out = attempt_out(&a, reveal);
    out.awards = Some(awards.into());
    Ok(Json(out))
}

#[derive(Serialize, ToSchema)]
#[schema(as = QuizMastery)]
struct MasteryOut {
    /// Each topic the caller has answered in the course's finished attempts, by topic.
    topics: Vec<TopicMastery>,
}

/// `GET /v1/courses/{id}/mastery` — the learner's mastery per topic.
#[utoipa::path(get, path = "/courses/{id}/mastery", operation_id = "quizzes_mastery", tag = "Quizzes",
    params(("id" = String, Path, description = "The course's ID")),
    responses((status = 200, description = "The caller's mastery per topic", body = MasteryOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn mastery(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(course): Path<String>,
) -> Result<Json<MasteryOut>, ApiError> {
    let topics = s
        .services
        .quizzes
        .mastery(&signed.caller(), signed.tenant, id(&course, "course")?)
        .await?;
    Ok(Json(MasteryOut { topics }))
}
