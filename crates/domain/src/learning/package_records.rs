//! Between packages and records: the rows an import stores, minted from a parsed
//! package, and the package an export writes, rebuilt from stored rows.
//!
//! Banks have no stored order, so an export lists them in a canonical one: in the order
//! the outline's quizzes first use them, then unused banks by key. A package written in
//! that order (as the curriculum is) round-trips unchanged.

use super::{CoursePackage, PackageCourse, PackageLesson, PackageModule, ParsedPackage};
use super::{SCHEMA, SCHEMA_VERSION};
use crate::learning::quiz::{Bank, BankId, BankSpec, QuestionId, Quiz, QuizId, QuizSettingsSpec};
use crate::learning::{
    ContentStatus, Course, CourseDraft, CourseId, Lesson, LessonId, Module, ModuleId,
};
use crate::validation::FieldErrors;
use crate::{Clock, TenantId};

/// Everything an import writes: a new draft course with its outline, banks and quizzes.
#[derive(Debug, Clone, PartialEq)]
pub struct PackageRecords {
    /// The new draft course.
    pub course: Course,
    /// Modules in order, each with its lessons in order.
    pub outline: Vec<(Module, Vec<Lesson>)>,
    /// Banks, in package order.
    pub banks: Vec<Bank>,
    /// Quizzes, in outline order.
    pub quizzes: Vec<Quiz>,
}

impl ParsedPackage {
    /// Mints an identity for everything (from the injected clock) and lays the package
    /// out as records of a new draft course of `tenant`.
    ///
    /// # Errors
    /// `modules[i].quizzes[k].bank` if a quiz points past the banks, which only a
    /// hand-built `ParsedPackage` can do ([`CoursePackage::parse`] checks it).
    pub fn into_records(
        self,
        tenant: TenantId,
        clock: &dyn Clock,
    ) -> Result<PackageRecords, FieldErrors> {
        let now = clock.now();
        let course_id = CourseId::generate(clock);
        let banks: Vec<Bank> = self
            .banks
            .into_iter()
            .map(|b| {
                let id = BankId::generate(clock);
                let questions = b.questions.into_iter().map(|mut q| {
                    q.id = QuestionId::generate(clock);
                    q.bank = id;
                    q
                });
                Bank {
                    id,
                    course: course_id,
                    key: b.key,
                    title: b.title,
                    questions: questions.collect(),
                    updated_at: now,
                }
            })
            .collect();
        let mut errs = FieldErrors::new();
        let mut outline = Vec::with_capacity(self.modules.len());
        let mut quizzes = Vec::new();
        for (i, m) in (0u32..).zip(self.modules) {
            let module = Module {
                id: ModuleId::generate(clock),
                course: course_id,
                position: i,
                title: m.title,
            };
            let lessons = (0u32..)
                .zip(m.lessons)
                .map(|(j, draft)| Lesson {
                    id: LessonId::generate(clock),
                    module: module.id,
                    position: j,
                    draft,
                    updated_at: now,
                })
                .collect();
            for (k, q) in (0u32..).zip(m.quizzes) {
                let Some(bank) = banks.get(q.bank) else {
                    let field = format!("modules[{i}].quizzes[{k}].bank");
                    errs.push(
                        field,
                        "unknown_bank",
                        "no bank in this package has this key",
                    );
                    continue;
                };
                quizzes.push(Quiz {
                    id: QuizId::generate(clock),
                    course: course_id,
                    module: module.id,
                    position: k,
                    bank: bank.id,
                    settings: q.settings,
                    updated_at: now,
                });
            }
            outline.push((module, lessons));
        }
        let course = Course {
            id: course_id,
            tenant_id: tenant,
            meta: self.course,
            status: ContentStatus::Draft,
            published_version: 0,
            published_meta: None,
            created_at: now,
            updated_at: now,
        };
        errs.finish(|| {
            Some(PackageRecords {
                course,
                outline,
                banks,
                quizzes,
            })
        })
    }
}

impl CoursePackage {
    /// The package of a stored course: its (draft) metadata, its outline in order, its
    /// banks and its quizzes. Parsing the result gives the same course back, and for a
    /// course imported from a canonical package, the result is that package.
    pub fn from_parts(
        meta: &CourseDraft,
        outline: &[(Module, Vec<Lesson>)],
        banks: &[Bank],
        quizzes: &[Quiz],
    ) -> CoursePackage {
        let mut modules: Vec<&(Module, Vec<Lesson>)> = outline.iter().collect();
        modules.sort_by_key(|(m, _)| (m.position, m.id));
        let mut ordered: Vec<&Quiz> = Vec::with_capacity(quizzes.len());
        for (m, _) in &modules {
            let mut own: Vec<&Quiz> = quizzes.iter().filter(|q| q.module == m.id).collect();
            own.sort_by_key(|q| (q.position, q.id));
            ordered.extend(own);
        }
        let key_of = |id: BankId| {
            banks
                .iter()
                .find(|b| b.id == id)
                .map_or("", |b| b.key.as_str())
        };
        // Canonical bank order: first use by the outline's quizzes, then unused by key.
        let mut bank_order: Vec<&Bank> = Vec::with_capacity(banks.len());
        for q in &ordered {
            if let Some(b) = banks.iter().find(|b| b.id == q.bank)
                && !bank_order.iter().any(|seen| seen.id == b.id)
            {
                bank_order.push(b);
            }
        }
        let mut unused: Vec<&Bank> = banks
            .iter()
            .filter(|b| !bank_order.iter().any(|seen| seen.id == b.id))
            .collect();
        unused.sort_by(|a, b| a.key.cmp(&b.key));
        bank_order.extend(unused);
        CoursePackage {
            schema: SCHEMA.to_owned(),
            schema_version: SCHEMA_VERSION,
            course: PackageCourse {
                title: meta.title.clone(),
                summary: meta.summary.clone(),
                level: meta.level.as_str().to_owned(),
                estimated_minutes: i64::from(meta.estimated_minutes),
                tags: meta.tags.iter().map(|t| t.as_str().to_owned()).collect(),
                self_enrol: meta.self_enrol,
            },
            modules: modules
                .iter()
                .map(|(m, lessons)| {
                    let mut lessons: Vec<&Lesson> = lessons.iter().collect();
                    lessons.sort_by_key(|l| (l.position, l.id));
                    PackageModule {
                        title: m.title.clone(),
                        lessons: lessons.iter().map(|l| package_lesson(l)).collect(),
                        quizzes: ordered
                            .iter()
                            .filter(|q| q.module == m.id)
                            .map(|q| QuizSettingsSpec::from_settings(&q.settings, key_of(q.bank)))
                            .collect(),
                    }
                })
                .collect(),
            banks: bank_order.into_iter().map(BankSpec::from_bank).collect(),
        }
    }
}

fn package_lesson(l: &Lesson) -> PackageLesson {
    PackageLesson {
        title: l.draft.title.clone(),
        estimated_minutes: i64::from(l.draft.estimated_minutes),
        body: l.draft.body.clone(),
    }
}
