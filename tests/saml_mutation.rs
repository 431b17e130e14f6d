//! Deterministic mutation testing of the whole validation path: thousands of random
//! edits (deletions, byte changes, spliced copies — the raw material of wrapping
//! attacks) to signed Responses. None may panic, and whenever one is accepted the
//! identity data must be exactly the signed original's.
#![expect(clippy::unwrap_used)]

use chrono::{TimeZone, Utc};
use openssl::x509::X509;
use provisiond::saml::response::{validate_response, ResponseConfig, ValidatedAssertion};
use std::path::PathBuf;

fn fixture(path: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/saml")
        .join(path);
    std::fs::read_to_string(p).unwrap()
}

/// xorshift64*: reproducible without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n.max(1)).unwrap()).unwrap()
    }
}

fn mutate(xml: &str, rng: &mut Rng) -> Option<String> {
    let mut b = xml.as_bytes().to_vec();
    let pos = rng.below(b.len());
    match rng.below(4) {
        0 => {
            let len = 1 + rng.below(40);
            b.drain(pos..(pos + len).min(b.len()));
        }
        1 => {
            const BYTES: &[u8] = b"<>/\"'=&;:#xa 0\n!-";
            b[pos] = BYTES[rng.below(BYTES.len())];
        }
        2 => {
            // Splice a copy of another region (possibly a whole element) somewhere.
            let start = rng.below(b.len());
            let len = 1 + rng.below(3000);
            let chunk: Vec<u8> = b[start..(start + len).min(b.len())].to_vec();
            b.splice(pos..pos, chunk);
        }
        _ => {
            // Move a region: cut and re-insert elsewhere.
            let len = 1 + rng.below(2000);
            let end = (pos + len).min(b.len());
            let chunk: Vec<u8> = b.drain(pos..end).collect();
            let to = rng.below(b.len());
            b.splice(to..to, chunk);
        }
    }
    String::from_utf8(b).ok()
}

fn same_identity(a: &ValidatedAssertion, b: &ValidatedAssertion) -> bool {
    a.assertion_id() == b.assertion_id()
        && a.issuer() == b.issuer()
        && a.name_id() == b.name_id()
        && a.name_id_format() == b.name_id_format()
        && a.attributes() == b.attributes()
        && a.in_response_to() == b.in_response_to()
        && a.session_index() == b.session_index()
}

#[test]
fn random_mutations_never_change_accepted_identity() {
    let cert = X509::from_pem(fixture("keys/idp-rsa.crt").as_bytes()).unwrap();
    let cfg = ResponseConfig::new(
        "http://www.okta.com/exk1a2b3c4d5E6f7g8h9",
        "https://sp.example.com/sso/saml/metadata/conn_1",
        "https://sp.example.com/sso/saml/acs/conn_1",
        vec![cert],
    );
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 12, 1, 0).unwrap();
    let mut rng = Rng(0x5EED_0F5A_4100);
    let mut accepted = 0;
    let mut total = 0;
    for name in ["okta-rsa-assertion", "okta-rsa-response", "okta-rsa-both"] {
        let xml = fixture(&format!("responses/{name}.xml"));
        let original = validate_response(&xml, &cfg, now, Some("_req_9f6c1b2a")).unwrap();
        for _ in 0..3000 {
            let mut m = xml.clone();
            for _ in 0..=rng.below(2) {
                if let Some(next) = mutate(&m, &mut rng) {
                    m = next;
                }
            }
            total += 1;
            if let Ok(v) = validate_response(&m, &cfg, now, Some("_req_9f6c1b2a")) {
                accepted += 1;
                assert!(
                    same_identity(&v, &original),
                    "{name}: mutation changed accepted identity"
                );
            }
        }
    }
    // Sanity: most mutations are refused, a few harmless ones (unsigned envelope,
    // whitespace, KeyInfo) are accepted.
    assert!(accepted < total / 2, "{accepted}/{total} accepted");
    assert!(
        accepted > 0,
        "no harmless mutation accepted: the harness is not exercising success"
    );
}

/// Parser and canonicalizer on mutated c14n corpus inputs and tag soup: errors are
/// fine, panics are not, and whatever parses canonicalizes under every method.
#[test]
fn parser_and_c14n_never_panic_on_garbage() {
    use provisiond::saml::c14n::{canonicalize, Method};
    use provisiond::saml::xml::{parse, Limits};
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/saml/c14n");
    let mut seeds: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    seeds.sort();
    seeds.push(
        "<a xmlns:p='u'><p:b p:c='&amp;&#x10FFFF;'>]]&gt;<![CDATA[x]]></p:b><?p?><!--c--></a>"
            .into(),
    );
    let methods = [
        Method::Inclusive {
            with_comments: false,
        },
        Method::Inclusive {
            with_comments: true,
        },
        Method::Exclusive {
            with_comments: false,
            inclusive_prefixes: vec!["#default".into(), "p".into()],
        },
    ];
    let mut rng = Rng(0xC14E_F022);
    let mut parsed = 0;
    for seed in &seeds {
        for _ in 0..400 {
            let mut m = seed.clone();
            for _ in 0..=rng.below(3) {
                if let Some(next) = mutate(&m, &mut rng) {
                    m = next;
                }
            }
            if let Ok(doc) = parse(&m, &Limits::default()) {
                parsed += 1;
                for el in doc.root().descendants_and_self() {
                    for method in &methods {
                        canonicalize(&doc, el, method, None).unwrap();
                    }
                }
            }
        }
    }
    assert!(parsed > 100, "only {parsed} mutants parsed");
}
