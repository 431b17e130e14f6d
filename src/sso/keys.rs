//! The SP key pair that signs AuthnRequests and decrypts EncryptedAssertions.
//!
//! Precedence: a per-connection pair stored in `sp_keys` (scope = connection id), then
//! the server-wide files `saml_sp_key`/`saml_sp_cert` (`PROVISIOND_SAML_SP_KEY`/`_CERT`),
//! then the server-wide pair in the database, generated (RSA-2048, self-signed) on first
//! need. Generation is concurrency-safe across replicas: insert, and on a unique
//! violation take the winner's pair. Stored private keys are sealed (`crate::secrets`,
//! `Purpose::SpPrivateKey` with the row id) and opened here.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use chrono::{DateTime, Utc};

use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::{X509NameBuilder, X509};

use super::SsoError;
use crate::app::AppState;
use crate::config::Config;
use crate::db::run_blocking;
use crate::db::DbConn;
use crate::secrets::{Purpose, SecretKeys};
use crate::store::sp_keys::{self, NewSpKey, SpKeyRow, SERVER_SCOPE};

/// A parsed SP key pair.
#[derive(Clone)]
pub struct SpKeyPair {
    pub key: PKey<Private>,
    pub cert: X509,
}

impl std::fmt::Debug for SpKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SpKeyPair(..)")
    }
}

impl SpKeyPair {
    /// Parses a PEM private key and certificate and checks they belong together.
    pub fn from_pem(key_pem: &[u8], cert_pem: &[u8]) -> Result<SpKeyPair, SsoError> {
        let key = PKey::private_key_from_pem(key_pem)
            .map_err(|_| SsoError::Key("private key is not valid PEM".into()))?;
        let cert = X509::from_pem(cert_pem)
            .map_err(|_| SsoError::Key("certificate is not valid PEM".into()))?;
        let matches = cert
            .public_key()
            .map(|pk| pk.public_eq(&key))
            .unwrap_or(false);
        if !matches {
            return Err(SsoError::Key(
                "certificate does not match the private key".into(),
            ));
        }
        Ok(SpKeyPair { key, cert })
    }

    fn from_row(row: &SpKeyRow, secrets: &SecretKeys) -> Result<SpKeyPair, SsoError> {
        let key_pem = secrets
            .open(Purpose::SpPrivateKey, &row.id, &row.private_key_sealed)
            .map_err(|e| SsoError::Key(e.to_string()))?;
        cached(&key_pem, row.certificate_pem.as_bytes())
    }
}

/// Most parsed pairs kept; beyond that the cache starts over.
const CACHE_CAPACITY: usize = 256;

/// Parsed pairs by SHA-256 of their PEM text. Decoding an RSA key with OpenSSL 3 costs
/// close to a millisecond — more than validating a response — and every login needs the
/// pair. Content-addressed, so a replaced key (new row, new file contents) is never
/// served stale and nothing needs invalidating.
fn cached(key_pem: &[u8], cert_pem: &[u8]) -> Result<SpKeyPair, SsoError> {
    static CACHE: OnceLock<Mutex<HashMap<[u8; 32], SpKeyPair>>> = OnceLock::new();
    let mut h = openssl::sha::Sha256::new();
    h.update(&(key_pem.len() as u64).to_be_bytes());
    h.update(key_pem);
    h.update(cert_pem);
    let id = h.finish();
    let cache = CACHE.get_or_init(Default::default);
    // A poisoned lock only means a panic elsewhere; the map is still a valid cache.
    if let Some(pair) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(&id) {
        return Ok(pair.clone());
    }
    let pair = SpKeyPair::from_pem(key_pem, cert_pem)?;
    let mut map = cache.lock().unwrap_or_else(|p| p.into_inner());
    if map.len() >= CACHE_CAPACITY {
        map.clear();
    }
    map.insert(id, pair.clone());
    Ok(pair)
}

