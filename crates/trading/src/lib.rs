//! The portfolio simulator's trading core: orders, the fill engine, accounts with a
//! double-entry cash ledger, and portfolio analytics. Pure: no I/O, no clock, no
//! global state, so every rule here is tested without a database.
//!
//! Educational only: this simulates a broker for learning; it never touches real money.
//!
//! - [`order`], [`engine`], [`account`]: orders, fills and the books (issue 5 §2–3).
//! - [`analytics`], [`explain`]: risk and return measures and rule-based feedback (§4).

pub mod account;
pub mod analytics;
pub mod competition;
pub mod composition;
pub mod engine;
mod execution;
pub mod explain;
pub mod order;
pub mod realism;
pub mod rules;
