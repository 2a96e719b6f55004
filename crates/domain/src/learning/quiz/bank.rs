//! Parsing a whole bank: every question's errors under `questions[i]`, plus keys used
//! twice (which only show across questions).

use super::question::Question;
use super::spec::QuestionSpec;
use super::{BankId, QuestionId};
use crate::validation::FieldErrors;
use std::collections::BTreeMap;

/// Parses a bank's questions, reporting every problem with paths like
/// `questions[3].options[1]`, including keys used twice. `id_for` mints (or looks up,
/// by key) each question's identity.
pub fn parse_bank(
    specs: &[QuestionSpec],
    bank: BankId,
    mut id_for: impl FnMut(&str) -> QuestionId,
) -> Result<Vec<Question>, FieldErrors> {
    let mut errs = FieldErrors::new();
    let mut questions = Vec::with_capacity(specs.len());
    let mut first_use: BTreeMap<String, usize> = BTreeMap::new();
    let placeholder = QuestionId::from_uuid(uuid::Uuid::nil());
    for (i, spec) in specs.iter().enumerate() {
        match spec.parse(placeholder, bank) {
            Ok(mut q) => {
                if let Some(j) = first_use.get(&q.key) {
                    let msg = format!("key also used by questions[{j}]");
                    errs.push(format!("questions[{i}].key"), "duplicate", msg);
                } else {
                    first_use.insert(q.key.clone(), i);
                }
                q.id = id_for(&q.key);
                questions.push(q);
            }
            Err(e) => {
                for f in e.as_slice() {
                    let field = format!("questions[{i}].{}", f.field);
                    errs.push(field, f.code, f.message.clone());
                }
            }
        }
    }
    errs.finish(|| Some(questions))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learning::quiz::fixtures::{bank_id, qid};
    use serde_json::json;

    fn spec(v: &serde_json::Value) -> QuestionSpec {
        serde_json::from_value(v.clone()).unwrap()
    }

    #[test]
    fn banks_prefix_paths_and_refuse_duplicate_keys() {
        let ok = json!({"key": "compound-10y", "topic": "t", "prompt": "p", "type": "true_false", "answer": true});
        let bad = json!({"key": "other", "topic": "t", "prompt": "p", "type": "single_choice", "options": ["a", "a"], "answer": 0});
        let dup = json!({"key": "Compound-10Y", "topic": "t", "prompt": "p", "type": "true_false", "answer": false});
        let specs = [spec(&ok), spec(&bad), spec(&dup)];
        let errs = parse_bank(&specs, bank_id(), |_| qid(9)).unwrap_err();
        let got: Vec<(&str, &str)> = errs
            .as_slice()
            .iter()
            .map(|e| (e.field.as_str(), e.code))
            .collect();
        assert_eq!(
            got,
            [
                ("questions[1].options[1]", "duplicate"),
                ("questions[2].key", "duplicate")
            ]
        );

        let mut minted = Vec::new();
        let qs = parse_bank(&specs[..1], bank_id(), |key| {
            minted.push(key.to_owned());
            qid(42)
        })
        .unwrap();
        assert_eq!(
            (qs[0].id, minted),
            (qid(42), vec!["compound-10y".to_owned()])
        );
    }
}
