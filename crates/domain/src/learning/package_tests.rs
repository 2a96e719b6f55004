use super::*;
use crate::ManualClock;
use crate::learning::quiz::Bank;
use crate::validation::FieldErrors;
use serde_json::{Value, json};

const CURRICULUM: &str = include_str!("../../../../curriculum/financial-literacy-101.json");

fn package(v: &Value) -> CoursePackage {
    serde_json::from_value(v.clone()).unwrap()
}

fn fields(errs: &FieldErrors) -> Vec<(&str, &str)> {
    errs.as_slice()
        .iter()
        .map(|e| (e.field.as_str(), e.code))
        .collect()
}

/// Parse, store as records, and export again.
fn round_trip(p: &CoursePackage) -> CoursePackage {
    let clock = ManualClock::at_unix(1_780_000_000);
    let tenant = crate::TenantId::generate(&clock);
    let r = p.parse().unwrap().into_records(tenant, &clock).unwrap();
    CoursePackage::from_parts(&r.course.meta, &r.outline, &r.banks, &r.quizzes)
}

fn small() -> Value {
    json!({
        "schema": SCHEMA, "schema_version": 1,
        "course": {"title": "Money", "summary": "", "level": "beginner", "estimated_minutes": 30,
                   "tags": ["budgeting"], "self_enrol": false},
        "modules": [{"title": "Basics",
                     "lessons": [{"title": "Budgets", "estimated_minutes": 5, "body": "# B"}],
                     "quizzes": [{"title": "Check", "bank": "basics"}]}],
        "banks": [{"key": "basics", "title": "Basics", "questions": [
            {"key": "q", "topic": "t", "prompt": "p", "type": "true_false", "answer": true}
        ]}]
    })
}

#[test]
fn the_curriculum_parses_and_round_trips_exactly() {
    let file: Value = serde_json::from_str(CURRICULUM).unwrap();
    let p = package(&file);
    let parsed = p.parse().unwrap();
    let lessons: usize = parsed.modules.iter().map(|m| m.lessons.len()).sum();
    assert!(lessons >= 8, "{lessons} lessons");
    let back = round_trip(&p);
    assert_eq!(back, p);
    assert_eq!(serde_json::to_value(&back).unwrap(), file);
}

#[test]
fn every_error_is_reported_with_its_full_path() {
    let mut v = small();
    v["schema_version"] = json!(2);
    v["course"]["title"] = json!(" ");
    v["course"]["tags"] = json!(["ok", "not ok"]);
    v["modules"] = json!([
        {"title": "Fine", "lessons": [], "quizzes": [{"title": "Q", "bank": "nowhere"}]},
        {"title": "", "lessons": [{"title": "L", "estimated_minutes": 0, "body": ""}],
         "quizzes": [{"title": "Q", "bank": "Bad Key", "pass_mark_percent": 101}]}
    ]);
    v["banks"] = json!([
        {"key": "basics", "title": "B", "questions": []},
        {"key": "other", "title": "O", "questions": [
            {"key": "q", "topic": "t", "prompt": "p", "type": "single_choice", "options": ["a", "a"], "answer": 0}
        ]},
        {"key": "Basics", "title": "Again", "questions": []}
    ]);
    let errs = package(&v).parse().unwrap_err();
    assert_eq!(
        fields(&errs),
        [
            ("schema_version", "unsupported_version"),
            ("course.title", "length"),
            ("course.tags[1]", "format"),
            ("banks[1].questions[0].options[1]", "duplicate"),
            ("banks[2].key", "duplicate"),
            ("modules[0].quizzes[0].bank", "unknown_bank"),
            ("modules[1].title", "length"),
            ("modules[1].lessons[0].estimated_minutes", "range"),
            ("modules[1].quizzes[0].bank", "format"),
            ("modules[1].quizzes[0].pass_mark_percent", "range"),
        ]
    );
}

#[test]
fn a_quiz_on_a_broken_bank_hears_about_the_bank_not_an_unknown_key() {
    let mut v = small();
    v["banks"][0]["title"] = json!("");
    let errs = package(&v).parse().unwrap_err();
    assert_eq!(fields(&errs), [("banks[0].title", "length")]);
}

#[test]
fn the_header_is_checked_before_the_shape() {
    let newer = json!({"schema": SCHEMA, "schema_version": 2, "course": {}, "glossary": []});
    let errs = check_header(&newer).unwrap_err();
    assert_eq!(fields(&errs), [("schema_version", "unsupported_version")]);
    assert!(errs.as_slice()[0].message.contains("upgrade"));
    let wrong = json!({"schema": "scorm", "schema_version": "1"});
    let errs = check_header(&wrong).unwrap_err();
    assert_eq!(
        fields(&errs),
        [("schema_version", "type"), ("schema", "unknown_schema")]
    );
    let errs = check_header(&json!({})).unwrap_err();
    assert_eq!(
        fields(&errs),
        [("schema", "required"), ("schema_version", "required")]
    );
    assert_eq!(
        fields(&check_header(&json!([])).unwrap_err()),
        [("body", "type")]
    );
    assert!(check_header(&small()).is_ok());
}

