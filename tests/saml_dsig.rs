//! XML-DSig verification against xmlsec1-signed fixtures, and the attacks it must stop:
//! tampering, foreign keys, XML signature wrapping (XSW1–XSW8), extra/moved signatures,
//! duplicate IDs, DTDs, SHA-1, oversized input and comment injection.
#![expect(clippy::unwrap_used, clippy::expect_used)]

use openssl::x509::X509;
use provisiond::saml::dsig::{verify_element, DsigError, VerifiedElement, VerifyOptions};
use provisiond::saml::xml::{parse, Document, Element, Limits, XmlError};
use std::path::PathBuf;

const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const OKTA_AID: &str = "id73018472903128911284613970";

fn fixture(path: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/saml")
        .join(path);
    std::fs::read_to_string(p).unwrap()
}

fn cert(name: &str) -> X509 {
    X509::from_pem(fixture(&format!("keys/{name}.crt")).as_bytes()).unwrap()
}

fn rsa() -> Vec<X509> {
    vec![cert("idp-rsa")]
}

fn doc(xml: &str) -> Document {
    parse(xml, &Limits::default()).unwrap()
}

fn assertion(d: &Document) -> &Element {
    d.root()
        .only_child(SAML, "Assertion")
        .expect("exactly one Assertion")
}

const STRICT: VerifyOptions = VerifyOptions { allow_sha1: false };

fn verify_assertion(xml: &str, certs: &[X509]) -> Result<VerifiedElement, DsigError> {
    let d = doc(xml);
    verify_element(&d, assertion(&d), certs, &STRICT)
}

fn verify_response(xml: &str, certs: &[X509]) -> Result<VerifiedElement, DsigError> {
    let d = doc(xml);
    verify_element(&d, d.root(), certs, &STRICT)
}

fn name_id(assertion: &Element) -> String {
    let subject = assertion.only_child(SAML, "Subject").unwrap();
    subject.only_child(SAML, "NameID").unwrap().text()
}

/// The byte range of the first element that starts with `open` and ends with `close`.
fn span(xml: &str, open: &str, close: &str) -> std::ops::Range<usize> {
    let start = xml.find(open).expect("open tag");
    let end = start + xml[start..].find(close).expect("close tag") + close.len();
    start..end
}

fn okta_assertion_span(xml: &str) -> std::ops::Range<usize> {
    span(xml, "<saml2:Assertion ", "</saml2:Assertion>")
}

fn signature_span(xml: &str) -> std::ops::Range<usize> {
    span(xml, "<ds:Signature ", "</ds:Signature>")
}

#[test]
fn valid_fixtures_verify() {
    let ec = vec![cert("idp-ec")];
    for style in ["okta", "entra"] {
        for (alg, certs) in [("rsa", rsa()), ("ec", ec.clone())] {
            let a = fixture(&format!("responses/{style}-{alg}-assertion.xml"));
            let v = verify_assertion(&a, &certs).unwrap_or_else(|e| panic!("{style}-{alg}: {e}"));
            assert!(v.element().is(SAML, "Assertion"));
            assert!(!name_id(v.element()).is_empty());

            let r = fixture(&format!("responses/{style}-{alg}-response.xml"));
            let v = verify_response(&r, &certs).unwrap();
            assert!(v.element().is(SAMLP, "Response"));
            assert!(v.element().only_child(SAML, "Assertion").is_ok());

            let both = fixture(&format!("responses/{style}-{alg}-both.xml"));
            verify_response(&both, &certs).unwrap();
            verify_assertion(&both, &certs).unwrap();
        }
    }
}

#[test]
fn verified_element_is_the_signed_subtree_without_signature() {
    let xml = fixture("responses/okta-rsa-assertion.xml");
    let v = verify_assertion(&xml, &rsa()).unwrap();
    assert_eq!(v.id(), OKTA_AID);
    assert_eq!(name_id(v.element()), "alice@example.com");
    assert!(provisiond::saml::dsig::signatures(v.element())
        .next()
        .is_none());
}

#[test]
fn certificate_rollover_tries_each_certificate() {
    let xml = fixture("responses/entra-rsa-assertion.xml");
    let certs = vec![cert("idp-ec"), cert("attacker-rsa"), cert("idp-rsa")];
    assert_eq!(verify_assertion(&xml, &certs).unwrap().cert_index(), 2);
    assert_eq!(
        verify_assertion(&xml, &[]),
        Err(DsigError::NoTrustedCertificates)
    );
}

