//! The contract suite: every store method, run against each backend.
//!
//! Each case takes a freshly migrated [`Database`] (or an empty [`CacheStore`]) and
//! panics on a broken contract. The server crate's integration tests instantiate every
//! case for SQLite, and for PostgreSQL and Redis when their test URLs are set, so a
//! second backend costs one line per case, not a second suite. [`DB_CASES`] and
//! [`CACHE_CASES`] list the cases so a backend cannot silently skip one.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::missing_panics_doc,
    clippy::assigning_clones,
    clippy::too_many_lines
)]

use crate::{CacheStore, Claim, Database, StoreError};
use nexus_domain::audit::{AuditEventId, AuditQuery, NewAuditEvent};
use nexus_domain::jobs::{JobId, JobQuery, JobState, LockToken, NewJob};
use nexus_domain::paging::{Order, PageRequest};
use nexus_domain::session::{NewSession, SessionId, ThrottleRule, hash_token};
use nexus_domain::tenancy::{
    Branding, DomainName, HexColour, NewTenant, Plan, TenantQuery, TenantSettings, TenantSlug,
    TenantSort, TenantStatus,
};
use nexus_domain::user::{Email, NewUser, PasswordHash, Role, UserQuery};
use nexus_domain::{Clock, ManualClock, TenantId, UserId};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// A boxed async case.
pub type DbCase = fn(Arc<dyn Database>) -> Pin<Box<dyn Future<Output = ()> + Send>>;
/// A boxed async cache case.
pub type CacheCase = fn(Arc<dyn CacheStore>) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Every database case, by name.
pub const DB_CASES: &[(&str, DbCase)] = &[
    ("migrations_are_idempotent", |db| {
        Box::pin(migrations_are_idempotent(db))
    }),
    ("tenant_create_get_find", |db| {
        Box::pin(tenant_create_get_find(db))
    }),
    ("tenant_slug_conflict", |db| {
        Box::pin(tenant_slug_conflict(db))
    }),
    ("tenant_update", |db| Box::pin(tenant_update(db))),
    ("tenant_list_filter_sort_page", |db| {
        Box::pin(tenant_list_filter_sort_page(db))
    }),
    ("tenant_domains", |db| Box::pin(tenant_domains(db))),
    ("user_create_get_find", |db| {
        Box::pin(user_create_get_find(db))
    }),
    ("user_email_unique_per_tenant", |db| {
        Box::pin(user_email_unique_per_tenant(db))
    }),
    ("user_tenant_isolation", |db| {
        Box::pin(user_tenant_isolation(db))
    }),
    ("user_requires_existing_tenant", |db| {
        Box::pin(user_requires_existing_tenant(db))
    }),
    ("user_list_filter_page", |db| {
        Box::pin(user_list_filter_page(db))
    }),
    ("job_enqueue_is_idempotent", |db| {
        Box::pin(job_enqueue_is_idempotent(db))
    }),
    ("job_enqueue_in_transaction", |db| {
        Box::pin(job_enqueue_in_transaction(db))
    }),
    ("job_claim_order_and_due_time", |db| {
        Box::pin(job_claim_order_and_due_time(db))
    }),
    ("job_claims_never_overlap", |db| {
        Box::pin(job_claims_never_overlap(db))
    }),
    ("job_complete_requires_the_claim", |db| {
        Box::pin(job_complete_requires_the_claim(db))
    }),
    ("job_fail_retries_then_dies", |db| {
        Box::pin(job_fail_retries_then_dies(db))
    }),
    ("job_release_and_reap", |db| {
        Box::pin(job_release_and_reap(db))
    }),
    ("job_admin_operations", |db| {
        Box::pin(job_admin_operations(db))
    }),
    ("lease_acquire_renew_takeover", |db| {
        Box::pin(lease_acquire_renew_takeover(db))
    }),
    ("audit_chain_append_list_verify", |db| {
        Box::pin(audit_chain_append_list_verify(db))
    }),
    ("audit_chains_are_per_tenant", |db| {
        Box::pin(audit_chains_are_per_tenant(db))
    }),
    ("audit_append_in_follows_the_transaction", |db| {
        Box::pin(audit_append_in_follows_the_transaction(db))
    }),
    ("audit_concurrent_appends_keep_the_chain", |db| {
        Box::pin(audit_concurrent_appends_keep_the_chain(db))
    }),
    ("session_lifecycle", |db| Box::pin(session_lifecycle(db))),
    ("session_tenant_isolation", |db| {
        Box::pin(session_tenant_isolation(db))
    }),
    ("throttle_windows_and_locks", |db| {
        Box::pin(throttle_windows_and_locks(db))
    }),
    ("role_store_lifecycle", |db| {
        Box::pin(role_store_lifecycle(db))
    }),
    ("mfa_store_lifecycle", |db| {
        Box::pin(mfa_store_lifecycle(db))
    }),
];

/// Every cache case, by name.
pub const CACHE_CASES: &[(&str, CacheCase)] = &[
    ("cache_set_get_delete", |c| {
        Box::pin(cache_set_get_delete(c))
    }),
    ("cache_expiry", |c| Box::pin(cache_expiry(c))),
    ("cache_ping", |c| Box::pin(cache_ping(c))),
];

fn clock() -> ManualClock {
    ManualClock::at_unix(1_780_000_000)
}

fn new_tenant(slug: &str, name: &str) -> NewTenant {
    NewTenant {
        slug: TenantSlug::parse(slug).unwrap(),
        name: name.to_owned(),
        plan: Plan::Standard,
        branding: Branding {
            display_name: name.to_owned(),
            logo_url: None,
            primary_colour: HexColour::default(),
        },
        settings: TenantSettings::default(),
    }
}

async fn add_tenant(db: &Arc<dyn Database>, c: &ManualClock, slug: &str, name: &str) -> TenantId {
    let id = TenantId::generate(c);
    db.tenants()
        .create(id, &new_tenant(slug, name), c.now())
        .await
        .unwrap();
    c.advance(time::Duration::seconds(1));
    id
}

fn new_user(email: &str, name: &str, role: Role) -> NewUser {
    NewUser {
        email: Email::parse(email).unwrap(),
        display_name: name.to_owned(),
        role,
        password_hash: PasswordHash::from_phc(
            "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA".to_owned(),
        ),
    }
}

async fn migrations_are_idempotent(db: Arc<dyn Database>) {
    assert!(db.is_migrated().await.unwrap());
    db.migrate().await.unwrap();
    assert!(db.is_migrated().await.unwrap());
    db.ping().await.unwrap();
    db.verify_setup().await.unwrap();
}

async fn tenant_create_get_find(db: Arc<dyn Database>) {
    let c = clock();
    let id = TenantId::generate(&c);
    let mut new = new_tenant("acme-bank", "Acme Bank");
    new.branding.logo_url = Some("https://cdn.example.com/acme.png".to_owned());
    new.settings.time_zone = "Europe/London".to_owned();
    let created = db.tenants().create(id, &new, c.now()).await.unwrap();
    assert_eq!(created.id, id);
    assert_eq!(created.status, TenantStatus::Active);
    assert_eq!(created.branding, new.branding);
    assert_eq!(created.settings.time_zone, "Europe/London");
    assert_eq!(created.created_at, c.now());
    assert!(created.domains.is_empty());
    assert_eq!(db.tenants().get(id).await.unwrap(), created);
    let by_slug = db.tenants().find_by_slug(&new.slug).await.unwrap().unwrap();
    assert_eq!(by_slug, created);
    assert!(
        db.tenants()
            .find_by_slug(&TenantSlug::parse("nobody").unwrap())
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        db.tenants().get(TenantId::generate(&c)).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(db.tenants().count().await.unwrap(), 1);
}

async fn tenant_slug_conflict(db: Arc<dyn Database>) {
    let c = clock();
    add_tenant(&db, &c, "dup", "First").await;
    let err = db
        .tenants()
        .create(
            TenantId::generate(&c),
            &new_tenant("dup", "Second"),
            c.now(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                constraint: "tenant_slug_key"
            }
        ),
        "{err:?}"
    );
    assert_eq!(db.tenants().count().await.unwrap(), 1);
}

