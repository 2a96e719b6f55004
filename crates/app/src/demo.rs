//! The first-run demo tenant.
//!
//! On an empty database (and only then) the server seeds a `demo` tenant with an admin
//! and a learner with random passwords, which are printed once, and adopts the
//! library's "Financial Literacy 101" as a published course, so the demo learner has
//! something to learn from the first start. The learner also gets a funded practice
//! portfolio in the simulator and is entered in a running class competition.

use crate::accounts::{CreateAccount, random_password};
use crate::learning::library::FINANCIAL_LITERACY_101;
use crate::{AppError, Caller, Services};
use nexus_domain::learning::enrolment::CohortRole;
use nexus_domain::tenancy::{
    Branding, HexColour, NewTenant, Plan, Tenant, TenantSettings, TenantSlug,
};
use nexus_domain::user::{Email, Password, Role};

/// Logins created by the seed, shown to the operator once.
#[derive(Debug, Clone)]
pub struct DemoLogins {
    /// The demo tenant.
    pub tenant: Tenant,
    /// `(role, e-mail, password)` for each seeded account.
    pub accounts: Vec<(Role, String, String)>,
}

/// Seeds the demo tenant if no tenant exists yet. Returns `None` when nothing was done.
pub async fn seed_if_empty(services: &Services) -> Result<Option<DemoLogins>, AppError> {
    if services.tenants.count().await? > 0 {
        return Ok(None);
    }
    let slug = TenantSlug::parse("demo").map_err(|e| AppError::Internal(Box::new(e)))?;
    let tenant = services
        .tenants
        .create(
            &Caller::system(),
            NewTenant {
                slug,
                name: "Demo Academy".to_owned(),
                plan: Plan::Professional,
                branding: Branding {
                    display_name: "Demo Academy".to_owned(),
                    logo_url: None,
                    primary_colour: HexColour::default(),
                },
                settings: TenantSettings::default(),
            },
        )
        .await?;
    let mut accounts = Vec::new();
    let mut learner = None;
    for (role, email, name) in [
        (Role::Admin, "admin@demo.example", "Demo Admin"),
        (Role::Learner, "learner@demo.example", "Demo Learner"),
    ] {
        let password = random_password(20)?;
        let cmd = CreateAccount {
            email: Email::parse(email).map_err(|e| AppError::Internal(Box::new(e)))?,
            display_name: name.to_owned(),
            role,
            password: Password::parse(&password).map_err(|e| AppError::Internal(Box::new(e)))?,
        };
        let user = services
            .accounts
            .create(&Caller::system(), tenant.id, cmd)
            .await?;
        if role == Role::Learner {
            learner = Some(user.id);
        }
        accounts.push((role, email.to_owned(), password));
    }
    // Start-up has already put the curriculum into the library; doing it again writes
    // nothing and makes this seed independent of that order.
    let library = services.library.seed_builtin().await?;
    let curriculum = library
        .iter()
        .find(|(e, _)| e.slug.as_str() == FINANCIAL_LITERACY_101)
        .ok_or_else(|| AppError::Internal("the curriculum is missing from the library".into()))?;
    let course = services
        .library
        .adopt(&Caller::system(), tenant.id, curriculum.0.id)
        .await?;
    services
        .courses
        .publish(&Caller::system(), tenant.id, course.id)
        .await?;
    if let Some(learner) = learner {
        let class = services
            .enrolments
            .create_cohort(&Caller::system(), tenant.id, "Demo Class".to_owned())
            .await?;
        services
            .enrolments
            .put_member(
                &Caller::system(),
                tenant.id,
                class.id,
                learner,
                CohortRole::Learner,
            )
            .await?;
        services.sim.seed_demo(tenant.id, learner, class.id).await?;
    }
    Ok(Some(DemoLogins { tenant, accounts }))
}
