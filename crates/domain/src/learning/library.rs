//! The platform library: shared courses kept as course packages, which a tenant adopts
//! as its own draft copy. Entries belong to the platform, not to a tenant; operators
//! manage them by slug.
//!
//! Invariant: an entry's `package` always passed
//! [`CoursePackage::parse`](super::package::CoursePackage::parse) when it was stored,
//! and its title, summary and level are that package's (canonical) course metadata.

use super::course::Level;
use crate::paging::PageRequest;
use crate::validation::FieldError;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

crate::define_id!(
    /// Identifies a library entry.
    LibraryId
);

/// An entry's stable name, e.g. `financial-literacy-101`: 1–64 characters of
/// lower-case letters, digits and inner hyphens (trimmed and lower-cased).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LibrarySlug(String);

impl LibrarySlug {
    /// Parses a slug.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        super::quiz::question::slug(raw).map(Self)
    }

    /// The slug text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for LibrarySlug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the library lists about an entry (without its package, which can be large).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryEntry {
    /// Identity; kept when the entry's package is replaced.
    pub id: LibraryId,
    /// Stable name, unique in the library.
    pub slug: LibrarySlug,
    /// The package's course title.
    pub title: String,
    /// The package's course summary.
    pub summary: String,
    /// The package's course level.
    pub level: Level,
    /// When the entry first appeared.
    pub published_at: OffsetDateTime,
    /// When its package last changed.
    pub updated_at: OffsetDateTime,
}

/// An entry with its package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryCourse {
    /// The listed metadata.
    pub entry: LibraryEntry,
    /// The course package, as JSON text.
    pub package: String,
}

/// Filter (by level, and a case-insensitive substring of title or summary) and window
/// for browsing the library, sorted by title.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LibraryQuery {
    /// Only entries at this level.
    pub level: Option<Level>,
    /// Case-insensitive substring of title or summary.
    pub search: Option<String>,
    /// Window.
    pub page: PageRequest,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_canonical_and_checked() {
        let s = LibrarySlug::parse(" Financial-Literacy-101 ").unwrap();
        assert_eq!(s.as_str(), "financial-literacy-101");
        for bad in ["", "-x", "x-", "a b", "é"] {
            assert_eq!(LibrarySlug::parse(bad).unwrap_err().code, "format", "{bad}");
        }
    }
}
