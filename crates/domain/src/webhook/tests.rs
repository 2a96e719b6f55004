use super::*;

fn secret() -> WebhookSecret {
    // The Standard Webhooks specification's example secret.
    WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap()
}

#[test]
fn signatures_match_the_standard_webhooks_example() {
    // From the specification's reference test vectors.
    let body = br#"{"test": 2432232314}"#;
    let sig = sign(
        &secret(),
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1_614_265_330,
        body,
    );
    assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    assert_eq!(
        verify(
            &secret(),
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "1614265330",
            &sig,
            body,
            1_614_265_330,
            300
        ),
        Ok(())
    );
}

#[test]
fn verification_refuses_tampering_replays_and_junk() {
    let body = b"{\"type\":\"user.created\"}";
    let sig = sign(&secret(), "msg_1", 1_800_000_000, body);
    let v = |id: &str, ts: &str, sigs: &str, body: &[u8], now: i64| {
        verify(&secret(), id, ts, sigs, body, now, 300)
    };
    assert_eq!(v("msg_1", "1800000000", &sig, body, 1_800_000_200), Ok(()));
    assert_eq!(
        v("msg_2", "1800000000", &sig, body, 1_800_000_000),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        v("msg_1", "1800000000", &sig, b"{}", 1_800_000_000),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        v("msg_1", "1800000000", &sig, body, 1_800_000_301),
        Err(SignatureError::Stale)
    );
    assert_eq!(
        v("msg_1", "soon", &sig, body, 1_800_000_000),
        Err(SignatureError::Malformed)
    );
    // Rotation: any one of several signatures may match.
    let rotated = format!("v1,AAAA {sig}");
    assert_eq!(
        v("msg_1", "1800000000", &rotated, body, 1_800_000_000),
        Ok(())
    );
    assert!(WebhookSecret::parse("whsec_short").is_none());
    assert!(WebhookSecret::parse("nope").is_none());
    let s = WebhookSecret::from_random([7; 32]);
    assert_eq!(WebhookSecret::parse(&s.expose()), Some(s.clone()));
    assert_eq!(format!("{s:?}"), "WebhookSecret([redacted])");
}

#[test]
fn retries_back_off_then_stop() {
    assert_eq!(retry_after(0), None);
    assert_eq!(retry_after(1), Some(std::time::Duration::from_secs(5)));
    assert_eq!(retry_after(8), Some(std::time::Duration::from_hours(4)));
    assert_eq!(retry_after(MAX_ATTEMPTS), None);
    let mut last = std::time::Duration::ZERO;
    for n in 1..MAX_ATTEMPTS {
        let d = retry_after(n).unwrap();
        assert!(d > last);
        last = d;
    }
}

#[test]
fn endpoints_refuse_internal_targets_unless_allowed() {
    let public =
        |u: &str| EndpointUrl::parse(u, UrlPolicy::PublicHttps).map(|e| e.as_str().to_owned());
    assert_eq!(
        public("https://hooks.example.com/in").unwrap(),
        "https://hooks.example.com/in"
    );
    for bad in [
        "http://hooks.example.com/in",
        "https://localhost/in",
        "https://127.0.0.1/in",
        "https://10.1.2.3/",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/",
        "https://[fd00::1]/",
        "https://[::ffff:192.168.0.1]/",
        "https://100.64.0.1/",
        "https://user:pw@hooks.example.com/",
        "ftp://hooks.example.com/",
        "not a url",
        "https://hooks.example.com/#frag",
    ] {
        assert!(public(bad).is_err(), "{bad}");
    }
    assert!(EndpointUrl::parse("http://127.0.0.1:9000/in", UrlPolicy::AllowPrivate).is_ok());
    let made = NewEndpoint::parse(
        "https://hooks.example.com/in",
        &[
            "user.created".into(),
            "invoice.closed".into(),
            "user.created".into(),
        ],
        " HR sync ",
        UrlPolicy::PublicHttps,
    )
    .unwrap();
    assert_eq!(made.events.len(), 2);
    assert_eq!(made.description, "HR sync");
    let errs = NewEndpoint::parse("nope", &["user.deleted".into()], "", UrlPolicy::PublicHttps)
        .unwrap_err();
    let fields: Vec<&str> = errs.as_slice().iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["url", "events[0]"]);
    for e in EventType::ALL {
        assert_eq!(EventType::parse(e.as_str()), Some(e));
    }
}

