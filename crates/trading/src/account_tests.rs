use super::*;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn fill(qty: &str, price: &str, fee: &str) -> Fill {
    let (qty, price) = (d(qty), d(price));
    Fill {
        qty,
        price,
        gross: cents(qty * price),
        fee: d(fee),
        spread_cost: Decimal::ZERO,
        slippage: Decimal::ZERO,
        explanation: String::new(),
    }
}

fn balanced(p: &[Posting]) {
    assert_eq!(
        p.iter().map(|p| p.amount).sum::<Decimal>(),
        Decimal::ZERO,
        "{p:?}"
    );
}

fn amount(p: &[Posting], a: &LedgerAccount) -> Decimal {
    p.iter().filter(|x| &x.account == a).map(|x| x.amount).sum()
}

fn sec() -> LedgerAccount {
    LedgerAccount::Securities("ACME".into())
}

#[test]
fn funding_moves_cash_in_from_the_bank() {
    let mut pf = Portfolio::default();
    let p = pf.fund(d("10000"));
    balanced(&p);
    assert_eq!(amount(&p, &LedgerAccount::Cash), d("10000"));
    assert_eq!(amount(&p, &LedgerAccount::Funding), d("-10000"));
    assert_eq!(pf.cash, d("10000"));
}

#[test]
fn average_cost_and_realized_pnl_on_a_long() {
    let mut pf = Portfolio::default();
    pf.fund(d("10000"));
    balanced(&pf.apply("ACME", Side::Buy, &fill("10", "100", "1")));
    balanced(&pf.apply("ACME", Side::Buy, &fill("10", "110", "1")));
    let pos = &pf.positions["ACME"];
    assert_eq!((pos.qty, pos.cost_basis), (d("20"), d("2100")));
    assert_eq!(pf.cash, d("7898"));
    // Sell 5 at 120: basis 5 × 105 = 525, proceeds 600, gain 75.
    let p = pf.apply("ACME", Side::Sell, &fill("5", "120", "1"));
    balanced(&p);
    assert_eq!(amount(&p, &sec()), d("-525"));
    assert_eq!(amount(&p, &LedgerAccount::RealizedPnl), d("-75"));
    assert_eq!(amount(&p, &LedgerAccount::Cash), d("599"));
    assert_eq!(amount(&p, &LedgerAccount::Fees), d("1"));
    assert_eq!(pf.realized_pnl, d("75"));
    assert_eq!(pf.fees_paid, d("3"));
    // Closing the rest takes exactly the remaining basis.
    pf.apply("ACME", Side::Sell, &fill("15", "90", "1"));
    assert!(!pf.positions.contains_key("ACME"));
    assert_eq!(pf.realized_pnl, d("75") + d("1350") - d("1575"));
}

#[test]
fn short_selling_and_covering() {
    let mut pf = Portfolio::default();
    pf.fund(d("1000"));
    let p = pf.apply("ACME", Side::Sell, &fill("10", "50", "1"));
    balanced(&p);
    assert_eq!(pf.positions["ACME"].cost_basis, d("-500"));
    assert_eq!(pf.cash, d("1499"));
    // Cover 4 at 40: basis share −200, paid 160: gain 40.
    let p = pf.apply("ACME", Side::Buy, &fill("4", "40", "1"));
    balanced(&p);
    assert_eq!(pf.realized_pnl, d("40"));
    assert_eq!(pf.positions["ACME"].qty, d("-6"));
    assert_eq!(pf.positions["ACME"].cost_basis, d("-300"));
    let v = pf.valuation(&BTreeMap::from([("ACME".to_owned(), d("45"))]));
    assert_eq!(v.market_value, d("-270"));
    assert_eq!(v.unrealized_pnl, d("30"));
    assert_eq!(v.equity, pf.cash - d("270"));
}

#[test]
fn flipping_through_zero_closes_then_opens() {
    let mut pf = Portfolio::default();
    pf.fund(d("1000"));
    pf.apply("ACME", Side::Buy, &fill("3", "10", "0"));
    // Sell 5 at 12: close 3 (gain 6), open a 2-share short with basis −24.
    let p = pf.apply("ACME", Side::Sell, &fill("5", "12", "1"));
    balanced(&p);
    assert_eq!(pf.realized_pnl, d("6"));
    assert_eq!(
        pf.positions["ACME"],
        Position {
            qty: d("-2"),
            cost_basis: d("-24")
        }
    );
    // And back: buy 3 at 11 covers 2 (gain 2), opens 1 long at 11.
    let p = pf.apply("ACME", Side::Buy, &fill("3", "11", "1"));
    balanced(&p);
    assert_eq!(pf.realized_pnl, d("8"));
    assert_eq!(
        pf.positions["ACME"],
        Position {
            qty: d("1"),
            cost_basis: d("11")
        }
    );
}

#[test]
fn valuation_uses_cost_for_unpriced_positions() {
    let mut pf = Portfolio::default();
    pf.fund(d("1000"));
    pf.apply("AAA", Side::Buy, &fill("2", "100", "0"));
    pf.apply("BBB", Side::Sell, &fill("1", "50", "0"));
    let prices = BTreeMap::from([("AAA".to_owned(), d("110"))]);
    let v = pf.valuation(&prices);
    assert_eq!(v.cash, d("850"));
    assert_eq!(v.market_value, d("220") - d("50"));
    assert_eq!(v.unrealized_pnl, d("20"));
    assert_eq!(v.equity, d("1020"));
    let h = pf.holdings("AAA", &prices);
    assert_eq!(
        (h.position, h.other_long_value, h.other_short_value),
        (d("2"), d("0"), d("50"))
    );
    // Cash account: 850 − 2 × 50 (the short's locked proceeds and collateral).
    assert_eq!(pf.buying_power(&prices, &Rules::default()), d("750"));
    let margin = Rules {
        margin: true,
        ..Rules::default()
    };
    // 2 × 1,020 equity − 220 long − 50 short.
    assert_eq!(pf.buying_power(&prices, &margin), d("1770"));
}

#[test]
fn ledger_accounts_round_trip() {
    for a in [
        LedgerAccount::Cash,
        LedgerAccount::Fees,
        LedgerAccount::RealizedPnl,
        LedgerAccount::Funding,
        LedgerAccount::Securities("BRK.B".into()),
    ] {
        assert_eq!(LedgerAccount::parse(&a.as_str()), Some(a));
    }
    assert_eq!(LedgerAccount::parse("securities:"), None);
    assert_eq!(LedgerAccount::parse("Cash"), None);
}

#[test]
fn margin_call_below_a_quarter_of_exposure() {
    let mut pf = Portfolio::default();
    pf.fund(d("10000"));
    // Bought $20,000 on margin: cash −10,000.
    pf.apply("ACME", Side::Buy, &fill("200", "100", "0"));
    let at = |p: &str| BTreeMap::from([("ACME".to_owned(), d(p))]);
    assert!(!pf.margin_call(&at("100")));
    // At $67: equity 3,400 ≥ 25% × 13,400 = 3,350.
    assert!(!pf.margin_call(&at("67")));
    // At $66: equity 3,200 < 3,300.
    assert!(pf.margin_call(&at("66")));
}
