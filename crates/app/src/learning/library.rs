//! The platform library of shared courses: operators publish course packages under a
//! slug; authors of any tenant (`course:write`) browse them and adopt one as a new
//! draft course of their own, which they may then edit freely. Adopting twice gives
//! two independent copies (adoption is not idempotent, by design: a copy is a fork).
//!
//! Library changes are platform actions, recorded in the platform audit chain in the
//! transaction that makes them; an adoption is recorded in the adopting tenant's chain
//! (`course.adopt`, naming the slug).

use super::courses::CourseService;
use crate::AppError;
use crate::audit::{AuditService, Caller, Record};
use nexus_domain::access::Permission;
use nexus_domain::learning::Course;
use nexus_domain::learning::library::{
    LibraryCourse, LibraryEntry, LibraryId, LibraryQuery, LibrarySlug,
};
use nexus_domain::learning::package::{CoursePackage, ParsedPackage};
use nexus_domain::paging::Page;
use nexus_domain::{Clock, TenantId};
use nexus_store::{Database, LibraryStore};
use serde_json::json;
use std::sync::Arc;

/// The slug of the curriculum the platform ships.
pub const FINANCIAL_LITERACY_101: &str = "financial-literacy-101";

/// Packages shipped with the server, `(slug, package JSON)`: put into the library at
/// every start, so an upgrade refreshes them.
pub const BUILTIN: &[(&str, &str)] = &[(
    FINANCIAL_LITERACY_101,
    include_str!("../../../../curriculum/financial-literacy-101.json"),
)];

/// What [`LibraryService::put`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// A new entry.
    Created,
    /// The entry's package was replaced.
    Updated,
    /// The entry already held exactly this package: nothing was written or recorded.
    Unchanged,
}

/// Library use cases.
#[derive(Clone)]
pub struct LibraryService {
    db: Arc<dyn Database>,
    store: Arc<dyn LibraryStore>,
    courses: CourseService,
    audit: AuditService,
    clock: Arc<dyn Clock>,
}

fn store_err(e: nexus_store::StoreError) -> AppError {
    AppError::from_store("library course", e)
}

fn internal(e: impl std::error::Error + Send + Sync + 'static) -> AppError {
    AppError::Internal(Box::new(e))
}

/// What the platform audit trail keeps of an entry: its listing and sizes.
fn view(e: &LibraryEntry, package: &CoursePackage) -> serde_json::Value {
    json!({
        "library": e.id,
        "slug": e.slug,
        "title": e.title,
        "level": e.level.as_str(),
        "modules": package.modules.len(),
        "lessons": package.modules.iter().map(|m| m.lessons.len()).sum::<usize>(),
        "banks": package.banks.len(),
    })
}

/// A stored package, read back. It passed the parser when stored; if it no longer does
/// (the rules tightened in an upgrade and the entry was not refreshed), that is the
/// platform's data to fix, not the caller's input.
fn stored_package(c: &LibraryCourse) -> Result<(CoursePackage, ParsedPackage), AppError> {
    let package: CoursePackage = serde_json::from_str(&c.package).map_err(internal)?;
    let parsed = package.parse().map_err(internal)?;
    Ok((package, parsed))
}