/// Generates an RSA-2048 key and a self-signed certificate valid for ten years from
/// `now`. Returns `(key PEM, certificate PEM)`.
pub fn generate_key_pair(
    common_name: &str,
    now: DateTime<Utc>,
) -> Result<(String, String), openssl::error::ErrorStack> {
    let rsa = Rsa::generate(2048)?;
    let key = PKey::from_rsa(rsa)?;
    let mut name = X509NameBuilder::new()?;
    name.append_entry_by_text("CN", common_name)?;
    let name = name.build();
    let mut serial = BigNum::new()?;
    serial.rand(127, MsbOption::MAYBE_ZERO, false)?;
    let mut b = X509::builder()?;
    b.set_version(2)?;
    let serial = serial.to_asn1_integer()?;
    b.set_serial_number(&serial)?;
    b.set_subject_name(&name)?;
    b.set_issuer_name(&name)?;
    b.set_pubkey(&key)?;
    let start = now.timestamp();
    let not_before = Asn1Time::from_unix(start)?;
    let not_after = Asn1Time::from_unix(start + 3650 * 86_400)?;
    b.set_not_before(&not_before)?;
    b.set_not_after(&not_after)?;
    b.sign(&key, MessageDigest::sha256())?;
    let cert = b.build();
    let key_pem = String::from_utf8_lossy(&key.private_key_to_pem_pkcs8()?).into_owned();
    let cert_pem = String::from_utf8_lossy(&cert.to_pem()?).into_owned();
    Ok((key_pem, cert_pem))
}

fn from_files(key: &Path, cert: &Path) -> Result<SpKeyPair, SsoError> {
    let read = |p: &Path| {
        std::fs::read(p).map_err(|e| SsoError::Key(format!("cannot read {}: {e}", p.display())))
    };
    cached(&read(key)?, &read(cert)?)
}

/// The stored pair that applies without generating: the connection's override, else the
/// configured files, else the server row. `None` when a server pair must be generated.
fn lookup(
    conn: &mut DbConn,
    config: &Config,
    secrets: &SecretKeys,
    connection_id: Option<&str>,
) -> Result<Option<SpKeyPair>, SsoError> {
    if let Some(id) = connection_id {
        if let Some(row) = sp_keys::find_sp_key(conn, id)? {
            return SpKeyPair::from_row(&row, secrets).map(Some);
        }
    }
    if let (Some(k), Some(c)) = (&config.saml_sp_key, &config.saml_sp_cert) {
        return from_files(k, c).map(Some);
    }
    match sp_keys::find_sp_key(conn, SERVER_SCOPE)? {
        Some(row) => SpKeyPair::from_row(&row, secrets).map(Some),
        None => Ok(None),
    }
}

/// The connection's own SP key pair, never a server-wide one: the only key an AES-CBC
/// connection decrypts with (`saml::encryption::DataEncryption`).
pub async fn own_sp_key_pair(
    app: &AppState,
    connection_id: String,
) -> Result<Option<SpKeyPair>, SsoError> {
    let secrets = app.secrets.clone();
    app.db
        .read(
            move |conn| match sp_keys::find_sp_key(conn, &connection_id)? {
                Some(row) => SpKeyPair::from_row(&row, &secrets).map(Some),
                None => Ok(None),
            },
        )
        .await
}

/// The SP key pair for a connection (or the server-wide pair with `None`), generating
/// and storing the server-wide pair at first need.
pub async fn sp_key_pair(
    app: &AppState,
    connection_id: Option<String>,
) -> Result<SpKeyPair, SsoError> {
    let (config, secrets) = (app.config.clone(), app.secrets.clone());
    let found = app
        .db
        .read(move |conn| lookup(conn, &config, &secrets, connection_id.as_deref()))
        .await?;
    if let Some(pair) = found {
        return Ok(pair);
    }
    ensure_server_key(app).await
}

/// Generates the server-wide pair unless one is stored; returns the stored one.
pub async fn ensure_server_key(app: &AppState) -> Result<SpKeyPair, SsoError> {
    let now = app.now();
    let (key_pem, cert_pem) = run_blocking(move || {
        generate_key_pair("provisiond SAML SP", now).map_err(|e| SsoError::Key(e.to_string()))
    })
    .await?;
    let id = app.ids.id();
    let sealed = app
        .secrets
        .seal(Purpose::SpPrivateKey, &id, key_pem.as_bytes())
        .map_err(|e| SsoError::Key(e.to_string()))?;
    let now = now.naive_utc();
    let row = app
        .db
        .write(move |conn| {
            Ok::<_, SsoError>(sp_keys::insert_or_get_sp_key(
                conn,
                &NewSpKey {
                    id: &id,
                    scope: SERVER_SCOPE,
                    connection_id: None,
                    private_key_sealed: &sealed,
                    certificate_pem: &cert_pem,
                    created_at: now,
                },
            )?)
        })
        .await?;
    SpKeyPair::from_row(&row, &app.secrets)
}

/// Seals a PEM private key for the `sp_keys` row `row_id` (per-connection overrides).
pub fn seal_private_key(
    secrets: &SecretKeys,
    row_id: &str,
    key_pem: &str,
) -> Result<String, SsoError> {
    secrets
        .seal(Purpose::SpPrivateKey, row_id, key_pem.as_bytes())
        .map_err(|e| SsoError::Key(e.to_string()))
}
