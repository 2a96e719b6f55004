//! Simulator cases: competitions, imports and the order event stream.

use super::*;

pub(in crate::contract) async fn sim_competitions_and_entrants(db: Arc<dyn Database>) {
    let c = clock();
    let t = add_tenant(&db, &c, "sim-contests", "Sim").await;
    let other = add_tenant(&db, &c, "sim-contests-2", "Other").await;
    let sim = db.sim();
    let ana = learner(&db, &c, t, "ana@example.com", "Ana").await;
    let bo = learner(&db, &c, t, "bo@example.com", "Bo Zhang").await;
    let cy = learner(&db, &c, other, "cy@example.com", "Cy").await;
    let nine_a = add_cohort(&db, &c, t, "9A").await;
    let nine_b = add_cohort(&db, &c, t, "9B").await;
    let theirs = add_cohort(&db, &c, other, "9A").await;

    let c1 = competition(&c, nine_a, "Autumn cup");
    add_competition(&db, t, &c1).await.unwrap();
    c.advance(us(250_000));
    let c2 = Competition {
        allowed_symbols: Vec::new(),
        metric: Metric::Sharpe,
        starting_cash: d("0.01"),
        ..competition(&c, nine_a, "Sharpe shoot-out")
    };
    add_competition(&db, t, &c2).await.unwrap();
    c.advance(us(1));
    let c3 = competition(&c, nine_b, "9B only");
    add_competition(&db, t, &c3).await.unwrap();
    for x in [&c1, &c2, &c3] {
        assert_eq!(&sim.competition(t, x.id).await.unwrap(), x, "round trip");
    }
    assert!(is_not_found(&sim.competition(other, c1.id).await));
    assert!(is_not_found(
        &sim.competition(t, CompetitionId::generate(&c)).await
    ));
    let ids = |v: Vec<Competition>| v.into_iter().map(|x| x.id).collect::<Vec<_>>();
    let all = PageRequest::default();
    assert_eq!(
        ids(sim.competitions(t, None, all).await.unwrap()),
        [c3.id, c2.id, c1.id],
        "newest first"
    );
    assert_eq!(
        sim.competitions(t, Some(nine_a), all).await.unwrap(),
        [c2.clone(), c1.clone()]
    );
    assert_eq!(
        ids(sim.competitions(t, None, page(1, 1)).await.unwrap()),
        [c2.id]
    );
    assert_eq!(
        ids(sim.competitions(t, Some(nine_a), page(5, 1)).await.unwrap()),
        [c1.id]
    );
    assert!(sim.competitions(other, None, all).await.unwrap().is_empty());
    assert!(
        sim.competitions(t, Some(theirs), all)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        is_not_found(&add_competition(&db, t, &competition(&c, CohortId::generate(&c), "x")).await),
        "an unknown cohort"
    );
    assert!(
        is_not_found(&add_competition(&db, t, &competition(&c, theirs, "x")).await),
        "another tenant's cohort"
    );
    assert!(
        is_not_found(&add_competition(&db, other, &competition(&c, nine_a, "x")).await),
        "this tenant's cohort from another tenant"
    );
    assert!(sim.competitions(other, None, all).await.unwrap().is_empty());

    // Entrants: one portfolio per learner per competition, names and preferences.
    c.advance(us(1));
    let practice = portfolio(&c, ana, None, "100000");
    open_portfolio(&db, t, &practice).await.unwrap();
    c.advance(us(250_000));
    let ana_c1 = portfolio(&c, ana, Some(c1.id), "10000.5");
    open_portfolio(&db, t, &ana_c1).await.unwrap();
    c.advance(us(1));
    let bo_c1 = PortfolioRecord {
        cash: d("9000.25"),
        realized_pnl: d("-1000.25"),
        ..portfolio(&c, bo, Some(c1.id), "10000.5")
    };
    open_portfolio(&db, t, &bo_c1).await.unwrap();
    c.advance(us(1));
    let ana_c2 = portfolio(&c, ana, Some(c2.id), "0.01");
    open_portfolio(&db, t, &ana_c2).await.unwrap();
    assert!(
        is_conflict(
            &open_portfolio(&db, t, &portfolio(&c, ana, Some(c1.id), "1")).await,
            "portfolio_competition_key"
        ),
        "one entry per learner per competition"
    );
    assert!(
        is_conflict(
            &open_portfolio(&db, t, &portfolio(&c, ana, None, "1")).await,
            "portfolio_practice_key"
        ),
        "entries do not free the practice slot"
    );
    assert!(
        is_not_found(
            &open_portfolio(
                &db,
                t,
                &portfolio(&c, ana, Some(CompetitionId::generate(&c)), "1")
            )
            .await
        ),
        "an unknown competition"
    );
    assert!(
        is_not_found(&open_portfolio(&db, other, &portfolio(&c, cy, Some(c1.id), "1")).await),
        "another tenant's competition"
    );
    assert_eq!(
        sim.find_portfolio(t, ana, Some(c1.id)).await.unwrap(),
        Some(ana_c1.clone())
    );
    assert_eq!(
        sim.find_portfolio(t, ana, None).await.unwrap(),
        Some(practice.clone())
    );
    assert_eq!(sim.find_portfolio(t, bo, Some(c2.id)).await.unwrap(), None);
    assert_eq!(sim.find_portfolio(t, bo, None).await.unwrap(), None);
    assert_eq!(
        sim.find_portfolio(other, ana, Some(c1.id)).await.unwrap(),
        None
    );
    assert_eq!(
        sim.portfolios_of(t, ana).await.unwrap(),
        [practice.clone(), ana_c1.clone(), ana_c2.clone()],
        "oldest first"
    );
    assert_eq!(
        sim.portfolios_of(t, bo).await.unwrap(),
        std::slice::from_ref(&bo_c1)
    );

    let entrants = sim.entrants(t, c1.id).await.unwrap();
    assert_eq!(
        entrants,
        [
            Entrant {
                portfolio: ana_c1.clone(),
                display_name: "Ana".to_owned(),
                opted_in: false,
            },
            Entrant {
                portfolio: bo_c1.clone(),
                display_name: "Bo Zhang".to_owned(),
                opted_in: false,
            },
        ],
        "nobody is on a leaderboard until they opt in"
    );
    let achievements = db.achievements();
    committed!(db, t, |tx| achievements.set_leaderboard_opt_in(
        tx,
        t,
        bo,
        true,
        c.now()
    ))
    .unwrap();
    committed!(db, t, |tx| achievements.set_leaderboard_opt_in(
        tx,
        t,
        ana,
        false,
        c.now()
    ))
    .unwrap();
    let flags: Vec<_> = sim
        .entrants(t, c1.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.portfolio.id, e.display_name, e.opted_in))
        .collect();
    assert_eq!(
        flags,
        [
            (ana_c1.id, "Ana".to_owned(), false),
            (bo_c1.id, "Bo Zhang".to_owned(), true),
        ]
    );
    assert_eq!(
        sim.entrants(t, c2.id).await.unwrap(),
        [Entrant {
            portfolio: ana_c2.clone(),
            display_name: "Ana".to_owned(),
            opted_in: false,
        }]
    );
    assert!(sim.entrants(t, c3.id).await.unwrap().is_empty());
    assert!(
        sim.entrants(t, CompetitionId::generate(&c))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(sim.entrants(other, c1.id).await.unwrap().is_empty());
}

