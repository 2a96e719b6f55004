//! Cohort, enrolment and lesson-progress cases.

use super::*;
use nexus_domain::learning::enrolment::{
    Cohort, CohortId, CohortMember, CohortRole, Enrolment, EnrolmentSource,
};
use nexus_domain::learning::progress::LessonProgress;
use nexus_domain::learning::{ContentStatus, Course, CourseDraft, CourseId, LessonId, Level};

async fn add_learner(db: &Arc<dyn Database>, c: &ManualClock, t: TenantId, email: &str) -> UserId {
    let id = UserId::generate(c);
    db.users()
        .create(t, id, &new_user(email, email, Role::Learner), c.now())
        .await
        .unwrap();
    id
}

async fn add_course(db: &Arc<dyn Database>, c: &ManualClock, t: TenantId) -> CourseId {
    let course = Course {
        id: CourseId::generate(c),
        tenant_id: t,
        meta: CourseDraft {
            title: "Budgeting".to_owned(),
            summary: String::new(),
            level: Level::Beginner,
            estimated_minutes: 60,
            tags: Vec::new(),
            self_enrol: true,
        },
        status: ContentStatus::Draft,
        published_version: 0,
        published_meta: None,
        created_at: c.now(),
        updated_at: c.now(),
    };
    committed!(db, t, |tx| db.courses().create(tx, &course)).unwrap();
    course.id
}

fn cohort(c: &ManualClock, t: TenantId, name: &str) -> Cohort {
    Cohort {
        id: CohortId::generate(c),
        tenant_id: t,
        name: name.to_owned(),
        created_at: c.now(),
    }
}

