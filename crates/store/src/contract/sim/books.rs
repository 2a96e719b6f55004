//! Simulator cases: settings, portfolios, positions and the ledger.

use super::*;

pub(in crate::contract) async fn sim_settings_and_portfolios(db: Arc<dyn Database>) {
    let c = clock();
    let t = add_tenant(&db, &c, "sim-books", "Sim").await;
    let other = add_tenant(&db, &c, "sim-books-2", "Other").await;
    let sim = db.sim();
    let ana = learner(&db, &c, t, "ana@example.com", "Ana").await;
    let bo = learner(&db, &c, t, "bo@example.com", "Bo").await;
    let stranger = learner(&db, &c, other, "cy@example.com", "Cy").await;

    // Settings: none until saved, then upserted, per tenant.
    assert_eq!(sim.settings(t).await.unwrap(), None);
    let mine = SimSettings {
        starting_cash: d("25000.5"),
        realism: Realism::Frictionless,
        rules: Rules {
            allow_short: true,
            margin: false,
            pattern_day_trader: true,
            allow_extended_hours: false,
        },
    };
    committed!(db, t, |tx| sim.put_settings(tx, t, &mine, c.now())).unwrap();
    assert_eq!(sim.settings(t).await.unwrap(), Some(mine.clone()));
    assert_eq!(sim.settings(other).await.unwrap(), None, "per tenant");
    for realism in ["standard", "realistic"] {
        let changed = SimSettings {
            starting_cash: d("1000000.25"),
            realism: Realism::parse(realism).unwrap(),
            rules: Rules {
                allow_short: false,
                margin: true,
                pattern_day_trader: false,
                allow_extended_hours: true,
            },
        };
        committed!(db, t, |tx| sim.put_settings(tx, t, &changed, c.now())).unwrap();
        assert_eq!(sim.settings(t).await.unwrap(), Some(changed));
    }
    let theirs = SimSettings::default();
    committed!(db, other, |tx| sim.put_settings(
        tx,
        other,
        &theirs,
        c.now()
    ))
    .unwrap();
    assert_eq!(sim.settings(other).await.unwrap(), Some(theirs));
    assert_eq!(
        sim.settings(t).await.unwrap().unwrap().realism.as_str(),
        "realistic",
        "another tenant's save leaves this tenant's settings alone"
    );

    // Portfolios: round trip, one practice portfolio per learner, tenant isolation.
    c.advance(us(250_000));
    let practice = PortfolioRecord {
        cash: d("99876.54"),
        realized_pnl: d("-12.34"),
        fees_paid: d("1.05"),
        ..portfolio(&c, ana, None, "100000")
    };
    open_portfolio(&db, t, &practice).await.unwrap();
    assert_eq!(sim.portfolio(t, practice.id).await.unwrap(), practice);
    assert!(is_not_found(&sim.portfolio(other, practice.id).await));
    assert!(is_not_found(
        &sim.portfolio(t, PortfolioId::generate(&c)).await
    ));
    assert_eq!(
        sim.find_portfolio(t, ana, None).await.unwrap(),
        Some(practice.clone())
    );
    assert_eq!(sim.find_portfolio(t, bo, None).await.unwrap(), None);
    assert_eq!(sim.find_portfolio(other, ana, None).await.unwrap(), None);
    assert_eq!(
        sim.find_portfolio(t, ana, Some(CompetitionId::generate(&c)))
            .await
            .unwrap(),
        None,
        "the practice portfolio is not a competition entry"
    );
    let again = portfolio(&c, ana, None, "5");
    assert!(
        is_conflict(
            &open_portfolio(&db, t, &again).await,
            "portfolio_practice_key"
        ),
        "one practice portfolio per learner"
    );
    assert!(
        is_not_found(&open_portfolio(&db, t, &portfolio(&c, stranger, None, "5")).await),
        "another tenant's user gets no portfolio here"
    );
    assert!(
        is_not_found(&open_portfolio(&db, other, &portfolio(&c, ana, None, "5")).await),
        "nor does this tenant's user get one there"
    );
    assert_eq!(
        sim.find_portfolio(other, stranger, None).await.unwrap(),
        None
    );
    c.advance(us(1));
    let bos = portfolio(&c, bo, None, "0.01");
    open_portfolio(&db, t, &bos).await.unwrap();
    assert_eq!(
        sim.portfolios_of(t, ana).await.unwrap(),
        std::slice::from_ref(&practice)
    );
    assert_eq!(
        sim.portfolios_of(t, bo).await.unwrap(),
        std::slice::from_ref(&bos)
    );
    assert!(sim.portfolios_of(other, ana).await.unwrap().is_empty());
    assert!(sim.portfolios_of(t, stranger).await.unwrap().is_empty());

    // Lock, then save the totals (only the totals) in the same transaction.
    c.advance(us(500_001));
    let mut tx = db.begin(Some(t)).await.unwrap();
    let locked = sim
        .lock_portfolio(tx.as_mut(), t, practice.id)
        .await
        .unwrap();
    assert_eq!(locked, practice, "the lock reads the current row");
    let saved = PortfolioRecord {
        cash: d("-250.75"),
        realized_pnl: d("1234.56"),
        fees_paid: d("7.5"),
        updated_at: c.now(),
        ..locked.clone()
    };
    let attempt = PortfolioRecord {
        starting_cash: d("1"),
        created_at: c.now(),
        ..saved.clone()
    };
    sim.update_totals(tx.as_mut(), t, &attempt).await.unwrap();
    assert_eq!(
        sim.lock_portfolio(tx.as_mut(), t, practice.id)
            .await
            .unwrap(),
        saved,
        "the transaction reads its own write; starting cash and creation are not totals"
    );
    tx.commit().await.unwrap();
    assert_eq!(sim.portfolio(t, practice.id).await.unwrap(), saved);
    assert_eq!(sim.portfolio(t, bos.id).await.unwrap(), bos, "untouched");

    let mut tx = db.begin(Some(t)).await.unwrap();
    assert!(is_not_found(
        &sim.lock_portfolio(tx.as_mut(), t, PortfolioId::generate(&c))
            .await
    ));
    tx.rollback().await.unwrap();
    let mut tx = db.begin(Some(other)).await.unwrap();
    assert!(is_not_found(
        &sim.lock_portfolio(tx.as_mut(), other, practice.id).await
    ));
    tx.rollback().await.unwrap();
    let hijack = PortfolioRecord {
        cash: d("1000000"),
        ..saved.clone()
    };
    assert!(is_not_found(
        &committed!(db, other, |tx| sim.update_totals(tx, other, &hijack))
    ));
    let ghost = portfolio(&c, ana, None, "1");
    assert!(is_not_found(
        &committed!(db, t, |tx| sim.update_totals(tx, t, &ghost))
    ));
    assert_eq!(sim.portfolio(t, practice.id).await.unwrap(), saved);

    // A rolled-back totals update leaves the row as it was.
    let mut tx = db.begin(Some(t)).await.unwrap();
    sim.update_totals(tx.as_mut(), t, &hijack).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(sim.portfolio(t, practice.id).await.unwrap(), saved);

    if db.backend() == "postgres" {
        // A second locker waits until the first commits, then reads the committed row.
        let mut first = db.begin(Some(t)).await.unwrap();
        sim.lock_portfolio(first.as_mut(), t, practice.id)
            .await
            .unwrap();
        let (db2, sim2, id) = (db.clone(), sim.clone(), practice.id);
        let mut second = tokio::spawn(async move {
            let mut tx = db2.begin(Some(t)).await.unwrap();
            let row = sim2.lock_portfolio(tx.as_mut(), t, id).await.unwrap();
            tx.commit().await.unwrap();
            row
        });
        assert!(
            tokio::time::timeout(Duration::from_millis(500), &mut second)
                .await
                .is_err(),
            "the second locker waits for the first"
        );
        let after = PortfolioRecord {
            cash: d("42.42"),
            ..saved.clone()
        };
        sim.update_totals(first.as_mut(), t, &after).await.unwrap();
        first.commit().await.unwrap();
        let seen = tokio::time::timeout(Duration::from_secs(10), second)
            .await
            .expect("the second locker proceeds once the first commits")
            .unwrap();
        assert_eq!(seen, after, "and sees the first one's write");
    }
}

