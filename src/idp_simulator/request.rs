//! Reading the AuthnRequest the SP sends with the HTTP-Redirect binding (SAML Bindings
//! §3.4.4.1: base64 of the raw DEFLATE of the XML): its ID (the Response's InResponseTo),
//! the ACS URL to post to, and the SP entity ID (the Audience).
//!
//! The query-string signature is not checked: the simulator does not know the SP's
//! certificate, and it only ever posts to this server's own ACS endpoints.

use std::io::Read as _;

use base64::Engine as _;

use super::SimulatorError;
use crate::saml::xml::{parse, Limits};

const PROTOCOL_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const ASSERTION_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// Largest inflated AuthnRequest accepted (ours are under 1 KiB).
const MAX_XML_BYTES: usize = 16 * 1024;

/// What the Response needs from the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthnRequestInfo {
    pub id: String,
    pub acs_url: String,
    pub sp_entity_id: String,
}

fn bad(message: &str) -> SimulatorError {
    SimulatorError::BadRequest(message.to_owned())
}

/// Decodes and reads `SAMLRequest`; `acs_prefix` is the only place it may send the user.
pub fn read_authn_request(
    saml_request: &str,
    acs_prefix: &str,
) -> Result<AuthnRequestInfo, SimulatorError> {
    // A `+` that a form decoder turned into a space is still base64's `+`.
    let b64: String = saml_request
        .chars()
        .map(|c| if c == ' ' { '+' } else { c })
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let deflated = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| bad("SAMLRequest is not base64"))?;
    let mut xml = Vec::new();
    flate2::read::DeflateDecoder::new(deflated.as_slice())
        .take(MAX_XML_BYTES as u64 + 1)
        .read_to_end(&mut xml)
        .map_err(|_| bad("SAMLRequest is not DEFLATE-compressed"))?;
    if xml.len() > MAX_XML_BYTES {
        return Err(bad("SAMLRequest is too large"));
    }
    let xml = String::from_utf8(xml).map_err(|_| bad("SAMLRequest is not UTF-8"))?;
    let limits = Limits {
        max_bytes: MAX_XML_BYTES,
        max_depth: 8,
        max_attributes: 16,
        max_elements: 32,
        ..Limits::default()
    };
    let doc = parse(&xml, &limits).map_err(|e| bad(&format!("SAMLRequest: {e}")))?;
    let root = doc.root();
    if !root.is(PROTOCOL_NS, "AuthnRequest") {
        return Err(bad("SAMLRequest is not a samlp:AuthnRequest"));
    }
    let id = root
        .attr("ID")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("the AuthnRequest has no ID"))?;
    let acs_url = root
        .attr("AssertionConsumerServiceURL")
        .ok_or_else(|| bad("the AuthnRequest names no AssertionConsumerServiceURL"))?;
    let rest = acs_url
        .strip_prefix(acs_prefix)
        .ok_or_else(|| bad("the simulator only signs in to this server's own ACS URLs"))?;
    if rest.is_empty() || rest.contains(['/', '?', '#']) {
        return Err(bad(
            "the AssertionConsumerServiceURL is not a connection's ACS",
        ));
    }
    let issuer = root
        .only_child(ASSERTION_NS, "Issuer")
        .map_err(|_| bad("the AuthnRequest needs exactly one Issuer"))?
        .text();
    let sp_entity_id = issuer.trim();
    if sp_entity_id.is_empty() {
        return Err(bad("the AuthnRequest's Issuer is empty"));
    }
    Ok(AuthnRequestInfo {
        id: id.to_owned(),
        acs_url: acs_url.to_owned(),
        sp_entity_id: sp_entity_id.to_owned(),
    })
}

#[cfg(test)]
#[expect(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::saml::authn_request::{redirect_url, AuthnRequest};

    const PREFIX: &str = "http://localhost:8080/sso/saml/acs/";

    fn encoded(acs: &str) -> String {
        let xml = AuthnRequest {
            id: "_abc123",
            issue_instant: chrono::Utc::now(),
            destination: "http://localhost:8080/dev/idp/sso",
            acs_url: acs,
            sp_entity_id: "http://localhost:8080/sso/saml/metadata/c1",
            name_id_format: None,
            force_authn: false,
        }
        .to_xml()
        .unwrap();
        let url = redirect_url("http://x/sso", &xml, None, None).unwrap();
        let q = url::Url::parse(&url).unwrap();
        let v = q.query_pairs().find(|(k, _)| k == "SAMLRequest").unwrap();
        v.1.into_owned()
    }

    #[test]
    fn reads_what_the_sp_sends() {
        let info = read_authn_request(&encoded(&format!("{PREFIX}c1")), PREFIX).unwrap();
        assert_eq!(info.id, "_abc123");
        assert_eq!(info.acs_url, format!("{PREFIX}c1"));
        assert_eq!(
            info.sp_entity_id,
            "http://localhost:8080/sso/saml/metadata/c1"
        );
    }

    #[test]
    fn posts_only_to_this_servers_acs() {
        for acs in [
            "https://evil.example/sso/saml/acs/c1",
            "http://localhost:8080/sso/saml/acs/",
            "http://localhost:8080/sso/saml/acs/c1/../../x",
            "http://localhost:8080.evil.example/sso/saml/acs/c1",
        ] {
            let err = read_authn_request(&encoded(acs), PREFIX).unwrap_err();
            assert!(matches!(err, SimulatorError::BadRequest(_)), "{acs}");
        }
    }

    #[test]
    fn refuses_garbage_and_bombs() {
        assert!(read_authn_request("not base64!", PREFIX).is_err());
        assert!(read_authn_request("aGVsbG8=", PREFIX).is_err());
        // 1 MiB of spaces deflates to a few hundred bytes: refused after 16 KiB.
        let mut d = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut d, &vec![b' '; 1 << 20]).unwrap();
        let bomb = base64::engine::general_purpose::STANDARD.encode(d.finish().unwrap());
        let err = read_authn_request(&bomb, PREFIX).unwrap_err();
        assert!(err.to_string().contains("too large"), "{err}");
    }
}
