//! The platform's built-in badges. Tenants may author more (see [`super::badges`]).

use super::badges::{BadgeRule, Criterion};

/// The platform's built-in badges; tenants may add their own.
pub fn default_badges() -> Vec<BadgeRule> {
    use Criterion::{AllOf, AnyOf, CoursesCompleted, LessonsCompleted, PerfectQuizzes};
    use Criterion::{QuizzesPassed, StreakDays, XpAtLeast};
    let topic = |t: &str| Criterion::TopicMastered {
        topic: t.to_owned(),
    };
    let rule = |key: &str, name: &str, description: &str, criterion| BadgeRule {
        key: key.to_owned(),
        name: name.to_owned(),
        description: description.to_owned(),
        criterion,
    };
    vec![
        rule(
            "first_steps",
            "First Steps",
            "Completed a first lesson.",
            LessonsCompleted(1),
        ),
        rule(
            "bookworm",
            "Bookworm",
            "Completed 10 lessons.",
            LessonsCompleted(10),
        ),
        rule(
            "quiz_whiz",
            "Quiz Whiz",
            "Passed 5 quizzes.",
            QuizzesPassed(5),
        ),
        rule(
            "perfectionist",
            "Perfectionist",
            "Scored 100% on a quiz.",
            PerfectQuizzes(1),
        ),
        rule(
            "on_fire",
            "On Fire",
            "Kept a 7-day learning streak.",
            StreakDays(7),
        ),
        rule(
            "unstoppable",
            "Unstoppable",
            "Kept a 30-day learning streak.",
            StreakDays(30),
        ),
        rule(
            "graduate",
            "Graduate",
            "Completed a course.",
            CoursesCompleted(1),
        ),
        rule(
            "budget_boss",
            "Budget Boss",
            "Mastered budgeting.",
            topic("budgeting"),
        ),
        rule(
            "money_master",
            "Money Master",
            "Mastered budgeting, emergency funds and investing basics.",
            AllOf(vec![
                topic("budgeting"),
                topic("emergency-funds"),
                topic("investing-basics"),
            ]),
        ),
        rule(
            "scholar",
            "Scholar",
            "Completed 3 courses, with 5 perfect quizzes or 2,000 XP.",
            AllOf(vec![
                CoursesCompleted(3),
                AnyOf(vec![PerfectQuizzes(5), XpAtLeast(2000)]),
            ]),
        ),
    ]
}
