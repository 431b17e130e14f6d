//! SAML 2.0 metadata (SAML Metadata §2): reading an IdP's EntityDescriptor into
//! connection settings, and writing this SP's EntityDescriptor.
//!
//! IdP metadata is uploaded by an administrator and is trusted as configuration; its
//! optional signature is not checked here. Certificates come only from
//! `KeyDescriptor` elements meant for signing.

use super::xml::{escape, parse, Element, Limits, XmlError};
use base64::Engine as _;
use openssl::x509::X509;

/// The SAML 2.0 metadata namespace.
pub const MD_NS: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
const PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// HTTP-Redirect binding URI (Bindings §3.4).
pub const BINDING_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
/// HTTP-POST binding URI (Bindings §3.5).
pub const BINDING_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

/// What a connection needs from IdP metadata.
#[derive(Clone)]
pub struct IdpMetadata {
    /// `entityID`.
    pub entity_id: String,
    /// SingleSignOnService Location for HTTP-Redirect, if offered.
    pub sso_redirect_url: Option<String>,
    /// SingleSignOnService Location for HTTP-POST, if offered.
    pub sso_post_url: Option<String>,
    /// Signing certificates (KeyDescriptor `use="signing"` or without `use`).
    pub signing_certs: Vec<X509>,
    /// `WantAuthnRequestsSigned`.
    pub want_authn_requests_signed: bool,
}

impl std::fmt::Debug for IdpMetadata {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdpMetadata")
            .field("entity_id", &self.entity_id)
            .field("sso_redirect_url", &self.sso_redirect_url)
            .field("sso_post_url", &self.sso_post_url)
            .field("signing_certs", &self.signing_certs.len())
            .finish_non_exhaustive()
    }
}

/// Why IdP metadata was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    /// The XML was refused.
    #[error("XML refused: {0}")]
    Xml(#[from] XmlError),
    /// Not exactly one EntityDescriptor with one SAML 2.0 IDPSSODescriptor.
    #[error("metadata must describe exactly one SAML 2.0 IdP")]
    NotOneIdp,
    /// `entityID` missing or empty.
    #[error("missing entityID")]
    MissingEntityId,
    /// No SingleSignOnService for HTTP-Redirect or HTTP-POST.
    #[error("no usable SingleSignOnService")]
    NoSsoService,
    /// No signing certificate.
    #[error("no signing certificate")]
    NoSigningCertificate,
    /// An X509Certificate could not be decoded.
    #[error("invalid certificate")]
    InvalidCertificate,
}

