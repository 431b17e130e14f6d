//! Web Browser SSO `samlp:Response` validation (SAML Profiles §4.1.4.3, Core §3.2.2):
//! parse, verify signatures, decrypt, check the envelope, then hand the verified
//! assertion to `response::assertion` for the subject/conditions/attribute checks.
//!
//! Pure: no I/O, no clock. `now` is injected; the replay cache lives in the caller,
//! keyed by [`ValidatedAssertion::assertion_id`] until its `not_on_or_after`.

mod assertion;

use super::dsig::{self, verify_element, DsigError, VerifiedElement, VerifyOptions};
use super::encryption::{decrypt_assertion, DataEncryption, DecryptError, SAML_NS};
use super::xml::{parse, Document, Element, Limits, XmlError};
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use openssl::pkey::{PKey, Private};
use openssl::x509::X509;
use std::collections::BTreeMap;

/// The SAML 2.0 protocol namespace.
pub const SAMLP_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";

/// Per-connection validation settings.
#[derive(Clone)]
pub struct ResponseConfig {
    /// The IdP's entity ID; Issuer must equal it.
    pub idp_entity_id: String,
    /// This SP's entity ID; an AudienceRestriction must name it.
    pub sp_entity_id: String,
    /// This connection's ACS URL; Destination and Recipient must equal it.
    pub acs_url: String,
    /// Pinned IdP signing certificates (several during rollover).
    pub idp_certs: Vec<X509>,
    /// SP private keys for EncryptedAssertion (several during rollover).
    pub sp_decryption_keys: Vec<PKey<Private>>,
    /// The only data encryption those keys accept (GCM unless the connection opted in
    /// to CBC; never both, see [`DataEncryption`]).
    pub data_encryption: DataEncryption,
    /// Accept SHA-1 signatures (legacy IdPs).
    pub allow_sha1: bool,
    /// Require the Assertion itself to be signed even when the Response is.
    pub require_signed_assertion: bool,
    /// Tolerated clock difference with the IdP.
    pub clock_skew: Duration,
    /// Parser limits for the Response and any decrypted assertion.
    pub limits: Limits,
}

impl ResponseConfig {
    /// Settings with the defaults: SHA-1 refused, signed Response or Assertion accepted,
    /// 3 minutes of clock skew, default parser limits, no decryption key.
    pub fn new(
        idp_entity_id: &str,
        sp_entity_id: &str,
        acs_url: &str,
        idp_certs: Vec<X509>,
    ) -> Self {
        Self {
            idp_entity_id: idp_entity_id.to_owned(),
            sp_entity_id: sp_entity_id.to_owned(),
            acs_url: acs_url.to_owned(),
            idp_certs,
            sp_decryption_keys: Vec::new(),
            data_encryption: DataEncryption::AesGcm,
            allow_sha1: false,
            require_signed_assertion: false,
            clock_skew: Duration::minutes(3),
            limits: Limits::default(),
        }
    }
}

/// Identity data read only from the verified assertion.
#[derive(Clone, PartialEq, Eq)]
pub struct ValidatedAssertion {
    /// Assertion ID: the replay-cache key.
    assertion_id: String,
    /// Assertion Issuer (equals the configured IdP entity ID).
    issuer: String,
    /// Subject NameID, exactly as sent (all text nodes).
    name_id: String,
    /// NameID Format attribute, if any.
    name_id_format: Option<String>,
    /// AuthnStatement SessionIndex, if any.
    session_index: Option<String>,
    /// AuthnStatement SessionNotOnOrAfter, if any.
    session_not_on_or_after: Option<DateTime<Utc>>,
    /// Until when this assertion could be accepted (clock skew included): keep its ID
    /// in the replay cache at least this long.
    not_on_or_after: DateTime<Utc>,
    /// The request this answers (`None` for IdP-initiated).
    in_response_to: Option<String>,
    /// Attribute Name → values, in document order.
    attributes: BTreeMap<String, Vec<String>>,
    /// Index of the IdP certificate that verified (rollover telemetry).
    cert_index: usize,
}

/// Read-only access: only the verifier builds a `ValidatedAssertion` (from the subtree it
/// digested), so whoever holds one holds verified identity data (conventions §6).
impl ValidatedAssertion {
    /// Assertion ID: the replay-cache key.
    pub fn assertion_id(&self) -> &str {
        &self.assertion_id
    }

    /// Assertion Issuer (equals the configured IdP entity ID).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Subject NameID, exactly as sent.
    pub fn name_id(&self) -> &str {
        &self.name_id
    }

