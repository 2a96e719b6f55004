//! Metrics and tracing overhead (issue 7): the same release binary twice, side by side,
//! one with observability on (the Prometheus recorder on a metrics listener, and spans
//! exported over OTLP to a real receiver: every request's, unless `OTEL_TRACES_SAMPLER`
//! is passed through to sample) and one with it off, loaded in
//! alternating one-second rounds so drift on a noisy machine hits both alike.
//!
//!   cargo build --release --bin nexus -p nexus-bench --bin telemetry_overhead
//!   ./target/release/telemetry_overhead [seconds=10] [concurrency=16]
//!
//! A third server, also off, is the A/A control: the on server is compared with the
//! mean of the two off ones, and the off/off ratio shows the noise between processes.
//!
//! The OTLP receiver is rotel (`pip install rotel`) with its blackhole exporter, so
//! spans cross a real HTTP hop and are dropped there. Both servers run on their own
//! SQLite file, log at `warn` alike, and answer `GET /v1/tenant` (the tenant lookup,
//! cached) and `GET /v1/courses?limit=1` with a session (a database read). Targets
//! 127.0.0.1 only; bounded by duration.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_precision_loss,
    clippy::too_many_lines
)]

use nexus_bench::{Server, free_port, get_round, quantile, spawn_server};
use serde_json::json;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

const TOKEN: &str = "bench-platform-token-0123456789abcdef";

