//! AuthnRequest XML and the HTTP-Redirect binding (deflate, base64, URL, signature).
#![expect(clippy::unwrap_used)]

use base64::Engine as _;
use chrono::{TimeZone, Utc};
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Verifier;
use openssl::x509::X509;
use provisiond::saml::authn_request::{
    redirect_url, AuthnRequest, AuthnRequestError, SIG_ALG_RSA_SHA256,
};
use provisiond::saml::response::SAMLP_NS;
use provisiond::saml::xml::{parse, Limits};
use std::io::Read as _;
use std::path::PathBuf;

fn fixture(path: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/saml")
        .join(path);
    std::fs::read_to_string(p).unwrap()
}

fn request(id: &str) -> AuthnRequest<'_> {
    AuthnRequest {
        id,
        issue_instant: Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap(),
        destination: "https://idp.example.com/sso?tenant=a&x=1",
        acs_url: "https://sp.example.com/sso/saml/acs/conn_1",
        sp_entity_id: "https://sp.example.com/sso/saml/metadata/conn_1",
        name_id_format: Some("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"),
        force_authn: false,
    }
}

/// Splits the query into raw (still URL-encoded) name=value pairs, in order.
fn raw_pairs(url: &str) -> Vec<(String, String)> {
    url.split_once('?')
        .unwrap()
        .1
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

fn decode(v: &str) -> String {
    url::form_urlencoded::parse(format!("x={v}").as_bytes())
        .next()
        .unwrap()
        .1
        .into_owned()
}

#[test]
fn request_xml_has_the_fields() {
    let xml = request("_a1b2c3").to_xml().unwrap();
    let doc = parse(&xml, &Limits::default()).unwrap();
    let r = doc.root();
    assert!(r.is(SAMLP_NS, "AuthnRequest"));
    assert_eq!(r.attr("ID"), Some("_a1b2c3"));
    assert_eq!(r.attr("IssueInstant"), Some("2026-01-01T12:00:00Z"));
    assert_eq!(
        r.attr("Destination"),
        Some("https://idp.example.com/sso?tenant=a&x=1")
    );
    assert_eq!(
        r.attr("AssertionConsumerServiceURL"),
        Some("https://sp.example.com/sso/saml/acs/conn_1")
    );
    assert_eq!(r.attr("ForceAuthn"), None);
    let issuer = r
        .only_child("urn:oasis:names:tc:SAML:2.0:assertion", "Issuer")
        .unwrap();
    assert_eq!(
        issuer.text(),
        "https://sp.example.com/sso/saml/metadata/conn_1"
    );
    assert!(r.only_child(SAMLP_NS, "NameIDPolicy").is_ok());
    let forced = AuthnRequest {
        force_authn: true,
        ..request("_x")
    }
    .to_xml()
    .unwrap();
    assert!(
        parse(&forced, &Limits::default())
            .unwrap()
            .root()
            .attr("ForceAuthn")
            == Some("true")
    );
}

#[test]
fn invalid_ids_are_refused() {
    for bad in ["", "1abc", "-a", "a b", "a\"b", "ä"] {
        assert_eq!(
            request(bad).to_xml(),
            Err(AuthnRequestError::InvalidId),
            "{bad:?}"
        );
    }
}

#[test]
fn unsigned_redirect_round_trips() {
    let xml = request("_r1").to_xml().unwrap();
    let url = redirect_url(
        "https://idp.example.com/sso?tenant=a",
        &xml,
        Some("state & more=1"),
        None,
    )
    .unwrap();
    assert!(url.starts_with("https://idp.example.com/sso?tenant=a&SAMLRequest="));
    let pairs = raw_pairs(&url);
    let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["tenant", "SAMLRequest", "RelayState"]);
    let deflated = base64::engine::general_purpose::STANDARD
        .decode(decode(&pairs[1].1))
        .unwrap();
    let mut inflated = String::new();
    flate2::read::DeflateDecoder::new(deflated.as_slice())
        .read_to_string(&mut inflated)
        .unwrap();
    assert_eq!(inflated, xml);
    assert_eq!(decode(&pairs[2].1), "state & more=1");
}

#[test]
fn signed_redirect_verifies_over_the_exact_query() {
    let key = PKey::private_key_from_pem(fixture("keys/sp-rsa.key").as_bytes()).unwrap();
    let cert = X509::from_pem(fixture("keys/sp-rsa.crt").as_bytes()).unwrap();
    let xml = request("_r2").to_xml().unwrap();
    let url = redirect_url("https://idp.example.com/sso", &xml, Some("s1"), Some(&key)).unwrap();
    let pairs = raw_pairs(&url);
    let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["SAMLRequest", "RelayState", "SigAlg", "Signature"]);
    assert_eq!(decode(&pairs[2].1), SIG_ALG_RSA_SHA256);
    // Bindings §3.4.4.1: the signed octets are the URL-encoded pairs as sent.
    let signed = format!(
        "SAMLRequest={}&RelayState={}&SigAlg={}",
        pairs[0].1, pairs[1].1, pairs[2].1
    );
    let sig = base64::engine::general_purpose::STANDARD
        .decode(decode(&pairs[3].1))
        .unwrap();
    let public = cert.public_key().unwrap();
    let mut v = Verifier::new(MessageDigest::sha256(), &public).unwrap();
    v.update(signed.as_bytes()).unwrap();
    assert!(v.verify(&sig).unwrap());
    let mut v = Verifier::new(MessageDigest::sha256(), &public).unwrap();
    v.update(signed.replace("s1", "s2").as_bytes()).unwrap();
    assert!(!v.verify(&sig).unwrap());
}

#[test]
fn ec_signing_key_is_refused() {
    let key = PKey::private_key_from_pem(fixture("keys/idp-ec.key").as_bytes()).unwrap();
    let xml = request("_r3").to_xml().unwrap();
    assert_eq!(
        redirect_url("https://idp/sso", &xml, None, Some(&key)),
        Err(AuthnRequestError::UnsupportedKey)
    );
}
