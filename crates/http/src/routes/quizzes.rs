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

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi()]
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

#[derive(Serialize)]
struct BankOut {
    id: BankId,
    #[serde(flatten)]
    spec: BankSpec,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: time::OffsetDateTime,
}

impl From<Bank> for BankOut {
    fn from(b: Bank) -> Self {
        Self {
            id: b.id,
            spec: BankSpec::from_bank(&b),
            updated_at: b.updated_at,
        }
    }
}

#[derive(Serialize)]
struct QuizOut {
    id: QuizId,
    module: ModuleId,
    position: u32,
    bank_id: BankId,
    #[serde(flatten)]
    settings: QuizSettingsSpec,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: time::OffsetDateTime,
}

impl QuizOut {
    fn new(q: &Quiz, bank_key: &str) -> Self {
        Self {
            settings: QuizSettingsSpec::from_settings(&q.settings, bank_key),
            id: q.id,
            module: q.module,
            position: q.position,
            bank_id: q.bank,
            updated_at: q.updated_at,
        }
    }
}

#[derive(Serialize)]
struct Items<T> {
    items: Vec<T>,
}

/// `GET /v1/courses/{id}/banks` — the course's banks, answers included (authors).
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
