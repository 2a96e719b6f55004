//! `nexus audit verify`: recompute every audit chain and report the first break.

use super::admin::{app, field, ready};
use super::{AuditCommand, CliError};
use crate::config::Config;
use nexus_domain::tenancy::TenantSlug;

/// Runs an `audit` subcommand.
pub(super) async fn run(cmd: AuditCommand, config: &Config) -> Result<(), CliError> {
    let AuditCommand::Verify { tenant } = cmd;
    let wired = ready(config).await?;
    let services = &wired.services;
    let result = async {
        let chains = match tenant {
            Some(slug) => {
                let slug = field("--tenant", TenantSlug::parse(&slug))?;
                vec![Some(
                    services.tenants.get_by_slug(&slug).await.map_err(app)?.id,
                )]
            }
            None => services.audit.chains().await.map_err(app)?,
        };
        let (mut events, mut broken) = (0, Vec::new());
        for (i, chain) in chains.iter().enumerate() {
            let name = match chain {
                Some(id) => services
                    .tenants
                    .get(*id)
                    .await
                    .map_or_else(|_| id.to_string(), |t| format!("tenant {}", t.slug)),
                None => "platform".to_owned(),
            };
            let report = services.audit.verify(*chain).await.map_err(app)?;
            match report.outcome {
                Ok(n) => {
                    events += n;
                    println!("[{}/{}] ✓ {name}: {n} events verified", i + 1, chains.len());
                }
                Err(b) => {
                    println!(
                        "[{}/{}] ✗ {name}: broken at event {}: {}",
                        i + 1,
                        chains.len(),
                        b.seq,
                        b.reason
                    );
                    broken.push(format!("{name} at event {} ({})", b.seq, b.reason));
                }
            }
        }
        if broken.is_empty() {
            println!("✓ {} chains, {events} events: intact", chains.len());
            Ok(())
        } else {
            Err(CliError(format!(
                "audit trail tampered with: {}",
                broken.join("; ")
            )))
        }
    }
    .await;
    wired.db.close().await;
    result
}
