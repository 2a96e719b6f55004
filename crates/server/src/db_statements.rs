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
    /// Each statement text's operation and histogram, worked out at its first run and
    /// found again by the text's 64-bit hash, taken as sqlx hands the text over (no
    /// copy). Copying the text, naming the operation (a scan of the SQL, two strings)
    /// and finding the labelled histogram through the `metrics` macros (a key built,
    /// the registry locked) on every statement was most of this layer's cost
    /// (docs/PERFORMANCE.md). A collision would file one statement under another's
    /// operation; at 64 bits and a few thousand texts it is not expected.
    known: RwLock<HashMap<u64, Operation, foldhash::fast::RandomState>>,
    /// The pool-wait histogram, registered at the first acquire.
    acquire: OnceLock<Histogram>,
}

/// A statement's operation, and its histogram.
struct Operation {
    names: Names,
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
            names: Names { verb, table, name },
            duration,
        }
    }

    /// Records `secs` in the histogram of the statement whose text hashes to `key`
    /// (`text` gives the text, asked only the first time), and returns its names when
    /// `want_names` (for a span).
    fn record(
        &self,
        key: u64,
        text: impl FnOnce() -> String,
        secs: f64,
        want_names: bool,
    ) -> Option<Names> {
        {
            // Only the record under the read lock; a span is made after it is released.
            let known = self.known.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(op) = known.get(&key) {
                op.duration.record(secs);
                return want_names.then(|| op.names.clone());
            }
        }
        let op = self.operation_of(&text());
        op.duration.record(secs);
        let names = want_names.then(|| op.names.clone());
        let mut known = self.known.write().unwrap_or_else(PoisonError::into_inner);
        if known.len() < REMEMBERED {
            known.entry(key).or_insert(op);
        }
        names
    }
}

/// An operation's names, copied for a span.
#[derive(Clone)]
struct Names {
    verb: String,
    table: Option<String>,
    name: String,
}

/// The statement's key and timing, read without copying its text.
#[derive(Default)]
struct Keyed {
    summary: Option<u64>,
    statement: Option<u64>,
    elapsed_secs: Option<f64>,
    acquired_after_secs: Option<f64>,
}

impl Keyed {
    /// The full statement's when sqlx gave it (long ones), otherwise the summary's.
    fn key(&self) -> Option<u64> {
        self.statement.or(self.summary)
    }
}

/// A hasher for statement keys, started with `tag` (which field the text came from).
fn tagged(tag: u8) -> impl std::hash::Hasher {
    use std::hash::{BuildHasher, Hasher};
    let mut h = foldhash::quality::FixedState::default().build_hasher();
    h.write_u8(tag);
    h
}

fn hash_of(tag: u8, text: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = tagged(tag);
    h.write(text.as_bytes());
    h.finish()
}

/// Feeds formatted text into a hasher, so a `Debug` value is hashed without a string.
struct HashWriter<H>(H);

impl<H: std::hash::Hasher> std::fmt::Write for HashWriter<H> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.write(s.as_bytes());
        Ok(())
    }
}