#[test]
fn unsigned_is_rejected() {
    let xml = fixture("responses/okta-unsigned.xml");
    assert_eq!(
        verify_assertion(&xml, &rsa()),
        Err(DsigError::MissingSignature)
    );
    assert_eq!(
        verify_response(&xml, &rsa()),
        Err(DsigError::MissingSignature)
    );
    // Assertion-only signature: the Response itself is unsigned.
    let xml = fixture("responses/okta-rsa-assertion.xml");
    assert_eq!(
        verify_response(&xml, &rsa()),
        Err(DsigError::MissingSignature)
    );
}

#[test]
fn other_key_is_rejected_and_keyinfo_is_ignored() {
    // Signed by the attacker, whose certificate sits in KeyInfo.
    let xml = fixture("responses/okta-attacker-assertion.xml");
    assert_eq!(
        verify_assertion(&xml, &rsa()),
        Err(DsigError::SignatureInvalid)
    );
    // An EC key never validates an RSA signature method: refused before any
    // cryptography, since no pinned key of that family exists.
    let xml = fixture("responses/okta-rsa-assertion.xml");
    assert_eq!(
        verify_assertion(&xml, &[cert("idp-ec")]),
        Err(DsigError::SignatureLength)
    );
}

#[test]
fn changed_name_id_is_rejected() {
    let xml = fixture("responses/okta-rsa-assertion.xml").replace(
        ">alice@example.com</saml2:NameID>",
        ">mallory@example.com</saml2:NameID>",
    );
    assert_eq!(
        verify_assertion(&xml, &rsa()),
        Err(DsigError::DigestMismatch)
    );
    let original = fixture("responses/entra-ec-response.xml");
    let xml = original.replace(">bob.mueller@contoso.com<", ">eve@contoso.com<");
    assert_ne!(xml, original);
    assert_eq!(
        verify_response(&xml, &[cert("idp-ec")]),
        Err(DsigError::DigestMismatch)
    );
}

/// Changing any letter or digit of the signed content (or of SignedInfo) must fail.
#[test]
fn any_changed_byte_of_signed_content_is_rejected() {
    let xml = fixture("responses/okta-rsa-assertion.xml");
    let a = okta_assertion_span(&xml);
    let sig = signature_span(&xml);
    let sig_value = span(&xml, "<ds:SignatureValue>", "</ds:SignatureValue>");
    // Namespace declarations are not content under Exc-C14N: renaming the redundant
    // `xmlns:xs` (also declared on the Response) legitimately changes nothing signed.
    let ns_decls: Vec<std::ops::Range<usize>> = xml
        .match_indices(" xmlns")
        .map(|(s, _)| {
            let q = s + xml[s..].find("=\"").unwrap() + 2;
            s..q + xml[q..].find('"').unwrap()
        })
        .collect();
    let mut tried = 0;
    for i in a.clone().step_by(2) {
        let b = xml.as_bytes()[i];
        if ns_decls.iter().any(|r| r.contains(&i)) {
            continue;
        }
        // Skip SignatureValue (covered by signature tests) and the unsigned KeyInfo.
        let in_signed_info = sig.contains(&i) && i < sig_value.start;
        if !(b.is_ascii_alphanumeric() && (!sig.contains(&i) || in_signed_info)) {
            continue;
        }
        let replacement = if b == b'x' { "y" } else { "x" };
        let mut tampered = xml.clone();
        tampered.replace_range(i..i + 1, replacement);
        tried += 1;
        let result = parse(&tampered, &Limits::default())
            .map_err(|e| e.to_string())
            .and_then(|d| {
                let el = d
                    .root()
                    .only_child(SAML, "Assertion")
                    .map_err(|n| n.to_string())?;
                verify_element(&d, el, &rsa(), &STRICT)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            });
        assert!(result.is_err(), "byte {i} changed, still verified");
    }
    assert!(tried > 1200, "only {tried} positions tried");
}

#[test]
fn second_signature_is_rejected() {
    let xml = fixture("responses/okta-rsa-assertion.xml");
    let s = signature_span(&xml);
    let mut twice = xml.clone();
    twice.insert_str(s.end, &xml[s.clone()]);
    assert_eq!(
        verify_assertion(&twice, &rsa()),
        Err(DsigError::MultipleSignatures)
    );
}

