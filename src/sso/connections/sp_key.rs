//! The SP side of a connection: its own SP key pair (checked, sealed and stored), and
//! what an IdP needs from this SP: the metadata XML and the SP certificate.

use chrono::{DateTime, NaiveDateTime, Utc};
use openssl::pkey::Id;
use serde::Serialize;

use super::certificates::pin;
use super::crud::get_connection;
use super::view::read_connection;
use crate::app::AppState;
use crate::db::DbConn;
use crate::saml::metadata::{sp_metadata_xml, SpMetadata};
use crate::sso::keys::{seal_private_key, sp_key_pair, SpKeyPair};
use crate::sso::{SpUrls, SsoError};
use crate::store::sp_keys::{self, NewSpKey};

/// A per-connection SP key pair, both PEMs together; returned re-encoded.
pub(super) fn check_sp_key(
    key: Option<&str>,
    cert: Option<&str>,
) -> Result<Option<(String, String)>, SsoError> {
    let (key, cert) = match (key, cert) {
        (None, None) => return Ok(None),
        (Some(k), Some(c)) => (k, c),
        (Some(_), None) => {
            return Err(SsoError::invalid(
                "sp_certificate_pem",
                "required with sp_private_key_pem",
            ))
        }
        (None, Some(_)) => {
            return Err(SsoError::invalid(
                "sp_private_key_pem",
                "required with sp_certificate_pem",
            ))
        }
    };
    let k = openssl::pkey::PKey::private_key_from_pem(key.as_bytes())
        .map_err(|_| SsoError::invalid("sp_private_key_pem", "not a PEM private key"))?;
    if k.id() != Id::RSA || k.bits() < 2048 {
        return Err(SsoError::invalid(
            "sp_private_key_pem",
            "must be an RSA key of at least 2048 bits (it signs redirect-binding requests)",
        ));
    }
    let pair = SpKeyPair::from_pem(key.as_bytes(), cert.as_bytes())
        .map_err(|e| SsoError::invalid("sp_certificate_pem", e.to_string()))?;
    let enc = |r: Result<Vec<u8>, openssl::error::ErrorStack>, field: &str| {
        r.map(|b| String::from_utf8_lossy(&b).into_owned())
            .map_err(|_| SsoError::invalid(field, "cannot encode"))
    };
    Ok(Some((
        enc(pair.key.private_key_to_pem_pkcs8(), "sp_private_key_pem")?,
        enc(pair.cert.to_pem(), "sp_certificate_pem")?,
    )))
}

pub(super) fn store_sp_key(
    conn: &mut DbConn,
    app: &AppState,
    connection_id: &str,
    pems: &(String, String),
    now: NaiveDateTime,
) -> Result<(), SsoError> {
    sp_keys::delete_sp_key(conn, connection_id)?;
    let id = app.ids.id();
    let sealed = seal_private_key(&app.secrets, &id, &pems.0)?;
    sp_keys::insert_or_get_sp_key(
        conn,
        &NewSpKey {
            id: &id,
            scope: connection_id,
            connection_id: Some(connection_id),
            private_key_sealed: &sealed,
            certificate_pem: &pems.1,
            created_at: now,
        },
    )?;
    Ok(())
}

/// This SP's metadata XML for one connection: entity ID, ACS (HTTP-POST), the SP
/// certificate for encryption, and for signing when the connection signs its requests.
pub async fn sp_metadata(app: &AppState, id: String) -> Result<String, SsoError> {
    let c = read_connection(app, &id).await?;
    let pair = sp_key_pair(app, Some(c.id.clone())).await?;
    let urls = SpUrls::new(&app.links, &c.id);
    sp_metadata_xml(&SpMetadata {
        entity_id: &urls.entity_id,
        acs_url: &urls.acs_url,
        signing_cert: c.sign_authn_requests.then_some(&pair.cert),
        encryption_cert: Some(&pair.cert),
        name_id_format: None,
    })
    .map_err(|e| SsoError::Key(e.to_string()))
}

/// The SP certificate of a connection (its own pair's, else the server-wide one): what
/// an IdP needs to verify signed AuthnRequests and to encrypt assertions, served by the
/// admin API so nobody has to dig it out of the metadata XML.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = SpCertificate)]
pub struct SpCertificateView {
    pub connection_id: String,
    /// `connection` when the connection has its own SP key pair, else `server`.
    pub sp_key: &'static str,
    pub certificate_pem: String,
    pub fingerprint_sha256: String,
    pub not_after: Option<DateTime<Utc>>,
}

/// The SP certificate of connection `id` of organization `org` (404 across orgs).
pub async fn sp_certificate(
    app: &AppState,
    org: String,
    id: String,
) -> Result<SpCertificateView, SsoError> {
    let v = get_connection(app, org, id).await?;
    let pair = sp_key_pair(app, Some(v.id.clone())).await?;
    let pinned = pin("sp_certificate", &pair.cert).map_err(|e| SsoError::Key(e.to_string()))?;
    Ok(SpCertificateView {
        connection_id: v.id,
        sp_key: v.sp_key,
        certificate_pem: pinned.pem,
        fingerprint_sha256: pinned.fingerprint,
        not_after: pinned.not_after.map(|t| t.and_utc()),
    })
}
