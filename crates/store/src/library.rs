//! The platform library of shared courses (`library_course`). Platform-owned like the
//! tenant registry: no method takes a `TenantId`, and on PostgreSQL the table is not
//! under row-level security. Changes run in the caller's transaction so they commit
//! with their platform audit record.

use crate::{StoreError, Tx};
use async_trait::async_trait;
use nexus_domain::learning::library::{
    LibraryCourse, LibraryEntry, LibraryId, LibraryQuery, LibrarySlug,
};
use nexus_domain::paging::Page;

/// Stores library entries.
#[async_trait]
pub trait LibraryStore: Send + Sync {
    /// Inserts the entry, or, if its slug exists, replaces that entry's title, summary,
    /// level, package and `updated_at`, keeping its identity and `published_at`.
    /// Returns the entry as stored. Safe to race: concurrent upserts of one slug both
    /// succeed (the last one wins).
    async fn upsert(
        &self,
        tx: &mut dyn Tx,
        course: &LibraryCourse,
    ) -> Result<LibraryEntry, StoreError>;
    /// Deletes the entry with this slug and returns what it was; `NotFound` if none.
    async fn delete(&self, tx: &mut dyn Tx, slug: &LibrarySlug)
    -> Result<LibraryEntry, StoreError>;
    /// One entry with its package, or `NotFound`.
    async fn get(&self, id: LibraryId) -> Result<LibraryCourse, StoreError>;
    /// The entry with this slug, with its package, if any.
    async fn find(&self, slug: &LibrarySlug) -> Result<Option<LibraryCourse>, StoreError>;
    /// Entries (without packages), filtered and paged, by title then slug.
    async fn list(&self, query: &LibraryQuery) -> Result<Page<LibraryEntry>, StoreError>;
}
