//! Platform library cases.

use super::*;
use nexus_domain::learning::Level;
use nexus_domain::learning::library::{
    LibraryCourse, LibraryEntry, LibraryId, LibraryQuery, LibrarySlug,
};

fn entry(c: &ManualClock, slug: &str, title: &str, level: Level) -> LibraryCourse {
    LibraryCourse {
        entry: LibraryEntry {
            id: LibraryId::generate(c),
            slug: LibrarySlug::parse(slug).unwrap(),
            title: title.to_owned(),
            summary: format!("All about {title}"),
            level,
            published_at: c.now(),
            updated_at: c.now(),
        },
        package: format!(r#"{{"course":{{"title":"{title}"}}}}"#),
    }
}

pub(super) async fn library_upsert_list_delete(db: Arc<dyn Database>) {
    let c = clock();
    let lib = db.library();
    let budgets = entry(&c, "budgets-101", "Budgets", Level::Beginner);
    let risk = entry(&c, "risk", "Risk and 50% returns", Level::Advanced);
    let credit = entry(&c, "credit", "Credit", Level::Beginner);
    for x in [&budgets, &risk, &credit] {
        let stored = committed!(platform db, |tx| lib.upsert(tx, x)).unwrap();
        assert_eq!(stored, x.entry);
    }
    assert_eq!(lib.get(budgets.entry.id).await.unwrap(), budgets);
    assert_eq!(
        lib.find(&budgets.entry.slug).await.unwrap(),
        Some(budgets.clone())
    );
    let nowhere = LibrarySlug::parse("nowhere").unwrap();
    assert_eq!(lib.find(&nowhere).await.unwrap(), None);
    assert!(matches!(
        lib.get(LibraryId::generate(&c)).await,
        Err(StoreError::NotFound)
    ));

    // Listing: by title, filtered by level and by a literal substring, paged.
    let titles = |p: &nexus_domain::paging::Page<LibraryEntry>| -> Vec<String> {
        p.items.iter().map(|e| e.title.clone()).collect()
    };
    let all = lib.list(&LibraryQuery::default()).await.unwrap();
    assert_eq!(all.total, 3);
    assert_eq!(titles(&all), ["Budgets", "Credit", "Risk and 50% returns"]);
    let beginner = LibraryQuery {
        level: Some(Level::Beginner),
        ..Default::default()
    };
    assert_eq!(
        titles(&lib.list(&beginner).await.unwrap()),
        ["Budgets", "Credit"]
    );
    let search = |s: &str| LibraryQuery {
        search: Some(s.to_owned()),
        ..Default::default()
    };
    assert_eq!(
        titles(&lib.list(&search("50%")).await.unwrap()),
        ["Risk and 50% returns"]
    );
    assert_eq!(lib.list(&search("5_%")).await.unwrap().total, 0);
    assert_eq!(
        titles(&lib.list(&search("ABOUT CRED")).await.unwrap()),
        ["Credit"],
        "summaries are searched, case-insensitively"
    );
    let page = LibraryQuery {
        page: PageRequest::new(Some(1), Some(1)).unwrap(),
        ..Default::default()
    };
    let second = lib.list(&page).await.unwrap();
    assert_eq!((titles(&second), second.total), (vec!["Credit".into()], 3));

    // Upserting a known slug replaces the content and keeps identity and first date.
    c.advance(time::Duration::hours(1));
    let mut newer = entry(&c, "budgets-101", "Budgets, revised", Level::Intermediate);
    newer.package = r#"{"v":2}"#.to_owned();
    let stored = committed!(platform db, |tx| lib.upsert(tx, &newer)).unwrap();
    assert_eq!(stored.id, budgets.entry.id, "the slug keeps its identity");
    assert_eq!(stored.published_at, budgets.entry.published_at);
    assert_eq!(stored.updated_at, c.now());
    assert_eq!(
        (stored.title.as_str(), stored.level),
        ("Budgets, revised", Level::Intermediate)
    );
    let got = lib.get(budgets.entry.id).await.unwrap();
    assert_eq!((got.entry, got.package), (stored, newer.package.clone()));
    assert_eq!(lib.list(&LibraryQuery::default()).await.unwrap().total, 3);

    // A change rolled back leaves nothing behind.
    let ghost = entry(&c, "ghost", "Ghost", Level::Beginner);
    let mut tx = db.begin(None).await.unwrap();
    lib.upsert(tx.as_mut(), &ghost).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(lib.find(&ghost.entry.slug).await.unwrap(), None);

    // Deleting returns what was removed; a second delete finds nothing.
    let gone = committed!(platform db, |tx| lib.delete(tx, &risk.entry.slug)).unwrap();
    assert_eq!(gone, risk.entry);
    assert!(matches!(
        committed!(platform db, |tx| lib.delete(tx, &risk.entry.slug)),
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        lib.get(risk.entry.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(lib.list(&LibraryQuery::default()).await.unwrap().total, 2);
}
