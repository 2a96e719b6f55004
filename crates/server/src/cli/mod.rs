//! The `nexus` command line: `serve` (default), `migrate`, `tenant …`, `user …`,
//! `config check`. Commands talk to the same services as the HTTP API, so a tenant
//! created here is identical to one created through `/v1/platform/tenants`.

mod admin;
mod audit;
mod jobs;
mod progress;
mod roles;

use crate::config::Config;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// FinAI Nexus: a multi-tenant financial-education platform.
#[derive(Debug, Parser)]
#[command(name = "nexus", version, about)]
pub struct Cli {
    /// TOML config file (settings in it are overridden by NEXUS_* variables).
    #[arg(long, global = true, env = "NEXUS_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (the default).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage tenants.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Inspect configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Operate the background job queue.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Inspect the tamper-evident audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Print the OpenAPI 3.1 document (as served at `/openapi.json`; commit it as
    /// `docs/openapi.json`).
    Openapi,
}

/// `nexus audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute hash chains; exits 1 naming the first bad event if any was altered,
    /// deleted or reordered.
    Verify {
        /// Only this tenant's chain (by slug); default: every chain.
        #[arg(long)]
        tenant: Option<String>,
    },
}

/// `nexus jobs …`
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// List jobs, newest first.
    List {
        /// queued, running, succeeded, dead or cancelled.
        #[arg(long)]
        state: Option<String>,
        /// Only this kind, e.g. system.noop.
        #[arg(long)]
        kind: Option<String>,
        /// At most this many rows (1-200).
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Requeue a dead or cancelled job with a fresh attempt budget.
    Retry {
        /// The job's id.
        id: String,
    },
    /// Cancel a queued job.
    Cancel {
        /// The job's id.
        id: String,
    },
    /// Delete every dead job.
    PurgeDead,
}

/// Options of `serve`.
#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// Do not migrate at start-up (multi-replica deploys run `nexus migrate` once instead).
    #[arg(long)]
    pub skip_migrations: bool,
    /// api (HTTP only), worker (jobs; HTTP serves only probes) or all. Overrides server.role.
    #[arg(long, value_enum)]
    pub role: Option<crate::config::Role>,
}

/// `nexus tenant …`
#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant.
    Create {
        /// Subdomain handle: 2-40 chars of a-z, 0-9 and '-'.
        #[arg(long)]
        slug: String,
        /// Organisation name.
        #[arg(long)]
        name: String,
        /// free, basic, advanced or professional.
        #[arg(long, default_value = "free")]
        plan: String,
    },
    /// List tenants.
    List {
        /// Only active or suspended tenants.
        #[arg(long)]
        status: Option<String>,
        /// Substring of slug or name.
        #[arg(long)]
        search: Option<String>,
        /// At most this many rows (1-200).
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Suspend a tenant: every request to it gets 403 until reactivated.
    Suspend {
        /// The tenant's slug.
        slug: String,
    },
    /// Reactivate a suspended tenant.
    Activate {
        /// The tenant's slug.
        slug: String,
    },
}

/// `nexus user …`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account (by default a tenant admin, to bootstrap a tenant).
    Create {
        /// The tenant's slug.
        #[arg(long)]
        tenant: String,
        /// Login e-mail.
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// admin, instructor or learner.
        #[arg(long, default_value = "admin")]
        role: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Show or change an account's granted roles. Only here can `platform_admin` be
    /// granted or removed: no tenant role holds `platform:operate`.
    Roles {
        /// The tenant's slug.
        #[arg(long)]
        tenant: String,
        /// The account's login e-mail.
        #[arg(long)]
        email: String,
        /// Grant a role (`platform_admin`, `auditor`, `custom:<id>`, …); repeatable.
        #[arg(long)]
        add: Vec<String>,
        /// Take a role away; repeatable.
        #[arg(long)]
        remove: Vec<String>,
    },
}

/// `nexus config …`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration and print the effective values, secrets redacted.
    Check,
}

/// A command failure worth a non-zero exit: printed as one line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CliError(pub String);

/// Runs a non-serve command.
pub async fn run(command: Command, config: Config) -> Result<(), CliError> {
    match command {
        Command::Serve(_) => Err(CliError("serve is handled by the binary".to_owned())),
        Command::Config(ConfigCommand::Check) => {
            print!("{}", config.render());
            println!("# configuration is valid");
            Ok(())
        }
        Command::Migrate => admin::migrate(&config).await,
        Command::Tenant(cmd) => admin::tenant(cmd, &config).await,
        Command::User(cmd) => admin::user(cmd, &config).await,
        Command::Jobs(cmd) => jobs::run(cmd, &config).await,
        Command::Audit(cmd) => audit::run(cmd, &config).await,
        Command::Openapi => {
            print!("{}", nexus_http::openapi::document_json());
            Ok(())
        }
    }
}
