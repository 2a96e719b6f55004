//! Parsing a course package: every rule of every piece, each error under its full JSON
//! path, plus what only shows across pieces (bank keys used twice, quizzes naming a
//! bank the package lacks) and the package's own limits.

use super::{
    CoursePackage, MAX_BANKS, MAX_LESSONS_PER_MODULE, MAX_MODULES, MAX_QUIZZES_PER_MODULE,
    PackageModule, ParsedBank, ParsedModule, ParsedPackage, ParsedQuiz, SCHEMA, SCHEMA_VERSION,
};
use crate::learning::course::{CourseDraft, CourseInput};
use crate::learning::outline::{LessonDraft, parse_title};
use crate::learning::quiz::question::slug;
use crate::learning::quiz::{BankId, QuestionId};
use crate::validation::FieldErrors;
use std::collections::BTreeMap;

/// Copies `inner`'s errors into `errs`, each under `prefix.`.
fn absorb(errs: &mut FieldErrors, prefix: &str, inner: &FieldErrors) {
    for f in inner.as_slice() {
        errs.push(format!("{prefix}.{}", f.field), f.code, f.message.clone());
    }
}

/// Checks the `schema` and `schema_version` members.
fn check_schema(errs: &mut FieldErrors, schema: Option<&str>, version: Option<i64>) {
    match schema {
        None | Some("") => errs.push("schema", "required", format!("must be \"{SCHEMA}\"")),
        Some(s) if s != SCHEMA => {
            errs.push("schema", "unknown_schema", format!("must be \"{SCHEMA}\""));
        }
        Some(_) => {}
    }
    match version {
        None => errs.push(
            "schema_version",
            "required",
            format!("must be {SCHEMA_VERSION}"),
        ),
        Some(v) if v > SCHEMA_VERSION => errs.push(
            "schema_version",
            "unsupported_version",
            format!(
                "version {v} is newer than this server reads ({SCHEMA_VERSION}); upgrade the server"
            ),
        ),
        Some(v) if v != SCHEMA_VERSION => errs.push(
            "schema_version",
            "unsupported_version",
            format!("must be {SCHEMA_VERSION}"),
        ),
        Some(_) => {}
    }
}

/// Checks a raw document's `schema` and `schema_version` before its shape: a package
/// of another version may have members this one does not know, and its author should
/// hear about the version, not about an unknown field.
///
/// # Errors
/// `schema` / `schema_version` errors (`required`, `unknown_schema`,
/// `unsupported_version`, `type`), or `body` when the document is not an object.
pub fn check_header(raw: &serde_json::Value) -> Result<(), FieldErrors> {
    let mut errs = FieldErrors::new();
    let Some(obj) = raw.as_object() else {
        errs.push("body", "type", "a course package is a JSON object");
        return Err(errs);
    };
    let schema = match obj.get("schema") {
        None => None,
        Some(v) => Some(v.as_str().unwrap_or("\u{0}")),
    };
    let version = match obj.get("schema_version") {
        None => None,
        Some(v) if v.is_i64() => v.as_i64(),
        Some(_) => {
            errs.push("schema_version", "type", "must be a whole number");
            Some(SCHEMA_VERSION)
        }
    };
    check_schema(&mut errs, schema, version);
    errs.finish(|| Some(()))
}

impl CoursePackage {
    /// Parses the whole package, reporting every problem at once with its full path:
    /// `course.title`, `modules[1].lessons[0].estimated_minutes`,
    /// `modules[0].quizzes[0].bank` (`unknown_bank`), `banks[2].key` (`duplicate`, also
    /// after canonicalisation), `banks[2].questions[3].options[1]`, `schema_version`.
    ///
    /// # Errors
    /// Every field error found.
    pub fn parse(&self) -> Result<ParsedPackage, FieldErrors> {
        let mut errs = FieldErrors::new();
        check_schema(&mut errs, Some(&self.schema), Some(self.schema_version));
        let c = &self.course;
        let course = CourseDraft::parse(&CourseInput {
            title: &c.title,
            summary: &c.summary,
            level: &c.level,
            estimated_minutes: c.estimated_minutes,
            tags: &c.tags,
            self_enrol: c.self_enrol,
        })
        .map_err(|e| absorb(&mut errs, "course", &e))
        .ok();
        let (banks, keys) = self.parse_banks(&mut errs);
        if self.modules.len() > MAX_MODULES {
            let msg = format!("a package holds at most {MAX_MODULES} modules");
            errs.push("modules", "too_many", msg);
        }
        let modules: Vec<Option<ParsedModule>> = self
            .modules
            .iter()
            .enumerate()
            .map(|(i, m)| parse_module(&mut errs, &format!("modules[{i}]"), m, &keys))
            .collect();
        errs.finish(|| {
            Some(ParsedPackage {
                course: course?,
                modules: modules.into_iter().collect::<Option<_>>()?,
                banks: banks.into_iter().collect::<Option<_>>()?,
            })
        })
    }

