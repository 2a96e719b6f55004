//! Use cases for FinAI Nexus.
//!
//! Services take parsed domain commands, call the store ports, and return domain values
//! or an [`AppError`]. They never see HTTP: the web adapter, the CLI and the tests all
//! drive the same services. Time comes from the injected [`nexus_domain::Clock`].
//!
//! - [`tenancy`]: tenant registry, host resolution (cached), branding and domains.
//! - [`accounts`]: user accounts and password hashing.
//! - [`health`]: readiness checks.
//! - [`demo`]: the first-run demo tenant.
//! - [`jobs`]: the durable job queue, workers, schedules and singleton leases.

pub mod accounts;
pub mod apikeys;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod demo;
mod error;
pub mod health;
pub mod invitations;
pub mod jobs;
pub mod kpi;
pub mod learning;
mod lockout;
pub mod mail;
pub mod mfa;
pub mod recovery;
pub mod roles;
pub mod sim;
pub mod tenancy;
pub mod usage;
pub mod verification;
pub mod webhooks;

pub use audit::{Caller, RequestMeta};
pub use error::{AppError, error_chain};

use nexus_domain::Clock;
use nexus_store::{CacheStore, Database};
use std::sync::Arc;

/// Everything a request handler or CLI command needs, built once at start-up.
#[derive(Clone)]
pub struct Services {
    /// Tenant registry and resolution.
    pub tenants: tenancy::TenantService,
    /// User accounts.
    pub accounts: accounts::AccountService,
    /// Readiness.
    pub health: health::Health,
    /// Background jobs.
    pub jobs: jobs::JobService,
    /// The audit trail.
    pub audit: audit::AuditService,
    /// Login and sessions.
    pub auth: auth::AuthService,
    /// Roles and permissions.
    pub roles: roles::RoleService,
    /// The course catalogue.
    pub courses: learning::courses::CourseService,
    /// Taking quizzes.
    pub quizzes: learning::attempts::QuizService,
    /// Enrolment, cohorts and progress.
    pub enrolments: learning::enrolment::EnrolmentService,
    /// XP, streaks, badges, leaderboards and certificates.
    pub achievements: learning::achievements::AchievementService,
    /// The platform library of shared courses.
    pub library: learning::library::LibraryService,
    /// The portfolio simulator.
    pub sim: sim::SimService,
    /// API keys.
    pub api_keys: apikeys::ApiKeyService,
    /// Usage metering and monthly quotas.
    pub usage: Arc<usage::Meter>,
    /// Plans, invoices and credit notes.
    pub billing: billing::BillingService,
    /// Webhook endpoints, the delivery log and replay.
    pub webhooks: webhooks::WebhookService,
    /// The injected clock.
    pub clock: Arc<dyn Clock>,
}

impl Services {
    /// Wires the services over one database and one cache.
    pub fn new(
        db: Arc<dyn Database>,
        cache: Arc<dyn CacheStore>,
        clock: Arc<dyn Clock>,
        tenancy: tenancy::TenancySettings,
        hashing: accounts::HashParams,
        registry: Arc<jobs::Registry>,
        auth_settings: auth::AuthSettings,
    ) -> Self {
        let audit = audit::AuditService::new(db.audit(), clock.clone());
        let jobs = jobs::JobService::new(db.clone(), registry, clock.clone(), audit.clone());
        let accounts = accounts::AccountService::new(
            db.clone(),
            jobs.clone(),
            clock.clone(),
            hashing,
            audit.clone(),
        );
        let roles = roles::RoleService {
            db: db.clone(),
            roles: db.roles(),
            users: db.users(),
            sessions: db.sessions(),
            cache: cache.clone(),
            audit: audit.clone(),
            clock: clock.clone(),
        };
        let auth = auth::AuthService {
            db: db.clone(),
            roles: roles.clone(),
            users: db.users(),
            sessions: db.sessions(),
            throttles: db.throttles(),
            mfa: db.mfa(),
            recovery: db.recovery(),
            cache: cache.clone(),
            accounts: accounts.clone(),
            audit: audit.clone(),
            clock: clock.clone(),
            settings: auth_settings,
        };
        // Enrolment and quizzes read published content through the catalogue (and its
        // cache).
        let courses = learning::courses::CourseService::new(
            db.clone(),
            cache.clone(),
            audit.clone(),
            clock.clone(),
        );
        let achievements = learning::achievements::AchievementService::new(
            db.clone(),
            courses.clone(),
            audit.clone(),
            clock.clone(),
        );
        Self {
            jobs,
            tenants: tenancy::TenantService::new(
                db.clone(),
                cache.clone(),
                clock.clone(),
                tenancy,
                audit.clone(),
            ),
            accounts,
            auth,
            roles: roles.clone(),
            quizzes: learning::attempts::QuizService::new(
                db.clone(),
                courses.clone(),
                achievements.clone(),
                clock.clone(),
            ),
            enrolments: learning::enrolment::EnrolmentService::new(
                db.clone(),
                courses.clone(),
                audit.clone(),
                achievements.clone(),
                clock.clone(),
            ),
            achievements,
            library: learning::library::LibraryService::new(
                db.clone(),
                courses.clone(),
                audit.clone(),
                clock.clone(),
            ),
            courses,
            sim: sim::SimService::new(
                db.clone(),
                Arc::new(sim::hub::MarketHub::new(sim::hub::DEFAULT_SEED)),
                audit.clone(),
                clock.clone(),
            ),
            api_keys: apikeys::ApiKeyService {
                db: db.clone(),
                keys: db.api_keys(),
                users: db.users(),
                roles: roles.clone(),
                cache: cache.clone(),
                audit: audit.clone(),
                clock: clock.clone(),
                decoded: Arc::default(),
            },
            usage: Arc::new(usage::Meter::unlimited(db.usage(), clock.clone())),
            billing: billing::BillingService::manual(db.clone(), audit.clone(), clock.clone()),
            webhooks: webhooks::WebhookService::new(db.clone(), audit.clone(), clock.clone()),
            health: health::Health::new(db, cache),
            audit,
            clock,
        }
    }

    /// Replaces the meter's monthly quotas (from config).
    #[must_use]
    pub fn with_quotas(mut self, quotas: usage::QuotaSettings, db: &Arc<dyn Database>) -> Self {
        self.usage = Arc::new(usage::Meter::new(db.usage(), self.clock.clone(), quotas));
        self
    }

    /// Replaces the simulated market (a configured seed).
    #[must_use]
    pub fn with_market(mut self, hub: Arc<sim::hub::MarketHub>) -> Self {
        self.sim = self.sim.with_hub(hub);
        self
    }
}