    /// NameID Format attribute, if any.
    pub fn name_id_format(&self) -> Option<&str> {
        self.name_id_format.as_deref()
    }

    /// AuthnStatement SessionIndex, if any.
    pub fn session_index(&self) -> Option<&str> {
        self.session_index.as_deref()
    }

    /// AuthnStatement SessionNotOnOrAfter, if any.
    pub fn session_not_on_or_after(&self) -> Option<DateTime<Utc>> {
        self.session_not_on_or_after
    }

    /// Until when this assertion could be accepted (keep its ID in the replay cache this long).
    pub fn not_on_or_after(&self) -> DateTime<Utc> {
        self.not_on_or_after
    }

    /// The request this answers (`None` for IdP-initiated).
    pub fn in_response_to(&self) -> Option<&str> {
        self.in_response_to.as_deref()
    }

    /// Attribute Name → values, in document order.
    pub fn attributes(&self) -> &BTreeMap<String, Vec<String>> {
        &self.attributes
    }

    /// Index of the IdP certificate that verified.
    pub fn cert_index(&self) -> usize {
        self.cert_index
    }
}

impl std::fmt::Debug for ValidatedAssertion {
    /// Identity data is never printed (conventions §11).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidatedAssertion")
            .field("assertion_id", &self.assertion_id)
            .field("not_on_or_after", &self.not_on_or_after)
            .field("attributes", &self.attributes.len())
            .finish_non_exhaustive()
    }
}

