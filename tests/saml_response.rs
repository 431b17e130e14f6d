//! Web Browser SSO Response validation over the signed fixtures: each refusal has its
//! own error kind, and the data returned comes from the verified assertion.
#![expect(clippy::unwrap_used)]

use chrono::{DateTime, TimeZone, Utc};
use openssl::pkey::PKey;
use openssl::x509::X509;
use provisiond::saml::dsig::DsigError;
use provisiond::saml::encryption::{DataEncryption, DecryptError};
use provisiond::saml::response::{
    decode_post_binding, peek_in_response_to, validate_response, ResponseConfig, ResponseError,
};
use provisiond::saml::xml::Limits;
use std::path::PathBuf;

const ACS: &str = "https://sp.example.com/sso/saml/acs/conn_1";
const SP: &str = "https://sp.example.com/sso/saml/metadata/conn_1";
const OKTA: &str = "http://www.okta.com/exk1a2b3c4d5E6f7g8h9";
const ENTRA: &str = "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/";
const REQ: &str = "_req_9f6c1b2a";

fn fixture(path: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/saml")
        .join(path);
    std::fs::read_to_string(p).unwrap()
}

fn cert(name: &str) -> X509 {
    X509::from_pem(fixture(&format!("keys/{name}.crt")).as_bytes()).unwrap()
}

fn cfg(idp: &str) -> ResponseConfig {
    ResponseConfig::new(idp, SP, ACS, vec![cert("idp-rsa"), cert("idp-ec")])
}

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, h, m, 0).unwrap()
}

fn okta(name: &str) -> String {
    fixture(&format!("responses/okta-{name}.xml"))
}

#[test]
fn all_signed_fixtures_validate() {
    for (style, idp) in [("okta", OKTA), ("entra", ENTRA)] {
        for alg in ["rsa", "ec"] {
            for signed in ["response", "assertion", "both"] {
                let xml = fixture(&format!("responses/{style}-{alg}-{signed}.xml"));
                let v = validate_response(&xml, &cfg(idp), at(12, 1), Some(REQ))
                    .unwrap_or_else(|e| panic!("{style}-{alg}-{signed}: {e}"));
                assert_eq!(v.issuer(), idp);
                assert_eq!(v.in_response_to(), Some(REQ));
                assert_eq!(v.cert_index(), usize::from(alg == "ec"));
            }
        }
    }
}

#[test]
fn okta_data_is_extracted() {
    let v = validate_response(&okta("rsa-assertion"), &cfg(OKTA), at(12, 1), Some(REQ)).unwrap();
    assert_eq!(v.assertion_id(), "id73018472903128911284613970");
    assert_eq!(v.name_id(), "alice@example.com");
    assert_eq!(
        v.name_id_format(),
        Some("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress")
    );
    assert_eq!(v.session_index(), Some("id1767268798000.1234567890"));
    assert_eq!(v.session_not_on_or_after(), Some(at(20, 0)));
    // Replay-cache expiry: the earliest NotOnOrAfter plus the clock skew.
    assert_eq!(v.not_on_or_after(), at(12, 8));
    assert_eq!(v.attributes()["lastName"], vec!["O'Hara & Sons"]);
    assert_eq!(v.attributes()["groups"].len(), 7);
    assert_eq!(v.attributes()["email"], vec!["alice@example.com"]);
    let shown = format!("{v:?}");
    assert!(
        !shown.contains("alice"),
        "Debug leaks identity data: {shown}"
    );
}

#[test]
fn entra_data_is_extracted() {
    let v = validate_response(
        &fixture("responses/entra-rsa-both.xml"),
        &cfg(ENTRA),
        at(12, 30),
        Some(REQ),
    )
    .unwrap();
    assert_eq!(v.name_id(), "Xk2v9QmR7sLpT4wZ8yN1aB6cD3eF5gH0jK_ASDF-qwe");
    assert_eq!(
        v.attributes()["http://schemas.microsoft.com/identity/claims/displayname"],
        vec!["Bob Müller"]
    );
    assert_eq!(
        v.attributes()["http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"].len(),
        24
    );
    assert_eq!(v.session_not_on_or_after(), None);
}