pub(super) async fn cohorts_and_members(db: Arc<dyn Database>) {
    let c = clock();
    let t = add_tenant(&db, &c, "cohorts", "Cohorts").await;
    let other = add_tenant(&db, &c, "cohorts-2", "Other").await;
    let store = db.enrolments();
    let ana = add_learner(&db, &c, t, "ana@example.com").await;
    let bo = add_learner(&db, &c, t, "bo@example.com").await;
    let stranger = add_learner(&db, &c, other, "cy@example.com").await;

    let nine_b = cohort(&c, t, "Class 9B");
    let nine_a = cohort(&c, t, "class 9a");
    for x in [&nine_b, &nine_a] {
        committed!(db, t, |tx| store.create_cohort(tx, x)).unwrap();
    }
    let clash = cohort(&c, t, "CLASS 9B");
    assert!(
        matches!(
            committed!(db, t, |tx| store.create_cohort(tx, &clash)),
            Err(StoreError::Conflict {
                constraint: "cohort_name_key"
            })
        ),
        "names are unique per tenant, case-insensitively"
    );
    let same_name_elsewhere = cohort(&c, other, "Class 9B");
    committed!(db, other, |tx| store
        .create_cohort(tx, &same_name_elsewhere))
    .unwrap();
    assert_eq!(store.cohort(t, nine_b.id).await.unwrap(), nine_b);
    assert!(matches!(
        store.cohort(other, nine_b.id).await,
        Err(StoreError::NotFound)
    ));

    // Members: add, change role, remove; the cohort and user must be this tenant's.
    let member = |user, role| CohortMember {
        user,
        role,
        added_at: c.now(),
    };
    committed!(db, t, |tx| store.put_member(
        tx,
        t,
        nine_b.id,
        &member(ana, CohortRole::Learner)
    ))
    .unwrap();
    c.advance(time::Duration::seconds(1));
    committed!(db, t, |tx| store.put_member(
        tx,
        t,
        nine_b.id,
        &member(bo, CohortRole::Learner)
    ))
    .unwrap();
    committed!(db, t, |tx| store.put_member(
        tx,
        t,
        nine_b.id,
        &member(bo, CohortRole::Instructor)
    ))
    .unwrap();
    assert!(
        matches!(
            committed!(db, t, |tx| store.put_member(
                tx,
                t,
                nine_b.id,
                &member(stranger, CohortRole::Learner)
            )),
            Err(StoreError::NotFound)
        ),
        "another tenant's user cannot join"
    );
    assert!(
        matches!(
            committed!(db, other, |tx| store.put_member(
                tx,
                other,
                nine_b.id,
                &member(stranger, CohortRole::Learner)
            )),
            Err(StoreError::NotFound)
        ),
        "nor can anyone join another tenant's cohort"
    );
    let all = store
        .members(t, nine_b.id, None, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(all.total, 2);
    assert_eq!(all.items[0].user, ana, "in order of joining");
    assert_eq!(
        all.items[1].role,
        CohortRole::Instructor,
        "role changed in place"
    );
    let instructors = store
        .members(
            t,
            nine_b.id,
            Some(CohortRole::Instructor),
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        instructors.items.iter().map(|m| m.user).collect::<Vec<_>>(),
        [bo]
    );
    let window = store
        .members(
            t,
            nine_b.id,
            None,
            PageRequest::new(Some(1), Some(1)).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        (window.total, window.items.len(), window.items[0].user),
        (2, 1, bo)
    );

    // Listing: by name, optionally only a member's.
    let listed = store
        .cohorts(t, None, PageRequest::default())
        .await
        .unwrap();
    let names: Vec<&str> = listed.items.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, ["class 9a", "Class 9B"]);
    let anas = store
        .cohorts(t, Some(ana), PageRequest::default())
        .await
        .unwrap();
    assert_eq!((anas.total, anas.items[0].id), (1, nine_b.id));

    assert!(committed!(db, t, |tx| store.remove_member(tx, t, nine_b.id, ana)).unwrap());
    assert!(!committed!(db, t, |tx| store.remove_member(tx, t, nine_b.id, ana)).unwrap());
    committed!(db, t, |tx| store.rename_cohort(
        tx,
        t,
        nine_a.id,
        "Class 9A (2026)"
    ))
    .unwrap();
    assert!(matches!(
        committed!(db, t, |tx| store
            .rename_cohort(tx, t, nine_a.id, "class 9b")),
        Err(StoreError::Conflict {
            constraint: "cohort_name_key"
        })
    ));
    committed!(db, t, |tx| store.delete_cohort(tx, t, nine_b.id)).unwrap();
    assert!(matches!(
        committed!(db, t, |tx| store.delete_cohort(tx, t, nine_b.id)),
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .members(t, nine_b.id, None, PageRequest::default())
            .await
            .unwrap()
            .total,
        0,
        "memberships go with the cohort"
    );
    assert!(matches!(
        committed!(db, other, |tx| store.delete_cohort(tx, other, nine_a.id)),
        Err(StoreError::NotFound)
    ));
}

pub(super) async fn enrolment_and_progress(db: Arc<dyn Database>) {
    let c = clock();
    let t = add_tenant(&db, &c, "enrol", "Enrol").await;
    let other = add_tenant(&db, &c, "enrol-2", "Other").await;
    let store = db.enrolments();
    let ana = add_learner(&db, &c, t, "ana@example.com").await;
    let bo = add_learner(&db, &c, t, "bo@example.com").await;
    let stranger = add_learner(&db, &c, other, "cy@example.com").await;
    let course = add_course(&db, &c, t).await;
    let second = add_course(&db, &c, t).await;

    let enrolment = |user, course, source| Enrolment {
        course,
        user,
        source,
        assigned_by: (source != EnrolmentSource::SelfEnrolled).then_some(bo),
        cohort: None,
        enrolled_at: c.now(),
    };
    let first = enrolment(ana, course, EnrolmentSource::SelfEnrolled);
    assert!(committed!(db, t, |tx| store.enrol(tx, t, &first)).unwrap());
    c.advance(time::Duration::seconds(1));
    let again = enrolment(ana, course, EnrolmentSource::Assigned);
    assert!(
        !committed!(db, t, |tx| store.enrol(tx, t, &again)).unwrap(),
        "enrolling twice is a no-op"
    );
    assert_eq!(
        store.enrolment(t, course, ana).await.unwrap(),
        Some(first.clone()),
        "the first is kept"
    );
    let assigned = enrolment(bo, course, EnrolmentSource::Assigned);
    committed!(db, t, |tx| store.enrol(tx, t, &assigned)).unwrap();
    c.advance(time::Duration::seconds(1));
    let later = enrolment(ana, second, EnrolmentSource::Assigned);
    committed!(db, t, |tx| store.enrol(tx, t, &later)).unwrap();
    assert!(
        matches!(
            committed!(db, t, |tx| store.enrol(
                tx,
                t,
                &enrolment(stranger, course, EnrolmentSource::Assigned)
            )),
            Err(StoreError::NotFound)
        ),
        "another tenant's user"
    );
    assert!(
        matches!(
            committed!(db, other, |tx| store.enrol(
                tx,
                other,
                &enrolment(stranger, course, EnrolmentSource::Assigned)
            )),
            Err(StoreError::NotFound)
        ),
        "another tenant's course"
    );
    assert_eq!(store.enrolment(other, course, ana).await.unwrap(), None);

    let roster = store
        .course_enrolments(t, course, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(
        roster.items.iter().map(|e| e.user).collect::<Vec<_>>(),
        [ana, bo]
    );
    let anas = store
        .user_enrolments(t, ana, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(
        anas.items.iter().map(|e| e.course).collect::<Vec<_>>(),
        [second, course],
        "newest first"
    );
    assert_eq!(
        store
            .user_enrolments(other, ana, PageRequest::default())
            .await
            .unwrap()
            .total,
        0
    );

    // Progress: needs an enrolment; read back inside the updating transaction.
    let lesson = LessonId::generate(&c);
    let record = LessonProgress {
        user: ana,
        course,
        lesson,
        seconds_spent: 90,
        first_seen_at: c.now(),
        last_seen_at: c.now(),
        completed_at: None,
    };
    committed!(db, t, |tx| store.save_progress(tx, t, &record)).unwrap();
    let mut done = record.clone();
    c.advance(time::Duration::seconds(90));
    done.seconds_spent = 180;
    done.last_seen_at = c.now();
    done.completed_at = Some(c.now());
    let mut tx = db.begin(Some(t)).await.unwrap();
    assert_eq!(
        store
            .lesson_progress(tx.as_mut(), t, ana, lesson)
            .await
            .unwrap(),
        Some(record.clone())
    );
    store.save_progress(tx.as_mut(), t, &done).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        store.course_progress(t, course, ana).await.unwrap(),
        [done.clone()]
    );
    let not_enrolled = LessonProgress {
        course: second,
        user: bo,
        ..record.clone()
    };
    assert!(
        matches!(
            committed!(db, t, |tx| store.save_progress(tx, t, &not_enrolled)),
            Err(StoreError::NotFound)
        ),
        "progress needs an enrolment"
    );
    assert!(
        store
            .course_progress(other, course, ana)
            .await
            .unwrap()
            .is_empty()
    );
    let bos = LessonProgress {
        user: bo,
        ..record.clone()
    };
    committed!(db, t, |tx| store.save_progress(tx, t, &bos)).unwrap();
    assert_eq!(
        store
            .progress_of(t, course, &[ana, bo])
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(store.progress_of(t, course, &[bo]).await.unwrap(), [bos]);
    assert!(store.progress_of(t, course, &[]).await.unwrap().is_empty());
    assert_eq!(
        store
            .completions(t, ana, c.now() - time::Duration::days(1))
            .await
            .unwrap(),
        [done.completed_at.unwrap()]
    );
    assert!(
        store
            .completions(t, ana, c.now() + time::Duration::seconds(1))
            .await
            .unwrap()
            .is_empty()
    );

    // Withdrawing takes the progress with it.
    assert!(committed!(db, t, |tx| store.unenrol(tx, t, course, ana)).unwrap());
    assert!(!committed!(db, t, |tx| store.unenrol(tx, t, course, ana)).unwrap());
    assert!(
        store
            .course_progress(t, course, ana)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.enrolment(t, course, ana).await.unwrap(), None);
}
