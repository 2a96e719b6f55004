//! The simulator end to end, part three: what happens as the clock moves — resting
//! orders filling and stops triggering on ticks, day orders expiring, the SSE streams
//! and their resume, the single tick runner, and the history and analytics built up
//! over several sessions. Fixture and helpers are in `sim`.

use crate::auth::signed;
use crate::harness::eventually;
use crate::sim::{
    CENT, Desk, INDEX, T0, cents_down, cents_up, checked, desk, limit, market, micro, price,
    status_of,
};
use nexus_domain::paging::PageRequest;
use nexus_domain::sim::{DISCLAIMER, OrderId, PortfolioId};
use nexus_domain::{Clock, SystemClock};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;

const STEP: time::Duration = time::Duration::minutes(5);

/// A decimal from the engine's types (not a dependency here) in `micro` units.
fn m(d: &impl ToString) -> i128 {
    micro(&d.to_string())
}

/// The swept range `(low, high)` of `symbol` over `(since, until]`.
fn range(d: &Desk, symbol: &str, since: OffsetDateTime, until: OffsetDateTime) -> (i128, i128) {
    let s = d
        .app
        .wired
        .services
        .sim
        .hub()
        .snapshot(symbol, since, until)
        .unwrap();
    (m(&s.low), m(&s.high))
}

/// Checks the portfolio's books against its ledger: every transaction balances, the
/// cash account is the cash, each securities account is the position's cost basis, and
/// equity is cash plus market value.
async fn books_balance(d: &Desk, token: &str) -> Value {
    let p = d.practice(token).await;
    let id: PortfolioId = p["id"].as_str().unwrap().parse().unwrap();
    let ledger = d
        .app
        .wired
        .db
        .sim()
        .ledger(d.tenant, id, PageRequest::new(Some(100), None).unwrap())
        .await
        .unwrap();
    let mut txns: BTreeMap<String, i128> = BTreeMap::new();
    let mut accounts: BTreeMap<String, i128> = BTreeMap::new();
    for e in &ledger {
        *txns.entry(e.txn.to_string()).or_default() += m(&e.amount);
        *accounts.entry(e.account.clone()).or_default() += m(&e.amount);
    }
    assert!(txns.values().all(|t| *t == 0), "unbalanced: {txns:?}");
    assert_eq!(
        accounts["cash"],
        crate::sim::dec(&p["cash"]),
        "{accounts:?}"
    );
    assert_eq!(accounts["funding"], -crate::sim::dec(&p["starting_cash"]));
    let mut value = 0;
    for pos in p["positions"].as_array().unwrap() {
        let account = format!("securities:{}", pos["symbol"].as_str().unwrap());
        assert_eq!(
            accounts.get(&account).copied(),
            Some(crate::sim::dec(&pos["cost_basis"])),
            "{account}"
        );
        value += crate::sim::dec(&pos["market_value"]);
    }
    assert_eq!(crate::sim::dec(&p["market_value"]), value);
    assert_eq!(
        crate::sim::dec(&p["equity"]),
        crate::sim::dec(&p["cash"]) + value
    );
    p
}

