//! API key cases: create, find by hash, list newest first, expiry, revocation (the
//! first time kept), last use, the hash's uniqueness, and tenant isolation.

use super::*;
use nexus_domain::access::Permission;
use nexus_domain::apikey::{ApiKey, ApiKeyId, ApiKeySecret};

fn key(c: &ManualClock, owner: UserId, name: &str, seed: u8) -> ApiKey {
    let secret = ApiKeySecret::from_random([seed; 32]);
    ApiKey {
        id: ApiKeyId::generate(c),
        name: name.to_owned(),
        owner,
        scopes: [Permission::CourseRead, Permission::SimTrade].into(),
        hash: secret.hash(),
        hint: secret.hint(),
        created_at: c.now(),
        expires_at: None,
        revoked_at: None,
        last_used_at: None,
        last_used_ip: None,
        rotated_from: None,
    }
}

pub(super) async fn api_keys_lifecycle(db: Arc<dyn Database>) {
    let c = clock();
    let t = add_tenant(&db, &c, "keys", "Keys").await;
    let other = add_tenant(&db, &c, "keys-2", "Other").await;
    let owner = UserId::generate(&c);
    db.users()
        .create(
            t,
            owner,
            &new_user("admin@example.com", "Admin", Role::Admin),
            c.now(),
        )
        .await
        .unwrap();
    let keys = db.api_keys();

    let first = key(&c, owner, "CI export", 1);
    committed!(db, t, |tx| keys.create(tx, t, &first)).unwrap();
    c.advance(time::Duration::milliseconds(1));
    let second = ApiKey {
        rotated_from: Some(first.id),
        expires_at: Some(c.now() + time::Duration::days(30)),
        ..key(&c, owner, "CI export", 2)
    };
    committed!(db, t, |tx| keys.create(tx, t, &second)).unwrap();

    assert_eq!(keys.get(t, first.id).await.unwrap(), first);
    assert_eq!(
        keys.find_by_hash(t, &second.hash).await.unwrap(),
        Some(second.clone())
    );
    assert_eq!(keys.find_by_hash(t, "nope").await.unwrap(), None);
    let all = keys.list(t, PageRequest::default()).await.unwrap();
    assert_eq!(
        all.items,
        vec![second.clone(), first.clone()],
        "newest first"
    );
    assert_eq!(all.total, 2);
    let page = PageRequest::new(Some(1), Some(1)).unwrap();
    let second_page = keys.list(t, page).await.unwrap();
    assert_eq!(
        (second_page.items, second_page.total),
        (vec![first.clone()], 2)
    );

    // Another tenant sees none of it, and cannot change it.
    assert!(matches!(
        keys.get(other, first.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(keys.find_by_hash(other, &first.hash).await.unwrap(), None);
    let none = keys.list(other, PageRequest::default()).await.unwrap();
    assert!(none.items.is_empty() && none.total == 0);
    let r = committed!(db, other, |tx| keys.revoke(tx, other, first.id, c.now()));
    assert!(matches!(r, Err(StoreError::NotFound)));

    // The same key material twice.
    let copy = ApiKey {
        id: ApiKeyId::generate(&c),
        ..first.clone()
    };
    let r = committed!(db, t, |tx| keys.create(tx, t, &copy));
    assert!(
        matches!(
            r,
            Err(StoreError::Conflict {
                constraint: "api_key_hash_key"
            })
        ),
        "{r:?}"
    );

    // Expiry, revocation (kept at the first time), last use.
    let end = c.now() + time::Duration::hours(1);
    committed!(db, t, |tx| keys.set_expiry(tx, t, first.id, Some(end))).unwrap();
    let revoked_at = c.now() + time::Duration::seconds(5);
    committed!(db, t, |tx| keys.revoke(tx, t, second.id, revoked_at)).unwrap();
    committed!(db, t, |tx| keys.revoke(
        tx,
        t,
        second.id,
        revoked_at + time::Duration::hours(1)
    ))
    .unwrap();
    let used = c.now() + time::Duration::seconds(7);
    keys.touch(t, first.id, used, Some("203.0.113.9"))
        .await
        .unwrap();
    let got = keys.get(t, first.id).await.unwrap();
    assert_eq!(got.expires_at, Some(end));
    assert_eq!(got.last_used_at, Some(used));
    assert_eq!(got.last_used_ip.as_deref(), Some("203.0.113.9"));
    assert_eq!(
        keys.get(t, second.id).await.unwrap().revoked_at,
        Some(revoked_at)
    );
    let r = committed!(db, t, |tx| keys.set_expiry(tx, t, second.id, None));
    assert!(
        matches!(r, Err(StoreError::NotFound)),
        "a revoked key cannot be given a new expiry: {r:?}"
    );
    let ghost = ApiKeyId::generate(&c);
    assert!(matches!(
        keys.touch(t, ghost, used, None).await,
        Err(StoreError::NotFound)
    ));
    let r = committed!(db, t, |tx| keys.set_expiry(tx, t, ghost, None));
    assert!(matches!(r, Err(StoreError::NotFound)));

    // A key needs an owner in the tenant.
    let orphan = key(&c, UserId::generate(&c), "orphan", 3);
    let r = committed!(db, t, |tx| keys.create(tx, t, &orphan));
    assert!(r.is_err(), "{r:?}");
}