#[test]
fn encrypted_assertions_validate() {
    let mut c = cfg(OKTA);
    c.sp_decryption_keys =
        vec![PKey::private_key_from_pem(fixture("keys/sp-rsa.key").as_bytes()).unwrap()];
    for v in [
        "oaep-mgf1p-aes128-gcm",
        "oaep-mgf1p-aes256-cbc",
        "oaep11-sha256-aes256-gcm",
    ] {
        // A CBC IdP needs the connection's opt-in (and then only CBC is accepted).
        c.data_encryption = if v.ends_with("cbc") {
            DataEncryption::AesCbc
        } else {
            DataEncryption::AesGcm
        };
        let xml = fixture(&format!("encrypted/{v}.xml"));
        let a = validate_response(&xml, &c, at(12, 1), Some(REQ))
            .unwrap_or_else(|e| panic!("{v}: {e}"));
        assert_eq!(a.name_id(), "alice@example.com");
    }
    c.data_encryption = DataEncryption::AesCbc;
    let xml = fixture("encrypted/rsa15-aes128-cbc.xml");
    assert_eq!(
        validate_response(&xml, &c, at(12, 1), Some(REQ)),
        Err(ResponseError::Decrypt(DecryptError::Rsa15Refused))
    );
    let xml = fixture("encrypted/oaep-mgf1p-aes128-gcm.xml");
    assert_eq!(
        validate_response(&xml, &cfg(OKTA), at(12, 1), Some(REQ)),
        Err(ResponseError::Decrypt(DecryptError::NoDecryptionKeys))
    );
}

#[test]
fn signature_failures_have_their_own_kinds() {
    let c = cfg(OKTA);
    let t = at(12, 1);
    assert_eq!(
        validate_response(&okta("unsigned"), &c, t, Some(REQ)),
        Err(ResponseError::Unsigned)
    );
    assert_eq!(
        validate_response(&okta("attacker-assertion"), &c, t, Some(REQ)),
        Err(ResponseError::AssertionSignature(
            DsigError::SignatureInvalid
        ))
    );
    assert_eq!(
        validate_response(&okta("rsa-sha1-assertion"), &c, t, Some(REQ)),
        Err(ResponseError::AssertionSignature(DsigError::Sha1NotAllowed))
    );
    let mut sha1 = cfg(OKTA);
    sha1.allow_sha1 = true;
    assert!(validate_response(&okta("rsa-sha1-assertion"), &sha1, t, Some(REQ)).is_ok());
    let tampered = okta("rsa-both").replace(">alice@example.com<", ">mallory@example.com<");
    assert_eq!(
        validate_response(&tampered, &c, t, Some(REQ)),
        Err(ResponseError::ResponseSignature(DsigError::DigestMismatch))
    );
    let tampered = okta("rsa-response").replace(">alice@example.com<", ">mallory@example.com<");
    assert_eq!(
        validate_response(&tampered, &c, t, Some(REQ)),
        Err(ResponseError::ResponseSignature(DsigError::DigestMismatch))
    );
    let mut strict = cfg(OKTA);
    strict.require_signed_assertion = true;
    assert_eq!(
        validate_response(&okta("rsa-response"), &strict, t, Some(REQ)),
        Err(ResponseError::AssertionNotSigned)
    );
    assert!(validate_response(&okta("rsa-both"), &strict, t, Some(REQ)).is_ok());
}

