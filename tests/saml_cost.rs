//! Bounded work before trust (issue #12): each class of expensive anonymous input is
//! refused or processed with work linear in its size, measured on operation counts
//! (`saml::work`), never on timings. Inputs: `benches/adversarial/inputs.rs`, shared
//! with the cost bench (`cargo bench --bench saml_adversarial`).
#![expect(clippy::unwrap_used)]

#[path = "../benches/adversarial/inputs.rs"]
mod inputs;

use inputs::*;
use provisiond::saml::c14n::{canonicalize, Method};
use provisiond::saml::dsig::DsigError;
use provisiond::saml::encryption::{DataEncryption, DecryptError};
use provisiond::saml::response::{
    validate_parsed, validate_response, ParsedResponse, ResponseError,
};
use provisiond::saml::work::{measure, Work};
use provisiond::saml::xml::{parse, Limits, XmlError};

const SIZE: usize = 160 * 1024;

fn run(xml: &str) -> (Result<(), ResponseError>, Work) {
    let (r, w) = measure(|| validate_response(xml, &config(), now(), None));
    (r.map(|_| ()), w)
}

fn assertion_sig(e: DsigError) -> Result<(), ResponseError> {
    Err(ResponseError::AssertionSignature(e))
}

#[test]
fn the_builders_make_valid_responses_of_the_requested_size() {
    for xml in [valid(SIZE), valid_both_signed(SIZE)] {
        assert!(xml.len() > SIZE * 9 / 10 && xml.len() < SIZE * 11 / 10);
        let (r, w) = run(&xml);
        assert_eq!(r, Ok(()));
        assert_eq!(w.parses, 1);
    }
}

/// A wrapper declaring 60 prefixes and thousands of leaves. With a scope copied per
/// element (or every inherited prefix re-examined per element), canonicalization looks at
/// 60 bindings per leaf; with the undo log, at each leaf's own few.
#[test]
fn c14n_work_is_linear_in_namespace_declarations() {
    let decls: String = (0..60)
        .map(|i| format!(" xmlns:p{i}=\"urn:{i}\""))
        .collect();
    let leaves = "<l/>".repeat(10_000);
    let xml = format!("<r{decls}><w>{leaves}</w></r>");
    let doc = parse(&xml, &Limits::default()).unwrap();
    let w = doc.root().child_elements().next().unwrap();
    let elements = 10_002u64;
    let prefixes: Vec<String> = (0..30).map(|i| format!("p{i}")).collect();
    for method in [
        Method::Inclusive {
            with_comments: false,
        },
        Method::Exclusive {
            with_comments: false,
            inclusive_prefixes: prefixes.clone(),
        },
    ] {
        for apex in [doc.root(), w] {
            let (out, work) = measure(|| canonicalize(&doc, apex, &method, None).unwrap());
            assert!(
                work.ns_checks <= 2 * elements + 200,
                "{method:?}: {} namespace checks for {elements} elements",
                work.ns_checks
            );
            assert_eq!(work.canonical_bytes, out.len() as u64);
        }
    }
    // The apex renders what is in scope, and only the apex does.
    let out = canonicalize(
        &doc,
        w,
        &Method::Inclusive {
            with_comments: false,
        },
        None,
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap().matches("xmlns:").count(),
        60
    );
}

