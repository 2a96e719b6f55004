use super::*;
use proptest::prelude::*;

fn input(price: f64, previous: f64, turbulent: bool, bps: i64, dp: u32) -> QuoteInput {
    QuoteInput {
        price,
        previous,
        step_sigma: 0.002,
        turbulent,
        base_bps: Decimal::new(bps, 1),
        dp,
    }
}

#[test]
fn spreads_widen_with_stress() {
    let (b0, a0, last, _) = sides(&input(100.0, 100.0, false, 50, 2));
    assert_eq!(last, Decimal::new(10_000, 2));
    assert_eq!((b0, a0), (Decimal::new(9995, 2), Decimal::new(10005, 2)));
    let (b1, a1, _, _) = sides(&input(100.0, 100.0, true, 50, 2));
    assert!(a1 - b1 > a0 - b0, "turbulence widens");
    let (b2, a2, _, _) = sides(&input(100.0, 98.0, false, 50, 2));
    assert!(a2 - b2 > a0 - b0, "a 10-sigma move widens");
    assert!(stress(&input(100.0, 50.0, true, 50, 2)) <= MAX_STRESS);
}

#[test]
fn money_market_spreads_are_tiny() {
    let (bid, ask, last, _) = sides(&input(1.0213, 1.0213, false, 1, 4));
    assert_eq!(last, Decimal::new(10_213, 4));
    assert_eq!(ask - bid, Decimal::new(2, 4));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn bid_is_below_ask_and_both_are_at_least_a_tick(
        price in 0.0001f64..100_000.0,
        moved in 0.5f64..2.0,
        turbulent in any::<bool>(),
        bps in 0i64..2000,
        dp in prop::sample::select(vec![2u32, 4]),
    ) {
        let (bid, ask, last, _) = sides(&input(price, price * moved, turbulent, bps, dp));
        let tick = Decimal::new(1, dp);
        prop_assert!(bid < ask);
        prop_assert!(bid >= tick);
        prop_assert!(bid <= last && last < ask);
        prop_assert_eq!(bid.round_dp(dp), bid);
        prop_assert_eq!(ask.round_dp(dp), ask);
    }
}
