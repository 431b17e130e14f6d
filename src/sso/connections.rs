//! SAML connections: one organization's IdP, created from IdP metadata XML or from
//! fields, with its pinned signing certificates (several at once for rollover) and login
//! policy. Validation errors name the field; every change is recorded as
//! `connection.created/updated/deleted`.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use openssl::asn1::Asn1Time;
use openssl::hash::MessageDigest;
use openssl::pkey::Id;
use openssl::x509::X509;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::json;

use super::keys::{sp_key_pair, SpKeyPair};
use super::redirects::require_allowed;
use super::{SpUrls, SsoError};
use crate::app::AppState;
use crate::changes::{record_change, Actor, Change, ChangeContext};
use crate::db::DbConn;
use crate::domain::EventType;
use crate::jit::mapping::{preset_names, Preset};
use crate::saml::encryption::DataEncryption;
use crate::saml::metadata::{parse_idp_metadata, sp_metadata_xml, SpMetadata};
use crate::saml::xml::Limits;
use crate::store::orgs;
use crate::store::roles;
use crate::store::saml_connections::{
    self as store, ConnectionCertificate, NewConnectionCertificate, NewSamlConnection,
    SamlConnection, SamlConnectionChanges,
};
use crate::store::sp_keys::{self, NewSpKey};
use crate::store::StoreError;

/// Keys `attribute_mapping` may set: provisiond's profile field → the IdP attribute Name
/// (the fields `jit::mapping` fills; a test keeps the two lists equal).
pub const MAPPABLE_ATTRIBUTES: &[&str] = &[
    "email",
    "user_name",
    "given_name",
    "family_name",
    "display_name",
    "groups",
    "department",
    "title",
    "employee_number",
    "manager",
];
/// Largest accepted clock skew.
const MAX_CLOCK_SKEW_SECS: i32 = 600;
const DEFAULT_CLOCK_SKEW_SECS: i32 = 180;
/// Most certificates pinned at once on one connection.
const MAX_CERTIFICATES: usize = 8;

fn default_allow_idp_initiated() -> bool {
    true
}

#[derive(Debug, Default, Deserialize)]
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

#[derive(Debug, Default, Deserialize)]
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

