//! The SQLite backend's one writer (crates/store-sqlite/src/pools.rs): writes queue
//! in-process in arrival order, readers never wait for them, and a reader connection
//! refuses to write. How much this does for latency under load is measured by the load
//! benchmark (docs/PERFORMANCE.md), not here.

use nexus_domain::TenantId;
use nexus_store::Database;
use nexus_store_sqlite::{SqliteDatabase, SqliteSettings};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A migrated database in a directory of its own.
async fn migrated() -> (PathBuf, SqliteDatabase) {
    let dir = std::env::temp_dir().join(format!("nexus-writer-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = SqliteDatabase::connect_lazy(&SqliteSettings {
        url: format!("sqlite://{}", dir.join("nexus.db").display()),
        max_connections: 4,
        acquire_timeout: Duration::from_secs(30),
    })
    .unwrap();
    db.migrate().await.unwrap();
    (dir, db)
}

async fn remove(dir: PathBuf, db: &SqliteDatabase) {
    db.close().await;
    std::fs::remove_dir_all(&dir).ok();
}

/// A current-thread runtime, so that "B is waiting" can be reached by yielding instead
/// of sleeping: each spawned writer runs until it parks in the queue before the next is
/// spawned.
#[test]
fn writers_are_served_in_arrival_order_while_readers_carry_on() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (dir, db) = migrated().await;
        let db = Arc::new(db);
        let tenant: Option<TenantId> = None;

        let first = db.begin(tenant).await.unwrap();
        let served = Arc::new(Mutex::new(Vec::new()));
        let mut waiting = Vec::new();
        for n in 1..=4 {
            let (db, served) = (db.clone(), served.clone());
            waiting.push(tokio::spawn(async move {
                let tx = db.begin(tenant).await.unwrap();
                served.lock().unwrap().push(n);
                // Yield while holding the writer: a writer that jumped the queue would
                // get in here and break the order.
                tokio::task::yield_now().await;
                tx.commit().await.unwrap();
            }));
            for _ in 0..20 {
                tokio::task::yield_now().await;
            }
        }
        assert!(
            served.lock().unwrap().is_empty(),
            "a writer got in while the first held the write transaction"
        );
        // Readers do not queue behind the open write transaction.
        let tables: i64 = sqlx::query_scalar("select count(*) from sqlite_master")
            .fetch_one(db.readers())
            .await
            .unwrap();
        assert!(tables > 0);

        first.commit().await.unwrap();
        for w in waiting {
            w.await.unwrap();
        }
        assert_eq!(*served.lock().unwrap(), vec![1, 2, 3, 4]);
        remove(dir, &db).await;
    });
}

#[tokio::test]
async fn a_reader_connection_refuses_to_write() {
    let (dir, db) = migrated().await;
    let err = sqlx::query("create table stray (x integer)")
        .execute(db.readers())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("readonly"), "{err}");
    sqlx::query("create table stray (x integer)")
        .execute(db.pool())
        .await
        .unwrap();
    remove(dir, &db).await;
}

/// The WAL is copied back into the database file by the checkpointer, started by a
/// write, while the writer itself would not checkpoint this little (its automatic
/// threshold is 10,000 pages): so the file grows only if the checkpointer ran.
#[tokio::test]
async fn writes_start_a_checkpoint_on_another_connection() {
    let (dir, db) = migrated().await;
    let file = dir.join("nexus.db");
    let before = std::fs::metadata(&file).unwrap().len();
    // A checkpoint starts at most once a second, counted from opening.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    db.begin(None).await.unwrap().commit().await.unwrap();
    let mut after = before;
    for _ in 0..100 {
        after = std::fs::metadata(&file).unwrap().len();
        if after > before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        after > before,
        "the migrations stayed in the WAL: database file {before} -> {after} bytes"
    );
    remove(dir, &db).await;
}
