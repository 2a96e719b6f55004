//! PostgreSQL platform library. Platform-owned: the table has no tenant and no
//! row-level security, so plain (untenanted) transactions and the pool reach it.

use crate::{PgTx, map_err};
use async_trait::async_trait;
use nexus_domain::learning::Level;
use nexus_domain::learning::library::{
    LibraryCourse, LibraryEntry, LibraryId, LibraryQuery, LibrarySlug,
};
use nexus_domain::paging::Page;
use nexus_store::sql::like_pattern;
use nexus_store::{LibraryStore, StoreError, Tx, downcast};
use sqlx::{AssertSqlSafe, PgPool, Row};

pub(crate) struct PgLibrary {
    pub(crate) pool: PgPool,
}

const ENTRY: &str = "library_id, slug, title, summary, level, published_at, updated_at";

fn into_entry(row: &sqlx::postgres::PgRow) -> Result<LibraryEntry, StoreError> {
    let parse = || -> Result<LibraryEntry, Box<dyn std::error::Error + Send + Sync>> {
        Ok(LibraryEntry {
            id: LibraryId::from_uuid(row.try_get("library_id")?),
            slug: LibrarySlug::parse(row.try_get("slug")?)?,
            title: row.try_get("title")?,
            summary: row.try_get("summary")?,
            level: Level::parse(row.try_get("level")?)?,
            published_at: row.try_get("published_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    };
    parse().map_err(|e| StoreError::other("decoding a library entry", e))
}

fn into_course(row: &sqlx::postgres::PgRow) -> Result<LibraryCourse, StoreError> {
    Ok(LibraryCourse {
        entry: into_entry(row)?,
        package: row
            .try_get("package")
            .map_err(|e| map_err("decoding a library entry", e))?,
    })
}

#[async_trait]
impl LibraryStore for PgLibrary {
    async fn upsert(&self, tx: &mut dyn Tx, c: &LibraryCourse) -> Result<LibraryEntry, StoreError> {
        let conn = &mut *downcast::<PgTx>(tx)?.0;
        let e = &c.entry;
        let row = sqlx::query(AssertSqlSafe(format!(
            "insert into library_course (library_id, slug, title, summary, level, package, \
             published_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8) \
             on conflict (slug) do update set title = excluded.title, summary = excluded.summary, \
             level = excluded.level, package = excluded.package, updated_at = excluded.updated_at \
             returning {ENTRY}"
        )))
        .bind(e.id.as_uuid())
        .bind(e.slug.as_str())
        .bind(&e.title)
        .bind(&e.summary)
        .bind(e.level.as_str())
        .bind(&c.package)
        .bind(e.published_at)
        .bind(e.updated_at)
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| map_err("storing a library entry", e))?;
        into_entry(&row)
    }

    async fn delete(
        &self,
        tx: &mut dyn Tx,
        slug: &LibrarySlug,
    ) -> Result<LibraryEntry, StoreError> {
        let conn = &mut *downcast::<PgTx>(tx)?.0;
        let row = sqlx::query(AssertSqlSafe(format!(
            "delete from library_course where slug = $1 returning {ENTRY}"
        )))
        .bind(slug.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| map_err("deleting a library entry", e))?;
        row.as_ref().map_or(Err(StoreError::NotFound), into_entry)
    }

    async fn get(&self, id: LibraryId) -> Result<LibraryCourse, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "select {ENTRY}, package from library_course where library_id = $1"
        )))
        .bind(id.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| map_err("loading a library entry", e))?;
        row.as_ref().map_or(Err(StoreError::NotFound), into_course)
    }

    async fn find(&self, slug: &LibrarySlug) -> Result<Option<LibraryCourse>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "select {ENTRY}, package from library_course where slug = $1"
        )))
        .bind(slug.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| map_err("finding a library entry", e))?;
        row.as_ref().map(into_course).transpose()
    }

    async fn list(&self, q: &LibraryQuery) -> Result<Page<LibraryEntry>, StoreError> {
        let filter = "where ($1::text is null or level = $1) and ($2::text is null \
             or lower(title) like $2 escape '\\' or lower(summary) like $2 escape '\\')";
        let level = q.level.map(Level::as_str);
        let pattern = q.search.as_deref().map(like_pattern);
        let total: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "select count(*) from library_course {filter}"
        )))
        .bind(level)
        .bind(&pattern)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| map_err("counting library entries", e))?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "select {ENTRY} from library_course {filter} order by title, slug limit $3 offset $4"
        )))
        .bind(level)
        .bind(&pattern)
        .bind(i64::from(q.page.limit()))
        .bind(i64::try_from(q.page.offset()).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| map_err("listing library entries", e))?;
        Ok(Page {
            items: rows.iter().map(into_entry).collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
            limit: q.page.limit(),
            offset: q.page.offset(),
        })
    }
}