#[test]
fn limits_are_enforced() {
    let mut v = small();
    let module = v["modules"][0].clone();
    let lesson = module["lessons"][0].clone();
    v["modules"][0]["lessons"] = Value::Array(vec![lesson; MAX_LESSONS_PER_MODULE + 1]);
    let quiz = module["quizzes"][0].clone();
    v["modules"][0]["quizzes"] = Value::Array(vec![quiz; MAX_QUIZZES_PER_MODULE + 1]);
    let mut modules = vec![module; MAX_MODULES];
    modules.insert(0, v["modules"][0].clone());
    v["modules"] = Value::Array(modules);
    let banks: Vec<Value> = (0..=MAX_BANKS)
        .map(|i| json!({"key": if i == 0 { "basics".to_owned() } else { format!("b{i}") }, "title": "B"}))
        .collect();
    v["banks"] = Value::Array(banks);
    let errs = package(&v).parse().unwrap_err();
    assert_eq!(
        fields(&errs),
        [
            ("banks", "too_many"),
            ("modules", "too_many"),
            ("modules[0].lessons", "too_many"),
            ("modules[0].quizzes", "too_many"),
        ]
    );
}

#[test]
fn records_get_fresh_identities_in_order() {
    let clock = ManualClock::at_unix(1_780_000_000);
    let tenant = crate::TenantId::generate(&clock);
    let r = package(&small())
        .parse()
        .unwrap()
        .into_records(tenant, &clock)
        .unwrap();
    assert_eq!(r.course.tenant_id, tenant);
    assert_eq!(r.course.status, crate::learning::ContentStatus::Draft);
    let bank: &Bank = &r.banks[0];
    assert_eq!(bank.course, r.course.id);
    assert!(
        bank.questions
            .iter()
            .all(|q| q.bank == bank.id && !q.id.as_uuid().is_nil())
    );
    let (module, lessons) = &r.outline[0];
    assert_eq!((module.position, lessons[0].position), (0, 0));
    assert_eq!(
        (r.quizzes[0].module, r.quizzes[0].bank),
        (module.id, bank.id)
    );
}

#[test]
fn every_option_survives_and_unused_banks_sort_by_key() {
    let mut v = small();
    v["modules"][0]["quizzes"] = json!([
        {"title": "Timed", "bank": "basics", "draw": 2, "pass_mark_percent": 0, "max_attempts": 100,
         "time_limit_minutes": 600, "shuffle_questions": true, "shuffle_options": true},
        {"title": "Plain", "bank": "later", "pass_mark_percent": 100,
         "shuffle_questions": false, "shuffle_options": false}
    ]);
    v["banks"] = json!([
        {"key": "basics", "title": "Basics", "questions": [
            {"key": "sc", "topic": "t", "prompt": "p", "explanation": "", "points": 10,
             "type": "single_choice", "options": ["a", "b"], "answer": 1},
            {"key": "ms", "topic": "t", "prompt": "p", "explanation": "e", "points": 1,
             "type": "multiple_select", "options": ["a", "b", "c"], "answer": [0, 2]},
            {"key": "num", "topic": "t", "prompt": "p", "explanation": "e", "points": 1,
             "type": "numeric", "answer": 2.5, "tolerance": 1},
            {"key": "ord", "topic": "t", "prompt": "p", "explanation": "e", "points": 1,
             "type": "ordering", "items": ["x", "y", "z"]}
        ]},
        {"key": "later", "title": "Later", "questions": []},
        {"key": "z-unused", "title": "Z", "questions": []},
        {"key": "a-unused", "title": "A", "questions": []}
    ]);
    let p = package(&v);
    let back = serde_json::to_value(round_trip(&p)).unwrap();
    let keys: Vec<&str> = back["banks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["basics", "later", "a-unused", "z-unused"]);
    let mut expected = v.clone();
    expected["banks"] = json!([v["banks"][0], v["banks"][1], v["banks"][3], v["banks"][2]]);
    assert_eq!(back, expected);
}

#[test]
fn file_stems_are_header_safe() {
    assert_eq!(
        file_stem("Financial Literacy 101"),
        "financial-literacy-101"
    );
    assert_eq!(
        file_stem("  Épargne & \"Crédit\" -- 2e  "),
        "pargne-cr-dit-2e"
    );
    assert_eq!(file_stem("€€€"), "course");
    assert_eq!(file_stem(&"ab ".repeat(100)).len(), 64);
}