/// The Response envelope is unsigned in assertion-only fixtures, so it can be edited.
#[test]
fn envelope_checks() {
    let c = cfg(OKTA);
    let t = at(12, 1);
    let xml = okta("rsa-assertion");
    let failed = xml.replace("status:Success\"/>", "status:Responder\"><saml2p:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:AuthnFailed\"/></saml2p:StatusCode>");
    assert_eq!(
        validate_response(&failed, &c, t, Some(REQ)),
        Err(ResponseError::StatusNotSuccess {
            status: "urn:oasis:names:tc:SAML:2.0:status:Responder".into(),
            sub_status: Some("urn:oasis:names:tc:SAML:2.0:status:AuthnFailed".into()),
        })
    );
    let wrong_dest = xml.replacen(
        &format!("Destination=\"{ACS}\""),
        "Destination=\"https://evil.example/acs\"",
        1,
    );
    assert_eq!(
        validate_response(&wrong_dest, &c, t, Some(REQ)),
        Err(ResponseError::WrongDestination)
    );
    let wrong_issuer = xml.replacen(
        &format!(">{OKTA}</saml2:Issuer>"),
        ">http://evil.example</saml2:Issuer>",
        1,
    );
    assert_eq!(
        validate_response(&wrong_issuer, &c, t, Some(REQ)),
        Err(ResponseError::WrongIssuer)
    );
    assert_eq!(
        validate_response("<foo/>", &c, t, None),
        Err(ResponseError::NotAResponse)
    );
    assert!(matches!(
        validate_response("<a><b></a>", &c, t, None),
        Err(ResponseError::Xml(_))
    ));
    let s = xml.find("<saml2:Assertion ").unwrap();
    let e = xml.find("</saml2:Assertion>").unwrap() + "</saml2:Assertion>".len();
    let two = format!("{}{}{}", &xml[..e], &xml[s..e], &xml[e..]);
    assert_eq!(
        validate_response(&two, &c, t, Some(REQ)),
        Err(ResponseError::MultipleAssertions)
    );
    let none = format!("{}{}", &xml[..s], &xml[e..]);
    assert_eq!(
        validate_response(&none, &c, t, Some(REQ)),
        Err(ResponseError::NoAssertion)
    );
}

#[test]
fn in_response_to_checks() {
    let c = cfg(OKTA);
    let t = at(12, 1);
    assert_eq!(
        validate_response(&okta("rsa-assertion"), &c, t, Some("_other")),
        Err(ResponseError::InResponseToMismatch)
    );
    assert_eq!(
        validate_response(&okta("rsa-assertion"), &c, t, None),
        Err(ResponseError::UnexpectedInResponseTo)
    );
    // Response-level InResponseTo removed: the signed confirmation still carries it.
    let stripped = okta("rsa-assertion").replacen(&format!(" InResponseTo=\"{REQ}\""), "", 1);
    assert_eq!(
        validate_response(&stripped, &c, t, None),
        Err(ResponseError::UnexpectedInResponseTo)
    );
    let idp_init = okta("rsa-idp-initiated");
    let v = validate_response(&idp_init, &c, t, None).unwrap();
    assert_eq!(v.in_response_to(), None);
    assert_eq!(
        validate_response(&idp_init, &c, t, Some(REQ)),
        Err(ResponseError::MissingInResponseTo)
    );
    assert_eq!(
        peek_in_response_to(&okta("rsa-assertion"), &Limits::default()).as_deref(),
        Some(REQ)
    );
}

#[test]
fn audience_recipient_and_issuer_checks() {
    let t = at(12, 1);
    let mut c = cfg(OKTA);
    c.sp_entity_id = "https://other-sp.example.com".into();
    assert_eq!(
        validate_response(&okta("rsa-assertion"), &c, t, Some(REQ)),
        Err(ResponseError::WrongAudience)
    );
    // Envelope Destination edited to the other ACS; the signed Recipient still differs.
    let mut c = cfg(OKTA);
    c.acs_url = "https://sp.example.com/sso/saml/acs/conn_2".into();
    let xml = okta("rsa-assertion").replacen(
        &format!("Destination=\"{ACS}\""),
        "Destination=\"https://sp.example.com/sso/saml/acs/conn_2\"",
        1,
    );
    assert_eq!(
        validate_response(&xml, &c, t, Some(REQ)),
        Err(ResponseError::WrongRecipient)
    );
    // Another IdP's certificate-valid assertion is not for this connection.
    assert_eq!(
        validate_response(&okta("rsa-assertion"), &cfg(ENTRA), t, Some(REQ)),
        Err(ResponseError::WrongIssuer)
    );
}