pub(in crate::contract) async fn sim_imports_replace_atomically(db: Arc<dyn Database>) {
    let c = clock();
    let t = add_tenant(&db, &c, "sim-imports", "Sim").await;
    let other = add_tenant(&db, &c, "sim-imports-2", "Other").await;
    let sim = db.sim();
    let bar = |dd: Date, open: &str, close: &str, volume: i64| ImportedBar {
        day: dd,
        open: d(open),
        high: d(open).max(d(close)) + d("0.0001"),
        low: d(open).min(d(close)) - d("0.5"),
        close: d(close),
        volume,
    };
    let (aaa, brk) = (sym("AAA"), sym("BRK.B"));
    let march = |dd| day(2026, Month::March, dd);
    let first = vec![
        bar(march(4), "10.1234", "10.75", 1_000_000),
        bar(march(2), "9.99", "10.1234", 0),
        bar(march(3), "123456.7891", "0.0001", 9_000_000_000),
    ];
    committed!(db, t, |tx| sim.replace_import(tx, t, &aaa, &first, c.now())).unwrap();
    let brks = vec![
        bar(day(2025, Month::December, 31), "400", "401.5", 12),
        bar(day(2026, Month::January, 2), "401.5", "399", 13),
    ];
    committed!(db, t, |tx| sim.replace_import(tx, t, &brk, &brks, c.now())).unwrap();
    let sorted = vec![first[1].clone(), first[2].clone(), first[0].clone()];
    assert_eq!(
        sim.imported_bars(t, &aaa).await.unwrap(),
        sorted,
        "oldest first"
    );
    assert_eq!(sim.imported_bars(t, &brk).await.unwrap(), brks);
    assert!(sim.imported_bars(t, &sym("NONE")).await.unwrap().is_empty());
    let summary = |symbol: &Symbol, bars, first, last| ImportSummary {
        symbol: symbol.clone(),
        bars,
        first,
        last,
    };
    assert_eq!(
        sim.imports(t).await.unwrap(),
        [
            summary(&aaa, 3, march(2), march(4)),
            summary(
                &brk,
                2,
                day(2025, Month::December, 31),
                day(2026, Month::January, 2)
            ),
        ]
    );
    assert!(sim.imports(other).await.unwrap().is_empty());
    assert!(sim.imported_bars(other, &aaa).await.unwrap().is_empty());

    // Replacing swaps the whole symbol and nothing else.
    c.advance(us(250_000));
    let second = vec![bar(march(3), "11", "12", 5), bar(march(9), "12", "13", 6)];
    committed!(db, t, |tx| sim.replace_import(
        tx,
        t,
        &aaa,
        &second,
        c.now()
    ))
    .unwrap();
    assert_eq!(sim.imported_bars(t, &aaa).await.unwrap(), second);
    assert_eq!(sim.imported_bars(t, &brk).await.unwrap(), brks, "untouched");
    assert_eq!(
        sim.imports(t).await.unwrap()[0],
        summary(&aaa, 2, march(3), march(9))
    );

    // Another tenant's import of the same symbol is its own.
    let theirs = vec![bar(march(5), "1", "2", 3)];
    committed!(db, other, |tx| sim.replace_import(
        tx,
        other,
        &aaa,
        &theirs,
        c.now()
    ))
    .unwrap();
    assert_eq!(sim.imported_bars(other, &aaa).await.unwrap(), theirs);
    assert_eq!(sim.imported_bars(t, &aaa).await.unwrap(), second);
    assert_eq!(
        sim.imports(other).await.unwrap(),
        [summary(&aaa, 1, march(5), march(5))]
    );

    // A rolled-back replacement leaves the previous import intact.
    let mut tx = db.begin(Some(t)).await.unwrap();
    sim.replace_import(
        tx.as_mut(),
        t,
        &aaa,
        &[bar(march(20), "1", "1", 1)],
        c.now(),
    )
    .await
    .unwrap();
    sim.replace_import(tx.as_mut(), t, &brk, &[], c.now())
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(sim.imported_bars(t, &aaa).await.unwrap(), second);
    assert_eq!(sim.imported_bars(t, &brk).await.unwrap(), brks);

    // So does a replacement that fails part-way (two bars for one day).
    let clash = vec![bar(march(20), "1", "1", 1), bar(march(20), "2", "2", 2)];
    let failed = committed!(db, t, |tx| sim.replace_import(tx, t, &aaa, &clash, c.now()));
    assert!(failed.is_err(), "a duplicate day is refused");
    assert_eq!(sim.imported_bars(t, &aaa).await.unwrap(), second);

    // Replacing with nothing removes the symbol.
    committed!(db, t, |tx| sim.replace_import(tx, t, &aaa, &[], c.now())).unwrap();
    assert!(sim.imported_bars(t, &aaa).await.unwrap().is_empty());
    assert_eq!(
        sim.imports(t).await.unwrap(),
        [summary(
            &brk,
            2,
            day(2025, Month::December, 31),
            day(2026, Month::January, 2)
        )]
    );
    assert_eq!(sim.imported_bars(other, &aaa).await.unwrap(), theirs);
}

