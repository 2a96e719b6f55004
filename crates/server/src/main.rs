//! The `nexus` binary: parse the command line and config, then hand over to the library.
//! Exit codes: 0 success, 1 runtime failure, 2 bad usage or bad configuration.

use clap::Parser;
use nexus_domain::SystemClock;
use nexus_server::cli::{Cli, Command, ServeArgs};
use nexus_server::config::Config;
use nexus_server::{Application, telemetry};
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;

// mimalloc, not glibc's malloc: malloc and free were about 17 % of a loaded server's CPU
// (perf, gateway benchmark); with mimalloc the same benchmark serves about 30 % more.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let mut config = match Config::load(cli.config.as_deref(), &env) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("nexus: {e}");
            return ExitCode::from(2);
        }
    };
    let command = cli.command.unwrap_or(Command::Serve(ServeArgs::default()));
    if let Command::Serve(args) = &command {
        config.database.run_migrations &= !args.skip_migrations;
        config.role = args.role.unwrap_or(config.role);
    }
    let backend = match config.database.backend {
        nexus_server::config::Backend::Sqlite => "sqlite",
        nexus_server::config::Backend::Postgres => "postgres",
    };
    let _telemetry = telemetry::init(
        config.log_format,
        &config.log_level,
        backend,
        config.metrics_addr.is_some(),
    );
    for var in &config.unknown_env {
        tracing::warn!(variable = %var, "ignoring unknown NEXUS_ variable; see docs/CONFIGURATION.md");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("nexus: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async move {
        match command {
            Command::Serve(_) => serve(config).await,
            other => Box::pin(nexus_server::cli::run(other, config))
                .await
                .map_err(|e| e.to_string()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nexus: {e}");
            ExitCode::from(1)
        }
    }
}

async fn serve(config: Config) -> Result<(), String> {
    let app = Application::build(config, Arc::new(SystemClock))
        .await
        .map_err(|e| e.to_string())?;
    app.run_until(shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}

/// Resolves on SIGTERM (Kubernetes) or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
