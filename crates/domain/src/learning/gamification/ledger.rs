//! The XP ledger's entries: each award is recorded once per (learner, source,
//! reference), which is what makes awards idempotent: a retried lesson completion or a
//! second passing attempt finds its entry already there and pays nothing.

use crate::UserId;
use serde::Serialize;
use time::OffsetDateTime;

/// What an award was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = AchievementsXpSource))]
#[serde(rename_all = "snake_case")]
pub enum XpSource {
    /// A lesson completed; the reference is the lesson ID.
    Lesson,
    /// A quiz passed for the first time; the reference is the quiz ID.
    Quiz,
    /// A streak day; the reference is the local date (`YYYY-MM-DD`).
    Streak,
}

impl XpSource {
    /// Storage and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lesson => "lesson",
            Self::Quiz => "quiz",
            Self::Streak => "streak",
        }
    }

    /// Parses a storage name.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Lesson, Self::Quiz, Self::Streak]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// One award.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = AchievementsXpEntry))]
pub struct XpEntry {
    /// The learner.
    pub user: UserId,
    /// What it was for.
    pub source: XpSource,
    /// Which lesson, quiz or day.
    pub reference: String,
    /// XP awarded.
    pub amount: u32,
    /// Extra fact about the event: the score for a quiz, the length for a streak day.
    pub detail: Option<u32>,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}