#[test]
fn namespace_declarations_are_capped_in_scope_and_per_document() {
    let limits = Limits::default();
    // `n` prefixes declared 8 to an element, nested (depth stays far below its limit).
    let nest = |n: usize| {
        let levels = n.div_ceil(8);
        let open: String = (0..levels)
            .map(|l| {
                let decls: String = (l * 8..n.min(l * 8 + 8))
                    .map(|i| format!(" xmlns:p{i}=\"urn:{i}\""))
                    .collect();
                format!("<e{decls}>")
            })
            .collect();
        format!("{open}{}", "</e>".repeat(levels))
    };
    assert!(parse(&nest(limits.max_namespaces_in_scope), &limits).is_ok());
    assert_eq!(
        parse(&nest(limits.max_namespaces_in_scope + 1), &limits).unwrap_err(),
        XmlError::TooManyNamespaces {
            limit: limits.max_namespaces_in_scope
        }
    );
    // Siblings re-declaring the same prefixes are in scope one at a time, but count
    // against the per-document cap.
    let sibling = format!(
        "<e{}/>",
        (0..32)
            .map(|i| format!(" xmlns:p{i}=\"urn:{i}\""))
            .collect::<String>()
    );
    let per_doc = limits.max_namespace_decls / 32;
    assert!(parse(&format!("<r>{}</r>", sibling.repeat(per_doc)), &limits).is_ok());
    assert_eq!(
        parse(&format!("<r>{}</r>", sibling.repeat(per_doc + 1)), &limits).unwrap_err(),
        XmlError::TooManyNamespaces {
            limit: limits.max_namespace_decls
        }
    );
    // The pre-fix attack (a chain of 200 declarations) stops in the parser.
    let (r, w) = run(&ns_over_cap(SIZE));
    assert!(matches!(
        r,
        Err(ResponseError::Xml(XmlError::TooManyNamespaces { .. }))
    ));
    assert_eq!((w.canonical_bytes, w.signature_verifications), (0, 0));
}

/// Shape problems are found before any canonicalization, digest or public-key work.
#[test]
fn signature_shape_is_checked_before_any_cryptography() {
    let cases: [(&str, String, DsigError); 5] = [
        (
            "two references",
            two_references(SIZE),
            DsigError::ReferenceCount,
        ),
        (
            "signature length",
            wrong_signature_length(SIZE),
            DsigError::SignatureLength,
        ),
        (
            "transforms",
            many_transforms(SIZE),
            DsigError::UnsupportedTransform,
        ),
        (
            "prefix list",
            long_prefix_list(SIZE),
            DsigError::Malformed("too many InclusiveNamespaces prefixes"),
        ),
        (
            "huge SignatureValue",
            huge_signature_value(SIZE),
            DsigError::Malformed("base64 value too long"),
        ),
    ];
    for (what, xml, err) in cases {
        let (r, w) = run(&xml);
        assert_eq!(r, assertion_sig(err), "{what}");
        assert_eq!(
            (
                w.canonical_bytes,
                w.digested_bytes,
                w.signature_verifications
            ),
            (0, 0, 0),
            "{what}: {w:?}"
        );
    }
}

/// A signature no pinned key made costs one verification over SignedInfo; the content
/// is never canonicalized or digested.
#[test]
fn content_is_digested_only_after_the_signature_over_signed_info_verified() {
    let (r, w) = run(&forged_signature(SIZE));
    assert_eq!(r, assertion_sig(DsigError::SignatureInvalid));
    assert_eq!(w.signature_verifications, 1);
    assert_eq!(w.digested_bytes, 0);
    assert!(w.canonical_bytes < 2_000, "{w:?}");
    // A genuine signature replayed over other content: one verification, then one
    // linear pass of c14n + digest over the content.
    let xml = replayed_signature(SIZE);
    let (r, w) = run(&xml);
    assert_eq!(r, assertion_sig(DsigError::DigestMismatch));
    assert_eq!(w.signature_verifications, 1);
    assert!(w.digested_bytes <= xml.len() as u64, "{w:?}");
}

/// Exclusive C14N re-renders a used prefix's declaration on every element whose parent
/// did not use it: long URIs used by many siblings would be written again and again.
#[test]
fn canonical_output_is_bounded_by_the_input_size() {
    let xml = ns_flood_long_uris(SIZE);
    let (r, w) = run(&xml);
    assert_eq!(r, assertion_sig(DsigError::CanonicalFormTooLarge));
    let budget = provisiond::saml::c14n::budget_for(xml.len()) as u64;
    assert!(w.canonical_bytes <= budget + xml.len() as u64, "{w:?}");
    assert_eq!(w.digested_bytes, 0);
}

