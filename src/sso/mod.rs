//! The SAML login flow around the pure `saml` library: connections (admin setup), the SP
//! key pair, SP metadata, starting a login (pending AuthnRequest) and consuming a
//! Response (verification, single-use request, replay cache).
//!
//! No actix here: HTTP handlers call these functions. Persistence goes through `store`
//! inside `app.db` closures; RSA work runs on the blocking pool.
//!
//! The flow: [`authorize`] starts a login ([`login::start_authn_request`]); [`acs`]
//! verifies the Response ([`login::validate_and_consume`]), runs the JIT policy
//! (`crate::jit`) and issues a one-time code ([`codes`]) the app exchanges.

pub mod acs;
pub mod authorize;
pub mod binding;
pub mod codes;
pub mod connections;
pub mod error_page;
pub mod failure_throttle;
pub mod keys;
pub mod login;
pub mod redirects;

use crate::db::DbError;
use crate::saml::response::ResponseError;
use crate::store::StoreError;

/// Failures of the SSO room. Login failures (`Response`, `UnknownRequest`,
/// `IdpInitiatedNotAllowed`, `Replayed`) are shown to people as a generic page; their
/// [`SsoError::kind`] goes to logs and events.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{message}")]
    Conflict {
        field: Option<&'static str>,
        message: String,
    },
    /// The Response failed validation.
    #[error("SAML response refused: {0}")]
    Response(#[from] ResponseError),
    /// InResponseTo names no pending request of this connection: unknown, expired, or
    /// already used.
    #[error("the response answers no pending request of this connection")]
    UnknownRequest,
    /// An unsolicited Response for a connection that does not allow IdP-initiated login.
    #[error("IdP-initiated login is not allowed for this connection")]
    IdpInitiatedNotAllowed,
    /// The assertion was accepted before (on this or any other replica).
    #[error("assertion already used")]
    Replayed,
    /// The connection has no IdP SSO URL for the HTTP-Redirect binding.
    #[error("the connection has no HTTP-Redirect SSO URL")]
    NoRedirectBinding,
    /// The SP key pair could not be loaded or generated.
    #[error("SP key: {0}")]
    Key(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl SsoError {
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        SsoError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A stable label for logs, metrics and `sso.failed` events (`error.kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            SsoError::NotFound(_) => "not_found",
            SsoError::Invalid { .. } => "invalid",
            SsoError::Conflict { .. } => "conflict",
            SsoError::Response(e) => response_kind(e),
            SsoError::UnknownRequest => "unknown_request",
            SsoError::IdpInitiatedNotAllowed => "idp_initiated_not_allowed",
            SsoError::Replayed => "replayed",
            SsoError::NoRedirectBinding => "no_redirect_binding",
            SsoError::Key(_) => "sp_key",
            SsoError::Store(_) | SsoError::Db(_) => "storage",
        }
    }

    /// True for refusals of a login attempt (as opposed to setup or storage errors).
    pub fn is_login_refusal(&self) -> bool {
        matches!(
            self,
            SsoError::Response(_)
                | SsoError::UnknownRequest
                | SsoError::IdpInitiatedNotAllowed
                | SsoError::Replayed
        )
    }
}

fn response_kind(e: &ResponseError) -> &'static str {
    use ResponseError as R;
    match e {
        R::Encoding => "encoding",
        R::Xml(_) => "xml",
        R::NotAResponse => "not_a_response",
        R::ResponseSignature(_) => "response_signature",
        R::AssertionSignature(_) => "assertion_signature",
        R::Unsigned => "unsigned",
        R::AssertionNotSigned => "assertion_not_signed",
        R::Decrypt(_) => "decrypt",
        R::StatusNotSuccess { .. } => "status_not_success",
        R::MissingDestination => "missing_destination",
        R::WrongDestination => "wrong_destination",
        R::WrongIssuer => "wrong_issuer",
        R::InResponseToMismatch => "in_response_to_mismatch",
        R::UnexpectedInResponseTo => "unexpected_in_response_to",
        R::MissingInResponseTo => "missing_in_response_to",
        R::NoAssertion => "no_assertion",
        R::MultipleAssertions => "multiple_assertions",
        R::Malformed(_) => "malformed",
        R::InvalidTime(_) => "invalid_time",
        R::MissingNameId => "missing_name_id",
        R::NoBearerConfirmation => "no_bearer_confirmation",
        R::WrongRecipient => "wrong_recipient",
        R::ConfirmationExpired => "confirmation_expired",
        R::ConfirmationNotYetValid => "confirmation_not_yet_valid",
        R::NotYetValid => "not_yet_valid",
        R::Expired => "expired",
        R::MissingAudience => "missing_audience",
        R::WrongAudience => "wrong_audience",
        R::MissingAuthnStatement => "missing_authn_statement",
        R::SessionExpired => "session_expired",
    }
}

/// The absolute URLs of one connection, all under `public_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpUrls {
    /// SP entity ID: the metadata URL (a common convention that makes it resolvable).
    pub entity_id: String,
    /// AssertionConsumerService (HTTP-POST).
    pub acs_url: String,
    /// Where the SP metadata XML is served.
    pub metadata_url: String,
}

impl SpUrls {
    pub fn new(public_url: &str, connection_id: &str) -> Self {
        let base = public_url.trim_end_matches('/');
        let metadata_url = format!("{base}/sso/saml/metadata/{connection_id}");
        SpUrls {
            entity_id: metadata_url.clone(),
            acs_url: format!("{base}/sso/saml/acs/{connection_id}"),
            metadata_url,
        }
    }
}