async fn tenant_update(db: Arc<dyn Database>) {
    let c = clock();
    let id = add_tenant(&db, &c, "school", "School").await;
    let mut t = db.tenants().get(id).await.unwrap();
    t.name = "Renamed School".to_owned();
    t.status = TenantStatus::Suspended;
    t.plan = Plan::Enterprise;
    t.branding.primary_colour = HexColour::parse("#ff0000").unwrap();
    t.settings.locale = "pt-BR".to_owned();
    t.updated_at = c.now();
    db.tenants().update(&t).await.unwrap();
    assert_eq!(db.tenants().get(id).await.unwrap(), t);
    let mut ghost = t.clone();
    ghost.id = TenantId::generate(&c);
    assert!(matches!(
        db.tenants().update(&ghost).await,
        Err(StoreError::NotFound)
    ));
}

async fn tenant_list_filter_sort_page(db: Arc<dyn Database>) {
    let c = clock();
    for (slug, name) in [
        ("alpha", "Zeta College"),
        ("bravo", "Yankee Bank"),
        ("charlie", "X-Ray 50% School"),
    ] {
        add_tenant(&db, &c, slug, name).await;
    }
    let bravo = db
        .tenants()
        .find_by_slug(&TenantSlug::parse("bravo").unwrap())
        .await
        .unwrap()
        .unwrap();
    let mut suspended = bravo.clone();
    suspended.status = TenantStatus::Suspended;
    db.tenants().update(&suspended).await.unwrap();

    let slugs = |p: &nexus_domain::paging::Page<nexus_domain::tenancy::Tenant>| {
        p.items
            .iter()
            .map(|t| t.slug.to_string())
            .collect::<Vec<_>>()
    };
    let all = db.tenants().list(&TenantQuery::default()).await.unwrap();
    assert_eq!(slugs(&all), ["alpha", "bravo", "charlie"]);
    assert_eq!(all.total, 3);

    let by_name = db
        .tenants()
        .list(&TenantQuery {
            sort: TenantSort::Name,
            ..TenantQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(slugs(&by_name), ["charlie", "bravo", "alpha"]);

    let newest = TenantQuery {
        sort: TenantSort::CreatedAt,
        order: Order::Desc,
        ..TenantQuery::default()
    };
    assert_eq!(
        slugs(&db.tenants().list(&newest).await.unwrap()),
        ["charlie", "bravo", "alpha"]
    );

    let active = TenantQuery {
        status: Some(TenantStatus::Active),
        ..TenantQuery::default()
    };
    let page = db.tenants().list(&active).await.unwrap();
    assert_eq!(
        (slugs(&page), page.total),
        (vec!["alpha".to_owned(), "charlie".to_owned()], 2)
    );

    // Search is case-insensitive over slug and name, and `%` is literal.
    let q = |s: &str| TenantQuery {
        search: Some(s.to_owned()),
        ..TenantQuery::default()
    };
    assert_eq!(
        slugs(&db.tenants().list(&q("YANKEE")).await.unwrap()),
        ["bravo"]
    );
    assert_eq!(
        slugs(&db.tenants().list(&q("50%")).await.unwrap()),
        ["charlie"]
    );
    assert_eq!(db.tenants().list(&q("5_%")).await.unwrap().total, 0);

    let window = TenantQuery {
        page: PageRequest::new(Some(2), Some(1)).unwrap(),
        ..TenantQuery::default()
    };
    let page = db.tenants().list(&window).await.unwrap();
    assert_eq!(
        (slugs(&page), page.total, page.limit, page.offset),
        (vec!["bravo".to_owned(), "charlie".to_owned()], 3, 2, 1)
    );
}

async fn tenant_domains(db: Arc<dyn Database>) {
    let c = clock();
    let a = add_tenant(&db, &c, "tenant-a", "A").await;
    let b = add_tenant(&db, &c, "tenant-b", "B").await;
    let learn = DomainName::parse("learn.a.example").unwrap();
    let extra = DomainName::parse("academy.a.example").unwrap();
    db.tenants().add_domain(a, &learn, c.now()).await.unwrap();
    db.tenants().add_domain(a, &extra, c.now()).await.unwrap();
    let t = db.tenants().get(a).await.unwrap();
    assert_eq!(
        t.domains,
        vec![extra.clone(), learn.clone()],
        "domains come back sorted"
    );
    assert_eq!(
        db.tenants()
            .find_by_domain(&learn)
            .await
            .unwrap()
            .unwrap()
            .id,
        a
    );

    let err = db
        .tenants()
        .add_domain(b, &learn, c.now())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                constraint: "tenant_domain_domain_key"
            }
        ),
        "{err:?}"
    );
    let err = db
        .tenants()
        .add_domain(
            TenantId::generate(&c),
            &DomainName::parse("x.example").unwrap(),
            c.now(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");

    db.tenants().remove_domain(a, &learn).await.unwrap();
    assert!(db.tenants().find_by_domain(&learn).await.unwrap().is_none());
    assert!(matches!(
        db.tenants().remove_domain(a, &learn).await,
        Err(StoreError::NotFound)
    ));
    assert!(
        matches!(
            db.tenants().remove_domain(b, &extra).await,
            Err(StoreError::NotFound)
        ),
        "cannot remove another tenant's domain"
    );
    assert_eq!(db.tenants().get(a).await.unwrap().domains, vec![extra]);
}

async fn user_create_get_find(db: Arc<dyn Database>) {
    let c = clock();
    let t = add_tenant(&db, &c, "users", "Users").await;
    let id = UserId::generate(&c);
    let new = new_user("ada@example.com", "Ada", Role::Instructor);
    let u = db.users().create(t, id, &new, c.now()).await.unwrap();
    assert_eq!(
        (
            u.id,
            u.tenant_id,
            u.email.as_str(),
            u.display_name.as_str(),
            u.role
        ),
        (id, t, "ada@example.com", "Ada", Role::Instructor)
    );
    assert_eq!(u.created_at, c.now());
    assert_eq!(db.users().get(t, id).await.unwrap(), u);
    let (found, hash) = db
        .users()
        .find_by_email(t, &new.email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, u);
    assert_eq!(hash, new.password_hash);
    assert!(
        db.users()
            .find_by_email(t, &Email::parse("nobody@example.com").unwrap())
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        db.users().get(t, UserId::generate(&c)).await,
        Err(StoreError::NotFound)
    ));
}