#[test]
fn encrypted_keys_are_capped_and_length_checked_before_rsa() {
    let (r, w) = run(&many_encrypted_keys(SIZE));
    assert_eq!(
        r,
        Err(ResponseError::Decrypt(DecryptError::TooManyEncryptedKeys))
    );
    assert_eq!(w.rsa_decryptions, 0);
    // At the cap, each EncryptedKey of the modulus' length is one RSA operation.
    let (r, w) = run(&max_encrypted_keys(SIZE));
    assert_eq!(
        r,
        Err(ResponseError::Decrypt(DecryptError::KeyDecryptionFailed))
    );
    assert_eq!(
        w.rsa_decryptions,
        provisiond::saml::encryption::MAX_ENCRYPTED_KEYS as u64
    );
    // Wrapped keys one byte short of the modulus cost nothing.
    let short =
        max_encrypted_keys(SIZE).replace(&base64_of(&[0x42u8; 256]), &base64_of(&[0x42u8; 255]));
    let (r, w) = run(&short);
    assert_eq!(
        r,
        Err(ResponseError::Decrypt(DecryptError::KeyDecryptionFailed))
    );
    assert_eq!(w.rsa_decryptions, 0);
}

fn base64_of(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

#[test]
fn nothing_is_unwrapped_before_the_response_signature_verified() {
    let (r, w) = run(&encrypted_under_forged_response(SIZE));
    assert_eq!(
        r,
        Err(ResponseError::ResponseSignature(
            DsigError::SignatureInvalid
        ))
    );
    assert_eq!((w.rsa_decryptions, w.decrypted_bytes), (0, 0));
}

/// The backwards compatibility attack: a key wrapped for AES-GCM presented with an
/// AES-CBC EncryptedData (or the reverse) is refused before the key is unwrapped.
#[test]
fn one_data_encryption_family_per_key() {
    let fixture = |name: &str| {
        std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/saml/encrypted")
                .join(name),
        )
        .unwrap()
    };
    let mut cfg = provisiond::saml::response::ResponseConfig::new(
        "http://www.okta.com/exk1a2b3c4d5E6f7g8h9",
        "https://sp.example.com/sso/saml/metadata/conn_1",
        "https://sp.example.com/sso/saml/acs/conn_1",
        vec![idp_cert()],
    );
    cfg.sp_decryption_keys = vec![sp_key()];
    let at = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 1, 1, 12, 1, 0).unwrap();
    let gcm = fixture("oaep-mgf1p-aes256-gcm.xml");
    let cbc = fixture("oaep-mgf1p-aes256-cbc.xml");
    let gcm_key_as_cbc = gcm.replace(
        "http://www.w3.org/2009/xmlenc11#aes256-gcm",
        "http://www.w3.org/2001/04/xmlenc#aes256-cbc",
    );
    assert_ne!(gcm_key_as_cbc, gcm);
    let refused = Err(ResponseError::Decrypt(
        DecryptError::DataEncryptionNotAllowed,
    ));
    for (family, xml, ok) in [
        (DataEncryption::AesGcm, &gcm, true),
        (DataEncryption::AesGcm, &cbc, false),
        (DataEncryption::AesGcm, &gcm_key_as_cbc, false),
        (DataEncryption::AesCbc, &cbc, true),
        (DataEncryption::AesCbc, &gcm, false),
    ] {
        cfg.data_encryption = family;
        let (r, w) = measure(|| validate_response(xml, &cfg, at, Some("_req_9f6c1b2a")));
        if ok {
            assert_eq!(r.as_ref().map(|a| a.name_id()), Ok("alice@example.com"));
        } else {
            assert_eq!(r.map(|_| ()), refused, "{family:?}");
            assert_eq!(w.rsa_decryptions, 0);
        }
    }
}

/// The ACS parses once: `validate_parsed` works on the tree the InResponseTo came from.
#[test]
fn a_parsed_response_is_not_parsed_again() {
    let xml = valid(SIZE);
    let (parsed, w) = measure(|| ParsedResponse::parse(&xml, &Limits::default()).unwrap());
    assert_eq!(w.parses, 1);
    assert_eq!(parsed.claimed_in_response_to(), None);
    let (r, w) = measure(|| validate_parsed(&parsed, &config(), now(), None));
    assert!(r.is_ok());
    assert_eq!(w.parses, 0);
}

