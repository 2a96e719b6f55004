//! `/v1/courses/{id}/banks|quizzes`: authoring question banks and quizzes. These
//! responses carry answer keys, so every handler here needs `course:write` (checked in
//! the service); learners take quizzes through `attempts.rs`.

use super::id;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{JsonBody, SignedIn};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use nexus_domain::learning::quiz::{Bank, BankId, BankSpec, Quiz, QuizId, QuizSettingsSpec};
use nexus_domain::learning::{CourseId, ModuleId};
use serde::Serialize;
use utoipa::ToSchema;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(
        list_banks,
        create_bank,
        get_bank,
        replace_bank,
        delete_bank,
        list_quizzes,
        create_quiz,
        update_quiz,
        delete_quiz
    ))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/courses/{id}/banks", get(list_banks).post(create_bank))
        .route(
            "/courses/{id}/banks/{bank}",
            get(get_bank).put(replace_bank).delete(delete_bank),
        )
        .route("/courses/{id}/quizzes", get(list_quizzes))
        .route("/courses/{id}/modules/{module}/quizzes", post(create_quiz))
        .route(
            "/courses/{id}/quizzes/{quiz}",
            put(update_quiz).delete(delete_quiz),
        )
}

/// A question bank as its authors see it: the authoring shape, answers included.
#[derive(Serialize, ToSchema)]
#[schema(as = QuizBank)]
struct BankOut {
    id: BankId,
    // The authoring shape's fields, spelled out rather than flattened: the spec denies
    // unknown fields as a request body, and a flattened copy of its schema would then
    // deny this response's own `id` and `updated_at`.
    /// Slug, unique in the course.
    key: String,
    /// 1–200 characters.
    title: String,
    /// Up to 500 questions, answers included.
    questions: Vec<nexus_domain::learning::quiz::QuestionSpec>,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: time::OffsetDateTime,
}

impl From<Bank> for BankOut {
    fn from(b: Bank) -> Self {
        let spec = BankSpec::from_bank(&b);
        Self {
            id: b.id,
            key: spec.key,
            title: spec.title,
            questions: spec.questions,
            updated_at: b.updated_at,
        }
    }
}

/// A quiz as its authors see it: where it sits in the outline, and its settings.
#[derive(Serialize, ToSchema)]
#[schema(as = QuizAuthored)]
struct QuizOut {
    id: QuizId,
    /// The module it closes.
    module: ModuleId,
    /// Its place among the module's quizzes, from 0.
    position: u32,
    /// The bank it draws from (`bank` is that bank's key).
    bank_id: BankId,
    // The settings' fields, spelled out for the same reason as `BankOut`'s.
    /// Title, 1–200 characters.
    title: String,
    /// The key of the bank it draws from.
    bank: String,
    /// Questions drawn per attempt; absent: the whole bank.
    #[serde(skip_serializing_if = "Option::is_none")]
    draw: Option<i64>,
    /// Score needed to pass, 0–100.
    pass_mark_percent: i64,
    /// Attempts allowed per learner; absent: unlimited.
    #[serde(skip_serializing_if = "Option::is_none")]
    max_attempts: Option<i64>,
    /// Minutes per attempt; absent: no limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    time_limit_minutes: Option<i64>,
    /// Question order is shuffled.
    shuffle_questions: bool,
    /// Options are shuffled.
    shuffle_options: bool,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: time::OffsetDateTime,
}

impl QuizOut {
    fn new(q: &Quiz, bank_key: &str) -> Self {
        let s = QuizSettingsSpec::from_settings(&q.settings, bank_key);
        Self {
            id: q.id,
            module: q.module,
            position: q.position,
            bank_id: q.bank,
            title: s.title,
            bank: s.bank,
            draw: s.draw,
            pass_mark_percent: s.pass_mark_percent,
            max_attempts: s.max_attempts,
            time_limit_minutes: s.time_limit_minutes,
            shuffle_questions: s.shuffle_questions,
            shuffle_options: s.shuffle_options,
            updated_at: q.updated_at,
        }
    }
}

/// A whole list, unpaged.
#[derive(Serialize, ToSchema)]
#[schema(as = QuizItems)]
struct Items<T> {
    items: Vec<T>,
}

