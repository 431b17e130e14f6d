//! The IdP side of a connection: its settings read from IdP metadata XML (inline or
//! fetched from a URL) or from the `idp_*` fields, never both.

use super::certificates::{check_certs, pin, PinnedCert, MAX_CERTIFICATES};
use super::validate::{check_entity_id, check_url};
use crate::app::AppState;
use crate::saml::metadata::parse_idp_metadata;
use crate::saml::xml::Limits;
use crate::sso::SsoError;

/// IdP settings after metadata or fields were read.
pub(super) struct IdpSettings {
    pub(super) entity_id: String,
    pub(super) sso_redirect_url: Option<String>,
    pub(super) sso_post_url: Option<String>,
    pub(super) certs: Vec<PinnedCert>,
    pub(super) want_signed_requests: bool,
}

pub(super) fn from_metadata(xml: &str) -> Result<IdpSettings, SsoError> {
    let md = parse_idp_metadata(xml, &Limits::default())
        .map_err(|e| SsoError::invalid("idp_metadata_xml", e.to_string()))?;
    let mut certs: Vec<PinnedCert> = Vec::new();
    for (i, c) in md.signing_certs.iter().enumerate() {
        let p = pin(&format!("idp_metadata_xml (signing certificate {i})"), c)?;
        if !certs.iter().any(|o| o.fingerprint == p.fingerprint) {
            certs.push(p);
        }
    }
    if certs.len() > MAX_CERTIFICATES {
        return Err(SsoError::invalid(
            "idp_metadata_xml",
            format!("at most {MAX_CERTIFICATES} signing certificates"),
        ));
    }
    Ok(IdpSettings {
        entity_id: check_entity_id(&md.entity_id)
            .map_err(|e| SsoError::invalid("idp_metadata_xml", e.to_string()))?,
        sso_redirect_url: md.sso_redirect_url,
        sso_post_url: md.sso_post_url,
        certs,
        want_signed_requests: md.want_authn_requests_signed,
    })
}

/// IdP settings from metadata or from fields (not both); errors say what is missing.
pub(super) fn idp_settings(
    metadata: Option<&str>,
    entity_id: Option<&str>,
    sso_url: Option<&str>,
    certs: Option<&[String]>,
) -> Result<IdpSettings, SsoError> {
    if let Some(xml) = metadata {
        for (field, given) in [
            ("idp_entity_id", entity_id.is_some()),
            ("idp_sso_url", sso_url.is_some()),
            ("idp_certificates", certs.is_some()),
        ] {
            if given {
                return Err(SsoError::invalid(
                    field,
                    "give either idp_metadata_xml or the idp_* fields, not both",
                ));
            }
        }
        return from_metadata(xml);
    }
    let required =
        |field: &str| SsoError::invalid(field, "required (or give idp_metadata_xml instead)");
    let entity_id = check_entity_id(entity_id.ok_or_else(|| required("idp_entity_id"))?)?;
    let sso = check_url(
        "idp_sso_url",
        sso_url.ok_or_else(|| required("idp_sso_url"))?,
    )?;
    let certs = check_certs(certs.ok_or_else(|| required("idp_certificates"))?)?;
    Ok(IdpSettings {
        entity_id,
        sso_redirect_url: Some(sso),
        sso_post_url: None,
        certs,
        want_signed_requests: false,
    })
}

/// The IdP metadata XML given inline, or fetched from `idp_metadata_url` through the
/// outbound guard (no internal addresses unless allowed, no redirects, bounded size): the
/// URL an IdP console shows can be pasted as is. Errors name the field and stay coarse.
/// A fetched answer becomes the inline XML (`xml`), and `url` is taken.
pub(super) async fn resolve_metadata(
    app: &AppState,
    xml: &mut Option<String>,
    url: &mut Option<String>,
) -> Result<(), SsoError> {
    let Some(url) = url.take() else {
        return Ok(());
    };
    if xml.is_some() {
        return Err(SsoError::invalid(
            "idp_metadata_url",
            "give idp_metadata_xml or idp_metadata_url, not both",
        ));
    }
    let response = app
        .outbound
        .get(&url)
        .await
        .map_err(|e| SsoError::invalid("idp_metadata_url", format!("not fetched: {e}")))?;
    if response.status != 200 {
        return Err(SsoError::invalid(
            "idp_metadata_url",
            format!("not fetched: the server answered HTTP {}", response.status),
        ));
    }
    let fetched = String::from_utf8(response.body)
        .map_err(|_| SsoError::invalid("idp_metadata_url", "the answer is not UTF-8 text"))?;
    *xml = Some(fetched);
    Ok(())
}
