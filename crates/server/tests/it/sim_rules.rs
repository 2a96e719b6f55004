//! The simulator end to end, part two: requests the simulator refuses or answers
//! specially — field errors, market hours, account rules (buying power, short selling,
//! the pattern-day-trader example), idempotent retries and races, cancel and replace,
//! and privacy between learners. Fixture and helpers are in `sim`.

use crate::auth::signed;
use crate::sim::{
    CENT, INDEX, SCALE, cents_down, cents_up, checked, dec, desk, desk_at, limit, market, micro,
    price, status_of,
};
use reqwest::Method;
use serde_json::json;
use time::macros::datetime;

#[tokio::test]
async fn bad_orders_are_422_with_field_errors() {
    let d = desk().await;
    let q = d.quote(INDEX).await;
    d.place(&d.trader, market(INDEX, "buy", "-3"))
        .await
        .invalid("qty", "not_positive");
    d.place(&d.trader, market(INDEX, "buy", "0"))
        .await
        .invalid("qty", "not_positive");
    d.place(&d.trader, market("ZZZZ", "buy", "1"))
        .await
        .invalid("symbol", "unknown_symbol");
    let mut with_limit = market(INDEX, "buy", "1");
    with_limit["limit_price"] = json!(price(q.last / CENT));
    d.place(&d.trader, with_limit)
        .await
        .invalid("limit_price", "not_allowed");
    d.place(
        &d.trader,
        json!({"symbol": INDEX, "side": "buy", "type": "limit", "time_in_force": "day", "qty": "1"}),
    )
    .await
    .invalid("limit_price", "required");
    d.place(
        &d.trader,
        json!({"symbol": INDEX, "side": "buy", "type": "bogus", "time_in_force": "day", "qty": "1"}),
    )
    .await
    .invalid("type", "invalid");
    d.place(
        &d.trader,
        json!({"symbol": INDEX, "side": "hold", "type": "market", "time_in_force": "week", "qty": "x"}),
    )
    .await
    .invalid("qty", "not_a_number");
    // Every error of a request is reported at once.
    let r = d
        .place(
            &d.trader,
            json!({"symbol": INDEX, "side": "hold", "type": "market", "time_in_force": "week", "qty": "1"}),
        )
        .await;
    r.invalid("side", "invalid");
    r.invalid("time_in_force", "invalid");
    // Nothing was stored.
    let orders = d.get("/v1/sim/orders", &d.trader).await;
    assert_eq!(orders.body["items"], json!([]));
}

/// Market orders only trade in the session: on a Saturday, and at 20:00 market time on
/// a weekday, they are refused; a resting limit order is accepted to wait for the open.
#[tokio::test]
async fn market_orders_outside_the_session_are_422() {
    // Saturday 2026-03-07 12:00 market time, then Tuesday 20:00 market time.
    for at in [
        datetime!(2026-03-07 17:00 UTC),
        datetime!(2026-03-04 01:00 UTC),
    ] {
        let d = desk_at(at).await;
        let r = d.place(&d.trader, market(INDEX, "buy", "1")).await;
        r.invalid("time_in_force", "market_closed");
        let q = d.quote(INDEX).await;
        let mut ioc = limit(INDEX, "buy", "1", cents_up(q.ask, 101, 100), "ioc");
        d.place(&d.trader, ioc.clone())
            .await
            .invalid("time_in_force", "market_closed");
        ioc["time_in_force"] = json!("gtc");
        let waiting = d.placed(&d.trader, ioc).await;
        status_of(&waiting, "accepted");
        assert_eq!(waiting["fills"], json!([]));
        // Crypto trades around the clock.
        let coin = d.placed(&d.trader, market("LMCX", "buy", "1")).await;
        status_of(&coin, "filled");
    }
}

