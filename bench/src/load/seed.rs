//! The load run's tenant, written straight through the application services before the
//! server starts: a published course (the shipped "Financial Literacy 101"), an admin,
//! and N learners enrolled in it.
//!
//! Learners' passwords are hashed with light argon2 parameters (64 KiB, one pass), and
//! the server verifies a hash with the parameters stored in it. This is what lets ten
//! thousand accounts be created in seconds; it also means the "log in" row measures the
//! login path without the OWASP-strength hash, whose own cost (about 30–40 logins/s per
//! core here) is measured by `login_throughput` and bounds the login *rate*, not the
//! number of learners online.

use nexus_app::Caller;
use nexus_app::accounts::{CreateAccount, HashParams};
use nexus_app::learning::enrolment::Assignment;
use nexus_app::learning::library::FINANCIAL_LITERACY_101;
use nexus_domain::tenancy::Plan;
use nexus_domain::user::{Email, Password, Role};
use nexus_store::Database;
use std::sync::Arc;

/// The password every seeded account has.
pub const PASSWORD: &str = "correct-horse-battery-staple-42";

/// What the seed made.
pub struct Seeded {
    /// The tenant's slug.
    pub tenant: String,
    /// The course's ID.
    pub course: String,
    /// The admin's e-mail.
    pub admin: String,
}

fn account(email: &str, role: Role) -> CreateAccount {
    CreateAccount {
        email: Email::parse(email).unwrap(),
        display_name: "Load Learner".into(),
        role,
        password: Password::parse(PASSWORD).unwrap(),
    }
}

/// Seeds `learners` learners (numbered from 0) into a new tenant on `db`, which must be
/// migrated and empty. Prints progress, since 50,000 accounts take a while.
pub async fn seed(db: Arc<dyn Database>, learners: usize) -> Seeded {
    let s = crate::services_with(
        db,
        HashParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        },
    );
    let tenant = crate::bench_tenant(&s, Plan::Professional).await;
    let system = Caller::system();
    let library = s.library.seed_builtin().await.unwrap();
    let entry = library
        .iter()
        .find(|(e, _)| e.slug.as_str() == FINANCIAL_LITERACY_101)
        .expect("the shipped curriculum");
    let course = s
        .library
        .adopt(&system, tenant.id, entry.0.id)
        .await
        .unwrap();
    s.courses
        .publish(&system, tenant.id, course.id)
        .await
        .unwrap();
    let admin = "admin@load.example".to_owned();
    s.accounts
        .create(&system, tenant.id, account(&admin, Role::Admin))
        .await
        .unwrap();
    let began = std::time::Instant::now();
    let mut ids = Vec::with_capacity(learners);
    // Eight at a time: enough to keep both cores busy without a pool wait.
    for chunk in (0..learners).collect::<Vec<_>>().chunks(8) {
        let mut set = tokio::task::JoinSet::new();
        for &n in chunk {
            let s = s.clone();
            set.spawn(async move {
                let email = format!("learner{n}@load.example");
                s.accounts
                    .create(&Caller::system(), tenant.id, account(&email, Role::Learner))
                    .await
                    .unwrap()
                    .id
            });
        }
        while let Some(id) = set.join_next().await {
            ids.push(id.unwrap());
        }
        if ids.len() % 5_000 < 8 {
            eprintln!(
                "  seeded {} of {learners} learners ({:.0?})",
                ids.len(),
                began.elapsed()
            );
        }
    }
    for batch in ids.chunks(nexus_domain::learning::enrolment::MAX_BATCH) {
        s.enrolments
            .assign(
                &system,
                tenant.id,
                course.id,
                Assignment {
                    users: batch.to_vec(),
                    cohort: None,
                },
            )
            .await
            .unwrap();
    }
    eprintln!(
        "  seeded and enrolled {learners} learners in {:.0?}",
        began.elapsed()
    );
    Seeded {
        tenant: tenant.slug.as_str().to_owned(),
        course: course.id.to_string(),
        admin,
    }
}
