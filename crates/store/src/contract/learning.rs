//! Course catalogue cases.

use super::*;
use nexus_domain::learning::{
    ContentStatus, Course, CourseDraft, CourseId, CourseQuery, Level, Tag,
};

fn course(c: &ManualClock, tenant: TenantId, title: &str, level: Level, tags: &[&str]) -> Course {
    Course {
        id: CourseId::generate(c),
        tenant_id: tenant,
        meta: CourseDraft {
            title: title.to_owned(),
            summary: format!("All about {title}"),
            level,
            estimated_minutes: 90,
            tags: tags.iter().map(|t| Tag::parse(t).unwrap()).collect(),
            self_enrol: true,
        },
        status: ContentStatus::Draft,
        published_version: 0,
        published_meta: None,
        created_at: c.now(),
        updated_at: c.now(),
    }
}

pub(super) async fn course_catalogue(db: Arc<dyn Database>) {
    let c = clock();
    let t = add_tenant(&db, &c, "catalogue", "Catalogue").await;
    let other = add_tenant(&db, &c, "catalogue-2", "Other").await;
    let courses = db.courses();

    let budgeting = course(
        &c,
        t,
        "Budgeting basics",
        Level::Beginner,
        &["budgeting", "money-101"],
    );
    let investing = course(
        &c,
        t,
        "Investing 50% smarter",
        Level::Intermediate,
        &["investing"],
    );
    let risk = course(
        &c,
        t,
        "Risk and diversification",
        Level::Advanced,
        &["investing", "risk"],
    );
    for x in [&budgeting, &investing, &risk] {
        committed!(db, t, |tx| courses.create(tx, x)).unwrap();
    }
    assert_eq!(courses.get(t, budgeting.id).await.unwrap(), budgeting);
    assert!(
        matches!(
            courses.get(other, budgeting.id).await,
            Err(StoreError::NotFound)
        ),
        "per tenant"
    );

    // A rolled-back change leaves nothing.
    let ghost = course(&c, t, "Ghost", Level::Beginner, &[]);
    let mut tx = db.begin(Some(t)).await.unwrap();
    courses.create(tx.as_mut(), &ghost).await.unwrap();
    tx.rollback().await.unwrap();
    assert!(matches!(
        courses.get(t, ghost.id).await,
        Err(StoreError::NotFound)
    ));

    // Publish: the metadata learners see is frozen apart from the draft's.
    let draft = (ContentStatus::Draft, 0);
    let mut published = investing.clone();
    published.status = ContentStatus::Published;
    published.published_version = 1;
    published.published_meta = Some(investing.meta.clone());
    published.meta.title = "Investing, smarter".to_owned();
    // Closing the draft to self-enrolment leaves the published course open.
    published.meta.self_enrol = false;
    c.advance(time::Duration::seconds(5));
    published.updated_at = c.now();
    committed!(db, t, |tx| courses.update(tx, &published, draft)).unwrap();
    assert_eq!(courses.get(t, investing.id).await.unwrap(), published);
    assert!(matches!(
        committed!(db, t, |tx| courses.update(tx, &ghost, draft)),
        Err(StoreError::NotFound)
    ));
    // A writer who read the course before that publish loses, whole.
    let mut stale = investing.clone();
    stale.meta.summary = "stale".to_owned();
    assert!(matches!(
        committed!(db, t, |tx| courses.update(tx, &stale, draft)),
        Err(StoreError::Conflict {
            constraint: "course_changed"
        })
    ));
    assert!(matches!(
        committed!(db, t, |tx| courses.touch(
            tx,
            t,
            investing.id,
            draft,
            c.now()
        )),
        Err(StoreError::Conflict {
            constraint: "course_changed"
        })
    ));
    let current = (ContentStatus::Published, 1);
    committed!(db, t, |tx| courses.touch(
        tx,
        t,
        investing.id,
        current,
        c.now()
    ))
    .unwrap();
    assert_eq!(
        courses.get(t, investing.id).await.unwrap().updated_at,
        c.now()
    );
    assert!(matches!(
        committed!(db, t, |tx| courses.touch(tx, t, ghost.id, current, c.now())),
        Err(StoreError::NotFound)
    ));
    // A learner's view lists published courses by their published metadata.
    let learner = CourseQuery {
        as_learner: true,
        search: Some("50%".into()),
        ..CourseQuery::default()
    };
    let seen = courses.list(t, &learner).await.unwrap();
    assert_eq!(
        seen.total, 1,
        "found by the published title, not the draft's"
    );
    let learner = CourseQuery {
        as_learner: true,
        search: Some("smarter".into()),
        ..CourseQuery::default()
    };
    assert_eq!(courses.list(t, &learner).await.unwrap().total, 1);
    let learner = CourseQuery {
        as_learner: true,
        search: Some("Investing, smarter".into()),
        ..CourseQuery::default()
    };
    assert_eq!(
        courses.list(t, &learner).await.unwrap().total,
        0,
        "the draft title is not searchable by learners"
    );

    let titles = |p: &nexus_domain::paging::Page<Course>| {
        p.items
            .iter()
            .map(|c| c.meta.title.clone())
            .collect::<Vec<_>>()
    };
    let all = courses.list(t, &CourseQuery::default()).await.unwrap();
    assert_eq!(
        titles(&all),
        [
            "Budgeting basics",
            "Investing, smarter",
            "Risk and diversification"
        ]
    );
    assert_eq!(all.total, 3);
    let q = |f: fn(&mut CourseQuery)| {
        let mut q = CourseQuery::default();
        f(&mut q);
        q
    };
    let by_tag = courses
        .list(t, &q(|q| q.tag = Some(Tag::parse("investing").unwrap())))
        .await
        .unwrap();
    assert_eq!(
        titles(&by_tag),
        ["Investing, smarter", "Risk and diversification"]
    );
    let by_tag = courses
        .list(t, &q(|q| q.tag = Some(Tag::parse("money").unwrap())))
        .await
        .unwrap();
    assert_eq!(
        by_tag.total, 0,
        "a tag matches whole, not as a prefix of money-101"
    );
    let published_only = courses
        .list(t, &q(|q| q.status = Some(ContentStatus::Published)))
        .await
        .unwrap();
    assert_eq!(titles(&published_only), ["Investing, smarter"]);
    let advanced = courses
        .list(t, &q(|q| q.level = Some(Level::Advanced)))
        .await
        .unwrap();
    assert_eq!(titles(&advanced), ["Risk and diversification"]);
    let search = courses
        .list(t, &q(|q| q.search = Some("DIVERSIF".into())))
        .await
        .unwrap();
    assert_eq!(titles(&search), ["Risk and diversification"]);
    let literal = courses
        .list(t, &q(|q| q.search = Some("50%".into())))
        .await
        .unwrap();
    assert_eq!(
        titles(&literal),
        ["Investing, smarter"],
        "found in its summary"
    );
    let wildcard = courses
        .list(t, &q(|q| q.search = Some("g_b".into())))
        .await
        .unwrap();
    assert_eq!(
        wildcard.total, 0,
        "_ is literal, not any character (\"g b\" in Budgeting basics)"
    );
    let page = courses
        .list(
            t,
            &q(|q| {
                q.order = Order::Desc;
                q.page = PageRequest::new(Some(1), Some(1)).unwrap();
            }),
        )
        .await
        .unwrap();
    assert_eq!(
        (titles(&page), page.total),
        (vec!["Investing, smarter".to_owned()], 3)
    );
    assert_eq!(
        courses
            .list(other, &CourseQuery::default())
            .await
            .unwrap()
            .total,
        0
    );
}

