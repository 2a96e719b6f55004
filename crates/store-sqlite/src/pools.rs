//! The two pools behind the SQLite backend: many readers, one writer.
//!
//! SQLite lets one connection write at a time. With every connection free to write, a
//! writer that found the lock taken slept in SQLite's busy handler, in steps that grow to
//! 100 ms, however soon the lock came free; under load (10,000 simulated learners) those
//! sleeps, not the work, set the write requests' p99. So writes go through a pool of one
//! connection ([`Writer`]): they queue in-process, first come first served, and the next
//! one starts the moment the previous one commits. Readers keep their own pool and, in WAL
//! mode, never wait for the writer.
//!
//! Reader connections are opened with `query_only`, so a write sent to the wrong pool fails
//! loudly ("attempt to write a readonly database") in every test rather than queueing in
//! the busy handler again in production.

use crate::SqliteSettings;
use nexus_store::StoreError;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

/// The pool that may write. Distinct from the readers' [`SqlitePool`] so that
/// [`begin_write`] cannot be handed a reader.
#[derive(Debug, Clone)]
pub(crate) struct Writer(pub(crate) SqlitePool);

/// Builds the reader pool and the writer, lazily: nothing touches the disk until first
/// use, so start-up can report progress and readiness while it retries.
pub(crate) fn connect_lazy(settings: &SqliteSettings) -> Result<(SqlitePool, Writer), StoreError> {
    let in_memory = settings.url.contains(":memory:");
    if !in_memory {
        create_parent_dir(&settings.url)?;
    }
    let opts = SqliteConnectOptions::from_str(&settings.url)
        .map_err(|e| StoreError::other("parsing the sqlite url", e))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        // Still needed: another process (the CLI, a second server on the same file) may
        // hold the write lock.
        .busy_timeout(Duration::from_secs(5));
    let pool = |max: u32, opts: SqliteConnectOptions| {
        SqlitePoolOptions::new()
            .max_connections(max)
            .acquire_timeout(settings.acquire_timeout)
            // Each acquire's wait, as a `debug` event the server's metrics may enable (see
            // the PostgreSQL store).
            .acquire_time_level(log::LevelFilter::Debug)
            .connect_lazy_with(opts)
    };
    if in_memory {
        // An in-memory database lives in its one connection: readers and writer share it.
        let only = pool(1, opts);
        return Ok((only.clone(), Writer(only)));
    }
    let writer = Writer(pool(1, opts.clone()));
    let readers = pool(
        settings.max_connections.max(1),
        opts.pragma("query_only", "ON"),
    );
    Ok((readers, writer))
}

/// Starts a write transaction on the writer. `BEGIN IMMEDIATE` takes SQLite's write lock
/// up front: with the one writer connection it is free unless another process holds it,
/// and then the busy timeout applies. (A deferred `BEGIN` that reads and then writes gets
/// `SQLITE_BUSY` at once when another connection committed in between, because SQLite
/// skips the busy handler there to avoid deadlock.)
pub(crate) async fn begin_write(
    writer: &Writer,
) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
    writer.0.begin_with("BEGIN IMMEDIATE").await
}

/// Starts a read-only transaction on a reader: a deferred `BEGIN`, one snapshot for
/// several reads, sharing the database with the writer (WAL).
pub(crate) async fn begin_read(
    pool: &SqlitePool,
) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
    pool.begin().await
}

fn create_parent_dir(url: &str) -> Result<(), StoreError> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or(path);
    if let Some(parent) = std::path::Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|e| StoreError::Unavailable(Box::new(e)))?;
    }
    Ok(())
}
