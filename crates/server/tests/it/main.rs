//! The one integration-test binary for the server crate (one binary keeps link time down).
//! Everything here runs the real app or the real stores; nothing is mocked.

mod contract;
mod harness;
mod http_api;
mod lifecycle;
mod schema;
