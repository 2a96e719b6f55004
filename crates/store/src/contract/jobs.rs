//! Job queue and lease cases.

use super::*;

pub(super) fn job(kind: &str, key: Option<&str>, run_at: time::OffsetDateTime) -> NewJob {
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

pub(super) fn claim(c: &ManualClock, limit: u32, visibility_secs: u64) -> Claim {
    Claim {
        lock: LockToken::generate(c),
        limit,
        now: c.now(),
        visibility: Duration::from_secs(visibility_secs),
    }
}

pub(super) async fn job_enqueue_is_idempotent(db: Arc<dyn Database>) {
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

pub(super) async fn job_enqueue_in_transaction(db: Arc<dyn Database>) {
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

pub(super) async fn job_claim_order_and_due_time(db: Arc<dyn Database>) {
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

pub(super) async fn job_claims_never_overlap(db: Arc<dyn Database>) {
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

pub(super) async fn job_complete_requires_the_claim(db: Arc<dyn Database>) {
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

pub(super) async fn job_fail_retries_then_dies(db: Arc<dyn Database>) {
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

pub(super) async fn job_release_and_reap(db: Arc<dyn Database>) {
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

pub(super) async fn job_admin_operations(db: Arc<dyn Database>) {
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
        committed!(platform db, |tx| jobs.cancel(tx, a, c.now()))
            .unwrap()
            .state,
        JobState::Cancelled
    );
    assert!(
        matches!(
            committed!(platform db, |tx| jobs.cancel(tx, a, c.now())),
            Err(StoreError::NotFound)
        ),
        "only queued jobs cancel"
    );
    let retried = committed!(platform db, |tx| jobs.retry(tx, a, c.now())).unwrap();
    assert_eq!(
        (retried.state, retried.attempts, retried.finished_at),
        (JobState::Queued, 0, None)
    );
    assert!(
        matches!(
            committed!(platform db, |tx| jobs.retry(tx, a, c.now())),
            Err(StoreError::NotFound)
        ),
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
    assert_eq!(
        committed!(platform db, |tx| jobs.purge_dead(tx)).unwrap(),
        1
    );
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

pub(super) async fn lease_acquire_renew_takeover(db: Arc<dyn Database>) {
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