async fn user_email_unique_per_tenant(db: Arc<dyn Database>) {
    let c = clock();
    let a = add_tenant(&db, &c, "uniq-a", "A").await;
    let b = add_tenant(&db, &c, "uniq-b", "B").await;
    let new = new_user("same@example.com", "Same", Role::Learner);
    db.users()
        .create(a, UserId::generate(&c), &new, c.now())
        .await
        .unwrap();
    db.users()
        .create(b, UserId::generate(&c), &new, c.now())
        .await
        .unwrap();
    let err = db
        .users()
        .create(a, UserId::generate(&c), &new, c.now())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                constraint: "app_user_email_key"
            }
        ),
        "{err:?}"
    );
}

async fn user_tenant_isolation(db: Arc<dyn Database>) {
    let c = clock();
    let a = add_tenant(&db, &c, "iso-a", "A").await;
    let b = add_tenant(&db, &c, "iso-b", "B").await;
    let ua = db
        .users()
        .create(
            a,
            UserId::generate(&c),
            &new_user("a@example.com", "A", Role::Learner),
            c.now(),
        )
        .await
        .unwrap();
    db.users()
        .create(
            b,
            UserId::generate(&c),
            &new_user("b@example.com", "B", Role::Learner),
            c.now(),
        )
        .await
        .unwrap();
    assert!(
        matches!(db.users().get(b, ua.id).await, Err(StoreError::NotFound)),
        "B cannot load A's user by id"
    );
    assert!(
        db.users()
            .find_by_email(b, &ua.email)
            .await
            .unwrap()
            .is_none(),
        "B cannot find A's user by e-mail"
    );
    let listed = db.users().list(b, &UserQuery::default()).await.unwrap();
    assert_eq!(listed.total, 1);
    assert!(listed.items.iter().all(|u| u.tenant_id == b));
}

async fn user_requires_existing_tenant(db: Arc<dyn Database>) {
    let c = clock();
    let err = db
        .users()
        .create(
            TenantId::generate(&c),
            UserId::generate(&c),
            &new_user("x@example.com", "X", Role::Admin),
            c.now(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                constraint: "tenant_fkey"
            }
        ),
        "{err:?}"
    );
}

async fn user_list_filter_page(db: Arc<dyn Database>) {
    let c = clock();
    let t = add_tenant(&db, &c, "listing", "Listing").await;
    for (email, name, role) in [
        ("carol@example.com", "Carol", Role::Learner),
        ("alice@example.com", "Alice", Role::Admin),
        ("bob@example.com", "Bob Instructor", Role::Instructor),
        ("dave@example.com", "Dave", Role::Learner),
    ] {
        db.users()
            .create(
                t,
                UserId::generate(&c),
                &new_user(email, name, role),
                c.now(),
            )
            .await
            .unwrap();
    }
    let emails = |p: &nexus_domain::paging::Page<nexus_domain::user::User>| {
        p.items
            .iter()
            .map(|u| u.email.as_str().to_owned())
            .collect::<Vec<_>>()
    };
    let all = db.users().list(t, &UserQuery::default()).await.unwrap();
    assert_eq!(
        emails(&all),
        [
            "alice@example.com",
            "bob@example.com",
            "carol@example.com",
            "dave@example.com"
        ]
    );
    let learners = db
        .users()
        .list(
            t,
            &UserQuery {
                role: Some(Role::Learner),
                order: Order::Desc,
                ..UserQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (emails(&learners), learners.total),
        (
            vec![
                "dave@example.com".to_owned(),
                "carol@example.com".to_owned()
            ],
            2
        )
    );
    let search = db
        .users()
        .list(
            t,
            &UserQuery {
                search: Some("instruct".to_owned()),
                ..UserQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(emails(&search), ["bob@example.com"]);
    let window = UserQuery {
        page: PageRequest::new(Some(1), Some(3)).unwrap(),
        ..UserQuery::default()
    };
    let page = db.users().list(t, &window).await.unwrap();
    assert_eq!(
        (emails(&page), page.total),
        (vec!["dave@example.com".to_owned()], 4)
    );
}

async fn cache_set_get_delete(cache: Arc<dyn CacheStore>) {
    let key = format!("contract:{}", uuid::Uuid::new_v4());
    assert_eq!(cache.get(&key).await.unwrap(), None);
    cache
        .set(&key, b"one", Duration::from_mins(1))
        .await
        .unwrap();
    assert_eq!(cache.get(&key).await.unwrap().as_deref(), Some(&b"one"[..]));
    cache
        .set(&key, b"two", Duration::from_mins(1))
        .await
        .unwrap();
    assert_eq!(cache.get(&key).await.unwrap().as_deref(), Some(&b"two"[..]));
    cache.delete(&key).await.unwrap();
    assert_eq!(cache.get(&key).await.unwrap(), None);
    cache.delete(&key).await.unwrap();
}

async fn cache_expiry(cache: Arc<dyn CacheStore>) {
    let key = format!("contract:{}", uuid::Uuid::new_v4());
    cache
        .set(&key, b"short", Duration::from_millis(150))
        .await
        .unwrap();
    assert!(cache.get(&key).await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        cache.get(&key).await.unwrap(),
        None,
        "entry outlived its TTL"
    );
}

async fn cache_ping(cache: Arc<dyn CacheStore>) {
    cache.ping().await.unwrap();
}

fn job(kind: &str, key: Option<&str>, run_at: time::OffsetDateTime) -> NewJob {
    NewJob {
        kind: kind.to_owned(),
        tenant: None,
        payload: serde_json::json!({ "n": 1 }),
        priority: 0,
        run_at,
        max_attempts: 3,
        idempotency_key: key.map(str::to_owned),
    }
}

fn claim(c: &ManualClock, limit: u32, visibility_secs: u64) -> Claim {
    Claim {
        lock: LockToken::generate(c),
        limit,
        now: c.now(),
        visibility: Duration::from_secs(visibility_secs),
    }
}

async fn job_enqueue_is_idempotent(db: Arc<dyn Database>) {
    let c = clock();
    let jobs = db.jobs();
    let first = jobs
        .enqueue(
            JobId::generate(&c),
            &job("mail.send", Some("welcome:1"), c.now()),
            c.now(),
        )
        .await
        .unwrap();
    assert!(first.created);
    let again = jobs
        .enqueue(
            JobId::generate(&c),
            &job("mail.send", Some("welcome:1"), c.now()),
            c.now(),
        )
        .await
        .unwrap();
    assert_eq!(
        (again.id, again.created),
        (first.id, false),
        "same kind and key: one job"
    );
    let other_kind = jobs
        .enqueue(
            JobId::generate(&c),
            &job("mail.digest", Some("welcome:1"), c.now()),
            c.now(),
        )
        .await
        .unwrap();
    assert!(
        other_kind.created && other_kind.id != first.id,
        "keys are per kind"
    );
    for _ in 0..2 {
        assert!(
            jobs.enqueue(
                JobId::generate(&c),
                &job("mail.send", None, c.now()),
                c.now()
            )
            .await
            .unwrap()
            .created
        );
    }
    assert_eq!(jobs.list(&JobQuery::default()).await.unwrap().total, 4);
    let stored = jobs.get(first.id).await.unwrap();
    assert_eq!(
        (stored.state, stored.attempts, stored.max_attempts),
        (JobState::Queued, 0, 3)
    );
    assert_eq!(stored.payload, serde_json::json!({ "n": 1 }));
    let mut orphan = job("mail.send", None, c.now());
    orphan.tenant = Some(TenantId::generate(&c));
    let err = jobs
        .enqueue(JobId::generate(&c), &orphan, c.now())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                constraint: "tenant_fkey"
            }
        ),
        "{err:?}"
    );
}

