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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuotesIn {
    /// Comma-separated symbols; all instruments when absent.
    symbols: Option<String>,
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
                "bid": q.bid.to_string(),
                "ask": q.ask.to_string(),
                "last": q.last.to_string(),
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
                    .data(e.payload);
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
    #[openapi()]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}
