//! The simulator end to end, part four: the class side — competitions for a cohort
//! with their window, allowed instruments and opt-in leaderboard, the tenant's
//! settings, and CSV imports. Fixture and helpers are in `sim`.

use crate::auth::signed;
use crate::sim::{CENT, Desk, INDEX, Resp, T0, checked, desk, market, price, status_of};
use nexus_domain::audit::AuditQuery;
use reqwest::Method;
use serde_json::{Value, json};

/// The user ID behind a session.
async fn user_id(d: &Desk, token: &str) -> String {
    crate::quizzes::user_id(&d.app, token).await.to_string()
}

/// A cohort of the instructor's with `members` as learners.
async fn cohort(d: &Desk, members: &[&str]) -> String {
    let c: Value = signed(&d.app, Method::POST, "/v1/cohorts", "school", &d.teach)
        .json(&json!({"name": "Class 10A"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = c["id"].as_str().unwrap().to_owned();
    for token in members {
        let user = user_id(d, token).await;
        let put = signed(
            &d.app,
            Method::PUT,
            &format!("/v1/cohorts/{id}/members/{user}"),
            "school",
            &d.teach,
        )
        .json(&json!({"role": "learner"}))
        .send()
        .await
        .unwrap();
        assert_eq!(put.status(), 200, "{}", put.text().await.unwrap());
    }
    id
}

fn rows(r: &Resp) -> &Vec<Value> {
    r.body["items"].as_array().unwrap()
}

#[tokio::test]
async fn a_class_competition_from_setup_to_leaderboard() {
    let mut d = desk().await;
    d.app
        .user(
            "school",
            "third@school.example",
            crate::auth::PW,
            nexus_domain::user::Role::Learner,
        )
        .await;
    let class = cohort(&d, &[&d.trader, &d.other]).await;
    let outsider = d.login("third").await;

    let starts = T0 + time::Duration::hours(1);
    let ends = T0 + time::Duration::days(2);
    let body = json!({
        "cohort_id": class, "name": "Spring challenge",
        "starts_at": starts.format(&time::format_description::well_known::Rfc3339).unwrap(),
        "ends_at": ends.format(&time::format_description::well_known::Rfc3339).unwrap(),
        "starting_cash": "25000", "allowed_symbols": [INDEX, "QBYT"], "metric": "return"
    });
    // Learners cannot set one up; a bad request says what is wrong.
    d.call(
        Method::POST,
        "/v1/sim/competitions",
        &d.trader,
        Some(body.clone()),
    )
    .await
    .problem(403, "forbidden");
    let mut bad = body.clone();
    bad["allowed_symbols"] = json!([INDEX, "ZZZZ"]);
    d.call(Method::POST, "/v1/sim/competitions", &d.teach, Some(bad))
        .await
        .invalid("allowed_symbols[1]", "unknown_symbol");
    let created = d
        .call(Method::POST, "/v1/sim/competitions", &d.teach, Some(body))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["phase"], "scheduled");
    let id = created.body["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/sim/competitions/{id}");

    // Outside the cohort it does not exist.
    d.get(&path, &outsider).await.problem(404, "not_found");
    d.call(Method::POST, &format!("{path}/entries"), &outsider, None)
        .await
        .problem(404, "not_found");
    d.get(&format!("{path}/leaderboard"), &outsider)
        .await
        .problem(404, "not_found");
    let theirs = d.get("/v1/sim/competitions", &outsider).await;
    assert!(rows(&theirs).is_empty());
    let mine = d.get("/v1/sim/competitions", &d.trader).await;
    assert_eq!(rows(&mine).len(), 1);

    // Members join (twice is the same entry) and cannot trade before the start.
    let join = |token: String| {
        let d = &d;
        let path = format!("{path}/entries");
        async move {
            let r = d.call(Method::POST, &path, &token, None).await;
            assert_eq!(r.status, 201, "{}", r.body);
            assert_eq!(r.body["cash"], "25000");
            r.body["id"].as_str().unwrap().to_owned()
        }
    };
    let entry = join(d.trader.clone()).await;
    assert_eq!(join(d.trader.clone()).await, entry);
    let peer_entry = join(d.other.clone()).await;
    let mut order = market(INDEX, "buy", "10");
    order["portfolio_id"] = json!(entry);
    d.place(&d.trader, order.clone())
        .await
        .problem(409, "competition_not_running");

    // Running: allowed symbols only.
    d.clock
        .advance(time::Duration::hours(1) + time::Duration::minutes(5));
    d.relogin().await;
    assert_eq!(d.get(&path, &d.trader).await.body["phase"], "running");
    status_of(&d.placed(&d.trader, order.clone()).await, "filled");
    // A resting order the market reaches only after the end (checked against the
    // deterministic path): a buy limit below the quote if the price falls then,
    // otherwise a buy stop above it.
    let quote = d.quote(INDEX).await;
    let after = d
        .app
        .wired
        .services
        .sim
        .hub()
        .snapshot(INDEX, ends, ends + time::Duration::hours(5))
        .unwrap();
    let (low, high) = (
        crate::sim::micro(&after.low.to_string()),
        crate::sim::micro(&after.high.to_string()),
    );
    let mut late = if crate::sim::cents_up(low, 1, 1) * CENT < quote.bid {
        crate::sim::limit(INDEX, "buy", "1", crate::sim::cents_up(low, 1, 1), "gtc")
    } else {
        assert!(high > quote.ask + CENT, "the path moves after the end");
        json!({"symbol": INDEX, "side": "buy", "type": "stop", "time_in_force": "gtc",
               "qty": "1", "stop_price": price(crate::sim::cents_down(high, 1, 1))})
    };
    late["portfolio_id"] = json!(entry);
    let late = d.placed(&d.trader, late).await;
    let late = status_of(&late, "accepted")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut other_order = market("QBYT", "buy", "20");
    other_order["portfolio_id"] = json!(peer_entry);
    status_of(&d.placed(&d.other, other_order).await, "filled");
    let mut off_list = market("NMBS", "buy", "1");
    off_list["portfolio_id"] = json!(entry);
    d.place(&d.trader, off_list)
        .await
        .invalid("symbol", "not_allowed");
    // The practice portfolio is separate and unrestricted.
    status_of(
        &d.placed(&d.trader, market("NMBS", "buy", "1")).await,
        "filled",
    );
    let entries = d.get("/v1/sim/portfolios", &d.trader).await;
    assert_eq!(rows(&entries).len(), 2, "practice + competition");

    // Only the learner who opted in is named on the board.
    let opt = signed(
        &d.app,
        Method::PUT,
        "/v1/me/leaderboard",
        "school",
        &d.trader,
    )
    .json(&json!({"opt_in": true}))
    .send()
    .await
    .unwrap();
    assert_eq!(opt.status(), 200);
    d.clock.advance(time::Duration::days(1));
    d.relogin().await;
    let board = d.get(&format!("{path}/leaderboard"), &d.teach).await;
    let table = rows(&board);
    assert_eq!(table.len(), 2, "{}", board.body);
    let ranks: Vec<u64> = table.iter().map(|r| r["rank"].as_u64().unwrap()).collect();
    assert!(
        ranks.windows(2).all(|w| w[0] <= w[1]) && ranks[0] == 1,
        "{ranks:?}"
    );
    let scores: Vec<f64> = table.iter().map(|r| r["score"].as_f64().unwrap()).collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "best first: {scores:?}"
    );
    let named = table
        .iter()
        .find(|r| r["display_name"] == "Test User")
        .unwrap();
    assert_eq!(named["portfolio_id"], entry.as_str());
    assert!(named["total_return"].is_number());
    let anonymous = table
        .iter()
        .find(|r| r["display_name"] == "Anonymous")
        .unwrap();
    assert!(anonymous["portfolio_id"].is_null(), "{anonymous}");
    assert!(anonymous["total_return"].is_null(), "{anonymous}");
    assert!(!board.body.to_string().contains(&peer_entry));
    // The learner who did not opt in sees their own row, marked as theirs.
    let own = d.get(&format!("{path}/leaderboard"), &d.other).await;
    let me = rows(&own).iter().find(|r| r["is_you"] == true).unwrap();
    assert_eq!(me["portfolio_id"], peer_entry.as_str());

    // After the end: no more orders, no new entries.
    d.clock.advance(time::Duration::days(1));
    d.relogin().await;
    assert_eq!(d.get(&path, &d.teach).await.body["phase"], "finished");
    d.place(&d.trader, order)
        .await
        .problem(409, "competition_not_running");
    d.call(Method::POST, &format!("{path}/entries"), &d.trader, None)
        .await
        .problem(409, "competition_finished");
    // A resting order reached after the end does not trade: it is canceled.
    let report = d
        .app
        .wired
        .services
        .sim
        .tick(ends, ends + time::Duration::hours(5))
        .await
        .unwrap();
    assert_eq!(report.failed, 0);
    let shown = d.get(&format!("/v1/sim/orders/{late}"), &d.trader).await;
    assert_eq!(
        (
            shown.body["order"]["status"].as_str(),
            shown.body["order"]["reason"].as_str()
        ),
        (Some("canceled"), Some("competition_ended")),
        "{}",
        shown.body
    );
    assert_eq!(shown.body["fills"], json!([]));
    // Audited.
    let q = AuditQuery {
        action: Some("competition.".into()),
        limit: 10,
        ..Default::default()
    };
    let events = d
        .app
        .wired
        .services
        .audit
        .list(Some(d.tenant), &q)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
}

async fn import(d: &Desk, token: &str, symbol: &str, csv: &str) -> Resp {
    let resp = signed(
        &d.app,
        Method::PUT,
        &format!("/v1/sim/imports/{symbol}"),
        "school",
        token,
    )
    .header("content-type", "text/csv")
    .body(csv.to_owned())
    .send()
    .await
    .unwrap();
    checked(resp, "PUT import").await
}

/// Settings and imports are for tenant admins, audited; a bad file is refused whole
/// with every bad line named, leaving the previous import as it was.
#[tokio::test]
async fn settings_and_csv_imports_are_admin_only_all_or_nothing_and_audited() {
    let d = desk().await;
    let defaults = d.get("/v1/sim/settings", &d.trader).await;
    assert_eq!(
        (
            defaults.body["starting_cash"].as_str(),
            defaults.body["realism"].as_str(),
            defaults.body["allow_short"].as_bool()
        ),
        (Some("100000"), Some("standard"), Some(false))
    );
    for token in [&d.trader, &d.teach] {
        d.call(
            Method::PUT,
            "/v1/sim/settings",
            token,
            Some(json!({"starting_cash": "5000", "realism": "realistic"})),
        )
        .await
        .problem(403, "forbidden");
    }
    let r = d
        .call(
            Method::PUT,
            "/v1/sim/settings",
            &d.head,
            Some(json!({"starting_cash": "-5", "realism": "magic"})),
        )
        .await;
    r.invalid("starting_cash", "out_of_range");
    r.invalid("realism", "invalid_realism");
    let saved = d
        .settings(json!({"starting_cash": "5000", "realism": "frictionless", "margin": true}))
        .await;
    assert_eq!(
        (saved["realism"].as_str(), saved["margin"].as_bool()),
        (Some("frictionless"), Some(true))
    );
    // New portfolios start with the new cash; frictionless fills pay nothing.
    let p = d.practice(&d.trader).await;
    assert_eq!(p["starting_cash"], "5000");
    let placed = d.placed(&d.trader, market(INDEX, "buy", "1")).await;
    assert_eq!(placed["fills"][0]["fee"], "0");

    let good = "date,open,high,low,close,volume\n\
                2024-01-02,10.00,10.50,9.80,10.20,12000\n\
                2024-01-03,10.20,10.40,10.00,10.00,9000\n\
                2024-01-04,10.00,10.90,9.95,10.80,15000\n";
    let r = import(&d, &d.head, "MYCO", good).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (
            r.body["symbol"].as_str(),
            r.body["bars"].as_u64(),
            r.body["first"].as_str(),
            r.body["last"].as_str()
        ),
        (
            Some("MYCO"),
            Some(3),
            Some("2024-01-02"),
            Some("2024-01-04")
        )
    );
    let bad = "date,open,high,low,close,volume\n\
               2024-02-01,10,11,9,10,100\n\
               2024-13-01,10,11,9,10,100\n\
               2024-02-03,10,11,9,10,100\n\
               2024-02-04,abc,11,9,10,100\n";
    let r = import(&d, &d.head, "MYCO", bad).await;
    r.invalid("line 3", "invalid_row");
    r.invalid("line 5", "invalid_row");
    let lines: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(lines, ["line 3", "line 5"]);
    import(&d, &d.trader, "MYCO", good)
        .await
        .problem(403, "forbidden");

    // The good import is intact.
    let bars = d.get("/v1/sim/imports/MYCO", &d.trader).await;
    let days: Vec<&str> = rows(&bars)
        .iter()
        .map(|b| b["date"].as_str().unwrap())
        .collect();
    assert_eq!(days, ["2024-01-02", "2024-01-03", "2024-01-04"]);
    assert_eq!(
        rows(&bars)[2],
        json!({"date": "2024-01-04", "open": "10", "high": "10.9", "low": "9.95",
               "close": "10.8", "volume": 15000})
    );
    let list = d.get("/v1/sim/imports", &d.head).await;
    assert_eq!(rows(&list).len(), 1);
    d.get("/v1/sim/imports/NONE", &d.head)
        .await
        .problem(404, "not_found");

    let q = AuditQuery {
        action: Some("sim.".into()),
        limit: 20,
        ..Default::default()
    };
    let events = d
        .app
        .wired
        .services
        .audit
        .list(Some(d.tenant), &q)
        .await
        .unwrap();
    let mut actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    actions.sort_unstable();
    assert_eq!(actions, ["sim.import", "sim.settings.update"]);
    let update = events
        .iter()
        .find(|e| e.action == "sim.settings.update")
        .unwrap();
    let diff = update.diff.as_deref().unwrap();
    assert!(
        diff.contains("frictionless") && diff.contains("standard"),
        "{diff}"
    );
    // The audit API shows them to the admin too.
    let api = signed(
        &d.app,
        Method::GET,
        "/v1/audit?action=sim.",
        "school",
        &d.head,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(api.status(), 200);
    let text = api.text().await.unwrap();
    assert!(
        text.contains("sim.import") && text.contains("sim.settings.update"),
        "{text}"
    );
}