/// Reads IdP metadata (an `EntityDescriptor`, or an `EntitiesDescriptor` holding
/// exactly one IdP).
pub fn parse_idp_metadata(xml: &str, limits: &Limits) -> Result<IdpMetadata, MetadataError> {
    let doc = parse(xml, limits)?;
    let root = doc.root();
    let mut idps: Vec<(&Element, &Element)> = Vec::new();
    let entities: Vec<&Element> = if root.is(MD_NS, "EntityDescriptor") {
        vec![root]
    } else if root.is(MD_NS, "EntitiesDescriptor") {
        root.children_named(MD_NS, "EntityDescriptor").collect()
    } else {
        Vec::new()
    };
    for e in entities {
        for d in e.children_named(MD_NS, "IDPSSODescriptor") {
            let protocols = d.attr("protocolSupportEnumeration").unwrap_or_default();
            if protocols.split_ascii_whitespace().any(|p| p == PROTOCOL) {
                idps.push((e, d));
            }
        }
    }
    let [(entity, idp)] = idps.as_slice() else {
        return Err(MetadataError::NotOneIdp);
    };
    let entity_id = entity
        .attr("entityID")
        .filter(|s| !s.trim().is_empty())
        .ok_or(MetadataError::MissingEntityId)?;

    let sso = |binding: &str| {
        idp.children_named(MD_NS, "SingleSignOnService")
            .find(|s| s.attr("Binding") == Some(binding))
            .and_then(|s| s.attr("Location"))
            .map(str::to_owned)
    };
    let (sso_redirect_url, sso_post_url) = (sso(BINDING_REDIRECT), sso(BINDING_POST));
    if sso_redirect_url.is_none() && sso_post_url.is_none() {
        return Err(MetadataError::NoSsoService);
    }

    let mut signing_certs = Vec::new();
    for kd in idp.children_named(MD_NS, "KeyDescriptor") {
        if !matches!(kd.attr("use"), None | Some("signing")) {
            continue;
        }
        for x509 in kd
            .children_named(DSIG_NS, "KeyInfo")
            .flat_map(|ki| ki.children_named(DSIG_NS, "X509Data"))
            .flat_map(|xd| xd.children_named(DSIG_NS, "X509Certificate"))
        {
            let b64: String = x509.text().chars().filter(|c| !c.is_whitespace()).collect();
            let der = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|_| MetadataError::InvalidCertificate)?;
            signing_certs
                .push(X509::from_der(&der).map_err(|_| MetadataError::InvalidCertificate)?);
        }
    }
    if signing_certs.is_empty() {
        return Err(MetadataError::NoSigningCertificate);
    }
    Ok(IdpMetadata {
        entity_id: entity_id.to_owned(),
        sso_redirect_url,
        sso_post_url,
        signing_certs,
        want_authn_requests_signed: idp.attr("WantAuthnRequestsSigned") == Some("true"),
    })
}

/// What this SP publishes for one connection.
pub struct SpMetadata<'a> {
    /// SP entity ID.
    pub entity_id: &'a str,
    /// AssertionConsumerService (HTTP-POST) URL.
    pub acs_url: &'a str,
    /// Certificate the SP signs AuthnRequests with, if it does.
    pub signing_cert: Option<&'a X509>,
    /// Certificate IdPs should encrypt assertions to, if any.
    pub encryption_cert: Option<&'a X509>,
    /// Requested NameID format, if any.
    pub name_id_format: Option<&'a str>,
}

/// Serializes SP metadata: an `EntityDescriptor` with one `SPSSODescriptor`
/// (Metadata §2.4.4). `WantAssertionsSigned` is always true.
pub fn sp_metadata_xml(sp: &SpMetadata<'_>) -> Result<String, openssl::error::ErrorStack> {
    let mut out = String::with_capacity(2048);
    out.push_str(&format!(
        "<md:EntityDescriptor xmlns:md=\"{MD_NS}\" entityID=\"{}\">",
        escape(sp.entity_id)
    ));
    out.push_str(&format!(
        "<md:SPSSODescriptor AuthnRequestsSigned=\"{}\" WantAssertionsSigned=\"true\" \
         protocolSupportEnumeration=\"{PROTOCOL}\">",
        sp.signing_cert.is_some()
    ));
    for (usage, cert) in [
        ("signing", sp.signing_cert),
        ("encryption", sp.encryption_cert),
    ] {
        if let Some(c) = cert {
            let b64 = base64::engine::general_purpose::STANDARD.encode(c.to_der()?);
            out.push_str(&format!(
                "<md:KeyDescriptor use=\"{usage}\"><ds:KeyInfo xmlns:ds=\"{DSIG_NS}\">\
                 <ds:X509Data><ds:X509Certificate>{b64}</ds:X509Certificate></ds:X509Data>\
                 </ds:KeyInfo></md:KeyDescriptor>"
            ));
        }
    }
    if let Some(f) = sp.name_id_format {
        out.push_str(&format!("<md:NameIDFormat>{}</md:NameIDFormat>", escape(f)));
    }
    out.push_str(&format!(
        "<md:AssertionConsumerService Binding=\"{BINDING_POST}\" Location=\"{}\" index=\"0\" \
         isDefault=\"true\"/></md:SPSSODescriptor></md:EntityDescriptor>",
        escape(sp.acs_url)
    ));
    Ok(out)
}
