//! Starting a login (a pending AuthnRequest, HTTP-Redirect binding) and consuming the
//! IdP's Response: the request is single use, the assertion is accepted at most once on
//! any replica (design invariant 7).
//!
//! Order in [`validate_and_consume`]: read the connection and the pending request, run the
//! pure validator (no transaction held during RSA work), then one write transaction that
//! inserts the assertion id into the replay cache (a unique violation = replay) and marks
//! the request consumed with a conditional UPDATE. Expired rows are purged afterwards in a
//! separate best-effort transaction. Nothing is consumed by a Response that
//! fails validation, so a forged Response carrying a victim's request id (visible in the
//! browser) cannot burn that login.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use openssl::x509::X509;

use super::connections::{parse_data_encryption, parse_map, parse_preset, read_connection};
use super::keys::{own_sp_key_pair, sp_key_pair};
use super::{SpUrls, SsoError};
use crate::app::AppState;
use crate::db::run_blocking;
use crate::jit::mapping::Preset;
use crate::saml::authn_request::{redirect_url, AuthnRequest};
use crate::saml::encryption::DataEncryption;
use crate::saml::response::{
    decode_post_binding, validate_parsed, ParsedResponse, ResponseConfig, ValidatedAssertion,
};
use crate::saml::xml::Limits;
use crate::store::authn_requests::{self, NewAuthnRequest, PendingAuthnRequest};
use crate::store::replay::{self, NewReplayEntry};
use crate::store::saml_connections::{self as store, SamlConnection};
use crate::store::sso_codes;
use crate::store::StoreError;

/// How long a pending AuthnRequest may be answered.
pub const PENDING_REQUEST_TTL: Duration = Duration::minutes(10);
/// Longest RelayState accepted (Bindings §3.4.3: 80 bytes SHOULD; we allow more, bounded).
const MAX_RELAY_STATE: usize = 1024;

/// The pending request a Response answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestInfo {
    pub id: String,
    pub relay_state: Option<String>,
    pub redirect_uri: Option<String>,
    /// The hash of the browser binding the request was started with (checked by the ACS).
    pub browser_binding_hash: Option<String>,
}

/// What the ACS needs about the connection a Response was accepted for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionInfo {
    pub id: String,
    pub organization_id: String,
    pub idp_entity_id: String,
    pub attribute_preset: Preset,
    pub attribute_mapping: BTreeMap<String, String>,
    pub group_role_mapping: BTreeMap<String, String>,
    pub allow_idp_initiated: bool,
    pub default_redirect_uri: Option<String>,
    /// The AuthnRequest answered (SP-initiated), `None` for IdP-initiated.
    pub authn_request: Option<RequestInfo>,
}

/// A started login: where to send the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthnStart {
    pub request_id: String,
    pub redirect_url: String,
}

fn load_connection(
    conn: &mut crate::db::DbConn,
    id: &str,
) -> Result<(SamlConnection, Vec<X509>), SsoError> {
    let c = store::find_connection(conn, id)?.ok_or(SsoError::NotFound("saml connection"))?;
    let mut certs = Vec::new();
    for row in store::list_certificates(conn, &c.id)? {
        let cert = X509::from_pem(row.certificate_pem.as_bytes())
            .map_err(|_| StoreError::Corrupt(format!("certificate {}", row.id)))?;
        certs.push(cert);
    }
    Ok((c, certs))
}

/// Housekeeping after a login step, in its own short transaction so it never holds up or
/// fails a login: deletes expired replay-cache rows, pending requests and one-time codes.
/// Best effort.
async fn purge_expired(app: &AppState, now: DateTime<Utc>) {
    let at = now.naive_utc();
    let purged = app
        .db
        .write(move |conn| {
            let r = replay::purge_expired_replay_entries(conn, at)?;
            let q = authn_requests::purge_expired_requests(conn, at)?;
            let c = sso_codes::purge_expired_codes(conn, at)?;
            Ok::<_, SsoError>((r, q, c))
        })
        .await;
    if let Err(e) = purged {
        tracing::warn!(error.kind = e.kind(), error = %e, "purging expired SAML state failed");
    }
}