#[test]
fn second_signed_info_is_rejected() {
    let xml = fixture("responses/okta-rsa-assertion.xml");
    let si = span(&xml, "<ds:SignedInfo>", "</ds:SignedInfo>");
    let sv = span(&xml, "<ds:SignatureValue>", "</ds:SignatureValue>");
    let mut t = xml.clone();
    t.insert_str(sv.end, &xml[si.clone()]);
    assert_eq!(
        verify_assertion(&t, &rsa()),
        Err(DsigError::SignedInfoCount)
    );
    let mut t = xml.clone();
    t.insert_str(si.start, &xml[si.clone()]);
    assert_eq!(
        verify_assertion(&t, &rsa()),
        Err(DsigError::SignedInfoCount)
    );
}

#[test]
fn second_reference_is_rejected() {
    let xml = fixture("responses/okta-rsa-assertion.xml");
    let r = span(&xml, "<ds:Reference ", "</ds:Reference>");
    let mut t = xml.clone();
    t.insert_str(r.end, &xml[r.clone()]);
    assert_eq!(verify_assertion(&t, &rsa()), Err(DsigError::ReferenceCount));
}

#[test]
fn unexpected_transform_is_rejected() {
    let xml = fixture("responses/okta-rsa-assertion.xml").replace(
        "<ds:Transforms>",
        "<ds:Transforms><ds:Transform Algorithm=\"http://www.w3.org/TR/1999/REC-xslt-19991116\"/>",
    );
    assert_eq!(
        verify_assertion(&xml, &rsa()),
        Err(DsigError::UnsupportedTransform)
    );
}

#[test]
fn moved_signature_is_rejected() {
    let xml = fixture("responses/okta-rsa-assertion.xml");
    let s = signature_span(&xml);
    let sig = xml[s.clone()].to_string();
    let mut without = xml.clone();
    without.replace_range(s, "");
    // Into the Subject: the Assertion no longer has a direct Signature child.
    let moved = without.replacen("<saml2:Subject>", &format!("<saml2:Subject>{sig}"), 1);
    assert_eq!(
        verify_assertion(&moved, &rsa()),
        Err(DsigError::MissingSignature)
    );
    // Up to the Response: it points at the Assertion, not the Response.
    let moved = without.replacen("<saml2p:Status", &format!("{sig}<saml2p:Status"), 1);
    assert_eq!(
        verify_response(&moved, &rsa()),
        Err(DsigError::ReferenceUriMismatch)
    );
    assert_eq!(
        verify_assertion(&moved, &rsa()),
        Err(DsigError::MissingSignature)
    );
}

#[test]
fn reference_to_another_element_is_rejected() {
    // The Response's signature moved into the Assertion still references the Response.
    let xml = fixture("responses/okta-rsa-response.xml");
    let s = signature_span(&xml);
    let sig = xml[s.clone()].to_string();
    let mut t = xml.clone();
    t.replace_range(s, "");
    let t = t.replacen("<saml2:Subject>", &format!("{sig}<saml2:Subject>"), 1);
    assert_eq!(
        verify_assertion(&t, &rsa()),
        Err(DsigError::ReferenceUriMismatch)
    );
}

#[test]
fn duplicate_ids_are_rejected() {
    let xml = fixture("responses/okta-rsa-assertion.xml").replacen(
        "<saml2p:Status",
        &format!("<saml2p:Extensions><x ID=\"{OKTA_AID}\"/></saml2p:Extensions><saml2p:Status"),
        1,
    );
    assert_eq!(verify_assertion(&xml, &rsa()), Err(DsigError::DuplicateId));
}

/// Builds an evil copy of the Okta assertion: NameID changed, signature removed, ID
/// optionally changed.
fn evil_assertion(xml: &str, keep_id: bool) -> String {
    let a = &xml[okta_assertion_span(xml)];
    let mut evil = a.replace(">alice@example.com<", ">mallory@example.com<");
    if let Some(s) = evil.find("<ds:Signature ") {
        let e = evil.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
        evil.replace_range(s..e, "");
    }
    if !keep_id {
        evil = evil.replace(OKTA_AID, "evil_id");
    }
    evil
}

