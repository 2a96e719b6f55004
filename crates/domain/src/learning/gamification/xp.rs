//! Experience points: what each learning event is worth, and how XP maps to a level.
//!
//! | Event                                   | XP                                   |
//! |-----------------------------------------|--------------------------------------|
//! | Lesson completed                        | 10                                   |
//! | Quiz passed, first time                 | 20, plus 10 more for a 100% score    |
//! | Quiz passed again                       | 0 (retaking a quiz cannot farm XP)   |
//! | Streak extended to a new day            | 5                                    |
//! | … and the streak reaches 7 days         | +25 milestone bonus                  |
//! | … and the streak reaches 30 days        | +100 milestone bonus                 |
//!
//! Levels start at 1; going from level *n* to *n + 1* costs `100 · n` XP, so level 2 is
//! reached at 100 XP, level 3 at 300, level 4 at 600 (`50 · n · (n − 1)` in total).

use serde::{Deserialize, Serialize};

/// XP for completing a lesson.
pub const LESSON_XP: u32 = 10;
/// XP for passing a quiz for the first time.
pub const QUIZ_PASS_XP: u32 = 20;
/// Extra XP when that first pass scores 100%.
pub const PERFECT_QUIZ_BONUS: u32 = 10;
/// XP for each day a streak is extended.
pub const STREAK_DAY_XP: u32 = 5;
/// Bonus for the day a streak reaches [`WEEK_STREAK`] days.
pub const WEEK_STREAK_BONUS: u32 = 25;
/// Bonus for the day a streak reaches [`MONTH_STREAK`] days.
pub const MONTH_STREAK_BONUS: u32 = 100;
/// Streak length that earns [`WEEK_STREAK_BONUS`].
pub const WEEK_STREAK: u32 = 7;
/// Streak length that earns [`MONTH_STREAK_BONUS`].
pub const MONTH_STREAK: u32 = 30;
/// XP needed to go from level 1 to level 2; each later level costs this times its number.
pub const LEVEL_STEP_XP: u64 = 100;

/// Something a learner did that may earn XP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum XpEvent {
    /// A lesson was completed (the caller records each lesson's completion once).
    LessonCompleted,
    /// A quiz attempt passed.
    QuizPassed {
        /// Score, 0–100; anything above 100 counts as 100.
        percent: u8,
        /// Whether this is the learner's first passing attempt at this quiz.
        first_pass: bool,
    },
    /// The learner's first activity on a new local day extended their streak (see
    /// [`super::streak::extends_streak`]).
    StreakExtended {
        /// The streak's length including the new day.
        length: u32,
    },
}

/// The XP an event earns, per the table in the [module docs](self).
pub fn xp_for(event: &XpEvent) -> u32 {
    match *event {
        XpEvent::LessonCompleted => LESSON_XP,
        XpEvent::QuizPassed {
            percent,
            first_pass,
        } => quiz_xp(percent, first_pass),
        XpEvent::StreakExtended { length } => streak_xp(length),
    }
}

fn quiz_xp(percent: u8, first_pass: bool) -> u32 {
    // Only the first pass pays, so retaking a passed quiz cannot farm XP.
    match (first_pass, percent >= 100) {
        (false, _) => 0,
        (true, true) => QUIZ_PASS_XP + PERFECT_QUIZ_BONUS,
        (true, false) => QUIZ_PASS_XP,
    }
}

fn streak_xp(length: u32) -> u32 {
    // Milestones pay on the exact day they are reached, so each streak pays each at most
    // once; a broken and rebuilt streak may earn them again. A streak of length 0 cannot
    // have been extended, so it pays nothing.
    match length {
        0 => 0,
        WEEK_STREAK => STREAK_DAY_XP + WEEK_STREAK_BONUS,
        MONTH_STREAK => STREAK_DAY_XP + MONTH_STREAK_BONUS,
        _ => STREAK_DAY_XP,
    }
}

/// Where a total XP puts a learner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = AchievementsLevel))]
pub struct LevelInfo {
    /// Current level, from 1.
    pub level: u32,
    /// XP earned since reaching `level`.
    pub xp_into_level: u64,
    /// XP that `level` spans: reaching the next level takes `xp_for_next − xp_into_level`.
    pub xp_for_next: u64,
}

