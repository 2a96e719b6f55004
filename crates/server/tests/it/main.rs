#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]
//! The one integration-test binary for the server crate (one binary keeps link time down).
//! Everything here runs the real app or the real stores; nothing is mocked.

mod api_keys;
mod audit;
mod auth;
mod authz;
mod billing;
mod cli;
mod config;
mod contract;
mod email;
mod enrolment;
mod harness;
mod http_api;
mod jobs;
mod learning;
mod library;
mod lifecycle;
mod mfa;
mod observability;
mod openapi;
mod packages;
mod prerequisites;
mod quizzes;
mod ratelimit;
mod rewards;
mod schema;
mod sim;
mod sim_class;
mod sim_pool;
mod sim_rules;
mod sim_ticks;
mod sqlite_writer;
mod usage;
mod webhooks;
