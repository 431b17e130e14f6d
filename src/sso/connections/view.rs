//! A stored connection as the API shows it, and the parsing of its stored JSON and names
//! (an unknown stored name is corruption: the API only stores known ones).

use std::collections::BTreeMap;

use super::{CertificateView, ConnectionView};
use crate::app::{AppState, Links};
use crate::db::DbConn;
use crate::jit::mapping::Preset;
use crate::saml::encryption::DataEncryption;
use crate::sso::{SpUrls, SsoError};
use crate::store::saml_connections::{self as store, ConnectionCertificate, SamlConnection};
use crate::store::sp_keys;
use crate::store::StoreError;

pub(crate) fn parse_map(s: &str) -> Result<BTreeMap<String, String>, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("mapping JSON: {e}")))
}

/// A stored data-encryption name; an unknown one is corruption, like a preset.
pub(crate) fn parse_data_encryption(s: &str) -> Result<DataEncryption, StoreError> {
    DataEncryption::parse(s).ok_or_else(|| StoreError::Corrupt(format!("data encryption `{s}`")))
}

/// A stored preset name; an unknown one is corruption (the API only stores known names).
pub(crate) fn parse_preset(s: &str) -> Result<Preset, StoreError> {
    Preset::parse(s).ok_or_else(|| StoreError::Corrupt(format!("attribute preset `{s}`")))
}

pub(super) fn view(
    links: &Links,
    c: SamlConnection,
    certs: Vec<ConnectionCertificate>,
    own_sp_key: bool,
) -> Result<ConnectionView, StoreError> {
    let urls = SpUrls::new(links, &c.id);
    Ok(ConnectionView {
        idp_sso_url: c
            .idp_sso_redirect_url
            .clone()
            .or_else(|| c.idp_sso_post_url.clone()),
        idp_sso_post_url: c.idp_sso_post_url,
        idp_certificates: certs
            .into_iter()
            .map(|k| CertificateView {
                id: k.id,
                fingerprint_sha256: k.fingerprint_sha256,
                not_after: k.not_after.map(|t| t.and_utc()),
            })
            .collect(),
        attribute_mapping: parse_map(&c.attribute_mapping)?,
        attribute_preset: parse_preset(&c.attribute_preset)?.as_str(),
        data_encryption: parse_data_encryption(&c.data_encryption)?.as_str(),
        group_role_mapping: parse_map(&c.group_role_mapping)?,
        id: c.id,
        organization_id: c.organization_id,
        idp_entity_id: c.idp_entity_id,
        allow_idp_initiated: c.allow_idp_initiated,
        default_redirect_uri: c.default_redirect_uri,
        require_signed_assertion: c.require_signed_assertion,
        allow_sha1: c.allow_sha1,
        sign_authn_requests: c.sign_authn_requests,
        clock_skew_secs: c.clock_skew_secs,
        sp_key: if own_sp_key { "connection" } else { "server" },
        sp_entity_id: urls.entity_id,
        acs_url: urls.acs_url,
        metadata_url: urls.metadata_url,
        created_at: c.created_at.and_utc(),
        updated_at: c.updated_at.and_utc(),
    })
}

pub(super) fn load_view(
    conn: &mut DbConn,
    links: &Links,
    org_id: &str,
    id: &str,
) -> Result<ConnectionView, SsoError> {
    let c = store::find_connection_in_org(conn, org_id, id)?
        .ok_or(SsoError::NotFound("saml connection"))?;
    let certs = store::list_certificates(conn, &c.id)?;
    let own = sp_keys::find_sp_key(conn, &c.id)?.is_some();
    Ok(view(links, c, certs, own)?)
}

/// The connection `id` (of any organization: the SSO endpoints name it directly).
pub(crate) async fn read_connection(app: &AppState, id: &str) -> Result<SamlConnection, SsoError> {
    let lookup = id.to_owned();
    app.db
        .read(move |conn| {
            store::find_connection(conn, &lookup)?.ok_or(SsoError::NotFound("saml connection"))
        })
        .await
}
