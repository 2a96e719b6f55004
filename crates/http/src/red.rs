//! RED metrics per route template: rate, errors (by status class) and duration, plus
//! requests in flight.
//!
//! Labels are bounded: the route is the matched template (`/v1/courses/{id}`) or
//! `unmatched`, the method one of the standard ones or `other`, the status a class
//! (`2xx` … `5xx`). A request dropped before it answered (the client went away) counts
//! as `dropped`.

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use metrics::{Counter, Gauge, Histogram};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// Request counter: `route`, `method`, `status`.
pub const REQUESTS: &str = "nexus_http_requests_total";
/// Duration histogram in seconds: `route`, `method`.
pub const DURATION: &str = "nexus_http_request_duration_seconds";
/// Requests being served now.
pub const IN_FLIGHT: &str = "nexus_http_requests_in_flight";

/// Histogram buckets, fine around the 100 ms p99 objective.
pub const DURATION_BUCKETS: [f64; 16] = [
    0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The methods with their own label, in label order; anything else is `other`.
const METHODS: [&str; 8] = [
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "other",
];
/// Status labels: the five classes, then `dropped`.
const STATUSES: [&str; 6] = ["1xx", "2xx", "3xx", "4xx", "5xx", "dropped"];
/// The route label of a request no route matched.
const UNMATCHED: &str = "unmatched";

fn method_index(m: &Method) -> usize {
    match *m {
        Method::GET => 0,
        Method::POST => 1,
        Method::PUT => 2,
        Method::PATCH => 3,
        Method::DELETE => 4,
        Method::HEAD => 5,
        Method::OPTIONS => 6,
        _ => 7,
    }
}

fn status_index(status: Option<u16>) -> usize {
    match status.map(|s| s / 100) {
        Some(1) => 0,
        Some(2) => 1,
        Some(3) => 2,
        Some(4) => 3,
        Some(_) => 4,
        None => 5,
    }
}

/// One route and method's handles, registered at first use, so a series appears only
/// once a request has been counted in it (as with the macros).
#[derive(Default)]
struct Slot {
    requests: [OnceLock<Counter>; 6],
    duration: OnceLock<Histogram>,
}

/// Every route's handles, built once per app from the route inventory. A request finds
/// its own by the route template alone: no labels built, no allocation, no lock. Looking
/// a labelled series up through the `metrics` macros took several allocations and the
/// registry's locks three times a request, which was most of what metrics cost
/// (docs/PERFORMANCE.md).
///
/// Handles are taken from the recorder installed when they are first used; the server
/// installs its recorder before it serves.
pub(crate) struct RedTable {
    index: HashMap<&'static str, usize, foldhash::fast::RandomState>,
    routes: Vec<(&'static str, [Slot; 8])>,
    in_flight: OnceLock<Gauge>,
}

/// Which series a request goes to, found when it starts.
enum Route {
    /// An inventoried route (or `unmatched`): its index in the table.
    Known(usize),
    /// A matched route missing from the inventory (its test forbids that): counted the
    /// slow way, by name.
    Other(String),
}

impl RedTable {
    /// A table for `routes` (the inventory) and the unmatched label.
    pub(crate) fn new(routes: &[(&'static str, &'static str)]) -> Self {
        let mut index = HashMap::with_hasher(foldhash::fast::RandomState::default());
        let mut table = Vec::new();
        for (_, path) in routes.iter().copied().chain([("", UNMATCHED)]) {
            index.entry(path).or_insert_with(|| {
                table.push((path, std::array::from_fn(|_| Slot::default())));
                table.len() - 1
            });
        }
        Self {
            index,
            routes: table,
            in_flight: OnceLock::new(),
        }
    }

    fn route(&self, matched: Option<&MatchedPath>) -> Route {
        let path = matched.map_or(UNMATCHED, MatchedPath::as_str);
        self.index
            .get(path)
            .map_or_else(|| Route::Other(path.to_owned()), |i| Route::Known(*i))
    }

    fn in_flight(&self) -> &Gauge {
        self.in_flight.get_or_init(|| metrics::gauge!(IN_FLIGHT))
    }

    fn record(&self, route: &Route, method: usize, status: usize, secs: f64) {
        let (Some(&label), Some(&status_label)) = (METHODS.get(method), STATUSES.get(status))
        else {
            return;
        };
        let known = match route {
            Route::Known(i) => self
                .routes
                .get(*i)
                .and_then(|(path, slots)| Some((*path, slots.get(method)?))),
            Route::Other(_) => None,
        };
        let Some((path, slot)) = known else {
            let route = match route {
                Route::Other(r) => r.clone(),
                Route::Known(_) => UNMATCHED.to_owned(),
            };
            requests(route.clone(), label, status_label).increment(1);
            duration(route, label).record(secs);
            return;
        };
        if let Some(cell) = slot.requests.get(status) {
            cell.get_or_init(|| requests(path, label, status_label))
                .increment(1);
        }
        slot.duration
            .get_or_init(|| duration(path, label))
            .record(secs);
    }
}

/// The request counter's series for a route, method and status label.
fn requests(
    route: impl Into<metrics::SharedString>,
    method: &'static str,
    status: &'static str,
) -> Counter {
    metrics::counter!(REQUESTS, "route" => route, "method" => method, "status" => status)
}

/// The duration histogram's series for a route and method label.
fn duration(route: impl Into<metrics::SharedString>, method: &'static str) -> Histogram {
    metrics::histogram!(DURATION, "route" => route, "method" => method)
}

/// Counts one request on drop, so a cancelled one is counted too.
struct Observed {
    table: Arc<RedTable>,
    route: Route,
    method: usize,
    started: Instant,
    status: Option<u16>,
}

impl Drop for Observed {
    fn drop(&mut self) {
        let secs = self.started.elapsed().as_secs_f64();
        self.table
            .record(&self.route, self.method, status_index(self.status), secs);
        self.table.in_flight().decrement(1.0);
    }
}

/// The middleware.
pub(crate) async fn observe(
    State(table): State<Arc<RedTable>>,
    req: Request,
    next: Next,
) -> Response {
    table.in_flight().increment(1.0);
    let mut observed = Observed {
        route: table.route(req.extensions().get::<MatchedPath>()),
        method: method_index(req.method()),
        table,
        started: Instant::now(),
        status: None,
    };
    let resp = next.run(req).await;
    observed.status = Some(resp.status().as_u16());
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_and_status_has_a_label() {
        for m in [Method::GET, Method::HEAD, Method::OPTIONS, Method::TRACE] {
            assert!(METHODS.get(method_index(&m)).is_some());
        }
        assert_eq!(METHODS[method_index(&Method::TRACE)], "other");
        assert_eq!(STATUSES[status_index(Some(204))], "2xx");
        assert_eq!(STATUSES[status_index(Some(503))], "5xx");
        assert_eq!(STATUSES[status_index(None)], "dropped");
    }

    #[test]
    fn the_table_holds_every_inventoried_route_and_unmatched() {
        let table = RedTable::new(crate::ROUTES);
        for (_, path) in crate::ROUTES {
            assert!(table.index.contains_key(path), "{path}");
        }
        assert!(matches!(table.route(None), Route::Known(_)));
        assert!(matches!(
            table.route(None),
            Route::Known(i) if table.routes[i].0 == UNMATCHED
        ));
    }
}
