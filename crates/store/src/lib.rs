//! Storage ports for FinAI Nexus.
//!
//! One trait per context ([`TenantStore`], [`UserStore`], [`JobStore`], [`LeaseStore`],
//! [`CacheStore`]) with one
//! implementation per backend, used as `Arc<dyn …>`: the HTTP and app layers compile once
//! whichever database is configured. [`Database`] bundles the stores of one relational
//! backend with its health and migration hooks.
//!
//! Invariant: every method on a tenant-owned store takes a [`nexus_domain::TenantId`],
//! and implementations must never return another tenant's rows. The contract suite
//! (feature `contract`) checks this and every other behaviour against each backend.

mod achievement;
mod apikey;
pub mod apikey_codec;
mod audit;
pub mod billing;
pub mod billing_codec;
mod cache;
pub mod course;
mod enrolment;
mod error;
mod jobs;
mod library;
mod mfa;
mod quiz;
pub mod quiz_codec;
mod ratelimit;
mod recovery;
mod role;
mod session;
mod sim;
pub mod sim_codec;
pub mod sql;
mod tenant;
mod tx;
pub mod usage;
mod user;
pub mod webhook;

#[cfg(feature = "contract")]
pub mod contract;

pub use achievement::{AchievementStore, Standing};
pub use apikey::ApiKeyStore;
pub use audit::AuditStore;
pub use billing::BillingStore;
pub use cache::{CacheStore, MemoryCache};
pub use course::CourseStore;
pub use enrolment::EnrolmentStore;
pub use error::StoreError;
pub use jobs::{Claim, JobStore, LeaseStore};
pub use library::LibraryStore;
pub use mfa::{MfaStore, TotpRecord};
pub use quiz::QuizStore;
pub use ratelimit::{MemoryRateLimits, RateLimitStore};
pub use recovery::{Invitation, OutboxMail, RecoveryStore, TokenPurpose};
pub use role::RoleStore;
pub use session::{SessionStore, ThrottleStore};
pub use sim::{
    Entrant, FillTotal, ImportSummary, LockedBook, OrderStatusFilter, OrderWrite, SimStore,
    TickFilter,
};
pub use tenant::TenantStore;
pub use tx::{Tx, downcast};
pub use usage::UsageStore;
pub use user::UserStore;
pub use webhook::WebhookStore;

use async_trait::async_trait;
use std::sync::Arc;

/// A connection pool's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections open.
    pub open: u32,
    /// Of those, idle.
    pub idle: u32,
    /// The most it may open.
    pub max: u32,
}

/// One relational backend: its stores plus lifecycle hooks.
#[async_trait]
pub trait Database: Send + Sync + std::fmt::Debug {
    /// `"sqlite"` or `"postgres"`, for logs and `/version`.
    fn backend(&self) -> &'static str;
    /// The connection pool's state now, for metrics.
    fn pool_stats(&self) -> PoolStats;
    /// The tenant registry.
    fn tenants(&self) -> Arc<dyn TenantStore>;
    /// User accounts.
    fn users(&self) -> Arc<dyn UserStore>;
    /// The job queue.
    fn jobs(&self) -> Arc<dyn JobStore>;
    /// The audit trail.
    fn audit(&self) -> Arc<dyn AuditStore>;
    /// Sessions.
    fn sessions(&self) -> Arc<dyn SessionStore>;
    /// Custom roles and grants.
    fn roles(&self) -> Arc<dyn RoleStore>;
    /// Second factors.
    fn mfa(&self) -> Arc<dyn MfaStore>;
    /// Account recovery and the development outbox.
    fn recovery(&self) -> Arc<dyn RecoveryStore>;
    /// Login throttles.
    fn throttles(&self) -> Arc<dyn ThrottleStore>;
    /// The course catalogue.
    fn courses(&self) -> Arc<dyn CourseStore>;
    /// Cohorts, enrolments and lesson progress.
    fn enrolments(&self) -> Arc<dyn EnrolmentStore>;
    /// Question banks, quizzes and attempts.
    fn quizzes(&self) -> Arc<dyn QuizStore>;
    /// XP, badges, leaderboard preferences and certificates.
    fn achievements(&self) -> Arc<dyn AchievementStore>;
    /// The platform library of shared courses.
    fn library(&self) -> Arc<dyn LibraryStore>;
    /// Singleton leases.
    fn leases(&self) -> Arc<dyn LeaseStore>;
    /// The portfolio simulator.
    fn sim(&self) -> Arc<dyn SimStore>;
    /// API keys.
    fn api_keys(&self) -> Arc<dyn ApiKeyStore>;
    /// Metered API usage.
    fn usage(&self) -> Arc<dyn UsageStore>;
    /// Plans, invoices and credit notes.
    fn billing(&self) -> Arc<dyn BillingStore>;
    /// Webhook endpoints, messages and the delivery log.
    fn webhooks(&self) -> Arc<dyn WebhookStore>;
    /// Opens a transaction. With a tenant, tenant-owned writes inside it pass row-level
    /// security for that tenant (PostgreSQL).
    async fn begin(
        &self,
        tenant: Option<nexus_domain::TenantId>,
    ) -> Result<Box<dyn Tx>, StoreError>;
    /// A cheap round trip proving the database answers.
    async fn ping(&self) -> Result<(), StoreError>;
    /// Applies pending embedded migrations; safe to call on an up-to-date schema.
    async fn migrate(&self) -> Result<(), StoreError>;
    /// True when every embedded migration has been applied.
    async fn is_migrated(&self) -> Result<bool, StoreError>;
    /// Checks backend-specific safety preconditions once connected (on PostgreSQL: the
    /// application role cannot bypass row-level security). A failure is fatal.
    async fn verify_setup(&self) -> Result<(), StoreError>;
    /// `(table, column)` pairs of the application schema, sorted; for the parity test.
    async fn schema_columns(&self) -> Result<Vec<(String, String)>, StoreError>;
    /// Closes every connection; later calls fail with [`StoreError::Unavailable`].
    async fn close(&self);
}
