//! Audit trail, session, throttle, role and second-factor cases.

use super::*;

pub(super) fn audit_event(tenant: Option<TenantId>, actor: &str, action: &str) -> NewAuditEvent {
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

pub(super) fn all_events(limit: u32) -> AuditQuery {
    AuditQuery {
        limit,
        ..AuditQuery::default()
    }
}

pub(super) async fn audit_chain_append_list_verify(db: Arc<dyn Database>) {
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
        audit
            .append(
                audit_event(Some(t), actor, action),
                AuditEventId::generate(&c),
                c.now(),
            )
            .await
            .unwrap();
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
    assert_eq!(
        events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [1, 2, 3, 4]
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

pub(super) async fn audit_chains_are_per_tenant(db: Arc<dyn Database>) {
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

pub(super) async fn audit_append_in_follows_the_transaction(db: Arc<dyn Database>) {
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
    audit.seal(Some(t)).await.unwrap();
    assert_eq!(
        audit.head(Some(t)).await.unwrap().unwrap().0,
        1,
        "a rolled-back record leaves the chain as it was"
    );
    let mut tx = db.begin(Some(t)).await.unwrap();
    audit
        .append_in(
            tx.as_mut(),
            audit_event(Some(t), "user:a", "committed"),
            AuditEventId::generate(&c),
            c.now(),
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
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
    assert_eq!(
        events.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["first", "committed"],
        "the rolled-back record is nowhere, chained or waiting"
    );
    let head = audit.head(Some(t)).await.unwrap().unwrap();
    assert_eq!(
        nexus_domain::audit::verify(&t.to_string(), &events, Some((head.0, &head.1))),
        Ok(2)
    );
}

/// Records committed in a transaction are chained by `seal_all` (every node runs it) even
/// when nobody reads the chain, and a chain whose first events still wait is listed.
pub(super) async fn audit_seal_all_chains_what_was_recorded(db: Arc<dyn Database>) {
    let c = clock();
    let t = add_tenant(&db, &c, "audit-seal", "Seal").await;
    let audit = db.audit();
    let mut tx = db.begin(Some(t)).await.unwrap();
    for action in ["one", "two"] {
        audit
            .append_in(
                tx.as_mut(),
                audit_event(Some(t), "user:a", action),
                AuditEventId::generate(&c),
                c.now(),
            )
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    assert!(
        audit.chains().await.unwrap().contains(&Some(t)),
        "a chain with events is listed, chained or not"
    );
    audit.seal_all().await.unwrap();
    // Read the head, not the list: listing would seal by itself.
    assert_eq!(audit.head(Some(t)).await.unwrap().map(|h| h.0), Some(2));
    assert_eq!(
        audit.seal(Some(t)).await.unwrap(),
        0,
        "nothing left to seal"
    );
}

/// Recording takes no lock on the chain: a second transaction records while the first,
/// which recorded earlier, is still open. The chain's order is the order in which events
/// are chained, so an event committed later is chained later.
pub(super) async fn audit_records_do_not_queue_on_the_chain(db: Arc<dyn Database>) {
    // SQLite has one writer: two write transactions are never open at once, so recording
    // cannot queue on anything but that lock, and this case has nothing to show there.
    if db.backend() == "sqlite" {
        return;
    }
    let c = clock();
    let t = add_tenant(&db, &c, "audit-open", "Open").await;
    let audit = db.audit();
    let record = |action: &'static str| {
        (
            audit_event(Some(t), "user:a", action),
            AuditEventId::generate(&c),
            c.now(),
        )
    };
    let mut first = db.begin(Some(t)).await.unwrap();
    let (e, id, at) = record("first");
    audit.append_in(first.as_mut(), e, id, at).await.unwrap();
    let mut second = db.begin(Some(t)).await.unwrap();
    let (e, id, at) = record("second");
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        audit.append_in(second.as_mut(), e, id, at),
    )
    .await
    .expect("recording waited for another open transaction")
    .unwrap();
    second.commit().await.unwrap();
    let actions = |v: Vec<nexus_domain::audit::AuditEvent>| {
        v.into_iter().map(|e| (e.seq, e.action)).collect::<Vec<_>>()
    };
    let asc = AuditQuery {
        order: Order::Asc,
        ..all_events(10)
    };
    assert_eq!(
        actions(audit.list(Some(t), &asc).await.unwrap()),
        [(1, "second".to_owned())],
        "only committed records are chained"
    );
    first.commit().await.unwrap();
    let events = audit.list(Some(t), &asc).await.unwrap();
    assert_eq!(
        actions(events.clone()),
        [(1, "second".to_owned()), (2, "first".to_owned())]
    );
    let head = audit.head(Some(t)).await.unwrap().unwrap();
    assert_eq!(
        nexus_domain::audit::verify(&t.to_string(), &events, Some((head.0, &head.1))),
        Ok(2)
    );
}

pub(super) async fn audit_concurrent_appends_keep_the_chain(db: Arc<dyn Database>) {
    let c = clock();
    let t = add_tenant(&db, &c, "audit-race", "Race").await;
    let writers = (0..8).map(|i| {
        let audit = db.audit();
        let (id, at) = (AuditEventId::generate(&c), c.now());
        tokio::spawn(async move {
            audit
                .append(audit_event(Some(t), &format!("user:{i}"), "race"), id, at)
                .await
                .unwrap();
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

pub(super) fn new_session(c: &ManualClock, user: UserId, token: &str) -> NewSession {
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

pub(super) async fn session_user(
    db: &Arc<dyn Database>,
    c: &ManualClock,
    slug: &str,
) -> (TenantId, UserId) {
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

pub(super) async fn session_lifecycle(db: Arc<dyn Database>) {
    let c = clock();
    let (t, u) = session_user(&db, &c, "sessions").await;
    let sessions = db.sessions();
    let first = {
        let new = new_session(&c, u, "tok-1");
        committed!(db, t, |tx| sessions.create(tx, t, &new)).unwrap()
    };
    c.advance(time::Duration::seconds(5));
    let second = {
        let new = new_session(&c, u, "tok-2");
        committed!(db, t, |tx| sessions.create(tx, t, &new)).unwrap()
    };
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
            committed!(db, t, |tx| sessions.revoke(
                tx,
                t,
                first.id,
                Some(stranger),
                c.now()
            )),
            Err(StoreError::NotFound)
        ),
        "only the owner"
    );
    assert_eq!(
        committed!(db, t, |tx| sessions.revoke(
            tx,
            t,
            first.id,
            Some(u),
            c.now()
        ))
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
            committed!(db, t, |tx| sessions.revoke(tx, t, first.id, None, c.now())),
            Err(StoreError::NotFound)
        ),
        "already revoked"
    );
    let third = {
        let new = new_session(&c, u, "tok-3");
        committed!(db, t, |tx| sessions.create(tx, t, &new)).unwrap()
    };
    let mut hashes = committed!(db, t, |tx| sessions.revoke_all(tx, t, u, c.now())).unwrap();
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

pub(super) async fn session_tenant_isolation(db: Arc<dyn Database>) {
    let c = clock();
    let (a, ua) = session_user(&db, &c, "sess-a").await;
    let (b, _) = session_user(&db, &c, "sess-b").await;
    let new = new_session(&c, ua, "tok-a");
    let s = committed!(db, a, |tx| db.sessions().create(tx, a, &new)).unwrap();
    assert!(
        db.sessions()
            .find_by_token_hash(b, &hash_token("tok-a"))
            .await
            .unwrap()
            .is_none(),
        "another tenant's token is unknown"
    );
    assert!(matches!(
        committed!(db, b, |tx| db.sessions().revoke(tx, b, s.id, None, c.now())),
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

pub(super) async fn throttle_windows_and_locks(db: Arc<dyn Database>) {
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

    assert!(
        committed!(db, t, |tx| th.reset(tx, t, key)).unwrap(),
        "it carried a (now expired) lock"
    );
    assert!(
        !committed!(db, t, |tx| th.reset(tx, t, key)).unwrap(),
        "nothing left to clear"
    );
    assert_eq!(
        th.record_failure(t, key, rule, c.now())
            .await
            .unwrap()
            .failures,
        1,
        "reset clears the count"
    );

    // An administrator's unlock clears every per-IP key of one login, and only those.
    let ip_rule = ThrottleRule {
        threshold: 1,
        ..rule
    };
    for k in [
        "acct_ip:kim@x.test|10.0.0.1",
        "acct_ip:kim@x.test|10.0.0.2",
        "acct_ip:kim@x.testy|10.0.0.1",
        "acct_ip:kim%x.test|10.0.0.3",
    ] {
        th.record_failure(t, k, ip_rule, c.now()).await.unwrap();
    }
    assert_eq!(
        committed!(db, other, |tx| th.reset_prefix(
            tx,
            other,
            "acct_ip:kim@x.test|"
        ))
        .unwrap(),
        0,
        "per tenant"
    );
    assert_eq!(
        committed!(db, t, |tx| th.reset_prefix(tx, t, "acct_ip:kim@x.test|")).unwrap(),
        2
    );
    assert!(
        th.locked_until(t, "acct_ip:kim@x.test|10.0.0.1", c.now())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        th.locked_until(t, "acct_ip:kim@x.testy|10.0.0.1", c.now())
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        th.locked_until(t, "acct_ip:kim%x.test|10.0.0.3", c.now())
            .await
            .unwrap()
            .is_some(),
        "wildcards in the prefix are literal"
    );
    assert_eq!(
        committed!(db, t, |tx| th.reset_prefix(tx, t, "acct_ip:kim%")).unwrap(),
        1
    );
    assert_eq!(
        committed!(db, t, |tx| th.reset_prefix(tx, t, "acct_ip:kim@x.testy|")).unwrap(),
        1
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

pub(super) async fn role_store_lifecycle(db: Arc<dyn Database>) {
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
    // A change rolled back leaves nothing; committed, it is there.
    let mut tx = db.begin(Some(t)).await.unwrap();
    roles.create(tx.as_mut(), t, &coach, c.now()).await.unwrap();
    tx.rollback().await.unwrap();
    assert!(matches!(
        roles.get(t, coach.id).await,
        Err(StoreError::NotFound)
    ));
    committed!(db, t, |tx| roles.create(tx, t, &coach, c.now())).unwrap();
    let dup = CustomRole {
        id: CustomRoleId::generate(&c),
        ..coach.clone()
    };
    let err = committed!(db, t, |tx| roles.create(tx, t, &dup, c.now())).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                constraint: "tenant_role_name_key"
            }
        ),
        "{err:?}"
    );
    committed!(db, other, |tx| roles.create(tx, other, &dup, c.now())).unwrap();
    assert_eq!(roles.list(t).await.unwrap(), vec![coach.clone()]);
    assert_eq!(roles.get(t, coach.id).await.unwrap(), coach);
    assert!(
        matches!(roles.get(other, coach.id).await, Err(StoreError::NotFound)),
        "per tenant"
    );

    let mut renamed = coach.clone();
    renamed.name = "Study coach".into();
    renamed.permissions.insert(Permission::CourseWrite);
    committed!(db, t, |tx| roles.update(tx, t, &renamed, c.now())).unwrap();
    assert_eq!(roles.get(t, coach.id).await.unwrap(), renamed);
    let ghost = CustomRole {
        id: CustomRoleId::generate(&c),
        ..renamed.clone()
    };
    assert!(matches!(
        committed!(db, t, |tx| roles.update(tx, t, &ghost, c.now())),
        Err(StoreError::NotFound)
    ));

    let key = format!("custom:{}", coach.id);
    let both = [key.clone(), "auditor".into()];
    committed!(db, t, |tx| roles.set_grants(tx, t, u, &both, c.now())).unwrap();
    let mut expected = vec!["auditor".to_owned(), key.clone()];
    expected.sort();
    assert_eq!(roles.grants(t, u).await.unwrap(), expected);
    assert_eq!(roles.holders(t, &key).await.unwrap(), vec![u]);
    assert!(
        roles.holders(other, &key).await.unwrap().is_empty(),
        "per tenant"
    );
    assert!(roles.grants(other, other_user).await.unwrap().is_empty());
    let one = std::slice::from_ref(&key);
    committed!(db, t, |tx| roles.set_grants(tx, t, u, one, c.now())).unwrap();
    assert_eq!(
        roles.grants(t, u).await.unwrap(),
        vec![key.clone()],
        "grants are replaced, not merged"
    );

    committed!(db, t, |tx| roles.delete(tx, t, coach.id)).unwrap();
    assert!(
        roles.grants(t, u).await.unwrap().is_empty(),
        "deleting a role removes its grants"
    );
    assert!(matches!(
        roles.get(t, coach.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        committed!(db, t, |tx| roles.delete(tx, t, coach.id)),
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        roles.list(other).await.unwrap().len(),
        1,
        "the other tenant's role is untouched"
    );
}

pub(super) async fn mfa_store_lifecycle(db: Arc<dyn Database>) {
    use nexus_domain::mfa::MfaState;
    let c = clock();
    let (t, u) = session_user(&db, &c, "mfa").await;
    let (other, _) = session_user(&db, &c, "mfa-2").await;
    let mfa = db.mfa();
    assert!(mfa.totp(t, u).await.unwrap().is_none());
    committed!(db, t, |tx| mfa.put_totp(tx, t, u, "SECRETONE", c.now())).unwrap();
    let rec = mfa.totp(t, u).await.unwrap().unwrap();
    assert_eq!(
        (rec.secret.as_str(), rec.confirmed_at, rec.last_used_step),
        ("SECRETONE", None, None)
    );
    assert!(mfa.totp(other, u).await.unwrap().is_none(), "per tenant");
    assert!(committed!(db, t, |tx| mfa.use_totp_step(tx, t, u, 100)).unwrap());
    assert!(
        !committed!(db, t, |tx| mfa.use_totp_step(tx, t, u, 100)).unwrap(),
        "a step is used once"
    );
    assert!(
        !committed!(db, t, |tx| mfa.use_totp_step(tx, t, u, 99)).unwrap(),
        "never an earlier one"
    );
    assert!(committed!(db, t, |tx| mfa.use_totp_step(tx, t, u, 101)).unwrap());
    committed!(db, t, |tx| mfa.confirm_totp(tx, t, u, c.now())).unwrap();
    assert_eq!(
        mfa.totp(t, u).await.unwrap().unwrap().confirmed_at,
        Some(c.now())
    );
    committed!(db, t, |tx| mfa.put_totp(tx, t, u, "SECRETTWO", c.now())).unwrap();
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
    committed!(db, t, |tx| mfa.replace_recovery_codes(
        tx,
        t,
        u,
        &hashes,
        c.now()
    ))
    .unwrap();
    assert_eq!(mfa.recovery_codes_left(t, u).await.unwrap(), 3);
    assert!(
        committed!(db, t, |tx| mfa.use_recovery_code(
            tx,
            t,
            u,
            &hashes[1],
            c.now()
        ))
        .unwrap()
    );
    assert!(
        !committed!(db, t, |tx| mfa.use_recovery_code(
            tx,
            t,
            u,
            &hashes[1],
            c.now()
        ))
        .unwrap(),
        "single use"
    );
    assert!(
        !committed!(db, other, |tx| mfa.use_recovery_code(
            tx,
            other,
            u,
            &hashes[0],
            c.now()
        ))
        .unwrap(),
        "per tenant"
    );
    assert_eq!(mfa.recovery_codes_left(t, u).await.unwrap(), 2);
    committed!(db, t, |tx| mfa.replace_recovery_codes(
        tx,
        t,
        u,
        &[hash_token("fresh")],
        c.now()
    ))
    .unwrap();
    assert!(
        !committed!(db, t, |tx| mfa.use_recovery_code(
            tx,
            t,
            u,
            &hashes[0],
            c.now()
        ))
        .unwrap(),
        "old codes stop working"
    );
    assert_eq!(mfa.recovery_codes_left(t, u).await.unwrap(), 1);

    let mut pending = new_session(&c, u, "tok-mfa");
    pending.mfa_state = MfaState::Pending;
    let s = committed!(db, t, |tx| db.sessions().create(tx, t, &pending)).unwrap();
    assert_eq!(s.mfa_state, MfaState::Pending);
    committed!(db, t, |tx| db.sessions().set_mfa_state(
        tx,
        t,
        s.id,
        MfaState::Passed
    ))
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
        committed!(db, other, |tx| db.sessions().set_mfa_state(
            tx,
            other,
            s.id,
            MfaState::Passed
        )),
        Err(StoreError::NotFound)
    ));
}
