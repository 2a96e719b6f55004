//! Schema parity between backends, the personal-data registry, and row-level security.

use crate::harness::TestDb;
use nexus_domain::privacy::{self, PERSONAL_DATA, StoreKind};
use nexus_domain::{Clock, ManualClock, TenantId, UserId};
use nexus_store::Database;
use std::collections::BTreeSet;
use std::sync::Arc;

/// Both migrated schemas expose the same tables and columns.
#[tokio::test]
async fn sqlite_and_postgres_schemas_match() {
    let Some(pg) = TestDb::postgres().await else {
        return eprintln!("skipped schema parity: NEXUS_TEST_DATABASE_URL is not set");
    };
    let lite = TestDb::sqlite();
    let a = lite.database().await.schema_columns().await.unwrap();
    let b = pg.database().await.schema_columns().await.unwrap();
    assert!(!a.is_empty());
    assert_eq!(a, b, "sqlite (left) and postgres (right) schemas differ");
}

async fn tables(db: &Arc<dyn Database>) -> BTreeSet<String> {
    db.schema_columns()
        .await
        .unwrap()
        .into_iter()
        .map(|(t, _)| t)
        .collect()
}

/// Every table is classified as personal or not, and every registered field exists.
async fn registry_covers_schema(db: Arc<dyn Database>) {
    let cols = db.schema_columns().await.unwrap();
    for table in tables(&db).await {
        assert!(
            privacy::is_classified(&table),
            "table `{table}` is not in the personal-data registry (nexus_domain::privacy)"
        );
    }
    for entry in PERSONAL_DATA.iter().filter(|e| e.kind == StoreKind::Table) {
        for field in entry.fields.iter().chain([&entry.subject_key]) {
            assert!(
                cols.iter().any(|(t, c)| t == entry.store && c == field),
                "registry names {}.{field}, which the schema lacks",
                entry.store
            );
        }
    }
}

#[tokio::test]
async fn personal_data_registry_covers_sqlite_schema() {
    registry_covers_schema(TestDb::sqlite().database().await).await;
}

#[tokio::test]
async fn personal_data_registry_covers_postgres_schema() {
    let Some(pg) = TestDb::postgres().await else {
        return eprintln!("skipped registry (postgres): NEXUS_TEST_DATABASE_URL is not set");
    };
    registry_covers_schema(pg.database().await).await;
}

/// An unscoped query inside tenant A's transaction sees none of tenant B's rows, and
/// without a tenant it sees nothing at all: the database enforces isolation even when
/// the application forgets its `where tenant_id = …`.
#[tokio::test]
async fn row_level_security_hides_other_tenants_rows() {
    let Some(pg) = TestDb::postgres().await else {
        return eprintln!("skipped RLS proof: NEXUS_TEST_DATABASE_URL is not set");
    };
    let db = pg.database().await;
    let clock = ManualClock::at_unix(1_780_000_000);
    let mut ids = Vec::new();
    for slug in ["rls-a", "rls-b"] {
        let id = TenantId::generate(&clock);
        let new = nexus_domain::tenancy::NewTenant {
            slug: nexus_domain::tenancy::TenantSlug::parse(slug).unwrap(),
            name: slug.to_owned(),
            plan: nexus_domain::tenancy::Plan::Free,
            branding: nexus_domain::tenancy::Branding {
                display_name: slug.to_owned(),
                logo_url: None,
                primary_colour: nexus_domain::tenancy::HexColour::default(),
            },
            settings: nexus_domain::tenancy::TenantSettings::default(),
        };
        let mut tx = db.begin(Some(id)).await.unwrap();
        db.tenants()
            .create(tx.as_mut(), id, &new, clock.now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        for n in 0..3 {
            let user = nexus_domain::user::NewUser {
                email: nexus_domain::user::Email::parse(&format!("u{n}@{slug}.example")).unwrap(),
                display_name: format!("User {n}"),
                role: nexus_domain::user::Role::Learner,
                password_hash: nexus_domain::user::PasswordHash::from_phc("x".into()),
                email_verified_at: None,
            };
            db.users()
                .create(id, UserId::generate(&clock), &user, clock.now())
                .await
                .unwrap();
        }
        ids.push(id);
    }
    let pgdb = pg.pg_with(pg.url());
    let (a, b) = (ids[0], ids[1]);

    let mut tx = pgdb.begin_tenant_tx(a).await.unwrap();
    let rows: Vec<(uuid::Uuid,)> = sqlx::query_as("select tenant_id from app_user")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(rows.len(), 3, "tenant A sees its own three users");
    assert!(
        rows.iter().all(|(t,)| *t == a.as_uuid()),
        "tenant A sees none of tenant B's users"
    );
    let b_rows: i64 = sqlx::query_scalar("select count(*) from app_user where tenant_id = $1")
        .bind(b.as_uuid())
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(
        b_rows, 0,
        "even asking for B by id inside A's transaction finds nothing"
    );
    // Writing a row for B from A's transaction is refused by the policy's WITH CHECK.
    let err = sqlx::query(
        "insert into app_user (tenant_id, app_user_id, email, display_name, role, password_hash, created_at, updated_at) \
         values ($1, $2, 'x@b.example', 'X', 'learner', 'x', now(), now())",
    )
    .bind(b.as_uuid())
    .bind(uuid::Uuid::new_v4())
    .execute(&mut *tx)
    .await
    .unwrap_err();
    assert!(err.to_string().contains("row-level security"), "{err}");
    tx.rollback().await.unwrap();

    // Outside any tenant transaction, the restricted role sees no tenant-owned rows.
    let none: i64 = sqlx::query_scalar("select count(*) from app_user")
        .fetch_one(pgdb.pool())
        .await
        .unwrap();
    assert_eq!(none, 0);

    // And the pool really runs as a role that cannot bypass RLS.
    let bypass: bool = sqlx::query_scalar(
        "select rolsuper or rolbypassrls from pg_roles where rolname = current_user",
    )
    .fetch_one(pgdb.pool())
    .await
    .unwrap();
    assert!(!bypass);
    pgdb.pool().close().await;
}

/// Starting as a role that bypasses RLS is refused with a clear message.
#[tokio::test]
async fn a_role_that_bypasses_rls_is_refused() {
    let Some(pg) = TestDb::postgres().await else {
        return eprintln!("skipped: NEXUS_TEST_DATABASE_URL is not set");
    };
    pg.database().await; // migrate as owner
    // The CI login role is a superuser: without SET ROLE it bypasses RLS.
    let raw = nexus_store_postgres::PgDatabase::connect_lazy(&nexus_store_postgres::PgSettings {
        url: pg.url().to_owned(),
        max_connections: 1,
        acquire_timeout: std::time::Duration::from_secs(5),
        app_role: None,
    })
    .unwrap();
    let err = raw.verify_setup().await.unwrap_err();
    assert!(
        err.to_string().contains("checking the application role"),
        "{err}"
    );
    assert!(
        format!("{err:?}").contains("bypasses row-level security"),
        "{err:?}"
    );
}