    /// Each bank parsed (`None` where it failed), with keys used twice reported, and
    /// the index of each well-formed key's first bank: a quiz naming a bank whose
    /// questions have errors should hear about those, not that the bank is unknown.
    fn parse_banks(
        &self,
        errs: &mut FieldErrors,
    ) -> (Vec<Option<ParsedBank>>, BTreeMap<String, usize>) {
        if self.banks.len() > MAX_BANKS {
            let msg = format!("a package holds at most {MAX_BANKS} banks");
            errs.push("banks", "too_many", msg);
        }
        let nil_bank = BankId::from_uuid(uuid::Uuid::nil());
        let nil_course = crate::learning::CourseId::from_uuid(uuid::Uuid::nil());
        let nil_question = || QuestionId::from_uuid(uuid::Uuid::nil());
        let mut first_use: BTreeMap<String, usize> = BTreeMap::new();
        let mut out = Vec::with_capacity(self.banks.len());
        for (i, spec) in self.banks.iter().enumerate() {
            // Compare canonical keys, so `Basics` and `basics` cannot both slip through
            // to collide in storage.
            if let Ok(key) = slug(&spec.key) {
                if let Some(j) = first_use.get(&key) {
                    let msg = format!("key also used by banks[{j}]");
                    errs.push(format!("banks[{i}].key"), "duplicate", msg);
                } else {
                    first_use.insert(key, i);
                }
            }
            let epoch = time::OffsetDateTime::UNIX_EPOCH;
            match spec.parse(nil_bank, nil_course, &[], nil_question, epoch) {
                Ok(b) => out.push(Some(ParsedBank {
                    key: b.key,
                    title: b.title,
                    questions: b.questions,
                })),
                Err(e) => {
                    absorb(errs, &format!("banks[{i}]"), &e);
                    out.push(None);
                }
            }
        }
        (out, first_use)
    }
}

/// Parses one module under `path`; quizzes' banks are resolved against `keys`.
fn parse_module(
    errs: &mut FieldErrors,
    path: &str,
    m: &PackageModule,
    keys: &BTreeMap<String, usize>,
) -> Option<ParsedModule> {
    let before = errs.as_slice().len();
    let title = errs.check(&format!("{path}.title"), parse_title(&m.title));
    if m.lessons.len() > MAX_LESSONS_PER_MODULE {
        let msg = format!("a module holds at most {MAX_LESSONS_PER_MODULE} lessons");
        errs.push(format!("{path}.lessons"), "too_many", msg);
    }
    let mut lessons = Vec::with_capacity(m.lessons.len());
    for (j, l) in m.lessons.iter().enumerate() {
        match LessonDraft::parse(&l.title, &l.body, l.estimated_minutes) {
            Ok(d) => lessons.push(d),
            Err(e) => absorb(errs, &format!("{path}.lessons[{j}]"), &e),
        }
    }
    if m.quizzes.len() > MAX_QUIZZES_PER_MODULE {
        let msg = format!("a module holds at most {MAX_QUIZZES_PER_MODULE} quizzes");
        errs.push(format!("{path}.quizzes"), "too_many", msg);
    }
    let mut quizzes = Vec::with_capacity(m.quizzes.len());
    for (k, q) in m.quizzes.iter().enumerate() {
        let at = format!("{path}.quizzes[{k}]");
        let settings = q.parse().map_err(|e| absorb(errs, &at, &e)).ok();
        // A malformed key was reported by `parse`; only a well-formed one can be unknown.
        let bank = slug(&q.bank).ok().and_then(|key| {
            let found = keys.get(&key).copied();
            if found.is_none() {
                let msg = "no bank in this package has this key";
                errs.push(format!("{at}.bank"), "unknown_bank", msg);
            }
            found
        });
        if let (Some(settings), Some(bank)) = (settings, bank) {
            quizzes.push(ParsedQuiz { settings, bank });
        }
    }
    (errs.as_slice().len() == before).then_some(ParsedModule {
        title: title?,
        lessons,
        quizzes,
    })
}
