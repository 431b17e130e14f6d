//! SP-initiated login: the `samlp:AuthnRequest` (SAML Core §3.4.1) and its
//! HTTP-Redirect encoding with the optional query-string signature (Bindings §3.4.4).
//!
//! The request ID and instant are injected by the caller (no ambient randomness or
//! clock); the caller stores the ID as a pending request to match InResponseTo later.

use super::xml::escape;
use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use openssl::hash::MessageDigest;
use openssl::pkey::{Id, PKey, Private};
use openssl::sign::Signer;
use std::io::Write as _;

/// `http://www.w3.org/2001/04/xmldsig-more#rsa-sha256`, the only redirect SigAlg we emit.
pub const SIG_ALG_RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";

/// An AuthnRequest to build.
#[derive(Debug, Clone)]
pub struct AuthnRequest<'a> {
    /// Request ID: an xs:ID (NCName), e.g. `_` + 32 random hex digits.
    pub id: &'a str,
    /// IssueInstant.
    pub issue_instant: DateTime<Utc>,
    /// The IdP SSO URL the request is sent to (Destination).
    pub destination: &'a str,
    /// This connection's ACS URL (AssertionConsumerServiceURL, HTTP-POST).
    pub acs_url: &'a str,
    /// SP entity ID (Issuer).
    pub sp_entity_id: &'a str,
    /// Requested NameIDPolicy Format, if any.
    pub name_id_format: Option<&'a str>,
    /// Ask the IdP to re-authenticate the user.
    pub force_authn: bool,
}

/// Why a request could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthnRequestError {
    /// The ID is not an NCName (xs:ID, XML Schema §3.3.8).
    #[error("request ID is not a valid xs:ID")]
    InvalidId,
    /// Only RSA keys can sign redirect-binding requests here.
    #[error("signing key must be RSA")]
    UnsupportedKey,
    /// Compression or signing failed.
    #[error("encoding or signing failed")]
    Crypto,
}

impl AuthnRequest<'_> {
    /// Serializes the request (unsigned XML; the redirect binding signs the query).
    pub fn to_xml(&self) -> Result<String, AuthnRequestError> {
        if !is_ncname(self.id) {
            return Err(AuthnRequestError::InvalidId);
        }
        let policy = match self.name_id_format {
            Some(f) => format!(
                "<samlp:NameIDPolicy Format=\"{}\" AllowCreate=\"true\"/>",
                escape(f)
            ),
            None => "<samlp:NameIDPolicy AllowCreate=\"true\"/>".to_owned(),
        };
        Ok(format!(
            "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
             xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"{id}\" Version=\"2.0\" \
             IssueInstant=\"{instant}\" Destination=\"{dest}\" AssertionConsumerServiceURL=\"{acs}\" \
             ProtocolBinding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\"{force}>\
             <saml:Issuer>{issuer}</saml:Issuer>{policy}</samlp:AuthnRequest>",
            id = escape(self.id),
            instant = self.issue_instant.to_rfc3339_opts(SecondsFormat::Secs, true),
            dest = escape(self.destination),
            acs = escape(self.acs_url),
            force = if self.force_authn { " ForceAuthn=\"true\"" } else { "" },
            issuer = escape(self.sp_entity_id),
        ))
    }
}

/// xs:ID lexical check: an NCName restricted here to ASCII letters, digits, `_-.`,
/// not starting with a digit, `-` or `.`.
fn is_ncname(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Builds the HTTP-Redirect URL: `SAMLRequest` = URL-encoded base64 of the raw DEFLATE
/// of `request_xml` (Bindings §3.4.4.1), plus `RelayState`, and when `signing_key` is
/// given `SigAlg` and `Signature` over the exact query string
/// `SAMLRequest=…&RelayState=…&SigAlg=…` (RSA-SHA256).
pub fn redirect_url(
    sso_url: &str,
    request_xml: &str,
    relay_state: Option<&str>,
    signing_key: Option<&PKey<Private>>,
) -> Result<String, AuthnRequestError> {
    let mut deflater =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    deflater
        .write_all(request_xml.as_bytes())
        .map_err(|_| AuthnRequestError::Crypto)?;
    let deflated = deflater.finish().map_err(|_| AuthnRequestError::Crypto)?;
    let mut query = format!(
        "SAMLRequest={}",
        urlencode(&base64::engine::general_purpose::STANDARD.encode(deflated))
    );
    if let Some(rs) = relay_state {
        query.push_str("&RelayState=");
        query.push_str(&urlencode(rs));
    }
    if let Some(key) = signing_key {
        if key.id() != Id::RSA {
            return Err(AuthnRequestError::UnsupportedKey);
        }
        query.push_str("&SigAlg=");
        query.push_str(&urlencode(SIG_ALG_RSA_SHA256));
        let sign = || -> Result<Vec<u8>, openssl::error::ErrorStack> {
            let mut s = Signer::new(MessageDigest::sha256(), key)?;
            s.update(query.as_bytes())?;
            s.sign_to_vec()
        };
        let sig = sign().map_err(|_| AuthnRequestError::Crypto)?;
        query.push_str("&Signature=");
        query.push_str(&urlencode(
            &base64::engine::general_purpose::STANDARD.encode(sig),
        ));
    }
    let sep = if sso_url.contains('?') { '&' } else { '?' };
    Ok(format!("{sso_url}{sep}{query}"))
}
