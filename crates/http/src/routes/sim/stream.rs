//! Server-Sent Events: `/v1/sim/stream/quotes` and `/v1/sim/stream/orders`.
//!
//! Both resume after a reconnect from `Last-Event-ID`:
//! - quotes are numbered by their instant (Unix seconds); prices are deterministic, so
//!   the missed ticks since that instant are recomputed and sent first (at most
//!   [`MAX_REPLAY`]);
//! - order events are numbered by the database; the missed ones are read back.
//!
//! A stream ends after [`MAX_STREAM`] so no connection is held forever; clients
//! reconnect with `Last-Event-ID` and lose nothing.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{QueryParams, SignedIn};
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use futures_util::stream::{self, Stream};
use nexus_domain::sim::DISCLAIMER;
use serde::Deserialize;
use serde_json::json;
use std::convert::Infallible;
use std::time::Duration;
use time::OffsetDateTime;

/// Seconds between quote events.
const QUOTE_EVERY: i64 = 2;
/// How often the order stream looks for new events.
const ORDER_POLL: Duration = Duration::from_millis(500);
/// Missed quote ticks re-sent on resume, at most.
const MAX_REPLAY: i64 = 150;
/// Symbols one quote stream may follow.
const MAX_SYMBOLS: usize = 50;
/// A stream's longest life.
const MAX_STREAM: Duration = Duration::from_mins(5);

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/sim/stream/quotes", get(quotes))
        .route("/sim/stream/orders", get(orders))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct QuotesIn {
    /// Comma-separated symbols, at most 50, each a simulated instrument; all instruments
    /// when absent.
    symbols: Option<String>,
}

/// The `data` of a `quotes` event (JSON); the event's `id` is `at`.
#[derive(utoipa::ToSchema)]
#[schema(as = SimQuotesEvent)]
#[allow(dead_code)]
struct QuotesEventDoc {
    /// The instant quoted (Unix seconds, a multiple of 2).
    at: i64,
    /// One quote per followed symbol.
    quotes: Vec<QuoteEventDoc>,
    /// The simulator's educational disclaimer.
    disclaimer: String,
}

/// One instrument's quote in a `quotes` event. Prices are decimal strings.
#[derive(utoipa::ToSchema)]
#[schema(as = SimQuotesEventQuote)]
#[allow(dead_code)]
struct QuoteEventDoc {
    /// The ticker.
    symbol: String,
    /// Best bid.
    bid: String,
    /// Best ask.
    ask: String,
    /// Last traded price.
    last: String,
    /// Whether the instrument's market is in session.
    market_open: bool,
}

/// The `data` of an `order` event (JSON): an order's status changed or it filled.
#[derive(utoipa::ToSchema)]
#[schema(as = SimOrderEvent)]
#[allow(dead_code)]
struct OrderEventDoc {
    /// The order's ID.
    order_id: String,
    /// The instrument's ticker.
    symbol: String,
    /// The order's status now (as `SimOrder.status`).
    status: String,
    /// Why it was rejected, canceled or expired (as `SimOrder.reason`).
    reason: Option<String>,
    /// Quantity filled so far (decimal string).
    filled_qty: String,
    /// The fills of this change.
    fills: Vec<OrderEventFillDoc>,
    /// The simulator's educational disclaimer.
    disclaimer: String,
}

/// A fill in an `order` event. Amounts are decimal strings.
#[derive(utoipa::ToSchema)]
#[schema(as = SimOrderEventFill)]
#[allow(dead_code)]
struct OrderEventFillDoc {
    /// The fill's ID.
    fill_id: String,
    /// Quantity filled.
    qty: String,
    /// Price per unit.
    price: String,
    /// How the fill came about, in plain English.
    explanation: String,
}

