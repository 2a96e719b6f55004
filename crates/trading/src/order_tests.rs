use super::*;
use proptest::prelude::*;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn raw(side: &str, t: &str, tif: &str) -> RawOrder {
    RawOrder {
        side: side.into(),
        order_type: t.into(),
        tif: tif.into(),
        qty: Some(d("10")),
        ..RawOrder::default()
    }
}

fn codes(r: &RawOrder) -> Vec<(&'static str, &'static str)> {
    OrderSpec::parse(r)
        .unwrap_err()
        .into_iter()
        .map(|e| (e.field, e.code))
        .collect()
}

#[test]
fn every_type_and_tif_parses_when_complete() {
    for t in ["market", "limit", "stop", "stop_limit"] {
        for tif in ["day", "gtc", "ioc", "fok"] {
            let mut r = raw("buy", t, tif);
            if t.contains("limit") {
                r.limit = Some(d("100"));
            }
            if t.contains("stop") {
                r.stop = Some(d("99.5"));
            }
            let stop_kind = t.starts_with("stop");
            let parsed = OrderSpec::parse(&r);
            if stop_kind && (tif == "ioc" || tif == "fok") {
                assert_eq!(codes(&r), vec![("tif", "not_allowed")], "{t} {tif}");
            } else {
                let spec = parsed.unwrap();
                assert_eq!(OrderSpec::parse(&spec.to_raw()), Ok(spec));
                assert_eq!(spec.order_type().kind(), t);
                assert_eq!(spec.tif().as_str(), tif);
                assert_eq!(spec.side(), Side::Buy);
                assert_eq!(spec.size(), Size::Quantity(d("10")));
            }
        }
    }
}

#[test]
fn all_field_errors_are_reported_at_once() {
    let r = RawOrder {
        side: "long".into(),
        order_type: "market".into(),
        tif: "forever".into(),
        qty: Some(d("-1")),
        notional: None,
        limit: Some(d("100")),
        stop: Some(d("-5")),
    };
    let got = codes(&r);
    for want in [
        ("side", "invalid"),
        ("tif", "invalid"),
        ("stop", "not_positive"),
        ("limit", "not_allowed"),
        ("stop", "not_allowed"),
        ("qty", "not_positive"),
    ] {
        assert!(got.contains(&want), "missing {want:?} in {got:?}");
    }
}

#[test]
fn size_rules() {
    let mut r = raw("buy", "market", "day");
    r.notional = Some(d("50"));
    assert_eq!(codes(&r), vec![("qty", "conflict")]);
    r.qty = None;
    r.notional = None;
    assert_eq!(codes(&r), vec![("qty", "required")]);
    r.qty = Some(Decimal::ZERO);
    assert_eq!(codes(&r), vec![("qty", "not_positive")]);
    r.qty = Some(d("0.0000001"));
    assert_eq!(codes(&r), vec![("qty", "too_many_decimals")]);
    r.qty = Some(d("2000000000"));
    assert_eq!(codes(&r), vec![("qty", "too_large")]);
    // Trailing zeros are not extra precision.
    r.qty = Some(d("1.50000000"));
    assert!(OrderSpec::parse(&r).is_ok());
    r.tif = "gtc".into();
    assert_eq!(codes(&r), vec![("tif", "fractional_not_day")]);
}

#[test]
fn notional_orders_are_market_day_only_from_one_dollar() {
    let mut r = raw("buy", "market", "day");
    r.qty = None;
    r.notional = Some(d("250.50"));
    let spec = OrderSpec::parse(&r).unwrap();
    assert_eq!(spec.size(), Size::Notional(d("250.50")));
    assert_eq!(spec.to_raw(), r);
    r.notional = Some(d("0.50"));
    assert_eq!(codes(&r), vec![("notional", "too_small")]);
    r.notional = Some(d("10.001"));
    assert_eq!(codes(&r), vec![("notional", "too_many_decimals")]);
    r.notional = Some(d("-10"));
    assert_eq!(codes(&r), vec![("notional", "not_positive")]);
    r.notional = Some(d("100000000000"));
    assert_eq!(codes(&r), vec![("notional", "too_large")]);
    r.notional = Some(d("100"));
    r.tif = "gtc".into();
    assert_eq!(codes(&r), vec![("notional", "not_allowed")]);
    let mut l = raw("buy", "limit", "day");
    l.qty = None;
    l.notional = Some(d("100"));
    l.limit = Some(d("10"));
    assert_eq!(codes(&l), vec![("notional", "not_allowed")]);
}

