//! `/v1/usage`: the tenant's metered API usage for its admins (`billing:read`), as a
//! grouped summary or an hourly CSV export; and `/v1/platform/tenants/{id}/usage`, the
//! same summary of any tenant for platform admins.
//!
//! Counts reach the database when a node flushes its meter (every
//! `metering.flush_interval`), so the last few seconds are not shown yet.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{QueryParams, SignedIn};
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use nexus_app::usage::UsageRange;
use nexus_domain::access::Permission;
use nexus_domain::usage::{UsageGroup, UsageTotal};
use nexus_domain::{FieldErrors, TenantId};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(summary, export))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/usage", get(summary))
        .route("/usage/export", get(export))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct SummaryIn {
    /// Start (RFC 3339; rounded down to the hour). Default: the start of this month.
    from: Option<String>,
    /// End (RFC 3339; rounded up to the hour). Default: the end of the current hour. A
    /// range covers at most 93 days.
    to: Option<String>,
    /// `day` (default), `route`, `caller`, `status` or `latency`.
    group_by: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportIn {
    /// Start (RFC 3339; rounded down to the hour). Default: the start of this month.
    from: Option<String>,
    /// End (RFC 3339; rounded up to the hour). Default: the end of the current hour. A
    /// range covers at most 93 days.
    to: Option<String>,
}

/// One group's totals.
#[derive(Serialize, ToSchema)]
#[schema(as = UsageTotal)]
struct TotalOut {
    /// The group's value: a UTC day (`YYYY-MM-DD`), a route template, a caller
    /// (`key:<id>`, `session` or `anonymous`), a status class (`2xx` …) or a latency
    /// bucket (`lt_<n>ms`, `ge_<n>ms`).
    group: String,
    /// Requests counted.
    requests: u64,
    /// Units charged.
    units: u64,
}

impl From<UsageTotal> for TotalOut {
    fn from(t: UsageTotal) -> Self {
        Self {
            group: t.group,
            requests: t.count.requests,
            units: t.count.units,
        }
    }
}

/// The current month against the plan's quota.
#[derive(Serialize, ToSchema)]
#[schema(as = UsageMonth)]
struct MonthOut {
    /// Units charged this month (flushed so far).
    units: u64,
    /// The plan's monthly units; `null`: unlimited.
    quota: Option<u64>,
    /// When the month's units start again from zero.
    #[serde(with = "time::serde::rfc3339")]
    resets_at: OffsetDateTime,
}

/// Metered usage over a range, grouped.
#[derive(Serialize, ToSchema)]
#[schema(as = UsageSummary)]
pub(crate) struct SummaryOut {
    /// The range's start, as applied (whole hours).
    #[serde(with = "time::serde::rfc3339")]
    from: OffsetDateTime,
    /// The range's end (exclusive), as applied.
    #[serde(with = "time::serde::rfc3339")]
    to: OffsetDateTime,
    /// `day`, `route`, `caller`, `status` or `latency`.
    group_by: &'static str,
    month: MonthOut,
    items: Vec<TotalOut>,
}

fn parse_time(errs: &mut FieldErrors, field: &str, v: Option<String>) -> Option<OffsetDateTime> {
    v.and_then(|v| {
        let parsed = OffsetDateTime::parse(&v, &Rfc3339)
            .map_err(|_| nexus_domain::validation::invalid("format", "must be an RFC 3339 time"));
        errs.check(field, parsed)
    })
}

fn parse_range(
    s: &AppState,
    from: Option<String>,
    to: Option<String>,
    errs: &mut FieldErrors,
) -> Option<UsageRange> {
    let from = parse_time(errs, "from", from);
    let to = parse_time(errs, "to", to);
    if !errs.is_empty() {
        return None;
    }
    match UsageRange::parse(from, to, s.services.clock.now()) {
        Ok(r) => Some(r),
        Err(nexus_app::AppError::Validation(e)) => {
            for f in e.as_slice() {
                errs.push(f.field.clone(), f.code, f.message.clone());
            }
            None
        }
        Err(_) => None,
    }
}

fn group_name(g: UsageGroup) -> &'static str {
    match g {
        UsageGroup::Day => "day",
        UsageGroup::Route => "route",
        UsageGroup::Caller => "caller",
        UsageGroup::Status => "status",
        UsageGroup::Latency => "latency",
    }
}

