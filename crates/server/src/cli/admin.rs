//! Administrative commands. Each connects once (no retry loop: an operator is watching),
//! makes sure the schema is current, and then calls the same services as the API.

use super::progress::step;
use super::{CliError, TenantCommand, UserCommand};
use crate::config::Config;
use crate::wiring::{Wired, wire};
use nexus_app::accounts::{CreateAccount, random_password};
use nexus_app::{AppError, Caller};
use nexus_domain::paging::PageRequest;
use nexus_domain::tenancy::{
    Branding, HexColour, NewTenant, Plan, TenantQuery, TenantSettings, TenantSlug, TenantStatus,
    parse_name,
};
use nexus_domain::user::{Email, Password, Role};
use nexus_domain::{FieldError, SystemClock};
use std::io::BufRead;
use std::sync::Arc;

/// `nexus migrate`
pub(super) async fn migrate(config: &Config) -> Result<(), CliError> {
    let wired = connect(config).await?;
    step("applying migrations", wired.db.migrate()).await?;
    wired.db.close().await;
    println!("✓ schema is up to date");
    Ok(())
}

/// `nexus tenant …`
pub(super) async fn tenant(cmd: TenantCommand, config: &Config) -> Result<(), CliError> {
    let wired = ready(config).await?;
    let tenants = &wired.services.tenants;
    let result = match cmd {
        TenantCommand::Create { slug, name, plan } => {
            let slug = field("--slug", TenantSlug::parse(&slug))?;
            let name = field("--name", parse_name(&name))?;
            let plan = field("--plan", Plan::parse(&plan))?;
            let branding = Branding {
                display_name: name.clone(),
                logo_url: None,
                primary_colour: HexColour::default(),
            };
            let new = NewTenant {
                slug,
                name,
                plan,
                branding,
                settings: TenantSettings::default(),
            };
            let t = step("creating tenant", tenants.create(&Caller::cli(), new)).await?;
            println!(
                "✓ tenant {} created (id {}, plan {})",
                t.slug,
                t.id,
                t.plan.as_str()
            );
            println!(
                "  next: nexus user create --tenant {} --email admin@… --name '…'",
                t.slug
            );
            Ok(())
        }
        TenantCommand::List {
            status,
            search,
            limit,
        } => {
            let query = TenantQuery {
                status: status
                    .map(|s| field("--status", TenantStatus::parse(&s)))
                    .transpose()?,
                search,
                page: field("--limit", PageRequest::new(Some(limit), None))?,
                ..TenantQuery::default()
            };
            let page = tenants.list(&query).await.map_err(app)?;
            println!("{:<24} {:<10} {:<11} NAME", "SLUG", "STATUS", "PLAN");
            for t in &page.items {
                println!(
                    "{:<24} {:<10} {:<11} {}",
                    t.slug,
                    t.status.as_str(),
                    t.plan.as_str(),
                    t.name
                );
            }
            println!("({} of {} tenants)", page.items.len(), page.total);
            Ok(())
        }
        TenantCommand::Suspend { slug } => set_status(&wired, &slug, TenantStatus::Suspended).await,
        TenantCommand::Activate { slug } => set_status(&wired, &slug, TenantStatus::Active).await,
    };
    wired.db.close().await;
    result
}

/// `nexus user …`
pub(super) async fn user(cmd: UserCommand, config: &Config) -> Result<(), CliError> {
    let (tenant, email, name, role, password_stdin) = match cmd {
        UserCommand::Create {
            tenant,
            email,
            name,
            role,
            password_stdin,
        } => (tenant, email, name, role, password_stdin),
        UserCommand::Roles {
            tenant,
            email,
            add,
            remove,
        } => return super::roles::run(&tenant, &email, &add, &remove, config).await,
    };
    let slug = field("--tenant", TenantSlug::parse(&tenant))?;
    let email = field("--email", Email::parse(&email))?;
    let display_name = field("--name", parse_name(&name))?;
    let role = field("--role", Role::parse(&role))?;
    let (password, generated) = if password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| CliError(format!("reading the password: {e}")))?;
        (line.trim_end_matches(['\r', '\n']).to_owned(), false)
    } else {
        (random_password(20).map_err(app)?, true)
    };
    let password_value = field("password", Password::parse(&password))?;
    let wired = ready(config).await?;
    let result = async {
        let t = wired
            .services
            .tenants
            .get_by_slug(&slug)
            .await
            .map_err(app)?;
        let cmd = CreateAccount {
            email,
            display_name,
            role,
            password: password_value,
        };
        let u = step(
            "creating account",
            wired.services.accounts.create(&Caller::cli(), t.id, cmd),
        )
        .await?;
        println!(
            "✓ {} {} created in tenant {}",
            u.role.as_str(),
            u.email.as_str(),
            t.slug
        );
        if generated {
            println!("  password: {password}   (shown once)");
        }
        Ok(())
    }
    .await;
    wired.db.close().await;
    result
}

async fn set_status(wired: &Wired, slug: &str, status: TenantStatus) -> Result<(), CliError> {
    let slug = field("slug", TenantSlug::parse(slug))?;
    let t = wired
        .services
        .tenants
        .get_by_slug(&slug)
        .await
        .map_err(app)?;
    let t = step(
        "updating tenant",
        wired
            .services
            .tenants
            .set_status(&Caller::cli(), t.id, status),
    )
    .await?;
    println!("✓ tenant {} is now {}", t.slug, t.status.as_str());
    Ok(())
}

/// Wires and checks the database answers.
async fn connect(config: &Config) -> Result<Wired, CliError> {
    let wired = wire(config, Arc::new(SystemClock)).map_err(|e| CliError(e.to_string()))?;
    step(
        &format!("connecting to {}", wired.db.backend()),
        wired.db.ping(),
    )
    .await?;
    Ok(wired)
}

/// Connects and makes sure the schema is current (migrating if allowed).
pub(super) async fn ready(config: &Config) -> Result<Wired, CliError> {
    let wired = connect(config).await?;
    if config.database.run_migrations {
        step("applying migrations", wired.db.migrate()).await?;
    } else if !wired
        .db
        .is_migrated()
        .await
        .map_err(|e| CliError(e.to_string()))?
    {
        return Err(CliError(
            "the schema is behind; run `nexus migrate` first".to_owned(),
        ));
    }
    Ok(wired)
}

pub(super) fn field<T>(name: &str, r: Result<T, FieldError>) -> Result<T, CliError> {
    r.map_err(|e| CliError(format!("{name}: {}", e.message)))
}

#[allow(clippy::needless_pass_by_value)] // used as `.map_err(app)`
pub(super) fn app(e: AppError) -> CliError {
    CliError(e.to_string())
}