/// Resting limit and stop orders work as the price path moves; the fill lies inside
/// the range swept in its tick; the books stay balanced; a day order expires at the
/// close while a GTC order stays.
#[tokio::test]
async fn resting_orders_fill_as_the_price_moves_and_day_orders_expire() {
    let mut d = desk().await;
    let quote = d.quote(INDEX).await;
    // Where the deterministic path goes in the next two hours decides prices that are
    // not marketable now but will be reached.
    let (low, high) = range(&d, INDEX, T0, T0 + time::Duration::hours(2));
    assert!(
        quote.bid - low >= 2 * CENT && high - quote.ask >= 2 * CENT,
        "the path moves both ways: {low} {high} {quote:?}"
    );
    let buy_at = cents_down(low + (quote.bid - low) / 2, 1, 1);
    let stop_at = cents_up(quote.last + (high - quote.last) / 2, 1, 1);
    let resting = d
        .placed(&d.trader, limit(INDEX, "buy", "4", buy_at, "day"))
        .await;
    let resting_id = status_of(&resting, "accepted")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let stop = d
        .placed(
            &d.trader,
            json!({"symbol": INDEX, "side": "buy", "type": "stop", "time_in_force": "gtc",
                   "qty": "3", "stop_price": price(stop_at)}),
        )
        .await;
    let stop_id = status_of(&stop, "accepted")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let store = d.app.wired.db.sim();
    let mut swept: BTreeMap<&str, (i128, i128)> = BTreeMap::new();
    for _ in 0..24 {
        let since = d.now();
        let report = d.tick(STEP).await;
        assert_eq!(report.failed, 0);
        let bar = range(&d, INDEX, since, d.now());
        for (name, id) in [("limit", &resting_id), ("stop", &stop_id)] {
            let stored = store
                .order(d.tenant, id.parse::<OrderId>().unwrap())
                .await
                .unwrap();
            if stored.state.status.as_str() == "filled" && !swept.contains_key(name) {
                swept.insert(name, bar);
            }
        }
        if swept.len() == 2 {
            break;
        }
    }
    assert_eq!(swept.len(), 2, "both orders worked within two hours");
    d.relogin().await;
    for (name, id, at) in [("limit", &resting_id, buy_at), ("stop", &stop_id, stop_at)] {
        let shown = d.get(&format!("/v1/sim/orders/{id}"), &d.trader).await;
        let order = status_of(&shown.body, "filled");
        let fill = &shown.body["fills"][0];
        let paid = crate::sim::dec(&fill["price"]);
        let (lo, hi) = swept[name];
        assert!(
            lo <= paid && paid <= hi,
            "{name} filled at {paid} outside [{lo}, {hi}]"
        );
        crate::sim::explained(fill);
        if name == "limit" {
            assert!(paid <= at * CENT, "a buy limit pays its price or better");
            assert_eq!(fill["spread_cost"], "0", "a resting limit pays no spread");
            assert!(
                fill["explanation"]
                    .as_str()
                    .unwrap()
                    .contains("resting limit order")
            );
        } else {
            assert_eq!(order["triggered"], true);
            assert!(hi >= at * CENT, "the stop was reached in its tick");
        }
    }
    let books = books_balance(&d, &d.trader).await;
    assert_eq!(books["positions"][0]["qty"], "7");

    // Day orders end at the close; GTC orders wait for the next session.
    let quote = d.quote(INDEX).await;
    let far = cents_down(quote.bid, 50, 100);
    let day = d
        .placed(&d.trader, limit(INDEX, "buy", "1", far, "day"))
        .await;
    let gtc = d
        .placed(&d.trader, limit(INDEX, "buy", "1", far, "gtc"))
        .await;
    let close = time::macros::datetime!(2026-03-03 21:00 UTC);
    d.tick(close - d.now() - time::Duration::SECOND).await;
    let before = store
        .order(
            d.tenant,
            day["order"]["id"].as_str().unwrap().parse().unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        before.state.status.as_str(),
        "accepted",
        "open until the close"
    );
    let report = d.tick(time::Duration::minutes(30)).await;
    assert_eq!(report.changed, 1, "{report:?}");
    d.relogin().await;
    for (placed, status, reason) in [
        (&day, "expired", Some("day_order_expired")),
        (&gtc, "accepted", None),
    ] {
        let id = placed["order"]["id"].as_str().unwrap();
        let shown = d.get(&format!("/v1/sim/orders/{id}"), &d.trader).await;
        assert_eq!(
            (
                shown.body["order"]["status"].as_str(),
                shown.body["order"]["reason"].as_str()
            ),
            (Some(status), reason)
        );
    }
    books_balance(&d, &d.trader).await;
}

/// Reads Server-Sent Events from a streaming response, a chunk at a time, with a
/// deadline (the streams stay open for minutes).
struct Sse {
    resp: reqwest::Response,
    buf: String,
}

#[derive(Debug, Clone, PartialEq)]
struct Event {
    id: String,
    kind: String,
    data: Value,
}

impl Sse {
    async fn open(d: &Desk, path: &str, last_id: Option<&str>) -> Self {
        let mut req = signed(&d.app, Method::GET, path, "school", &d.trader);
        if let Some(id) = last_id {
            req = req.header("last-event-id", id);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert!(resp.headers().contains_key("simulation-notice"));
        assert_eq!(
            resp.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        Self {
            resp,
            buf: String::new(),
        }
    }

    /// The next `n` events, or fewer if the deadline passes first.
    async fn next(&mut self, n: usize, wait: Duration) -> Vec<Event> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut out = Vec::new();
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                if let Some(e) = parse_event(&block) {
                    out.push(e);
                }
            }
            if out.len() >= n {
                return out;
            }
            match tokio::time::timeout_at(deadline, self.resp.chunk()).await {
                Ok(Ok(Some(bytes))) => self.buf.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return out,
            }
        }
    }
}