impl LibraryService {
    /// Wires the service.
    pub fn new(
        db: Arc<dyn Database>,
        courses: CourseService,
        audit: AuditService,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store: db.library(),
            db,
            courses,
            audit,
            clock,
        }
    }

    /// Browses the library, by title. Any author (`course:write` in their tenant).
    pub async fn list(
        &self,
        caller: &Caller,
        tenant: TenantId,
        query: &LibraryQuery,
    ) -> Result<Page<LibraryEntry>, AppError> {
        caller.require(tenant, Permission::CourseWrite)?;
        self.store.list(query).await.map_err(store_err)
    }

    /// One entry with its package. Any author (`course:write` in their tenant).
    pub async fn get(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: LibraryId,
    ) -> Result<(LibraryEntry, CoursePackage), AppError> {
        caller.require(tenant, Permission::CourseWrite)?;
        let c = self.store.get(id).await.map_err(store_err)?;
        let (package, _) = stored_package(&c)?;
        Ok((c.entry, package))
    }

    /// Copies an entry into `tenant` as a new draft course, in one transaction audited
    /// `course.adopt` with the slug. Needs `course:write` there.
    pub async fn adopt(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: LibraryId,
    ) -> Result<Course, AppError> {
        caller.require(tenant, Permission::CourseWrite)?;
        let c = self.store.get(id).await.map_err(store_err)?;
        let (_, parsed) = stored_package(&c)?;
        let origin = json!({ "library": c.entry.id, "slug": c.entry.slug });
        self.courses
            .import_as(caller, tenant, parsed, "course.adopt", origin)
            .await
    }

    /// Publishes `package` under `slug`, replacing what the slug held. The package must
    /// pass the same parser as an import (422 with every path otherwise). Platform
    /// operators only; audited `library.create` / `library.update` in the platform chain.
    /// Putting the package an entry already holds writes nothing.
    pub async fn put(
        &self,
        caller: &Caller,
        slug: LibrarySlug,
        package: &CoursePackage,
    ) -> Result<(LibraryEntry, PutOutcome), AppError> {
        caller.require_platform()?;
        let parsed = package.parse()?;
        let text = serde_json::to_string(package).map_err(internal)?;
        let before = self.store.find(&slug).await.map_err(store_err)?;
        if let Some(b) = before.as_ref().filter(|b| b.package == text) {
            return Ok((b.entry.clone(), PutOutcome::Unchanged));
        }
        let now = self.clock.now();
        let meta = parsed.course;
        let entry = LibraryEntry {
            id: before
                .as_ref()
                .map_or_else(|| LibraryId::generate(self.clock.as_ref()), |b| b.entry.id),
            slug: slug.clone(),
            title: meta.title,
            summary: meta.summary,
            level: meta.level,
            published_at: before.as_ref().map_or(now, |b| b.entry.published_at),
            updated_at: now,
        };
        let mut tx = self.db.begin(None).await.map_err(store_err)?;
        let course = LibraryCourse {
            entry,
            package: text,
        };
        let stored = self
            .store
            .upsert(tx.as_mut(), &course)
            .await
            .map_err(store_err)?;
        let (action, outcome, diff) = match &before {
            None => (
                "library.create",
                PutOutcome::Created,
                json!({ "after": view(&stored, package) }),
            ),
            Some(b) => {
                let old = serde_json::from_str::<CoursePackage>(&b.package)
                    .map_or(json!(null), |p| view(&b.entry, &p));
                let diff = json!({ "before": old, "after": view(&stored, package) });
                ("library.update", PutOutcome::Updated, diff)
            }
        };
        self.record(tx.as_mut(), caller, action, &slug, diff)
            .await?;
        tx.commit().await.map_err(store_err)?;
        Ok((stored, outcome))
    }

    /// Removes an entry; courses already adopted from it are unaffected. Platform
    /// operators only; audited `library.delete` in the platform chain.
    pub async fn delete(&self, caller: &Caller, slug: &LibrarySlug) -> Result<(), AppError> {
        caller.require_platform()?;
        let mut tx = self.db.begin(None).await.map_err(store_err)?;
        let gone = self
            .store
            .delete(tx.as_mut(), slug)
            .await
            .map_err(store_err)?;
        let diff =
            json!({ "before": { "library": gone.id, "slug": gone.slug, "title": gone.title } });
        self.record(tx.as_mut(), caller, "library.delete", slug, diff)
            .await?;
        tx.commit().await.map_err(store_err)
    }

    /// Puts every [`BUILTIN`] package into the library as the system (at start-up),
    /// writing only what changed. Returns the entries.
    pub async fn seed_builtin(&self) -> Result<Vec<(LibraryEntry, PutOutcome)>, AppError> {
        let mut out = Vec::with_capacity(BUILTIN.len());
        for (slug, text) in BUILTIN {
            let slug = LibrarySlug::parse(slug).map_err(internal)?;
            let package: CoursePackage = serde_json::from_str(text).map_err(internal)?;
            out.push(self.put(&Caller::system(), slug, &package).await?);
        }
        Ok(out)
    }

    async fn record(
        &self,
        tx: &mut dyn nexus_store::Tx,
        caller: &Caller,
        action: &'static str,
        slug: &LibrarySlug,
        diff: serde_json::Value,
    ) -> Result<(), AppError> {
        let r = Record {
            tenant: None,
            action,
            target: format!("library:{slug}"),
            diff: Some(diff),
        };
        self.audit.record_in(tx, caller, r).await
    }
}
