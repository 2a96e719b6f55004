//! The order path's two batched calls, `lock_book` and `write_order`: each must read
//! and write exactly what the separate calls it stands for would, because PostgreSQL
//! overrides both with batched statements and SQLite uses the trait's defaults.

use super::trading::totals;
use super::*;
use crate::{LockedBook, OrderWrite};

fn filled(mut o: OrderRecord, fills: &[&FillRecord]) -> OrderRecord {
    for f in fills {
        o.state.filled_qty += f.fill.qty;
        o.state.filled_value += f.fill.gross;
        o.state.fees += f.fill.fee;
    }
    o.state.status = Status::Filled;
    o
}

fn fill_of(c: &ManualClock, o: &OrderRecord, qty: &str, price: &str, day: i32) -> FillRecord {
    FillRecord {
        id: FillId::generate(c),
        order: o.id,
        portfolio: o.portfolio,
        symbol: o.symbol.clone(),
        side: o.spec.side(),
        fill: Fill {
            qty: d(qty),
            price: d(price),
            gross: (d(qty) * d(price)).round_dp(2),
            fee: d("1.5"),
            spread_cost: d("0.05"),
            slippage: d("0.01"),
            explanation: format!("{qty} at {price}, plus a $1.50 commission."),
        },
        trading_day: day,
        created_at: c.now(),
    }
}

/// Cash out and securities in (or the reverse), and the fee: balanced.
fn postings(c: &ManualClock, f: &FillRecord) -> Vec<LedgerRecord> {
    let txn = LedgerTxnId::generate(c);
    let s = f.side.sign();
    let entry = |account: String, amount: Decimal| LedgerRecord {
        txn,
        account,
        amount,
        order: Some(f.order),
        at: f.created_at,
    };
    vec![
        entry("cash".into(), -s * f.fill.gross - f.fill.fee),
        entry(format!("securities:{}", f.symbol), s * f.fill.gross),
        entry("fees".into(), f.fill.fee),
    ]
}

async fn lock(db: &Arc<dyn Database>, t: TenantId, p: PortfolioId, since: i32) -> LockedBook {
    let mut tx = db.begin(Some(t)).await.unwrap();
    let book = db.sim().lock_book(tx.as_mut(), t, p, since).await.unwrap();
    tx.commit().await.unwrap();
    book
}

async fn write(db: &Arc<dyn Database>, t: TenantId, w: &OrderWrite<'_>) -> Result<(), StoreError> {
    let sim = db.sim();
    committed!(db, t, |tx| async {
        sim.lock_book(tx, t, w.order.portfolio, 0).await?;
        sim.write_order(tx, t, w).await
    })
}

