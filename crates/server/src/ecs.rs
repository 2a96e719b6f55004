//! JSON log lines with Elastic Common Schema field names.
//!
//! One object per line: `@timestamp`, `log.level`, `log.logger`, `message`,
//! `ecs.version`, the fields of every enclosing span (innermost wins) and the event's
//! own, with the request span's names mapped to ECS: `trace.id`, `span.id`,
//! `http.request.id`, `http.request.method`, `http.route`, `client.ip`, `tenant.id`,
//! `user.id` (the opaque account ID, a pseudonym), `http.response.status_code` and
//! `error.message`.

use serde_json::{Map, Value};
use std::fmt;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// The ECS formatter (fields formatted with `JsonFields`).
pub struct Ecs;

/// Our field names → ECS names.
fn ecs_name(field: &str) -> &str {
    match field {
        "trace_id" => "trace.id",
        "span_id" => "span.id",
        "request_id" => "http.request.id",
        "method" => "http.request.method",
        "route" => "http.route",
        "client_ip" => "client.ip",
        "tenant_id" => "tenant.id",
        "user_id" => "user.id",
        "status" => "http.response.status_code",
        "error" => "error.message",
        other => other,
    }
}

struct Fields<'a>(&'a mut Map<String, Value>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0
            .insert(ecs_name(field.name()).to_owned(), Value::from(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0
            .insert(ecs_name(field.name()).to_owned(), Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0
            .insert(ecs_name(field.name()).to_owned(), Value::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0
            .insert(ecs_name(field.name()).to_owned(), Value::from(value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(
            ecs_name(field.name()).to_owned(),
            Value::from(format!("{value:?}")),
        );
    }
}

impl<S, N> FormatEvent<S, N> for Ecs
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut out = Map::new();
        // Log lines are stamped with the wall clock, whatever clock the app runs on.
        let now = nexus_domain::Clock::now(&nexus_domain::SystemClock)
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        out.insert("@timestamp".into(), Value::from(now));
        out.insert(
            "log.level".into(),
            Value::from(event.metadata().level().as_str().to_ascii_lowercase()),
        );
        out.insert("log.logger".into(), Value::from(event.metadata().target()));
        out.insert("ecs.version".into(), Value::from("8.11.0"));
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let ext = span.extensions();
                let Some(fields) = ext.get::<FormattedFields<N>>() else {
                    continue;
                };
                if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(fields) {
                    for (k, v) in map {
                        // `otel.*` steer the exporter; they are not log fields.
                        if !k.starts_with("otel.") {
                            out.insert(ecs_name(&k).to_owned(), v);
                        }
                    }
                }
            }
        }
        event.record(&mut Fields(&mut out));
        let line = serde_json::to_string(&Value::Object(out)).map_err(|_| fmt::Error)?;
        writeln!(writer, "{line}")
    }
}