/// `GET /v1/courses/{id}/banks` — the course's banks, answers included (authors).
#[utoipa::path(get, path = "/courses/{id}/banks", operation_id = "quiz_banks_list", tag = "Question banks",
    params(("id" = String, Path, description = "The course's ID")),
    responses((status = 200, description = "The course's banks, answers included", body = Items<BankOut>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn list_banks(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(course): Path<String>,
) -> Result<Json<Items<BankOut>>, ApiError> {
    let banks = s
        .services
        .courses
        .banks(&signed.caller(), signed.tenant, id(&course, "course")?)
        .await?;
    Ok(Json(Items {
        items: banks.into_iter().map(BankOut::from).collect(),
    }))
}

/// `POST /v1/courses/{id}/banks` — adds a bank.
#[utoipa::path(post, path = "/courses/{id}/banks", operation_id = "quiz_banks_create", tag = "Question banks",
    params(("id" = String, Path, description = "The course's ID")),
    request_body = BankSpec,
    responses((status = 201, description = "The new bank", body = BankOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn create_bank(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(course): Path<String>,
    JsonBody(spec): JsonBody<BankSpec>,
) -> Result<(StatusCode, Json<BankOut>), ApiError> {
    let bank = s
        .services
        .courses
        .create_bank(
            &signed.caller(),
            signed.tenant,
            id(&course, "course")?,
            &spec,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(bank.into())))
}

/// `GET /v1/courses/{id}/banks/{bank}` — one bank (authors).
#[utoipa::path(get, path = "/courses/{id}/banks/{bank}", operation_id = "quiz_banks_show", tag = "Question banks",
    params(("id" = String, Path, description = "The course's ID"), ("bank" = String, Path, description = "The question bank's ID")),
    responses((status = 200, description = "The bank, answers included", body = BankOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn get_bank(
    State(s): State<AppState>,
    signed: SignedIn,
    Path((course, bank)): Path<(String, String)>,
) -> Result<Json<BankOut>, ApiError> {
    let bank = s
        .services
        .courses
        .bank(
            &signed.caller(),
            signed.tenant,
            id(&course, "course")?,
            id(&bank, "bank")?,
        )
        .await?;
    Ok(Json(bank.into()))
}

/// `PUT /v1/courses/{id}/banks/{bank}` — replaces title and questions.
#[utoipa::path(put, path = "/courses/{id}/banks/{bank}", operation_id = "quiz_banks_replace", tag = "Question banks",
    params(("id" = String, Path, description = "The course's ID"), ("bank" = String, Path, description = "The question bank's ID")),
    request_body = BankSpec,
    responses((status = 200, description = "The bank as replaced", body = BankOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn replace_bank(
    State(s): State<AppState>,
    signed: SignedIn,
    Path((course, bank)): Path<(String, String)>,
    JsonBody(spec): JsonBody<BankSpec>,
) -> Result<Json<BankOut>, ApiError> {
    let bank = s
        .services
        .courses
        .replace_bank(
            &signed.caller(),
            signed.tenant,
            id(&course, "course")?,
            id(&bank, "bank")?,
            &spec,
        )
        .await?;
    Ok(Json(bank.into()))
}

/// `DELETE /v1/courses/{id}/banks/{bank}` — 409 `bank_in_use` while a quiz uses it.
#[utoipa::path(delete, path = "/courses/{id}/banks/{bank}", operation_id = "quiz_banks_delete", tag = "Question banks",
    params(("id" = String, Path, description = "The course's ID"), ("bank" = String, Path, description = "The question bank's ID")),
    responses((status = 204, description = "The bank is gone")),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn delete_bank(
    State(s): State<AppState>,
    signed: SignedIn,
    Path((course, bank)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    s.services
        .courses
        .delete_bank(
            &signed.caller(),
            signed.tenant,
            id(&course, "course")?,
            id(&bank, "bank")?,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Bank keys by ID, to show quizzes with the key their author wrote.
async fn bank_keys(
    s: &AppState,
    signed: &SignedIn,
    course: CourseId,
) -> Result<Vec<(BankId, String)>, ApiError> {
    let banks = s
        .services
        .courses
        .banks(&signed.caller(), signed.tenant, course)
        .await?;
    Ok(banks.into_iter().map(|b| (b.id, b.key)).collect())
}

fn key_of(keys: &[(BankId, String)], bank: BankId) -> &str {
    keys.iter()
        .find(|(id, _)| *id == bank)
        .map_or("", |(_, k)| k)
}

/// `GET /v1/courses/{id}/quizzes` — the draft's quizzes in outline order (authors).
#[utoipa::path(get, path = "/courses/{id}/quizzes", operation_id = "quizzes_list", tag = "Quizzes",
    params(("id" = String, Path, description = "The course's ID")),
    responses((status = 200, description = "The draft's quizzes in outline order", body = Items<QuizOut>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn list_quizzes(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(course): Path<String>,
) -> Result<Json<Items<QuizOut>>, ApiError> {
    let course = id(&course, "course")?;
    let quizzes = s
        .services
        .courses
        .quizzes(&signed.caller(), signed.tenant, course)
        .await?;
    let keys = bank_keys(&s, &signed, course).await?;
    Ok(Json(Items {
        items: quizzes
            .into_iter()
            .map(|q| {
                let key = key_of(&keys, q.bank).to_owned();
                QuizOut::new(&q, &key)
            })
            .collect(),
    }))
}

/// `POST /v1/courses/{id}/modules/{module}/quizzes` — places a quiz in a module.
#[utoipa::path(post, path = "/courses/{id}/modules/{module}/quizzes", operation_id = "quizzes_create", tag = "Quizzes",
    params(("id" = String, Path, description = "The course's ID"), ("module" = String, Path, description = "The ID of the module to place the quiz in")),
    request_body = QuizSettingsSpec,
    responses((status = 201, description = "The new quiz", body = QuizOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn create_quiz(
    State(s): State<AppState>,
    signed: SignedIn,
    Path((course, module)): Path<(String, String)>,
    JsonBody(spec): JsonBody<QuizSettingsSpec>,
) -> Result<(StatusCode, Json<QuizOut>), ApiError> {
    let quiz = s
        .services
        .courses
        .create_quiz(
            &signed.caller(),
            signed.tenant,
            id(&course, "course")?,
            id(&module, "module")?,
            &spec,
        )
        .await?;
    let key = spec.bank.trim().to_lowercase();
    Ok((StatusCode::CREATED, Json(QuizOut::new(&quiz, &key))))
}

/// `PUT /v1/courses/{id}/quizzes/{quiz}` — replaces a quiz's settings.
#[utoipa::path(put, path = "/courses/{id}/quizzes/{quiz}", operation_id = "quizzes_update", tag = "Quizzes",
    params(("id" = String, Path, description = "The course's ID"), ("quiz" = String, Path, description = "The quiz's ID")),
    request_body = QuizSettingsSpec,
    responses((status = 200, description = "The quiz with its new settings", body = QuizOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn update_quiz(
    State(s): State<AppState>,
    signed: SignedIn,
    Path((course, quiz)): Path<(String, String)>,
    JsonBody(spec): JsonBody<QuizSettingsSpec>,
) -> Result<Json<QuizOut>, ApiError> {
    let quiz = s
        .services
        .courses
        .update_quiz(
            &signed.caller(),
            signed.tenant,
            id(&course, "course")?,
            id(&quiz, "quiz")?,
            &spec,
        )
        .await?;
    let key = spec.bank.trim().to_lowercase();
    Ok(Json(QuizOut::new(&quiz, &key)))
}

/// `DELETE /v1/courses/{id}/quizzes/{quiz}` — removes a quiz and its attempts.
#[utoipa::path(delete, path = "/courses/{id}/quizzes/{quiz}", operation_id = "quizzes_delete", tag = "Quizzes",
    params(("id" = String, Path, description = "The course's ID"), ("quiz" = String, Path, description = "The quiz's ID")),
    responses((status = 204, description = "The quiz and its attempts are gone")),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn delete_quiz(
    State(s): State<AppState>,
    signed: SignedIn,
    Path((course, quiz)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    s.services
        .courses
        .delete_quiz(
            &signed.caller(),
            signed.tenant,
            id(&course, "course")?,
            id(&quiz, "quiz")?,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
