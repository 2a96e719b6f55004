//! Tenant registry and user-account cases.

use super::*;

pub(super) async fn migrations_are_idempotent(db: Arc<dyn Database>) {
    assert!(db.is_migrated().await.unwrap());
    db.migrate().await.unwrap();
    assert!(db.is_migrated().await.unwrap());
    db.ping().await.unwrap();
    db.verify_setup().await.unwrap();
}

pub(super) async fn tenant_create_get_find(db: Arc<dyn Database>) {
    let c = clock();
    let id = TenantId::generate(&c);
    let mut new = new_tenant("acme-bank", "Acme Bank");
    new.branding.logo_url = Some("https://cdn.example.com/acme.png".to_owned());
    new.settings.time_zone = "Europe/London".to_owned();
    // Rolled back, a created tenant is gone; committed, it is there.
    let mut tx = db.begin(Some(id)).await.unwrap();
    db.tenants()
        .create(tx.as_mut(), id, &new, c.now())
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert!(matches!(
        db.tenants().get(id).await,
        Err(StoreError::NotFound)
    ));
    let created = committed!(db, id, |tx| db.tenants().create(tx, id, &new, c.now())).unwrap();
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

pub(super) async fn tenant_slug_conflict(db: Arc<dyn Database>) {
    let c = clock();
    add_tenant(&db, &c, "dup", "First").await;
    let (second, new) = (TenantId::generate(&c), new_tenant("dup", "Second"));
    let err = committed!(db, second, |tx| db.tenants().create(
        tx,
        second,
        &new,
        c.now()
    ))
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

pub(super) async fn tenant_update(db: Arc<dyn Database>) {
    let c = clock();
    let id = add_tenant(&db, &c, "school", "School").await;
    let mut t = db.tenants().get(id).await.unwrap();
    t.name = "Renamed School".to_owned();
    t.status = TenantStatus::Suspended;
    t.plan = Plan::Professional;
    t.branding.primary_colour = HexColour::parse("#ff0000").unwrap();
    t.settings.locale = "pt-BR".to_owned();
    t.updated_at = c.now();
    committed!(db, id, |tx| db.tenants().update(tx, &t)).unwrap();
    assert_eq!(db.tenants().get(id).await.unwrap(), t);
    let mut ghost = t.clone();
    ghost.id = TenantId::generate(&c);
    assert!(matches!(
        committed!(db, ghost.id, |tx| db.tenants().update(tx, &ghost)),
        Err(StoreError::NotFound)
    ));
}

pub(super) async fn tenant_list_filter_sort_page(db: Arc<dyn Database>) {
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
    committed!(db, suspended.id, |tx| db.tenants().update(tx, &suspended)).unwrap();

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

pub(super) async fn tenant_domains(db: Arc<dyn Database>) {
    let c = clock();
    let ta = add_tenant(&db, &c, "tenant-ta", "A").await;
    let tb = add_tenant(&db, &c, "tenant-tb", "B").await;
    let learn = DomainName::parse("learn.ta.example").unwrap();
    let extra = DomainName::parse("academy.ta.example").unwrap();
    committed!(db, ta, |tx| db.tenants().add_domain(
        tx,
        ta,
        &learn,
        c.now()
    ))
    .unwrap();
    committed!(db, ta, |tx| db.tenants().add_domain(
        tx,
        ta,
        &extra,
        c.now()
    ))
    .unwrap();
    let loaded = db.tenants().get(ta).await.unwrap();
    assert_eq!(
        loaded.domains,
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
        ta
    );

    let err = committed!(db, tb, |tx| db.tenants().add_domain(
        tx,
        tb,
        &learn,
        c.now()
    ))
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
    let (ghost, x) = (
        TenantId::generate(&c),
        DomainName::parse("x.example").unwrap(),
    );
    let err = committed!(db, ghost, |tx| db.tenants().add_domain(
        tx,
        ghost,
        &x,
        c.now()
    ))
    .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");

    committed!(db, ta, |tx| db.tenants().remove_domain(tx, ta, &learn)).unwrap();
    assert!(db.tenants().find_by_domain(&learn).await.unwrap().is_none());
    assert!(matches!(
        committed!(db, ta, |tx| db.tenants().remove_domain(tx, ta, &learn)),
        Err(StoreError::NotFound)
    ));
    assert!(
        matches!(
            committed!(db, tb, |tx| db.tenants().remove_domain(tx, tb, &extra)),
            Err(StoreError::NotFound)
        ),
        "cannot remove another tenant's domain"
    );
    assert_eq!(db.tenants().get(ta).await.unwrap().domains, vec![extra]);
}

pub(super) async fn user_create_get_find(db: Arc<dyn Database>) {
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

pub(super) async fn user_email_unique_per_tenant(db: Arc<dyn Database>) {
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

pub(super) async fn user_tenant_isolation(db: Arc<dyn Database>) {
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
    // Only the platform-wide count crosses tenants (past row-level security on
    // PostgreSQL, through a function that returns the number alone).
    assert_eq!(db.users().count_all().await.unwrap(), 2);
}

pub(super) async fn user_requires_existing_tenant(db: Arc<dyn Database>) {
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

pub(super) async fn user_list_filter_page(db: Arc<dyn Database>) {
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
