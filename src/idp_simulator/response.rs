//! The simulator's signed Response (SAML Core §3.3.3, Profiles §4.1.4.2): one Assertion
//! with an enveloped XML-DSig signature (RSA-SHA256 over SHA-256, exclusive c14n).
//!
//! The Assertion is written directly in its Exclusive XML Canonicalization form
//! (Exc-C14N 1.0: explicit end tags, attributes in canonical order, one namespace
//! declaration on the apex, c14n escaping), so its digest is the SHA-256 of the bytes
//! written and this file shares no code with provisiond's c14n or verifier: a bug there
//! cannot hide behind a matching bug here. `idp_simulator` tests check the output with
//! xmlsec1 where it is installed.
//!
//! Pure: time, ids and the key are passed in.

use base64::Engine as _;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::sign::Signer;

use super::SimulatorError;

const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
const NAMEID_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";

/// Who signs in, as the developer typed it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimulatedUser {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub groups: Vec<String>,
}

/// One Response to write.
#[derive(Debug, Clone)]
pub struct ResponseParams<'a> {
    pub issuer: &'a str,
    pub acs_url: &'a str,
    pub audience: &'a str,
    /// The AuthnRequest answered; `None` for an IdP-initiated login.
    pub in_response_to: Option<&'a str>,
    pub now: DateTime<Utc>,
    /// Fresh xs:ID-safe randomness for the Response, Assertion and session ids.
    pub nonce: &'a str,
    pub user: &'a SimulatedUser,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Text content as c14n writes it (Exc-C14N §1.1 → C14N 1.0 §2.3).
fn text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\r', "&#xD;")
}

/// Attribute values as c14n writes them.
fn attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
        .replace('\t', "&#x9;")
        .replace('\n', "&#xA;")
        .replace('\r', "&#xD;")
}