async fn job_enqueue_in_transaction(db: Arc<dyn Database>) {
    let c = clock();
    let t = add_tenant(&db, &c, "outbox", "Outbox").await;
    let jobs = db.jobs();

    // Rolled back: neither the user nor its job exists.
    let mut tx = db.begin(Some(t)).await.unwrap();
    let user = new_user("rolled@example.com", "Rolled", Role::Learner);
    db.users()
        .create_in(tx.as_mut(), t, UserId::generate(&c), &user, c.now())
        .await
        .unwrap();
    let mut welcome = job("mail.send", Some("welcome:rolled"), c.now());
    welcome.tenant = Some(t);
    let rolled = jobs
        .enqueue_in(tx.as_mut(), JobId::generate(&c), &welcome, c.now())
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert!(
        matches!(jobs.get(rolled.id).await, Err(StoreError::NotFound)),
        "a rolled-back transaction leaves no job"
    );
    assert_eq!(jobs.list(&JobQuery::default()).await.unwrap().total, 0);
    assert!(
        db.users()
            .find_by_email(t, &user.email)
            .await
            .unwrap()
            .is_none()
    );

    // Committed: both appear, and only after the commit.
    let mut tx = db.begin(Some(t)).await.unwrap();
    let user = new_user("kept@example.com", "Kept", Role::Learner);
    db.users()
        .create_in(tx.as_mut(), t, UserId::generate(&c), &user, c.now())
        .await
        .unwrap();
    let mut welcome = job("mail.send", Some("welcome:kept"), c.now());
    welcome.tenant = Some(t);
    let kept = jobs
        .enqueue_in(tx.as_mut(), JobId::generate(&c), &welcome, c.now())
        .await
        .unwrap();
    assert!(
        matches!(jobs.get(kept.id).await, Err(StoreError::NotFound)),
        "invisible before commit"
    );
    if db.backend() == "postgres" {
        // (On SQLite a claim is a write and would wait for this transaction's lock.)
        let claimed = jobs.claim(claim(&c, 10, 30)).await.unwrap();
        assert!(claimed.is_empty(), "workers cannot claim uncommitted jobs");
    }
    tx.commit().await.unwrap();
    assert_eq!(jobs.get(kept.id).await.unwrap().tenant, Some(t));
    assert!(
        db.users()
            .find_by_email(t, &user.email)
            .await
            .unwrap()
            .is_some()
    );
}

async fn job_claim_order_and_due_time(db: Arc<dyn Database>) {
    let c = clock();
    let jobs = db.jobs();
    let at = |secs: i64| c.now() + time::Duration::seconds(secs);
    let enqueue = |kind: &'static str, priority: i16, run_at| {
        let jobs = jobs.clone();
        let mut j = job(kind, None, run_at);
        j.priority = priority;
        let (id, now) = (JobId::generate(&c), c.now());
        async move { jobs.enqueue(id, &j, now).await.unwrap().id }
    };
    let old_low = enqueue("a.old_low", 0, at(-30)).await;
    let new_high = enqueue("a.new_high", 5, at(-1)).await;
    let new_low = enqueue("a.new_low", 0, at(-2)).await;
    let future = enqueue("a.future", 9, at(60)).await;

    let first = jobs.claim(claim(&c, 1, 30)).await.unwrap();
    assert_eq!(
        first.iter().map(|j| j.id).collect::<Vec<_>>(),
        [new_high],
        "highest priority first"
    );
    let j = &first[0];
    assert_eq!((j.state, j.attempts), (JobState::Running, 1));
    assert_eq!(j.locked_until, Some(c.now() + time::Duration::seconds(30)));
    let next = jobs.claim(claim(&c, 1, 30)).await.unwrap();
    assert_eq!(next[0].id, old_low, "then the oldest due");
    let rest = jobs.claim(claim(&c, 10, 30)).await.unwrap();
    assert_eq!(
        rest.iter().map(|j| j.id).collect::<Vec<_>>(),
        [new_low],
        "future jobs are not due"
    );
    c.advance(time::Duration::seconds(61));
    assert_eq!(jobs.claim(claim(&c, 10, 30)).await.unwrap()[0].id, future);
    assert!(jobs.claim(claim(&c, 10, 30)).await.unwrap().is_empty());
}

async fn job_claims_never_overlap(db: Arc<dyn Database>) {
    let c = clock();
    let jobs = db.jobs();
    for i in 0..60 {
        jobs.enqueue(
            JobId::generate(&c),
            &job("load.item", Some(&i.to_string()), c.now()),
            c.now(),
        )
        .await
        .unwrap();
    }
    let claimers = (0..4).map(|_| {
        let jobs = jobs.clone();
        let cl = claim(&c, 20, 30);
        tokio::spawn(async move { jobs.claim(cl).await.unwrap() })
    });
    let mut ids = Vec::new();
    for h in claimers {
        ids.extend(h.await.unwrap().into_iter().map(|j| j.id));
    }
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(ids.len(), 60, "every job claimed");
    assert_eq!(unique.len(), 60, "no job claimed twice");
}

async fn job_complete_requires_the_claim(db: Arc<dyn Database>) {
    let c = clock();
    let jobs = db.jobs();
    let id = jobs
        .enqueue(JobId::generate(&c), &job("x.y", None, c.now()), c.now())
        .await
        .unwrap()
        .id;
    let cl = claim(&c, 1, 30);
    jobs.claim(cl).await.unwrap();
    assert_eq!(
        jobs.complete(&[(id, LockToken::generate(&c))], c.now())
            .await
            .unwrap(),
        0,
        "a stranger cannot complete it"
    );
    assert!(
        !jobs
            .fail(id, LockToken::generate(&c), "nope", None, c.now())
            .await
            .unwrap()
    );
    c.advance(time::Duration::seconds(2));
    assert_eq!(jobs.complete(&[(id, cl.lock)], c.now()).await.unwrap(), 1);
    let done = jobs.get(id).await.unwrap();
    assert_eq!(
        (done.state, done.finished_at, done.locked_until),
        (JobState::Succeeded, Some(c.now()), None)
    );
    assert_eq!(
        jobs.complete(&[(id, cl.lock)], c.now()).await.unwrap(),
        0,
        "completing twice does nothing"
    );
}

async fn job_fail_retries_then_dies(db: Arc<dyn Database>) {
    let c = clock();
    let jobs = db.jobs();
    let mut j = job("flaky.task", None, c.now());
    j.max_attempts = 2;
    let id = jobs
        .enqueue(JobId::generate(&c), &j, c.now())
        .await
        .unwrap()
        .id;
    let cl = claim(&c, 1, 30);
    jobs.claim(cl).await.unwrap();
    let retry_at = c.now() + time::Duration::seconds(10);
    assert!(
        jobs.fail(id, cl.lock, "boom 1", Some(retry_at), c.now())
            .await
            .unwrap()
    );
    let queued = jobs.get(id).await.unwrap();
    assert_eq!(
        (queued.state, queued.run_at, queued.last_error.as_deref()),
        (JobState::Queued, retry_at, Some("boom 1"))
    );
    assert!(
        jobs.claim(claim(&c, 1, 30)).await.unwrap().is_empty(),
        "not before its backoff"
    );
    c.advance(time::Duration::seconds(10));
    let cl = claim(&c, 1, 30);
    assert_eq!(jobs.claim(cl).await.unwrap()[0].attempts, 2);
    assert!(
        jobs.fail(id, cl.lock, "boom 2", None, c.now())
            .await
            .unwrap()
    );
    let dead = jobs.get(id).await.unwrap();
    assert_eq!(
        (dead.state, dead.last_error.as_deref(), dead.finished_at),
        (JobState::Dead, Some("boom 2"), Some(c.now()))
    );
}

