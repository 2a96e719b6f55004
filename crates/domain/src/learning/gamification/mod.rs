//! Gamification: the pure rules for XP, daily streaks, badges and leaderboards. Storage
//! records the facts (activity instants, completions, awards); these decide what they
//! are worth.
//!
//! - [`xp`]: what each event earns, and the level curve.
//! - [`streak`](mod@streak): consecutive active days in the tenant's time zone.
//! - [`badges`]: achievements with declarative, validated JSON criteria; [`catalogue`]:
//!   the built-in ones.
//! - [`leaderboard`]: XP rankings in which only learners who opted in are named.
//! - [`ledger`]: the XP ledger's entries, one per award.

pub mod badges;
pub mod catalogue;
pub mod leaderboard;
pub mod ledger;
pub mod streak;
pub mod xp;

pub use badges::{BadgeRule, Criterion, LearnerStats, earned, newly_earned, parse_criterion};
pub use catalogue::default_badges;
pub use leaderboard::{Contender, Row, Visibility, rank};
pub use ledger::{XpEntry, XpSource};
pub use streak::{Streak, extends_streak, local_day, streak};
pub use xp::{LevelInfo, XpEvent, level_for, xp_for};

#[cfg(test)]
mod tests;