fn parse_event(block: &str) -> Option<Event> {
    let (mut id, mut kind, mut data) = (String::new(), String::new(), String::new());
    for line in block.lines() {
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "id" => value.clone_into(&mut id),
            "event" => value.clone_into(&mut kind),
            "data" => data.push_str(value),
            _ => {}
        }
    }
    (!data.is_empty()).then(|| Event {
        id,
        kind,
        data: serde_json::from_str(&data).unwrap(),
    })
}

/// The quote stream resumes from `Last-Event-ID` by recomputing the missed ticks: the
/// same IDs and prices as the market gives for those instants, on every reconnect.
#[tokio::test]
async fn the_quote_stream_replays_missed_ticks_deterministically() {
    let d = desk().await;
    let now = T0.unix_timestamp();
    let last = now - 20;
    let mut stream = Sse::open(
        &d,
        "/v1/sim/stream/quotes?symbols=nxtm,QBYT",
        Some(&last.to_string()),
    )
    .await;
    let events = stream.next(10, Duration::from_secs(10)).await;
    let ids: Vec<String> = events.iter().map(|e| e.id.clone()).collect();
    let expected: Vec<String> = (1..=10).map(|i| (last + 2 * i).to_string()).collect();
    assert_eq!(ids, expected);
    let sim = &d.app.wired.services.sim;
    for e in &events {
        assert_eq!(e.kind, "quotes");
        let at: i64 = e.id.parse().unwrap();
        assert_eq!(e.data["at"], at);
        assert_eq!(e.data["disclaimer"], DISCLAIMER);
        let instant = OffsetDateTime::from_unix_timestamp(at).unwrap();
        let quotes = e.data["quotes"].as_array().unwrap();
        assert_eq!(quotes.len(), 2);
        for (q, symbol) in quotes.iter().zip(["NXTM", "QBYT"]) {
            let want = sim.quote_at(symbol, instant).unwrap();
            assert_eq!(
                q,
                // Decimals as the REST quote writes them (normalised: 109.3, not 109.30).
                &json!({"symbol": symbol, "bid": want.bid.normalize().to_string(),
                        "ask": want.ask.normalize().to_string(), "last": want.last.normalize().to_string(),
                        "market_open": true})
            );
        }
    }
    // Caught up, the stream follows the clock.
    d.clock.advance(time::Duration::seconds(4));
    let live = stream.next(2, Duration::from_secs(5)).await;
    let live_ids: Vec<String> = live.iter().map(|e| e.id.clone()).collect();
    assert_eq!(live_ids, [(now + 2).to_string(), (now + 4).to_string()]);
    drop(stream);

    // A resume from long ago replays at most 150 ticks (five minutes).
    let mut old = Sse::open(&d, "/v1/sim/stream/quotes?symbols=NXTM", Some("1000")).await;
    let first = old.next(1, Duration::from_secs(10)).await;
    let now = d.now().unix_timestamp();
    assert_eq!(first[0].id, (now - 300).to_string());
    drop(old);

    // Reconnecting from the same point gives exactly the same events.
    let mut again = Sse::open(
        &d,
        "/v1/sim/stream/quotes?symbols=NXTM,QBYT",
        Some(&last.to_string()),
    )
    .await;
    let replay = again.next(10, Duration::from_secs(10)).await;
    assert_eq!(replay, events);
    // An unknown symbol is refused up front.
    let bad = signed(
        &d.app,
        Method::GET,
        "/v1/sim/stream/quotes?symbols=NXTM,ZZZZ",
        "school",
        &d.trader,
    )
    .send()
    .await
    .unwrap();
    checked(bad, "quotes with a bad symbol")
        .await
        .invalid("symbols", "unknown_symbol");
}