/// A day order placed after the close belongs to the next session and expires at
/// that session's close, not at once.
#[tokio::test]
async fn a_day_order_placed_after_the_close_lives_through_the_next_session() {
    // Tuesday 20:00 market time.
    let d = desk_at(datetime!(2026-03-04 01:00 UTC)).await;
    let q = d.quote(INDEX).await;
    let placed = d
        .placed(
            &d.trader,
            limit(INDEX, "buy", "1", cents_down(q.bid, 50, 100), "day"),
        )
        .await;
    let id: nexus_domain::sim::OrderId = status_of(&placed, "accepted")["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let store = d.app.wired.db.sim();
    let status = || async { store.order(d.tenant, id).await.unwrap().state };
    d.tick(time::Duration::hours(1)).await;
    // Wednesday 15:59 market time: still open.
    d.tick(datetime!(2026-03-04 20:59 UTC) - d.now()).await;
    assert_eq!(status().await.status.as_str(), "accepted");
    // Wednesday's close.
    let report = d.tick(time::Duration::minutes(2)).await;
    assert_eq!(report.changed, 1);
    let token = d.login("trader").await;
    let shown = d.get(&format!("/v1/sim/orders/{id}"), &token).await;
    assert_eq!(
        (
            shown.body["order"]["status"].as_str(),
            shown.body["order"]["reason"].as_str()
        ),
        (Some("expired"), Some("day_order_expired"))
    );
}

/// Account rules reject orders after they are stored, with a reason the learner sees.
#[tokio::test]
async fn rule_breaking_orders_are_stored_rejected_with_reasons() {
    let d = desk().await;
    let too_big = d.placed(&d.trader, market(INDEX, "buy", "100000")).await;
    let o = status_of(&too_big, "rejected");
    assert_eq!(o["reason"], "insufficient_buying_power");
    assert!(o["reason_message"].is_string());
    let short = d.placed(&d.trader, market("QBYT", "sell", "1")).await;
    assert_eq!(
        status_of(&short, "rejected")["reason"],
        "short_selling_disabled"
    );
    // Both are listed, and cash is untouched.
    let list = d.get("/v1/sim/orders?status=closed", &d.trader).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 2);
    let p = d.practice(&d.trader).await;
    assert_eq!(dec(&p["cash"]), micro("100000"));

    // A tenant admin allows short selling: the same order fills and leaves a short.
    let s = d
        .settings(json!({"starting_cash": "100000", "realism": "standard", "allow_short": true}))
        .await;
    assert_eq!(s["allow_short"], true);
    let shorted = d.placed(&d.trader, market("QBYT", "sell", "1")).await;
    status_of(&shorted, "filled");
    let p = d.practice(&d.trader).await;
    let pos = &p["positions"][0];
    assert_eq!(
        (pos["symbol"].as_str(), pos["qty"].as_str()),
        (Some("QBYT"), Some("-1"))
    );
}

/// The pattern-day-trader example: with the rule on and equity under $25,000, a
/// fourth day trade within five sessions is refused.
#[tokio::test]
async fn the_pattern_day_trader_rule_refuses_a_fourth_day_trade() {
    let d = desk().await;
    d.settings(
        json!({"starting_cash": "10000", "realism": "standard", "pattern_day_trader": true}),
    )
    .await;
    let p = d.practice(&d.trader).await;
    assert_eq!(p["starting_cash"], "10000");
    for symbol in ["NXTM", "NXTK", "NXEN"] {
        status_of(
            &d.placed(&d.trader, market(symbol, "buy", "1")).await,
            "filled",
        );
        status_of(
            &d.placed(&d.trader, market(symbol, "sell", "1")).await,
            "filled",
        );
    }
    status_of(
        &d.placed(&d.trader, market("NXIN", "buy", "1")).await,
        "filled",
    );
    let fourth = d.placed(&d.trader, market("NXIN", "sell", "1")).await;
    assert_eq!(
        status_of(&fourth, "rejected")["reason"],
        "pattern_day_trader"
    );
    // Without the rule the same trade goes through.
    d.settings(json!({"starting_cash": "10000", "realism": "standard"}))
        .await;
    status_of(
        &d.placed(&d.trader, market("NXIN", "sell", "1")).await,
        "filled",
    );
}

