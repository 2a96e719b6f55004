//! Opt-in XP leaderboards.
//!
//! Appearing by name is a choice: a learner who has not opted in never has their id or
//! display name in anyone else's leaderboard. The tenant picks whether such learners
//! still take a place as "Anonymous" rows ([`Visibility::Anonymous`], so ranks reflect
//! the whole cohort) or are left out entirely ([`Visibility::Hidden`]).
//!
//! A viewer always sees their own row by name and marked [`Row::is_you`], opted in or
//! not: the output goes only to them, so it reveals nothing they do not already know.

use crate::UserId;
use serde::Serialize;

/// Display name of a row whose learner has not opted in.
pub const ANONYMOUS: &str = "Anonymous";

/// A learner competing for a place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contender {
    /// Who.
    pub user: UserId,
    /// The name shown when they have opted in.
    pub display_name: String,
    /// Their total XP.
    pub xp: u64,
    /// Whether they agreed to appear on leaderboards by name.
    pub opted_in: bool,
}

/// How learners who have not opted in appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Visibility {
    /// As rows without an id, named [`ANONYMOUS`], ranked like everyone else.
    Anonymous,
    /// Not at all: they are removed before ranking.
    Hidden,
}

/// One line of a leaderboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = LeaderboardRow))]
pub struct Row {
    /// Standard competition rank ("1224"): 1 + the number of learners with more XP.
    pub rank: u32,
    /// The learner, when they opted in or are the viewer.
    pub user: Option<UserId>,
    /// Their display name, or `Anonymous`.
    pub display_name: String,
    /// Their total XP.
    pub xp: u64,
    /// Whether this is the viewer's own row.
    pub is_you: bool,
}

/// The top `limit` rows, ranked by XP (highest first, ties in user-id order so the
/// board is stable between requests).
///
/// When the viewer ranks below the cut, their row takes the last of the `limit` places,
/// so everyone can see where they stand. Each user should appear once; duplicates are
/// merged (highest XP, opted in only if every entry says so).
pub fn rank(
    mut contenders: Vec<Contender>,
    visibility: Visibility,
    viewer: Option<UserId>,
    limit: usize,
) -> Vec<Row> {
    contenders.sort_by(|a, b| a.user.cmp(&b.user).then(b.xp.cmp(&a.xp)));
    contenders.dedup_by(|later, kept| {
        let same = later.user == kept.user;
        // Privacy wins a conflict: any entry without consent withholds it.
        kept.opted_in &= !same || later.opted_in;
        same
    });
    if visibility == Visibility::Hidden {
        contenders.retain(|c| c.opted_in);
    }
    contenders.sort_by(|a, b| b.xp.cmp(&a.xp).then(a.user.cmp(&b.user)));

    let you = viewer.and_then(|v| contenders.iter().position(|c| c.user == v));
    let pinned = you.filter(|&i| i >= limit && limit > 0);
    let top = limit - usize::from(pinned.is_some());

    let mut rows = Vec::with_capacity(limit.min(contenders.len()));
    let mut rank = 0;
    let mut previous_xp = None;
    for (i, c) in contenders.into_iter().enumerate() {
        if previous_xp != Some(c.xp) {
            rank = u32::try_from(i + 1).unwrap_or(u32::MAX);
            previous_xp = Some(c.xp);
        }
        if i < top || Some(i) == pinned {
            rows.push(row(c, rank, viewer));
        } else if pinned.is_none_or(|p| i > p) {
            break;
        }
    }
    rows
}

fn row(c: Contender, rank: u32, viewer: Option<UserId>) -> Row {
    let is_you = viewer == Some(c.user);
    let named = c.opted_in || is_you;
    Row {
        rank,
        user: named.then_some(c.user),
        display_name: if named {
            c.display_name
        } else {
            ANONYMOUS.to_owned()
        },
        xp: c.xp,
        is_you,
    }
}