pub(in crate::contract) async fn sim_order_path_reads_and_writes_as_a_unit(db: Arc<dyn Database>) {
    let c = clock();
    let t = add_tenant(&db, &c, "sim-path", "Sim").await;
    let other = add_tenant(&db, &c, "sim-path-2", "Other").await;
    let sim = db.sim();
    let ana = learner(&db, &c, t, "ana@example.com", "Ana").await;
    let p = portfolio(&c, ana, None, "100000");
    open_portfolio(&db, t, &p).await.unwrap();

    let fresh = lock(&db, t, p.id, 0).await;
    assert_eq!(
        fresh,
        LockedBook {
            portfolio: p.clone(),
            positions: vec![],
            open: vec![],
            recent: vec![],
        }
    );
    let mut tx = db.begin(Some(other)).await.unwrap();
    assert!(
        is_not_found(&sim.lock_book(tx.as_mut(), other, p.id, 0).await),
        "another tenant's portfolio is missing"
    );
    tx.rollback().await.unwrap();

    // A resting order, an old fill (day 90) and a holding, written the long way.
    let resting = limit_buy(&c, p.id, "AAA", Some("rest-1"));
    insert(&db, t, &resting).await.unwrap();
    c.advance(us(1_500));
    let old = fill_of(&c, &resting, "1", "100", 90);
    let held = PositionRecord {
        symbol: sym("AAA"),
        qty: d("1"),
        cost_basis: d("101.5"),
        updated_at: c.now(),
    };
    committed!(db, t, |tx| async {
        sim.insert_fill(tx, t, &old).await?;
        sim.put_position(tx, t, p.id, &held).await
    })
    .unwrap();
    let book = lock(&db, t, p.id, 91).await;
    assert_eq!(book.positions, vec![held.clone()]);
    assert_eq!(book.open, vec![resting.clone()]);
    assert_eq!(book.recent, vec![], "fills before `since_day` are left out");
    assert_eq!(lock(&db, t, p.id, 90).await.recent, totals(&[&old]));

    // A new market buy with two fills, written as one.
    c.advance(time::Duration::seconds(1));
    let buy = order(
        &c,
        p.id,
        "BRK.B",
        spec("buy", "market", "day", Size::Quantity(d("3")), None, None),
        Some("mkt-1"),
    );
    let f1 = fill_of(&c, &buy, "2", "50.25", 100);
    c.advance(us(7));
    let f2 = fill_of(&c, &buy, "1", "50.5", 100);
    let buy = filled(buy, &[&f1, &f2]);
    let ledger: Vec<LedgerRecord> = [&f1, &f2].iter().flat_map(|f| postings(&c, f)).collect();
    let pos = PositionRecord {
        symbol: sym("BRK.B"),
        qty: d("3"),
        cost_basis: d("154"),
        updated_at: c.now(),
    };
    let after = PortfolioRecord {
        cash: d("99846"),
        fees_paid: d("3"),
        updated_at: c.now(),
        ..p.clone()
    };
    let w = OrderWrite {
        order: &buy,
        new: true,
        fills: &[f1.clone(), f2.clone()],
        ledger: &ledger,
        position: Some(&pos),
        totals: Some(&after),
        user: ana,
        event: r#"{"order":"mkt-1"}"#,
        at: c.now(),
    };
    write(&db, t, &w).await.unwrap();
    assert_eq!(sim.order(t, buy.id).await.unwrap(), buy);
    assert_eq!(
        sim.fills(t, p.id, Some(buy.id), PageRequest::default())
            .await
            .unwrap(),
        vec![f2.clone(), f1.clone()],
        "newest first"
    );
    assert_eq!(sim.portfolio(t, p.id).await.unwrap(), after);
    assert_eq!(
        sim.positions(t, p.id).await.unwrap(),
        vec![held.clone(), pos.clone()]
    );
    let key = |e: &LedgerRecord| (e.at, e.txn, e.account.clone());
    let mut stored = sim.ledger(t, p.id, PageRequest::default()).await.unwrap();
    stored.sort_by_key(key);
    let mut expected = ledger.clone();
    expected.sort_by_key(key);
    assert_eq!(stored, expected);
    let events = sim.events_after(t, ana, 0, 10).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].kind.as_str(), events[0].payload.as_str()),
        ("order", r#"{"order":"mkt-1"}"#)
    );
    let book = lock(&db, t, p.id, 91).await;
    assert_eq!(book.portfolio, after);
    assert_eq!(
        book.open,
        vec![resting.clone()],
        "the filled order is not open"
    );
    assert_eq!(book.recent, totals(&[&f1, &f2]));

    // A state change alone: the resting order is canceled; nothing else moves.
    c.advance(time::Duration::seconds(1));
    let mut canceled = resting.clone();
    canceled.state.status = Status::Canceled;
    canceled.state.reason = Some(Reason::CanceledByUser);
    canceled.updated_at = c.now();
    let w = OrderWrite {
        order: &canceled,
        new: false,
        fills: &[],
        ledger: &[],
        position: None,
        totals: None,
        user: ana,
        event: r#"{"order":"rest-1"}"#,
        at: c.now(),
    };
    write(&db, t, &w).await.unwrap();
    assert_eq!(sim.order(t, resting.id).await.unwrap(), canceled);
    assert_eq!(sim.portfolio(t, p.id).await.unwrap(), after);
    let book = lock(&db, t, p.id, 0).await;
    assert_eq!(book.open, vec![]);
    assert_eq!(book.positions, vec![held.clone(), pos.clone()]);
    assert_eq!(sim.events_after(t, ana, 0, 10).await.unwrap().len(), 2);

    // Selling out removes the holding.
    c.advance(time::Duration::seconds(1));
    let sell = order(
        &c,
        p.id,
        "AAA",
        spec("sell", "market", "day", Size::Quantity(d("1")), None, None),
        None,
    );
    let f3 = fill_of(&c, &sell, "1", "110", 101);
    let sell = filled(sell, &[&f3]);
    let gone = PositionRecord {
        qty: Decimal::ZERO,
        cost_basis: Decimal::ZERO,
        updated_at: c.now(),
        ..held.clone()
    };
    let after_sell = PortfolioRecord {
        cash: d("99954.5"),
        realized_pnl: d("7"),
        fees_paid: d("4.5"),
        updated_at: c.now(),
        ..after.clone()
    };
    let w = OrderWrite {
        order: &sell,
        new: true,
        fills: std::slice::from_ref(&f3),
        ledger: &postings(&c, &f3),
        position: Some(&gone),
        totals: Some(&after_sell),
        user: ana,
        event: "{}",
        at: c.now(),
    };
    write(&db, t, &w).await.unwrap();
    assert_eq!(sim.positions(t, p.id).await.unwrap(), vec![pos.clone()]);
    assert_eq!(sim.portfolio(t, p.id).await.unwrap(), after_sell);

    // A repeated client order ID: the conflict, and nothing of that write kept.
    let again = order(
        &c,
        p.id,
        "AAA",
        spec("buy", "market", "day", Size::Quantity(d("1")), None, None),
        Some("mkt-1"),
    );
    let f4 = fill_of(&c, &again, "1", "1", 101);
    let w = OrderWrite {
        order: &again,
        new: true,
        fills: std::slice::from_ref(&f4),
        ledger: &postings(&c, &f4),
        position: Some(&held),
        totals: Some(&after),
        user: ana,
        event: "{}",
        at: c.now(),
    };
    assert!(is_conflict(
        &write(&db, t, &w).await,
        "sim_order_client_key"
    ));
    assert_eq!(sim.portfolio(t, p.id).await.unwrap(), after_sell);
    assert_eq!(
        sim.all_fills(t, p.id).await.unwrap(),
        vec![old.clone(), f1.clone(), f2.clone(), f3.clone()]
    );
    assert_eq!(sim.events_after(t, ana, 0, 10).await.unwrap().len(), 3);

    // Updating an order that does not exist.
    let ghost = limit_buy(&c, p.id, "AAA", None);
    let w = OrderWrite {
        order: &ghost,
        new: false,
        fills: &[],
        ledger: &[],
        position: None,
        totals: None,
        user: ana,
        event: "{}",
        at: c.now(),
    };
    assert!(is_not_found(&write(&db, t, &w).await));
    assert_eq!(sim.events_after(t, ana, 0, 10).await.unwrap().len(), 3);

    waiting_for_the_lock_reads_what_its_holder_wrote(&db, &c, t, p.id, ana).await;
}

