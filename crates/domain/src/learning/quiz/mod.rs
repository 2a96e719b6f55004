//! Quizzes: questions, banks, attempts and server-side grading. (Being written.)