#[tokio::test]
async fn a_repeated_client_order_id_returns_the_original_order() {
    let d = desk().await;
    let mut body = market(INDEX, "buy", "3");
    body["client_order_id"] = json!("lesson-4-buy");
    let first = d.place(&d.trader, body.clone()).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let cash = d.practice(&d.trader).await["cash"].clone();
    let again = d.place(&d.trader, body.clone()).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["order"]["id"], first.body["order"]["id"]);
    assert_eq!(again.body["order"]["client_order_id"], "lesson-4-buy");
    assert_eq!(again.body["fills"], first.body["fills"], "no second fill");
    assert_eq!(d.practice(&d.trader).await["cash"], cash);
    // The key is per portfolio: another learner may use it too.
    let theirs = d.place(&d.other, body).await;
    assert_eq!(theirs.status, 201);
    assert_ne!(theirs.body["order"]["id"], first.body["order"]["id"]);
}

/// Eight simultaneous retries (on a learner's very first use, so the practice
/// portfolio is opened concurrently too) make exactly one order and one fill.
#[tokio::test]
async fn concurrent_duplicates_create_exactly_one_order() {
    let d = desk().await;
    let mut body = market(INDEX, "buy", "2");
    body["client_order_id"] = json!("double-click");
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let req = signed(&d.app, Method::POST, "/v1/sim/orders", "school", &d.trader).json(&body);
        tasks.spawn(async move { checked(req.send().await.unwrap(), "POST order").await });
    }
    let mut ids = Vec::new();
    let mut created = 0;
    while let Some(r) = tasks.join_next().await {
        let r = r.unwrap();
        assert!(matches!(r.status, 200 | 201), "{}", r.body);
        created += usize::from(r.status == 201);
        ids.push(r.body["order"]["id"].as_str().unwrap().to_owned());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 1, "one order for all retries");
    assert_eq!(created, 1, "exactly one request created it");
    let orders = d.get("/v1/sim/orders", &d.trader).await;
    assert_eq!(orders.body["items"].as_array().unwrap().len(), 1);
    let fills = d.get("/v1/sim/fills", &d.trader).await;
    assert_eq!(fills.body["items"].as_array().unwrap().len(), 1);
    let list = d.get("/v1/sim/portfolios", &d.trader).await;
    assert_eq!(
        list.body["items"].as_array().unwrap().len(),
        1,
        "one practice portfolio"
    );
}

/// A retried replace (same `client_order_id`) answers 200 with the replacement the
/// first attempt made, as a retried placement does; it never replaces twice.
#[tokio::test]
async fn a_retried_replace_returns_the_first_replacement() {
    let d = desk().await;
    let q = d.quote(INDEX).await;
    let low = cents_down(q.bid, 80, 100);
    let placed = d
        .placed(&d.trader, limit(INDEX, "buy", "2", low, "gtc"))
        .await;
    let old = status_of(&placed, "accepted")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/sim/orders/{old}");
    let body = json!({"qty": "3", "client_order_id": "replace-once"});
    let first = d
        .call(Method::PATCH, &path, &d.trader, Some(body.clone()))
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = d.call(Method::PATCH, &path, &d.trader, Some(body)).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["order"]["id"], first.body["order"]["id"]);
    assert_eq!(again.body["order"]["qty"], "3");
}

