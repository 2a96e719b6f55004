//! Database statements, measured. sqlx reports every statement it runs as a `debug`
//! event on target `sqlx::query`, with its own timing and the SQL. This layer alone
//! listens to those (the log and trace layers filter them out) and turns each into:
//!
//! - `nexus_db_query_duration_seconds{backend, operation}`: a histogram whose
//!   `operation` is the statement's verb and first table (`select audit_head`,
//!   `insert sim_order`, `commit`), a label set bounded by our own SQL;
//! - when traces are exported, a client span named after the operation, timed by sqlx,
//!   under the span that ran it (a request or a job). Statements outside any span (the
//!   tick loop's) make no span, or every tick would be a trace of its own.
//!
//! Neither carries the SQL text or its parameters: only the verb and table.
//!
//! It also turns sqlx's pool events (target `sqlx::pool::acquire`, one per acquire,
//! with the time waited) into `nexus_db_pool_acquire_duration_seconds{backend}`: the
//! pool's queue, which the load harness found to be where writes wait.

use metrics::Histogram;
use opentelemetry::trace::{Span as _, SpanKind, TraceContextExt, Tracer};
use std::collections::HashMap;
use std::sync::{OnceLock, PoisonError, RwLock};
use std::time::Duration;
use tracing::field::{Field, Visit};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::Context;

/// The histogram's name (its buckets are set where the recorder is built).
pub(crate) const DURATION: &str = "nexus_db_query_duration_seconds";

/// Buckets from 100 µs to 2.5 s: statements are mostly sub-millisecond.
pub(crate) const BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// The pool-wait histogram: how long each connection acquire waited (sqlx's
/// `sqlx::pool::acquire` events, enabled by the stores' pool options).
pub(crate) const ACQUIRE: &str = "nexus_db_pool_acquire_duration_seconds";

/// Pool-wait buckets from 50 µs (an idle connection, pinged) to the 10 s acquire
/// timeout's neighbourhood: a queue shows as seconds.
pub(crate) const ACQUIRE_BUCKETS: [f64; 16] = [
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
    2.5, 10.0,
];

/// sqlx's target for acquire events.
pub(crate) const ACQUIRE_TARGET: &str = "sqlx::pool::acquire";

/// Distinct statement texts remembered with their operation. Our SQL is a bounded set,
/// but a few statements inline a value (the tenant in `BEGIN`'s batch), so the memory is
/// capped; texts past the cap are worked out each time instead.
const REMEMBERED: usize = 4096;

/// The layer; see the module docs.
pub(crate) struct DbStatements {
    backend: &'static str,
    tracer: Option<opentelemetry_sdk::trace::SdkTracer>,
    /// Each statement text's operation and histogram, worked out at its first run.
    /// Naming the operation (a scan of the SQL, two strings) and finding the labelled
    /// histogram through the `metrics` macros (a key built, the registry locked) on
    /// every statement was most of this layer's cost (docs/PERFORMANCE.md).
    known: RwLock<HashMap<Box<str>, Operation, foldhash::fast::RandomState>>,
    /// The pool-wait histogram, registered at the first acquire.
    acquire: OnceLock<Histogram>,
}

/// A statement's operation, and its histogram.
struct Operation {
    verb: String,
    table: Option<String>,
    name: String,
    duration: Histogram,
}

impl DbStatements {
    pub(crate) fn new(
        backend: &'static str,
        tracer: Option<opentelemetry_sdk::trace::SdkTracer>,
    ) -> Self {
        Self {
            backend,
            tracer,
            known: RwLock::new(HashMap::default()),
            acquire: OnceLock::new(),
        }
    }

    fn operation_of(&self, sql: &str) -> Operation {
        let (verb, table) = operation(sql);
        let name = match &table {
            Some(t) => format!("{verb} {t}"),
            None => verb.clone(),
        };
        let duration =
            metrics::histogram!(DURATION, "backend" => self.backend, "operation" => name.clone());
        Operation {
            verb,
            table,
            name,
            duration,
        }
    }

    /// Runs `f` on the operation of `sql`, working it out and remembering it at its
    /// first run.
    fn with_operation(&self, sql: &str, f: impl FnOnce(&Operation)) {
        {
            let known = self.known.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(op) = known.get(sql) {
                f(op);
                return;
            }
        }
        let op = self.operation_of(sql);
        // `f` runs outside the write lock: it may emit through the dispatcher, and the
        // lock is not reentrant.
        f(&op);
        let mut known = self.known.write().unwrap_or_else(PoisonError::into_inner);
        if known.len() < REMEMBERED {
            known.entry(sql.into()).or_insert(op);
        }
    }
}

#[derive(Default)]
struct Fields {
    summary: String,
    statement: String,
    elapsed_secs: Option<f64>,
    acquired_after_secs: Option<f64>,
}

