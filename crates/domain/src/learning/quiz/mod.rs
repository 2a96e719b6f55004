//! Quizzes: question banks, attempts and server-side grading.
//!
//! Authors write questions as [`QuestionSpec`] JSON (in course packages or through the
//! authoring API); [`QuestionSpec::parse`] turns them into checked [`Question`]s. A quiz
//! is a [`QuizSettings`] over a bank. Each attempt [`draw`]s questions with a stored
//! seed, so the same attempt always shows the same questions in the same order on every
//! machine. Learners only ever see a [`PresentedQuestion`], which carries nothing from
//! which the answer could be derived; their [`Response`]s are [`grade`]d here, on the
//! server, and only then is the [`RevealedAnswer`] shown. Topic [`mastery`] is derived
//! from submitted answers rather than stored.
//!
//! - [`question`]: the question model and its answer keys.
//! - [`spec`]: the authoring wire format for questions.
//! - [`bank`]: parsing a whole bank of question specs.
//! - [`settings`]: a quiz's settings and their wire format.
//! - [`shuffle`]: a tiny seeded PRNG, identical on every platform.
//! - [`attempt`]: drawing, presenting, the time limit and the attempt limit.
//! - [`grading`]: responses, credit, revealed answers and the score.
//! - [`mastery`]: per-topic mastery derived from answers.
//! - [`record`]: what is stored: banks, quizzes and attempts.

pub mod attempt;
pub mod bank;
pub mod grading;
pub mod mastery;
pub mod question;
pub mod record;
pub mod settings;
pub mod shuffle;
pub mod spec;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod proptests;

crate::define_id!(
    /// Identifies a quiz.
    QuizId
);
crate::define_id!(
    /// Identifies a question bank: the pool a quiz draws its questions from.
    BankId
);
crate::define_id!(
    /// Identifies a question within its bank.
    QuestionId
);
crate::define_id!(
    /// Identifies one learner's attempt at a quiz.
    AttemptId
);

pub use attempt::{
    AttemptError, DrawnQuestion, PresentedQuestion, SUBMISSION_GRACE, check_submission, deadline,
    draw, may_start, present,
};
pub use bank::parse_bank;
pub use grading::{CorrectAnswer, Graded, Response, RevealedAnswer, Score, grade, reveal, score};
pub use mastery::{MasteryLevel, TopicAnswer, TopicMastery, mastery};
pub use question::{AnswerKey, Question, QuestionKind, Topic};
pub use record::{Attempt, AttemptQuestion, AttemptStatus, Bank, BankSpec, Quiz};
pub use settings::{QuizSettings, QuizSettingsSpec};
pub use spec::QuestionSpec;
