//! RED metrics per route template: rate, errors (by status class) and duration, plus
//! requests in flight.
//!
//! Labels are bounded: the route is the matched template (`/v1/courses/{id}`) or
//! `unmatched`, the method one of the standard ones or `other`, the status a class
//! (`2xx` … `5xx`). A request dropped before it answered (the client went away) counts
//! as `dropped`.

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
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

fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn status_class(status: u16) -> &'static str {
    match status / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    }
}

/// Counts one request on drop, so a cancelled one is counted too.
struct Observed {
    route: String,
    method: &'static str,
    started: Instant,
    status: Option<u16>,
}

impl Drop for Observed {
    fn drop(&mut self) {
        let status = self.status.map_or("dropped", status_class);
        let (route, method) = (self.route.clone(), self.method);
        metrics::counter!(REQUESTS, "route" => route.clone(), "method" => method, "status" => status)
            .increment(1);
        metrics::histogram!(DURATION, "route" => route, "method" => method)
            .record(self.started.elapsed().as_secs_f64());
        metrics::gauge!(IN_FLIGHT).decrement(1.0);
    }
}

/// The middleware.
pub(crate) async fn observe(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    metrics::gauge!(IN_FLIGHT).increment(1.0);
    let mut observed = Observed {
        route,
        method: method_label(req.method()),
        started: Instant::now(),
        status: None,
    };
    let resp = next.run(req).await;
    observed.status = Some(resp.status().as_u16());
    resp
}
