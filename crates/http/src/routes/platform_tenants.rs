//! `/v1/platform/tenants`: provisioning tenants, for platform operators.
//!
//! Wire DTOs hold raw strings; `parse_*` turns them into domain commands collecting
//! every field error, so a 422 lists all problems at once.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{JsonBody, PlatformAdmin, QueryParams};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use nexus_domain::FieldErrors;
use nexus_domain::TenantId;
use nexus_domain::paging::{Order, Page, PageRequest};
use nexus_domain::tenancy::{
    Branding, DomainName, HexColour, NewTenant, Plan, Tenant, TenantPatch, TenantQuery,
    TenantSettings, TenantSlug, TenantSort, TenantStatus, parse_locale, parse_name,
    parse_time_zone, parse_url,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(list, create, show, update, add_domain, remove_domain))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/tenants", get(list).post(create))
        .route("/tenants/{id}", get(show).patch(update))
        .route("/tenants/{id}/domains", post(add_domain))
        .route("/tenants/{id}/domains/{domain}", delete(remove_domain))
}

/// Branding; omitted fields keep their value (on create: the defaults).
#[derive(Deserialize, ToSchema)]
#[schema(as = PlatformTenantBrandingInput)]
#[serde(deny_unknown_fields)]
struct BrandingIn {
    /// Name shown in the UI header (default: the tenant's name).
    display_name: Option<String>,
    /// Absolute http(s) URL of the logo image; `""` removes it.
    logo_url: Option<String>,
    /// Primary UI colour, `#rrggbb` (default `#1f6feb`).
    primary_colour: Option<String>,
}

/// Settings; omitted fields keep their value (on create: the defaults).
#[derive(Deserialize, ToSchema)]
#[schema(as = PlatformTenantSettingsInput)]
#[serde(deny_unknown_fields)]
struct SettingsIn {
    /// BCP 47 language tag for the UI, e.g. `en` or `pt-BR`.
    locale: Option<String>,
    /// IANA time zone, e.g. `Europe/London`.
    time_zone: Option<String>,
    /// 1 to 1440 (default 30).
    session_idle_minutes: Option<u32>,
    /// 1 to 720 (default 12).
    session_absolute_hours: Option<u32>,
    /// Built-in roles whose accounts must use a second factor.
    #[schema(value_type = Option<Vec<nexus_domain::access::BuiltinRole>>)]
    mfa_required_roles: Option<Vec<String>>,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = PlatformTenantCreate)]
#[serde(deny_unknown_fields)]
struct CreateIn {
    /// The tenant's slug (2 to 40 of `a-z`, `0-9`, `-`): its host name label, unique.
    slug: String,
    name: String,
    /// Default `free`.
    #[schema(value_type = Option<Plan>)]
    plan: Option<String>,
    branding: Option<BrandingIn>,
    settings: Option<SettingsIn>,
}

/// Changes; omitted fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[schema(as = PlatformTenantUpdate)]
#[serde(deny_unknown_fields)]
struct UpdateIn {
    name: Option<String>,
    #[schema(value_type = Option<Plan>)]
    plan: Option<String>,
    /// `suspended` refuses every request to the tenant with 403.
    #[schema(value_type = Option<TenantStatus>)]
    status: Option<String>,
    branding: Option<BrandingIn>,
    settings: Option<SettingsIn>,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = PlatformTenantDomainAdd)]