impl Visit for Keyed {
    fn record_f64(&mut self, field: &Field, value: f64) {
        match field.name() {
            "elapsed_secs" => self.elapsed_secs = Some(value),
            "acquired_after_secs" => self.acquired_after_secs = Some(value),
            _ => {}
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "summary" => self.summary = Some(hash_of(0, value)),
            "db.statement" if !value.trim().is_empty() => {
                self.statement = Some(hash_of(1, value));
            }
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        // As `Fields::record_debug`: the summary may arrive as Debug of a String.
        if field.name() == "summary" && self.summary.is_none() {
            use std::fmt::Write as _;
            use std::hash::Hasher;
            let mut w = HashWriter(tagged(2));
            let _ = write!(w, "{value:?}");
            self.summary = Some(w.0.finish());
        }
    }
}

/// The statement's text, copied: read only the first time a text is seen.
#[derive(Default)]
struct Fields {
    summary: String,
    statement: String,
}

impl Visit for Fields {
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
        let mut keyed = Keyed::default();
        event.record(&mut keyed);
        if event.metadata().target() == ACQUIRE_TARGET {
            if let Some(waited) = keyed.acquired_after_secs {
                self.acquire
                    .get_or_init(|| metrics::histogram!(ACQUIRE, "backend" => self.backend))
                    .record(waited);
            }
            return;
        }
        let (Some(secs), Some(key)) = (keyed.elapsed_secs, keyed.key()) else {
            return;
        };
        let parent = self.sampled_parent();
        let text = || {
            let mut f = Fields::default();
            event.record(&mut f);
            if f.statement.trim().is_empty() {
                f.summary
            } else {
                f.statement
            }
        };
        if let (Some(names), Some(parent)) =
            (self.record(key, text, secs, parent.is_some()), parent)
        {
            self.export(&names, secs, &parent);
        }
    }
}

impl DbStatements {
    /// The context of the span the statement ran in, when traces are on and that span
    /// is sampled.
    fn sampled_parent(&self) -> Option<opentelemetry::Context> {
        self.tracer.as_ref()?;
        // Inside an unsampled request there is no parent to find (a task-local read,
        // cheaper than asking the dispatcher for the current span's context).
        if !nexus_http::trace::may_trace() {
            return None;
        }
        // The span the statement ran in. `Span::current` re-enters the dispatcher, which
        // is the process's one global subscriber here (no scoped dispatchers in the
        // server), and is the simplest way to the parent's OpenTelemetry context. Under
        // an unsampled parent (a job the sampler skipped) the span would be made only
        // to be dropped.
        let parent = tracing::Span::current().context();
        parent.span().span_context().is_sampled().then_some(parent)
    }

    /// The statement as a client span under `parent`.
    fn export(&self, names: &Names, secs: f64, parent: &opentelemetry::Context) {
        let Some(tracer) = &self.tracer else { return };
        // Span timestamps are the exporter's wall clock (as for every other span), not
        // business time, so not the injected clock.
        let end = opentelemetry::time::now();
        let start = end
            .checked_sub(Duration::from_secs_f64(secs))
            .unwrap_or(end);
        let mut attributes = vec![
            opentelemetry::KeyValue::new("db.system.name", self.backend),
            opentelemetry::KeyValue::new("db.operation.name", names.verb.clone()),
        ];
        if let Some(t) = &names.table {
            attributes.push(opentelemetry::KeyValue::new(
                "db.collection.name",
                t.clone(),
            ));
        }
        let mut span = tracer
            .span_builder(names.name.clone())
            .with_kind(SpanKind::Client)
            .with_start_time(start)
            .with_attributes(attributes)
            .start_with_context(tracer, parent);
        span.end_with_timestamp(end);
    }
}

#[cfg(test)]
mod tests {
    use super::{DbStatements, REMEMBERED, hash_of, operation};

    #[test]
    fn operations_are_remembered_up_to_the_cap() {
        let layer = DbStatements::new("sqlite", None);
        let sql = "select a from b";
        let key = hash_of(0, sql);
        let text_of = |asked: &mut u32| {
            *asked += 1;
            sql.to_owned()
        };
        let mut asked = 0;
        let first = layer.record(key, || text_of(&mut asked), 0.001, true);
        let again = layer.record(key, || text_of(&mut asked), 0.001, true);
        assert_eq!(first.map(|n| n.name).as_deref(), Some("select b"));
        assert_eq!(again.map(|n| n.name).as_deref(), Some("select b"));
        assert_eq!(asked, 1, "the text is read only the first time");
        for i in 0..REMEMBERED + 10 {
            let sql = format!("update t{i} set x = 1");
            let names = layer.record(hash_of(1, &sql), || sql.clone(), 0.001, true);
            assert_eq!(names.map(|n| n.name), Some(format!("update t{i}")));
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
