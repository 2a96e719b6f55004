//! The portfolio simulator end to end (issue 5), part one: the shared desk fixture and
//! helpers, the disclaimer on every response, and order entry (every order type × time
//! in force, notional orders, fill explanations).
//!
//! Every test runs on a `ManualClock` pinned inside an exchange session (Tuesday
//! 2026-03-03 10:00 market time) with the app's background tick loop off
//! (`NEXUS_SERVER_ROLE=api`), so prices, fills and ticks are deterministic; ticks are
//! driven through `services.sim.tick`. Every `/v1/sim` response goes through [`call`],
//! which checks the disclaimer: the `simulation-notice` header always (errors too) and
//! the `disclaimer` field on success bodies.
//!
//! The other parts: `sim_rules` (field errors, market hours, account rules,
//! idempotency and races, cancel/replace, privacy), `sim_ticks` (resting orders, SSE,
//! the tick lease, history and analytics) and `sim_class` (competitions, settings, CSV
//! imports).

use crate::auth::{PW, signed, token_of};
use crate::harness::TestApp;
use nexus_domain::sim::DISCLAIMER;
use nexus_domain::user::Role;
use nexus_domain::{Clock, ManualClock, TenantId};
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;
use time::OffsetDateTime;
use time::macros::datetime;

/// Tuesday 2026-03-03, 10:00 market time (UTC−05:00): an exchange session is open.
pub(crate) const T0: OffsetDateTime = datetime!(2026-03-03 15:00 UTC);
/// The index fund.
pub(crate) const INDEX: &str = "NXTM";

/// An app on a manual clock with a tenant `school` and its people signed in.
pub(crate) struct Desk {
    pub(crate) app: TestApp,
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) tenant: TenantId,
    /// A learner.
    pub(crate) trader: String,
    /// Another learner of the same tenant.
    pub(crate) other: String,
    /// A tenant admin (`sim:admin`).
    pub(crate) head: String,
    /// An instructor (`competition:write`).
    pub(crate) teach: String,
}

/// A desk at [`T0`].
pub(crate) async fn desk() -> Desk {
    desk_at(T0).await
}

/// A desk whose clock starts at `at`.
pub(crate) async fn desk_at(at: OffsetDateTime) -> Desk {
    let clock = Arc::new(ManualClock::new(at));
    // No background tick loop: the tests drive ticks themselves, and the `sim.tick`
    // lease stays free for the lease test.
    let app = TestApp::builder()
        .clock(clock.clone())
        .env("NEXUS_SERVER_ROLE", "api")
        .spawn()
        .await;
    let tenant = app
        .user("school", "trader@school.example", PW, Role::Learner)
        .await;
    for (email, role) in [
        ("other@school.example", Role::Learner),
        ("head@school.example", Role::Admin),
        ("teach@school.example", Role::Instructor),
    ] {
        app.user("school", email, PW, role).await;
    }
    let mut d = Desk {
        app,
        clock,
        tenant,
        trader: String::new(),
        other: String::new(),
        head: String::new(),
        teach: String::new(),
    };
    d.relogin().await;
    d
}

impl Desk {
    /// Signs `who` (the part of the e-mail before `@`) in and returns the token.
    pub(crate) async fn login(&self, who: &str) -> String {
        let email = format!("{who}@school.example");
        token_of(self.app.login("school", &email, PW, None).await)
            .await
            .0
    }

    /// Signs everyone in again (sessions idle out when the clock jumps hours).
    pub(crate) async fn relogin(&mut self) {
        self.trader = self.login("trader").await;
        self.other = self.login("other").await;
        self.head = self.login("head").await;
        self.teach = self.login("teach").await;
    }

    pub(crate) fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Moves the clock on by `by` and runs one tick over the interval.
    pub(crate) async fn tick(&self, by: time::Duration) -> nexus_app::sim::tick::TickReport {
        let since = self.now();
        self.clock.advance(by);
        self.app
            .wired
            .services
            .sim
            .tick(since, self.now())
            .await
            .unwrap()
    }

    /// A `/v1/sim` request as `token`, with the disclaimer checks of [`call`].
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Resp {
        call(&self.app, method, path, token, body).await
    }