#[serde(deny_unknown_fields)]
struct DomainIn {
    /// A host name that will address the tenant, e.g. `learn.example.com`.
    domain: String,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListIn {
    /// Only tenants in this status: `active` or `suspended`.
    status: Option<String>,
    /// A case-insensitive substring of the slug or name.
    q: Option<String>,
    /// `slug` (default), `name` or `created_at`.
    sort: Option<String>,
    /// `asc` (default) or `desc`.
    order: Option<String>,
    /// Page size, 1 to 200 (default 50).
    limit: Option<u32>,
    /// Rows to skip (default 0).
    offset: Option<u64>,
}

/// The operator's view of a tenant.
#[derive(Serialize, ToSchema)]
#[schema(as = PlatformTenant)]
struct TenantOut {
    id: TenantId,
    slug: String,
    name: String,
    status: TenantStatus,
    plan: Plan,
    settings: TenantSettings,
    branding: Branding,
    /// Custom domains that address the tenant.
    domains: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: time::OffsetDateTime,
}

impl From<Tenant> for TenantOut {
    fn from(t: Tenant) -> Self {
        Self {
            id: t.id,
            slug: t.slug.to_string(),
            name: t.name,
            status: t.status,
            plan: t.plan,
            settings: t.settings,
            branding: t.branding,
            domains: t.domains.iter().map(|d| d.as_str().to_owned()).collect(),
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// Parses branding, starting from `base` for omitted fields.
fn parse_branding(raw: BrandingIn, base: Branding, errs: &mut FieldErrors) -> Branding {
    let display_name = raw
        .display_name
        .map(|v| errs.check("branding.display_name", parse_name(&v)));
    let logo_url = raw.logo_url.map(|v| {
        if v.is_empty() {
            Some(None)
        } else {
            errs.check("branding.logo_url", parse_url(&v)).map(Some)
        }
    });
    let colour = raw
        .primary_colour
        .map(|v| errs.check("branding.primary_colour", HexColour::parse(&v)));
    Branding {
        display_name: display_name.flatten().unwrap_or(base.display_name),
        logo_url: logo_url.flatten().unwrap_or(base.logo_url),
        primary_colour: colour.flatten().unwrap_or(base.primary_colour),
    }
}

fn parse_settings(raw: SettingsIn, base: TenantSettings, errs: &mut FieldErrors) -> TenantSettings {
    let locale = raw
        .locale
        .map(|v| errs.check("settings.locale", parse_locale(&v)));
    let tz = raw
        .time_zone
        .map(|v| errs.check("settings.time_zone", parse_time_zone(&v)));
    let range = |errs: &mut FieldErrors, field: &str, v: Option<u32>, max: u32| {
        v.and_then(|n| {
            let ok = (1..=max).contains(&n).then_some(n);
            errs.check(
                field,
                ok.ok_or_else(|| {
                    nexus_domain::validation::invalid("out_of_range", format!("must be 1 to {max}"))
                }),
            )
        })
    };
    let idle = range(
        errs,
        "settings.session_idle_minutes",
        raw.session_idle_minutes,
        24 * 60,
    );
    let absolute = range(
        errs,
        "settings.session_absolute_hours",
        raw.session_absolute_hours,
        24 * 30,
    );
    TenantSettings {
        locale: locale.flatten().unwrap_or(base.locale),
        time_zone: tz.flatten().unwrap_or(base.time_zone),
        session_idle_minutes: idle.unwrap_or(base.session_idle_minutes),
        session_absolute_hours: absolute.unwrap_or(base.session_absolute_hours),
        mfa_required_roles: match raw.mfa_required_roles {
            Some(roles) => {
                for (i, r) in roles.iter().enumerate() {
                    if nexus_domain::access::BuiltinRole::parse(r).is_none() {
                        errs.push(
                            format!("settings.mfa_required_roles[{i}]"),
                            "unknown_value",
                            format!("{r} is not a built-in role"),
                        );
                    }
                }
                roles
            }
            None => base.mfa_required_roles,
        },
    }
}

fn parse_create(raw: CreateIn) -> Result<NewTenant, FieldErrors> {
    let mut errs = FieldErrors::new();
    let slug = errs.check("slug", TenantSlug::parse(&raw.slug));
    let name = errs.check("name", parse_name(&raw.name));
    let plan = raw
        .plan
        .map_or(Some(Plan::Free), |p| errs.check("plan", Plan::parse(&p)));
    let default_branding = Branding {
        display_name: name.clone().unwrap_or_default(),
        logo_url: None,
        primary_colour: HexColour::default(),
    };
    let branding = raw.branding.map_or(default_branding.clone(), |b| {
        parse_branding(b, default_branding, &mut errs)
    });
    let settings = raw.settings.map_or_else(TenantSettings::default, |s| {
        parse_settings(s, TenantSettings::default(), &mut errs)
    });
    errs.finish(|| {
        Some(NewTenant {
            slug: slug?,
            name: name?,
            plan: plan?,
            branding,
            settings,
        })
    })
}

fn parse_update(raw: UpdateIn, current: &Tenant) -> Result<TenantPatch, FieldErrors> {
    let mut errs = FieldErrors::new();
    let patch = TenantPatch {
        name: raw.name.and_then(|v| errs.check("name", parse_name(&v))),
        plan: raw.plan.and_then(|v| errs.check("plan", Plan::parse(&v))),
        status: raw
            .status
            .and_then(|v| errs.check("status", TenantStatus::parse(&v))),
        branding: raw
            .branding
            .map(|b| parse_branding(b, current.branding.clone(), &mut errs)),
        settings: raw
            .settings
            .map(|s| parse_settings(s, current.settings.clone(), &mut errs)),
    };
    errs.finish(|| Some(patch))
}

fn parse_list(raw: ListIn) -> Result<TenantQuery, FieldErrors> {
    let mut errs = FieldErrors::new();
    let query = TenantQuery {
        status: raw
            .status
            .and_then(|v| errs.check("status", TenantStatus::parse(&v))),
        search: raw.q.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty()),
        sort: raw
            .sort
            .and_then(|v| errs.check("sort", TenantSort::parse(&v)))
            .unwrap_or_default(),
        order: errs
            .check("order", Order::parse(raw.order.as_deref()))
            .unwrap_or_default(),
        page: errs
            .check("limit", PageRequest::new(raw.limit, raw.offset))
            .unwrap_or_default(),
    };
    errs.finish(|| Some(query))
}

/// Path IDs that are not UUIDs cannot name a tenant: 404, not 400.
fn tenant_id(raw: &str) -> Result<TenantId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found("tenant"))
}

/// `GET /v1/platform/tenants`
#[utoipa::path(get, path = "/tenants", operation_id = "platform_tenants_list", tag = "Platform: tenants",
    params(ListIn),
    responses((status = 200, description = "One page of tenants", body = Page<TenantOut>)),
    security(("platform" = [])))]