#[tokio::test]
async fn open_orders_can_be_replaced_and_cancelled_but_not_filled_ones() {
    let d = desk().await;
    let q = d.quote(INDEX).await;
    let low = cents_down(q.bid, 80, 100);
    let placed = d
        .placed(&d.trader, limit(INDEX, "buy", "2", low, "gtc"))
        .await;
    let old = status_of(&placed, "accepted")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/sim/orders/{old}");

    let r = d
        .call(
            Method::PATCH,
            &path,
            &d.trader,
            Some(json!({"qty": "5", "limit_price": price(low + 1), "time_in_force": "day"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let new = status_of(&r.body, "accepted");
    assert_eq!(new["replaces"], old.as_str());
    assert_eq!(
        (
            new["qty"].as_str(),
            new["limit_price"].as_str().map(micro),
            new["time_in_force"].as_str()
        ),
        (Some("5"), Some((low + 1) * CENT), Some("day"))
    );
    let new_id = new["id"].as_str().unwrap().to_owned();
    let was = d.get(&path, &d.trader).await;
    assert_eq!(
        (
            was.body["order"]["status"].as_str(),
            was.body["order"]["reason"].as_str()
        ),
        (Some("canceled"), Some("replaced"))
    );
    // The replaced order is no longer open: neither cancel nor replace again.
    d.call(Method::DELETE, &path, &d.trader, None)
        .await
        .problem(409, "order_not_open");
    d.call(Method::PATCH, &path, &d.trader, Some(json!({"qty": "1"})))
        .await
        .problem(409, "order_not_open");

    let new_path = format!("/v1/sim/orders/{new_id}");
    let r = d.call(Method::DELETE, &new_path, &d.trader, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["status"].as_str(), r.body["reason"].as_str()),
        (Some("canceled"), Some("canceled_by_user"))
    );
    d.call(Method::DELETE, &new_path, &d.trader, None)
        .await
        .problem(409, "order_not_open");

    let filled = d.placed(&d.trader, market(INDEX, "buy", "1")).await;
    let id = status_of(&filled, "filled")["id"].as_str().unwrap();
    let path = format!("/v1/sim/orders/{id}");
    d.call(Method::DELETE, &path, &d.trader, None)
        .await
        .problem(409, "order_not_open");
    d.call(Method::PATCH, &path, &d.trader, Some(json!({"qty": "4"})))
        .await
        .problem(409, "order_not_open");
    // Cancelling released the reservation: nothing is open, cash only paid the fill.
    let open = d.get("/v1/sim/orders?status=open", &d.trader).await;
    assert_eq!(open.body["items"], json!([]));
    let p = d.practice(&d.trader).await;
    let fill = &filled["fills"][0];
    assert_eq!(
        dec(&p["cash"]),
        micro("100000") - dec(&fill["gross"]) - dec(&fill["fee"])
    );
}

/// Orders and portfolios are private: another learner of the same tenant gets 404
/// for all of them (existence is not disclosed).
#[tokio::test]
async fn another_learner_cannot_see_or_touch_my_orders_or_portfolio() {
    let d = desk().await;
    let q = d.quote(INDEX).await;
    let placed = d
        .placed(
            &d.trader,
            limit(INDEX, "buy", "1", cents_down(q.bid, 90, 100), "gtc"),
        )
        .await;
    let id = placed["order"]["id"].as_str().unwrap();
    let portfolio = placed["order"]["portfolio_id"].as_str().unwrap();
    let path = format!("/v1/sim/orders/{id}");
    d.get(&path, &d.other).await.problem(404, "not_found");
    d.call(Method::DELETE, &path, &d.other, None)
        .await
        .problem(404, "not_found");
    d.call(Method::PATCH, &path, &d.other, Some(json!({"qty": "2"})))
        .await
        .problem(404, "not_found");
    d.get(&format!("/v1/sim/fills?order={id}"), &d.other)
        .await
        .problem(404, "not_found");
    for suffix in ["", "/history", "/analytics"] {
        d.get(&format!("/v1/sim/portfolios/{portfolio}{suffix}"), &d.other)
            .await
            .problem(404, "not_found");
    }
    d.get(&format!("/v1/sim/orders?portfolio={portfolio}"), &d.other)
        .await
        .problem(404, "not_found");
    let mut into_theirs = market(INDEX, "buy", "1");
    into_theirs["portfolio_id"] = json!(portfolio);
    d.place(&d.other, into_theirs)
        .await
        .problem(404, "not_found");
    // Still open and intact for its owner.
    let mine = d.get(&path, &d.trader).await;
    assert_eq!(mine.body["order"]["status"], "accepted");
    let own = d
        .get(&format!("/v1/sim/portfolios/{portfolio}"), &d.trader)
        .await;
    assert_eq!(own.status, 200);
    // Their own list does not show it.
    let theirs = d.get("/v1/sim/orders", &d.other).await;
    assert_eq!(theirs.body["items"], json!([]));
    // Nor does a learner of another tenant reach it.
    d.app
        .user(
            "elsewhere",
            "learner@elsewhere.example",
            crate::auth::PW,
            nexus_domain::user::Role::Learner,
        )
        .await;
    let (stranger, _, _) = crate::auth::token_of(
        d.app
            .login(
                "elsewhere",
                "learner@elsewhere.example",
                crate::auth::PW,
                None,
            )
            .await,
    )
    .await;
    for method in [Method::GET, Method::DELETE] {
        let resp = signed(&d.app, method, &path, "elsewhere", &stranger)
            .send()
            .await
            .unwrap();
        checked(resp, "another tenant")
            .await
            .problem(404, "not_found");
    }
}

/// Orders racing for the same cash are decided one after the other (the portfolio is
/// locked per change): with $100,000, eight simultaneous buys of about $16,000 each
/// fill while the cash lasts and the rest are rejected; cash never goes negative and
/// every fill is in the books.
#[tokio::test]
async fn simultaneous_orders_never_spend_the_same_cash_twice() {
    let d = desk().await;
    d.practice(&d.trader).await; // opened up front: this test is about the cash
    let q = d.quote(INDEX).await;
    let qty: i128 = 16_000 * SCALE / q.ask;
    let body = market(INDEX, "buy", &qty.to_string());
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let req = signed(&d.app, Method::POST, "/v1/sim/orders", "school", &d.trader).json(&body);
        tasks.spawn(async move { checked(req.send().await.unwrap(), "POST order").await });
    }
    let (mut filled, mut rejected) = (0, 0);
    while let Some(r) = tasks.join_next().await {
        let r = r.unwrap();
        assert_eq!(r.status, 201, "{}", r.body);
        match r.body["order"]["status"].as_str().unwrap() {
            "filled" => filled += 1,
            "rejected" => {
                assert_eq!(r.body["order"]["reason"], "insufficient_buying_power");
                rejected += 1;
            }
            other => panic!("unexpected status {other}: {}", r.body),
        }
    }
    assert_eq!((filled, rejected), (6, 2), "as many as the cash covers");
    let fills = d.get("/v1/sim/fills?limit=100", &d.trader).await;
    let spent: i128 = fills.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| dec(&f["gross"]) + dec(&f["fee"]))
        .sum();
    let p = d.practice(&d.trader).await;
    let cash = dec(&p["cash"]);
    assert!(cash >= 0, "cash went negative: {cash}");
    assert_eq!(cash, micro("100000") - spent, "every fill is booked once");
    assert_eq!(dec(&p["positions"][0]["qty"]), qty * SCALE * filled, "{p}");
}

/// In realistic mode an open buy stop holds back what it is expected to cost — its
/// stop price or the ask plus the impact of its size on real volume — so the rest of
/// the cash stays available for other orders.
#[tokio::test]
async fn open_orders_reserve_what_they_are_expected_to_cost() {
    let d = desk().await;
    d.settings(json!({"starting_cash": "25000", "realism": "realistic"}))
        .await;
    let q = d.quote(INDEX).await;
    let stop = cents_up(q.last, 101, 100);
    let waiting = d
        .placed(
            &d.trader,
            json!({"symbol": INDEX, "side": "buy", "type": "stop", "time_in_force": "gtc",
                   "qty": "200", "stop_price": price(stop)}),
        )
        .await;
    status_of(&waiting, "accepted");
    // What is left after reserving 200 × the stop and its commission, less a margin of
    // two shares for the next order's own impact and commission.
    let reserved = 200 * stop * CENT + micro("1");
    let qty = (micro("25000") - reserved) / q.ask - 2;
    assert!(qty > 5, "{qty}");
    let next = d
        .placed(&d.trader, market(INDEX, "buy", &qty.to_string()))
        .await;
    status_of(&next, "filled");
    // And no more than that.
    let more = d.placed(&d.trader, market(INDEX, "buy", "10")).await;
    assert_eq!(
        status_of(&more, "rejected")["reason"],
        "insufficient_buying_power"
    );
}