fn pending() -> Message {
    let at = time::OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
    Message {
        id: MessageId::from_uuid(uuid::Uuid::nil()),
        endpoint: WebhookId::from_uuid(uuid::Uuid::nil()),
        event: EventType::UserCreated,
        body: "{}".to_owned(),
        subject: None,
        status: MessageStatus::Pending,
        attempts: 0,
        total_attempts: 0,
        created_at: at,
        next_attempt_at: Some(at),
        delivered_at: None,
    }
}

fn attempt(m: &Message, seq: u32, status: Option<u16>) -> Attempt {
    Attempt {
        message: m.id,
        seq,
        at: m.created_at + time::Duration::minutes(i64::from(seq)),
        status_code: status,
        error: status.is_none().then(|| "refused".to_owned()),
        duration_ms: 3,
        response: String::new(),
    }
}

#[test]
fn a_2xx_delivers_and_anything_else_is_retried_on_the_schedule() {
    let m = pending();
    let ok = after_attempt(m.clone(), &attempt(&m, 1, Some(204)));
    assert_eq!(ok.message.status, MessageStatus::Delivered);
    assert_eq!(ok.message.total_attempts, 1);
    assert!(ok.retry_at.is_none() && !ok.exhausted);
    for status in [None, Some(500), Some(301), Some(404)] {
        let a = attempt(&m, 1, status);
        let failed = after_attempt(m.clone(), &a);
        assert_eq!(failed.message.status, MessageStatus::Pending, "{status:?}");
        assert_eq!(failed.retry_at, Some(a.at + time::Duration::seconds(5)));
        assert!(!failed.exhausted);
    }
}

#[test]
fn a_message_fails_after_nine_attempts_and_replay_counts_afresh() {
    let mut m = pending();
    let mut delays = Vec::new();
    for seq in 1..=MAX_ATTEMPTS {
        let a = attempt(&m, seq, Some(503));
        let after = after_attempt(m, &a);
        if let Some(at) = after.retry_at {
            delays.push((at - a.at).whole_seconds());
        }
        assert_eq!(after.exhausted, seq == MAX_ATTEMPTS, "attempt {seq}");
        m = after.message;
    }
    assert_eq!(m.status, MessageStatus::Failed);
    assert_eq!(m.total_attempts, MAX_ATTEMPTS);
    assert_eq!(delays, [5, 30, 120, 600, 1_800, 3_600, 7_200, 14_400]);
    // A replay resets the round but the attempt numbers keep counting.
    m.status = MessageStatus::Pending;
    m.attempts = 0;
    let after = after_attempt(m, &attempt(&pending(), MAX_ATTEMPTS + 1, None));
    assert_eq!(after.message.total_attempts, MAX_ATTEMPTS + 1);
    assert_eq!(after.message.attempts, 1);
    assert!(after.retry_at.is_some());
}

#[test]
fn addresses_that_lead_inside_are_internal_however_they_are_written() {
    for ip in [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "198.18.0.1",
        "192.0.0.8",
        "240.0.0.1",
        "0.0.0.0",
        "::1",
        "fd00::1",
        "fe80::1",
        "fec0::1",
        "2001:db8::1",
        "::ffff:10.0.0.1",
        "::10.0.0.1",
        "64:ff9b::a00:1",
        "2002:a00:1::1",
        "2002:7f00:1::",
    ] {
        let parsed: std::net::IpAddr = ip.parse().unwrap();
        assert!(is_internal(parsed), "{ip} must be internal");
    }
    for ip in [
        "93.184.216.34",
        "2606:4700::1111",
        "64:ff9b::5db8:d822",
        "2002:5db8:d822::1",
    ] {
        let parsed: std::net::IpAddr = ip.parse().unwrap();
        assert!(!is_internal(parsed), "{ip} is public");
    }
}

#[test]
fn the_length_limit_applies_to_the_stored_form() {
    // 1,998 characters typed, nearly 6,000 once percent-encoded.
    let typed = format!("https://a.example/{}", "é".repeat(990));
    assert!(typed.chars().count() < 2_000);
    assert!(EndpointUrl::parse(&typed, UrlPolicy::PublicHttps).is_err());
    // Whatever is stored reads back, even under rules tightened later.
    let stored = format!("http://127.0.0.1/{}", "a".repeat(3_000));
    assert_eq!(EndpointUrl::from_stored(&stored).unwrap().as_str(), stored);
}
