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
use crate::domain::SsoFailureReason;
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

    /// The failure reason of logs, metrics and `sso.failed` events.
    pub fn reason(&self) -> SsoFailureReason {
        match self {
            SsoError::NotFound(_) => SsoFailureReason::NotFound,
            SsoError::Invalid { .. } => SsoFailureReason::Invalid,
            SsoError::Conflict { .. } => SsoFailureReason::Conflict,
            SsoError::Response(e) => response_kind(e),
            SsoError::UnknownRequest => SsoFailureReason::UnknownRequest,
            SsoError::IdpInitiatedNotAllowed => SsoFailureReason::IdpInitiatedNotAllowed,
            SsoError::Replayed => SsoFailureReason::Replayed,
            SsoError::NoRedirectBinding => SsoFailureReason::NoRedirectBinding,
            SsoError::Key(_) => SsoFailureReason::SpKey,
            SsoError::Store(_) | SsoError::Db(_) => SsoFailureReason::Storage,
        }
    }

    /// [`SsoError::reason`] as its stable label (`error.kind`).
    pub fn kind(&self) -> &'static str {
        self.reason().as_str()
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

fn response_kind(e: &ResponseError) -> SsoFailureReason {
    use ResponseError as R;
    match e {
        R::Encoding => SsoFailureReason::Encoding,
        R::Xml(_) => SsoFailureReason::Xml,
        R::NotAResponse => SsoFailureReason::NotAResponse,
        R::ResponseSignature(_) => SsoFailureReason::ResponseSignature,
        R::AssertionSignature(_) => SsoFailureReason::AssertionSignature,
        R::Unsigned => SsoFailureReason::Unsigned,
        R::AssertionNotSigned => SsoFailureReason::AssertionNotSigned,
        R::Decrypt(_) => SsoFailureReason::Decrypt,
        R::StatusNotSuccess { .. } => SsoFailureReason::StatusNotSuccess,
        R::MissingDestination => SsoFailureReason::MissingDestination,
        R::WrongDestination => SsoFailureReason::WrongDestination,
        R::WrongIssuer => SsoFailureReason::WrongIssuer,
        R::InResponseToMismatch => SsoFailureReason::InResponseToMismatch,
        R::UnexpectedInResponseTo => SsoFailureReason::UnexpectedInResponseTo,
        R::MissingInResponseTo => SsoFailureReason::MissingInResponseTo,
        R::NoAssertion => SsoFailureReason::NoAssertion,
        R::MultipleAssertions => SsoFailureReason::MultipleAssertions,
        R::Malformed(_) => SsoFailureReason::Malformed,
        R::InvalidTime(_) => SsoFailureReason::InvalidTime,
        R::MissingNameId => SsoFailureReason::MissingNameId,
        R::NoBearerConfirmation => SsoFailureReason::NoBearerConfirmation,
        R::WrongRecipient => SsoFailureReason::WrongRecipient,
        R::ConfirmationExpired => SsoFailureReason::ConfirmationExpired,
        R::ConfirmationNotYetValid => SsoFailureReason::ConfirmationNotYetValid,
        R::NotYetValid => SsoFailureReason::NotYetValid,
        R::Expired => SsoFailureReason::Expired,
        R::MissingAudience => SsoFailureReason::MissingAudience,
        R::WrongAudience => SsoFailureReason::WrongAudience,
        R::MissingAuthnStatement => SsoFailureReason::MissingAuthnStatement,
        R::SessionExpired => SsoFailureReason::SessionExpired,
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
    pub fn new(links: &crate::app::Links, connection_id: &str) -> Self {
        let metadata_url = links.saml_metadata(connection_id);
        SpUrls {
            entity_id: metadata_url.clone(),
            acs_url: links.saml_acs(connection_id),
            metadata_url,
        }
    }
}