fn last_event_id(headers: &HeaderMap) -> Option<i64> {
    headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

struct QuoteState {
    s: AppState,
    symbols: Vec<String>,
    /// The instant of the next event (Unix seconds).
    next: i64,
    deadline: tokio::time::Instant,
}

fn quote_event(s: &AppState, symbols: &[String], at: i64) -> Option<Event> {
    let instant = OffsetDateTime::from_unix_timestamp(at).ok()?;
    let quotes: Vec<_> = symbols
        .iter()
        .filter_map(|sym| {
            let q = s.services.sim.quote_at(sym, instant)?;
            Some(json!({
                "symbol": sym,
                "bid": q.bid.normalize().to_string(),
                "ask": q.ask.normalize().to_string(),
                "last": q.last.normalize().to_string(),
                "market_open": q.open,
            }))
        })
        .collect();
    let data = json!({ "at": at, "quotes": quotes, "disclaimer": DISCLAIMER });
    Some(
        Event::default()
            .event("quotes")
            .id(at.to_string())
            .data(data.to_string()),
    )
}

/// The symbols a quote stream follows: listed ones (deduplicated, at most
/// [`MAX_SYMBOLS`], each a simulated instrument), or every instrument.
fn parse_symbols(
    sim: &nexus_app::sim::SimService,
    raw: Option<&str>,
) -> Result<Vec<String>, ApiError> {
    let mut symbols: Vec<String> = match raw {
        Some(list) => list
            .split(',')
            .map(|x| x.trim().to_ascii_uppercase())
            .collect(),
        None => sim
            .hub()
            .instruments()
            .iter()
            .map(|i| i.symbol.clone())
            .collect(),
    };
    symbols.sort();
    symbols.dedup();
    let mut e = nexus_domain::FieldErrors::new();
    if symbols.len() > MAX_SYMBOLS {
        e.push(
            "symbols",
            "too_many",
            format!("at most {MAX_SYMBOLS} symbols"),
        );
    } else if let Some(bad) = symbols.iter().find(|x| sim.hub().instrument(x).is_none()) {
        e.push(
            "symbols",
            "unknown_symbol",
            format!("no simulated instrument is called {bad}"),
        );
    }
    if e.is_empty() {
        Ok(symbols)
    } else {
        Err(ApiError::validation(e))
    }
}

/// `GET /v1/sim/stream/quotes?symbols=A,B` — a `quotes` event every 2 s.
///
/// Each event is named `quotes`, its `id` is the quoted instant (Unix seconds) and its
/// `data` a JSON `SimQuotesEvent`. After a reconnect with `Last-Event-ID`, the missed
/// ticks (at most 150) are sent first. The stream ends after 5 minutes; reconnect with
/// `Last-Event-ID` to lose nothing.
#[utoipa::path(get, path = "/sim/stream/quotes", operation_id = "sim_stream_quotes",
    tag = "Simulator: streams",
    params(QuotesIn,
        ("Last-Event-ID" = Option<String>, Header,
            description = "The last event's `id` (Unix seconds) seen, to resume after it")),
    responses((status = 200, description = "Server-Sent Events: `quotes` events whose `data` is \
        a JSON `SimQuotesEvent`", content_type = "text/event-stream", body = String)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn quotes(
    State(s): State<AppState>,
    signed: SignedIn,
    headers: HeaderMap,
    QueryParams(q): QueryParams<QuotesIn>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let sim = &s.services.sim;
    sim.may_read_market(&signed.caller(), signed.tenant)?;
    let symbols = parse_symbols(sim, q.symbols.as_deref())?;
    let now = sim.clock().now().unix_timestamp();
    let now = now - now.rem_euclid(QUOTE_EVERY);
    // Resume right after the last event seen, but never replay more than MAX_REPLAY.
    let next = last_event_id(&headers).map_or(now, |last| {
        last.saturating_add(QUOTE_EVERY)
            .max(now - MAX_REPLAY * QUOTE_EVERY)
    });
    let state = QuoteState {
        s: s.clone(),
        symbols,
        next,
        deadline: tokio::time::Instant::now() + MAX_STREAM,
    };
    let stream = stream::unfold(state, |mut st| async move {
        loop {
            if tokio::time::Instant::now() >= st.deadline {
                return None;
            }
            let now = st.s.services.sim.clock().now().unix_timestamp();
            if st.next <= now {
                let at = st.next;
                st.next += QUOTE_EVERY;
                if let Some(ev) = quote_event(&st.s, &st.symbols, at) {
                    return Some((Ok(ev), st));
                }
                continue;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

struct OrderState {
    s: AppState,
    caller: nexus_app::Caller,
    tenant: nexus_domain::TenantId,
    after: i64,
    pending: std::collections::VecDeque<nexus_domain::sim::SimEvent>,
    deadline: tokio::time::Instant,
}

/// `GET /v1/sim/stream/orders` — the caller's `order` events (status changes and fills).
///
/// Each event is named `order`, its `id` is a database sequence number and its `data` a
/// JSON `SimOrderEvent`. A fresh stream starts after the latest event; a reconnect with
/// `Last-Event-ID` first reads back the missed ones. The stream ends after 5 minutes;
/// reconnect with `Last-Event-ID` to lose nothing.
#[utoipa::path(get, path = "/sim/stream/orders", operation_id = "sim_stream_orders",
    tag = "Simulator: streams",
    params(("Last-Event-ID" = Option<String>, Header,
        description = "The last event's `id` seen, to resume after it")),
    responses((status = 200, description = "Server-Sent Events: `order` events whose `data` is a \
        JSON `SimOrderEvent`", content_type = "text/event-stream", body = String)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn orders(
    State(s): State<AppState>,
    signed: SignedIn,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let (caller, tenant) = (signed.caller(), signed.tenant);
    // A fresh stream starts after the latest event; a resumed one after the last seen.
    // Either call fails now, with a problem, if the caller may not trade.
    let after = match last_event_id(&headers) {
        Some(id) => id,
        None => s.services.sim.last_event(&caller, tenant).await?,
    };
    let first = s.services.sim.events(&caller, tenant, after, 100).await?;
    let state = OrderState {
        s,
        caller,
        tenant,
        after,
        pending: first.into(),
        deadline: tokio::time::Instant::now() + MAX_STREAM,
    };
    let stream = stream::unfold(state, |mut st| async move {
        loop {
            if let Some(e) = st.pending.pop_front() {
                st.after = e.id;
                let ev = Event::default()
                    .event(e.kind)
                    .id(e.id.to_string())
                    .data(with_disclaimer(&e.payload));
                return Some((Ok(ev), st));
            }
            if tokio::time::Instant::now() >= st.deadline {
                return None;
            }
            tokio::time::sleep(ORDER_POLL).await;
            match st
                .s
                .services
                .sim
                .events(&st.caller, st.tenant, st.after, 100)
                .await
            {
                Ok(more) => st.pending.extend(more),
                // The database blinked (permissions were checked at connect; a stream
                // lives at most MAX_STREAM): end it; the client reconnects from its
                // last ID, and the reconnect is authorised afresh.
                Err(_) => return None,
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(
        paths(quotes, orders),
        components(schemas(QuotesEventDoc, QuoteEventDoc, OrderEventDoc, OrderEventFillDoc))
    )]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

/// An order event's stored payload with the educational disclaimer added, as every
/// simulator body carries it. A payload that is not a JSON object goes out as stored.
fn with_disclaimer(payload: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(payload) {
        Ok(serde_json::Value::Object(mut m)) => {
            m.insert("disclaimer".to_owned(), DISCLAIMER.into());
            serde_json::Value::Object(m).to_string()
        }
        _ => payload.to_owned(),
    }
}
