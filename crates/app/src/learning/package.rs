//! Course packages: exporting a course's draft as one JSON document, and importing one
//! as a new draft course.
//!
//! An import writes everything (course, modules, lessons, banks, quizzes) in one
//! transaction with one audit record, so a failure part-way leaves nothing behind and
//! no record describes a course that does not exist.

use super::courses::{CourseService, commit};
use super::store_err;
use crate::AppError;
use crate::audit::Caller;
use nexus_domain::TenantId;
use nexus_domain::access::Permission;
use nexus_domain::learning::package::{CoursePackage, PackageRecords, ParsedPackage};
use nexus_domain::learning::{Course, CourseId};
use nexus_store::Tx;
use serde_json::json;

/// What the audit trail keeps of an import: sizes, never lesson bodies or answers.
fn counts(r: &PackageRecords) -> serde_json::Value {
    json!({
        "title": r.course.meta.title,
        "modules": r.outline.len(),
        "lessons": r.outline.iter().map(|(_, ls)| ls.len()).sum::<usize>(),
        "banks": r.banks.len(),
        "questions": r.banks.iter().map(|b| b.questions.len()).sum::<usize>(),
        "quizzes": r.quizzes.len(),
    })
}

impl CourseService {
    /// The course's draft as a package: metadata, outline in order, banks and quizzes
    /// in module order. Needs `course:write` (a package carries answer keys).
    pub async fn export(
        &self,
        caller: &Caller,
        tenant: TenantId,
        id: CourseId,
    ) -> Result<CoursePackage, AppError> {
        caller.require(tenant, Permission::CourseWrite)?;
        let course = self.load(tenant, id).await?;
        let outline = self.outline_of(tenant, id).await?;
        let quizzes = self.db.quizzes();
        let banks = quizzes.banks(tenant, id).await.map_err(store_err("bank"))?;
        let quizzes = quizzes
            .quizzes(tenant, id)
            .await
            .map_err(store_err("quiz"))?;
        Ok(CoursePackage::from_parts(
            &course.meta,
            &outline,
            &banks,
            &quizzes,
        ))
    }

    /// Imports a package as a new draft course of `tenant`, with every module, lesson,
    /// bank and quiz, in one transaction audited `course.import` (with counts). Needs
    /// `course:write`.
    pub async fn import(
        &self,
        caller: &Caller,
        tenant: TenantId,
        package: ParsedPackage,
    ) -> Result<Course, AppError> {
        self.import_as(caller, tenant, package, "course.import", json!({}))
            .await
    }

    /// [`CourseService::import`] recorded as `action`, with `origin` (e.g. the library
    /// entry adopted) added to the audit diff.
    pub(crate) async fn import_as(
        &self,
        caller: &Caller,
        tenant: TenantId,
        package: ParsedPackage,
        action: &'static str,
        origin: serde_json::Value,
    ) -> Result<Course, AppError> {
        caller.require(tenant, Permission::CourseWrite)?;
        let records = package.into_records(tenant, self.clock.as_ref())?;
        let mut tx = self.begin(tenant).await?;
        self.write_records(tx.as_mut(), &records).await?;
        let diff = json!({ "after": counts(&records), "origin": origin });
        self.record_change(tx.as_mut(), caller, &records.course, action, diff)
            .await?;
        commit(tx).await?;
        Ok(records.course)
    }

    /// Writes an import's rows in the caller's transaction, parents first.
    async fn write_records(&self, tx: &mut dyn Tx, r: &PackageRecords) -> Result<(), AppError> {
        let tenant = r.course.tenant_id;
        self.store
            .create(tx, &r.course)
            .await
            .map_err(store_err("course"))?;
        for (module, lessons) in &r.outline {
            self.store
                .add_module(tx, tenant, module)
                .await
                .map_err(store_err("course"))?;
            for lesson in lessons {
                self.store
                    .add_lesson(tx, tenant, lesson)
                    .await
                    .map_err(store_err("module"))?;
            }
        }
        let quizzes = self.db.quizzes();
        for bank in &r.banks {
            quizzes
                .create_bank(tx, tenant, bank)
                .await
                .map_err(store_err("course"))?;
        }
        for quiz in &r.quizzes {
            quizzes
                .create_quiz(tx, tenant, quiz)
                .await
                .map_err(store_err("module"))?;
        }
        Ok(())
    }
}
