//! Server RSS and CPU during a run, read from `/proc` once a second (Linux only), and
//! PostgreSQL's CPU (every `postgres` process) beside it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What a process used over a run.
#[derive(Debug, Default, Clone, Copy)]
pub struct Usage {
    /// Highest resident set size seen, MiB.
    pub peak_rss_mib: f64,
    /// Mean CPU over the run, in cores (1.0 = one core busy).
    pub cpu_cores: f64,
    /// Mean CPU of all `postgres` processes over the run, in cores.
    pub postgres_cores: f64,
    /// Mean CPU of this load generator, in cores.
    pub generator_cores: f64,
}

/// `/proc` counts CPU in clock ticks (`getconf CLK_TCK`, 100 on Linux).
fn ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// `(comm, utime + stime)` in clock ticks.
fn cpu_ticks(stat_path: &str) -> Option<(String, u64)> {
    let text = std::fs::read_to_string(stat_path).ok()?;
    // The command name is in parentheses and may hold spaces: split after the last one.
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text[open + 1..close].to_owned();
    let fields: Vec<&str> = text[close + 2..].split_whitespace().collect();
    // Fields 14 and 15 of stat, counted from the state field (3) here.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((comm, utime + stime))
}

fn rss_mib(pid: u32) -> Option<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: f64 = text
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

fn postgres_ticks() -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|e| cpu_ticks(&format!("{}/stat", e.path().display())))
        .filter(|(comm, _)| comm == "postgres")
        .map(|(_, t)| t)
        .sum()
}

/// Samples `pid` until `stop` is set, then answers what it used.
pub fn sample(pid: u32, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Usage> {
    std::thread::spawn(move || {
        let hz = ticks_per_second();
        let stat = format!("/proc/{pid}/stat");
        let begin = Instant::now();
        let server0 = cpu_ticks(&stat).map_or(0, |(_, t)| t);
        let me0 = cpu_ticks("/proc/self/stat").map_or(0, |(_, t)| t);
        let pg0 = postgres_ticks();
        let mut usage = Usage::default();
        while !stop.load(Ordering::Relaxed) {
            if let Some(r) = rss_mib(pid) {
                usage.peak_rss_mib = usage.peak_rss_mib.max(r);
            }
            std::thread::sleep(Duration::from_secs(1));
        }
        let secs = begin.elapsed().as_secs_f64();
        #[allow(clippy::cast_precision_loss)]
        let cores = |t0: u64, t1: u64| t1.saturating_sub(t0) as f64 / hz / secs;
        usage.cpu_cores = cores(server0, cpu_ticks(&stat).map_or(server0, |(_, t)| t));
        usage.generator_cores = cores(me0, cpu_ticks("/proc/self/stat").map_or(me0, |(_, t)| t));
        usage.postgres_cores = cores(pg0, postgres_ticks());
        usage
    })
}
