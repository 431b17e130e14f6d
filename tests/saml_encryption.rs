//! EncryptedAssertion decryption against xmlsec1- and pyca/cryptography-encrypted
//! fixtures, followed by signature verification of the decrypted assertion.
#![expect(clippy::unwrap_used)]

use openssl::pkey::{PKey, Private};
use openssl::x509::X509;
use provisiond::saml::dsig::{verify_element, DsigError, VerifyOptions};
use provisiond::saml::encryption::{decrypt_assertion, DataEncryption, DecryptError, SAML_NS};
use provisiond::saml::xml::{parse, Document, Limits};
use std::path::PathBuf;

fn fixture(path: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/saml")
        .join(path);
    std::fs::read_to_string(p).unwrap()
}

fn key(name: &str) -> PKey<Private> {
    PKey::private_key_from_pem(fixture(&format!("keys/{name}.key")).as_bytes()).unwrap()
}

/// The family a connection would opt in to for this fixture (its data algorithm).
fn family_of(xml: &str) -> DataEncryption {
    if xml.contains("-cbc\"") {
        DataEncryption::AesCbc
    } else {
        DataEncryption::AesGcm
    }
}

fn decrypt_xml(xml: &str, keys: &[PKey<Private>]) -> Result<Document, DecryptError> {
    decrypt_as(xml, keys, family_of(xml))
}

fn decrypt_as(
    xml: &str,
    keys: &[PKey<Private>],
    family: DataEncryption,
) -> Result<Document, DecryptError> {
    let doc = parse(xml, &Limits::default()).unwrap();
    let enc = doc
        .root()
        .only_child(SAML_NS, "EncryptedAssertion")
        .unwrap();
    decrypt_assertion(&doc, enc, keys, family, &Limits::default())
}

fn decrypt(name: &str, keys: &[PKey<Private>]) -> Result<Document, DecryptError> {
    decrypt_xml(&fixture(&format!("encrypted/{name}.xml")), keys)
}

const VARIANTS: [&str; 6] = [
    "oaep-mgf1p-aes128-gcm",
    "oaep-mgf1p-aes256-gcm",
    "oaep-mgf1p-aes128-cbc",
    "oaep-mgf1p-aes256-cbc",
    "oaep11-sha256-aes256-gcm",
    "oaep11-sha256-aes128-cbc",
];