#[test]
fn prices_are_required_positive_and_in_ticks() {
    let r = raw("sell", "stop_limit", "gtc");
    assert_eq!(codes(&r), vec![("limit", "required"), ("stop", "required")]);
    let mut r = raw("sell", "limit", "gtc");
    r.limit = Some(d("100.001"));
    assert_eq!(codes(&r), vec![("limit", "sub_penny_increment")]);
    r.limit = Some(d("0.1234"));
    assert!(OrderSpec::parse(&r).is_ok());
    r.limit = Some(d("0.12345"));
    assert_eq!(codes(&r), vec![("limit", "sub_penny_increment")]);
    r.limit = Some(d("0"));
    assert_eq!(codes(&r), vec![("limit", "not_positive")]);
    r.limit = Some(d("5000000"));
    assert_eq!(codes(&r), vec![("limit", "too_large")]);
    let mut s = raw("sell", "limit", "gtc");
    s.limit = Some(d("10"));
    s.stop = Some(d("9"));
    assert_eq!(codes(&s), vec![("stop", "not_allowed")]);
}

#[test]
fn enums_round_trip_through_stable_codes() {
    for s in [Side::Buy, Side::Sell] {
        assert_eq!(Side::parse(s.as_str()), Some(s));
    }
    for t in [
        TimeInForce::Day,
        TimeInForce::Gtc,
        TimeInForce::Ioc,
        TimeInForce::Fok,
    ] {
        assert_eq!(TimeInForce::parse(t.as_str()), Some(t));
    }
    for s in [
        Status::New,
        Status::Accepted,
        Status::PartiallyFilled,
        Status::Filled,
        Status::Canceled,
        Status::Expired,
        Status::Rejected,
    ] {
        assert_eq!(Status::parse(s.as_str()), Some(s));
    }
    for r in Reason::all() {
        assert_eq!(Reason::parse(r.as_str()), Some(*r));
        assert!(!r.message().is_empty());
        assert!(
            r.as_str()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_')
        );
    }
    assert_eq!(Reason::parse("nope"), None);
    assert_eq!(Status::parse("Filled"), None);
}

#[test]
fn lifecycle_edges() {
    use Status::*;
    assert!(New.can_become(Accepted));
    assert!(New.can_become(Rejected));
    assert!(!New.can_become(Filled));
    assert!(Accepted.can_become(PartiallyFilled));
    assert!(Accepted.can_become(Filled));
    assert!(PartiallyFilled.can_become(PartiallyFilled));
    assert!(PartiallyFilled.can_become(Expired));
    assert!(!Accepted.can_become(Rejected));
    assert!(!Accepted.can_become(New));
    for t in [Filled, Canceled, Expired, Rejected] {
        assert!(t.is_terminal());
        for n in [
            New,
            Accepted,
            PartiallyFilled,
            Filled,
            Canceled,
            Expired,
            Rejected,
        ] {
            assert!(!t.can_become(n));
        }
    }
    assert!(!PartiallyFilled.is_terminal());
}

fn open_limit(qty: &str, filled: &str) -> (OrderSpec, OrderState) {
    let mut r = raw("buy", "limit", "gtc");
    r.qty = Some(d(qty));
    r.limit = Some(d("50"));
    let spec = OrderSpec::parse(&r).unwrap();
    let mut st = OrderState::new(d(qty));
    st.status = Status::PartiallyFilled;
    st.filled_qty = d(filled);
    (spec, st)
}

#[test]
fn replace_gives_the_remaining_quantity_with_new_prices() {
    let (spec, st) = open_limit("100", "30");
    let req = RawReplace {
        qty: Some(d("120")),
        limit: Some(d("49.5")),
        tif: Some("day".into()),
        ..RawReplace::default()
    };
    let new = replace(&spec, &st, &req).unwrap();
    assert_eq!(new.size(), Size::Quantity(d("90")));
    assert_eq!(new.order_type(), OrderType::Limit { limit: d("49.5") });
    assert_eq!(new.tif(), TimeInForce::Day);
    // Nothing changed: same order for the remaining 70.
    let same = replace(&spec, &st, &RawReplace::default()).unwrap();
    assert_eq!(same.size(), Size::Quantity(d("70")));
}