async fn job_release_and_reap(db: Arc<dyn Database>) {
    let c = clock();
    let jobs = db.jobs();
    let id = jobs
        .enqueue(
            JobId::generate(&c),
            &job("x.release", None, c.now()),
            c.now(),
        )
        .await
        .unwrap()
        .id;
    let cl = claim(&c, 1, 10);
    jobs.claim(cl).await.unwrap();
    assert_eq!(jobs.release(&[(id, cl.lock)], c.now()).await.unwrap(), 1);
    let back = jobs.get(id).await.unwrap();
    assert_eq!(
        (back.state, back.attempts),
        (JobState::Queued, 0),
        "a released claim is not an attempt"
    );

    let second = claim(&c, 1, 10);
    jobs.claim(second).await.unwrap();
    let mut fragile = job("x.fragile", None, c.now());
    fragile.max_attempts = 1;
    let fragile = jobs
        .enqueue(JobId::generate(&c), &fragile, c.now())
        .await
        .unwrap()
        .id;
    jobs.claim(claim(&c, 1, 10)).await.unwrap();
    c.advance(time::Duration::seconds(5));
    assert_eq!(
        jobs.reap_expired(c.now()).await.unwrap(),
        (0, 0),
        "claims still valid"
    );
    // A heartbeat keeps the first claim alive; a stranger's lock extends nothing.
    let extended = c.now() + time::Duration::seconds(60);
    assert_eq!(
        jobs.extend(&[(fragile, LockToken::generate(&c))], extended)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        jobs.extend(&[(id, second.lock)], extended).await.unwrap(),
        1
    );
    assert_eq!(jobs.get(id).await.unwrap().locked_until, Some(extended));
    c.advance(time::Duration::seconds(6));
    assert_eq!(
        jobs.reap_expired(c.now()).await.unwrap(),
        (0, 1),
        "the extended claim survives"
    );
    assert_eq!(
        jobs.get(fragile).await.unwrap().state,
        JobState::Dead,
        "no attempts left"
    );
    c.advance(time::Duration::seconds(60));
    assert_eq!(jobs.reap_expired(c.now()).await.unwrap(), (1, 0));
    let requeued = jobs.get(id).await.unwrap();
    assert_eq!((requeued.state, requeued.attempts), (JobState::Queued, 1));
    assert!(requeued.last_error.unwrap().contains("claim expired"));
    assert_eq!(
        jobs.claim(claim(&c, 5, 10)).await.unwrap()[0].id,
        id,
        "the requeued job runs again"
    );
}

