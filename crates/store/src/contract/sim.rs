//! Portfolio simulator cases: settings, portfolios, positions, the ledger, orders,
//! fills, competitions, imported market data and the order event stream.
//!
//! Timestamps are whole microseconds (PostgreSQL's precision), several of them less
//! than a second apart so ordering by time is checked below the second too. Decimals
//! fit the PostgreSQL column scales; `Decimal` equality ignores trailing zeros.

use super::*;
use crate::{Entrant, FillTotal, ImportSummary, OrderStatusFilter, TickFilter};
use nexus_domain::learning::enrolment::{Cohort, CohortId};
use nexus_domain::sim::{
    ClientOrderId, Competition, CompetitionId, FillId, FillRecord, ImportedBar, LedgerRecord,
    LedgerTxnId, Metric, OrderId, OrderRecord, PortfolioId, PortfolioRecord, PositionRecord,
    SimEvent, SimSettings, Symbol,
};
use nexus_trading::engine::{Fill, OrderState};
use nexus_trading::order::{OrderSpec, RawOrder, Reason, Side, Size, Status};
use nexus_trading::realism::Realism;
use nexus_trading::rules::Rules;
use rust_decimal::Decimal;
use time::{Date, Month, OffsetDateTime};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn sym(s: &str) -> Symbol {
    Symbol::parse(s).unwrap()
}

fn coid(s: &str) -> ClientOrderId {
    ClientOrderId::parse(s).unwrap()
}

fn us(n: i64) -> time::Duration {
    time::Duration::microseconds(n)
}

fn page(limit: u32, offset: u64) -> PageRequest {
    PageRequest::new(Some(limit), Some(offset)).unwrap()
}

fn day(y: i32, m: Month, dd: u8) -> Date {
    Date::from_calendar_date(y, m, dd).unwrap()
}

fn is_not_found<T: std::fmt::Debug>(r: &Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::NotFound))
}

fn is_conflict<T: std::fmt::Debug>(r: &Result<T, StoreError>, name: &str) -> bool {
    matches!(r, Err(StoreError::Conflict { constraint }) if *constraint == name)
}

async fn learner(
    db: &Arc<dyn Database>,
    c: &ManualClock,
    t: TenantId,
    email: &str,
    name: &str,
) -> UserId {
    let id = UserId::generate(c);
    db.users()
        .create(t, id, &new_user(email, name, Role::Learner), c.now())
        .await
        .unwrap();
    id
}

fn portfolio(
    c: &ManualClock,
    user: UserId,
    competition: Option<CompetitionId>,
    cash: &str,
) -> PortfolioRecord {
    PortfolioRecord {
        id: PortfolioId::generate(c),
        user,
        competition,
        cash: d(cash),
        starting_cash: d(cash),
        realized_pnl: Decimal::ZERO,
        fees_paid: Decimal::ZERO,
        created_at: c.now(),
        updated_at: c.now(),
    }
}

async fn open_portfolio(
    db: &Arc<dyn Database>,
    t: TenantId,
    p: &PortfolioRecord,
) -> Result<(), StoreError> {
    let sim = db.sim();
    committed!(db, t, |tx| sim.create_portfolio(tx, t, p))
}

fn spec(
    side: &str,
    order_type: &str,
    tif: &str,
    amount: Size,
    limit: Option<&str>,
    stop: Option<&str>,
) -> OrderSpec {
    let (qty, notional) = match amount {
        Size::Quantity(q) => (Some(q), None),
        Size::Notional(n) => (None, Some(n)),
    };
    OrderSpec::parse(&RawOrder {
        side: side.to_owned(),
        order_type: order_type.to_owned(),
        tif: tif.to_owned(),
        qty,
        notional,
        limit: limit.map(d),
        stop: stop.map(d),
    })
    .unwrap()
}

fn order(
    c: &ManualClock,
    portfolio: PortfolioId,
    symbol: &str,
    spec: OrderSpec,
    client: Option<&str>,
) -> OrderRecord {
    let qty = match spec.size() {
        Size::Quantity(q) => q,
        Size::Notional(_) => d("2.028745"),
    };
    OrderRecord {
        id: OrderId::generate(c),
        portfolio,
        client_order_id: client.map(coid),
        symbol: sym(symbol),
        spec,
        state: OrderState::new(qty),
        replaces: None,
        trading_day: 20_000,
        created_at: c.now(),
        updated_at: c.now(),
    }
}

fn limit_buy(c: &ManualClock, p: PortfolioId, symbol: &str, client: Option<&str>) -> OrderRecord {
    let s = spec(
        "buy",
        "limit",
        "gtc",
        Size::Quantity(d("10")),
        Some("123.45"),
        None,
    );
    order(c, p, symbol, s, client)
}

async fn insert(db: &Arc<dyn Database>, t: TenantId, o: &OrderRecord) -> Result<(), StoreError> {
    let sim = db.sim();
    committed!(db, t, |tx| sim.insert_order(tx, t, o))
}

async fn update(db: &Arc<dyn Database>, t: TenantId, o: &OrderRecord) -> Result<(), StoreError> {
    let sim = db.sim();
    committed!(db, t, |tx| sim.update_order(tx, t, o))
}

fn cohort(c: &ManualClock, t: TenantId, name: &str) -> Cohort {
    Cohort {
        id: CohortId::generate(c),
        tenant_id: t,
        name: name.to_owned(),
        created_at: c.now(),
    }
}

async fn add_cohort(db: &Arc<dyn Database>, c: &ManualClock, t: TenantId, name: &str) -> CohortId {
    let x = cohort(c, t, name);
    let store = db.enrolments();
    committed!(db, t, |tx| store.create_cohort(tx, &x)).unwrap();
    x.id
}

fn competition(c: &ManualClock, cohort: CohortId, name: &str) -> Competition {
    Competition {
        id: CompetitionId::generate(c),
        cohort,
        name: name.to_owned(),
        starts_at: c.now() + time::Duration::days(1) + us(250_000),
        ends_at: c.now() + time::Duration::days(8),
        starting_cash: d("10000.5"),
        allowed_symbols: vec![sym("AAA"), sym("BRK.B")],
        metric: Metric::Return,
        created_at: c.now(),
    }
}

async fn add_competition(
    db: &Arc<dyn Database>,
    t: TenantId,
    x: &Competition,
) -> Result<(), StoreError> {
    let sim = db.sim();
    committed!(db, t, |tx| sim.create_competition(tx, t, x))
}

pub(super) async fn sim_settings_and_portfolios(db: Arc<dyn Database>) {
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

pub(super) async fn sim_books_positions_ledger(db: Arc<dyn Database>) {
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

pub(super) async fn sim_orders_lifecycle_and_idempotency(db: Arc<dyn Database>) {
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
pub(super) async fn sim_tick_candidates(db: Arc<dyn Database>) {
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

pub(super) async fn sim_fills_and_day_window(db: Arc<dyn Database>) {
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

pub(super) async fn sim_competitions_and_entrants(db: Arc<dyn Database>) {
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

pub(super) async fn sim_imports_replace_atomically(db: Arc<dyn Database>) {
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

pub(super) async fn sim_events_resume(db: Arc<dyn Database>) {
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

/// The expected per (day, symbol, side) totals of `fills`, in the store's order.
fn totals(fills: &[&FillRecord]) -> Vec<FillTotal> {
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