/// XSW1/XSW2: a new unsigned Response wraps the signed original (inside or beside the
/// copied Signature).
#[test]
fn xsw1_and_xsw2_response_wrapping_are_rejected() {
    let xml = fixture("responses/okta-rsa-response.xml");
    let body = xml.trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let rid = "id73018472902838151944587013";
    let s = signature_span(body);
    let sig = &body[s.clone()];
    let evil_body = body.replace(">alice@example.com<", ">mallory@example.com<");
    let mut evil_body_nosig = evil_body.clone();
    evil_body_nosig.replace_range(signature_span(&evil_body), "");
    for keep_id in [false, true] {
        let evil_root = if keep_id {
            evil_body_nosig.clone()
        } else {
            evil_body_nosig
                .replace(rid, "evil_id")
                .replace(OKTA_AID, "evil_aid")
        };
        let status = evil_root.find("<saml2p:Status").unwrap();
        // XSW1: original Response inside the copied Signature.
        let sig_with_orig = sig.replace("</ds:Signature>", &format!("{body}</ds:Signature>"));
        let mut xsw1 = evil_root.clone();
        xsw1.insert_str(status, &sig_with_orig);
        // XSW2: original Response detached, before the copied Signature.
        let mut xsw2 = evil_root.clone();
        xsw2.insert_str(status, &format!("{body}{sig}"));
        let expected = if keep_id {
            DsigError::DuplicateId
        } else {
            DsigError::ReferenceUriMismatch
        };
        assert_eq!(
            verify_response(&xsw1, &rsa()),
            Err(expected.clone()),
            "XSW1 keep_id={keep_id}"
        );
        assert_eq!(
            verify_response(&xsw2, &rsa()),
            Err(expected),
            "XSW2 keep_id={keep_id}"
        );
    }
}

/// XSW3–XSW8: evil assertions placed around the signed one.
#[test]
fn xsw3_to_xsw8_assertion_wrapping_are_rejected() {
    let xml = fixture("responses/okta-rsa-assertion.xml");
    let a = okta_assertion_span(&xml);
    let original = xml[a.clone()].to_string();
    let sig = original[signature_span(&original)].to_string();
    let mut original_nosig = original.clone();
    original_nosig.replace_range(signature_span(&original), "");
    let issuer_end = |s: &str| s.find("</saml2:Issuer>").unwrap() + "</saml2:Issuer>".len();

    let splice = |replacement: &str| {
        let mut t = xml.clone();
        t.replace_range(a.clone(), replacement);
        t
    };

    // XSW3: evil assertion as a sibling before the original.
    let xsw3 = splice(&format!("{}{original}", evil_assertion(&xml, false)));
    let d = doc(&xsw3);
    let first = d.root().children_named(SAML, "Assertion").next().unwrap();
    assert_eq!(
        verify_element(&d, first, &rsa(), &STRICT),
        Err(DsigError::MissingSignature)
    );
    assert!(
        d.root().only_child(SAML, "Assertion").is_err(),
        "two assertions must be ambiguous"
    );
    let xsw3_same_id = splice(&format!("{}{original}", evil_assertion(&xml, true)));
    let d = doc(&xsw3_same_id);
    let second = d.root().children_named(SAML, "Assertion").nth(1).unwrap();
    assert_eq!(
        verify_element(&d, second, &rsa(), &STRICT),
        Err(DsigError::DuplicateId)
    );

    // XSW4: evil assertion wraps the original.
    let mut evil = evil_assertion(&xml, false);
    evil.insert_str(evil.len() - "</saml2:Assertion>".len(), &original);
    assert_eq!(
        verify_assertion(&splice(&evil), &rsa()),
        Err(DsigError::MissingSignature)
    );

    // XSW5: evil assertion carries the original signature; original appended after it.
    for keep_id in [false, true] {
        let mut evil = evil_assertion(&xml, keep_id);
        evil.insert_str(issuer_end(&evil), &sig);
        let t = splice(&evil).replace(
            "</saml2p:Response>",
            &format!("{original}</saml2p:Response>"),
        );
        let d = doc(&t);
        let first = d.root().children_named(SAML, "Assertion").next().unwrap();
        let expected = if keep_id {
            DsigError::DuplicateId
        } else {
            DsigError::ReferenceUriMismatch
        };
        assert_eq!(
            verify_element(&d, first, &rsa(), &STRICT),
            Err(expected),
            "XSW5 keep_id={keep_id}"
        );
    }

    // XSW6: evil assertion with the signature, original assertion inside that signature.
    // XSW8: same, original (without its signature) inside a ds:Object of the signature.
    for (name, inner) in [("XSW6", &original), ("XSW8", &original_nosig)] {
        for keep_id in [false, true] {
            let wrapped = if name == "XSW8" {
                format!("<ds:Object>{inner}</ds:Object>")
            } else {
                inner.to_string()
            };
            let evil_sig = sig.replace("</ds:Signature>", &format!("{wrapped}</ds:Signature>"));
            let mut evil = evil_assertion(&xml, keep_id);
            evil.insert_str(issuer_end(&evil), &evil_sig);
            let expected = if keep_id {
                DsigError::DuplicateId
            } else {
                DsigError::ReferenceUriMismatch
            };
            assert_eq!(
                verify_assertion(&splice(&evil), &rsa()),
                Err(expected),
                "{name} keep_id={keep_id}"
            );
        }
    }

    // XSW7: original hidden in an Extensions element, evil assertion in its place.
    let t = splice(&evil_assertion(&xml, false)).replacen(
        "<saml2p:Status",
        &format!("<saml2p:Extensions>{original}</saml2p:Extensions><saml2p:Status"),
        1,
    );
    assert_eq!(
        verify_assertion(&t, &rsa()),
        Err(DsigError::MissingSignature)
    );
}