/// Every class, at two sizes: work grows at most linearly with the input, and stays
/// within a small multiple of what a valid Response of the same size costs.
#[test]
fn every_class_does_linear_work() {
    for size in [64 * 1024, 256 * 1024] {
        let (_, base) = run(&valid_both_signed(size));
        for (name, _, build) in CLASSES {
            let xml = build(size);
            assert!(xml.len() <= Limits::default().max_bytes, "{name}");
            let (_, w) = run(&xml);
            let n = xml.len() as u64;
            assert!(w.parses <= 1, "{name}: {w:?}");
            // Two signatures at most, each within `c14n::budget_for` the document.
            let budget = 2 * provisiond::saml::c14n::budget_for(xml.len()) as u64;
            assert!(w.canonical_bytes <= budget, "{name}: {w:?}");
            assert!(w.digested_bytes <= budget, "{name}: {w:?}");
            assert!(w.ns_checks <= n / 4 + 1_000, "{name}: {w:?}");
            assert!(
                w.signature_verifications <= base.signature_verifications,
                "{name}: {w:?}"
            );
            assert!(
                w.rsa_decryptions <= provisiond::saml::encryption::MAX_ENCRYPTED_KEYS as u64,
                "{name}: {w:?}"
            );
            assert!(w.decrypted_bytes <= n, "{name}: {w:?}");
        }
    }
}

/// A small deterministic generator (xorshift) of namespace-heavy documents: the property
/// test that runs in `cargo test` next to the cargo-fuzz `c14n` target in CI.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn random_element(rng: &mut Rng, depth: usize, out: &mut String, elements: &mut u64) {
    *elements += 1;
    let prefix = match rng.below(4) {
        0 => String::new(),
        _ => format!("p{}:", rng.below(6)),
    };
    out.push('<');
    out.push_str(&prefix);
    out.push('e');
    for _ in 0..rng.below(4) {
        match rng.below(3) {
            0 => out.push_str(&format!(" xmlns=\"urn:d{}\"", rng.below(3))),
            _ => {
                let p = rng.below(6);
                out.push_str(&format!(" xmlns:p{p}=\"urn:{}\"", rng.below(3)));
            }
        }
    }
    out.push('>');
    if depth < 12 {
        for _ in 0..rng.below(5) {
            random_element(rng, depth + 1, out, elements);
        }
    }
    out.push_str("</");
    out.push_str(&prefix);
    out.push_str("e>");
}

/// Random documents (fixed seeds) with every prefix declared at the root and re-declared
/// at random below: whatever the shape, c14n looks at a bounded number of bindings per
/// element and its output stays within the budget (and it never panics).
#[test]
fn random_namespace_documents_canonicalize_in_linear_work() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    // 40 prefixes in scope everywhere, 6 of them used and re-declared at random.
    let root_decls: String = (0..40)
        .map(|p| format!(" xmlns:p{p}=\"urn:root{p}\""))
        .collect();
    for _ in 0..300 {
        let mut body = String::new();
        let mut elements = 1;
        for _ in 0..rng.below(6) + 1 {
            random_element(&mut rng, 1, &mut body, &mut elements);
        }
        let xml = format!("<r{root_decls}>{body}</r>");
        let Ok(doc) = parse(&xml, &Limits::default()) else {
            continue;
        };
        for method in [
            Method::Inclusive {
                with_comments: false,
            },
            Method::Exclusive {
                with_comments: false,
                inclusive_prefixes: vec!["#default".into(), "p1".into(), "p4".into()],
            },
        ] {
            for apex in std::iter::once(doc.root()).chain(doc.root().child_elements()) {
                let (out, w) = measure(|| canonicalize(&doc, apex, &method, None).unwrap());
                // Per element: its own declarations (≤ 3, counted when applied and when
                // examined) and its prefix; plus the apex's whole scope once. Examining
                // every inherited prefix per element would be 40 per element. The apex
                // and its ancestors: 40 declarations applied, 40 bindings examined.
                assert!(
                    w.ns_checks <= 7 * elements + 100,
                    "{} checks for {elements} elements",
                    w.ns_checks
                );
                assert!(out.len() <= provisiond::saml::c14n::budget_for(xml.len()));
            }
        }
    }
}