#[test]
fn decrypts_and_the_signature_still_verifies() {
    let idp = X509::from_pem(fixture("keys/idp-rsa.crt").as_bytes()).unwrap();
    for v in VARIANTS {
        let doc = decrypt(v, &[key("sp-rsa")]).unwrap_or_else(|e| panic!("{v}: {e}"));
        let verified = verify_element(
            &doc,
            doc.root(),
            std::slice::from_ref(&idp),
            &VerifyOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{v}: {e}"));
        let subject = verified.element().only_child(SAML_NS, "Subject").unwrap();
        assert_eq!(
            subject.only_child(SAML_NS, "NameID").unwrap().text(),
            "alice@example.com"
        );
    }
}

#[test]
fn key_rollover_tries_each_key() {
    let doc = decrypt(
        "oaep-mgf1p-aes128-gcm",
        &[key("attacker-rsa"), key("sp-rsa")],
    )
    .unwrap();
    assert!(doc.root().is(SAML_NS, "Assertion"));
}

#[test]
fn wrong_key_is_rejected() {
    for v in VARIANTS {
        assert_eq!(
            decrypt(v, &[key("attacker-rsa")]).unwrap_err(),
            DecryptError::KeyDecryptionFailed,
            "{v}"
        );
    }
    assert_eq!(
        decrypt(VARIANTS[0], &[]).unwrap_err(),
        DecryptError::NoDecryptionKeys
    );
}

#[test]
fn rsa_pkcs1_v15_is_refused() {
    assert_eq!(
        decrypt("rsa15-aes128-cbc", &[key("sp-rsa")]).unwrap_err(),
        DecryptError::Rsa15Refused
    );
}

/// Flip one bit in the data CipherValue: GCM fails its tag check; CBC garbles a block,
/// which at best yields non-XML and, where it still parses, breaks the signature.
#[test]
fn tampered_ciphertext_is_rejected() {
    let idp = X509::from_pem(fixture("keys/idp-rsa.crt").as_bytes()).unwrap();
    for v in VARIANTS {
        let xml = fixture(&format!("encrypted/{v}.xml"));
        // The data CipherValue is the last one in the document.
        let start = xml.rfind("<xenc:CipherValue>").unwrap() + "<xenc:CipherValue>".len();
        let pos = start + 200;
        let c = xml.as_bytes()[pos];
        let replacement = if c == b'A' { "B" } else { "A" };
        let mut t = xml.clone();
        t.replace_range(pos..pos + 1, replacement);
        match decrypt_xml(&t, &[key("sp-rsa")]) {
            Err(e) => assert_eq!(e, DecryptError::DataDecryptionFailed, "{v}"),
            Ok(doc) => {
                assert!(v.contains("cbc"), "{v}: GCM accepted tampered data");
                let r = verify_element(
                    &doc,
                    doc.root(),
                    std::slice::from_ref(&idp),
                    &VerifyOptions::default(),
                );
                assert!(
                    matches!(
                        r,
                        Err(DsigError::DigestMismatch | DsigError::SignatureInvalid)
                    ),
                    "{v}: {r:?}"
                );
            }
        }
    }
}

#[test]
fn unsupported_algorithms_are_rejected() {
    let xml = fixture("encrypted/oaep-mgf1p-aes128-gcm.xml");
    let t = xml.replace("xmlenc11#aes128-gcm", "xmlenc11#chacha20");
    assert_eq!(
        decrypt_xml(&t, &[key("sp-rsa")]).unwrap_err(),
        DecryptError::UnsupportedDataEncryption
    );
    let t = xml.replace("xmlenc#rsa-oaep-mgf1p", "xmlenc#kw-aes128");
    assert_eq!(
        decrypt_xml(&t, &[key("sp-rsa")]).unwrap_err(),
        DecryptError::UnsupportedKeyTransport
    );
    let t = xml.replace("xmldsig#sha1\"", "xmldsig#md5\"");
    assert_eq!(
        decrypt_xml(&t, &[key("sp-rsa")]).unwrap_err(),
        DecryptError::UnsupportedDigest
    );
}

#[test]
fn missing_encrypted_key_is_rejected() {
    let xml = fixture("encrypted/oaep-mgf1p-aes128-gcm.xml");
    let s = xml.find("<ds:KeyInfo").unwrap();
    let e = xml.find("</ds:KeyInfo>").unwrap() + "</ds:KeyInfo>".len();
    let mut t = xml.clone();
    t.replace_range(s..e, "");
    assert_eq!(
        decrypt_xml(&t, &[key("sp-rsa")]).unwrap_err(),
        DecryptError::MissingEncryptedKey
    );
}

/// Correctly decrypted plaintext that the parser refuses gives the same error as a
/// broken ciphertext (no parse oracle).
#[test]
fn plaintext_refusal_is_indistinguishable_from_bad_ciphertext() {
    let xml = fixture("encrypted/oaep-mgf1p-aes128-gcm.xml");
    let doc = parse(&xml, &Limits::default()).unwrap();
    let enc = doc
        .root()
        .only_child(SAML_NS, "EncryptedAssertion")
        .unwrap();
    let tight = Limits {
        max_elements: 3,
        ..Limits::default()
    };
    assert_eq!(
        decrypt_assertion(&doc, enc, &[key("sp-rsa")], DataEncryption::AesGcm, &tight).unwrap_err(),
        DecryptError::DataDecryptionFailed
    );
}