#[derive(Debug, Clone, Serialize)]
pub struct CertificateView {
    pub id: String,
    pub fingerprint_sha256: String,
    pub not_after: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
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

/// A certificate checked at configuration time.
struct PinnedCert {
    pem: String,
    fingerprint: String,
    not_after: Option<NaiveDateTime>,
}

/// IdP settings after metadata or fields were read.
struct IdpSettings {
    entity_id: String,
    sso_redirect_url: Option<String>,
    sso_post_url: Option<String>,
    certs: Vec<PinnedCert>,
    want_signed_requests: bool,
}

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

fn view(
    public_url: &str,
    c: SamlConnection,
    certs: Vec<ConnectionCertificate>,
    own_sp_key: bool,
) -> Result<ConnectionView, StoreError> {
    let urls = SpUrls::new(public_url, &c.id);
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

/// Reads one certificate: PEM, or bare base64 DER as metadata carries it.
fn pin_certificate(field: &str, text: &str) -> Result<PinnedCert, SsoError> {
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

fn pin(field: &str, cert: &X509) -> Result<PinnedCert, SsoError> {
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

fn asn1_to_naive(t: &openssl::asn1::Asn1TimeRef) -> Option<NaiveDateTime> {
    let epoch = Asn1Time::from_unix(0).ok()?;
    let d = epoch.diff(t).ok()?;
    let secs = i64::from(d.days) * 86_400 + i64::from(d.secs);
    DateTime::from_timestamp(secs, 0).map(|t| t.naive_utc())
}

fn check_url(field: &str, value: &str) -> Result<String, SsoError> {
    let v = value.trim();
    match url::Url::parse(v) {
        Ok(u) if matches!(u.scheme(), "https" | "http") && u.host().is_some() => Ok(v.to_owned()),
        _ => Err(SsoError::invalid(field, "must be an absolute http(s) URL")),
    }
}

fn check_entity_id(value: &str) -> Result<String, SsoError> {
    let v = value.trim();
    if v.is_empty() || v.len() > 1024 {
        return Err(SsoError::invalid(
            "idp_entity_id",
            "must be 1 to 1024 characters",
        ));
    }
    Ok(v.to_owned())
}

fn check_certs(list: &[String]) -> Result<Vec<PinnedCert>, SsoError> {
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

fn from_metadata(xml: &str) -> Result<IdpSettings, SsoError> {
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

fn check_attribute_mapping(m: &BTreeMap<String, String>) -> Result<(), SsoError> {
    for (k, v) in m {
        if !MAPPABLE_ATTRIBUTES.contains(&k.as_str()) {
            return Err(SsoError::invalid(
                format!("attribute_mapping.{k}"),
                format!("unknown field; one of {}", MAPPABLE_ATTRIBUTES.join(", ")),
            ));
        }
        if v.trim().is_empty() || v.len() > 1024 {
            return Err(SsoError::invalid(
                format!("attribute_mapping.{k}"),
                "must name an IdP attribute (1 to 1024 characters)",
            ));
        }
    }
    Ok(())
}

fn check_attribute_preset(name: &str) -> Result<Preset, SsoError> {
    Preset::parse(name).ok_or_else(|| {
        SsoError::invalid(
            "attribute_preset",
            format!("unknown preset; one of {}", preset_names().join(", ")),
        )
    })
}

fn check_data_encryption(name: &str) -> Result<DataEncryption, SsoError> {
    DataEncryption::parse(name)
        .ok_or_else(|| SsoError::invalid("data_encryption", "unknown; one of aes-gcm, aes-cbc"))
}

/// One SP key never unwraps keys for both families (`DataEncryption`): the server-wide
/// key serves every AES-GCM connection, so AES-CBC needs the connection's own pair.
fn require_own_key_for_cbc(family: DataEncryption, own_key: bool) -> Result<(), SsoError> {
    if family == DataEncryption::AesCbc && !own_key {
        return Err(SsoError::invalid(
            "data_encryption",
            "aes-cbc needs this connection's own SP key pair (sp_private_key_pem and \
             sp_certificate_pem): the server-wide key also decrypts for aes-gcm connections",
        ));
    }
    Ok(())
}

fn check_skew(s: Option<i32>) -> Result<Option<i32>, SsoError> {
    match s {
        Some(v) if !(0..=MAX_CLOCK_SKEW_SECS).contains(&v) => Err(SsoError::invalid(
            "clock_skew_secs",
            format!("must be between 0 and {MAX_CLOCK_SKEW_SECS}"),
        )),
        other => Ok(other),
    }
}

/// Every group→role target must be a role of this organization, and none privileged
/// unless the organization allows privileged roles from the IdP (design invariant 4).
fn check_group_roles(
    conn: &mut DbConn,
    org: &orgs::Organization,
    m: &BTreeMap<String, String>,
) -> Result<(), SsoError> {
    for (group, role) in m {
        let field = format!("group_role_mapping.{group}");
        if group.is_empty() || group.len() > 1024 {
            return Err(SsoError::invalid(
                field,
                "group names are 1 to 1024 characters",
            ));
        }
        let Some(r) = roles::find_role(conn, &org.id, role)? else {
            return Err(SsoError::invalid(
                field,
                format!("no role `{role}` in this organization"),
            ));
        };
        if r.privileged && !org.allow_privileged_from_idp {
            return Err(SsoError::invalid(
                field,
                format!(
                    "role `{role}` is privileged and the organization does not allow \
                     privileged roles from the IdP"
                ),
            ));
        }
    }
    Ok(())
}

/// IdP settings from metadata or from fields (not both); errors say what is missing.
fn idp_settings(
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

fn insert_certs(
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

/// A per-connection SP key pair, both PEMs together; returned re-encoded.
fn check_sp_key(
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

fn store_sp_key(
    conn: &mut DbConn,
    app: &AppState,
    connection_id: &str,
    pems: &(String, String),
    now: NaiveDateTime,
) -> Result<(), SsoError> {
    sp_keys::delete_sp_key(conn, connection_id)?;
    let id = app.ids.id();
    let sealed = super::keys::seal_private_key(&app.secrets, &id, &pems.0)?;
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

fn entity_conflict(e: StoreError, entity_id: &str) -> SsoError {
    match e {
        StoreError::UniqueViolation(_) => SsoError::Conflict {
            field: Some("idp_entity_id"),
            message: format!("this organization already has a connection for IdP `{entity_id}`"),
        },
        other => SsoError::Store(other),
    }
}

fn load_org(conn: &mut DbConn, org: &str) -> Result<orgs::Organization, SsoError> {
    orgs::find_organization(conn, org)?.ok_or(SsoError::NotFound("organization"))
}

fn load_view(
    conn: &mut DbConn,
    public_url: &str,
    org_id: &str,
    id: &str,
) -> Result<ConnectionView, SsoError> {
    let c = store::find_connection_in_org(conn, org_id, id)?
        .ok_or(SsoError::NotFound("saml connection"))?;
    let certs = store::list_certificates(conn, &c.id)?;
    let own = sp_keys::find_sp_key(conn, &c.id)?.is_some();
    Ok(view(public_url, c, certs, own)?)
}

fn record(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    event_type: EventType,
    v: &ConnectionView,
) -> Result<i64, SsoError> {
    Ok(record_change(
        conn,
        ctx,
        &Change {
            event_type,
            organization_id: Some(&v.organization_id),
            subject_type: "saml_connection",
            subject_id: &v.id,
            data: json!({ "connection": v }),
        },
    )?)
}

/// The IdP metadata XML given inline, or fetched from `idp_metadata_url` through the
/// outbound guard (no internal addresses unless allowed, no redirects, bounded size): the
/// URL an IdP console shows can be pasted as is. Errors name the field and stay coarse.
async fn metadata_xml(
    app: &AppState,
    inline: Option<String>,
    url: Option<String>,
) -> Result<Option<String>, SsoError> {
    let Some(url) = url else {
        return Ok(inline);
    };
    if inline.is_some() {
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
    String::from_utf8(response.body)
        .map(Some)
        .map_err(|_| SsoError::invalid("idp_metadata_url", "the answer is not UTF-8 text"))
}

pub async fn create_connection(
    app: &AppState,
    actor: &Actor,
    request_id: Option<String>,
    org: String,
    mut input: CreateConnection,
) -> Result<ConnectionView, SsoError> {
    input.idp_metadata_xml = metadata_xml(
        app,
        input.idp_metadata_xml.take(),
        input.idp_metadata_url.take(),
    )
    .await?;
    let idp = idp_settings(
        input.idp_metadata_xml.as_deref(),
        input.idp_entity_id.as_deref(),
        input.idp_sso_url.as_deref(),
        input.idp_certificates.as_deref(),
    )?;
    check_attribute_mapping(&input.attribute_mapping)?;
    let preset = input
        .attribute_preset
        .as_deref()
        .map(check_attribute_preset)
        .transpose()?
        .unwrap_or_default();
    let skew = check_skew(input.clock_skew_secs)?.unwrap_or(DEFAULT_CLOCK_SKEW_SECS);
    let redirect = input
        .default_redirect_uri
        .as_deref()
        .map(|u| check_url("default_redirect_uri", u))
        .transpose()?;
    if let Some(u) = &redirect {
        require_allowed(app, "default_redirect_uri", u).await?;
    }
    let sp_key = check_sp_key(
        input.sp_private_key_pem.as_deref(),
        input.sp_certificate_pem.as_deref(),
    )?;
    let family = input
        .data_encryption
        .as_deref()
        .map(check_data_encryption)
        .transpose()?
        .unwrap_or_default();
    require_own_key_for_cbc(family, sp_key.is_some())?;
    let attribute_mapping = json!(input.attribute_mapping).to_string();
    let group_role_mapping = json!(input.group_role_mapping).to_string();
    let (app2, actor) = (app.clone(), actor.clone());
    app.db
        .write(move |conn| {
            let org = load_org(conn, &org)?;
            check_group_roles(conn, &org, &input.group_role_mapping)?;
            let ctx = ChangeContext::new(&app2, &actor, request_id.as_deref());
            let now = ctx.now.naive_utc();
            let id = app2.ids.id();
            store::insert_connection(
                conn,
                &NewSamlConnection {
                    id: &id,
                    organization_id: &org.id,
                    idp_entity_id: &idp.entity_id,
                    idp_sso_redirect_url: idp.sso_redirect_url.as_deref(),
                    idp_sso_post_url: idp.sso_post_url.as_deref(),
                    attribute_mapping: &attribute_mapping,
                    group_role_mapping: &group_role_mapping,
                    allow_idp_initiated: input.allow_idp_initiated,
                    default_redirect_uri: redirect.as_deref(),
                    require_signed_assertion: input.require_signed_assertion,
                    allow_sha1: input.allow_sha1,
                    sign_authn_requests: input
                        .sign_authn_requests
                        .unwrap_or(idp.want_signed_requests),
                    clock_skew_secs: skew,
                    created_at: now,
                    updated_at: now,
                },
            )
            .map_err(|e| entity_conflict(e, &idp.entity_id))?;
            if preset != Preset::Default || family != DataEncryption::default() {
                // The columns default to `default` and `aes-gcm`; `NewSamlConnection`
                // leaves them out so callers that insert connections directly need not
                // know about them.
                store::update_connection(
                    conn,
                    &id,
                    &SamlConnectionChanges {
                        attribute_preset: Some(preset.as_str().to_owned()),
                        data_encryption: Some(family.as_str().to_owned()),
                        ..Default::default()
                    },
                )?;
            }
            insert_certs(conn, &app2, &id, &idp.certs, now)?;
            if let Some(pems) = &sp_key {
                store_sp_key(conn, &app2, &id, pems, now)?;
            }
            let v = load_view(conn, &app2.config.public_url, &org.id, &id)?;
            record(conn, &ctx, EventType::ConnectionCreated, &v)?;
            Ok(v)
        })
        .await
}

pub async fn list_connections(
    app: &AppState,
    org: String,
) -> Result<Vec<ConnectionView>, SsoError> {
    let public_url = app.config.public_url.clone();
    app.db
        .read(move |conn| {
            let org = load_org(conn, &org)?;
            let mut out = Vec::new();
            for c in store::list_connections(conn, &org.id)? {
                let certs = store::list_certificates(conn, &c.id)?;
                let own = sp_keys::find_sp_key(conn, &c.id)?.is_some();
                out.push(view(&public_url, c, certs, own)?);
            }
            Ok(out)
        })
        .await
}

pub async fn get_connection(
    app: &AppState,
    org: String,
    id: String,
) -> Result<ConnectionView, SsoError> {
    let public_url = app.config.public_url.clone();
    app.db
        .read(move |conn| {
            let org = load_org(conn, &org)?;
            load_view(conn, &public_url, &org.id, &id)
        })
        .await
}

pub async fn update_connection(
    app: &AppState,
    actor: &Actor,
    request_id: Option<String>,
    org: String,
    id: String,
    mut input: UpdateConnection,
) -> Result<ConnectionView, SsoError> {
    input.idp_metadata_xml = metadata_xml(
        app,
        input.idp_metadata_xml.take(),
        input.idp_metadata_url.take(),
    )
    .await?;
    let idp = if input.idp_metadata_xml.is_some() {
        Some(idp_settings(
            input.idp_metadata_xml.as_deref(),
            input.idp_entity_id.as_deref(),
            input.idp_sso_url.as_deref(),
            input.idp_certificates.as_deref(),
        )?)
    } else {
        None
    };
    let entity_id = input
        .idp_entity_id
        .as_deref()
        .map(check_entity_id)
        .transpose()?;
    let sso_url = input
        .idp_sso_url
        .as_deref()
        .map(|u| check_url("idp_sso_url", u))
        .transpose()?;
    let certs = input
        .idp_certificates
        .as_deref()
        .map(check_certs)
        .transpose()?;
    if let Some(m) = &input.attribute_mapping {
        check_attribute_mapping(m)?;
    }
    let preset = input
        .attribute_preset
        .as_deref()
        .map(check_attribute_preset)
        .transpose()?;
    let skew = check_skew(input.clock_skew_secs)?;
    let sp_key = check_sp_key(
        input.sp_private_key_pem.as_deref(),
        input.sp_certificate_pem.as_deref(),
    )?;
    let family = input
        .data_encryption
        .as_deref()
        .map(check_data_encryption)
        .transpose()?;
    let redirect = match &input.default_redirect_uri {
        Some(Some(u)) => Some(Some(check_url("default_redirect_uri", u)?)),
        Some(None) => Some(None),
        None => None,
    };
    if let Some(Some(u)) = &redirect {
        require_allowed(app, "default_redirect_uri", u).await?;
    }
    let (app2, actor) = (app.clone(), actor.clone());
    app.db
        .write(move |conn| {
            let org = load_org(conn, &org)?;
            let current = store::find_connection_in_org(conn, &org.id, &id)?
                .ok_or(SsoError::NotFound("saml connection"))?;
            if let Some(m) = &input.group_role_mapping {
                check_group_roles(conn, &org, m)?;
            }
            let had_own_key = sp_keys::find_sp_key(conn, &current.id)?.is_some();
            let current_family = parse_data_encryption(&current.data_encryption)?;
            let new_family = family.unwrap_or(current_family);
            require_own_key_for_cbc(new_family, had_own_key || sp_key.is_some())?;
            if new_family != current_family && had_own_key && sp_key.is_none() {
                // The key has unwrapped keys for the other family; switching it over
                // would let old ciphertexts meet the new family's decryption.
                return Err(SsoError::invalid(
                    "data_encryption",
                    "changing it needs a new SP key pair for this connection in the same \
                     request (sp_private_key_pem and sp_certificate_pem)",
                ));
            }
            let ctx = ChangeContext::new(&app2, &actor, request_id.as_deref());
            let now = ctx.now.naive_utc();
            let mut changes = SamlConnectionChanges {
                idp_entity_id: entity_id,
                idp_sso_redirect_url: sso_url.map(Some),
                attribute_mapping: input
                    .attribute_mapping
                    .as_ref()
                    .map(|m| json!(m).to_string()),
                group_role_mapping: input
                    .group_role_mapping
                    .as_ref()
                    .map(|m| json!(m).to_string()),
                allow_idp_initiated: input.allow_idp_initiated,
                default_redirect_uri: redirect,
                require_signed_assertion: input.require_signed_assertion,
                allow_sha1: input.allow_sha1,
                sign_authn_requests: input.sign_authn_requests,
                clock_skew_secs: skew,
                updated_at: Some(now),
                attribute_preset: preset.map(|p| p.as_str().to_owned()),
                data_encryption: family.map(|f| f.as_str().to_owned()),
                ..Default::default()
            };
            let mut new_certs = certs;
            if let Some(idp) = idp {
                changes.idp_entity_id = Some(idp.entity_id);
                changes.idp_sso_redirect_url = Some(idp.sso_redirect_url);
                changes.idp_sso_post_url = Some(idp.sso_post_url);
                new_certs = Some(idp.certs);
            }
            let shown_entity = changes
                .idp_entity_id
                .clone()
                .unwrap_or_else(|| current.idp_entity_id.clone());
            store::update_connection(conn, &current.id, &changes)
                .map_err(|e| entity_conflict(e, &shown_entity))?;
            if let Some(certs) = new_certs {
                store::delete_certificates(conn, &current.id)?;
                insert_certs(conn, &app2, &current.id, &certs, now)?;
            }
            if let Some(pems) = &sp_key {
                store_sp_key(conn, &app2, &current.id, pems, now)?;
            }
            let v = load_view(conn, &app2.config.public_url, &org.id, &current.id)?;
            record(conn, &ctx, EventType::ConnectionUpdated, &v)?;
            Ok(v)
        })
        .await
}

pub async fn delete_connection(
    app: &AppState,
    actor: &Actor,
    request_id: Option<String>,
    org: String,
    id: String,
) -> Result<(), SsoError> {
    let (app2, actor) = (app.clone(), actor.clone());
    app.db
        .write(move |conn| {
            let org = load_org(conn, &org)?;
            let v = load_view(conn, &app2.config.public_url, &org.id, &id)?;
            store::delete_connection(conn, &v.id)?;
            let ctx = ChangeContext::new(&app2, &actor, request_id.as_deref());
            record(conn, &ctx, EventType::ConnectionDeleted, &v)?;
            Ok(())
        })
        .await
}

/// This SP's metadata XML for one connection: entity ID, ACS (HTTP-POST), the SP
/// certificate for encryption, and for signing when the connection signs its requests.
pub async fn sp_metadata(app: &AppState, id: String) -> Result<String, SsoError> {
    let lookup = id.clone();
    let c = app
        .db
        .read(move |conn| {
            store::find_connection(conn, &lookup)?.ok_or(SsoError::NotFound("saml connection"))
        })
        .await?;
    let pair = sp_key_pair(app, Some(c.id.clone())).await?;
    let urls = SpUrls::new(&app.config.public_url, &c.id);
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
#[derive(Debug, Clone, Serialize)]
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jit::mapping::Field;

    #[test]
    fn mappable_attributes_are_the_mapper_fields() {
        let fields: Vec<&str> = Field::ALL.iter().map(|f| f.key()).collect();
        assert_eq!(MAPPABLE_ATTRIBUTES, fields.as_slice());
    }
}