    pub(crate) async fn get(&self, path: &str, token: &str) -> Resp {
        self.call(Method::GET, path, token, None).await
    }

    /// `POST /v1/sim/orders`.
    pub(crate) async fn place(&self, token: &str, body: Value) -> Resp {
        self.call(Method::POST, "/v1/sim/orders", token, Some(body))
            .await
    }

    /// Places an order that must be accepted (201) and returns `{order, fills}`.
    pub(crate) async fn placed(&self, token: &str, body: Value) -> Value {
        let r = self.place(token, body.clone()).await;
        assert_eq!(r.status, 201, "placing {body}: {}", r.body);
        r.body
    }

    /// The learner's practice portfolio, valued.
    pub(crate) async fn practice(&self, token: &str) -> Value {
        let r = self.get("/v1/sim/portfolios/practice", token).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body
    }

    /// The current quote of `symbol` through the API.
    pub(crate) async fn quote(&self, symbol: &str) -> Quote {
        let r = self
            .get(&format!("/v1/sim/instruments/{symbol}"), &self.trader)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let q = &r.body["quote"];
        Quote {
            bid: dec(&q["bid"]),
            ask: dec(&q["ask"]),
            last: dec(&q["last"]),
        }
    }

    /// Changes the tenant's simulator settings as the admin.
    pub(crate) async fn settings(&self, body: Value) -> Value {
        let r = self
            .call(Method::PUT, "/v1/sim/settings", &self.head, Some(body))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body
    }
}

/// A quote in [`micro`] units.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Quote {
    pub(crate) bid: i128,
    pub(crate) ask: i128,
    pub(crate) last: i128,
}

/// A `/v1/sim` response.
#[derive(Debug)]
pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) body: Value,
}

impl Resp {
    /// Asserts a 422 `validation_failed` naming `field` with `code`.
    pub(crate) fn invalid(&self, field: &str, code: &str) {
        assert_eq!(
            (self.status, self.body["code"].as_str()),
            (422, Some("validation_failed")),
            "{}",
            self.body
        );
        let found = self.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == field && e["code"] == code);
        assert!(found, "expected {field}/{code} in {}", self.body);
    }

    /// Asserts an error status with its stable code.
    pub(crate) fn problem(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status, self.body["code"].as_str()),
            (status, Some(code)),
            "{}",
            self.body
        );
    }
}

