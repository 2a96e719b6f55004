//! XP ledger, badge, leaderboard-preference and certificate cases.

use super::*;
use nexus_domain::learning::CourseId;
use nexus_domain::learning::certificate::{Certificate, CertificateId};
use nexus_domain::learning::gamification::{XpEntry, XpSource};

async fn learner(
    db: &Arc<dyn Database>,
    c: &ManualClock,
    t: TenantId,
    email: &str,
    name: &str,
) -> UserId {
    let id = UserId::generate(c);
    db.users()
        .create(t, id, &new_user(email, name, Role::Learner), c.now())
        .await
        .unwrap();
    id
}

pub(super) async fn xp_badges_and_standings(db: Arc<dyn Database>) {
    let c = clock();
    let t = add_tenant(&db, &c, "xp", "XP").await;
    let other = add_tenant(&db, &c, "xp-2", "Other").await;
    let store = db.achievements();
    let ana = learner(&db, &c, t, "ana@example.com", "Ana").await;
    let bo = learner(&db, &c, t, "bo@example.com", "Bo").await;
    let idle = learner(&db, &c, t, "idle@example.com", "Idle").await;
    let stranger = learner(&db, &c, other, "cy@example.com", "Cy").await;

    let entry = |user, source, reference: &str, amount| XpEntry {
        user,
        source,
        reference: reference.to_owned(),
        amount,
        detail: None,
        at: c.now(),
    };
    let lesson = entry(ana, XpSource::Lesson, "lesson-1", 10);
    assert!(committed!(db, t, |tx| store.add_xp(tx, t, &lesson)).unwrap());
    assert!(
        !committed!(db, t, |tx| store.add_xp(
            tx,
            t,
            &entry(ana, XpSource::Lesson, "lesson-1", 99)
        ))
        .unwrap(),
        "one award per lesson, however often it is retried"
    );
    c.advance(time::Duration::seconds(1));
    let quiz = XpEntry {
        detail: Some(100),
        ..entry(ana, XpSource::Quiz, "quiz-1", 30)
    };
    committed!(db, t, |tx| store.add_xp(tx, t, &quiz)).unwrap();
    committed!(db, t, |tx| store.add_xp(
        tx,
        t,
        &entry(bo, XpSource::Streak, "2026-11-26", 5)
    ))
    .unwrap();
    assert!(
        matches!(
            committed!(db, t, |tx| store.add_xp(
                tx,
                t,
                &entry(stranger, XpSource::Lesson, "x", 10)
            )),
            Err(StoreError::NotFound)
        ),
        "another tenant's user earns nothing here"
    );
    let mut tx = db.begin(Some(t)).await.unwrap();
    assert_eq!(
        store.xp_entries(tx.as_mut(), t, ana).await.unwrap(),
        [lesson.clone(), quiz.clone()]
    );
    tx.commit().await.unwrap();
    let mut tx = db.begin(Some(other)).await.unwrap();
    assert!(
        store
            .xp_entries(tx.as_mut(), other, ana)
            .await
            .unwrap()
            .is_empty()
    );
    tx.commit().await.unwrap();

    // Badges: once each.
    assert!(
        committed!(db, t, |tx| store.award_badge(
            tx,
            t,
            ana,
            "first_steps",
            c.now()
        ))
        .unwrap()
    );
    assert!(
        !committed!(db, t, |tx| store.award_badge(
            tx,
            t,
            ana,
            "first_steps",
            c.now()
        ))
        .unwrap()
    );
    assert_eq!(
        store.badges(t, ana).await.unwrap(),
        [("first_steps".to_owned(), c.now())]
    );
    assert!(store.badges(other, ana).await.unwrap().is_empty());

    // Standings: everyone with XP by default; opt-in is off until chosen.
    assert!(!store.leaderboard_opt_in(t, ana).await.unwrap());
    committed!(db, t, |tx| store.set_leaderboard_opt_in(
        tx,
        t,
        ana,
        true,
        c.now()
    ))
    .unwrap();
    assert!(store.leaderboard_opt_in(t, ana).await.unwrap());
    let mut all: Vec<_> = store
        .standings(t, None)
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.user, s.display_name, s.xp, s.opted_in))
        .collect();
    all.sort();
    let mut want = vec![
        (ana, "Ana".to_owned(), 40, true),
        (bo, "Bo".to_owned(), 5, false),
    ];
    want.sort();
    assert_eq!(all, want, "learners without XP are left out");
    let named = store.standings(t, Some(&[idle, bo])).await.unwrap();
    let mut named: Vec<_> = named.iter().map(|s| (s.user, s.xp)).collect();
    named.sort();
    let mut want = vec![(idle, 0), (bo, 5)];
    want.sort();
    assert_eq!(named, want, "named learners appear with or without XP");
    assert!(store.standings(other, None).await.unwrap().is_empty());
    assert!(
        store
            .standings(t, Some(&[stranger]))
            .await
            .unwrap()
            .is_empty()
    );
    committed!(db, t, |tx| store.set_leaderboard_opt_in(
        tx,
        t,
        ana,
        false,
        c.now()
    ))
    .unwrap();
    assert!(!store.leaderboard_opt_in(t, ana).await.unwrap());
}