/// Starts an SP-initiated login: stores a pending request (single use, expiring after
/// [`PENDING_REQUEST_TTL`]) and returns the IdP redirect URL (signed when the connection
/// signs its requests). `redirect_uri` is kept for the ACS; check it against the allowed
/// list before calling. `browser_binding_hash` ties the request to the browser that
/// started it (see [`super::binding`]).
pub async fn start_authn_request(
    app: &AppState,
    connection_id: &str,
    relay_state: Option<String>,
    redirect_uri: Option<String>,
    browser_binding_hash: Option<String>,
) -> Result<AuthnStart, SsoError> {
    if relay_state
        .as_ref()
        .is_some_and(|r| r.len() > MAX_RELAY_STATE)
    {
        return Err(SsoError::invalid(
            "relay_state",
            format!("at most {MAX_RELAY_STATE} bytes"),
        ));
    }
    let c = read_connection(app, connection_id).await?;
    let destination = c
        .idp_sso_redirect_url
        .clone()
        .ok_or(SsoError::NoRedirectBinding)?;
    let key = if c.sign_authn_requests {
        Some(sp_key_pair(app, Some(c.id.clone())).await?.key)
    } else {
        None
    };
    let now = app.now();
    // `_` + base64url: an NCName (xs:ID), 144 bits of randomness.
    let request_id = format!("_{}", app.ids.secret(18));
    let urls = SpUrls::new(&app.links, &c.id);
    let xml = AuthnRequest {
        id: &request_id,
        issue_instant: now,
        destination: &destination,
        acs_url: &urls.acs_url,
        sp_entity_id: &urls.entity_id,
        name_id_format: None,
        force_authn: false,
    }
    .to_xml()
    .map_err(|e| SsoError::Key(e.to_string()))?;
    let rs = relay_state.clone();
    let url = run_blocking(move || {
        redirect_url(&destination, &xml, rs.as_deref(), key.as_ref())
            .map_err(|e| SsoError::Key(e.to_string()))
    })
    .await?;
    let id = request_id.clone();
    app.db
        .write(move |conn| {
            authn_requests::insert_authn_request(
                conn,
                &NewAuthnRequest {
                    id: &id,
                    connection_id: &c.id,
                    relay_state: relay_state.as_deref(),
                    redirect_uri: redirect_uri.as_deref(),
                    created_at: now.naive_utc(),
                    expires_at: (now + PENDING_REQUEST_TTL).naive_utc(),
                    browser_binding_hash: browser_binding_hash.as_deref(),
                },
            )?;
            Ok::<_, SsoError>(())
        })
        .await?;
    purge_expired(app, now).await;
    Ok(AuthnStart {
        request_id,
        redirect_url: url,
    })
}

