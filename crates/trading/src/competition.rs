//! Class competitions: ranking simulated portfolios by a metric (issue 5).
//!
//! Pure ranking over figures the app has already computed (see [`crate::analytics`]).
//! Ranks are standard competition ranks ("1224"): equal scores share a rank and the
//! next rank skips. Equal scores are listed in participant-key order, so the table is
//! stable between requests. An undefined score (no Sharpe yet, or a non-finite figure)
//! ranks after every defined one, all such entries sharing the last rank.
//!
//! Privacy follows the learning leaderboard (`nexus_domain::learning::gamification::
//! leaderboard`): appearing by name is a choice. A participant who has not opted in
//! still takes their place, so ranks reflect the whole class, but as an [`ANONYMOUS`]
//! row with no identifier. A viewer always sees their own row by name, marked
//! [`Standing::is_you`]: it goes only to them, so it reveals nothing new.

use std::fmt;

/// Display name of a row whose participant has not opted in (the same wording as the
/// learning leaderboard's).
pub const ANONYMOUS: &str = "Anonymous";

/// What a competition ranks by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Total time-weighted return over the competition.
    Return,
    /// Sharpe ratio over the competition.
    Sharpe,
}

impl Metric {
    /// The wire name: `return` or `sharpe`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Return => "return",
            Self::Sharpe => "sharpe",
        }
    }

    /// The metric with this wire name.
    pub fn parse(s: &str) -> Result<Self, UnknownMetric> {
        match s {
            "return" => Ok(Self::Return),
            "sharpe" => Ok(Self::Sharpe),
            _ => Err(UnknownMetric),
        }
    }
}

/// A metric name other than `return` or `sharpe`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownMetric;

impl fmt::Display for UnknownMetric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown metric: expected `return` or `sharpe`")
    }
}

impl std::error::Error for UnknownMetric {}

/// One participant's results, keyed by any ordered id (e.g. a user id newtype).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry<K> {
    /// Who; also the tie-break order.
    pub participant: K,
    /// Whether they agreed to appear by name.
    pub opted_in: bool,
    /// The name to show when they have opted in.
    pub display_name: Option<String>,
    /// Total time-weighted return over the competition, as a fraction.
    pub total_return: f64,
    /// Sharpe ratio over the competition, when defined.
    pub sharpe: Option<f64>,
}

/// One line of the competition table.
#[derive(Debug, Clone, PartialEq)]
pub struct Standing<K> {
    /// Standard competition rank: 1 + the number of entries with a better score.
    pub rank: u32,
    /// The participant, when they opted in or are the viewer.
    pub participant: Option<K>,
    /// Their display name, or [`ANONYMOUS`] (also for a named row without a name).
    pub display_name: String,
    /// The score ranked on; `None` when undefined.
    pub score: Option<f64>,
    /// Whether this is the viewer's own row.
    pub is_you: bool,
}

/// Ranks every entry by `metric`, best first. Each participant should appear once;
/// duplicates are merged (the best score is kept, opted in only if every entry says
/// so, since privacy wins a conflict).
pub fn rank<K: Ord>(
    mut entries: Vec<Entry<K>>,
    metric: Metric,
    viewer: Option<&K>,
) -> Vec<Standing<K>> {
    let score = |e: &Entry<K>| {
        match metric {
            Metric::Return => Some(e.total_return),
            Metric::Sharpe => e.sharpe,
        }
        .filter(|s| s.is_finite())
    };
    entries.sort_by(|a, b| {
        a.participant
            .cmp(&b.participant)
            .then_with(|| better(score(a), score(b)))
    });
    entries.dedup_by(|later, kept| {
        let same = later.participant == kept.participant;
        kept.opted_in &= !same || later.opted_in;
        same
    });
    entries
        .sort_by(|a, b| better(score(a), score(b)).then_with(|| a.participant.cmp(&b.participant)));

    let mut rows = Vec::with_capacity(entries.len());
    let (mut rank, mut previous) = (0, None);
    for (i, e) in entries.into_iter().enumerate() {
        let s = score(&e);
        // Undefined scores compare equal to each other, so they share the last rank.
        if i == 0 || previous != Some(s) {
            rank = u32::try_from(i + 1).unwrap_or(u32::MAX);
            previous = Some(s);
        }
        let is_you = viewer == Some(&e.participant);
        let named = e.opted_in || is_you;
        rows.push(Standing {
            rank,
            display_name: named
                .then_some(e.display_name)
                .flatten()
                .unwrap_or_else(|| ANONYMOUS.to_owned()),
            participant: named.then_some(e.participant),
            score: s,
            is_you,
        });
    }
    rows
}

/// Orders scores best first, undefined last.
fn better(a: Option<f64>, b: Option<f64>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    }
}

#[cfg(test)]
#[path = "competition_tests.rs"]
mod tests;