pub(super) async fn certificates_issue_verify_revoke(db: Arc<dyn Database>) {
    let c = clock();
    let t = add_tenant(&db, &c, "certs", "Certs").await;
    let other = add_tenant(&db, &c, "certs-2", "Other").await;
    let store = db.achievements();
    let ana = learner(&db, &c, t, "ana@example.com", "Ana").await;
    let course = CourseId::generate(&c);
    let cert = Certificate {
        id: CertificateId::generate(&c),
        course,
        user: ana,
        code: "ABCDEFGHJK0123456789".to_owned(),
        holder_name: "Ana".to_owned(),
        course_title: "Money".to_owned(),
        issued_at: c.now(),
        revoked_at: None,
        revoked_reason: None,
    };
    assert!(committed!(db, t, |tx| store.issue_certificate(tx, t, &cert)).unwrap());
    let again = Certificate {
        id: CertificateId::generate(&c),
        code: "ZZZZZZZZZZZZZZZZZZZZ".to_owned(),
        ..cert.clone()
    };
    assert!(
        !committed!(db, t, |tx| store.issue_certificate(tx, t, &again)).unwrap(),
        "one certificate per learner and course"
    );
    assert_eq!(store.certificate(t, cert.id).await.unwrap(), cert);
    assert_eq!(
        store.certificate_by_code(t, &cert.code).await.unwrap(),
        Some(cert.clone())
    );
    assert_eq!(
        store.certificate_by_code(other, &cert.code).await.unwrap(),
        None,
        "per tenant"
    );
    assert_eq!(
        store
            .certificate_by_code(t, "ZZZZZZZZZZZZZZZZZZZZ")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.certificates(t, ana).await.unwrap(),
        std::slice::from_ref(&cert)
    );

    c.advance(time::Duration::days(1));
    committed!(db, t, |tx| store.revoke_certificate(
        tx,
        t,
        cert.id,
        "issued in error",
        c.now()
    ))
    .unwrap();
    let revoked = store.certificate(t, cert.id).await.unwrap();
    assert_eq!(
        (revoked.revoked_at, revoked.revoked_reason.as_deref()),
        (Some(c.now()), Some("issued in error"))
    );
    assert!(matches!(
        committed!(db, t, |tx| store.revoke_certificate(
            tx,
            t,
            cert.id,
            "again",
            c.now()
        )),
        Err(StoreError::Conflict {
            constraint: "certificate_revoked"
        })
    ));
    assert!(matches!(
        committed!(db, other, |tx| store.revoke_certificate(
            tx,
            other,
            cert.id,
            "x",
            c.now()
        )),
        Err(StoreError::NotFound)
    ));
    assert!(
        !committed!(db, t, |tx| store.issue_certificate(tx, t, &again)).unwrap(),
        "a revoked certificate is not silently re-issued"
    );
}
