use super::*;
use crate::learning::quiz::fixtures::{bank_id, qid};
use serde_json::json;

fn spec(v: &Value) -> QuestionSpec {
    serde_json::from_value(v.clone()).unwrap()
}

fn parse(v: &Value) -> Result<Question, FieldErrors> {
    spec(v).parse(qid(1), bank_id())
}

/// `(field, code)` of every error, in order.
fn errors(v: &Value) -> Vec<(String, &'static str)> {
    parse(v)
        .unwrap_err()
        .as_slice()
        .iter()
        .map(|e| (e.field.clone(), e.code))
        .collect()
}

fn pairs(xs: &[(&str, &'static str)]) -> Vec<(String, &'static str)> {
    xs.iter().map(|&(f, c)| (f.to_owned(), c)).collect()
}

fn base(kind: &str) -> Value {
    json!({"key": "compound-10y", "topic": "compound-interest", "prompt": "How much?",
           "explanation": "Because.", "points": 2, "type": kind})
}

fn with(mut v: Value, members: &Value) -> Value {
    for (k, m) in members.as_object().unwrap() {
        v[k] = m.clone();
    }
    v
}

#[test]
fn the_documented_example_parses_and_round_trips_exactly() {
    let raw = r#"{"key":"compound-10y","topic":"compound-interest","prompt":"What is $1000 at 5% after 10 years?","explanation":"Use (1+r)^n.","points":1,"type":"single_choice","options":["$1500","$1628.89","$2000"],"answer":1}"#;
    let s: QuestionSpec = serde_json::from_str(raw).unwrap();
    let q = s.parse(qid(1), bank_id()).unwrap();
    assert_eq!(q.key, "compound-10y");
    assert_eq!(q.topic.as_str(), "compound-interest");
    assert_eq!(q.points, 1);
    let AnswerKey::SingleChoice { options, correct } = &q.answer else {
        panic!("{q:?}")
    };
    assert_eq!((options.len(), *correct), (3, 1));
    let back = QuestionSpec::from_question(&q);
    assert_eq!(back, s);
    assert_eq!(serde_json::to_string(&back).unwrap(), raw);
}

#[test]
fn every_kind_parses_and_round_trips() {
    let cases = [
        with(
            base("single_choice"),
            &json!({"options": ["A", "B"], "answer": 0}),
        ),
        with(
            base("multiple_select"),
            &json!({"options": ["A", "B", "C"], "answer": [0, 2]}),
        ),
        with(base("true_false"), &json!({"answer": false})),
        with(
            base("numeric"),
            &json!({"answer": 1628.89, "tolerance": 0.01}),
        ),
        with(base("numeric"), &json!({"answer": 1000})),
        // A whole tolerance comes back as `10`, not `10.0`.
        with(
            base("numeric"),
            &json!({"answer": 395_290.93, "tolerance": 10}),
        ),
        with(
            base("ordering"),
            &json!({"items": ["Earn", "Save", "Invest"]}),
        ),
    ];
    let kinds = [
        "single_choice",
        "multiple_select",
        "true_false",
        "numeric",
        "numeric",
        "numeric",
        "ordering",
    ];
    for (v, kind) in cases.iter().zip(kinds) {
        let q = parse(v).unwrap();
        assert_eq!(q.answer.kind().as_str(), kind);
        let back = serde_json::to_value(QuestionSpec::from_question(&q)).unwrap();
        assert_eq!(&back, v);
        assert_eq!(spec(&back).parse(q.id, q.bank).unwrap(), q);
    }
}

#[test]
fn defaults_and_normalisation() {
    let v = json!({"key": " Compound-10Y ", "topic": "Compound-Interest", "prompt": "    indented code",
                   "type": "multiple_select", "options": [" A ", "B"], "answer": [1, 0]});
    let q = parse(&v).unwrap();
    assert_eq!((q.points, q.explanation.as_str()), (1, ""));
    assert_eq!(
        (q.key.as_str(), q.topic.as_str()),
        ("compound-10y", "compound-interest")
    );
    assert_eq!(q.prompt, "    indented code", "markdown is kept verbatim");
    assert_eq!(
        q.answer,
        AnswerKey::MultipleSelect {
            options: vec!["A".into(), "B".into()],
            correct: vec![0, 1]
        }
    );
    let AnswerKey::Numeric { tolerance, .. } = parse(&with(base("numeric"), &json!({"answer": 3})))
        .unwrap()
        .answer
    else {
        panic!()
    };
    assert!(tolerance == 0.0);
}

#[test]
fn every_bad_member_is_reported_at_once() {
    let v = json!({"key": "Bad Key!", "topic": "", "prompt": "  ", "explanation": "x".repeat(4001),
                   "points": 11, "type": "single_choice", "options": ["A", " A ", ""], "answer": 5});
    assert_eq!(
        errors(&v),
        pairs(&[
            ("key", "format"),
            ("topic", "format"),
            ("prompt", "length"),
            ("explanation", "length"),
            ("points", "range"),
            ("options[1]", "duplicate"),
            ("options[2]", "length"),
            ("answer", "range"),
        ])
    );
    let long = with(
        base("ordering"),
        &json!({"items": ["x".repeat(501), "b"], "points": 0}),
    );
    assert_eq!(
        errors(&long),
        pairs(&[("points", "range"), ("items[0]", "length")])
    );
}

#[test]
fn unknown_and_missing_types_are_field_errors() {
    assert_eq!(errors(&base("essay")), pairs(&[("type", "unknown_value")]));
    let mut v = base("x");
    v.as_object_mut().unwrap().remove("type");
    assert_eq!(errors(&v), pairs(&[("type", "required")]));
    let empty: QuestionSpec = serde_json::from_str("{}").unwrap();
    let fields: Vec<String> = errors(&serde_json::to_value(&empty).unwrap())
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    assert_eq!(fields, ["key", "topic", "prompt", "type"]);
}

#[test]
fn members_that_do_not_belong_to_the_type_are_refused() {
    let tf = with(
        base("true_false"),
        &json!({"answer": true, "options": ["a", "b"], "tolerance": 1}),
    );
    assert_eq!(
        errors(&tf),
        pairs(&[("options", "not_allowed"), ("tolerance", "not_allowed")])
    );
    let ord = with(
        base("ordering"),
        &json!({"items": ["a", "b", "c"], "answer": [1, 0]}),
    );
    assert_eq!(errors(&ord), pairs(&[("answer", "not_allowed")]));
    let single = with(base("single_choice"), &json!({"items": ["a", "b"]}));
    assert_eq!(
        errors(&single),
        pairs(&[
            ("items", "not_allowed"),
            ("answer", "required"),
            ("options", "required")
        ])
    );
    let unknown = with(base("true_false"), &json!({"answer": true, "hint": "no"}));
    assert!(serde_json::from_value::<QuestionSpec>(unknown).is_err());
}

#[test]
fn answers_of_the_wrong_shape_are_field_errors() {
    let single = |answer: Value| {
        with(
            base("single_choice"),
            &json!({"options": ["a", "b"], "answer": answer}),
        )
    };
    assert_eq!(errors(&single(json!("1"))), pairs(&[("answer", "type")]));
    assert_eq!(errors(&single(json!(1.5))), pairs(&[("answer", "type")]));
    assert_eq!(errors(&single(json!(-1))), pairs(&[("answer", "type")]));
    assert_eq!(errors(&single(json!(2))), pairs(&[("answer", "range")]));
    let multi = |answer: Value| {
        with(
            base("multiple_select"),
            &json!({"options": ["a", "b", "c"], "answer": answer}),
        )
    };
    assert_eq!(errors(&multi(json!(1))), pairs(&[("answer", "type")]));
    assert_eq!(errors(&multi(json!([]))), pairs(&[("answer", "required")]));
    assert_eq!(
        errors(&multi(json!([0, 0]))),
        pairs(&[("answer[1]", "duplicate")])
    );
    assert_eq!(
        errors(&multi(json!([0, 3, "b"]))),
        pairs(&[("answer[1]", "range"), ("answer[2]", "type")])
    );
    let tf = with(base("true_false"), &json!({"answer": "yes"}));
    assert_eq!(errors(&tf), pairs(&[("answer", "type")]));
    let num = with(base("numeric"), &json!({"answer": "12", "tolerance": -0.5}));
    assert_eq!(
        errors(&num),
        pairs(&[("tolerance", "range"), ("answer", "type")])
    );
    let few = with(base("ordering"), &json!({"items": ["only"]}));
    assert_eq!(errors(&few), pairs(&[("items", "count")]));
    // Two items would be shown reversed, which is the answer.
    let two = with(base("ordering"), &json!({"items": ["first", "second"]}));
    assert_eq!(errors(&two), pairs(&[("items", "count")]));
    let many: Vec<String> = (0..11).map(|i| format!("o{i}")).collect();
    let many = with(
        base("single_choice"),
        &json!({"options": many, "answer": 0}),
    );
    assert_eq!(errors(&many), pairs(&[("options", "count")]));
}

#[test]
fn whole_numbers_are_written_without_a_fraction() {
    assert_eq!(number(1000.0).to_string(), "1000");
    assert_eq!(number(-3.0).to_string(), "-3");
    assert_eq!(number(0.1).to_string(), "0.1");
    assert_eq!(number(1e300).as_f64(), Some(1e300));
}
