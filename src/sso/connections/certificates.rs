//! Pinned IdP signing certificates: reading PEM (or bare base64 DER as metadata carries
//! it), checking the key, fingerprinting, and storing the set of one connection.

use chrono::{DateTime, NaiveDateTime};
use openssl::asn1::Asn1Time;
use openssl::hash::MessageDigest;
use openssl::pkey::Id;
use openssl::x509::X509;

use crate::app::AppState;
use crate::db::DbConn;
use crate::sso::SsoError;
use crate::store::saml_connections::{self as store, NewConnectionCertificate};

/// Most certificates pinned at once on one connection.
pub(super) const MAX_CERTIFICATES: usize = 8;

/// A certificate checked at configuration time.
pub(super) struct PinnedCert {
    pub(super) pem: String,
    pub(super) fingerprint: String,
    pub(super) not_after: Option<NaiveDateTime>,
}

/// Reads one certificate: PEM, or bare base64 DER as metadata carries it.
pub(super) fn pin_certificate(field: &str, text: &str) -> Result<PinnedCert, SsoError> {
    let bad = |m: &str| SsoError::invalid(field, m);
    let cert = if text.contains("-----BEGIN") {
        X509::from_pem(text.as_bytes()).map_err(|_| bad("not a PEM X.509 certificate"))?
    } else {
        use base64::Engine as _;
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map_err(|_| bad("not a PEM X.509 certificate"))?;
        X509::from_der(&der).map_err(|_| bad("not a PEM X.509 certificate"))?
    };
    pin(field, &cert)
}

pub(super) fn pin(field: &str, cert: &X509) -> Result<PinnedCert, SsoError> {
    let bad = |m: &str| SsoError::invalid(field, m);
    let key = cert
        .public_key()
        .map_err(|_| bad("certificate has no usable public key"))?;
    match key.id() {
        Id::RSA if key.bits() < 2048 => return Err(bad("RSA keys must have at least 2048 bits")),
        Id::RSA | Id::EC => {}
        _ => return Err(bad("certificate key must be RSA or EC")),
    }
    let digest = cert
        .digest(MessageDigest::sha256())
        .map_err(|_| bad("cannot fingerprint certificate"))?;
    let fingerprint = digest.iter().map(|b| format!("{b:02x}")).collect();
    let pem = cert
        .to_pem()
        .map_err(|_| bad("cannot encode certificate"))?;
    Ok(PinnedCert {
        pem: String::from_utf8_lossy(&pem).into_owned(),
        fingerprint,
        not_after: asn1_to_naive(cert.not_after()),
    })
}

pub(super) fn asn1_to_naive(t: &openssl::asn1::Asn1TimeRef) -> Option<NaiveDateTime> {
    let epoch = Asn1Time::from_unix(0).ok()?;
    let d = epoch.diff(t).ok()?;
    let secs = i64::from(d.days) * 86_400 + i64::from(d.secs);
    DateTime::from_timestamp(secs, 0).map(|t| t.naive_utc())
}

pub(super) fn check_certs(list: &[String]) -> Result<Vec<PinnedCert>, SsoError> {
    if list.is_empty() {
        return Err(SsoError::invalid(
            "idp_certificates",
            "at least one signing certificate is required",
        ));
    }
    if list.len() > MAX_CERTIFICATES {
        return Err(SsoError::invalid(
            "idp_certificates",
            format!("at most {MAX_CERTIFICATES} certificates"),
        ));
    }
    let mut out: Vec<PinnedCert> = Vec::new();
    for (i, text) in list.iter().enumerate() {
        let c = pin_certificate(&format!("idp_certificates[{i}]"), text)?;
        if !out.iter().any(|o| o.fingerprint == c.fingerprint) {
            out.push(c);
        }
    }
    Ok(out)
}

pub(super) fn insert_certs(
    conn: &mut DbConn,
    app: &AppState,
    connection_id: &str,
    certs: &[PinnedCert],
    now: NaiveDateTime,
) -> Result<(), SsoError> {
    for c in certs {
        let id = app.ids.id();
        store::insert_certificate(
            conn,
            &NewConnectionCertificate {
                id: &id,
                connection_id,
                certificate_pem: &c.pem,
                fingerprint_sha256: &c.fingerprint,
                not_after: c.not_after,
                created_at: now,
            },
        )?;
    }
    Ok(())
}
