//! The pools behind the SQLite backend: many readers, one writer, one checkpointer.
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
//!
//! The writer does not checkpoint the WAL itself. SQLite runs an automatic checkpoint in
//! the commit that grows the WAL past 1,000 pages, copying pages back and syncing; on the
//! one writer that would stall every queued write behind it. A third connection
//! checkpoints instead ([`Checkpointer`], `PASSIVE`: it never blocks the writer), at most
//! once a second, started by the writes themselves; the writer keeps a far higher
//! automatic threshold only as a backstop.

use crate::SqliteSettings;
use nexus_store::StoreError;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The pool that may write. Distinct from the readers' [`SqlitePool`] so that
/// [`begin_write`] cannot be handed a reader.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    pool: SqlitePool,
    /// `None` for an in-memory database, which has no WAL.
    checkpointer: Option<Arc<Checkpointer>>,
}

impl Writer {
    /// The writer's pool, for one write; due checkpoints start here.
    pub(crate) fn pool(&self) -> &SqlitePool {
        if let Some(c) = &self.checkpointer {
            c.start_if_due();
        }
        &self.pool
    }

    /// The pool without the checkpoint check (migrations, shutdown, raw SQL in tests).
    pub(crate) fn raw(&self) -> &SqlitePool {
        &self.pool
    }

    pub(crate) async fn close(&self) {
        if let Some(c) = &self.checkpointer {
            c.pool.close().await;
        }
        self.pool.close().await;
    }
}

/// Checkpoints the WAL on its own connection, off the writer's path.
#[derive(Debug)]
struct Checkpointer {
    pool: SqlitePool,
    epoch: Instant,
    /// When the last checkpoint started, in milliseconds since `epoch`.
    last: AtomicU64,
    running: AtomicBool,
}

/// How often the WAL is checkpointed while writes arrive.
const CHECKPOINT_EVERY_MS: u64 = 1_000;

impl Checkpointer {
    fn start_if_due(self: &Arc<Self>) {
        let now = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        if now.saturating_sub(self.last.load(Ordering::Relaxed)) < CHECKPOINT_EVERY_MS
            || self.running.swap(true, Ordering::AcqRel)
        {
            return;
        }
        self.last.store(now, Ordering::Relaxed);
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            self.running.store(false, Ordering::Release);
            return;
        };
        let running = Running(Arc::clone(self));
        rt.spawn(async move {
            // A failure only leaves the WAL longer (the writer's backstop still bounds it).
            if let Err(e) = sqlx::query("pragma wal_checkpoint(passive)")
                .execute(&running.0.pool)
                .await
                && !running.0.pool.is_closed()
            {
                tracing::warn!(error = %e, "sqlite checkpoint failed");
            }
        });
    }
}

/// Marks the checkpoint finished when dropped, so a task dropped mid-way (the runtime
/// shutting down) cannot leave `running` set and stop all later checkpoints.
struct Running(Arc<Checkpointer>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.running.store(false, Ordering::Release);
    }
}

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
        let writer = Writer {
            pool: only.clone(),
            checkpointer: None,
        };
        return Ok((only, writer));
    }
    let writer = Writer {
        // 10,000 pages (about 40 MB): only if the checkpointer falls behind.
        pool: pool(1, opts.clone().pragma("wal_autocheckpoint", "10000")),
        checkpointer: Some(Arc::new(Checkpointer {
            pool: pool(1, opts.clone()),
            epoch: Instant::now(),
            last: AtomicU64::new(0),
            running: AtomicBool::new(false),
        })),
    };
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
    writer.pool().begin_with("BEGIN IMMEDIATE").await
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
