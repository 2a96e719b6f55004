use super::*;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[test]
fn presets_round_trip_through_their_codes() {
    for name in ["frictionless", "standard", "realistic"] {
        assert_eq!(Realism::parse(name).unwrap().as_str(), name);
    }
    assert_eq!(Realism::parse("Standard"), None);
}

#[test]
fn commission_has_a_minimum_and_a_cap() {
    let c = Commission::default();
    // 100 shares × $0.005 = $0.50, raised to the $1 minimum.
    assert_eq!(c.fee(d("100"), d("10000")), d("1.00"));
    // 1,000 shares × $0.005 = $5.
    assert_eq!(c.fee(d("1000"), d("100000")), d("5.00"));
    // A $20 fractional trade pays at most 1%: $0.20.
    assert_eq!(c.fee(d("0.2"), d("20")), d("0.20"));
    assert_eq!(c.fee(Decimal::ZERO, Decimal::ZERO), Decimal::ZERO);
    assert_eq!(
        Realism::Frictionless.fee(d("1000"), d("100000")),
        Decimal::ZERO
    );
}

#[test]
fn sqrt_is_accurate() {
    assert_eq!(sqrt(d("4")), d("2"));
    assert!((sqrt(d("0.1")) - d("0.316227766")).abs() < d("0.000000001"));
    assert_eq!(sqrt(Decimal::ZERO), Decimal::ZERO);
    assert_eq!(sqrt(d("-1")), Decimal::ZERO);
}

#[test]
fn money_and_prices_read_naturally() {
    assert_eq!(money(d("1013.5")), "$1,013.50");
    assert_eq!(money(d("-3.2")), "-$3.20");
    assert_eq!(money(d("1234567.891")), "$1,234,567.89");
    assert_eq!(money(d("0")), "$0.00");
    assert_eq!(price_text(d("101.25")), "$101.25");
    assert_eq!(price_text(d("0.1234")), "$0.1234");
    assert_eq!(price_text(d("1500.125")), "$1,500.125");
    assert_eq!(qty_text(d("10.500000")), "10.5");
}

#[test]
fn lots_truncate() {
    assert_eq!(floor_to_lot(d("10.9"), Decimal::ONE), d("10"));
    assert_eq!(floor_to_lot(d("0.12345678"), d("0.000001")), d("0.123456"));
    assert_eq!(floor_to_lot(d("-1"), Decimal::ONE), Decimal::ZERO);
}