#[test]
fn time_checks_with_skew() {
    let c = cfg(OKTA);
    let xml = okta("rsa-assertion");
    // Conditions 11:55–12:05, confirmation until 12:05, skew 3 minutes.
    assert!(validate_response(&xml, &c, at(11, 53), Some(REQ)).is_ok());
    assert_eq!(
        validate_response(&xml, &c, at(11, 51), Some(REQ)),
        Err(ResponseError::NotYetValid)
    );
    assert!(validate_response(&xml, &c, at(12, 7), Some(REQ)).is_ok());
    assert_eq!(
        validate_response(&xml, &c, at(12, 8), Some(REQ)),
        Err(ResponseError::ConfirmationExpired)
    );
    // Conditions end at 12:02 while the confirmation runs to 12:05.
    let short = okta("rsa-conditions-1202");
    assert!(validate_response(&short, &c, at(12, 4), Some(REQ)).is_ok());
    assert_eq!(
        validate_response(&short, &c, at(12, 5), Some(REQ)),
        Err(ResponseError::Expired)
    );
    assert_eq!(
        validate_response(&short, &c, at(12, 1), Some(REQ))
            .unwrap()
            .not_on_or_after(),
        at(12, 5)
    );
    // IdP session ended at 12:01.
    let session = okta("rsa-session-1201");
    assert!(validate_response(&session, &c, at(12, 3), Some(REQ)).is_ok());
    assert_eq!(
        validate_response(&session, &c, at(12, 4), Some(REQ)),
        Err(ResponseError::SessionExpired)
    );
    let mut no_skew = cfg(OKTA);
    no_skew.clock_skew = chrono::Duration::zero();
    assert_eq!(
        validate_response(&xml, &no_skew, at(12, 5), Some(REQ)),
        Err(ResponseError::ConfirmationExpired)
    );
}

#[test]
fn comment_in_name_id_yields_the_full_value() {
    let xml = okta("rsa-assertion").replace(">alice@example.com<", ">alice@example<!---->.com<");
    let v = validate_response(&xml, &cfg(OKTA), at(12, 1), Some(REQ)).unwrap();
    assert_eq!(v.name_id(), "alice@example.com");
}

#[test]
fn post_binding_decoding() {
    use base64::Engine as _;
    let xml = okta("rsa-assertion");
    let encoded = base64::engine::general_purpose::STANDARD.encode(&xml);
    let wrapped: String = encoded
        .as_bytes()
        .chunks(76)
        .map(|c| format!("{}\r\n", std::str::from_utf8(c).unwrap()))
        .collect();
    assert_eq!(decode_post_binding(&wrapped, 1 << 20).unwrap(), xml);
    assert_eq!(
        decode_post_binding("not base64!", 1 << 20),
        Err(ResponseError::Encoding)
    );
    assert!(matches!(
        decode_post_binding(&encoded, 1000),
        Err(ResponseError::Xml(_))
    ));
}

/// The Response signature covers the EncryptedAssertion's ciphertext, so an unsigned
/// assertion inside it is accepted — unless signed assertions are required.
#[test]
fn encrypted_unsigned_assertion_under_signed_response() {
    let mut c = cfg(OKTA);
    c.sp_decryption_keys =
        vec![PKey::private_key_from_pem(fixture("keys/sp-rsa.key").as_bytes()).unwrap()];
    let xml = fixture("encrypted/signed-response-unsigned-assertion.xml");
    let v = validate_response(&xml, &c, at(12, 1), Some(REQ)).unwrap();
    assert_eq!(v.name_id(), "alice@example.com");
    assert_eq!(v.attributes()["groups"].len(), 7);
    let mut strict = c.clone();
    strict.require_signed_assertion = true;
    assert_eq!(
        validate_response(&xml, &strict, at(12, 1), Some(REQ)),
        Err(ResponseError::AssertionNotSigned)
    );
    // Changing the ciphertext breaks the Response signature before decryption.
    let start = xml.rfind("<xenc:CipherValue>").unwrap() + "<xenc:CipherValue>".len() + 40;
    let mut t = xml.clone();
    let r = if &xml[start..=start] == "A" { "B" } else { "A" };
    t.replace_range(start..=start, r);
    assert_eq!(
        validate_response(&t, &c, at(12, 1), Some(REQ)),
        Err(ResponseError::ResponseSignature(DsigError::DigestMismatch))
    );
    // Without the Response signature nothing authenticates the plaintext.
    let s = xml.find("<ds:Signature").unwrap();
    let e = xml.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let mut unsigned = xml.clone();
    unsigned.replace_range(s..e, "");
    assert_eq!(
        validate_response(&unsigned, &c, at(12, 1), Some(REQ)),
        Err(ResponseError::Unsigned)
    );
}
