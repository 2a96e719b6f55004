//! Simulator cases: orders, the tick's candidates and fills.

use super::*;

pub(in crate::contract) async fn sim_orders_lifecycle_and_idempotency(db: Arc<dyn Database>) {
    let c = clock();
    let t = add_tenant(&db, &c, "sim-orders", "Sim").await;
    let other = add_tenant(&db, &c, "sim-orders-2", "Other").await;
    let sim = db.sim();
    let ana = learner(&db, &c, t, "ana@example.com", "Ana").await;
    let bo = learner(&db, &c, t, "bo@example.com", "Bo").await;
    let cy = learner(&db, &c, other, "cy@example.com", "Cy").await;
    let p = portfolio(&c, ana, None, "100000");
    open_portfolio(&db, t, &p).await.unwrap();
    let q = portfolio(&c, bo, None, "100000");
    open_portfolio(&db, t, &q).await.unwrap();
    let theirs = portfolio(&c, cy, None, "100000");
    open_portfolio(&db, other, &theirs).await.unwrap();

    // Orders of every shape, some less than a second apart.
    c.advance(time::Duration::seconds(1));
    let o1 = limit_buy(&c, p.id, "AAA", Some("abc-1"));
    c.advance(us(250_000));
    let o2 = order(
        &c,
        p.id,
        "BRK.B",
        spec(
            "sell",
            "market",
            "day",
            Size::Quantity(d("0.000001")),
            None,
            None,
        ),
        None,
    );
    c.advance(us(250_000));
    let o3 = OrderRecord {
        trading_day: 20_001,
        ..order(
            &c,
            p.id,
            "AAA",
            spec(
                "buy",
                "stop_limit",
                "gtc",
                Size::Quantity(d("5")),
                Some("10.75"),
                Some("10.5"),
            ),
            Some("abc-2"),
        )
    };
    c.advance(us(1));
    let o4 = OrderRecord {
        replaces: Some(o1.id),
        ..order(
            &c,
            p.id,
            "AAA",
            spec(
                "buy",
                "market",
                "day",
                Size::Notional(d("250.5")),
                None,
                None,
            ),
            Some("notional-1"),
        )
    };
    c.advance(us(499_999));
    let o5 = order(
        &c,
        p.id,
        "CCC",
        spec(
            "sell",
            "stop",
            "gtc",
            Size::Quantity(d("3")),
            None,
            Some("0.5123"),
        ),
        None,
    );
    for o in [&o1, &o2, &o3, &o4, &o5] {
        insert(&db, t, o).await.unwrap();
        assert_eq!(&sim.order(t, o.id).await.unwrap(), o, "round trip");
    }
    let stored = sim.order(t, o4.id).await.unwrap();
    assert_eq!(stored.spec.size(), Size::Notional(d("250.5")));
    assert_eq!(
        stored.state.qty,
        d("2.028745"),
        "a notional order keeps its quantity"
    );
    let mut tx = db.begin(Some(t)).await.unwrap();
    assert_eq!(sim.order_in(tx.as_mut(), t, o3.id).await.unwrap(), o3);
    assert!(is_not_found(
        &sim.order_in(tx.as_mut(), t, OrderId::generate(&c)).await
    ));
    tx.rollback().await.unwrap();
    assert!(is_not_found(&sim.order(t, OrderId::generate(&c)).await));
    assert!(is_not_found(&sim.order(other, o1.id).await));
    let mut tx = db.begin(Some(other)).await.unwrap();
    assert!(is_not_found(&sim.order_in(tx.as_mut(), other, o1.id).await));
    tx.rollback().await.unwrap();

    // Client order IDs: unique per portfolio, found by portfolio.
    let dup = limit_buy(&c, p.id, "ZZZ", Some("abc-1"));
    assert!(is_conflict(
        &insert(&db, t, &dup).await,
        "sim_order_client_key"
    ));
    let q1 = OrderRecord {
        created_at: c.now() + us(1),
        updated_at: c.now() + us(1),
        ..limit_buy(&c, q.id, "AAA", Some("abc-1"))
    };
    insert(&db, t, &q1)
        .await
        .expect("the same key in another portfolio is fine");
    let q2 = OrderRecord {
        created_at: c.now() + us(2),
        updated_at: c.now() + us(2),
        ..limit_buy(&c, q.id, "AAA", None)
    };
    insert(&db, t, &q2).await.unwrap();
    assert_eq!(
        sim.order_by_client_id(t, p.id, &coid("abc-1"))
            .await
            .unwrap(),
        Some(o1.clone())
    );
    assert_eq!(
        sim.order_by_client_id(t, q.id, &coid("abc-1"))
            .await
            .unwrap(),
        Some(q1.clone())
    );
    assert_eq!(
        sim.order_by_client_id(t, p.id, &coid("ABC-1"))
            .await
            .unwrap(),
        None,
        "keys are case-sensitive"
    );
    assert_eq!(
        sim.order_by_client_id(t, p.id, &coid("nope"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        sim.order_by_client_id(other, p.id, &coid("abc-1"))
            .await
            .unwrap(),
        None
    );
    assert!(
        is_not_found(&insert(&db, other, &limit_buy(&c, p.id, "AAA", None)).await),
        "another tenant cannot place orders in this portfolio"
    );
    assert!(is_not_found(
        &insert(&db, t, &limit_buy(&c, theirs.id, "AAA", None)).await
    ));
    assert!(is_not_found(
        &insert(
            &db,
            t,
            &limit_buy(&c, PortfolioId::generate(&c), "AAA", None)
        )
        .await
    ));
    let mut tx = db.begin(Some(t)).await.unwrap();
    let rolled = limit_buy(&c, p.id, "AAA", Some("rolled-back"));
    sim.insert_order(tx.as_mut(), t, &rolled).await.unwrap();
    tx.rollback().await.unwrap();
    assert!(is_not_found(&sim.order(t, rolled.id).await));
    assert_eq!(
        sim.order_by_client_id(t, p.id, &coid("rolled-back"))
            .await
            .unwrap(),
        None
    );

    // Listing: newest first, paged, filtered by symbol.
    let ids = |v: Vec<OrderRecord>| v.into_iter().map(|o| o.id).collect::<Vec<_>>();
    let all = PageRequest::default();
    assert_eq!(
        sim.orders(t, p.id, OrderStatusFilter::All, None, all)
            .await
            .unwrap(),
        [o5.clone(), o4.clone(), o3.clone(), o2.clone(), o1.clone()]
    );
    assert_eq!(
        ids(sim
            .orders(t, p.id, OrderStatusFilter::All, None, page(2, 1))
            .await
            .unwrap()),
        [o4.id, o3.id]
    );
    assert_eq!(
        ids(sim
            .orders(t, p.id, OrderStatusFilter::All, Some(&sym("AAA")), all)
            .await
            .unwrap()),
        [o4.id, o3.id, o1.id]
    );
    assert!(
        sim.orders(t, p.id, OrderStatusFilter::All, Some(&sym("NONE")), all)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        sim.orders(t, p.id, OrderStatusFilter::Closed, None, all)
            .await
            .unwrap()
            .is_empty(),
        "new orders are open"
    );
    assert_eq!(
        ids(sim
            .orders(t, q.id, OrderStatusFilter::All, None, all)
            .await
            .unwrap()),
        [q2.id, q1.id]
    );
    assert!(
        sim.orders(other, p.id, OrderStatusFilter::All, None, all)
            .await
            .unwrap()
            .is_empty()
    );

    // Updates persist every part of the state.
    c.advance(time::Duration::seconds(1));
    let partly = OrderRecord {
        state: OrderState {
            status: Status::PartiallyFilled,
            filled_qty: d("4.000001"),
            filled_value: d("493.8012"),
            fees: d("1.01"),
            queue_ahead: Some(d("150.5")),
            ..o1.state
        },
        updated_at: c.now(),
        ..o1.clone()
    };
    let armed = OrderRecord {
        state: OrderState {
            status: Status::Accepted,
            triggered: true,
            ..o3.state
        },
        updated_at: c.now(),
        ..o3.clone()
    };
    let done = OrderRecord {
        state: OrderState {
            status: Status::Filled,
            filled_qty: d("0.000001"),
            filled_value: d("0.0001"),
            ..o2.state
        },
        updated_at: c.now(),
        ..o2.clone()
    };
    let refused = OrderRecord {
        state: OrderState {
            status: Status::Rejected,
            reason: Some(Reason::InsufficientBuyingPower),
            ..o4.state
        },
        updated_at: c.now(),
        ..o4.clone()
    };
    let canceled = OrderRecord {
        state: OrderState {
            status: Status::Canceled,
            reason: Some(Reason::CanceledByUser),
            queue_ahead: Some(d("0.000001")),
            ..o5.state
        },
        updated_at: c.now(),
        ..o5.clone()
    };
    let accepted = OrderRecord {
        state: OrderState {
            status: Status::Accepted,
            ..q1.state
        },
        updated_at: c.now(),
        ..q1.clone()
    };
    for o in [&partly, &armed, &done, &refused, &canceled, &accepted] {
        update(&db, t, o).await.unwrap();
        assert_eq!(&sim.order(t, o.id).await.unwrap(), o, "update persisted");
    }
    let requeued = OrderRecord {
        state: OrderState {
            queue_ahead: None,
            ..partly.state
        },
        ..partly.clone()
    };
    update(&db, t, &requeued).await.unwrap();
    assert_eq!(sim.order(t, o1.id).await.unwrap(), requeued);
    assert!(is_not_found(
        &update(
            &db,
            t,
            &OrderRecord {
                id: OrderId::generate(&c),
                ..o1.clone()
            }
        )
        .await
    ));
    let hijack = OrderRecord {
        state: OrderState {
            status: Status::Canceled,
            reason: Some(Reason::CanceledByUser),
            ..requeued.state
        },
        ..requeued.clone()
    };
    assert!(
        is_not_found(&update(&db, other, &hijack).await),
        "another tenant cannot change this order"
    );
    let mut tx = db.begin(Some(t)).await.unwrap();
    sim.update_order(tx.as_mut(), t, &hijack).await.unwrap();
    assert_eq!(sim.order_in(tx.as_mut(), t, o1.id).await.unwrap(), hijack);
    tx.rollback().await.unwrap();
    assert_eq!(sim.order(t, o1.id).await.unwrap(), requeued, "rolled back");

    // Status filters: open is new, accepted and partially filled.
    let list = |status, symbol: Option<&'static str>| {
        let sim = sim.clone();
        async move {
            let symbol = symbol.map(sym);
            ids(sim
                .orders(t, p.id, status, symbol.as_ref(), PageRequest::default())
                .await
                .unwrap())
        }
    };
    assert_eq!(list(OrderStatusFilter::Open, None).await, [o3.id, o1.id]);
    assert_eq!(
        list(OrderStatusFilter::Closed, None).await,
        [o5.id, o4.id, o2.id]
    );
    assert_eq!(
        list(OrderStatusFilter::Open, Some("AAA")).await,
        [o3.id, o1.id]
    );
    assert_eq!(list(OrderStatusFilter::Closed, Some("AAA")).await, [o4.id]);
    assert!(list(OrderStatusFilter::Open, Some("CCC")).await.is_empty());
    assert_eq!(
        ids(sim
            .orders(t, p.id, OrderStatusFilter::Closed, None, page(1, 2))
            .await
            .unwrap()),
        [o2.id]
    );

    // Open orders: per portfolio in a transaction, per tenant for the tick; oldest first.
    let mut tx = db.begin(Some(t)).await.unwrap();
    assert_eq!(
        sim.open_orders_in(tx.as_mut(), t, p.id).await.unwrap(),
        [requeued.clone(), armed.clone()]
    );
    assert_eq!(
        ids(sim.open_orders_in(tx.as_mut(), t, q.id).await.unwrap()),
        [q1.id, q2.id]
    );
    tx.rollback().await.unwrap();
    let mut tx = db.begin(Some(other)).await.unwrap();
    assert!(
        sim.open_orders_in(tx.as_mut(), other, p.id)
            .await
            .unwrap()
            .is_empty()
    );
    tx.rollback().await.unwrap();
    // A filter taking everything (placed after the epoch): every open order, oldest
    // first, per tenant.
    let everything = TickFilter {
        ranges: Vec::new(),
        due_day: None,
        placed_after: OffsetDateTime::UNIX_EPOCH,
    };
    assert_eq!(
        ids(sim.tick_candidates(t, &everything).await.unwrap()),
        [o1.id, o3.id, q1.id, q2.id]
    );
    assert!(
        sim.tick_candidates(other, &everything)
            .await
            .unwrap()
            .is_empty()
    );
    let theirs_open = limit_buy(&c, theirs.id, "AAA", Some("abc-1"));
    insert(&db, other, &theirs_open).await.unwrap();
    assert_eq!(
        ids(sim.tick_candidates(other, &everything).await.unwrap()),
        [theirs_open.id]
    );
    assert_eq!(
        sim.tick_candidates(t, &everything).await.unwrap().len(),
        4,
        "per tenant"
    );
}

/// The tick's candidates: only open orders the window's prices could touch, plus
/// market orders, triggered stops, new orders and day orders due to expire.
pub(in crate::contract) async fn sim_tick_candidates(db: Arc<dyn Database>) {
    let c = clock();
    let t = add_tenant(&db, &c, "sim-tick", "Tick").await;
    let sim = db.sim();
    let ana = learner(&db, &c, t, "ana@example.com", "Ana").await;
    let p = portfolio(&c, ana, None, "100000");
    open_portfolio(&db, t, &p).await.unwrap();
    let q =
        |side, kind, tif, limit, stop| spec(side, kind, tif, Size::Quantity(d("1")), limit, stop);
    let make = |symbol: &str, s: OrderSpec, day: i32| {
        c.advance(us(1_000));
        OrderRecord {
            trading_day: day,
            ..order(&c, p.id, symbol, s, None)
        }
    };
    // Window for AAA: low 99.50, high 101.25. BBB has no range (nothing traded).
    let buy_in = make("AAA", q("buy", "limit", "gtc", Some("99.75"), None), 10);
    let buy_edge = make("AAA", q("buy", "limit", "gtc", Some("99.50"), None), 10);
    let buy_out = make("AAA", q("buy", "limit", "gtc", Some("99.49"), None), 10);
    let sell_in = make("AAA", q("sell", "limit", "gtc", Some("101.25"), None), 10);
    let sell_out = make("AAA", q("sell", "limit", "gtc", Some("101.26"), None), 10);
    let stop_buy_in = make("AAA", q("buy", "stop", "gtc", None, Some("101.00")), 10);
    let stop_buy_out = make("AAA", q("buy", "stop", "gtc", None, Some("102.00")), 10);
    let stop_sell_in = make(
        "AAA",
        q("sell", "stop_limit", "gtc", Some("90.00"), Some("99.60")),
        10,
    );
    let stop_sell_out = make(
        "AAA",
        q("sell", "stop_limit", "gtc", Some("90.00"), Some("99.00")),
        10,
    );
    let mut armed = make(
        "AAA",
        q("buy", "stop_limit", "gtc", Some("80.00"), Some("150.00")),
        10,
    );
    armed.state.triggered = true;
    let other_symbol = make("BBB", q("buy", "limit", "gtc", Some("1000.00"), None), 10);
    let due = make("AAA", q("buy", "limit", "day", Some("1.00"), None), 7);
    let not_due = make("AAA", q("buy", "limit", "day", Some("1.00"), None), 8);
    let mut done = make("AAA", q("buy", "limit", "gtc", Some("100.00"), None), 10);
    done.state.status = Status::Canceled;
    done.state.reason = Some(Reason::CanceledByUser);
    let placed_after = c.now();
    let fresh = make("AAA", q("buy", "limit", "gtc", Some("1.00"), None), 10);
    for o in [
        &buy_in,
        &buy_edge,
        &buy_out,
        &sell_in,
        &sell_out,
        &stop_buy_in,
        &stop_buy_out,
        &stop_sell_in,
        &stop_sell_out,
        &armed,
        &other_symbol,
        &due,
        &not_due,
        &done,
        &fresh,
    ] {
        insert(&db, t, o).await.unwrap();
    }
    let filter = TickFilter {
        ranges: vec![(sym("AAA"), d("99.50"), d("101.25"))],
        due_day: Some(7),
        placed_after,
    };
    let ids = |v: Vec<OrderRecord>| v.into_iter().map(|o| o.id).collect::<Vec<_>>();
    let got = ids(sim.tick_candidates(t, &filter).await.unwrap());
    let want = ids(vec![
        buy_in.clone(),
        buy_edge.clone(),
        sell_in.clone(),
        stop_buy_in.clone(),
        stop_sell_in.clone(),
        armed.clone(),
        due.clone(),
        fresh.clone(),
    ]);
    assert_eq!(
        got, want,
        "exactly the orders the window could touch, oldest first"
    );
    let other = add_tenant(&db, &c, "sim-tick-2", "Other").await;
    assert!(
        sim.tick_candidates(other, &filter)
            .await
            .unwrap()
            .is_empty()
    );
}

pub(in crate::contract) async fn sim_fills_and_day_window(db: Arc<dyn Database>) {
    let c = clock();
    let t = add_tenant(&db, &c, "sim-fills", "Sim").await;
    let other = add_tenant(&db, &c, "sim-fills-2", "Other").await;
    let sim = db.sim();
    let ana = learner(&db, &c, t, "ana@example.com", "Ana").await;
    let bo = learner(&db, &c, t, "bo@example.com", "Bo").await;
    let p = portfolio(&c, ana, None, "100000");
    open_portfolio(&db, t, &p).await.unwrap();
    let q = portfolio(&c, bo, None, "100000");
    open_portfolio(&db, t, &q).await.unwrap();
    let buy = limit_buy(&c, p.id, "AAA", None);
    insert(&db, t, &buy).await.unwrap();
    let sell = order(
        &c,
        p.id,
        "BRK.B",
        spec(
            "sell",
            "market",
            "day",
            Size::Quantity(d("2.5")),
            None,
            None,
        ),
        None,
    );
    insert(&db, t, &sell).await.unwrap();
    let bos = limit_buy(&c, q.id, "AAA", None);
    insert(&db, t, &bos).await.unwrap();

    let fill = |o: &OrderRecord, side, qty: &str, price: &str, day: i32| FillRecord {
        id: FillId::generate(&c),
        order: o.id,
        portfolio: o.portfolio,
        symbol: o.symbol.clone(),
        side,
        fill: Fill {
            qty: d(qty),
            price: d(price),
            gross: (d(qty) * d(price)).round_dp(2),
            fee: d("1.01"),
            spread_cost: d("0.02"),
            slippage: d("-0.03"),
            explanation: format!("Bought {qty} at {price}: the ask, plus a $1.01 commission."),
        },
        trading_day: day,
        created_at: c.now(),
    };
    c.advance(time::Duration::seconds(1));
    let f1 = fill(&buy, Side::Buy, "4", "123.4567", 100);
    c.advance(us(250_000));
    let f2 = fill(&buy, Side::Buy, "0.000001", "0.1234", 101);
    c.advance(us(250_000));
    let f3 = fill(&sell, Side::Sell, "2.5", "99.99", 102);
    c.advance(us(1));
    let f4 = FillRecord {
        fill: Fill {
            fee: Decimal::ZERO,
            spread_cost: Decimal::ZERO,
            slippage: Decimal::ZERO,
            explanation: String::new(),
            ..f1.fill.clone()
        },
        ..fill(&buy, Side::Buy, "5.999999", "123.45", 103)
    };
    let fb = fill(&bos, Side::Buy, "1", "1", 103);
    let mut tx = db.begin(Some(t)).await.unwrap();
    for f in [&f1, &f2, &f3, &f4, &fb] {
        sim.insert_fill(tx.as_mut(), t, f).await.unwrap();
    }
    assert_eq!(
        sim.fill_totals_in(tx.as_mut(), t, p.id, 0).await.unwrap(),
        totals(&[&f1, &f2, &f3, &f4]),
        "the transaction reads its own fills"
    );
    tx.commit().await.unwrap();

    let all = PageRequest::default();
    assert_eq!(
        sim.fills(t, p.id, None, all).await.unwrap(),
        [f4.clone(), f3.clone(), f2.clone(), f1.clone()],
        "newest first, round trip"
    );
    assert_eq!(
        sim.fills(t, p.id, Some(buy.id), all).await.unwrap(),
        [f4.clone(), f2.clone(), f1.clone()]
    );
    assert_eq!(
        sim.fills(t, p.id, Some(sell.id), all).await.unwrap(),
        std::slice::from_ref(&f3)
    );
    assert_eq!(
        sim.fills(t, p.id, None, page(2, 1)).await.unwrap(),
        [f3.clone(), f2.clone()]
    );
    assert_eq!(
        sim.fills(t, p.id, Some(buy.id), page(1, 2)).await.unwrap(),
        std::slice::from_ref(&f1)
    );
    assert!(
        sim.fills(t, p.id, Some(bos.id), all)
            .await
            .unwrap()
            .is_empty(),
        "another portfolio's order"
    );
    assert!(
        sim.fills(t, p.id, Some(OrderId::generate(&c)), all)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        sim.fills(t, q.id, None, all).await.unwrap(),
        std::slice::from_ref(&fb)
    );
    assert_eq!(
        sim.all_fills(t, p.id).await.unwrap(),
        [f1.clone(), f2.clone(), f3.clone(), f4.clone()],
        "oldest first"
    );

    // The day window: on or after the given trading day.
    let mut tx = db.begin(Some(t)).await.unwrap();
    assert_eq!(
        sim.fill_totals_in(tx.as_mut(), t, p.id, 102).await.unwrap(),
        totals(&[&f3, &f4])
    );
    assert_eq!(
        sim.fill_totals_in(tx.as_mut(), t, p.id, 101).await.unwrap(),
        totals(&[&f2, &f3, &f4])
    );
    assert!(
        sim.fill_totals_in(tx.as_mut(), t, p.id, 104)
            .await
            .unwrap()
            .is_empty()
    );
    tx.rollback().await.unwrap();

    // Tenant isolation and unknown orders.
    assert!(sim.fills(other, p.id, None, all).await.unwrap().is_empty());
    assert!(sim.all_fills(other, p.id).await.unwrap().is_empty());
    let mut tx = db.begin(Some(other)).await.unwrap();
    assert!(
        sim.fill_totals_in(tx.as_mut(), other, p.id, 0)
            .await
            .unwrap()
            .is_empty()
    );
    tx.rollback().await.unwrap();
    let stray = fill(&buy, Side::Buy, "1", "1", 104);
    assert!(
        is_not_found(&committed!(db, other, |tx| sim.insert_fill(tx, other, &stray))),
        "another tenant cannot fill this order"
    );
    let orphan = FillRecord {
        order: OrderId::generate(&c),
        ..fill(&buy, Side::Buy, "1", "1", 104)
    };
    assert!(is_not_found(
        &committed!(db, t, |tx| sim.insert_fill(tx, t, &orphan))
    ));
    let mut tx = db.begin(Some(t)).await.unwrap();
    sim.insert_fill(tx.as_mut(), t, &stray).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(
        sim.all_fills(t, p.id).await.unwrap().len(),
        4,
        "rolled back"
    );
}

/// The expected per (day, symbol, side) totals of `fills`, in the store's order.
pub(super) fn totals(fills: &[&FillRecord]) -> Vec<FillTotal> {
    let mut sums: std::collections::BTreeMap<(i32, String, &'static str), Decimal> =
        std::collections::BTreeMap::new();
    for f in fills {
        *sums
            .entry((f.trading_day, f.symbol.as_str().to_owned(), f.side.as_str()))
            .or_default() += f.fill.qty;
    }
    sums.into_iter()
        .map(|((trading_day, symbol, side), qty)| FillTotal {
            trading_day,
            symbol: Symbol::from_stored(symbol),
            side: Side::parse(side).unwrap(),
            qty,
        })
        .collect()
}