pub(super) async fn course_outline(db: Arc<dyn Database>) {
    use nexus_domain::learning::{Lesson, LessonDraft, LessonId, Module, ModuleId};
    let c = clock();
    let t = add_tenant(&db, &c, "outline", "Outline").await;
    let other = add_tenant(&db, &c, "outline-2", "Other").await;
    let courses = db.courses();
    let money = course(&c, t, "Money", Level::Beginner, &[]);
    committed!(db, t, |tx| courses.create(tx, &money)).unwrap();

    let module = |position, title: &str| Module {
        id: ModuleId::generate(&c),
        course: money.id,
        position,
        title: title.to_owned(),
    };
    let (second, first) = (module(1, "Growing money"), module(0, "Keeping money"));
    for m in [&second, &first] {
        committed!(db, t, |tx| courses.add_module(tx, t, m)).unwrap();
    }
    assert!(
        matches!(
            committed!(db, other, |tx| courses.add_module(
                tx,
                other,
                &module(0, "Stolen")
            )),
            Err(StoreError::NotFound)
        ),
        "a module cannot join another tenant's course"
    );
    let lesson = |m: &Module, position, title: &str| Lesson {
        id: LessonId::generate(&c),
        module: m.id,
        position,
        draft: LessonDraft {
            title: title.to_owned(),
            body: format!("# {title}\n\nText."),
            estimated_minutes: 10,
        },
        updated_at: c.now(),
    };
    let (budgets, funds, interest) = (
        lesson(&first, 0, "Budgets"),
        lesson(&first, 1, "Emergency funds"),
        lesson(&second, 0, "Compound interest"),
    );
    for l in [&funds, &interest, &budgets] {
        committed!(db, t, |tx| courses.add_lesson(tx, t, l)).unwrap();
    }
    let orphan = lesson(&module(5, "Never added"), 0, "Orphan");
    assert!(matches!(
        committed!(db, t, |tx| courses.add_lesson(tx, t, &orphan)),
        Err(StoreError::NotFound)
    ));

    let outline = courses.outline(t, money.id).await.unwrap();
    let shape: Vec<(String, Vec<String>)> = outline
        .iter()
        .map(|(m, ls)| {
            (
                m.title.clone(),
                ls.iter().map(|l| l.draft.title.clone()).collect(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            (
                "Keeping money".to_owned(),
                vec!["Budgets".to_owned(), "Emergency funds".to_owned()]
            ),
            (
                "Growing money".to_owned(),
                vec!["Compound interest".to_owned()]
            ),
        ]
    );
    assert_eq!(outline[0].1[0], budgets, "lessons round-trip whole");
    assert!(
        courses.outline(other, money.id).await.unwrap().is_empty(),
        "per tenant"
    );

    let order = [funds.id, budgets.id];
    committed!(db, t, |tx| courses
        .set_lesson_order(tx, t, first.id, &order))
    .unwrap();
    let outline = courses.outline(t, money.id).await.unwrap();
    assert_eq!(
        outline[0].1.iter().map(|l| l.id).collect::<Vec<_>>(),
        vec![funds.id, budgets.id]
    );
    let wrong = [interest.id];
    assert!(
        matches!(
            committed!(db, t, |tx| courses
                .set_lesson_order(tx, t, first.id, &wrong)),
            Err(StoreError::NotFound)
        ),
        "a lesson of another module cannot be ordered here"
    );

    // Modules reorder the same way, within their course only.
    let swapped = [second.id, first.id];
    committed!(db, t, |tx| courses
        .set_module_order(tx, t, money.id, &swapped))
    .unwrap();
    let outline = courses.outline(t, money.id).await.unwrap();
    assert_eq!(
        outline.iter().map(|(m, _)| m.id).collect::<Vec<_>>(),
        swapped
    );
    assert_eq!(
        outline.iter().map(|(m, _)| m.position).collect::<Vec<_>>(),
        [0, 1],
        "positions are renumbered"
    );
    let stranger = [module(9, "Never added").id];
    assert!(
        matches!(
            committed!(db, t, |tx| courses
                .set_module_order(tx, t, money.id, &stranger)),
            Err(StoreError::NotFound)
        ),
        "a module not in the course cannot be ordered here"
    );
    assert!(
        matches!(
            committed!(db, other, |tx| courses
                .set_module_order(tx, other, money.id, &swapped)),
            Err(StoreError::NotFound)
        ),
        "per tenant"
    );
    let restored = [first.id, second.id];
    committed!(db, t, |tx| courses
        .set_module_order(tx, t, money.id, &restored))
    .unwrap();

    let mut edited = budgets.clone();
    edited.draft.body = "# Budgets\n\nRevised.".to_owned();
    c.advance(time::Duration::seconds(3));
    edited.updated_at = c.now();
    edited.position = 1;
    committed!(db, t, |tx| courses.update_lesson(tx, t, &edited)).unwrap();
    let outline = courses.outline(t, money.id).await.unwrap();
    assert_eq!(outline[0].1[1], edited);
    assert!(matches!(
        committed!(db, other, |tx| courses.update_lesson(tx, other, &edited)),
        Err(StoreError::NotFound)
    ));

    // Renaming and deleting, per tenant; a deleted module takes its lessons.
    assert!(matches!(
        committed!(db, other, |tx| courses
            .rename_module(tx, other, first.id, "Nope")),
        Err(StoreError::NotFound)
    ));
    committed!(db, t, |tx| courses.rename_module(
        tx,
        t,
        first.id,
        "Keeping it"
    ))
    .unwrap();
    committed!(db, t, |tx| courses.delete_lesson(tx, t, funds.id)).unwrap();
    assert!(matches!(
        committed!(db, t, |tx| courses.delete_lesson(tx, t, funds.id)),
        Err(StoreError::NotFound)
    ));
    committed!(db, t, |tx| courses.delete_module(tx, t, second.id)).unwrap();
    let outline = courses.outline(t, money.id).await.unwrap();
    assert_eq!(outline.len(), 1);
    assert_eq!(outline[0].0.title, "Keeping it");
    assert_eq!(
        outline[0].1.iter().map(|l| l.id).collect::<Vec<_>>(),
        vec![budgets.id]
    );
    assert!(matches!(
        committed!(db, t, |tx| courses.delete_module(tx, t, second.id)),
        Err(StoreError::NotFound)
    ));

    // Published versions: stored once, read back exactly, per tenant.
    let snapshot = r#"{"version":1,"modules":[]}"#;
    committed!(db, t, |tx| courses.add_version(
        tx,
        t,
        money.id,
        1,
        snapshot,
        c.now()
    ))
    .unwrap();
    assert_eq!(
        courses.version(t, money.id, 1).await.unwrap().as_deref(),
        Some(snapshot)
    );
    assert_eq!(courses.version(t, money.id, 2).await.unwrap(), None);
    assert_eq!(courses.version(other, money.id, 1).await.unwrap(), None);
    assert!(
        committed!(db, t, |tx| courses.add_version(
            tx,
            t,
            money.id,
            1,
            "{}",
            c.now()
        ))
        .is_err(),
        "a version is written once"
    );
    assert_eq!(
        courses.version(t, money.id, 1).await.unwrap().as_deref(),
        Some(snapshot)
    );
}

pub(super) async fn course_prerequisites(db: Arc<dyn Database>) {
    use std::collections::{BTreeMap, BTreeSet};
    let c = clock();
    let t = add_tenant(&db, &c, "prerequisites", "Prerequisites").await;
    let other = add_tenant(&db, &c, "prerequisites-2", "Other").await;
    let courses = db.courses();
    let basics = course(&c, t, "Basics", Level::Beginner, &[]);
    let budgets = course(&c, t, "Budgets", Level::Beginner, &[]);
    let investing = course(&c, t, "Investing", Level::Intermediate, &[]);
    let foreign = course(&c, other, "Foreign", Level::Beginner, &[]);
    for x in [&basics, &budgets, &investing] {
        committed!(db, t, |tx| courses.create(tx, x)).unwrap();
    }
    committed!(db, other, |tx| courses.create(tx, &foreign)).unwrap();
    assert!(
        courses
            .prerequisites(t, investing.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(courses.prerequisite_graph(t).await.unwrap().is_empty());

    let both = BTreeSet::from([basics.id, budgets.id]);
    committed!(db, t, |tx| courses.set_prerequisites(
        tx,
        t,
        investing.id,
        &both
    ))
    .unwrap();
    let just_basics = BTreeSet::from([basics.id]);
    committed!(db, t, |tx| courses.set_prerequisites(
        tx,
        t,
        budgets.id,
        &just_basics
    ))
    .unwrap();
    assert_eq!(courses.prerequisites(t, investing.id).await.unwrap(), both);
    assert_eq!(
        courses.prerequisite_graph(t).await.unwrap(),
        BTreeMap::from([(investing.id, both.clone()), (budgets.id, just_basics)])
    );
    assert!(
        courses.prerequisite_graph(other).await.unwrap().is_empty(),
        "per tenant"
    );
    assert!(
        courses
            .prerequisites(other, investing.id)
            .await
            .unwrap()
            .is_empty()
    );

    // Replacing is whole; another tenant's course is not found, and nothing changes.
    let only_budgets = BTreeSet::from([budgets.id]);
    committed!(db, t, |tx| courses.set_prerequisites(
        tx,
        t,
        investing.id,
        &only_budgets
    ))
    .unwrap();
    assert_eq!(
        courses.prerequisites(t, investing.id).await.unwrap(),
        only_budgets
    );
    let with_foreign = BTreeSet::from([basics.id, foreign.id]);
    assert!(matches!(
        committed!(db, t, |tx| courses.set_prerequisites(
            tx,
            t,
            investing.id,
            &with_foreign
        )),
        Err(StoreError::NotFound)
    ));
    assert!(
        matches!(
            committed!(db, other, |tx| courses.set_prerequisites(
                tx,
                other,
                foreign.id,
                &only_budgets
            )),
            Err(StoreError::NotFound)
        ),
        "a course cannot require another tenant's"
    );
    assert_eq!(
        courses.prerequisites(t, investing.id).await.unwrap(),
        only_budgets
    );
    committed!(db, t, |tx| courses.set_prerequisites(
        tx,
        t,
        investing.id,
        &BTreeSet::new()
    ))
    .unwrap();
    assert!(
        courses
            .prerequisites(t, investing.id)
            .await
            .unwrap()
            .is_empty()
    );
}