pub(in crate::contract) async fn sim_books_positions_ledger(db: Arc<dyn Database>) {
    let c = clock();
    let t = add_tenant(&db, &c, "sim-ledger", "Sim").await;
    let other = add_tenant(&db, &c, "sim-ledger-2", "Other").await;
    let sim = db.sim();
    let ana = learner(&db, &c, t, "ana@example.com", "Ana").await;
    let bo = learner(&db, &c, t, "bo@example.com", "Bo").await;
    let p = portfolio(&c, ana, None, "100000");
    open_portfolio(&db, t, &p).await.unwrap();
    let q = portfolio(&c, bo, None, "100000");
    open_portfolio(&db, t, &q).await.unwrap();

    // Positions: signed quantities to six places, sorted by symbol.
    assert!(sim.positions(t, p.id).await.unwrap().is_empty());
    let pos = |s: &str, qty: &str, cost: &str| PositionRecord {
        symbol: sym(s),
        qty: d(qty),
        cost_basis: d(cost),
        updated_at: c.now(),
    };
    let long = pos("ZED", "10.5", "1296.23");
    let short = pos("AAA", "-3", "-450.25");
    let tiny = pos("BRK.B", "0.000001", "0.01");
    let mut tx = db.begin(Some(t)).await.unwrap();
    for x in [&long, &short, &tiny] {
        sim.put_position(tx.as_mut(), t, p.id, x).await.unwrap();
    }
    let want = vec![short.clone(), tiny.clone(), long.clone()];
    assert_eq!(
        sim.positions_in(tx.as_mut(), t, p.id).await.unwrap(),
        want,
        "the transaction reads its own writes"
    );
    tx.commit().await.unwrap();
    assert_eq!(sim.positions(t, p.id).await.unwrap(), want);
    assert!(
        sim.positions(t, q.id).await.unwrap().is_empty(),
        "per portfolio"
    );
    assert!(sim.positions(other, p.id).await.unwrap().is_empty());
    let mut tx = db.begin(Some(other)).await.unwrap();
    assert!(
        sim.positions_in(tx.as_mut(), other, p.id)
            .await
            .unwrap()
            .is_empty()
    );
    tx.rollback().await.unwrap();

    // Upsert, then zero removes; zero on nothing is a no-op.
    c.advance(us(250_000));
    let grown = pos("ZED", "123456789.123456", "98765432.1");
    let flat = pos("AAA", "0", "0");
    let never = pos("NONE", "0", "0");
    let mut tx = db.begin(Some(t)).await.unwrap();
    for x in [&grown, &flat, &never] {
        sim.put_position(tx.as_mut(), t, p.id, x).await.unwrap();
    }
    tx.commit().await.unwrap();
    assert_eq!(
        sim.positions(t, p.id).await.unwrap(),
        [tiny.clone(), grown.clone()]
    );
    let flat_tiny = pos("BRK.B", "0.000000", "0.00");
    committed!(db, t, |tx| sim.put_position(tx, t, p.id, &flat_tiny)).unwrap();
    assert_eq!(
        sim.positions(t, p.id).await.unwrap(),
        std::slice::from_ref(&grown),
        "a zero with scale is still zero"
    );
    assert!(
        is_not_found(&committed!(db, other, |tx| sim.put_position(tx, other, p.id, &long))),
        "another tenant cannot write into this portfolio"
    );
    assert!(is_not_found(&committed!(db, t, |tx| sim.put_position(
        tx,
        t,
        PortfolioId::generate(&c),
        &long
    ))));
    committed!(db, other, |tx| sim.put_position(
        tx,
        other,
        p.id,
        &pos("ZED", "0", "0")
    ))
    .unwrap();
    let mut tx = db.begin(Some(t)).await.unwrap();
    sim.put_position(tx.as_mut(), t, p.id, &pos("ZED", "0", "0"))
        .await
        .unwrap();
    sim.put_position(tx.as_mut(), t, p.id, &short)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(
        sim.positions(t, p.id).await.unwrap(),
        std::slice::from_ref(&grown),
        "neither another tenant's delete nor a rolled-back change touched it"
    );

    // Ledger: oldest first (then by transaction and account), paged.
    c.advance(us(1));
    let funding = LedgerTxnId::generate(&c);
    let entry = |txn, account: &str, amount: &str, order| LedgerRecord {
        txn,
        account: account.to_owned(),
        amount: d(amount),
        order,
        at: c.now(),
    };
    let fund = vec![
        entry(funding, "funding", "-100000", None),
        entry(funding, "cash", "100000.0000", None),
    ];
    committed!(db, t, |tx| sim.post(tx, t, p.id, &fund)).unwrap();
    c.advance(us(500_000));
    let fill = LedgerTxnId::generate(&c);
    let oid = OrderId::generate(&c);
    let trade = vec![
        entry(fill, "securities:ZED", "1234.5678", Some(oid)),
        entry(fill, "cash", "-1235.6178", Some(oid)),
        entry(fill, "fees", "1.05", Some(oid)),
    ];
    committed!(db, t, |tx| sim.post(tx, t, p.id, &trade)).unwrap();
    let bos = vec![
        entry(LedgerTxnId::generate(&c), "cash", "5", None),
        entry(LedgerTxnId::generate(&c), "funding", "-5", None),
    ];
    committed!(db, t, |tx| sim.post(tx, t, q.id, &bos)).unwrap();
    committed!(db, t, |tx| sim.post(tx, t, q.id, &[])).unwrap();
    let ledger = vec![
        fund[1].clone(),
        fund[0].clone(),
        trade[1].clone(),
        trade[2].clone(),
        trade[0].clone(),
    ];
    assert_eq!(
        sim.ledger(t, p.id, PageRequest::default()).await.unwrap(),
        ledger
    );
    assert_eq!(sim.ledger(t, p.id, page(2, 1)).await.unwrap(), ledger[1..3]);
    assert!(sim.ledger(t, p.id, page(10, 5)).await.unwrap().is_empty());
    let sum: Decimal = sim
        .ledger(t, p.id, PageRequest::default())
        .await
        .unwrap()
        .iter()
        .map(|e| e.amount)
        .sum();
    assert_eq!(sum, Decimal::ZERO);
    assert_eq!(
        sim.ledger(t, q.id, PageRequest::default())
            .await
            .unwrap()
            .len(),
        2,
        "per portfolio"
    );
    assert!(
        sim.ledger(other, p.id, PageRequest::default())
            .await
            .unwrap()
            .is_empty()
    );
    let stray = vec![entry(LedgerTxnId::generate(&c), "cash", "1", None)];
    assert!(
        is_not_found(&committed!(db, other, |tx| sim.post(tx, other, p.id, &stray))),
        "another tenant cannot post to this portfolio"
    );
    assert!(is_not_found(&committed!(db, t, |tx| sim.post(
        tx,
        t,
        PortfolioId::generate(&c),
        &stray
    ))));
    let mut tx = db.begin(Some(t)).await.unwrap();
    sim.post(tx.as_mut(), t, p.id, &stray).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(
        sim.ledger(t, p.id, PageRequest::default()).await.unwrap(),
        ledger,
        "a rolled-back posting leaves no trace"
    );
}
