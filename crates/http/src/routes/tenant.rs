//! `/v1/tenant`: the current tenant's public profile, which the web app needs before
//! anyone logs in (name, branding, locale).

use crate::AppState;
use crate::extract::CurrentTenant;
use axum::routing::get;
use axum::{Json, Router};
use nexus_domain::tenancy::Tenant;
use serde::Serialize;
use utoipa::ToSchema;

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(show))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/tenant", get(show))
}

/// What anyone may learn about a tenant: no plan, status or internal IDs.
#[derive(Serialize, ToSchema)]
#[schema(as = TenantPublic)]
struct PublicTenant {
    /// The tenant's slug, as in its host name.
    slug: String,
    /// The name to show in the UI header.
    display_name: String,
    /// Absolute URL of the logo image, if any.
    logo_url: Option<String>,
    /// Primary UI colour, `#rrggbb`.
    primary_colour: String,
    /// BCP 47 language tag for the UI, e.g. `en` or `pt-BR`.
    locale: String,
    /// IANA time zone, e.g. `Europe/London`.
    time_zone: String,
}

impl From<Tenant> for PublicTenant {
    fn from(t: Tenant) -> Self {
        Self {
            slug: t.slug.to_string(),
            display_name: t.branding.display_name,
            logo_url: t.branding.logo_url,
            primary_colour: t.branding.primary_colour.as_str().to_owned(),
            locale: t.settings.locale,
            time_zone: t.settings.time_zone,
        }
    }
}

/// `GET /v1/tenant`
#[utoipa::path(get, path = "/tenant", operation_id = "tenant_show", tag = "Tenant",
    responses((status = 200, description = "The addressed tenant's public profile", body = PublicTenant)),
    security(()))]
async fn show(CurrentTenant(tenant): CurrentTenant) -> Json<PublicTenant> {
    Json(tenant.into())
}
