//! Pure domain types for FinAI Nexus.
//!
//! This crate holds no I/O and knows nothing of HTTP or SQL. Everything that crosses a
//! boundary is parsed into one of these types first ("parse, don't validate"), so the
//! layers above can rely on the invariants documented on each type.
//!
//! Contexts are modules: [`tenancy`], [`user`]. Shared building blocks are [`id`],
//! [`clock`], [`paging`], [`validation`] and the personal-data [`privacy`] registry.

pub mod access;
pub mod apikey;
pub mod audit;
pub mod billing;
pub mod clock;
pub mod id;
pub mod jobs;
pub mod learning;
pub mod mfa;
pub mod paging;
pub mod privacy;
pub mod ratelimit;
pub mod schedule;
pub mod session;
pub mod sim;
pub mod tenancy;
pub mod usage;
pub mod user;
pub mod validation;
pub mod webhook;

pub use clock::{Clock, ManualClock, SystemClock};
pub use id::{TenantId, UserId};
pub use validation::{FieldError, FieldErrors};