#[test]
fn replace_rejections() {
    let (spec, mut st) = open_limit("100", "30");
    let q = |q: &str| RawReplace {
        qty: Some(d(q)),
        ..RawReplace::default()
    };
    let code = |r: Result<OrderSpec, Vec<SpecError>>| -> Vec<&'static str> {
        r.unwrap_err().into_iter().map(|e| e.code).collect()
    };
    assert_eq!(
        code(replace(&spec, &st, &q("30"))),
        vec!["not_above_filled"]
    );
    assert_eq!(code(replace(&spec, &st, &q("0"))), vec!["not_positive"]);
    let stop = RawReplace {
        stop: Some(d("40")),
        ..RawReplace::default()
    };
    assert_eq!(code(replace(&spec, &st, &stop)), vec!["not_allowed"]);
    let bad_tif = RawReplace {
        tif: Some("ioc".into()),
        limit: Some(d("1.234")),
        ..RawReplace::default()
    };
    assert_eq!(
        code(replace(&spec, &st, &bad_tif)),
        vec!["sub_penny_increment"]
    );
    st.status = Status::Filled;
    assert!(code(replace(&spec, &st, &q("200"))).contains(&"not_open"));
    let market = OrderSpec::parse(&raw("buy", "market", "day")).unwrap();
    let open = OrderState {
        status: Status::Accepted,
        ..OrderState::new(d("10"))
    };
    assert_eq!(
        code(replace(&market, &open, &q("20"))),
        vec!["not_replaceable"]
    );
}

#[test]
fn replace_keeps_stop_limit_rules() {
    let mut r = raw("sell", "stop_limit", "day");
    r.stop = Some(d("95"));
    r.limit = Some(d("94"));
    let spec = OrderSpec::parse(&r).unwrap();
    let st = OrderState {
        status: Status::Accepted,
        ..OrderState::new(d("10"))
    };
    let req = RawReplace {
        stop: Some(d("90")),
        limit: Some(d("89")),
        ..RawReplace::default()
    };
    let new = replace(&spec, &st, &req).unwrap();
    assert_eq!(
        new.order_type(),
        OrderType::StopLimit {
            stop: d("90"),
            limit: d("89")
        }
    );
    let ioc = RawReplace {
        tif: Some("ioc".into()),
        ..RawReplace::default()
    };
    let errs = replace(&spec, &st, &ioc).unwrap_err();
    assert_eq!(errs[0].code, "not_allowed");
}

fn any_decimal() -> impl Strategy<Value = Option<Decimal>> {
    prop::option::of(
        (-10_000_000_000i64..10_000_000_000, 0u32..9).prop_map(|(m, s)| Decimal::new(m, s)),
    )
}

fn any_word() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("buy".to_owned()),
        Just("sell".to_owned()),
        Just("market".to_owned()),
        Just("limit".to_owned()),
        Just("stop".to_owned()),
        Just("stop_limit".to_owned()),
        Just("day".to_owned()),
        Just("gtc".to_owned()),
        Just("ioc".to_owned()),
        Just("fok".to_owned()),
        "[a-z_]{0,8}",
    ]
}

proptest! {
    #[test]
    fn parse_accepts_only_consistent_specs(
        side in any_word(), order_type in any_word(), tif in any_word(),
        qty in any_decimal(), notional in any_decimal(), limit in any_decimal(), stop in any_decimal(),
    ) {
        let raw = RawOrder { side, order_type, tif, qty, notional, limit, stop };
        match OrderSpec::parse(&raw) {
            Err(errors) => prop_assert!(!errors.is_empty()),
            Ok(spec) => {
                prop_assert_eq!(OrderSpec::parse(&spec.to_raw()), Ok(spec));
                let amount = match spec.size() {
                    Size::Quantity(q) | Size::Notional(q) => q,
                };
                prop_assert!(amount > Decimal::ZERO);
                for p in [spec.order_type().limit(), spec.order_type().stop()].into_iter().flatten() {
                    prop_assert!(p > Decimal::ZERO && p <= MAX_PRICE);
                }
                if spec.tif().is_immediate() {
                    prop_assert!(spec.order_type().stop().is_none());
                }
            }
        }
    }
}