/// Why a Response was refused. The kind goes to logs/events; the user sees a generic page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    /// The POST-binding value is not base64 of UTF-8 text.
    #[error("SAMLResponse is not valid base64/UTF-8")]
    Encoding,
    /// The XML was refused.
    #[error("XML refused: {0}")]
    Xml(#[from] XmlError),
    /// The root is not a SAML 2.0 `samlp:Response`.
    #[error("not a SAML 2.0 Response")]
    NotAResponse,
    /// The Response signature failed.
    #[error("Response signature: {0}")]
    ResponseSignature(DsigError),
    /// The Assertion signature failed.
    #[error("Assertion signature: {0}")]
    AssertionSignature(DsigError),
    /// Neither the Response nor the Assertion is signed.
    #[error("neither Response nor Assertion is signed")]
    Unsigned,
    /// The Assertion must be signed by configuration but is not.
    #[error("Assertion is not signed")]
    AssertionNotSigned,
    /// The EncryptedAssertion could not be decrypted.
    #[error("decryption: {0}")]
    Decrypt(DecryptError),
    /// Top-level status is not Success (first- and second-level codes).
    #[error("IdP returned status {status}")]
    StatusNotSuccess {
        /// Top-level StatusCode Value.
        status: String,
        /// Nested StatusCode Value, if any.
        sub_status: Option<String>,
    },
    /// A signed Response without Destination (Core §3.4.5.2 / Bindings §3.5.5.2).
    #[error("signed Response has no Destination")]
    MissingDestination,
    /// Destination is not this ACS URL.
    #[error("Destination does not match the ACS URL")]
    WrongDestination,
    /// Response or Assertion Issuer is not the configured IdP.
    #[error("unexpected Issuer")]
    WrongIssuer,
    /// InResponseTo does not match the pending request.
    #[error("InResponseTo does not match the request")]
    InResponseToMismatch,
    /// InResponseTo present although no request was expected (IdP-initiated).
    #[error("unexpected InResponseTo")]
    UnexpectedInResponseTo,
    /// A request was expected but the Response answers none.
    #[error("missing InResponseTo")]
    MissingInResponseTo,
    /// No Assertion or EncryptedAssertion.
    #[error("no assertion")]
    NoAssertion,
    /// More than one assertion (ambiguous: a wrapping signal).
    #[error("more than one assertion")]
    MultipleAssertions,
    /// A required element is missing or malformed in the assertion.
    #[error("malformed assertion: {0}")]
    Malformed(&'static str),
    /// A dateTime value could not be parsed.
    #[error("invalid time value in {0}")]
    InvalidTime(&'static str),
    /// Subject has no NameID (EncryptedID/BaseID are not supported).
    #[error("no NameID")]
    MissingNameId,
    /// No bearer SubjectConfirmation.
    #[error("no bearer SubjectConfirmation")]
    NoBearerConfirmation,
    /// SubjectConfirmationData Recipient is not this ACS URL.
    #[error("Recipient does not match the ACS URL")]
    WrongRecipient,
    /// SubjectConfirmationData NotOnOrAfter has passed.
    #[error("subject confirmation expired")]
    ConfirmationExpired,
    /// SubjectConfirmationData NotBefore is in the future.
    #[error("subject confirmation not yet valid")]
    ConfirmationNotYetValid,
    /// Conditions NotBefore is in the future.
    #[error("assertion not yet valid")]
    NotYetValid,
    /// Conditions NotOnOrAfter has passed.
    #[error("assertion expired")]
    Expired,
    /// No AudienceRestriction (Profiles §4.1.4.2 requires one).
    #[error("no AudienceRestriction")]
    MissingAudience,
    /// An AudienceRestriction does not name this SP.
    #[error("audience does not include this SP")]
    WrongAudience,
    /// No AuthnStatement (Profiles §4.1.4.2 requires one).
    #[error("no AuthnStatement")]
    MissingAuthnStatement,
    /// AuthnStatement SessionNotOnOrAfter has passed.
    #[error("IdP session expired")]
    SessionExpired,
}

/// Decodes the HTTP-POST binding `SAMLResponse` form value (Bindings §3.5.4: base64,
/// no compression), refusing more than `max_bytes` of decoded XML.
pub fn decode_post_binding(value: &str, max_bytes: usize) -> Result<String, ResponseError> {
    let compact: String = value.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.len() / 4 * 3 > max_bytes + 3 {
        return Err(ResponseError::Xml(XmlError::TooLarge { limit: max_bytes }));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| ResponseError::Encoding)?;
    String::from_utf8(bytes).map_err(|_| ResponseError::Encoding)
}

/// The (unverified) Response InResponseTo: use it only to look up a pending request
/// and pass that request's ID back as `expected_in_response_to`. Parses the document:
/// a caller that goes on to validate should use [`ParsedResponse`] instead and parse once.
pub fn peek_in_response_to(xml: &str, limits: &Limits) -> Option<String> {
    let doc = parse(xml, limits).ok()?;
    doc.root().attr("InResponseTo").map(str::to_owned)
}

/// A Response parsed once (within the limits) and not yet validated: the ACS reads the
/// unverified InResponseTo from it to find the pending request, then validates this very
/// tree with [`validate_parsed`] — one parse per POST, on the blocking pool.
#[derive(Debug, Clone)]
pub struct ParsedResponse {
    doc: Document,
}

impl ParsedResponse {
    /// Parses `xml` with `limits`; nothing is checked beyond well-formedness and limits.
    pub fn parse(xml: &str, limits: &Limits) -> Result<Self, ResponseError> {
        Ok(Self {
            doc: parse(xml, limits)?,
        })
    }

    /// The root's InResponseTo, UNVERIFIED: only a key to look up a pending request.
    pub fn claimed_in_response_to(&self) -> Option<&str> {
        self.doc.root().attr("InResponseTo")
    }
}

/// Validates a Web Browser SSO Response and returns the verified assertion's data.
///
/// `expected_in_response_to` is the ID of the AuthnRequest this login started with, or
/// `None` for IdP-initiated SSO (then no InResponseTo may be present).
pub fn validate_response(
    xml: &str,
    cfg: &ResponseConfig,
    now: DateTime<Utc>,
    expected_in_response_to: Option<&str>,
) -> Result<ValidatedAssertion, ResponseError> {
    let parsed = ParsedResponse::parse(xml, &cfg.limits)?;
    validate_parsed(&parsed, cfg, now, expected_in_response_to)
}

/// [`validate_response`] on an already parsed Response (no second parse).
///
/// Order (issue #12): the Response signature, when present, is verified before anything
/// else costly, in particular before any EncryptedKey is unwrapped; `dsig` itself checks
/// the signature's shape before any cryptography.
pub fn validate_parsed(
    parsed: &ParsedResponse,
    cfg: &ResponseConfig,
    now: DateTime<Utc>,
    expected_in_response_to: Option<&str>,
) -> Result<ValidatedAssertion, ResponseError> {
    let doc = &parsed.doc;
    let root = doc.root();
    if !root.is(SAMLP_NS, "Response") || root.attr("Version") != Some("2.0") {
        return Err(ResponseError::NotAResponse);
    }
    let opts = VerifyOptions {
        allow_sha1: cfg.allow_sha1,
    };
    // A signed Response is read only through its verified copy.
    let verified_response = match dsig::signatures(root).next() {
        Some(_) => Some(
            verify_element(doc, root, &cfg.idp_certs, &opts)
                .map_err(ResponseError::ResponseSignature)?,
        ),
        None => None,
    };
    let envelope: &Element = verified_response
        .as_ref()
        .map_or(root, VerifiedElement::element);
    check_envelope(
        envelope,
        verified_response.is_some(),
        cfg,
        expected_in_response_to,
    )?;

    let plain = envelope.children_named(SAML_NS, "Assertion").count();
    let encrypted = envelope
        .children_named(SAML_NS, "EncryptedAssertion")
        .count();
    match plain + encrypted {
        0 => return Err(ResponseError::NoAssertion),
        1 => {}
        _ => return Err(ResponseError::MultipleAssertions),
    }

    let verified_assertion = if plain == 1 {
        // Same position in the original document: the verified copy differs only by
        // the removed Response Signature.
        let in_doc = root
            .only_child(SAML_NS, "Assertion")
            .map_err(|_| ResponseError::MultipleAssertions)?;
        if dsig::signatures(in_doc).next().is_some() {
            verify_element(doc, in_doc, &cfg.idp_certs, &opts)
                .map_err(ResponseError::AssertionSignature)?
        } else {
            match &verified_response {
                _ if cfg.require_signed_assertion => return Err(ResponseError::AssertionNotSigned),
                Some(r) => r
                    .only_child(SAML_NS, "Assertion")
                    .map_err(|_| ResponseError::MultipleAssertions)?,
                None => return Err(ResponseError::Unsigned),
            }
        }
    } else {
        let enc = root
            .only_child(SAML_NS, "EncryptedAssertion")
            .map_err(|_| ResponseError::MultipleAssertions)?;
        let decrypted = decrypt_assertion(
            doc,
            enc,
            &cfg.sp_decryption_keys,
            cfg.data_encryption,
            &cfg.limits,
        )
        .map_err(ResponseError::Decrypt)?;
        if dsig::signatures(decrypted.root()).next().is_some() {
            verify_element(&decrypted, decrypted.root(), &cfg.idp_certs, &opts)
                .map_err(ResponseError::AssertionSignature)?
        } else {
            match &verified_response {
                _ if cfg.require_signed_assertion => return Err(ResponseError::AssertionNotSigned),
                Some(r) => r.covering_decrypted(decrypted.root().clone()),
                None => return Err(ResponseError::Unsigned),
            }
        }
    };
    assertion::validate(&verified_assertion, cfg, now, expected_in_response_to)
}

/// Response-level checks (Core §3.2.2, Profiles §4.1.4.3).
fn check_envelope(
    response: &Element,
    signed: bool,
    cfg: &ResponseConfig,
    expected_in_response_to: Option<&str>,
) -> Result<(), ResponseError> {
    let status = response
        .only_child(SAMLP_NS, "Status")
        .map_err(|_| ResponseError::Malformed("Status"))?;
    let code = status
        .only_child(SAMLP_NS, "StatusCode")
        .map_err(|_| ResponseError::Malformed("StatusCode"))?;
    let value = code.attr("Value").unwrap_or_default();
    if value != STATUS_SUCCESS {
        return Err(ResponseError::StatusNotSuccess {
            status: value.to_owned(),
            sub_status: code
                .children_named(SAMLP_NS, "StatusCode")
                .next()
                .and_then(|c| c.attr("Value"))
                .map(str::to_owned),
        });
    }
    match response.attr("Destination") {
        Some(d) if d != cfg.acs_url => return Err(ResponseError::WrongDestination),
        None if signed => return Err(ResponseError::MissingDestination),
        _ => {}
    }
    // Profiles §4.1.4.2: the Response Issuer may be omitted; if present it must match.
    if let Some(issuer) = response.children_named(SAML_NS, "Issuer").next() {
        let format_ok = matches!(
            issuer.attr("Format"),
            None | Some("urn:oasis:names:tc:SAML:2.0:nameid-format:entity")
        );
        if issuer.text() != cfg.idp_entity_id || !format_ok {
            return Err(ResponseError::WrongIssuer);
        }
    }
    check_in_response_to(
        response.attr("InResponseTo"),
        expected_in_response_to,
        false,
    )
}

/// InResponseTo against the expected request (Profiles §4.1.4.3). With `required`
/// off (the Response element) a solicited answer may omit it; the bearer
/// SubjectConfirmationData must always carry it for SP-initiated logins.
fn check_in_response_to(
    actual: Option<&str>,
    expected: Option<&str>,
    required: bool,
) -> Result<(), ResponseError> {
    match (actual, expected) {
        (Some(a), Some(e)) if a == e => Ok(()),
        (Some(_), Some(_)) => Err(ResponseError::InResponseToMismatch),
        (Some(_), None) => Err(ResponseError::UnexpectedInResponseTo),
        (None, Some(_)) if required => Err(ResponseError::MissingInResponseTo),
        (None, _) => Ok(()),
    }
}