/// Sends a request and checks the simulator's disclaimer rules on the response.
pub(crate) async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Resp {
    let mut req = signed(app, method.clone(), path, "school", token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    checked(resp, &format!("{method} {path}")).await
}

/// Applies the disclaimer checks to a response and reads its JSON body.
pub(crate) async fn checked(resp: reqwest::Response, what: &str) -> Resp {
    let status = resp.status().as_u16();
    let notice = resp
        .headers()
        .get("simulation-notice")
        .map(|v| v.to_str().unwrap().to_owned());
    assert!(
        notice.as_deref().is_some_and(|n| n.contains("education")),
        "{what} ({status}) has no simulation-notice header"
    );
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    if (200..300).contains(&status) {
        assert_eq!(
            body["disclaimer"], DISCLAIMER,
            "{what} ({status}) has no disclaimer: {body}"
        );
    } else {
        assert!(body["code"].is_string(), "{what} ({status}): {body}");
    }
    Resp { status, body }
}

/// A decimal string (at most 8 places) as an exact integer of hundred-millionths.
pub(crate) fn micro(s: &str) -> i128 {
    let (neg, s) = s.strip_prefix('-').map_or((false, s), |r| (true, r));
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    assert!(frac.len() <= 8, "too many places in {s}");
    let v = whole.parse::<i128>().unwrap() * SCALE + format!("{frac:0<8}").parse::<i128>().unwrap();
    if neg { -v } else { v }
}

/// One unit in [`micro`] terms.
pub(crate) const SCALE: i128 = 100_000_000;
/// One cent in [`micro`] terms.
pub(crate) const CENT: i128 = SCALE / 100;

/// A JSON decimal string in [`micro`] units.
pub(crate) fn dec(v: &Value) -> i128 {
    micro(
        v.as_str()
            .unwrap_or_else(|| panic!("not a decimal string: {v}")),
    )
}

/// A whole number of cents as a price string (`"101.25"`).
pub(crate) fn price(cents: i128) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// `x × num / den` in whole cents, rounded down.
pub(crate) fn cents_down(x: i128, num: i128, den: i128) -> i128 {
    (x * num / den).div_euclid(CENT)
}

/// `x × num / den` in whole cents, rounded up.
pub(crate) fn cents_up(x: i128, num: i128, den: i128) -> i128 {
    -(-(x * num / den)).div_euclid(CENT)
}

/// Money as the explanations print it (`$1,234.50`).
pub(crate) fn money(m: i128) -> String {
    let c = (m + CENT / 2).div_euclid(CENT);
    let whole = (c / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("${grouped}.{:02}", c % 100)
}

/// A price as the explanations print it: cents, or all its sub-penny places.
pub(crate) fn price_text(s: &str) -> String {
    let m = micro(s);
    if m % CENT == 0 {
        money(m)
    } else {
        let (whole, frac) = s.split_once('.').unwrap();
        format!("{}.{frac}", money(micro(whole)).trim_end_matches(".00"))
    }
}

/// A market order body.
pub(crate) fn market(symbol: &str, side: &str, qty: &str) -> Value {
    json!({"symbol": symbol, "side": side, "type": "market", "time_in_force": "day", "qty": qty})
}

/// A limit order body.
pub(crate) fn limit(symbol: &str, side: &str, qty: &str, at: i128, tif: &str) -> Value {
    json!({"symbol": symbol, "side": side, "type": "limit", "time_in_force": tif,
           "qty": qty, "limit_price": price(at)})
}

/// Checks a fill's explanation names its price, spread cost, slippage and fee.
pub(crate) fn explained(fill: &Value) {
    let text = fill["explanation"].as_str().unwrap();
    let p = price_text(fill["price"].as_str().unwrap());
    assert!(text.contains(&p), "price {p} missing: {text}");
    let fee = money(dec(&fill["fee"]));
    assert!(
        text.contains(&format!("Commission {fee}")),
        "fee {fee} missing: {text}"
    );
    let (spread, slip) = (dec(&fill["spread_cost"]), dec(&fill["slippage"]));
    if spread != 0 || slip != 0 {
        for part in [money(spread), money(slip)] {
            assert!(text.contains(&part), "cost {part} missing: {text}");
        }
    } else {
        assert!(text.contains("The mid price was"), "{text}");
    }
}

/// The order of a `{order, fills}` body, asserting its status.
pub(crate) fn status_of<'a>(placed: &'a Value, status: &str) -> &'a Value {
    let o = &placed["order"];
    assert_eq!(o["status"], status, "{placed}");
    o
}

#[tokio::test]
async fn every_sim_response_carries_the_disclaimer_errors_included() {
    let d = desk().await;
    // Successes of every resource family, through `call`'s checks.
    for path in [
        "/v1/sim/instruments",
        "/v1/sim/instruments/NXTM",
        "/v1/sim/instruments/NXTM/bars?days=5",
        "/v1/sim/instruments/NXTM/bars?interval=5m",
        "/v1/sim/scenarios",
        "/v1/sim/portfolios",
        "/v1/sim/portfolios/practice",
        "/v1/sim/portfolios/practice/history",
        "/v1/sim/portfolios/practice/analytics",
        "/v1/sim/orders",
        "/v1/sim/fills",
        "/v1/sim/settings",
        "/v1/sim/competitions",
    ] {
        let r = d.get(path, &d.trader).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
    }
    let placed = d.placed(&d.trader, market(INDEX, "buy", "1")).await;
    assert_eq!(placed["order"]["symbol"], INDEX);
    // Errors: 401, 403, 404, 409 and 422 all carry the header (checked in `call`).
    d.get("/v1/sim/portfolios/practice", "nxs_not-a-token")
        .await
        .problem(401, "unauthenticated");
    d.call(
        Method::PUT,
        "/v1/sim/settings",
        &d.trader,
        Some(json!({"starting_cash": "1", "realism": "standard"})),
    )
    .await
    .problem(403, "forbidden");
    d.get("/v1/sim/instruments/ZZZZ", &d.trader)
        .await
        .problem(404, "not_found");
    let id = placed["order"]["id"].as_str().unwrap();
    d.call(
        Method::DELETE,
        &format!("/v1/sim/orders/{id}"),
        &d.trader,
        None,
    )
    .await
    .problem(409, "order_not_open");
    d.place(&d.trader, market(INDEX, "buy", "0"))
        .await
        .invalid("qty", "not_positive");
}

