//! `nexus jobs list|retry|cancel|purge-dead`: the operator's view of the queue.

use super::admin::{app, field, ready};
use super::progress::step;
use super::{CliError, JobsCommand};
use crate::config::Config;
use nexus_app::Caller;
use nexus_domain::jobs::{JobId, JobQuery, JobState, parse_kind};
use nexus_domain::paging::PageRequest;

/// Runs a `jobs` subcommand.
pub(super) async fn run(cmd: JobsCommand, config: &Config) -> Result<(), CliError> {
    let wired = ready(config).await?;
    let jobs = &wired.services.jobs;
    let result = match cmd {
        JobsCommand::List { state, kind, limit } => {
            let query = JobQuery {
                state: state
                    .map(|s| field("--state", JobState::parse(&s)))
                    .transpose()?,
                kind: kind.map(|k| field("--kind", parse_kind(&k))).transpose()?,
                tenant: None,
                page: field("--limit", PageRequest::new(Some(limit), None))?,
            };
            let page = jobs.list(&query).await.map_err(app)?;
            println!(
                "{:<36} {:<28} {:<10} {:>8}  RUN AT / LAST ERROR",
                "ID", "KIND", "STATE", "ATTEMPTS"
            );
            for j in &page.items {
                let note = j.last_error.clone().unwrap_or_else(|| j.run_at.to_string());
                let attempts = format!("{}/{}", j.attempts, j.max_attempts);
                println!(
                    "{:<36} {:<28} {:<10} {attempts:>8}  {note}",
                    j.id,
                    j.kind,
                    j.state.as_str()
                );
            }
            println!("({} of {} jobs)", page.items.len(), page.total);
            Ok(())
        }
        JobsCommand::Retry { id } => {
            let job = step("requeueing job", jobs.retry(&Caller::cli(), job_id(&id)?)).await?;
            println!("✓ job {} ({}) is queued again", job.id, job.kind);
            Ok(())
        }
        JobsCommand::Cancel { id } => {
            let job = step("cancelling job", jobs.cancel(&Caller::cli(), job_id(&id)?)).await?;
            println!("✓ job {} ({}) is cancelled", job.id, job.kind);
            Ok(())
        }
        JobsCommand::PurgeDead => {
            let n = step("deleting dead jobs", jobs.purge_dead(&Caller::cli())).await?;
            println!("✓ {n} dead jobs deleted");
            Ok(())
        }
    };
    wired.db.close().await;
    result
}

fn job_id(raw: &str) -> Result<JobId, CliError> {
    raw.parse()
        .map_err(|_| CliError(format!("{raw} is not a job id")))
}
