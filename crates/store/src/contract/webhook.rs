//! Webhook cases: endpoints (create, read, list newest first with the total, update,
//! delete taking messages and attempts with it), subscribers by event and enabled
//! state, messages with each filter, the optimistic save, the attempt log in order,
//! purging by age, and tenant isolation.

use super::*;
use nexus_domain::webhook::{
    Attempt, Endpoint, EndpointUrl, EventType, Message, MessageId, MessageQuery, MessageStatus,
    UrlPolicy, WebhookId, WebhookSecret,
};
use std::collections::BTreeSet;

fn endpoint(c: &ManualClock, url: &str, events: &[EventType], seed: u8) -> Endpoint {
    Endpoint {
        id: WebhookId::generate(c),
        url: EndpointUrl::parse(url, UrlPolicy::AllowPrivate).unwrap(),
        events: events.iter().copied().collect(),
        description: format!("endpoint {seed}"),
        secret: WebhookSecret::from_random([seed; 32]),
        disabled_at: None,
        disabled_reason: None,
        failed_messages: 0,
        created_at: c.now(),
        updated_at: c.now(),
    }
}

fn message(c: &ManualClock, to: WebhookId, event: EventType, subject: Option<UserId>) -> Message {
    Message {
        id: MessageId::generate(c),
        endpoint: to,
        event,
        body: format!(r#"{{"type":"{}","data":{{}}}}"#, event.as_str()),
        subject,
        status: MessageStatus::Pending,
        attempts: 0,
        total_attempts: 0,
        created_at: c.now(),
        next_attempt_at: Some(c.now()),
        delivered_at: None,
    }
}

fn query(
    endpoint: Option<WebhookId>,
    status: Option<MessageStatus>,
    event: Option<EventType>,
) -> MessageQuery {
    MessageQuery {
        endpoint,
        status,
        event,
        page: PageRequest::default(),
    }
}

fn ids(page: &nexus_domain::paging::Page<Message>) -> Vec<MessageId> {
    page.items.iter().map(|m| m.id).collect()
}

pub(super) async fn webhooks_endpoints_messages_and_isolation(db: Arc<dyn Database>) {
    let c = clock();
    let t = add_tenant(&db, &c, "hooks", "Hooks").await;
    let other = add_tenant(&db, &c, "hooks-2", "Other").await;
    let hooks = db.webhooks();

    // Endpoints: create, read back, list newest first with the total, page.
    let first = endpoint(
        &c,
        "https://a.example.com/hook",
        &[EventType::UserCreated, EventType::OrderFilled],
        1,
    );
    committed!(db, t, |tx| hooks.create_endpoint(tx, t, &first)).unwrap();
    c.advance(time::Duration::seconds(1));
    let second = endpoint(&c, "http://127.0.0.1:9000/in", &[EventType::OrderFilled], 2);
    committed!(db, t, |tx| hooks.create_endpoint(tx, t, &second)).unwrap();
    c.advance(time::Duration::seconds(1));
    let third = endpoint(&c, "https://d.example.com/", &[EventType::QuizPassed], 3);
    committed!(db, t, |tx| hooks.create_endpoint(tx, t, &third)).unwrap();

    assert_eq!(hooks.endpoint(t, first.id).await.unwrap(), first);
    assert!(matches!(
        hooks.endpoint(t, WebhookId::generate(&c)).await,
        Err(StoreError::NotFound)
    ));
    let all = hooks.endpoints(t, PageRequest::default()).await.unwrap();
    assert_eq!(
        all.items,
        vec![third.clone(), second.clone(), first.clone()],
        "newest first"
    );
    assert_eq!(all.total, 3);
    let page = PageRequest::new(Some(1), Some(1)).unwrap();
    let window = hooks.endpoints(t, page).await.unwrap();
    assert_eq!((window.items, window.total), (vec![second.clone()], 3));
    assert_eq!((window.limit, window.offset), (1, 1));

    // Update replaces the mutable fields; a missing endpoint is NotFound.
    c.advance(time::Duration::seconds(1));
    let third = Endpoint {
        url: EndpointUrl::parse("https://d2.example.com/x", UrlPolicy::AllowPrivate).unwrap(),
        events: [EventType::QuizPassed, EventType::InvoiceClosed].into(),
        description: "renamed".to_owned(),
        secret: WebhookSecret::from_random([9; 32]),
        failed_messages: 2,
        updated_at: c.now(),
        ..third
    };
    committed!(db, t, |tx| hooks.update_endpoint(tx, t, &third)).unwrap();
    assert_eq!(hooks.endpoint(t, third.id).await.unwrap(), third);
    let ghost = endpoint(&c, "https://ghost.example.com/", &[], 4);
    let r = committed!(db, t, |tx| hooks.update_endpoint(tx, t, &ghost));
    assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");

    // Subscribers: by event, enabled only, read in the caller's transaction.
    let subscribers = |event| {
        let (db, hooks) = (db.clone(), hooks.clone());
        async move {
            let mut tx = db.begin(Some(t)).await.unwrap();
            let found = hooks
                .subscribers_in(tx.as_mut(), t, event)
                .await
                .unwrap()
                .into_iter()
                .map(|found| found.id)
                .collect::<BTreeSet<_>>();
            tx.rollback().await.unwrap();
            found
        }
    };
    assert_eq!(
        subscribers(EventType::OrderFilled).await,
        [first.id, second.id].into()
    );
    assert_eq!(subscribers(EventType::UserCreated).await, [first.id].into());
    assert_eq!(
        subscribers(EventType::InvoiceClosed).await,
        [third.id].into()
    );
    assert!(subscribers(EventType::EnrollmentCompleted).await.is_empty());
    let second = Endpoint {
        disabled_at: Some(c.now()),
        disabled_reason: Some("failing".to_owned()),
        updated_at: c.now(),
        ..second
    };
    committed!(db, t, |tx| hooks.update_endpoint(tx, t, &second)).unwrap();
    assert_eq!(hooks.endpoint(t, second.id).await.unwrap(), second);
    assert_eq!(
        subscribers(EventType::OrderFilled).await,
        [first.id].into(),
        "a disabled endpoint gets no new messages"
    );
    // A subscriber seen inside the transaction that created it.
    {
        let fresh = endpoint(&c, "https://tx.example.com/", &[EventType::QuizPassed], 5);
        let mut tx = db.begin(Some(t)).await.unwrap();
        hooks.create_endpoint(tx.as_mut(), t, &fresh).await.unwrap();
        let found = hooks
            .subscribers_in(tx.as_mut(), t, EventType::QuizPassed)
            .await
            .unwrap();
        assert_eq!(found.len(), 2, "{found:?}");
        tx.rollback().await.unwrap();
        assert!(matches!(
            hooks.endpoint(t, fresh.id).await,
            Err(StoreError::NotFound)
        ));
    }

    // Messages: insert, read back, list newest first with each filter.
    let user = UserId::generate(&c);
    c.advance(time::Duration::seconds(1));
    let m1 = message(&c, first.id, EventType::UserCreated, Some(user));
    c.advance(time::Duration::seconds(1));
    let m2 = message(&c, first.id, EventType::OrderFilled, None);
    c.advance(time::Duration::seconds(1));
    let m3 = message(&c, second.id, EventType::OrderFilled, Some(user));
    for m in [&m1, &m2, &m3] {
        committed!(db, t, |tx| hooks.insert_message(tx, t, m)).unwrap();
    }
    assert_eq!(hooks.message(t, m1.id).await.unwrap(), m1);
    assert!(matches!(
        hooks.message(t, MessageId::generate(&c)).await,
        Err(StoreError::NotFound)
    ));
    let orphan = message(&c, WebhookId::generate(&c), EventType::QuizPassed, None);
    let r = committed!(db, t, |tx| hooks.insert_message(tx, t, &orphan));
    assert!(r.is_err(), "a message needs its endpoint: {r:?}");

    let every = hooks.messages(t, &query(None, None, None)).await.unwrap();
    assert_eq!(
        every.items,
        vec![m3.clone(), m2.clone(), m1.clone()],
        "newest first"
    );
    assert_eq!(every.total, 3);
    let to_a = hooks
        .messages(t, &query(Some(first.id), None, None))
        .await
        .unwrap();
    assert_eq!((ids(&to_a), to_a.total), (vec![m2.id, m1.id], 2));
    let filled = hooks
        .messages(t, &query(None, None, Some(EventType::OrderFilled)))
        .await
        .unwrap();
    assert_eq!((ids(&filled), filled.total), (vec![m3.id, m2.id], 2));
    let both = hooks
        .messages(
            t,
            &query(Some(first.id), None, Some(EventType::OrderFilled)),
        )
        .await
        .unwrap();
    assert_eq!((ids(&both), both.total), (vec![m2.id], 1));
    let paged = hooks
        .messages(
            t,
            &MessageQuery {
                page: PageRequest::new(Some(1), Some(2)).unwrap(),
                ..query(None, None, None)
            },
        )
        .await
        .unwrap();
    assert_eq!((ids(&paged), paged.total), (vec![m1.id], 3));

    // Saving: only while total_attempts is still what the caller read.
    c.advance(time::Duration::seconds(1));
    let delivered = Message {
        status: MessageStatus::Delivered,
        attempts: 1,
        total_attempts: 1,
        next_attempt_at: None,
        delivered_at: Some(c.now()),
        ..m1.clone()
    };
    let saved = committed!(db, t, |tx| hooks.save_message(tx, t, &delivered, 0)).unwrap();
    assert!(saved);
    assert_eq!(hooks.message(t, m1.id).await.unwrap(), delivered);
    let stale = Message {
        status: MessageStatus::Failed,
        attempts: 2,
        total_attempts: 2,
        ..delivered.clone()
    };
    let saved = committed!(db, t, |tx| hooks.save_message(tx, t, &stale, 0)).unwrap();
    assert!(!saved, "a stale save changes nothing");
    assert_eq!(hooks.message(t, m1.id).await.unwrap(), delivered);
    let failed = Message {
        status: MessageStatus::Failed,
        attempts: 1,
        total_attempts: 1,
        next_attempt_at: None,
        ..m2.clone()
    };
    assert!(committed!(db, t, |tx| hooks.save_message(tx, t, &failed, 0)).unwrap());

    for (status, only) in [
        (MessageStatus::Delivered, m1.id),
        (MessageStatus::Failed, m2.id),
        (MessageStatus::Pending, m3.id),
    ] {
        let page = hooks
            .messages(t, &query(None, Some(status), None))
            .await
            .unwrap();
        assert_eq!((ids(&page), page.total), (vec![only], 1), "{status:?}");
    }

    // The attempt log, oldest first whatever the insertion order.
    let attempt = |m: &Message, seq: u32, code: Option<u16>| Attempt {
        message: m.id,
        seq,
        at: m.created_at + time::Duration::seconds(i64::from(seq)),
        status_code: code,
        error: code.is_none().then(|| "connection refused".to_owned()),
        duration_ms: 40 + seq,
        response: code.map(|c| format!("status {c}")).unwrap_or_default(),
    };
    let log = [
        attempt(&m3, 1, None),
        attempt(&m3, 2, Some(503)),
        attempt(&m3, 3, Some(204)),
    ];
    for entry in [&log[2], &log[0], &log[1]] {
        committed!(db, t, |tx| hooks.insert_attempt(tx, t, entry)).unwrap();
    }
    let a1 = attempt(&m1, 1, Some(200));
    committed!(db, t, |tx| hooks.insert_attempt(tx, t, &a1)).unwrap();
    assert_eq!(hooks.attempts(t, m3.id).await.unwrap(), log.to_vec());
    assert_eq!(hooks.attempts(t, m1.id).await.unwrap(), vec![a1.clone()]);
    assert!(hooks.attempts(t, m2.id).await.unwrap().is_empty());
    let r = committed!(db, t, |tx| hooks.insert_attempt(tx, t, &log[0]));
    assert!(r.is_err(), "an attempt is recorded once: {r:?}");

    // Another tenant sees none of it and can change none of it.
    assert!(matches!(
        hooks.endpoint(other, first.id).await,
        Err(StoreError::NotFound)
    ));
    let none = hooks
        .endpoints(other, PageRequest::default())
        .await
        .unwrap();
    assert!(none.items.is_empty() && none.total == 0);
    assert!(matches!(
        hooks.message(other, m1.id).await,
        Err(StoreError::NotFound)
    ));
    let none = hooks
        .messages(other, &query(None, None, None))
        .await
        .unwrap();
    assert!(none.items.is_empty() && none.total == 0);
    let none = hooks
        .messages(other, &query(Some(first.id), None, None))
        .await
        .unwrap();
    assert!(none.items.is_empty() && none.total == 0);
    assert!(hooks.attempts(other, m3.id).await.unwrap().is_empty());
    {
        let mut tx = db.begin(Some(other)).await.unwrap();
        let found = hooks
            .subscribers_in(tx.as_mut(), other, EventType::UserCreated)
            .await
            .unwrap();
        assert!(found.is_empty());
        tx.rollback().await.unwrap();
    }
    let hijack = Endpoint {
        url: EndpointUrl::parse("https://evil.example.com/", UrlPolicy::AllowPrivate).unwrap(),
        ..first.clone()
    };
    let r = committed!(db, other, |tx| hooks.update_endpoint(tx, other, &hijack));
    assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
    let r = committed!(db, other, |tx| hooks.delete_endpoint(tx, other, first.id));
    assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
    let stolen = Message {
        status: MessageStatus::Failed,
        total_attempts: 5,
        ..m3.clone()
    };
    let saved = committed!(db, other, |tx| hooks.save_message(tx, other, &stolen, 0)).unwrap();
    assert!(!saved);
    assert_eq!(
        hooks
            .purge_messages(other, c.now() + time::Duration::days(1))
            .await
            .unwrap(),
        0
    );
    assert_eq!(hooks.endpoint(t, first.id).await.unwrap(), first);
    assert_eq!(hooks.message(t, m3.id).await.unwrap(), m3);
    assert_eq!(hooks.attempts(t, m3.id).await.unwrap().len(), 3);

    // Deleting an endpoint takes its messages and their attempts with it.
    committed!(db, t, |tx| hooks.delete_endpoint(tx, t, second.id)).unwrap();
    assert!(matches!(
        hooks.endpoint(t, second.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        hooks.message(t, m3.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(hooks.attempts(t, m3.id).await.unwrap().is_empty());
    let left = hooks.messages(t, &query(None, None, None)).await.unwrap();
    assert_eq!((ids(&left), left.total), (vec![m2.id, m1.id], 2));
    assert_eq!(
        hooks
            .endpoints(t, PageRequest::default())
            .await
            .unwrap()
            .total,
        2
    );
    let r = committed!(db, t, |tx| hooks.delete_endpoint(tx, t, second.id));
    assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");

    // Purging by age: strictly older than `before`, attempts with them.
    let newer = message(&c, first.id, EventType::UserCreated, None);
    committed!(db, t, |tx| hooks.insert_message(tx, t, &newer)).unwrap();
    assert_eq!(hooks.purge_messages(t, m1.created_at).await.unwrap(), 0);
    assert_eq!(hooks.purge_messages(t, m2.created_at).await.unwrap(), 1);
    assert!(matches!(
        hooks.message(t, m1.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(hooks.attempts(t, m1.id).await.unwrap().is_empty());
    let left = hooks.messages(t, &query(None, None, None)).await.unwrap();
    assert_eq!((ids(&left), left.total), (vec![newer.id, m2.id], 2));
    assert_eq!(
        hooks
            .purge_messages(t, c.now() + time::Duration::seconds(1))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        hooks
            .messages(t, &query(None, None, None))
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        hooks.endpoint(t, first.id).await.unwrap(),
        first,
        "endpoints stay"
    );
}