/// Total XP needed to reach `level` (0 for level 0 or 1).
/// Saturates at `u64::MAX` for levels no `u64` total can reach.
pub fn xp_to_reach(level: u32) -> u64 {
    u64::try_from(threshold(level)).unwrap_or(u64::MAX)
}

/// Exact total XP needed to reach `level`; `u128` so that no level overflows.
fn threshold(level: u32) -> u128 {
    let n = u128::from(level.max(1));
    u128::from(LEVEL_STEP_XP) * n * (n - 1) / 2
}

/// The level a total XP reaches, and the progress towards the next.
pub fn level_for(total_xp: u64) -> LevelInfo {
    // Binary search for the highest level whose threshold is within `total_xp`; the
    // closed form needs a square root, and floats would round wrongly near boundaries.
    // Level 2^32 − 1 costs ~9.2e20 XP, beyond any u64, so the answer fits the range.
    let (mut lo, mut hi) = (1_u32, u32::MAX);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if threshold(mid) <= u128::from(total_xp) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    LevelInfo {
        level: lo,
        xp_into_level: total_xp - xp_to_reach(lo),
        xp_for_next: LEVEL_STEP_XP * u64::from(lo),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn quiz(percent: u8, first_pass: bool) -> u32 {
        xp_for(&XpEvent::QuizPassed {
            percent,
            first_pass,
        })
    }

    fn streak(length: u32) -> u32 {
        xp_for(&XpEvent::StreakExtended { length })
    }

    #[test]
    fn the_xp_table() {
        assert_eq!(xp_for(&XpEvent::LessonCompleted), 10);
        assert_eq!(quiz(70, true), 20);
        assert_eq!(quiz(100, true), 30);
        assert_eq!(quiz(255, true), 30, "over 100 counts as 100");
        assert_eq!(quiz(100, false), 0, "retakes earn nothing");
        assert_eq!(streak(1), 5);
        assert_eq!(streak(6), 5);
        assert_eq!(streak(7), 30);
        assert_eq!(streak(8), 5);
        assert_eq!(streak(30), 105);
        assert_eq!(streak(0), 0);
    }

    #[test]
    fn levels_follow_the_curve() {
        let at = |xp| {
            let l = level_for(xp);
            (l.level, l.xp_into_level, l.xp_for_next)
        };
        assert_eq!(at(0), (1, 0, 100));
        assert_eq!(at(99), (1, 99, 100));
        assert_eq!(at(100), (2, 0, 200));
        assert_eq!(at(299), (2, 199, 200));
        assert_eq!(at(300), (3, 0, 300));
        assert_eq!(at(600), (4, 0, 400));
        assert_eq!(xp_to_reach(0), 0);
        assert_eq!(xp_to_reach(10), 4_500);
        let top = level_for(u64::MAX);
        assert!(top.xp_into_level < top.xp_for_next);
    }

    #[test]
    fn events_have_a_tagged_wire_shape() {
        let e = XpEvent::QuizPassed {
            percent: 90,
            first_pass: true,
        };
        let json = serde_json::to_value(e).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "quiz_passed", "percent": 90, "first_pass": true})
        );
        assert_eq!(serde_json::from_value::<XpEvent>(json).unwrap(), e);
    }

    proptest! {
        #[test]
        fn level_is_monotonic_in_xp(a in any::<u64>(), b in any::<u64>()) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(level_for(lo).level <= level_for(hi).level);
        }

        #[test]
        fn progress_stays_within_the_level(xp in any::<u64>()) {
            let l = level_for(xp);
            prop_assert!(l.level >= 1);
            prop_assert!(l.xp_into_level < l.xp_for_next);
            prop_assert_eq!(xp_to_reach(l.level) + l.xp_into_level, xp);
            prop_assert_eq!(
                threshold(l.level + 1) - threshold(l.level),
                u128::from(l.xp_for_next)
            );
            prop_assert!(threshold(l.level + 1) > u128::from(xp));
        }
    }
}
