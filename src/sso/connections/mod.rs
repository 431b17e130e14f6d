//! SAML connections: one organization's IdP, created from IdP metadata XML or from
//! fields, with its pinned signing certificates (several at once for rollover) and login
//! policy. Validation errors name the field; every change is recorded as
//! `connection.created/updated/deleted`.
//!
//! This file holds the API shapes; the work is split by concern: [`crud`] (create, read,
//! update, delete), [`validate`] (field checks), [`certificates`] (pinning IdP
//! certificates), [`idp`] (IdP settings from metadata or fields), [`sp_key`] (the SP side:
//! per-connection key pair, SP metadata and certificate) and [`view`] (stored row → view).

mod certificates;
mod crud;
mod idp;
mod sp_key;
mod validate;
mod view;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

pub use crud::{
    create_connection, delete_connection, get_connection, list_connections, update_connection,
};
pub use sp_key::{sp_certificate, sp_metadata, SpCertificateView};
pub use validate::MAPPABLE_ATTRIBUTES;
pub(crate) use view::{parse_data_encryption, parse_map, parse_preset, read_connection};

fn default_allow_idp_initiated() -> bool {
    true
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = CreateSamlConnection)]
#[serde(deny_unknown_fields)]
pub struct CreateConnection {
    /// IdP metadata (EntityDescriptor) XML: entity ID, SSO URLs and signing certificates.
    pub idp_metadata_xml: Option<String>,
    /// Where to fetch that XML instead (once, at save; through the outbound guard).
    pub idp_metadata_url: Option<String>,
    pub idp_entity_id: Option<String>,
    /// IdP SSO URL for the HTTP-Redirect binding.
    pub idp_sso_url: Option<String>,
    /// PEM certificates (or bare base64 DER) that may sign responses.
    pub idp_certificates: Option<Vec<String>>,
    #[serde(default)]
    pub attribute_mapping: BTreeMap<String, String>,
    /// Which IdP's default attribute names to read (`default` when absent).
    pub attribute_preset: Option<String>,
    #[serde(default)]
    pub group_role_mapping: BTreeMap<String, String>,
    /// IdP-initiated logins (no InResponseTo) are accepted unless turned off: IdP
    /// dashboards are how many people start a login. Their replay is refused like any.
    #[serde(default = "default_allow_idp_initiated")]
    pub allow_idp_initiated: bool,
    pub default_redirect_uri: Option<String>,
    #[serde(default)]
    pub require_signed_assertion: bool,
    #[serde(default)]
    pub allow_sha1: bool,
    /// Defaults to the metadata's `WantAuthnRequestsSigned` (false without metadata).
    pub sign_authn_requests: Option<bool>,
    pub clock_skew_secs: Option<i32>,
    /// A per-connection SP key pair (PEM, with `sp_certificate_pem`) overriding the
    /// server-wide one for signing requests and decrypting assertions.
    pub sp_private_key_pem: Option<String>,
    pub sp_certificate_pem: Option<String>,
    /// `aes-gcm` (default) or `aes-cbc`: the one data-encryption family this
    /// connection's assertions may use. `aes-cbc` needs the connection's own SP key pair.
    pub data_encryption: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = UpdateSamlConnection)]
#[serde(deny_unknown_fields)]
pub struct UpdateConnection {
    /// Re-import: replaces entity ID, SSO URLs and certificates.
    pub idp_metadata_xml: Option<String>,
    /// Re-import from a URL (fetched once, now, through the outbound guard).
    pub idp_metadata_url: Option<String>,
    pub idp_entity_id: Option<String>,
    pub idp_sso_url: Option<String>,
    /// Replaces the pinned certificate set (add the new one next to the old for rollover).
    pub idp_certificates: Option<Vec<String>>,
    pub attribute_mapping: Option<BTreeMap<String, String>>,
    pub attribute_preset: Option<String>,
    pub group_role_mapping: Option<BTreeMap<String, String>>,
    pub allow_idp_initiated: Option<bool>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "some")]
    pub default_redirect_uri: Option<Option<String>>,
    pub require_signed_assertion: Option<bool>,
    pub allow_sha1: Option<bool>,
    pub sign_authn_requests: Option<bool>,
    pub clock_skew_secs: Option<i32>,
    /// Replaces the per-connection SP key pair (both fields together).
    pub sp_private_key_pem: Option<String>,
    pub sp_certificate_pem: Option<String>,
    /// Changing the family of a connection with its own SP key needs a new pair too.
    pub data_encryption: Option<String>,
}

/// Distinguishes an explicit `null` (`Some(None)`) from an absent field (`None`).
fn some<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = PinnedCertificate)]
pub struct CertificateView {
    pub id: String,
    pub fingerprint_sha256: String,
    pub not_after: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = SamlConnection)]
pub struct ConnectionView {
    pub id: String,
    pub organization_id: String,
    pub idp_entity_id: String,
    pub idp_sso_url: Option<String>,
    pub idp_sso_post_url: Option<String>,
    pub idp_certificates: Vec<CertificateView>,
    pub attribute_mapping: BTreeMap<String, String>,
    /// `default`, `okta`, `entra`, `google` or `onelogin` (see `jit::mapping::Preset`).
    pub attribute_preset: &'static str,
    pub group_role_mapping: BTreeMap<String, String>,
    pub allow_idp_initiated: bool,
    pub default_redirect_uri: Option<String>,
    pub require_signed_assertion: bool,
    pub allow_sha1: bool,
    pub sign_authn_requests: bool,
    pub clock_skew_secs: i32,
    /// `connection` when this connection has its own SP key pair, else `server`.
    pub sp_key: &'static str,
    /// `aes-gcm` or `aes-cbc` (see `saml::encryption::DataEncryption`).
    pub data_encryption: &'static str,
    pub sp_entity_id: String,
    pub acs_url: String,
    pub metadata_url: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
