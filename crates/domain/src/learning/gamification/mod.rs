//! Gamification rules: XP, streaks, badges and leaderboards. (Being written.)