/// A second order of the same portfolio waits for the first one's lock, and then must
/// read the holdings the first one committed, not those from before its wait.
async fn waiting_for_the_lock_reads_what_its_holder_wrote(
    db: &Arc<dyn Database>,
    c: &ManualClock,
    t: TenantId,
    p: PortfolioId,
    user: UserId,
) {
    let sim = db.sim();
    let mut first = db.begin(Some(t)).await.unwrap();
    let before = sim.lock_book(first.as_mut(), t, p, 0).await.unwrap();
    let second = {
        let db = db.clone();
        tokio::spawn(async move {
            let mut tx = db.begin(Some(t)).await.unwrap();
            let book = db.sim().lock_book(tx.as_mut(), t, p, 0).await.unwrap();
            tx.commit().await.unwrap();
            book
        })
    };
    // Long enough for the second to be waiting on the lock before the first writes.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !second.is_finished(),
        "the second reader waits for the lock"
    );
    c.advance(time::Duration::seconds(1));
    let buy = order(
        c,
        p,
        "ZZZ",
        spec("buy", "market", "day", Size::Quantity(d("2")), None, None),
        None,
    );
    let fill = fill_of(c, &buy, "2", "10", 102);
    let buy = filled(buy, &[&fill]);
    let pos = PositionRecord {
        symbol: sym("ZZZ"),
        qty: d("2"),
        cost_basis: d("21.5"),
        updated_at: c.now(),
    };
    let totals_after = PortfolioRecord {
        cash: before.portfolio.cash - d("21.5"),
        fees_paid: before.portfolio.fees_paid + d("1.5"),
        updated_at: c.now(),
        ..before.portfolio.clone()
    };
    let change = OrderWrite {
        order: &buy,
        new: true,
        fills: std::slice::from_ref(&fill),
        ledger: &postings(c, &fill),
        position: Some(&pos),
        totals: Some(&totals_after),
        user,
        event: "{}",
        at: c.now(),
    };
    sim.write_order(first.as_mut(), t, &change).await.unwrap();
    first.commit().await.unwrap();
    let seen = second.await.unwrap();
    assert_eq!(seen.portfolio, totals_after);
    assert!(
        seen.positions.contains(&pos),
        "the position written by the lock's holder: {:?}",
        seen.positions
    );
    assert_eq!(seen.recent.last().map(|r| r.qty), Some(d("2")));
}
