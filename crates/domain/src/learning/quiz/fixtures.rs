//! Test questions and settings shared by the quiz tests.

use super::{AnswerKey, BankId, Question, QuestionId, QuizSettings, Topic};

pub fn qid(n: u128) -> QuestionId {
    QuestionId::from_uuid(uuid::Uuid::from_u128(n))
}

pub fn bank_id() -> BankId {
    BankId::from_uuid(uuid::Uuid::from_u128(0xB))
}

fn strings(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|&s| s.to_owned()).collect()
}

/// "Which of these grows fastest?" with the answer `C`.
pub fn single() -> AnswerKey {
    AnswerKey::SingleChoice {
        options: strings(&["A", "B", "C", "D"]),
        correct: 2,
    }
}

/// Three correct options of four.
pub fn multiple() -> AnswerKey {
    AnswerKey::MultipleSelect {
        options: strings(&["Stocks", "Bonds", "Lottery", "Index funds"]),
        correct: vec![0, 1, 3],
    }
}

pub fn true_false() -> AnswerKey {
    AnswerKey::TrueFalse { correct: true }
}

pub fn numeric() -> AnswerKey {
    AnswerKey::Numeric {
        correct: 1628.89,
        tolerance: 0.01,
    }
}

pub fn ordering() -> AnswerKey {
    AnswerKey::Ordering {
        items: strings(&["Earn", "Budget", "Save", "Invest"]),
    }
}

pub fn question(n: u128, answer: AnswerKey) -> Question {
    Question {
        id: qid(n),
        bank: bank_id(),
        key: format!("q-{n}"),
        topic: Topic::parse("compound-interest").unwrap(),
        prompt: "What is **it**?".to_owned(),
        explanation: "Because of *compounding*.".to_owned(),
        points: 2,
        answer,
    }
}

/// One question of every kind, in [`super::QuestionKind::ALL`] order.
pub fn one_of_each() -> Vec<Question> {
    [single(), multiple(), true_false(), numeric(), ordering()]
        .into_iter()
        .zip(1..)
        .map(|(a, n)| question(n, a))
        .collect()
}

/// `n` questions, cycling through the kinds.
pub fn bank(n: u128) -> Vec<Question> {
    let kinds = one_of_each();
    (0..n)
        .zip(kinds.iter().cycle())
        .map(|(i, q)| question(100 + i, q.answer.clone()))
        .collect()
}

pub fn settings() -> QuizSettings {
    QuizSettings {
        title: "Interest basics".to_owned(),
        draw: None,
        pass_mark_percent: 70,
        max_attempts: None,
        time_limit: None,
        shuffle_questions: false,
        shuffle_options: false,
    }
}
