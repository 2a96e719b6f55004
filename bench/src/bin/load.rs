//! The load harness (issue 7). One command, from the repository root:
//!
//!   cargo run --release -p nexus-bench --bin load -- [options]
//!
//! It builds the release server and the hello-world baseline itself. Options (defaults
//! in brackets):
//!
//!   --users 10000[,20000,…]   learner counts to run in turn            [10000]
//!   --backends sqlite,postgres                                         [sqlite,postgres]
//!   --ramp 60  --hold 240     seconds of ramp-up, then at full count   [60, 240]
//!   --think 20-40             think time range, seconds                [20-40]
//!   --loops 1                 lesson-and-trade rounds per session      [1]
//!   --max-requests 3000000    the bounded total per run                [3000000]
//!   --connections N           most connections, shared past that       [open-file limit − 2000]
//!   --pg postgres://postgres@127.0.0.1:5432/test
//!   --redis redis://127.0.0.1:6379   (PostgreSQL runs; `none` for in-process)
//!   --server-env K=V          an extra server setting (repeatable)
//!   --no-baselines            skip hello-world and pgbench (to compare settings only)
//!   --no-build                use the binaries already built
//!
//! Targets 127.0.0.1 only and stops on its own. See docs/PERFORMANCE.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nexus_bench::load::{Backend, Options, run};
use std::time::Duration;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut opts = Options {
        backends: vec![Backend::Sqlite, Backend::Postgres],
        users: vec![10_000],
        ramp: Duration::from_mins(1),
        hold: Duration::from_mins(4),
        think: (20.0, 40.0),
        loops: 1,
        max_requests: 3_000_000,
        pg_admin: "postgres://postgres@127.0.0.1:5432/test".into(),
        redis: Some("redis://127.0.0.1:6379".into()),
        build: true,
        baselines: true,
        max_connections: usize::MAX,
        server_env: Vec::new(),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = || {
            args.get(i + 1)
                .cloned()
                .unwrap_or_else(|| panic!("{} needs a value", args[i]))
        };
        let secs = |v: String| Duration::from_secs(v.parse().expect("seconds"));
        match args[i].as_str() {
            "--users" => {
                opts.users = value()
                    .split(',')
                    .map(|u| u.parse().expect("a learner count"))
                    .collect();
            }
            "--backends" => {
                opts.backends = value()
                    .split(',')
                    .map(|b| match b {
                        "sqlite" => Backend::Sqlite,
                        "postgres" => Backend::Postgres,
                        other => panic!("unknown backend {other}: sqlite or postgres"),
                    })
                    .collect();
            }
            "--ramp" => opts.ramp = secs(value()),
            "--hold" => opts.hold = secs(value()),
            "--think" => {
                let v = value();
                let (lo, hi) = v.split_once('-').expect("--think lo-hi");
                opts.think = (lo.parse().unwrap(), hi.parse().unwrap());
            }
            "--loops" => opts.loops = value().parse().unwrap(),
            "--max-requests" => opts.max_requests = value().parse().unwrap(),
            "--pg" => opts.pg_admin = value(),
            "--connections" => opts.max_connections = value().parse().unwrap(),
            "--server-env" => {
                let v = value();
                let (k, val) = v.split_once('=').expect("--server-env NEXUS_KEY=value");
                opts.server_env.push((k.to_owned(), val.to_owned()));
            }
            "--redis" => opts.redis = Some(value()).filter(|v| v != "none"),
            "--no-baselines" => {
                opts.baselines = false;
                i += 1;
                continue;
            }
            "--no-build" => {
                opts.build = false;
                i += 1;
                continue;
            }
            other => panic!("unknown option {other} (see the top of bench/src/bin/load.rs)"),
        }
        i += 2;
    }
    // Built with the server in one cargo call, reqwest carries its provider-less rustls
    // feature; the setup client needs ring installed (as in `telemetry_overhead`).
    let _ = rustls::crypto::ring::default_provider().install_default();
    // Learners and their connections are many small tasks: two workers, as many as the
    // machine has cores.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(opts));
}