impl Visit for Fields {
    fn record_f64(&mut self, field: &Field, value: f64) {
        match field.name() {
            "elapsed_secs" => self.elapsed_secs = Some(value),
            "acquired_after_secs" => self.acquired_after_secs = Some(value),
            _ => {}
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "summary" => value.clone_into(&mut self.summary),
            "db.statement" => value.clone_into(&mut self.statement),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        // sqlx records `summary` with `%`-less field syntax, which arrives as Debug of a
        // String (quoted); strings proper come through `record_str`.
        if field.name() == "summary" && self.summary.is_empty() {
            format!("{value:?}")
                .trim_matches('"')
                .clone_into(&mut self.summary);
        }
    }
}

/// `(verb, table)` of a statement: the first word, and the identifier after the first
/// `from`, `into` or `update` (none for `begin`, `commit` and the like).
pub(crate) fn operation(sql: &str) -> (String, Option<String>) {
    let mut words = sql.split_whitespace();
    let verb = words
        .next()
        .unwrap_or("unknown")
        .trim_matches(|c: char| !c.is_ascii_alphabetic())
        .to_ascii_lowercase();
    let mut words = sql.split_whitespace().peekable();
    let mut table = None;
    while let Some(w) = words.next() {
        let w = w.to_ascii_lowercase();
        if matches!(w.as_str(), "from" | "into" | "update")
            && let Some(next) = words.peek()
        {
            let name: String = next
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
                .take(48)
                .collect::<String>()
                .to_ascii_lowercase();
            // `from (select …)` or `from $1`: not a table name.
            if !name.is_empty() && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
                table = Some(name);
                break;
            }
        }
    }
    (
        if verb.is_empty() {
            "unknown".into()
        } else {
            verb
        },
        table,
    )
}

impl<S> tracing_subscriber::Layer<S> for DbStatements
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let mut f = Fields::default();
        event.record(&mut f);
        if event.metadata().target() == ACQUIRE_TARGET {
            if let Some(waited) = f.acquired_after_secs {
                self.acquire
                    .get_or_init(|| metrics::histogram!(ACQUIRE, "backend" => self.backend))
                    .record(waited);
            }
            return;
        }
        let Some(secs) = f.elapsed_secs else { return };
        // The full statement when sqlx gave it (long ones), otherwise the summary.
        let sql = if f.statement.trim().is_empty() {
            &f.summary
        } else {
            &f.statement
        };
        self.with_operation(sql, |op| {
            op.duration.record(secs);
            self.export(op, secs);
        });
    }
}

impl DbStatements {
    /// The statement as a client span under the span it ran in, when traces are on.
    fn export(&self, op: &Operation, secs: f64) {
        let Some(tracer) = &self.tracer else { return };
        // The span the statement ran in. `Span::current` re-enters the dispatcher, which
        // is the process's one global subscriber here (no scoped dispatchers in the
        // server), and is the simplest way to the parent's OpenTelemetry context.
        let parent = tracing::Span::current().context();
        // Under an unsampled parent (a job the sampler skipped) the span would be made
        // only to be dropped.
        if !parent.span().span_context().is_sampled() {
            return;
        }
        // Span timestamps are the exporter's wall clock (as for every other span), not
        // business time, so not the injected clock.
        let end = opentelemetry::time::now();
        let start = end
            .checked_sub(Duration::from_secs_f64(secs))
            .unwrap_or(end);
        let mut attributes = vec![
            opentelemetry::KeyValue::new("db.system.name", self.backend),
            opentelemetry::KeyValue::new("db.operation.name", op.verb.clone()),
        ];
        if let Some(t) = &op.table {
            attributes.push(opentelemetry::KeyValue::new(
                "db.collection.name",
                t.clone(),
            ));
        }
        let mut span = tracer
            .span_builder(op.name.clone())
            .with_kind(SpanKind::Client)
            .with_start_time(start)
            .with_attributes(attributes)
            .start_with_context(tracer, &parent);
        span.end_with_timestamp(end);
    }
}

#[cfg(test)]
mod tests {
    use super::{DbStatements, REMEMBERED, operation};

    #[test]
    fn operations_are_remembered_up_to_the_cap() {
        let layer = DbStatements::new("sqlite", None);
        let mut seen = Vec::new();
        layer.with_operation("select a from b", |op| seen.push(op.name.clone()));
        layer.with_operation("select a from b", |op| seen.push(op.name.clone()));
        assert_eq!(seen, ["select b", "select b"]);
        for i in 0..REMEMBERED + 10 {
            layer.with_operation(&format!("update t{i} set x = 1"), |op| {
                assert_eq!(op.name, format!("update t{i}"));
            });
        }
        assert_eq!(layer.known.read().map(|k| k.len()).ok(), Some(REMEMBERED));
    }

    #[test]
    fn statements_are_named_by_verb_and_first_table() {
        let op = |s| operation(s);
        assert_eq!(
            op("select seq, hash from audit_head where chain = $1 for update"),
            ("select".into(), Some("audit_head".into()))
        );
        assert_eq!(
            op("INSERT INTO sim_order (a) values ($1)"),
            ("insert".into(), Some("sim_order".into()))
        );
        assert_eq!(
            op("update job set state = 'done'"),
            ("update".into(), Some("job".into()))
        );
        assert_eq!(
            op("delete from session where id = $1"),
            ("delete".into(), Some("session".into()))
        );
        assert_eq!(op("COMMIT"), ("commit".into(), None));
        assert_eq!(op("select 1"), ("select".into(), None));
        // A subquery first: the first real table after it.
        assert_eq!(op("select x from (select 1) as t"), ("select".into(), None));
        assert_eq!(
            op("select x from (select a from users) t"),
            ("select".into(), Some("users".into()))
        );
    }
}