async fn list(
    _: PlatformAdmin,
    State(s): State<AppState>,
    QueryParams(q): QueryParams<ListIn>,
) -> Result<Json<Page<TenantOut>>, ApiError> {
    let query = parse_list(q).map_err(ApiError::validation)?;
    Ok(Json(
        s.services.tenants.list(&query).await?.map(TenantOut::from),
    ))
}

/// `POST /v1/platform/tenants`
#[utoipa::path(post, path = "/tenants", operation_id = "platform_tenants_create", tag = "Platform: tenants",
    request_body = CreateIn,
    responses((status = 201, description = "The new tenant", body = TenantOut)),
    security(("platform" = [])))]
async fn create(
    PlatformAdmin(caller): PlatformAdmin,
    State(s): State<AppState>,
    JsonBody(body): JsonBody<CreateIn>,
) -> Result<(StatusCode, Json<TenantOut>), ApiError> {
    let new = parse_create(body).map_err(ApiError::validation)?;
    let tenant = s.services.tenants.create(&caller, new).await?;
    Ok((StatusCode::CREATED, Json(tenant.into())))
}

/// `GET /v1/platform/tenants/{id}`
#[utoipa::path(get, path = "/tenants/{id}", operation_id = "platform_tenants_show", tag = "Platform: tenants",
    params(("id" = String, Path, description = "The tenant's ID")),
    responses((status = 200, description = "The tenant", body = TenantOut)),
    security(("platform" = [])))]
async fn show(
    _: PlatformAdmin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<TenantOut>, ApiError> {
    Ok(Json(s.services.tenants.get(tenant_id(&id)?).await?.into()))
}

/// `PATCH /v1/platform/tenants/{id}`
#[utoipa::path(patch, path = "/tenants/{id}", operation_id = "platform_tenants_update", tag = "Platform: tenants",
    params(("id" = String, Path, description = "The tenant's ID")),
    request_body = UpdateIn,
    responses((status = 200, description = "The updated tenant", body = TenantOut)),
    security(("platform" = [])))]
async fn update(
    PlatformAdmin(caller): PlatformAdmin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<UpdateIn>,
) -> Result<Json<TenantOut>, ApiError> {
    let id = tenant_id(&id)?;
    let current = s.services.tenants.get(id).await?;
    let patch = parse_update(body, &current).map_err(ApiError::validation)?;
    Ok(Json(
        s.services.tenants.update(&caller, id, patch).await?.into(),
    ))
}

/// `POST /v1/platform/tenants/{id}/domains`
#[utoipa::path(post, path = "/tenants/{id}/domains", operation_id = "platform_tenants_domains_add", tag = "Platform: tenants",
    params(("id" = String, Path, description = "The tenant's ID")),
    request_body = DomainIn,
    responses((status = 201, description = "The tenant, with the domain added", body = TenantOut)),
    security(("platform" = [])))]
async fn add_domain(
    PlatformAdmin(caller): PlatformAdmin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<DomainIn>,
) -> Result<(StatusCode, Json<TenantOut>), ApiError> {
    let mut errs = FieldErrors::new();
    let domain = errs.check("domain", DomainName::parse(&body.domain));
    let domain = errs.finish(|| domain).map_err(ApiError::validation)?;
    let tenant = s
        .services
        .tenants
        .add_domain(&caller, tenant_id(&id)?, &domain)
        .await?;
    Ok((StatusCode::CREATED, Json(tenant.into())))
}

/// `DELETE /v1/platform/tenants/{id}/domains/{domain}`
#[utoipa::path(delete, path = "/tenants/{id}/domains/{domain}", operation_id = "platform_tenants_domains_remove", tag = "Platform: tenants",
    params(("id" = String, Path, description = "The tenant's ID"),
        ("domain" = String, Path, description = "The custom domain to remove")),
    responses((status = 200, description = "The tenant, without the domain", body = TenantOut)),
    security(("platform" = [])))]
async fn remove_domain(
    PlatformAdmin(caller): PlatformAdmin,
    State(s): State<AppState>,
    Path((id, domain)): Path<(String, String)>,
) -> Result<Json<TenantOut>, ApiError> {
    let domain = DomainName::parse(&domain).map_err(|_| ApiError::not_found("domain"))?;
    Ok(Json(
        s.services
            .tenants
            .remove_domain(&caller, tenant_id(&id)?, &domain)
            .await?
            .into(),
    ))
}
