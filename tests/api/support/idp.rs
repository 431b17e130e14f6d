//! A minimal SAML IdP for the login-flow tests: it writes Responses whose Assertion is
//! already in Exclusive XML Canonicalization form (explicit end tags, sorted attributes,
//! one namespace declaration on the apex, no typed values, escaped text), so it can sign
//! them with openssl alone — it shares no code with provisiond's c14n or verifier.
//! `tests/fixtures/saml/check_test_idp.sh` verifies a sample of its output with xmlsec1
//! (see `idp_output_verifies_with_xmlsec1`), which proves the signatures are standard.
//!
//! The signed artefacts of the SAML core tests stay the xmlsec1 fixtures; this IdP exists
//! because the flow tests need fresh responses (new assertion ids, today's times, the
//! request ids `/sso/authorize` generated).

use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;

use crate::saml_support::fixture;

pub const IDP_ENTITY_ID: &str = "https://idp.test.example/saml";
pub const NAMEID_PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
pub const NAMEID_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
pub const NAMEID_TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";

const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const DS: &str = "http://www.w3.org/2000/09/xmldsig#";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The IdP's certificate (PEM), to pin on the connection.
pub fn idp_certificate() -> String {
    fixture("keys/idp-rsa.crt")
}

/// One login the IdP asserts.
#[derive(Debug, Clone)]
pub struct Login {
    pub name_id: String,
    pub name_id_format: Option<String>,
    pub attributes: Vec<(String, Vec<String>)>,
    /// The AuthnRequest answered; `None` for IdP-initiated.
    pub in_response_to: Option<String>,
    pub now: DateTime<Utc>,
}

impl Login {
    /// A persistent-NameID login carrying `email`, first and last name.
    pub fn new(name_id: &str, email: &str) -> Login {
        Login {
            name_id: name_id.to_owned(),
            name_id_format: Some(NAMEID_PERSISTENT.to_owned()),
            attributes: vec![("email".into(), vec![email.to_owned()])],
            in_response_to: None,
            now: Utc::now(),
        }
    }

    pub fn attr(mut self, name: &str, values: &[&str]) -> Login {
        self.attributes.retain(|(n, _)| n != name);
        self.attributes.push((
            name.to_owned(),
            values.iter().map(|v| (*v).to_owned()).collect(),
        ));
        self
    }

    pub fn without_attr(mut self, name: &str) -> Login {
        self.attributes.retain(|(n, _)| n != name);
        self
    }

    pub fn format(mut self, format: Option<&str>) -> Login {
        self.name_id_format = format.map(str::to_owned);
        self
    }

    pub fn answering(mut self, request_id: &str) -> Login {
        self.in_response_to = Some(request_id.to_owned());
        self
    }

    pub fn at(mut self, now: DateTime<Utc>) -> Login {
        self.now = now;
        self
    }

    /// The signed Response XML for the connection whose ACS URL and SP entity ID are
    /// given.
    pub fn response_xml(&self, acs_url: &str, sp_entity_id: &str) -> String {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nonce = format!(
            "{:x}{:04x}",
            Utc::now().timestamp_nanos_opt().unwrap_or(0),
            n
        );
        let assertion_id = format!("_a{nonce}");
        let response_id = format!("_r{nonce}");
        let t = |d: Duration| (self.now + d).to_rfc3339_opts(SecondsFormat::Secs, true);
        let irt = self
            .in_response_to
            .as_ref()
            .map(|r| format!(" InResponseTo=\"{}\"", attr(r)))
            .unwrap_or_default();
        let format = self
            .name_id_format
            .as_ref()
            .map(|f| format!(" Format=\"{}\"", attr(f)))
            .unwrap_or_default();
        let attributes: String = self
            .attributes
            .iter()
            .map(|(name, values)| {
                let vals: String = values
                    .iter()
                    .map(|v| format!("<saml:AttributeValue>{}</saml:AttributeValue>", text(v)))
                    .collect();
                format!(
                    "<saml:Attribute Name=\"{}\">{vals}</saml:Attribute>",
                    attr(name)
                )
            })
            .collect();
        // Attribute order within each start tag is c14n order (unqualified names sorted).
        let issuer = format!("<saml:Issuer>{}</saml:Issuer>", text(IDP_ENTITY_ID));
        let rest = format!(
            "<saml:Subject><saml:NameID{format}>{name_id}</saml:NameID>\
             <saml:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\">\
             <saml:SubjectConfirmationData{irt} NotOnOrAfter=\"{exp}\" Recipient=\"{acs}\"></saml:SubjectConfirmationData>\
             </saml:SubjectConfirmation></saml:Subject>\
             <saml:Conditions NotBefore=\"{nb}\" NotOnOrAfter=\"{exp}\"><saml:AudienceRestriction>\
             <saml:Audience>{aud}</saml:Audience></saml:AudienceRestriction></saml:Conditions>\
             <saml:AuthnStatement AuthnInstant=\"{now}\" SessionIndex=\"_s{nonce}\" SessionNotOnOrAfter=\"{session}\">\
             <saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>\
             </saml:AuthnContext></saml:AuthnStatement>\
             <saml:AttributeStatement>{attributes}</saml:AttributeStatement>",
            name_id = text(&self.name_id),
            exp = t(Duration::minutes(5)),
            nb = t(Duration::minutes(-1)),
            now = t(Duration::zero()),
            session = t(Duration::hours(8)),
            acs = attr(acs_url),
            aud = text(sp_entity_id),
        );
        let open = format!(
            "<saml:Assertion xmlns:saml=\"{SAML}\" ID=\"{assertion_id}\" IssueInstant=\"{}\" Version=\"2.0\">",
            t(Duration::zero())
        );
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
        let key = PKey::private_key_from_pem(fixture("keys/idp-rsa.key").as_bytes()).unwrap();
        let mut signer = Signer::new(MessageDigest::sha256(), &key).unwrap();
        signer.update(signed_info.as_bytes()).unwrap();
        let signature_value = b64(&signer.sign_to_vec().unwrap());
        // In the document SignedInfo inherits `ds` from Signature; c14n puts it back.
        let signed_info_in_doc = signed_info.replacen(&format!(" xmlns:ds=\"{DS}\""), "", 1);
        let signature = format!(
            "<ds:Signature xmlns:ds=\"{DS}\">{signed_info_in_doc}<ds:SignatureValue>{signature_value}</ds:SignatureValue></ds:Signature>"
        );
        let assertion = format!("{open}{issuer}{signature}{rest}</saml:Assertion>");
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
             <samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" Destination=\"{acs}\" ID=\"{response_id}\"{irt} IssueInstant=\"{now}\" Version=\"2.0\">\
             <saml:Issuer xmlns:saml=\"{SAML}\">{issuer_text}</saml:Issuer>\
             <samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"></samlp:StatusCode></samlp:Status>\
             {assertion}</samlp:Response>",
            acs = attr(acs_url),
            now = t(Duration::zero()),
            issuer_text = text(IDP_ENTITY_ID),
        )
    }

    /// The HTTP-POST binding value (base64 of the Response).
    pub fn response_b64(&self, acs_url: &str, sp_entity_id: &str) -> String {
        b64(self.response_xml(acs_url, sp_entity_id).as_bytes())
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Text content, escaped as c14n renders it.
fn text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\r', "&#xD;")
}

/// Attribute values, escaped as c14n renders them.
fn attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
        .replace('\t', "&#x9;")
        .replace('\n', "&#xA;")
        .replace('\r', "&#xD;")
}