/// Verifies a `SAMLResponse` (HTTP-POST binding value, base64) for `connection_id` at
/// `now`, consumes the pending AuthnRequest it answers, and records the assertion in the
/// replay cache. Returns the verified assertion and the connection's settings.
///
/// Errors: [`SsoError::Response`] (validation, with its own kind),
/// [`SsoError::UnknownRequest`] (InResponseTo names no pending request of this
/// connection: unknown, expired or used), [`SsoError::IdpInitiatedNotAllowed`],
/// [`SsoError::Replayed`], [`SsoError::NotFound`] for an unknown connection.
pub async fn validate_and_consume(
    app: &AppState,
    connection_id: &str,
    saml_response_b64: &str,
    now: DateTime<Utc>,
) -> Result<(ValidatedAssertion, ConnectionInfo), SsoError> {
    let limits = Limits {
        max_bytes: app.config.saml_max_response_bytes,
        ..Limits::default()
    };
    // Decoded and parsed once, on the blocking pool (never on an actix worker: a large
    // document costs milliseconds); the validator below works on this same tree.
    let b64 = saml_response_b64.to_owned();
    let parsed = run_blocking(move || {
        let xml = decode_post_binding(&b64, limits.max_bytes)?;
        Ok::<_, SsoError>(ParsedResponse::parse(&xml, &limits))
    })
    .await?;
    // Unverified: only a lookup key; the validator checks it against the signed content.
    // A document that does not parse looks up nothing and fails validation below.
    let claimed = parsed
        .as_ref()
        .ok()
        .and_then(|p| p.claimed_in_response_to().map(str::to_owned));

    let lookup = connection_id.to_owned();
    let (c, idp_certs, pending) = app
        .db
        .read(move |conn| {
            let (c, certs) = load_connection(conn, &lookup)?;
            let pending: Option<PendingAuthnRequest> = match &claimed {
                // A consumed request still goes on: a replayed Response then fails on the
                // replay cache (kind `replayed`), another Response on the consume step.
                Some(req) => match authn_requests::find_request(conn, &c.id, req)? {
                    Some(p) if p.expires_at > now.naive_utc() => Some(p),
                    _ => return Err(SsoError::UnknownRequest),
                },
                None => None,
            };
            Ok::<_, SsoError>((c, certs, pending))
        })
        .await?;
    let family = parse_data_encryption(&c.data_encryption)?;
    // AES-CBC decrypts only with the connection's own key (the admin API requires one);
    // the server-wide key, shared with AES-GCM connections, never serves it.
    let pair = match family {
        DataEncryption::AesGcm => Some(sp_key_pair(app, Some(c.id.clone())).await?),
        DataEncryption::AesCbc => own_sp_key_pair(app, c.id.clone()).await?,
    };
    let urls = SpUrls::new(&app.links, &c.id);
    let mut cfg = ResponseConfig::new(&c.idp_entity_id, &urls.entity_id, &urls.acs_url, idp_certs);
    cfg.sp_decryption_keys = pair.map(|p| p.key).into_iter().collect();
    cfg.data_encryption = family;
    cfg.allow_sha1 = c.allow_sha1;
    cfg.require_signed_assertion = c.require_signed_assertion;
    cfg.clock_skew = Duration::seconds(i64::from(c.clock_skew_secs));
    cfg.limits = limits;
    let expected = pending.as_ref().map(|p| p.id.clone());
    let parsed = parsed?;
    let assertion = run_blocking(move || {
        validate_parsed(&parsed, &cfg, now, expected.as_deref()).map_err(SsoError::from)
    })
    .await?;
    // Checked after validation so malformed input reports its own kind; an unsolicited
    // Response is refused before anything is written.
    if pending.is_none() && !c.allow_idp_initiated {
        return Err(SsoError::IdpInitiatedNotAllowed);
    }

    let (cid, aid, expires) = (
        c.id.clone(),
        assertion.assertion_id().to_owned(),
        assertion.not_on_or_after(),
    );
    let request_id = pending.as_ref().map(|p| p.id.clone());
    let skew = Duration::seconds(i64::from(c.clock_skew_secs));
    app.db
        .write(move |conn| {
            let at = now.naive_utc();
            replay::insert_replay_entry(
                conn,
                &NewReplayEntry {
                    connection_id: &cid,
                    assertion_id: &aid,
                    // Kept until the validator would refuse it anyway, plus the skew
                    // again so a replica whose clock runs ahead cannot purge it early.
                    expires_at: (expires.max(now) + skew).naive_utc(),
                    created_at: at,
                },
            )
            .map_err(|e| match e {
                StoreError::UniqueViolation(_) => SsoError::Replayed,
                other => SsoError::Store(other),
            })?;
            if let Some(req) = &request_id {
                if !authn_requests::consume_request(conn, &cid, req, at)? {
                    return Err(SsoError::UnknownRequest);
                }
            }
            Ok(())
        })
        .await?;
    purge_expired(app, now).await;

    let info = ConnectionInfo {
        attribute_preset: parse_preset(&c.attribute_preset)?,
        attribute_mapping: parse_map(&c.attribute_mapping)?,
        group_role_mapping: parse_map(&c.group_role_mapping)?,
        id: c.id,
        organization_id: c.organization_id,
        idp_entity_id: c.idp_entity_id,
        allow_idp_initiated: c.allow_idp_initiated,
        default_redirect_uri: c.default_redirect_uri,
        authn_request: pending.map(|p| RequestInfo {
            id: p.id,
            relay_state: p.relay_state,
            redirect_uri: p.redirect_uri,
            browser_binding_hash: p.browser_binding_hash,
        }),
    };
    Ok((assertion, info))
}