#[test]
fn dtd_xxe_and_billion_laughs_are_refused() {
    let xml = fixture("responses/okta-rsa-assertion.xml");
    let body = xml.trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let xxe = format!("<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>{body}");
    let lol = format!(
        "<!DOCTYPE r [<!ENTITY a \"lol\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>{}",
        body.replace(">alice@example.com<", ">&c;<")
    );
    for input in [xxe, lol] {
        assert_eq!(
            parse(&input, &Limits::default()),
            Err(XmlError::DoctypeForbidden)
        );
    }
    let undeclared = body.replace(">alice@example.com<", ">&x;<");
    assert_eq!(
        parse(&undeclared, &Limits::default()),
        Err(XmlError::UnknownEntity)
    );
}

#[test]
fn sha1_only_when_allowed() {
    let xml = fixture("responses/okta-rsa-sha1-assertion.xml");
    assert_eq!(
        verify_assertion(&xml, &rsa()),
        Err(DsigError::Sha1NotAllowed)
    );
    let d = doc(&xml);
    let v = verify_element(
        &d,
        assertion(&d),
        &rsa(),
        &VerifyOptions { allow_sha1: true },
    )
    .unwrap();
    assert_eq!(name_id(v.element()), "alice@example.com");
}

#[test]
fn oversized_and_deep_input_is_refused() {
    let xml = fixture("responses/okta-rsa-assertion.xml");
    let padded = xml.replacen(
        "<saml2:Subject>",
        &format!("<!--{}--><saml2:Subject>", "x".repeat(1 << 20)),
        1,
    );
    assert!(matches!(
        parse(&padded, &Limits::default()),
        Err(XmlError::TooLarge { .. })
    ));
    let deep = xml.replacen(
        "<saml2:Subject>",
        &format!("{}{}<saml2:Subject>", "<x>".repeat(100), "</x>".repeat(100)),
        1,
    );
    assert!(matches!(
        parse(&deep, &Limits::default()),
        Err(XmlError::TooDeep { .. })
    ));
}

/// CVE-2017-11427 family: a comment inside NameID is not signed content (Exc-C14N
/// without comments), so the signature still verifies; the value read must be whole.
#[test]
fn comment_in_name_id_never_truncates() {
    for comment in ["<!---->", "<!-- injected -->"] {
        let xml = fixture("responses/okta-rsa-assertion.xml").replace(
            ">alice@example.com<",
            &format!(">alice@example{comment}.com<"),
        );
        let v = verify_assertion(&xml, &rsa()).unwrap();
        assert_eq!(name_id(v.element()), "alice@example.com");
    }
}

#[test]
fn whole_document_and_xpointer_references_are_rejected() {
    let xml = fixture("responses/okta-rsa-assertion.xml");
    for uri in [
        "",
        "#xpointer(/)",
        &format!("#xpointer(id('{OKTA_AID}'))"),
        OKTA_AID,
    ] {
        let t = xml.replace(&format!("URI=\"#{OKTA_AID}\""), &format!("URI=\"{uri}\""));
        assert_ne!(t, xml);
        assert_eq!(
            verify_assertion(&t, &rsa()),
            Err(DsigError::ReferenceUriMismatch),
            "URI={uri:?}"
        );
    }
    let t = xml.replace(&format!(" URI=\"#{OKTA_AID}\""), "");
    assert_eq!(
        verify_assertion(&t, &rsa()),
        Err(DsigError::ReferenceUriMismatch)
    );
}
