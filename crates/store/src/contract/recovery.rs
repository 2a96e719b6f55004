//! Password-reset token and invitation cases.

use super::identity::session_user;
use super::*;

pub(super) async fn recovery_store_lifecycle(db: Arc<dyn Database>) {
    use crate::{Invitation, OutboxMail, StoreError, TokenPurpose};
    let c = clock();
    let (t, u) = session_user(&db, &c, "recovery").await;
    let (other, _) = session_user(&db, &c, "recovery-2").await;
    let rec = db.recovery();
    let hour = time::Duration::hours(1);

    let (reset, verify) = (TokenPurpose::ResetPassword, TokenPurpose::VerifyEmail);
    rec.create_email_token(t, u, reset, &hash_token("reset-1"), c.now(), c.now() + hour)
        .await
        .unwrap();
    let spend = |tenant, purpose, token: &'static str, at| {
        let (db, rec) = (db.clone(), rec.clone());
        async move {
            committed!(db, tenant, |tx| rec.consume_email_token(
                tx,
                tenant,
                purpose,
                &hash_token(token),
                at
            ))
            .unwrap()
        }
    };
    assert_eq!(
        spend(other, reset, "reset-1", c.now()).await,
        None,
        "per tenant"
    );
    assert_eq!(
        spend(t, verify, "reset-1", c.now()).await,
        None,
        "a reset link does not verify an address"
    );
    assert_eq!(spend(t, reset, "reset-1", c.now()).await, Some(u));
    assert_eq!(
        spend(t, reset, "reset-1", c.now()).await,
        None,
        "single use"
    );
    rec.create_email_token(t, u, reset, &hash_token("reset-2"), c.now(), c.now() + hour)
        .await
        .unwrap();
    assert_eq!(
        spend(t, reset, "reset-2", c.now() + hour).await,
        None,
        "expired"
    );

    // Verification: the first time sticks, a second link does not move it.
    rec.create_email_token(
        t,
        u,
        verify,
        &hash_token("verify-1"),
        c.now(),
        c.now() + hour,
    )
    .await
    .unwrap();
    assert_eq!(spend(t, verify, "verify-1", c.now()).await, Some(u));
    assert_eq!(db.users().get(t, u).await.unwrap().email_verified_at, None);
    committed!(db, t, |tx| rec.set_email_verified(tx, t, u, c.now())).unwrap();
    let first = db.users().get(t, u).await.unwrap().email_verified_at;
    assert_eq!(
        first.map(time::OffsetDateTime::unix_timestamp),
        Some(c.now().unix_timestamp())
    );
    committed!(db, t, |tx| rec.set_email_verified(tx, t, u, c.now() + hour)).unwrap();
    assert_eq!(db.users().get(t, u).await.unwrap().email_verified_at, first);
    assert!(matches!(
        committed!(db, other, |tx| rec.set_email_verified(
            tx,
            other,
            u,
            c.now()
        )),
        Err(StoreError::NotFound)
    ));

    let new_hash = nexus_domain::user::PasswordHash::from_phc(
        "$argon2id$v=19$m=8,t=1,p=1$bmV3c2FsdA$bmV3".into(),
    );
    committed!(db, t, |tx| rec.set_password(tx, t, u, &new_hash, c.now())).unwrap();
    let email = Email::parse("s@recovery.example").unwrap();
    assert_eq!(
        db.users()
            .find_by_email(t, &email)
            .await
            .unwrap()
            .unwrap()
            .1,
        new_hash
    );
    assert!(matches!(
        committed!(db, other, |tx| rec.set_password(
            tx,
            other,
            u,
            &new_hash,
            c.now()
        )),
        Err(StoreError::NotFound)
    ));

    let inv = Invitation {
        email: "invitee@recovery.example".into(),
        role: "learner".into(),
        invited_by: "user:x".into(),
    };
    let inv_hash = hash_token("inv-1");
    committed!(db, t, |tx| rec.create_invitation(
        tx,
        t,
        &inv_hash,
        &inv,
        c.now(),
        c.now() + hour
    ))
    .unwrap();
    assert_eq!(
        committed!(db, other, |tx| rec.accept_invitation(
            tx,
            other,
            &inv_hash,
            c.now()
        ))
        .unwrap(),
        None,
        "per tenant"
    );
    assert_eq!(
        committed!(db, t, |tx| rec.accept_invitation(tx, t, &inv_hash, c.now())).unwrap(),
        Some(inv.clone())
    );
    assert_eq!(
        committed!(db, t, |tx| rec.accept_invitation(tx, t, &inv_hash, c.now())).unwrap(),
        None,
        "single use"
    );

    for (i, subject) in ["first", "second"].iter().enumerate() {
        let m = OutboxMail {
            to: "s@recovery.example".into(),
            subject: (*subject).into(),
            body: "b".into(),
            created_at: c.now() + time::Duration::seconds(i64::try_from(i).unwrap()),
        };
        rec.append_mail(t, uuid::Uuid::new_v4(), &m).await.unwrap();
    }
    let mails = rec.outbox(t, 10).await.unwrap();
    assert_eq!(
        mails.iter().map(|m| m.subject.as_str()).collect::<Vec<_>>(),
        ["second", "first"],
        "newest first"
    );
    assert_eq!(rec.outbox(t, 1).await.unwrap().len(), 1);
    assert!(rec.outbox(other, 10).await.unwrap().is_empty());

    // Retention: two reset tokens, one verification token and one invitation expire at
    // now + 1 h; mail was created now.
    assert_eq!(rec.purge(t, c.now(), c.now()).await.unwrap(), 0);
    assert_eq!(
        rec.purge(
            t,
            c.now() + hour + time::Duration::seconds(1),
            c.now() + time::Duration::seconds(5)
        )
        .await
        .unwrap(),
        6
    );
    assert!(rec.outbox(t, 10).await.unwrap().is_empty());
}
