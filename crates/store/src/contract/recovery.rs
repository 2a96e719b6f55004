//! Password-reset token and invitation cases.

use super::identity::session_user;
use super::*;

pub(super) async fn recovery_store_lifecycle(db: Arc<dyn Database>) {
    use crate::{Invitation, OutboxMail};
    let c = clock();
    let (t, u) = session_user(&db, &c, "recovery").await;
    let (other, _) = session_user(&db, &c, "recovery-2").await;
    let rec = db.recovery();
    let hour = time::Duration::hours(1);

    rec.create_reset_token(t, u, &hash_token("reset-1"), c.now(), c.now() + hour)
        .await
        .unwrap();
    assert_eq!(
        rec.consume_reset_token(other, &hash_token("reset-1"), c.now())
            .await
            .unwrap(),
        None,
        "per tenant"
    );
    assert_eq!(
        rec.consume_reset_token(t, &hash_token("reset-1"), c.now())
            .await
            .unwrap(),
        Some(u)
    );
    assert_eq!(
        rec.consume_reset_token(t, &hash_token("reset-1"), c.now())
            .await
            .unwrap(),
        None,
        "single use"
    );
    rec.create_reset_token(t, u, &hash_token("reset-2"), c.now(), c.now() + hour)
        .await
        .unwrap();
    assert_eq!(
        rec.consume_reset_token(t, &hash_token("reset-2"), c.now() + hour)
            .await
            .unwrap(),
        None,
        "expired"
    );

    let new_hash = nexus_domain::user::PasswordHash::from_phc(
        "$argon2id$v=19$m=8,t=1,p=1$bmV3c2FsdA$bmV3".into(),
    );
    rec.set_password(t, u, &new_hash, c.now()).await.unwrap();
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
        rec.set_password(other, u, &new_hash, c.now()).await,
        Err(StoreError::NotFound)
    ));

    let inv = Invitation {
        email: "invitee@recovery.example".into(),
        role: "learner".into(),
        invited_by: "user:x".into(),
    };
    rec.create_invitation(t, &hash_token("inv-1"), &inv, c.now(), c.now() + hour)
        .await
        .unwrap();
    assert_eq!(
        rec.accept_invitation(other, &hash_token("inv-1"), c.now())
            .await
            .unwrap(),
        None,
        "per tenant"
    );
    assert_eq!(
        rec.accept_invitation(t, &hash_token("inv-1"), c.now())
            .await
            .unwrap(),
        Some(inv.clone())
    );
    assert_eq!(
        rec.accept_invitation(t, &hash_token("inv-1"), c.now())
            .await
            .unwrap(),
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

    // Retention: two reset tokens and one invitation expire at now + 1 h; mail was created now.
    assert_eq!(rec.purge(t, c.now(), c.now()).await.unwrap(), 0);
    assert_eq!(
        rec.purge(
            t,
            c.now() + hour + time::Duration::seconds(1),
            c.now() + time::Duration::seconds(5)
        )
        .await
        .unwrap(),
        5
    );
    assert!(rec.outbox(t, 10).await.unwrap().is_empty());
}
