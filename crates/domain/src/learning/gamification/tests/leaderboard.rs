//! Leaderboards: competition ranking, opt-in privacy and the viewer's own row.

use super::super::leaderboard::{ANONYMOUS, Contender, Row, Visibility, rank};
use crate::UserId;
use proptest::prelude::*;

fn user(n: u64) -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128(u128::from(n)))
}

fn who(n: u64, xp: u64, opted_in: bool) -> Contender {
    Contender {
        user: user(n),
        display_name: format!("learner-{n}"),
        xp,
        opted_in,
    }
}

fn view(rows: &[Row]) -> Vec<(u32, &str, u64, bool)> {
    rows.iter()
        .map(|r| (r.rank, r.display_name.as_str(), r.xp, r.is_you))
        .collect()
}

#[test]
fn ties_share_a_rank_and_skip_the_next_in_user_id_order() {
    let board = vec![
        who(4, 50, true),
        who(3, 80, true),
        who(2, 80, true),
        who(1, 100, true),
    ];
    let rows = rank(board, Visibility::Anonymous, None, 10);
    assert_eq!(
        view(&rows),
        [
            (1, "learner-1", 100, false),
            (2, "learner-2", 80, false),
            (2, "learner-3", 80, false),
            (4, "learner-4", 50, false),
        ]
    );
}

#[test]
fn learners_who_have_not_opted_in_are_anonymous_or_hidden() {
    let board = || vec![who(1, 100, false), who(2, 80, true), who(3, 60, true)];
    let rows = rank(board(), Visibility::Anonymous, Some(user(3)), 10);
    assert_eq!(
        view(&rows),
        [
            (1, ANONYMOUS, 100, false),
            (2, "learner-2", 80, false),
            (3, "learner-3", 60, true),
        ]
    );
    assert_eq!(rows[0].user, None);
    let rows = rank(board(), Visibility::Hidden, Some(user(3)), 10);
    assert_eq!(
        view(&rows),
        [(1, "learner-2", 80, false), (2, "learner-3", 60, true)]
    );
}

#[test]
fn the_viewer_sees_their_own_row_by_name_even_without_opting_in() {
    let board = || vec![who(1, 100, true), who(2, 80, false)];
    let rows = rank(board(), Visibility::Anonymous, Some(user(2)), 10);
    assert_eq!(rows[1].user, Some(user(2)));
    assert_eq!(view(&rows)[1], (2, "learner-2", 80, true));
    let rows = rank(board(), Visibility::Hidden, Some(user(2)), 10);
    assert_eq!(
        view(&rows),
        [(1, "learner-1", 100, false)],
        "hidden from ranking"
    );
}

#[test]
fn a_viewer_below_the_cut_takes_the_last_place() {
    let board: Vec<_> = (1..=10).map(|n| who(n, 1000 - 10 * n, true)).collect();
    let rows = rank(board.clone(), Visibility::Anonymous, Some(user(9)), 3);
    assert_eq!(
        view(&rows),
        [
            (1, "learner-1", 990, false),
            (2, "learner-2", 980, false),
            (9, "learner-9", 910, true),
        ]
    );
    let rows = rank(board.clone(), Visibility::Anonymous, Some(user(2)), 3);
    assert_eq!(rows.iter().map(|r| r.rank).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(rank(board, Visibility::Anonymous, Some(user(9)), 0).is_empty());
}

#[test]
fn duplicate_entries_merge_and_privacy_wins() {
    let board = vec![who(1, 10, true), who(1, 50, false), who(2, 20, true)];
    let rows = rank(board, Visibility::Anonymous, None, 10);
    assert_eq!(
        view(&rows),
        [(1, ANONYMOUS, 50, false), (2, "learner-2", 20, false)]
    );
}

prop_compose! {
    fn board()(entries in prop::collection::vec((0..40_u64, any::<bool>()), 0..25))
        -> Vec<Contender> {
        entries
            .into_iter()
            .enumerate()
            .map(|(i, (xp, opted_in))| who(u64::try_from(i).unwrap(), xp, opted_in))
            .collect()
    }
}

fn visibility() -> impl Strategy<Value = Visibility> {
    prop_oneof![Just(Visibility::Anonymous), Just(Visibility::Hidden)]
}

proptest! {
    #[test]
    fn rows_never_reveal_learners_who_have_not_opted_in(
        board in board(),
        vis in visibility(),
        viewer in prop::option::of(0..30_u64),
        limit in 0..30_usize,
    ) {
        let viewer = viewer.map(user);
        let rows = rank(board.clone(), vis, viewer, limit);
        for c in board.iter().filter(|c| !c.opted_in) {
            for r in &rows {
                let own = r.is_you && viewer == Some(c.user);
                prop_assert!(own || r.user != Some(c.user));
                prop_assert!(own || r.display_name != c.display_name);
            }
        }
        for r in &rows {
            prop_assert_eq!(r.is_you, r.user.is_some() && r.user == viewer);
            if r.user.is_none() {
                prop_assert_eq!(r.display_name.as_str(), ANONYMOUS);
            }
        }
    }

    #[test]
    fn ranks_are_competition_ranks_within_the_limit(
        board in board(),
        vis in visibility(),
        viewer in prop::option::of(0..30_u64),
        limit in 0..30_usize,
    ) {
        let viewer = viewer.map(user);
        let ranked: Vec<&Contender> = board
            .iter()
            .filter(|c| vis == Visibility::Anonymous || c.opted_in)
            .collect();
        let rows = rank(board.clone(), vis, viewer, limit);
        prop_assert_eq!(rows.len(), limit.min(ranked.len()));
        prop_assert!(rows.windows(2).all(|w| w[0].rank <= w[1].rank));
        for r in &rows {
            let above = ranked.iter().filter(|c| c.xp > r.xp).count();
            prop_assert_eq!(r.rank as usize, above + 1);
        }
        let you_ranked = ranked.iter().any(|c| Some(c.user) == viewer);
        let yours = rows.iter().filter(|r| r.is_you).count();
        prop_assert_eq!(yours, usize::from(you_ranked && limit > 0));
    }

    #[test]
    fn hidden_ranks_only_the_opted_in(
        board in board(),
        viewer in prop::option::of(0..30_u64),
        limit in 0..30_usize,
    ) {
        let viewer = viewer.map(user);
        let opted_in: Vec<Contender> = board.iter().filter(|c| c.opted_in).cloned().collect();
        prop_assert_eq!(
            rank(board, Visibility::Hidden, viewer, limit),
            rank(opted_in, Visibility::Anonymous, viewer, limit)
        );
    }

    #[test]
    fn input_order_does_not_matter(
        (board, shuffled) in board().prop_flat_map(|b| (Just(b.clone()), Just(b).prop_shuffle())),
        vis in visibility(),
        limit in 0..30_usize,
    ) {
        prop_assert_eq!(
            rank(board, vis, Some(user(3)), limit),
            rank(shuffled, vis, Some(user(3)), limit)
        );
    }
}
