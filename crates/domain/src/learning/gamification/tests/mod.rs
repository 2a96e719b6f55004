//! Tests of the gamification rules through their public API.

mod badges;
mod leaderboard;
mod streak;