pub(crate) async fn summarise(
    s: &AppState,
    tenant: TenantId,
    q: SummaryIn,
) -> Result<SummaryOut, ApiError> {
    let mut errs = FieldErrors::new();
    let group = match q.group_by.as_deref() {
        None => Some(UsageGroup::Day),
        Some(g) => errs.check(
            "group_by",
            UsageGroup::parse(g).ok_or_else(|| {
                nexus_domain::validation::invalid(
                    "unknown_value",
                    "must be day, route, caller, status or latency",
                )
            }),
        ),
    };
    let range = parse_range(s, q.from, q.to, &mut errs);
    let (Some(group), Some(range)) = (group, range) else {
        return Err(ApiError::validation(errs));
    };
    let plan = s.services.tenants.get(tenant).await?.plan;
    let usage = &s.services.usage;
    let items = usage.totals(tenant, range, group).await?;
    let now = s.services.clock.now();
    Ok(SummaryOut {
        from: range.from,
        to: range.to,
        group_by: group_name(group),
        month: MonthOut {
            units: usage.month_units(tenant).await?,
            quota: usage.quota(plan),
            resets_at: nexus_domain::usage::next_month(now),
        },
        items: items.into_iter().map(TotalOut::from).collect(),
    })
}

/// `GET /v1/usage` — `group_by` day (default), route, caller, status or latency;
/// `from`/`to` (RFC 3339; default: this month to date; at most 93 days).
#[utoipa::path(get, path = "/usage", operation_id = "usage_summary", tag = "Usage",
    params(SummaryIn),
    responses((status = 200, description = "The tenant's usage over the range, grouped", body = SummaryOut)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn summary(
    State(s): State<AppState>,
    signed: SignedIn,
    QueryParams(q): QueryParams<SummaryIn>,
) -> Result<Json<SummaryOut>, ApiError> {
    let tenant = signed.tenant;
    signed.caller().require(tenant, Permission::BillingRead)?;
    Ok(Json(summarise(&s, tenant, q).await?))
}

/// `GET /v1/usage/export` — the hourly rows as CSV, oldest first.
#[utoipa::path(get, path = "/usage/export", operation_id = "usage_export", tag = "Usage",
    params(ExportIn),
    responses((status = 200, description = "`usage.csv`: a header \
        `hour,caller,route,status_class,latency_bucket,requests,units`, then one row per \
        hour, caller, route, status class and latency bucket, oldest first",
        content_type = "text/csv", body = String,
        headers(("Content-Disposition" = String, description = "`attachment; filename=\"usage.csv\"`")))),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn export(
    State(s): State<AppState>,
    signed: SignedIn,
    QueryParams(q): QueryParams<ExportIn>,
) -> Result<impl IntoResponse, ApiError> {
    let tenant = signed.tenant;
    signed.caller().require(tenant, Permission::BillingRead)?;
    let mut errs = FieldErrors::new();
    let Some(range) = parse_range(&s, q.from, q.to, &mut errs) else {
        return Err(ApiError::validation(errs));
    };
    let rows = s.services.usage.rows(tenant, range).await?;
    let mut out = String::from("hour,caller,route,status_class,latency_bucket,requests,units\n");
    for r in rows {
        let hour = r.key.hour.format(&Rfc3339).unwrap_or_default();
        // No field can hold a comma, quote or newline (route templates, fixed
        // labels), so none needs quoting.
        let _ = writeln!(
            out,
            "{hour},{},{},{}xx,{},{},{}",
            r.key.caller.to_text(),
            r.key.route,
            r.key.status_class,
            r.key.latency.label(),
            r.count.requests,
            r.count.units
        );
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"usage.csv\"",
            ),
        ],
        out,
    ))
}
