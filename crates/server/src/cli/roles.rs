//! `nexus user roles`: an operator grants or takes away roles, through the same
//! `RoleService` (and audit trail) as the API, acting as the platform.

use super::CliError;
use super::admin::{app, field, ready};
use crate::config::Config;
use nexus_app::Caller;
use nexus_domain::access::RoleRef;
use nexus_domain::tenancy::TenantSlug;
use nexus_domain::user::Email;
use std::collections::BTreeSet;

pub(super) async fn run(
    tenant: &str,
    email: &str,
    add: &[String],
    remove: &[String],
    config: &Config,
) -> Result<(), CliError> {
    let slug = field("--tenant", TenantSlug::parse(tenant))?;
    let email = field("--email", Email::parse(email))?;
    let add: Vec<RoleRef> = add
        .iter()
        .map(|r| field("--add", RoleRef::parse(r)))
        .collect::<Result<_, _>>()?;
    let remove: Vec<RoleRef> = remove
        .iter()
        .map(|r| field("--remove", RoleRef::parse(r)))
        .collect::<Result<_, _>>()?;
    let wired = ready(config).await?;
    let result = async {
        let t = wired
            .services
            .tenants
            .get_by_slug(&slug)
            .await
            .map_err(app)?;
        let (user, _) = wired
            .db
            .users()
            .find_by_email(t.id, &email)
            .await
            .map_err(|e| CliError(format!("looking up {}: {e}", email.as_str())))?
            .ok_or_else(|| {
                CliError(format!(
                    "no account {} in tenant {}",
                    email.as_str(),
                    t.slug
                ))
            })?;
        let caller = Caller::cli();
        let roles = &wired.services.roles;
        let mut keys = roles
            .user_roles(&caller, t.id, user.id)
            .await
            .map_err(app)?;
        if !add.is_empty() || !remove.is_empty() {
            let mut set: BTreeSet<RoleRef> =
                keys.iter().filter_map(|k| RoleRef::parse(k).ok()).collect();
            set.extend(add.iter().copied());
            for r in &remove {
                set.remove(r);
            }
            keys = roles
                .set_user_roles(&caller, t.id, user.id, set.into_iter().collect())
                .await
                .map_err(app)?;
            println!(
                "✓ roles of {} in {} updated (audited)",
                email.as_str(),
                t.slug
            );
        }
        println!(
            "  account role: {}; granted: {}",
            user.role.as_str(),
            if keys.is_empty() {
                "none".to_owned()
            } else {
                keys.join(", ")
            }
        );
        Ok(())
    }
    .await;
    wired.db.close().await;
    result
}
