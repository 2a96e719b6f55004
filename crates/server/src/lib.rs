//! The `nexus` server: configuration, wiring, start-up, shutdown and the CLI.
//!
//! This crate is the composition root. It reads [`config::Config`] once, picks the store
//! backends the config names, builds the [`nexus_app::Services`], and hands them to the
//! HTTP adapter ([`startup::Application`]) or to a CLI command ([`cli`]).

mod background;
mod cache_metrics;
pub mod cli;
pub mod config;
mod db_statements;
mod ecs;
mod metering;
pub mod startup;
pub mod telemetry;
pub mod webhook_client;
mod wiring;

pub use startup::{Application, StartError};
pub use wiring::{Wired, wire, wire_with};