async fn job_admin_operations(db: Arc<dyn Database>) {
    let c = clock();
    let jobs = db.jobs();
    let t = add_tenant(&db, &c, "jobs-admin", "Jobs").await;
    let a = jobs
        .enqueue(JobId::generate(&c), &job("k.one", None, c.now()), c.now())
        .await
        .unwrap()
        .id;
    c.advance(time::Duration::seconds(1));
    let mut tj = job("k.two", None, c.now());
    tj.tenant = Some(t);
    tj.max_attempts = 1;
    let b = jobs
        .enqueue(JobId::generate(&c), &tj, c.now())
        .await
        .unwrap()
        .id;

    assert_eq!(
        jobs.cancel(a, c.now()).await.unwrap().state,
        JobState::Cancelled
    );
    assert!(
        matches!(jobs.cancel(a, c.now()).await, Err(StoreError::NotFound)),
        "only queued jobs cancel"
    );
    let retried = jobs.retry(a, c.now()).await.unwrap();
    assert_eq!(
        (retried.state, retried.attempts, retried.finished_at),
        (JobState::Queued, 0, None)
    );
    assert!(
        matches!(jobs.retry(a, c.now()).await, Err(StoreError::NotFound)),
        "queued jobs need no retry"
    );

    let cl = Claim {
        lock: LockToken::generate(&c),
        limit: 10,
        now: c.now(),
        visibility: Duration::from_secs(30),
    };
    jobs.claim(cl).await.unwrap();
    jobs.fail(b, cl.lock, "gave up", None, c.now())
        .await
        .unwrap();
    let stats = jobs.stats(c.now()).await.unwrap();
    let two = stats.iter().find(|s| s.kind == "k.two").unwrap();
    assert_eq!((two.queued, two.running, two.dead), (0, 0, 1));
    let one = stats.iter().find(|s| s.kind == "k.one").unwrap();
    assert_eq!((one.queued, one.running), (0, 1));

    let page = jobs.list(&JobQuery::default()).await.unwrap();
    assert_eq!(
        page.items.iter().map(|j| j.id).collect::<Vec<_>>(),
        [b, a],
        "newest first"
    );
    let dead = jobs
        .list(&JobQuery {
            state: Some(JobState::Dead),
            ..JobQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(dead.items.iter().map(|j| j.id).collect::<Vec<_>>(), [b]);
    let of_tenant = jobs
        .list(&JobQuery {
            tenant: Some(t),
            ..JobQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(of_tenant.total, 1);
    let of_kind = jobs
        .list(&JobQuery {
            kind: Some("k.one".into()),
            ..JobQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(of_kind.items[0].id, a);

    jobs.complete(&[(a, cl.lock)], c.now()).await.unwrap();
    assert_eq!(jobs.purge_dead().await.unwrap(), 1);
    assert_eq!(
        jobs.purge_finished(c.now()).await.unwrap(),
        0,
        "finished exactly now: kept"
    );
    assert_eq!(
        jobs.purge_finished(c.now() + time::Duration::seconds(1))
            .await
            .unwrap(),
        1
    );
    assert_eq!(jobs.list(&JobQuery::default()).await.unwrap().total, 0);
}

async fn lease_acquire_renew_takeover(db: Arc<dyn Database>) {
    let c = clock();
    let leases = db.leases();
    let ttl = Duration::from_secs(10);
    assert!(
        leases
            .try_acquire("market.tick", "node-a", ttl, c.now())
            .await
            .unwrap()
    );
    assert!(
        !leases
            .try_acquire("market.tick", "node-b", ttl, c.now())
            .await
            .unwrap(),
        "held by a"
    );
    assert!(
        leases
            .try_acquire("other.loop", "node-b", ttl, c.now())
            .await
            .unwrap(),
        "names are independent"
    );
    c.advance(time::Duration::seconds(8));
    assert!(
        leases
            .try_acquire("market.tick", "node-a", ttl, c.now())
            .await
            .unwrap(),
        "renewal"
    );
    c.advance(time::Duration::seconds(8));
    assert!(
        !leases
            .try_acquire("market.tick", "node-b", ttl, c.now())
            .await
            .unwrap(),
        "renewal extended the lease"
    );
    assert_eq!(
        leases
            .holder("market.tick", c.now())
            .await
            .unwrap()
            .as_deref(),
        Some("node-a")
    );
    c.advance(time::Duration::seconds(11));
    assert_eq!(
        leases.holder("market.tick", c.now()).await.unwrap(),
        None,
        "expired"
    );
    assert!(
        leases
            .try_acquire("market.tick", "node-b", ttl, c.now())
            .await
            .unwrap(),
        "takeover after expiry"
    );
    assert!(
        !leases
            .try_acquire("market.tick", "node-a", ttl, c.now())
            .await
            .unwrap(),
        "the old holder lost it"
    );
    leases.release("market.tick", "node-a").await.unwrap();
    assert_eq!(
        leases
            .holder("market.tick", c.now())
            .await
            .unwrap()
            .as_deref(),
        Some("node-b"),
        "only the holder releases"
    );
    leases.release("market.tick", "node-b").await.unwrap();
    assert!(
        leases
            .try_acquire("market.tick", "node-a", ttl, c.now())
            .await
            .unwrap()
    );
}

fn audit_event(tenant: Option<TenantId>, actor: &str, action: &str) -> NewAuditEvent {
    NewAuditEvent {
        tenant,
        actor: actor.to_owned(),
        action: action.to_owned(),
        target: "tenant:x".to_owned(),
        ip: Some("203.0.113.7".to_owned()),
        user_agent: Some("contract/1".to_owned()),
        request_id: Some("req-1".to_owned()),
        diff: Some(serde_json::json!({ "before": { "name": "A" }, "after": { "name": "B" } })),
    }
}

fn all_events(limit: u32) -> AuditQuery {
    AuditQuery {
        limit,
        ..AuditQuery::default()
    }
}

async fn audit_chain_append_list_verify(db: Arc<dyn Database>) {
    let c = clock();
    let t = add_tenant(&db, &c, "audited", "Audited").await;
    let audit = db.audit();
    let actions = [
        "auth.login",
        "auth.login_failed",
        "user.update",
        "auth.logout",
    ];
    for (i, action) in actions.iter().enumerate() {
        let actor = if i % 2 == 0 { "user:a" } else { "anonymous" };
        let e = audit
            .append(
                audit_event(Some(t), actor, action),
                AuditEventId::generate(&c),
                c.now(),
            )
            .await
            .unwrap();
        assert_eq!(e.seq, i64::try_from(i).unwrap() + 1);
        c.advance(time::Duration::seconds(10));
    }
    let events = audit
        .list(
            Some(t),
            &AuditQuery {
                order: Order::Asc,
                ..all_events(100)
            },
        )
        .await
        .unwrap();
    assert_eq!(
        events.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        actions
    );
    let head = audit.head(Some(t)).await.unwrap().unwrap();
    assert_eq!(
        nexus_domain::audit::verify(&t.to_string(), &events, Some((head.0, &head.1))),
        Ok(4)
    );
    let e = &events[2];
    assert_eq!(
        (
            e.ip.as_deref(),
            e.user_agent.as_deref(),
            e.request_id.as_deref()
        ),
        (Some("203.0.113.7"), Some("contract/1"), Some("req-1"))
    );
    assert_eq!(
        e.diff.as_deref(),
        Some(r#"{"after":{"name":"B"},"before":{"name":"A"}}"#)
    );

    // Filters and cursor paging.
    let auth = audit
        .list(
            Some(t),
            &AuditQuery {
                action: Some("auth.".into()),
                order: Order::Asc,
                ..all_events(100)
            },
        )
        .await
        .unwrap();
    assert_eq!(auth.len(), 3);
    let exact = audit
        .list(
            Some(t),
            &AuditQuery {
                action: Some("auth.login".into()),
                ..all_events(100)
            },
        )
        .await
        .unwrap();
    assert_eq!(exact.len(), 1);
    let by_actor = audit
        .list(
            Some(t),
            &AuditQuery {
                actor: Some("anonymous".into()),
                ..all_events(100)
            },
        )
        .await
        .unwrap();
    assert_eq!(
        by_actor.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [4, 2],
        "newest first by default"
    );
    let window = AuditQuery {
        from: Some(events[1].occurred_at),
        to: Some(events[3].occurred_at),
        order: Order::Asc,
        ..all_events(100)
    };
    assert_eq!(
        audit
            .list(Some(t), &window)
            .await
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect::<Vec<_>>(),
        [2, 3]
    );
    let page1 = audit.list(Some(t), &all_events(3)).await.unwrap();
    assert_eq!(page1.iter().map(|e| e.seq).collect::<Vec<_>>(), [4, 3, 2]);
    let page2 = audit
        .list(
            Some(t),
            &AuditQuery {
                after_seq: Some(2),
                ..all_events(3)
            },
        )
        .await
        .unwrap();
    assert_eq!(page2.iter().map(|e| e.seq).collect::<Vec<_>>(), [1]);
}

async fn audit_chains_are_per_tenant(db: Arc<dyn Database>) {
    let c = clock();
    let a = add_tenant(&db, &c, "chain-a", "A").await;
    let b = add_tenant(&db, &c, "chain-b", "B").await;
    let audit = db.audit();
    for tenant in [Some(a), Some(a), Some(b), None] {
        audit
            .append(
                audit_event(tenant, "platform", "tenant.update"),
                AuditEventId::generate(&c),
                c.now(),
            )
            .await
            .unwrap();
    }
    let seqs = |v: Vec<nexus_domain::audit::AuditEvent>| {
        v.iter().map(|e| (e.tenant, e.seq)).collect::<Vec<_>>()
    };
    assert_eq!(
        seqs(audit.list(Some(a), &all_events(10)).await.unwrap()),
        [(Some(a), 2), (Some(a), 1)]
    );
    assert_eq!(
        seqs(audit.list(Some(b), &all_events(10)).await.unwrap()),
        [(Some(b), 1)],
        "each tenant has its own chain"
    );
    assert_eq!(
        seqs(audit.list(None, &all_events(10)).await.unwrap()),
        [(None, 1)]
    );
    let mut chains = audit.chains().await.unwrap();
    chains.sort();
    let mut expected = vec![None, Some(a), Some(b)];
    expected.sort();
    assert_eq!(chains, expected);
    assert_eq!(audit.head(Some(b)).await.unwrap().map(|h| h.0), Some(1));
    assert_eq!(
        audit.head(Some(TenantId::generate(&c))).await.unwrap(),
        None
    );
}

async fn audit_append_in_follows_the_transaction(db: Arc<dyn Database>) {
    let c = clock();
    let t = add_tenant(&db, &c, "audit-tx", "Tx").await;
    let audit = db.audit();
    audit
        .append(
            audit_event(Some(t), "user:a", "first"),
            AuditEventId::generate(&c),
            c.now(),
        )
        .await
        .unwrap();
    let mut tx = db.begin(Some(t)).await.unwrap();
    audit
        .append_in(
            tx.as_mut(),
            audit_event(Some(t), "user:a", "rolled.back"),
            AuditEventId::generate(&c),
            c.now(),
        )
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(
        audit.head(Some(t)).await.unwrap().unwrap().0,
        1,
        "a rolled-back record leaves the chain as it was"
    );
    let mut tx = db.begin(Some(t)).await.unwrap();
    let e = audit
        .append_in(
            tx.as_mut(),
            audit_event(Some(t), "user:a", "committed"),
            AuditEventId::generate(&c),
            c.now(),
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(e.seq, 2);
    let events = audit
        .list(
            Some(t),
            &AuditQuery {
                order: Order::Asc,
                ..all_events(10)
            },
        )
        .await
        .unwrap();
    let head = audit.head(Some(t)).await.unwrap().unwrap();
    assert_eq!(
        nexus_domain::audit::verify(&t.to_string(), &events, Some((head.0, &head.1))),
        Ok(2)
    );
}

async fn audit_concurrent_appends_keep_the_chain(db: Arc<dyn Database>) {
    let c = clock();
    let t = add_tenant(&db, &c, "audit-race", "Race").await;
    let writers = (0..8).map(|i| {
        let audit = db.audit();
        let (id, at) = (AuditEventId::generate(&c), c.now());
        tokio::spawn(async move {
            audit
                .append(audit_event(Some(t), &format!("user:{i}"), "race"), id, at)
                .await
                .unwrap()
        })
    });
    for w in writers {
        w.await.unwrap();
    }
    let audit = db.audit();
    let events = audit
        .list(
            Some(t),
            &AuditQuery {
                order: Order::Asc,
                ..all_events(100)
            },
        )
        .await
        .unwrap();
    let head = audit.head(Some(t)).await.unwrap().unwrap();
    assert_eq!(
        nexus_domain::audit::verify(&t.to_string(), &events, Some((head.0, &head.1))),
        Ok(8)
    );
}

fn new_session(c: &ManualClock, user: UserId, token: &str) -> NewSession {
    NewSession {
        id: SessionId::generate(c),
        user,
        token_hash: hash_token(token),
        csrf_hash: hash_token(&format!("csrf-{token}")),
        created_at: c.now(),
        expires_at: c.now() + time::Duration::hours(12),
        idle_timeout: Duration::from_mins(30),
        ip: Some("198.51.100.4".into()),
        user_agent: Some("contract".into()),
        mfa_state: nexus_domain::mfa::MfaState::None,
    }
}

async fn session_user(db: &Arc<dyn Database>, c: &ManualClock, slug: &str) -> (TenantId, UserId) {
    let t = add_tenant(db, c, slug, slug).await;
    let u = db
        .users()
        .create(
            t,
            UserId::generate(c),
            &new_user(&format!("s@{slug}.example"), "S", Role::Learner),
            c.now(),
        )
        .await
        .unwrap();
    (t, u.id)
}

async fn session_lifecycle(db: Arc<dyn Database>) {
    let c = clock();
    let (t, u) = session_user(&db, &c, "sessions").await;
    let sessions = db.sessions();
    let first = sessions
        .create(t, &new_session(&c, u, "tok-1"))
        .await
        .unwrap();
    c.advance(time::Duration::seconds(5));
    let second = sessions
        .create(t, &new_session(&c, u, "tok-2"))
        .await
        .unwrap();
    assert_eq!(
        (first.user, first.tenant, first.idle_timeout_secs),
        (u, t, 1800)
    );
    assert_eq!(first.last_seen_at, first.created_at);
    let found = sessions
        .find_by_token_hash(t, &hash_token("tok-1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, first);
    assert!(
        sessions
            .find_by_token_hash(t, &hash_token("nope"))
            .await
            .unwrap()
            .is_none()
    );

    c.advance(time::Duration::minutes(10));
    sessions.touch(t, first.id, c.now()).await.unwrap();
    sessions
        .touch(t, first.id, c.now() - time::Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(
        sessions
            .find_by_token_hash(t, &hash_token("tok-1"))
            .await
            .unwrap()
            .unwrap()
            .last_seen_at,
        c.now(),
        "touch never goes back"
    );

    let live = sessions.list_for_user(t, u, c.now()).await.unwrap();
    assert_eq!(
        live.iter().map(|s| s.id).collect::<Vec<_>>(),
        [second.id, first.id],
        "newest first"
    );
    // `second` was last used 10 minutes ago: 25 minutes later it is idle, `first` is not.
    c.advance(time::Duration::minutes(25));
    assert_eq!(
        sessions
            .list_for_user(t, u, c.now())
            .await
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect::<Vec<_>>(),
        [first.id]
    );

    let stranger = UserId::generate(&c);
    assert!(
        matches!(
            sessions.revoke(t, first.id, Some(stranger), c.now()).await,
            Err(StoreError::NotFound)
        ),
        "only the owner"
    );
    assert_eq!(
        sessions
            .revoke(t, first.id, Some(u), c.now())
            .await
            .unwrap(),
        hash_token("tok-1")
    );
    assert!(
        sessions
            .find_by_token_hash(t, &hash_token("tok-1"))
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_some()
    );
    assert!(
        matches!(
            sessions.revoke(t, first.id, None, c.now()).await,
            Err(StoreError::NotFound)
        ),
        "already revoked"
    );
    let third = sessions
        .create(t, &new_session(&c, u, "tok-3"))
        .await
        .unwrap();
    let mut hashes = sessions.revoke_all(t, u, c.now()).await.unwrap();
    hashes.sort();
    let mut expected = vec![hash_token("tok-2"), hash_token("tok-3")];
    expected.sort();
    assert_eq!(hashes, expected);
    assert!(
        sessions
            .list_for_user(t, u, c.now())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(third.user, u);

    assert_eq!(
        sessions.purge_ended(t, c.now()).await.unwrap(),
        1,
        "only the session that went idle earlier; those revoked just now are kept"
    );
    assert_eq!(
        sessions
            .purge_ended(t, c.now() + time::Duration::seconds(1))
            .await
            .unwrap(),
        2
    );
}

async fn session_tenant_isolation(db: Arc<dyn Database>) {
    let c = clock();
    let (a, ua) = session_user(&db, &c, "sess-a").await;
    let (b, _) = session_user(&db, &c, "sess-b").await;
    let s = db
        .sessions()
        .create(a, &new_session(&c, ua, "tok-a"))
        .await
        .unwrap();
    assert!(
        db.sessions()
            .find_by_token_hash(b, &hash_token("tok-a"))
            .await
            .unwrap()
            .is_none(),
        "another tenant's token is unknown"
    );
    assert!(matches!(
        db.sessions().revoke(b, s.id, None, c.now()).await,
        Err(StoreError::NotFound)
    ));
    assert!(
        db.sessions()
            .list_for_user(b, ua, c.now())
            .await
            .unwrap()
            .is_empty()
    );
}

async fn throttle_windows_and_locks(db: Arc<dyn Database>) {
    let c = clock();
    let t = add_tenant(&db, &c, "throttled", "Throttled").await;
    let other = add_tenant(&db, &c, "throttled-2", "Other").await;
    let th = db.throttles();
    let rule = ThrottleRule {
        window: Duration::from_mins(5),
        threshold: 3,
        lock_for: Duration::from_mins(15),
    };
    let key = "acct:victim@example.com";
    for n in 1..=2 {
        let st = th.record_failure(t, key, rule, c.now()).await.unwrap();
        assert_eq!((st.failures, st.locked_until), (n, None));
        c.advance(time::Duration::seconds(10));
    }
    let locked = th.record_failure(t, key, rule, c.now()).await.unwrap();
    assert_eq!(
        (locked.failures, locked.locked_until),
        (3, Some(c.now() + time::Duration::seconds(900)))
    );
    assert_eq!(
        th.locked_until(t, key, c.now()).await.unwrap(),
        locked.locked_until
    );
    assert_eq!(
        th.locked_until(other, key, c.now()).await.unwrap(),
        None,
        "per tenant"
    );
    assert_eq!(
        th.locked_until(t, "acct:someone-else", c.now())
            .await
            .unwrap(),
        None,
        "per key"
    );

    // A new window restarts the count, but an active lock stays until it ends.
    c.advance(time::Duration::seconds(301));
    let st = th.record_failure(t, key, rule, c.now()).await.unwrap();
    assert_eq!(st.failures, 1);
    assert_eq!(st.locked_until, locked.locked_until);
    c.advance(time::Duration::seconds(600));
    assert_eq!(
        th.locked_until(t, key, c.now()).await.unwrap(),
        None,
        "the lock expired"
    );

    th.reset(t, key).await.unwrap();
    assert_eq!(
        th.record_failure(t, key, rule, c.now())
            .await
            .unwrap()
            .failures,
        1,
        "reset clears the count"
    );
    assert_eq!(
        th.purge_stale(t, c.now()).await.unwrap(),
        0,
        "window still open"
    );
    assert_eq!(
        th.purge_stale(t, c.now() + time::Duration::seconds(1))
            .await
            .unwrap(),
        1
    );
}

async fn role_store_lifecycle(db: Arc<dyn Database>) {
    use nexus_domain::access::{CustomRole, CustomRoleId, Permission};
    let c = clock();
    let (t, u) = session_user(&db, &c, "roles").await;
    let (other, other_user) = session_user(&db, &c, "roles-2").await;
    let roles = db.roles();
    let coach = CustomRole {
        id: CustomRoleId::generate(&c),
        name: "Coach".into(),
        description: "Runs study groups".into(),
        permissions: [Permission::CourseRead, Permission::ReportRead].into(),
    };
    roles.create(t, &coach, c.now()).await.unwrap();
    let dup = CustomRole {
        id: CustomRoleId::generate(&c),
        ..coach.clone()
    };
    let err = roles.create(t, &dup, c.now()).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                constraint: "tenant_role_name_key"
            }
        ),
        "{err:?}"
    );
    roles.create(other, &dup, c.now()).await.unwrap();
    assert_eq!(roles.list(t).await.unwrap(), vec![coach.clone()]);
    assert_eq!(roles.get(t, coach.id).await.unwrap(), coach);
    assert!(
        matches!(roles.get(other, coach.id).await, Err(StoreError::NotFound)),
        "per tenant"
    );

    let mut renamed = coach.clone();
    renamed.name = "Study coach".into();
    renamed.permissions.insert(Permission::CourseWrite);
    roles.update(t, &renamed, c.now()).await.unwrap();
    assert_eq!(roles.get(t, coach.id).await.unwrap(), renamed);
    let ghost = CustomRole {
        id: CustomRoleId::generate(&c),
        ..renamed.clone()
    };
    assert!(matches!(
        roles.update(t, &ghost, c.now()).await,
        Err(StoreError::NotFound)
    ));

    let key = format!("custom:{}", coach.id);
    roles
        .set_grants(t, u, &[key.clone(), "auditor".into()], c.now())
        .await
        .unwrap();
    let mut expected = vec!["auditor".to_owned(), key.clone()];
    expected.sort();
    assert_eq!(roles.grants(t, u).await.unwrap(), expected);
    assert!(roles.grants(other, other_user).await.unwrap().is_empty());
    roles
        .set_grants(t, u, std::slice::from_ref(&key), c.now())
        .await
        .unwrap();
    assert_eq!(
        roles.grants(t, u).await.unwrap(),
        vec![key.clone()],
        "grants are replaced, not merged"
    );

    roles.delete(t, coach.id).await.unwrap();
    assert!(
        roles.grants(t, u).await.unwrap().is_empty(),
        "deleting a role removes its grants"
    );
    assert!(matches!(
        roles.get(t, coach.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        roles.delete(t, coach.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        roles.list(other).await.unwrap().len(),
        1,
        "the other tenant's role is untouched"
    );
}

async fn mfa_store_lifecycle(db: Arc<dyn Database>) {
    use nexus_domain::mfa::MfaState;
    let c = clock();
    let (t, u) = session_user(&db, &c, "mfa").await;
    let (other, _) = session_user(&db, &c, "mfa-2").await;
    let mfa = db.mfa();
    assert!(mfa.totp(t, u).await.unwrap().is_none());
    mfa.put_totp(t, u, "SECRETONE", c.now()).await.unwrap();
    let rec = mfa.totp(t, u).await.unwrap().unwrap();
    assert_eq!(
        (rec.secret.as_str(), rec.confirmed_at, rec.last_used_step),
        ("SECRETONE", None, None)
    );
    assert!(mfa.totp(other, u).await.unwrap().is_none(), "per tenant");
    assert!(mfa.use_totp_step(t, u, 100).await.unwrap());
    assert!(
        !mfa.use_totp_step(t, u, 100).await.unwrap(),
        "a step is used once"
    );
    assert!(
        !mfa.use_totp_step(t, u, 99).await.unwrap(),
        "never an earlier one"
    );
    assert!(mfa.use_totp_step(t, u, 101).await.unwrap());
    mfa.confirm_totp(t, u, c.now()).await.unwrap();
    assert_eq!(
        mfa.totp(t, u).await.unwrap().unwrap().confirmed_at,
        Some(c.now())
    );
    mfa.put_totp(t, u, "SECRETTWO", c.now()).await.unwrap();
    let again = mfa.totp(t, u).await.unwrap().unwrap();
    assert_eq!(
        (
            again.secret.as_str(),
            again.confirmed_at,
            again.last_used_step
        ),
        ("SECRETTWO", None, None),
        "re-enrolment starts over"
    );

    let hashes: Vec<String> = (0..3).map(|i| hash_token(&format!("code-{i}"))).collect();
    mfa.replace_recovery_codes(t, u, &hashes, c.now())
        .await
        .unwrap();
    assert_eq!(mfa.recovery_codes_left(t, u).await.unwrap(), 3);
    assert!(
        mfa.use_recovery_code(t, u, &hashes[1], c.now())
            .await
            .unwrap()
    );
    assert!(
        !mfa.use_recovery_code(t, u, &hashes[1], c.now())
            .await
            .unwrap(),
        "single use"
    );
    assert!(
        !mfa.use_recovery_code(other, u, &hashes[0], c.now())
            .await
            .unwrap(),
        "per tenant"
    );
    assert_eq!(mfa.recovery_codes_left(t, u).await.unwrap(), 2);
    mfa.replace_recovery_codes(t, u, &[hash_token("fresh")], c.now())
        .await
        .unwrap();
    assert!(
        !mfa.use_recovery_code(t, u, &hashes[0], c.now())
            .await
            .unwrap(),
        "old codes stop working"
    );
    assert_eq!(mfa.recovery_codes_left(t, u).await.unwrap(), 1);

    let mut pending = new_session(&c, u, "tok-mfa");
    pending.mfa_state = MfaState::Pending;
    let s = db.sessions().create(t, &pending).await.unwrap();
    assert_eq!(s.mfa_state, MfaState::Pending);
    db.sessions()
        .set_mfa_state(t, s.id, MfaState::Passed)
        .await
        .unwrap();
    assert_eq!(
        db.sessions()
            .find_by_token_hash(t, &hash_token("tok-mfa"))
            .await
            .unwrap()
            .unwrap()
            .mfa_state,
        MfaState::Passed
    );
    assert!(matches!(
        db.sessions()
            .set_mfa_state(other, s.id, MfaState::Passed)
            .await,
        Err(StoreError::NotFound)
    ));
}
