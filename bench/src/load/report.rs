//! Turning every learner's samples into the run's figures.

use super::procstat::Usage;
use super::scenario::{Kind, Outcome};
use crate::quantile;

/// One request type's figures.
#[derive(Debug, Default, Clone)]
pub struct Row {
    /// Requests sent.
    pub count: u64,
    /// Requests that failed (non-2xx or no answer).
    pub errors: u64,
    /// p50, p95, p99 and max latency, milliseconds.
    pub p50: f64,
    /// p95.
    pub p95: f64,
    /// p99.
    pub p99: f64,
    /// max.
    pub max: f64,
}

/// A run's figures.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// What ran: target and learners.
    pub label: String,
    /// Learners.
    pub users: usize,
    /// Per request type, in [`Kind::ALL`] order.
    pub rows: Vec<(Kind, Row)>,
    /// All requests.
    pub total: Row,
    /// Requests per second over the whole run, ramp-up included.
    pub throughput: f64,
    /// Sessions completed through log-out.
    pub sessions: u64,
    /// Connections the learners used, and how many times they were opened.
    pub connections: (usize, u64),
    /// The first failures seen.
    pub errors: Vec<String>,
    /// Server (and PostgreSQL, and generator) resource use.
    pub usage: Usage,
}

fn row(latencies: &mut [f64], errors: u64) -> Row {
    Row {
        count: latencies.len() as u64,
        errors,
        p50: quantile(latencies, 0.50),
        p95: quantile(latencies, 0.95),
        p99: quantile(latencies, 0.99),
        max: latencies.iter().copied().fold(f64::NAN, f64::max),
    }
}

impl Report {
    /// Folds the learners' outcomes. `secs` is the run's wall time.
    pub fn new(
        label: String,
        users: usize,
        outcomes: Vec<Outcome>,
        secs: f64,
        usage: Usage,
    ) -> Self {
        let mut per: Vec<Vec<f64>> = vec![Vec::new(); Kind::ALL.len()];
        let mut errs = vec![0u64; Kind::ALL.len()];
        let mut all = Vec::new();
        let mut report = Self {
            label,
            users,
            usage,
            ..Self::default()
        };
        for o in outcomes {
            for (kind, micros, ok) in o.samples {
                let ms = f64::from(micros) / 1000.0;
                per[kind.index()].push(ms);
                all.push(ms);
                if !ok {
                    errs[kind.index()] += 1;
                }
            }
            report.sessions += u64::from(o.sessions);
            if report.errors.len() < 8 {
                report.errors.extend(o.errors);
            }
        }
        for k in Kind::ALL {
            if !per[k.index()].is_empty() {
                report
                    .rows
                    .push((k, row(&mut per[k.index()], errs[k.index()])));
            }
        }
        report.total = row(&mut all, errs.iter().sum());
        #[allow(clippy::cast_precision_loss)]
        {
            report.throughput = report.total.count as f64 / secs.max(1e-9);
        }
        report
    }

    /// Errors as a fraction of requests.
    pub fn error_rate(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let r = self.total.errors as f64 / self.total.count.max(1) as f64;
        r
    }

    /// The targets: p99 < 100 ms for every request type and errors < 0.01 %.
    pub fn meets_targets(&self) -> bool {
        self.rows.iter().all(|(_, r)| r.p99 < 100.0) && self.error_rate() < 0.0001
    }

    /// Prints the per-type table and the totals.
    pub fn print(&self) {
        println!("\n## {} — {} learners", self.label, self.users);
        println!("| request | count | errors | p50 ms | p95 ms | p99 ms | max ms |");
        println!("|---|---:|---:|---:|---:|---:|---:|");
        for (k, r) in &self.rows {
            println!(
                "| {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.0} |",
                k.label(),
                r.count,
                r.errors,
                r.p50,
                r.p95,
                r.p99,
                r.max
            );
        }
        let t = &self.total;
        println!(
            "| **all** | {} | {} | {:.1} | {:.1} | {:.1} | {:.0} |",
            t.count, t.errors, t.p50, t.p95, t.p99, t.max
        );
        println!(
            "throughput {:.0} req/s, error rate {:.4} %, sessions {}, connections {} (opened {} times); server peak RSS {:.0} MiB, CPU {:.2} cores; postgres CPU {:.2} cores; generator CPU {:.2} cores; targets (p99 < 100 ms every type, errors < 0.01 %): {}",
            self.throughput,
            self.error_rate() * 100.0,
            self.sessions,
            self.connections.0,
            self.connections.1,
            self.usage.peak_rss_mib,
            self.usage.cpu_cores,
            self.usage.postgres_cores,
            self.usage.generator_cores,
            if self.meets_targets() {
                "met"
            } else {
                "NOT met"
            }
        );
        for e in &self.errors {
            println!("  first failures: {e}");
        }
    }
}
