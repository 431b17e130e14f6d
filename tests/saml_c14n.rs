//! Byte-for-byte comparison of our canonicalizer with lxml/libxml2 on the corpus in
//! `tests/fixtures/saml/c14n/` (expected outputs produced by `make_expected.py`).
#![expect(clippy::unwrap_used, clippy::expect_used)]

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

#[derive(serde::Deserialize)]
struct RandomCase {
    xml: String,
    apex: Vec<usize>,
    exclude: Option<Vec<usize>>,
    exclusive: bool,
    with_comments: bool,
    inclusive_prefixes: Vec<String>,
    expected: String,
}

fn at<'a>(
    root: &'a provisiond::saml::xml::Element,
    path: &[usize],
) -> &'a provisiond::saml::xml::Element {
    path.iter().fold(root, |el, &i| {
        el.child_elements().nth(i).expect("path exists")
    })
}

/// 400 random namespace-heavy documents (make_random.py, fixed seed): parsing and
/// canonicalization together must reproduce lxml byte for byte.
#[test]
fn random_corpus_matches_lxml() {
    let cases: Vec<RandomCase> =
        serde_json::from_str(&std::fs::read_to_string(dir().join("random_cases.json")).unwrap())
            .unwrap();
    assert_eq!(cases.len(), 400);
    let mut failures = Vec::new();
    for (n, case) in cases.iter().enumerate() {
        let doc = parse(&case.xml, &Limits::default()).unwrap();
        let apex = at(doc.root(), &case.apex);
        let exclude = case.exclude.as_ref().map(|p| at(doc.root(), p));
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
        if got != case.expected.as_bytes() {
            failures.push(format!(
                "case {n}\n  xml:      {:?}\n  expected: {:?}\n  got:      {:?}",
                case.xml,
                case.expected,
                String::from_utf8_lossy(&got)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[derive(serde::Deserialize)]
struct SignedCase {
    method: String,
    prefix_list: bool,
    xml: String,
}

/// 200 random documents signed by xmlsec1 over a random element with every Reference
/// C14N variant (make_xmlsec_random.py): our digest must agree with xmlsec1's, which
/// covers subset semantics (inherited namespaces and xml:* attributes, `#default`).
#[test]
fn random_xmlsec1_signatures_verify() {
    use provisiond::saml::dsig::{verify_element, VerifyOptions};
    let cert =
        openssl::x509::X509::from_pem(&std::fs::read(dir().join("../keys/idp-rsa.crt")).unwrap())
            .unwrap();
    let cases: Vec<SignedCase> = serde_json::from_str(
        &std::fs::read_to_string(dir().join("xmlsec_random_cases.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(cases.len(), 200);
    for m in ["inc", "inc-comments", "exc", "exc-comments"] {
        assert!(cases.iter().any(|c| c.method == m), "no {m} case");
    }
    assert!(cases
        .iter()
        .any(|c| c.prefix_list && c.xml.contains("#default")));
    let mut failures = Vec::new();
    for (n, case) in cases.iter().enumerate() {
        let doc = parse(&case.xml, &Limits::default()).unwrap();
        let apex = doc.find_by_id("apex").unwrap().expect("apex");
        let r = verify_element(
            &doc,
            apex,
            std::slice::from_ref(&cert),
            &VerifyOptions::default(),
        );
        if let Err(e) = r {
            failures.push(format!("case {n} ({}): {e}\n  {:?}", case.method, case.xml));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