fn start(binary: &str, extra: &[(&str, String)]) -> Server {
    let dir = std::env::temp_dir().join(format!("nexus-otel-bench-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut cmd = Command::new(binary);
    cmd.env_clear()
        .env("NEXUS_HTTP_ADDR", "127.0.0.1:0")
        .env(
            "NEXUS_DATABASE_URL",
            format!("sqlite://{}/nexus.db", dir.display()),
        )
        .env("NEXUS_DEMO_SEED", "false")
        .env("NEXUS_HTTP_PLATFORM_TOKEN", TOKEN)
        .env("NEXUS_LOG_LEVEL", "warn")
        .env("NEXUS_RATELIMIT_ENABLED", "false")
        .env("NEXUS_SECURITY_LOGIN_DELAY", "0ms")
        .stderr(Stdio::null());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    spawn_server(cmd, "FinAI Nexus listening on http://", dir)
}

/// A tenant, an admin made with the CLI, and a session token.
async fn prepare(client: &reqwest::Client, binary: &str, s: &Server) -> String {
    nexus_bench::wait_ready(client, &s.base).await;
    let r = client
        .post(format!("{}/v1/platform/tenants", s.base))
        .bearer_auth(TOKEN)
        .json(&json!({ "slug": "bench", "name": "Bench" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let out = Command::new(binary)
        .env_clear()
        .env(
            "NEXUS_DATABASE_URL",
            format!("sqlite://{}/nexus.db", s.dir.display()),
        )
        .args([
            "user",
            "create",
            "--tenant",
            "bench",
            "--email",
            "a@bench.example",
            "--name",
            "A",
            "--role",
            "admin",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let password = text
        .split("password:")
        .nth(1)
        .expect("the CLI prints the password")
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    nexus_bench::login(client, &s.base, "bench", "a@bench.example", &password).await
}

/// Variants: three servers × two routes.
const N: usize = 6;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let secs: u32 = args.get(1).map_or(10, |s| s.parse().unwrap());
    let concurrency: usize = args.get(2).map_or(16, |s| s.parse().unwrap());
    let binary =
        std::env::var("NEXUS_BENCH_BINARY").unwrap_or_else(|_| "target/release/nexus".into());
    let _ = rustls::crypto::ring::default_provider().install_default();
    let agent = Command::new("python3")
        .args([
            "-c",
            "import os, rotel; print(os.path.join(os.path.dirname(rotel.__file__), 'rotel-agent'))",
        ])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .expect("rotel is needed as the OTLP receiver: pip install rotel");
    let (grpc, http) = (free_port(), free_port());
    let mut rotel = Command::new(agent)
        .args(["start", "--otlp-grpc-endpoint"])
        .arg(format!("127.0.0.1:{grpc}"))
        .arg("--otlp-http-endpoint")
        .arg(format!("127.0.0.1:{http}"))
        .args(["--exporter", "blackhole"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let off = start(&binary, &[]);
    let metrics = format!("127.0.0.1:{}", free_port());
    // `NEXUS_BENCH_ON=metrics` or `traces` turns on one half only (to find a cost).
    let which = std::env::var("NEXUS_BENCH_ON").unwrap_or_else(|_| "both".into());
    let mut on_env = vec![("NEXUS_METRICS_ADDR", metrics.clone())];
    if which != "metrics" {
        on_env.push((
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("http://127.0.0.1:{http}"),
        ));
    }
    if which == "traces" {
        on_env.remove(0);
    }
    // A sampler set for the benchmark is passed on (e.g. 10 % head sampling).
    for k in ["OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG"] {
        if let Ok(v) = std::env::var(k) {
            on_env.push((k, v));
        }
    }
    println!("observability on: {which}");
    let on = start(&binary, &on_env);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    // A second server with observability off: the A/A control. Two identical processes
    // differ by a few per cent on this machine (scheduling, cache placement), so the
    // on/off ratio means something only beside the off/off one.
    let control = start(&binary, &[]);
    let tokens = [
        prepare(&client, &binary, &off).await,
        prepare(&client, &binary, &on).await,
        prepare(&client, &binary, &control).await,
    ];
    let servers = [&off, &on, &control];
    // Variants: (server, path, with session).
    let variants: [(usize, &str, bool); 6] = [
        (0, "/v1/tenant", false),
        (1, "/v1/tenant", false),
        (2, "/v1/tenant", false),
        (0, "/v1/courses?limit=1", true),
        (1, "/v1/courses?limit=1", true),
        (2, "/v1/courses?limit=1", true),
    ];
    let names = [
        "/v1/tenant          observability off    ",
        "/v1/tenant          observability on     ",
        "/v1/tenant          off (control server) ",
        "/v1/courses session observability off    ",
        "/v1/courses session observability on     ",
        "/v1/courses session off (control server) ",
    ];
    let mut counts = [0u64; N];
    let mut errors = [0u64; N];
    let mut latencies: [Vec<f64>; N] = Default::default();
    let mut elapsed = [0f64; N];
    for round in 0..=secs {
        for i in 0..N {
            let v = if round % 2 == 0 { i } else { N - 1 - i };
            let (server, path, session) = variants[v];
            let url = format!("{}{path}", servers[server].base);
            let token = session.then(|| tokens[server].clone());
            let until = Instant::now() + Duration::from_secs(1);
            let began = Instant::now();
            let tenant = [("x-tenant", "bench".to_owned())];
            let r = get_round(&client, &url, &tenant, token.as_deref(), concurrency, until).await;
            // Round 0 warms every server up and is not counted.
            if round > 0 {
                counts[v] += r.ok;
                errors[v] += r.failed;
                latencies[v].extend(r.latencies_ms);
            }
            if round > 0 {
                elapsed[v] += began.elapsed().as_secs_f64();
            }
        }
    }
    println!(
        "cores={} rounds={secs} x 1 s per variant, concurrency={concurrency}",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    let mut rps = [0f64; N];
    for v in 0..N {
        rps[v] = counts[v] as f64 / elapsed[v];
        println!(
            "{}  {:>8.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  errors {}",
            names[v],
            rps[v],
            quantile(&mut latencies[v], 0.5),
            quantile(&mut latencies[v], 0.99),
            errors[v]
        );
    }
    for (label, off_i, on_i, ctl_i) in [("/v1/tenant", 0, 1, 2), ("/v1/courses", 3, 4, 5)] {
        // On against the mean of the two identical off servers.
        let base = f64::midpoint(rps[off_i], rps[ctl_i]);
        let ratio = rps[on_i] / base;
        let verdict = if ratio >= 0.95 { "met" } else { "NOT met" };
        println!(
            "{label}: on/off throughput {ratio:.3} ({:+.1} %), off/off control {:.3}   bar: loss <= 5 %: {verdict}",
            (ratio - 1.0) * 100.0,
            rps[ctl_i] / rps[off_i]
        );
    }
    // The "on" server really recorded: its metrics listener counts the requests.
    let text = if which == "traces" {
        String::new()
    } else {
        client
            .get(format!("http://{metrics}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let served: f64 = text
        .lines()
        .filter(|l| l.starts_with("nexus_http_requests_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    println!("the observed server counted {served:.0} requests in nexus_http_requests_total");
    // And that traces were on: a run whose sampler never traced measures nothing. Up
    // to 3,000 more requests, stopping at the first sampled one (at 1 %, none in 3,000
    // has odds of about 1 in 10^13); every answer must carry a `traceparent`.
    let mut traced = None;
    if which != "metrics" {
        for n in 1..=3000 {
            let r = client
                .get(format!("{}/v1/tenant", on.base))
                .header("x-tenant", "bench")
                .send()
                .await
                .unwrap();
            let flags = r
                .headers()
                .get("traceparent")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit('-').next())
                .unwrap_or("none")
                .to_owned();
            if flags == "01" {
                traced = Some(n);
                break;
            }
            if flags != "00" {
                traced = Some(0);
                break;
            }
        }
    }
    let _ = rotel.kill();
    let _ = rotel.wait();
    if which != "metrics" {
        match traced {
            Some(0) => panic!("a response carried no traceparent"),
            Some(n) => println!("traced: request {n} after the rounds was sampled (flags 01)"),
            None => panic!("traces were on but none of 3,000 requests was sampled"),
        }
    }
}
