//! Byte-for-byte comparison of our canonicalizer with lxml/libxml2 on the corpus in
//! `tests/fixtures/saml/c14n/` (expected outputs produced by `make_expected.py`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use provisiond::saml::c14n::{canonicalize, Method};
use provisiond::saml::xml::{parse, Limits};
use std::path::PathBuf;

#[derive(serde::Deserialize)]
struct Case {
    name: String,
    input: String,
    apex_id: Option<String>,
    exclusive: bool,
    with_comments: bool,
    inclusive_prefixes: Vec<String>,
    exclude_id: Option<String>,
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/saml/c14n")
}

#[test]
fn corpus_matches_lxml() {
    let cases: Vec<Case> =
        serde_json::from_str(&std::fs::read_to_string(dir().join("cases.json")).unwrap()).unwrap();
    assert!(cases.len() >= 100, "corpus unexpectedly small");
    let mut failures = Vec::new();
    for case in &cases {
        let input = std::fs::read_to_string(dir().join(&case.input)).unwrap();
        let expected =
            std::fs::read(dir().join("expected").join(format!("{}.c14n", case.name))).unwrap();
        let doc = parse(&input, &Limits::default()).unwrap();
        let apex = match &case.apex_id {
            None => doc.root(),
            Some(id) => doc.find_by_id(id).unwrap().expect("apex id present"),
        };
        let exclude = case
            .exclude_id
            .as_ref()
            .map(|id| doc.find_by_id(id).unwrap().expect("exclude id present"));
        let method = if case.exclusive {
            Method::Exclusive {
                with_comments: case.with_comments,
                inclusive_prefixes: case.inclusive_prefixes.clone(),
            }
        } else {
            Method::Inclusive {
                with_comments: case.with_comments,
            }
        };
        let got = canonicalize(&doc, apex, &method, exclude).unwrap();
        if got != expected {
            failures.push(format!(
                "{}\n  expected: {}\n  got:      {}",
                case.name,
                String::from_utf8_lossy(&expected),
                String::from_utf8_lossy(&got)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn element_from_another_document_is_refused() {
    let a = parse("<a/>", &Limits::default()).unwrap();
    let b = parse("<a/>", &Limits::default()).unwrap();
    let m = Method::Inclusive {
        with_comments: false,
    };
    assert!(canonicalize(&a, b.root(), &m, None).is_err());
    assert_eq!(canonicalize(&a, a.root(), &m, None).unwrap(), b"<a></a>");
}