/// The signed Response XML.
pub fn signed_response(
    p: &ResponseParams<'_>,
    key: &PKey<Private>,
) -> Result<String, SimulatorError> {
    let t = |d: Duration| (p.now + d).to_rfc3339_opts(SecondsFormat::Secs, true);
    let assertion_id = format!("_sa{}", p.nonce);
    let irt = p
        .in_response_to
        .map(|r| format!(" InResponseTo=\"{}\"", attr(r)))
        .unwrap_or_default();
    let u = p.user;
    let mut attributes: Vec<(&str, Vec<&str>)> = vec![("email", vec![u.email.as_str()])];
    if !u.first_name.is_empty() {
        attributes.push(("firstName", vec![u.first_name.as_str()]));
    }
    if !u.last_name.is_empty() {
        attributes.push(("lastName", vec![u.last_name.as_str()]));
    }
    if !u.groups.is_empty() {
        attributes.push(("groups", u.groups.iter().map(String::as_str).collect()));
    }
    let attributes: String = attributes
        .iter()
        .map(|(name, values)| {
            let vals: String = values
                .iter()
                .map(|v| format!("<saml:AttributeValue>{}</saml:AttributeValue>", text(v)))
                .collect();
            format!("<saml:Attribute Name=\"{name}\">{vals}</saml:Attribute>")
        })
        .collect();
    // Within each start tag the (unqualified) attributes are in c14n order: by name.
    let issuer = format!("<saml:Issuer>{}</saml:Issuer>", text(p.issuer));
    let rest = format!(
        "<saml:Subject><saml:NameID Format=\"{NAMEID_EMAIL}\">{name_id}</saml:NameID>\
         <saml:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\">\
         <saml:SubjectConfirmationData{irt} NotOnOrAfter=\"{exp}\" Recipient=\"{acs}\"></saml:SubjectConfirmationData>\
         </saml:SubjectConfirmation></saml:Subject>\
         <saml:Conditions NotBefore=\"{nb}\" NotOnOrAfter=\"{exp}\"><saml:AudienceRestriction>\
         <saml:Audience>{aud}</saml:Audience></saml:AudienceRestriction></saml:Conditions>\
         <saml:AuthnStatement AuthnInstant=\"{now}\" SessionIndex=\"_ss{nonce}\" SessionNotOnOrAfter=\"{session}\">\
         <saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified</saml:AuthnContextClassRef>\
         </saml:AuthnContext></saml:AuthnStatement>\
         <saml:AttributeStatement>{attributes}</saml:AttributeStatement>",
        name_id = text(&u.email),
        exp = t(Duration::minutes(5)),
        nb = t(Duration::minutes(-1)),
        now = t(Duration::zero()),
        session = t(Duration::hours(8)),
        acs = attr(p.acs_url),
        aud = text(p.audience),
        nonce = p.nonce,
    );
    let open = format!(
        "<saml:Assertion xmlns:saml=\"{SAML}\" ID=\"{assertion_id}\" IssueInstant=\"{}\" Version=\"2.0\">",
        t(Duration::zero())
    );
    // The enveloped-signature transform removes the Signature, so this is what is digested.
    let canonical = format!("{open}{issuer}{rest}</saml:Assertion>");
    let digest = b64(&openssl::sha::sha256(canonical.as_bytes()));
    let signed_info = format!(
        "<ds:SignedInfo xmlns:ds=\"{DS}\">\
         <ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"></ds:CanonicalizationMethod>\
         <ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"></ds:SignatureMethod>\
         <ds:Reference URI=\"#{assertion_id}\"><ds:Transforms>\
         <ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"></ds:Transform>\
         <ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"></ds:Transform></ds:Transforms>\
         <ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"></ds:DigestMethod>\
         <ds:DigestValue>{digest}</ds:DigestValue></ds:Reference></ds:SignedInfo>"
    );
    let sign = || -> Result<Vec<u8>, openssl::error::ErrorStack> {
        let mut signer = Signer::new(MessageDigest::sha256(), key)?;
        signer.update(signed_info.as_bytes())?;
        signer.sign_to_vec()
    };
    let signature_value = b64(&sign().map_err(|e| SimulatorError::Key(e.to_string()))?);
    // In the document SignedInfo inherits `ds` from Signature; c14n of SignedInfo alone
    // declares it on SignedInfo, which is what was signed above.
    let signed_info_in_doc = signed_info.replacen(&format!(" xmlns:ds=\"{DS}\""), "", 1);
    let signature = format!(
        "<ds:Signature xmlns:ds=\"{DS}\">{signed_info_in_doc}\
         <ds:SignatureValue>{signature_value}</ds:SignatureValue></ds:Signature>"
    );
    // SAML Core §5.4.1: the Signature is the Assertion's second child, after Issuer.
    let assertion = format!("{open}{issuer}{signature}{rest}</saml:Assertion>");
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <samlp:Response xmlns:samlp=\"{SAMLP}\" Destination=\"{acs}\" ID=\"_sr{nonce}\"{irt} \
         IssueInstant=\"{now}\" Version=\"2.0\">\
         <saml:Issuer xmlns:saml=\"{SAML}\">{issuer_text}</saml:Issuer>\
         <samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"></samlp:StatusCode></samlp:Status>\
         {assertion}</samlp:Response>",
        acs = attr(p.acs_url),
        nonce = p.nonce,
        now = t(Duration::zero()),
        issuer_text = text(p.issuer),
    ))
}

#[cfg(test)]
#[expect(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::saml::dsig::{verify_element, VerifyOptions};
    use crate::saml::xml::{parse, Limits};

    #[test]
    fn provisiond_verifies_the_signature_and_a_change_breaks_it() {
        let (key_pem, cert_pem) = crate::sso::keys::generate_key_pair("t", Utc::now()).unwrap();
        let key = PKey::private_key_from_pem(key_pem.as_bytes()).unwrap();
        let cert = openssl::x509::X509::from_pem(cert_pem.as_bytes()).unwrap();
        let user = SimulatedUser {
            email: "ada&<x>@acme.example".into(),
            first_name: "A\"da".into(),
            last_name: "Love\r\nlace".into(),
            groups: vec!["eng".into(), "a & b".into()],
        };
        let xml = signed_response(
            &ResponseParams {
                issuer: "http://localhost:8080/dev/idp",
                acs_url: "http://localhost:8080/sso/saml/acs/c1",
                audience: "sp",
                in_response_to: Some("_r1"),
                now: Utc::now(),
                nonce: "n1",
                user: &user,
            },
            &key,
        )
        .unwrap();
        let check = |xml: &str| {
            let doc = parse(xml, &Limits::default()).unwrap();
            let assertion = doc.root().only_child(SAML, "Assertion").unwrap();
            verify_element(
                &doc,
                assertion,
                std::slice::from_ref(&cert),
                &VerifyOptions::default(),
            )
            .is_ok()
        };
        assert!(check(&xml));
        assert!(!check(&xml.replace("eng<", "adm<")));
    }
}