/// One order-matrix case: (type, tif, limit, stop, expected status, reason, triggered)
type Case<'a> = (
    &'a str,
    &'a str,
    Option<i128>,
    Option<i128>,
    &'a str,
    Option<&'a str>,
    bool,
);

/// Every order type with every time in force it allows, against the quote at T0.
#[tokio::test]
async fn each_order_type_and_time_in_force_behaves_as_documented() {
    let d = desk().await;
    let q = d.quote(INDEX).await;
    let above = cents_up(q.ask, 101, 100); // a marketable buy limit
    let below = cents_down(q.bid, 90, 100); // a passive buy limit
    let stop_hit = cents_down(q.last, 99, 100); // a buy stop already reached
    let stop_far = cents_up(q.last, 110, 100); // a buy stop not reached
    let order = |kind: &str, tif: &str, limit: Option<i128>, stop: Option<i128>| {
        let mut b = json!({"symbol": INDEX, "side": "buy", "type": kind,
                           "time_in_force": tif, "qty": "2"});
        if let Some(l) = limit {
            b["limit_price"] = json!(price(l));
        }
        if let Some(s) = stop {
            b["stop_price"] = json!(price(s));
        }
        b
    };
    let mut cases: Vec<Case> = Vec::new();
    for tif in ["day", "gtc", "ioc", "fok"] {
        cases.push(("market", tif, None, None, "filled", None, false));
        cases.push(("limit", tif, Some(above), None, "filled", None, false));
    }
    for tif in ["day", "gtc"] {
        cases.push(("limit", tif, Some(below), None, "accepted", None, false));
        cases.push(("stop", tif, None, Some(stop_hit), "filled", None, true));
        cases.push(("stop", tif, None, Some(stop_far), "accepted", None, false));
        cases.push((
            "stop_limit",
            tif,
            Some(above),
            Some(stop_hit),
            "filled",
            None,
            true,
        ));
        cases.push((
            "stop_limit",
            tif,
            Some(cents_up(q.last, 112, 100)),
            Some(stop_far),
            "accepted",
            None,
            false,
        ));
    }
    cases.push((
        "limit",
        "ioc",
        Some(below),
        None,
        "canceled",
        Some("ioc_unfilled_remainder"),
        false,
    ));
    cases.push((
        "limit",
        "fok",
        Some(below),
        None,
        "canceled",
        Some("fok_not_fillable"),
        false,
    ));
    for (kind, tif, lim, stop, status, reason, triggered) in cases {
        let what = format!("{kind}/{tif} limit={lim:?} stop={stop:?}");
        let placed = d.placed(&d.trader, order(kind, tif, lim, stop)).await;
        let o = &placed["order"];
        assert_eq!(
            (
                o["status"].as_str(),
                o["reason"].as_str(),
                o["triggered"].as_bool()
            ),
            (Some(status), reason, Some(triggered)),
            "{what}: {placed}"
        );
        assert_eq!(
            (o["type"].as_str(), o["time_in_force"].as_str()),
            (Some(kind), Some(tif)),
            "{what}"
        );
        let fills = placed["fills"].as_array().unwrap();
        if status == "filled" {
            assert_eq!(fills.len(), 1, "{what}");
            let f = &fills[0];
            assert_eq!(
                (f["qty"].as_str(), o["filled_qty"].as_str()),
                (Some("2"), Some("2"))
            );
            explained(f);
            if let Some(l) = lim {
                assert!(dec(&f["price"]) <= l * CENT, "{what}: paid above the limit");
            }
            assert_eq!(o["filled_avg_price"], f["price"], "{what}");
            assert_eq!(o["fees"], f["fee"], "{what}");
        } else {
            assert!(fills.is_empty(), "{what}");
        }
    }
    // Immediate time in force is for market and limit orders only.
    for kind in ["stop", "stop_limit"] {
        for tif in ["ioc", "fok"] {
            d.place(&d.trader, order(kind, tif, Some(above), Some(stop_hit)))
                .await
                .invalid("time_in_force", "not_allowed");
        }
    }
    // Notional (dollar) orders: market day orders only; the quantity is worked out so
    // the gross stays within the amount.
    let placed = d
        .placed(
            &d.trader,
            json!({"symbol": INDEX, "side": "buy", "type": "market",
                   "time_in_force": "day", "notional": "250.50"}),
        )
        .await;
    let o = status_of(&placed, "filled");
    assert_eq!(o["notional"], "250.5");
    let qty = dec(&o["qty"]);
    assert!(
        qty > 2 * SCALE && qty < 3 * SCALE,
        "fractional quantity: {o}"
    );
    let fill = &placed["fills"][0];
    explained(fill);
    assert!(dec(&fill["gross"]) <= micro("250.50"), "{fill}");
    d.place(
        &d.trader,
        json!({"symbol": INDEX, "side": "buy", "type": "market",
               "time_in_force": "gtc", "notional": "100"}),
    )
    .await
    .invalid("notional", "not_allowed");
    d.place(
        &d.trader,
        json!({"symbol": INDEX, "side": "buy", "type": "limit", "time_in_force": "day",
               "notional": "100", "limit_price": price(above)}),
    )
    .await
    .invalid("notional", "not_allowed");

    // Listing: open orders are the resting ones, newest first.
    let open = d.get("/v1/sim/orders?status=open", &d.trader).await;
    let statuses: Vec<&str> = open.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["accepted"; 6]);
    // The books: cash went down by exactly the fills' cost.
    let fills = d.get("/v1/sim/fills?limit=100", &d.trader).await;
    let spent: i128 = fills.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| dec(&f["gross"]) + dec(&f["fee"]))
        .sum();
    let p = d.practice(&d.trader).await;
    assert_eq!(dec(&p["cash"]), micro("100000") - spent);
}