pub(in crate::contract) async fn sim_events_resume(db: Arc<dyn Database>) {
    let c = clock();
    let t = add_tenant(&db, &c, "sim-events", "Sim").await;
    let other = add_tenant(&db, &c, "sim-events-2", "Other").await;
    let sim = db.sim();
    let ana = learner(&db, &c, t, "ana@example.com", "Ana").await;
    let bo = learner(&db, &c, t, "bo@example.com", "Bo").await;
    let cy = learner(&db, &c, other, "cy@example.com", "Cy").await;

    assert!(sim.events_after(t, ana, 0, 10).await.unwrap().is_empty());
    assert_eq!(sim.last_event_id(t, ana).await.unwrap(), 0, "none yet");
    let push = |tenant: TenantId,
                user: UserId,
                kind: &'static str,
                payload: String,
                at: OffsetDateTime| {
        let (db, sim) = (db.clone(), sim.clone());
        async move {
            let id = committed!(db, tenant, |tx| sim
                .push_event(tx, tenant, user, kind, &payload, at))?;
            Ok::<_, StoreError>(SimEvent {
                id,
                kind: kind.to_owned(),
                payload,
                at,
            })
        }
    };
    let mut mine = Vec::new();
    let mut last = 0;
    for (i, kind) in ["order", "fill", "order", "order"].into_iter().enumerate() {
        c.advance(us(250_000));
        let e = push(
            t,
            ana,
            kind,
            format!(r#"{{"n":{i},"text":"ünïcode ✓"}}"#),
            c.now(),
        )
        .await
        .unwrap();
        assert!(e.id > last, "IDs increase");
        last = e.id;
        mine.push(e);
        let b = push(t, bo, "order", "{}".to_owned(), c.now())
            .await
            .unwrap();
        assert!(b.id > last, "across learners too");
        last = b.id;
    }
    let theirs = push(other, cy, "fill", "{}".to_owned(), c.now())
        .await
        .unwrap();
    assert!(theirs.id > last);

    assert_eq!(
        sim.events_after(t, ana, 0, 100).await.unwrap(),
        mine,
        "round trip, oldest first"
    );
    assert_eq!(
        sim.last_event_id(t, ana).await.unwrap(),
        mine.last().unwrap().id,
        "the learner's latest, not another learner's"
    );
    assert_eq!(
        sim.last_event_id(other, ana).await.unwrap(),
        0,
        "per tenant"
    );
    assert_eq!(
        sim.events_after(t, ana, mine[0].id, 100).await.unwrap(),
        mine[1..],
        "strictly after"
    );
    assert_eq!(
        sim.events_after(t, ana, mine[1].id - 1, 100).await.unwrap(),
        mine[1..],
        "an ID between two of the learner's events"
    );
    assert_eq!(
        sim.events_after(t, ana, 0, 2).await.unwrap(),
        mine[..2],
        "at most limit"
    );
    assert_eq!(
        sim.events_after(t, ana, mine[1].id, 1).await.unwrap(),
        mine[2..3]
    );
    assert!(
        sim.events_after(t, ana, mine[3].id, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        sim.events_after(t, ana, i64::MAX, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        sim.events_after(t, bo, 0, 100).await.unwrap().len(),
        4,
        "per learner"
    );
    assert!(
        sim.events_after(other, ana, 0, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(sim.events_after(t, cy, 0, 100).await.unwrap().is_empty());
    assert_eq!(
        sim.events_after(other, cy, 0, 100).await.unwrap(),
        std::slice::from_ref(&theirs)
    );

    // Writes under the wrong tenant fail; rolled-back events never appear.
    assert!(
        is_not_found(&push(other, ana, "order", "{}".to_owned(), c.now()).await),
        "no events for another tenant's learner"
    );
    assert!(is_not_found(
        &push(t, UserId::generate(&c), "order", "{}".to_owned(), c.now()).await
    ));
    let mut tx = db.begin(Some(t)).await.unwrap();
    let discarded = sim
        .push_event(tx.as_mut(), t, ana, "order", "{}", c.now())
        .await
        .unwrap();
    assert!(discarded > theirs.id);
    tx.rollback().await.unwrap();
    assert_eq!(sim.events_after(t, ana, 0, 100).await.unwrap(), mine);
    c.advance(us(1));
    let next = push(t, ana, "fill", "{}".to_owned(), c.now())
        .await
        .unwrap();
    assert!(next.id > theirs.id, "IDs keep increasing after a rollback");
    assert_eq!(
        sim.events_after(t, ana, mine[3].id, 100).await.unwrap(),
        [next]
    );
}
