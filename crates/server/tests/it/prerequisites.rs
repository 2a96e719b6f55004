//! Course prerequisites end to end: setting and reading them, the cycle and unknown-course
//! checks, the self-enrolment gate (and the assignment override), and the audit trail.

use crate::enrolment::{audited, course, expect, invalid_fields, person, send};
use crate::harness::{TestApp, problem};
use nexus_domain::learning::CourseId;
use nexus_domain::learning::certificate::{Certificate, CertificateId};
use nexus_domain::user::Role;
use nexus_domain::{TenantId, UserId};
use reqwest::Method;
use serde_json::{Value, json};

const SCHOOL: &str = "school";

fn id_of(base: &str) -> String {
    base.trim_start_matches("/v1/courses/").to_owned()
}

/// Issues a certificate straight through the store. The full path (finishing every
/// lesson and quiz earns one) is covered by
/// `rewards::completing_a_course_earns_xp_badges_and_a_verifiable_certificate`; here only
/// holding one matters.
async fn certify(app: &TestApp, tenant: TenantId, user: &str, course: &str) {
    let clock = app.wired.clock.as_ref();
    let cert = Certificate {
        id: CertificateId::generate(clock),
        course: course.parse::<CourseId>().unwrap(),
        user: user.parse::<UserId>().unwrap(),
        code: nexus_domain::learning::certificate::code_from(rand_bytes()),
        holder_name: "Pupil".to_owned(),
        course_title: "Money basics".to_owned(),
        issued_at: clock.now(),
        revoked_at: None,
        revoked_reason: None,
    };
    let db = &app.wired.db;
    let mut tx = db.begin(Some(tenant)).await.unwrap();
    assert!(
        db.achievements()
            .issue_certificate(tx.as_mut(), tenant, &cert)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
}

fn rand_bytes() -> [u8; 13] {
    let mut out = [0; 13];
    out.copy_from_slice(&uuid::Uuid::new_v4().as_bytes()[..13]);
    out
}

#[tokio::test]
async fn prerequisites_gate_self_enrolment_but_not_assignment() {
    let app = TestApp::spawn().await;
    let (tenant, _, teach) = person(&app, SCHOOL, "teach@school.example", Role::Instructor).await;
    let (_, pupil_id, pupil) = person(&app, SCHOOL, "pupil@school.example", Role::Learner).await;
    let (_, other_id, _) = person(&app, SCHOOL, "other@school.example", Role::Learner).await;
    let (_, _, admin) = person(&app, SCHOOL, "admin@school.example", Role::Admin).await;
    let (_, _, stranger) = person(&app, "elsewhere", "t@elsewhere.example", Role::Admin).await;
    let (basics, _) = course(&app, &teach, true, 1, true).await;
    let (advanced, _) = course(&app, &teach, true, 1, true).await;
    let (a, b) = (id_of(&basics), id_of(&advanced));
    let prereqs = format!("{advanced}/prerequisites");

    // Set and read back; learners see whether they completed each.
    let set = expect(
        send(
            &app,
            Method::PUT,
            &prereqs,
            &teach,
            Some(json!({ "courses": [a] })),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(set, json!({ "courses": [a] }));
    let seen = expect(send(&app, Method::GET, &prereqs, &pupil, None).await, 200).await;
    assert_eq!(
        seen,
        json!({ "courses": [{ "id": a, "title": "Money basics", "completed": false }] })
    );

    // B requires A, so A cannot require B (nor itself).
    let cycle = send(
        &app,
        Method::PUT,
        &format!("{basics}/prerequisites"),
        &teach,
        Some(json!({ "courses": [b] })),
    )
    .await;
    let body = problem(cycle, 422, "validation_failed").await;
    assert_eq!(
        (&body["errors"][0]["field"], &body["errors"][0]["code"]),
        (&json!("courses"), &json!("cycle")),
        "{body}"
    );
    let path = body["errors"][0]["message"].as_str().unwrap();
    assert!(path.contains(&a) && path.contains(&b), "{path}");
    let own = send(
        &app,
        Method::PUT,
        &format!("{basics}/prerequisites"),
        &teach,
        Some(json!({ "courses": [a] })),
    )
    .await;
    assert_eq!(
        invalid_fields(own).await,
        [("courses".to_owned(), "cycle".to_owned())]
    );

    // Unknown courses, including another tenant's, are all reported at once.
    let theirs = course_elsewhere(&app, &stranger).await;
    let unknown = send(
        &app,
        Method::PUT,
        &prereqs,
        &teach,
        Some(json!({ "courses": [uuid::Uuid::now_v7(), a, theirs] })),
    )
    .await;
    assert_eq!(
        invalid_fields(unknown).await,
        [
            ("courses[0]".to_owned(), "unknown_course".to_owned()),
            ("courses[2]".to_owned(), "unknown_course".to_owned()),
        ]
    );
    let malformed = send(
        &app,
        Method::PUT,
        &prereqs,
        &teach,
        Some(json!({ "courses": ["nope"] })),
    )
    .await;
    assert_eq!(
        invalid_fields(malformed).await,
        [("courses[0]".to_owned(), "format".to_owned())]
    );
    problem(
        send(
            &app,
            Method::PUT,
            &prereqs,
            &pupil,
            Some(json!({ "courses": [] })),
        )
        .await,
        403,
        "forbidden",
    )
    .await;

    // Self-enrolment waits for the prerequisite's certificate.
    let enrol = format!("{advanced}/enrolment");
    problem(
        send(&app, Method::POST, &enrol, &pupil, None).await,
        409,
        "prerequisites_incomplete",
    )
    .await;
    expect(
        send(
            &app,
            Method::POST,
            &format!("{basics}/enrolment"),
            &pupil,
            None,
        )
        .await,
        201,
    )
    .await;
    certify(&app, tenant, &pupil_id, &a).await;
    let seen = expect(send(&app, Method::GET, &prereqs, &pupil, None).await, 200).await;
    assert_eq!(seen["courses"][0]["completed"], true, "{seen}");
    expect(send(&app, Method::POST, &enrol, &pupil, None).await, 201).await;

    // An admin may assign a learner who has not completed it: that is the override.
    let assigned = expect(
        send(
            &app,
            Method::POST,
            &format!("{advanced}/enrolments"),
            &admin,
            Some(json!({ "user_ids": [other_id] })),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(assigned["enrolled"], 1, "{assigned}");

    let trail = audited(&app, &admin, "course.prerequisites").await;
    assert_eq!(trail.len(), 1, "refused changes leave no record: {trail:?}");
    assert_eq!(trail[0].1, json!({ "before": [], "after": [a] }));
}

/// A published course of another tenant, for the isolation check.
async fn course_elsewhere(app: &TestApp, token: &str) -> String {
    let c = expect(
        crate::enrolment::send_to(
            app,
            "elsewhere",
            Method::POST,
            "/v1/courses",
            token,
            Some(json!({ "title": "Theirs", "level": "beginner", "estimated_minutes": 10 })),
        )
        .await,
        201,
    )
    .await;
    c["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn learners_see_prerequisites_of_published_courses_only() {
    let app = TestApp::spawn().await;
    let (_, _, teach) = person(&app, SCHOOL, "teach@school.example", Role::Instructor).await;
    let (_, _, pupil) = person(&app, SCHOOL, "pupil@school.example", Role::Learner).await;
    let (draft, _) = course(&app, &teach, true, 1, false).await;
    let path = format!("{draft}/prerequisites");
    let authors: Value = expect(send(&app, Method::GET, &path, &teach, None).await, 200).await;
    assert_eq!(authors, json!({ "courses": [] }));
    problem(
        send(&app, Method::GET, &path, &pupil, None).await,
        404,
        "not_found",
    )
    .await;
    let too_many: Vec<String> = (0..21).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    assert_eq!(
        invalid_fields(
            send(
                &app,
                Method::PUT,
                &path,
                &teach,
                Some(json!({ "courses": too_many }))
            )
            .await
        )
        .await,
        [("courses".to_owned(), "too_many".to_owned())]
    );
}