/// Immediate fills execute where the market is: a market buy pays the ask (kept within
/// the range the latest price step traded), so the spread cost shows; in realistic
/// mode the step's volume is liquidity, so IOC and FOK market orders fill at once.
#[tokio::test]
async fn immediate_fills_cross_the_spread_and_find_liquidity() {
    let d = desk().await;
    // An instrument whose latest step traded above its last price, so where the fill
    // lands tells the ask from the last (chosen from the deterministic path).
    let hub = d.app.wired.services.sim.hub();
    let (symbol, high) = hub
        .instruments()
        .iter()
        .find_map(|i| {
            let step = hub.snapshot(&i.symbol, T0 - time::Duration::minutes(5), T0)?;
            (step.high > step.last).then(|| (i.symbol.clone(), micro(&step.high.to_string())))
        })
        .expect("some instrument traded above its last price in its latest step");
    let q = d.quote(&symbol).await;
    let placed = d.placed(&d.trader, market(&symbol, "buy", "10")).await;
    let fill = &placed["fills"][0];
    let paid = dec(&fill["price"]);
    assert_eq!(paid, q.ask.min(high), "{symbol}: {fill}");
    assert!(
        paid > q.last,
        "a market buy pays more than the last trade: {fill}"
    );
    let mid = i128::midpoint(q.bid, q.ask);
    if paid > mid {
        assert!(dec(&fill["spread_cost"]) > 0, "{fill}");
        assert!(
            fill["explanation"]
                .as_str()
                .unwrap()
                .contains("crossing the spread")
        );
    }
    explained(fill);

    d.settings(json!({"starting_cash": "100000", "realism": "realistic"}))
        .await;
    for tif in ["ioc", "fok", "day"] {
        let placed = d
            .placed(
                &d.trader,
                json!({"symbol": INDEX, "side": "buy", "type": "market",
                       "time_in_force": tif, "qty": "10"}),
            )
            .await;
        status_of(&placed, "filled");
        explained(&placed["fills"][0]);
    }
}
