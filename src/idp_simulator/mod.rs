//! The development IdP simulator (`PROVISIOND_DEV_IDP_SIMULATOR=true`, off by default):
//! a SAML IdP built into provisiond so a login can be walked end to end on a laptop,
//! in a browser or with curl, without a real IdP.
//!
//! It is an IdP like any other as far as the login path knows: it publishes metadata
//! (`/dev/idp/metadata`: entity ID, an HTTP-Redirect SSO URL, its signing certificate), a
//! connection is created from that metadata through the ordinary admin API, and its
//! Responses are signed with its own key (RSA-SHA256, exclusive c14n) and pass the same
//! verification as any IdP's. Nothing in `sso/`, `saml/` or `jit/` knows it exists.
//!
//! - [`request`]: reading the AuthnRequest of the HTTP-Redirect binding;
//! - [`response`]: writing the signed Response;
//! - [`pages`]: the form where the developer types who signs in, the auto-submitting
//!   POST to the ACS, and the demo callback page;
//! - [`http`]: the routes, mounted only when the setting is on.
//!
//! Anyone who can reach the simulator can sign in as anyone to every organization whose
//! connection trusts its certificate; that is why it is off by default, refused with an
//! `https` public URL (see `config.rs`), and logged loudly at start.

pub mod http;
pub mod pages;
pub mod request;
pub mod response;

use base64::Engine as _;
use openssl::pkey::{PKey, Private};
use openssl::x509::X509;

use crate::app::AppState;
use crate::db::{run_blocking, DbError};
use crate::saml::metadata::{BINDING_REDIRECT, MD_NS};
use crate::saml::xml::escape;
use crate::secrets::Purpose;
use crate::sso::keys::generate_key_pair;
use crate::store::idp_simulator_keys::{find_simulator_key, insert_or_get_simulator_key, ROW_ID};
use crate::store::StoreError;

/// Why the simulator could not answer.
#[derive(Debug, thiserror::Error)]
pub enum SimulatorError {
    /// The AuthnRequest (or the form) was refused; the message is for the developer.
    #[error("{0}")]
    BadRequest(String),
    /// The signing key could not be generated, loaded or used.
    #[error("simulator key: {0}")]
    Key(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The simulator's signing pair.
#[derive(Clone)]
pub struct SimulatorKey {
    pub key: PKey<Private>,
    pub cert: X509,
}

impl std::fmt::Debug for SimulatorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SimulatorKey(..)")
    }
}

/// The simulator's entity ID.
pub fn entity_id(public_url: &str) -> String {
    format!("{public_url}/dev/idp")
}

/// The simulator's key pair: generated (RSA-2048, self-signed) at first need and kept in
/// the database, so the certificate pinned on its connections survives restarts and is
/// shared by replicas.
pub async fn simulator_key(app: &AppState) -> Result<SimulatorKey, SimulatorError> {
    if let Some(row) = app
        .db
        .read(|c| Ok::<_, SimulatorError>(find_simulator_key(c)?))
        .await?
    {
        return parse(app, &row.private_key_pem, &row.certificate_pem);
    }
    let now = app.now();
    let (key_pem, cert_pem) = run_blocking(move || {
        generate_key_pair("provisiond development IdP simulator", now)
            .map_err(|e| SimulatorError::Key(e.to_string()))
    })
    .await?;
    let sealed = app
        .secrets
        .seal_str(Purpose::IdpSimulatorKey, ROW_ID, &key_pem)
        .map_err(|e| SimulatorError::Key(e.to_string()))?;
    let row = app
        .db
        .write(move |c| {
            Ok::<_, SimulatorError>(insert_or_get_simulator_key(
                c,
                &sealed,
                &cert_pem,
                now.naive_utc(),
            )?)
        })
        .await?;
    parse(app, &row.private_key_pem, &row.certificate_pem)
}

/// Opens the stored (sealed) private key and parses the pair.
fn parse(app: &AppState, sealed_key: &str, cert_pem: &str) -> Result<SimulatorKey, SimulatorError> {
    let key_pem = app
        .secrets
        .open(Purpose::IdpSimulatorKey, ROW_ID, sealed_key)
        .map_err(|e| SimulatorError::Key(e.to_string()))?;
    let key = PKey::private_key_from_pem(&key_pem)
        .map_err(|_| SimulatorError::Key("stored private key is not valid PEM".into()))?;
    let cert = X509::from_pem(cert_pem.as_bytes())
        .map_err(|_| SimulatorError::Key("stored certificate is not valid PEM".into()))?;
    Ok(SimulatorKey { key, cert })
}

/// The simulator's IdP metadata (SAML Metadata §2.4.3 IDPSSODescriptor): what an admin
/// gives `POST /admin/v1/organizations/{org}/saml-connections` as `idp_metadata_xml`.
pub fn metadata_xml(
    public_url: &str,
    sso_url: &str,
    cert: &X509,
) -> Result<String, SimulatorError> {
    let der = cert
        .to_der()
        .map_err(|e| SimulatorError::Key(e.to_string()))?;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    Ok(format!(
        "<md:EntityDescriptor xmlns:md=\"{MD_NS}\" entityID=\"{entity}\">\
         <md:IDPSSODescriptor WantAuthnRequestsSigned=\"false\" \
         protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\
         <md:KeyDescriptor use=\"signing\"><ds:KeyInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">\
         <ds:X509Data><ds:X509Certificate>{b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>\
         </md:KeyDescriptor>\
         <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>\
         <md:SingleSignOnService Binding=\"{BINDING_REDIRECT}\" Location=\"{sso}\"/>\
         </md:IDPSSODescriptor></md:EntityDescriptor>\n",
        entity = escape(&entity_id(public_url)),
        sso = escape(sso_url),
    ))
}
