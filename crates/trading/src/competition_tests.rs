//! Ranking ties, undefined scores, privacy, and properties of any table.

use super::*;
use proptest::prelude::*;

fn entry(id: u64, opted_in: bool, total_return: f64, sharpe: Option<f64>) -> Entry<u64> {
    Entry {
        participant: id,
        opted_in,
        display_name: Some(format!("learner-{id}")),
        total_return,
        sharpe,
    }
}

fn table(rows: &[Standing<u64>]) -> Vec<(u32, Option<u64>, &str)> {
    rows.iter()
        .map(|r| (r.rank, r.participant, r.display_name.as_str()))
        .collect()
}

#[test]
fn metrics_parse_and_print() {
    for m in [Metric::Return, Metric::Sharpe] {
        assert_eq!(Metric::parse(m.as_str()), Ok(m));
    }
    assert_eq!(Metric::parse("Sharpe"), Err(UnknownMetric));
    assert!(UnknownMetric.to_string().contains("`return` or `sharpe`"));
}

#[test]
fn equal_scores_share_a_rank_in_key_order() {
    let entries = vec![
        entry(4, true, 0.1, None),
        entry(3, true, 0.2, None),
        entry(1, true, 0.3, None),
        entry(2, true, 0.2, None),
    ];
    let rows = rank(entries, Metric::Return, None);
    assert_eq!(
        table(&rows),
        [
            (1, Some(1), "learner-1"),
            (2, Some(2), "learner-2"),
            (2, Some(3), "learner-3"),
            (4, Some(4), "learner-4"),
        ]
    );
    assert_eq!(rows[0].score, Some(0.3));
}

#[test]
fn undefined_sharpe_ranks_last_together() {
    let entries = vec![
        entry(1, true, 0.9, None),
        entry(2, true, 0.0, Some(-0.5)),
        entry(3, true, 0.1, Some(1.5)),
        entry(4, true, 0.5, Some(f64::NAN)),
    ];
    let rows = rank(entries, Metric::Sharpe, None);
    let ranks: Vec<(u32, Option<u64>, Option<f64>)> = rows
        .iter()
        .map(|r| (r.rank, r.participant, r.score))
        .collect();
    assert_eq!(
        ranks,
        [
            (1, Some(3), Some(1.5)),
            (2, Some(2), Some(-0.5)),
            (3, Some(1), None),
            (3, Some(4), None)
        ]
    );
    // By return, the same people rank differently, and a NaN return ranks last.
    let by_return = rank(
        vec![entry(1, true, f64::NAN, None), entry(2, true, -0.1, None)],
        Metric::Return,
        None,
    );
    assert_eq!(
        table(&by_return),
        [(1, Some(2), "learner-2"), (2, Some(1), "learner-1")]
    );
}

#[test]
fn participants_who_have_not_opted_in_are_anonymous() {
    let entries = vec![
        entry(1, false, 0.3, None),
        entry(2, true, 0.2, None),
        entry(3, false, 0.1, None),
        Entry {
            display_name: None,
            ..entry(4, true, 0.0, None)
        },
    ];
    let rows = rank(entries, Metric::Return, Some(&3));
    assert_eq!(
        table(&rows),
        [
            (1, None, ANONYMOUS),
            (2, Some(2), "learner-2"),
            // The viewer sees their own row by name, opted in or not.
            (3, Some(3), "learner-3"),
            // Opted in without a name: identified, but shown as Anonymous.
            (4, Some(4), ANONYMOUS),
        ]
    );
    assert_eq!(ANONYMOUS, "Anonymous");
    assert!(rows[2].is_you && !rows[0].is_you);
}

#[test]
fn duplicates_merge_and_privacy_wins() {
    let entries = vec![entry(7, true, 0.1, None), entry(7, false, 0.4, None)];
    let rows = rank(entries, Metric::Return, None);
    assert_eq!(table(&rows), [(1, None, ANONYMOUS)]);
    assert_eq!(rows[0].score, Some(0.4));
    assert!(rank(Vec::<Entry<u64>>::new(), Metric::Sharpe, None).is_empty());
}

fn arb_entry() -> impl Strategy<Value = Entry<u64>> {
    (
        0_u64..20,
        any::<bool>(),
        prop_oneof![Just(f64::NAN), (-3_i32..3).prop_map(f64::from)],
        prop::option::of((-3_i32..3).prop_map(f64::from)),
    )
        .prop_map(|(id, opted_in, r, s)| entry(id, opted_in, r, s))
}

proptest! {
    #[test]
    fn any_table_is_consistent(
        entries in prop::collection::vec(arb_entry(), 0..40),
        sharpe in any::<bool>(),
        viewer in prop::option::of(0_u64..20),
    ) {
        let metric = if sharpe { Metric::Sharpe } else { Metric::Return };
        let rows = rank(entries.clone(), metric, viewer.as_ref());
        let mut ids: Vec<u64> = entries.iter().map(|e| e.participant).collect();
        ids.sort_unstable();
        ids.dedup();
        prop_assert_eq!(rows.len(), ids.len());
        for (i, r) in rows.iter().enumerate() {
            // 1 + the number of rows with a strictly better score.
            let better = rows.iter().filter(|o| better(o.score, r.score).is_lt()).count();
            prop_assert_eq!(r.rank as usize, better + 1);
            prop_assert!(i == 0 || rows[i - 1].rank <= r.rank);
            if r.participant.is_none() {
                prop_assert_eq!(r.display_name.as_str(), ANONYMOUS);
            }
            if let Some(p) = r.participant {
                let consented = entries.iter().filter(|e| e.participant == p).all(|e| e.opted_in);
                prop_assert!(consented || viewer == Some(p));
            }
            prop_assert!(r.score.is_none_or(f64::is_finite));
        }
    }
}