/// The order stream carries the learner's own order events and resumes after the
/// `Last-Event-ID` it is given.
#[tokio::test]
async fn the_order_stream_resumes_after_the_last_event_id() {
    let d = desk().await;
    d.placed(&d.other, market(INDEX, "buy", "1")).await; // someone else's
    let mut placed = Vec::new();
    for qty in ["1", "2", "3"] {
        let p = d.placed(&d.trader, market(INDEX, "buy", qty)).await;
        placed.push(p["order"]["id"].as_str().unwrap().to_owned());
    }
    // A fresh stream starts at the latest event: no backlog.
    let mut fresh = Sse::open(&d, "/v1/sim/stream/orders", None).await;
    let none = fresh.next(1, Duration::from_millis(1200)).await;
    assert!(none.is_empty(), "a fresh stream replays nothing: {none:?}");
    drop(fresh);
    // `Last-Event-ID: 0` asks for everything.
    let mut stream = Sse::open(&d, "/v1/sim/stream/orders", Some("0")).await;
    let first = stream.next(3, Duration::from_secs(10)).await;
    let orders: Vec<&str> = first
        .iter()
        .map(|e| e.data["order_id"].as_str().unwrap())
        .collect();
    assert_eq!(orders, placed, "only my events, oldest first");
    for e in &first {
        assert_eq!(e.kind, "order");
        // Every simulator body carries the educational disclaimer, stream events too.
        assert!(
            e.data["disclaimer"].as_str().is_some_and(|d| !d.is_empty()),
            "{:?}",
            e.data
        );
        assert_eq!(e.data["status"], "filled");
        assert_eq!(e.data["fills"].as_array().unwrap().len(), 1);
    }
    let extra = stream.next(1, Duration::from_millis(1200)).await;
    assert!(extra.is_empty(), "nothing more: {extra:?}");
    drop(stream);

    let mut resumed = Sse::open(&d, "/v1/sim/stream/orders", Some(&first[1].id)).await;
    let rest = resumed.next(1, Duration::from_secs(10)).await;
    assert_eq!(rest, vec![first[2].clone()], "only what came after");
    // New events arrive on the open stream.
    let q = d.quote(INDEX).await;
    let resting = d
        .placed(
            &d.trader,
            limit(INDEX, "buy", "1", cents_down(q.bid, 90, 100), "gtc"),
        )
        .await;
    let id = resting["order"]["id"].as_str().unwrap();
    let cancel = d
        .call(
            Method::DELETE,
            &format!("/v1/sim/orders/{id}"),
            &d.trader,
            None,
        )
        .await;
    assert_eq!(cancel.status, 200);
    let live = resumed.next(2, Duration::from_secs(10)).await;
    let seen: Vec<(&str, &str)> = live
        .iter()
        .map(|e| {
            (
                e.data["order_id"].as_str().unwrap(),
                e.data["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(seen, [(id, "accepted"), (id, "canceled")]);
    let ids: Vec<i64> = std::iter::once(&first[2])
        .chain(&live)
        .map(|e| e.id.parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
}

/// Two nodes run the tick loop under the `sim.tick` lease on one database: exactly
/// one runs at a time, and the other takes over when the first stops.
#[tokio::test]
async fn only_one_tick_runner_holds_the_lease() {
    let d = desk().await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let ttl = Duration::from_millis(600);
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let runs: Arc<Mutex<Vec<&'static str>>> = Arc::default();
    let start = |name: &'static str, token: tokio_util::sync::CancellationToken| {
        let s = nexus_app::jobs::singleton::Singleton::new(
            d.app.wired.db.leases(),
            clock.clone(),
            nexus_app::sim::tick::TICK_LEASE,
            name,
            ttl,
        );
        let (running, most, runs) = (running.clone(), most.clone(), runs.clone());
        let sim = d.app.wired.services.sim.clone();
        tokio::spawn(s.run(token, move |lead| {
            let (running, most, runs, sim) =
                (running.clone(), most.clone(), runs.clone(), sim.clone());
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                runs.lock().unwrap().push(name);
                nexus_app::sim::tick::run(sim, Duration::from_millis(100), lead).await;
                running.fetch_sub(1, Ordering::SeqCst);
            }
        }))
    };
    let a_token = tokio_util::sync::CancellationToken::new();
    let b_token = tokio_util::sync::CancellationToken::new();
    let a = start("node-a", a_token.clone());
    eventually("node-a runs the ticks", || async {
        runs.lock().unwrap().as_slice() == ["node-a"]
    })
    .await;
    let b = start("node-b", b_token.clone());
    tokio::time::sleep(ttl * 3).await;
    assert_eq!(runs.lock().unwrap().as_slice(), ["node-a"], "node-b waits");
    assert_eq!(running.load(Ordering::SeqCst), 1);

    a_token.cancel();
    a.await.unwrap();
    eventually("node-b takes over", || async {
        runs.lock().unwrap().as_slice() == ["node-a", "node-b"]
    })
    .await;
    let leases = d.app.wired.db.leases();
    assert_eq!(
        leases
            .holder(nexus_app::sim::tick::TICK_LEASE, clock.now())
            .await
            .unwrap()
            .as_deref(),
        Some("node-b")
    );
    b_token.cancel();
    b.await.unwrap();
    assert_eq!(most.load(Ordering::SeqCst), 1, "never two at once");
    assert_eq!(running.load(Ordering::SeqCst), 0);
}

/// After trading over three sessions the history has one point per session and the
/// analytics explain the portfolio, linking lessons and ending with the disclaimer.
#[tokio::test]
async fn history_and_analytics_after_several_sessions() {
    let mut d = desk().await;
    let day = time::Duration::days(1);
    for (symbol, qty) in [(INDEX, "20"), ("QBYT", "10")] {
        status_of(
            &d.placed(&d.trader, market(symbol, "buy", qty)).await,
            "filled",
        );
    }
    d.clock.advance(day);
    d.relogin().await;
    status_of(
        &d.placed(
            &d.trader,
            json!({"symbol": "DRFC", "side": "buy", "type": "market",
                   "time_in_force": "day", "notional": "500"}),
        )
        .await,
        "filled",
    );
    status_of(
        &d.placed(&d.trader, market(INDEX, "sell", "5")).await,
        "filled",
    );
    d.clock.advance(day);
    d.relogin().await;
    status_of(
        &d.placed(&d.trader, market("NXBD", "buy", "10")).await,
        "filled",
    );
    let p = books_balance(&d, &d.trader).await;

    let h = d
        .get("/v1/sim/portfolios/practice/history", &d.trader)
        .await;
    let points = h.body["items"].as_array().unwrap();
    let dates: Vec<&str> = points.iter().map(|p| p["date"].as_str().unwrap()).collect();
    assert_eq!(dates, ["2026-03-03", "2026-03-04", "2026-03-05"]);
    assert!(
        points
            .windows(2)
            .all(|w| w[0]["day"].as_u64() < w[1]["day"].as_u64())
    );
    let fills = d.get("/v1/sim/fills?limit=100", &d.trader).await;
    let fees_by_day = |date: &str| -> i128 {
        fills.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["created_at"].as_str().unwrap().starts_with(date))
            .map(|f| crate::sim::dec(&f["fee"]))
            .sum()
    };
    for point in points {
        for key in ["equity", "cash", "fees"] {
            micro(point[key].as_str().unwrap());
        }
        assert_eq!(
            micro(point["fees"].as_str().unwrap()),
            fees_by_day(point["date"].as_str().unwrap()),
            "{point}"
        );
    }
    let today = points.last().unwrap();
    assert_eq!(
        micro(today["cash"].as_str().unwrap()),
        crate::sim::dec(&p["cash"])
    );
    assert_eq!(
        micro(today["equity"].as_str().unwrap()),
        crate::sim::dec(&p["equity"]),
        "today's point is the portfolio valued now"
    );

    let a = d
        .get("/v1/sim/portfolios/practice/analytics", &d.trader)
        .await;
    assert_eq!(a.status, 200);
    let measures = &a.body["measures"];
    // Two session-to-session returns, plus the first session's against the starting
    // cash.
    assert_eq!(measures["daily_returns"], 3, "{measures}");
    assert!(measures["time_weighted_return"].is_number(), "{measures}");
    assert!(measures["fee_drag"].is_number(), "{measures}");
    let comp = &a.body["composition"];
    let mut held: Vec<&str> = comp["positions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    held.sort_unstable();
    assert_eq!(held, ["DRFC", "NXBD", "NXTM", "QBYT"]);
    let weights: f64 = comp["positions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["weight"].as_f64().unwrap())
        .sum::<f64>()
        + comp["cash_weight"].as_f64().unwrap();
    assert!(
        (weights - 1.0).abs() < 1e-6,
        "weights sum to one: {weights}"
    );
    assert!(comp["crypto_weight"].as_f64().unwrap() > 0.0);
    let insights = a.body["explanation"].as_array().unwrap();
    let last = insights.last().unwrap();
    assert_eq!(last["code"], "disclaimer");
    assert!(
        last["message"]
            .as_str()
            .unwrap()
            .contains("no investment advice"),
        "{last}"
    );
    let lessons: Vec<&Value> = insights
        .iter()
        .filter(|i| !i["lesson"].is_null())
        .map(|i| &i["lesson"])
        .collect();
    assert!(!lessons.is_empty(), "lessons are linked: {insights:?}");
    for l in lessons {
        assert_eq!(l["course"], "Financial Literacy 101");
        assert!(l["module"].as_u64().unwrap() >= 1 && l["title"].is_string());
    }
    for i in insights {
        assert!(i["title"].is_string() && i["message"].is_string() && i["severity"].is_string());
    }
}

/// The sell side on ticks: a sell limit above the quote fills when the price rises to
/// it, and a sell stop-limit below triggers when the price falls to its stop, then
/// sells at its limit or better; both within the range swept in their tick.
#[tokio::test]
async fn sell_limits_and_stop_limits_work_on_ticks() {
    let mut d = desk().await;
    status_of(
        &d.placed(&d.trader, market(INDEX, "buy", "10")).await,
        "filled",
    );
    let quote = d.quote(INDEX).await;
    let (low, high) = range(&d, INDEX, T0, T0 + time::Duration::hours(3));
    assert!(
        quote.bid - low >= 4 * CENT && high - quote.ask >= 2 * CENT,
        "the path moves both ways: {low} {high} {quote:?}"
    );
    let sell_at = cents_up(quote.ask + (high - quote.ask) / 2, 1, 1);
    let stop_at = cents_down(low + (quote.bid - low) / 2, 1, 1);
    let floor = cents_down(low, 1, 1);
    let take_profit = d
        .placed(&d.trader, limit(INDEX, "sell", "4", sell_at, "gtc"))
        .await;
    let stop_loss = d
        .placed(
            &d.trader,
            json!({"symbol": INDEX, "side": "sell", "type": "stop_limit", "time_in_force": "day",
                   "qty": "6", "stop_price": price(stop_at), "limit_price": price(floor)}),
        )
        .await;
    // Selling more than is left over is refused while both are open.
    let over = d.placed(&d.trader, market(INDEX, "sell", "1")).await;
    // The engine (rules.rs) names this `short_selling_disabled` once every held share is
    // committed to open sells, though the learner does hold shares; reported, not
    // pinned here (the engine is outside this suite's remit).
    let reason = status_of(&over, "rejected")["reason"].as_str().unwrap();
    assert!(
        ["insufficient_position", "short_selling_disabled"].contains(&reason),
        "{reason}"
    );
    let ids = [
        (
            "limit",
            status_of(&take_profit, "accepted")["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        ),
        (
            "stop_limit",
            status_of(&stop_loss, "accepted")["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        ),
    ];
    let store = d.app.wired.db.sim();
    let mut swept: BTreeMap<&str, (i128, i128)> = BTreeMap::new();
    for _ in 0..36 {
        let since = d.now();
        d.tick(STEP).await;
        let bar = range(&d, INDEX, since, d.now());
        for (name, id) in &ids {
            let stored = store.order(d.tenant, id.parse().unwrap()).await.unwrap();
            if stored.state.status.as_str() == "filled" && !swept.contains_key(name) {
                swept.insert(name, bar);
            }
        }
        if swept.len() == 2 {
            break;
        }
    }
    assert_eq!(swept.len(), 2, "both worked within three hours: {swept:?}");
    d.relogin().await;
    for (name, id) in &ids {
        let shown = d.get(&format!("/v1/sim/orders/{id}"), &d.trader).await;
        let order = status_of(&shown.body, "filled");
        let (lo, hi) = swept[name];
        let paid = crate::sim::dec(&shown.body["fills"][0]["price"]);
        assert!(
            lo <= paid && paid <= hi,
            "{name}: {paid} outside [{lo}, {hi}]"
        );
        if *name == "limit" {
            assert!(
                paid >= sell_at * CENT,
                "a sell limit gets its price or better"
            );
        } else {
            assert_eq!(order["triggered"], true);
            assert!(paid >= floor * CENT, "never below the stop-limit's limit");
        }
    }
    let books = books_balance(&d, &d.trader).await;
    assert_eq!(books["positions"], json!([]), "all ten sold");
    assert!(crate::sim::dec(&books["realized_pnl"]) != 0);
}
