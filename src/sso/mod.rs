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

    /// A stable label for logs, metrics and `sso.failed` events (`error.kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            SsoError::NotFound(_) => SsoFailureReason::NotFound.as_str(),
            SsoError::Invalid { .. } => SsoFailureReason::Invalid.as_str(),
            SsoError::Conflict { .. } => SsoFailureReason::Conflict.as_str(),
            SsoError::Response(e) => response_kind(e),
            SsoError::UnknownRequest => SsoFailureReason::UnknownRequest.as_str(),
            SsoError::IdpInitiatedNotAllowed => SsoFailureReason::IdpInitiatedNotAllowed.as_str(),
            SsoError::Replayed => SsoFailureReason::Replayed.as_str(),
            SsoError::NoRedirectBinding => SsoFailureReason::NoRedirectBinding.as_str(),
            SsoError::Key(_) => SsoFailureReason::SpKey.as_str(),
            SsoError::Store(_) | SsoError::Db(_) => SsoFailureReason::Storage.as_str(),
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
        R::Encoding => SsoFailureReason::Encoding.as_str(),
        R::Xml(_) => SsoFailureReason::Xml.as_str(),
        R::NotAResponse => SsoFailureReason::NotAResponse.as_str(),
        R::ResponseSignature(_) => SsoFailureReason::ResponseSignature.as_str(),
        R::AssertionSignature(_) => SsoFailureReason::AssertionSignature.as_str(),
        R::Unsigned => SsoFailureReason::Unsigned.as_str(),
        R::AssertionNotSigned => SsoFailureReason::AssertionNotSigned.as_str(),
        R::Decrypt(_) => SsoFailureReason::Decrypt.as_str(),
        R::StatusNotSuccess { .. } => SsoFailureReason::StatusNotSuccess.as_str(),
        R::MissingDestination => SsoFailureReason::MissingDestination.as_str(),
        R::WrongDestination => SsoFailureReason::WrongDestination.as_str(),
        R::WrongIssuer => SsoFailureReason::WrongIssuer.as_str(),
        R::InResponseToMismatch => SsoFailureReason::InResponseToMismatch.as_str(),
        R::UnexpectedInResponseTo => SsoFailureReason::UnexpectedInResponseTo.as_str(),
        R::MissingInResponseTo => SsoFailureReason::MissingInResponseTo.as_str(),
        R::NoAssertion => SsoFailureReason::NoAssertion.as_str(),
        R::MultipleAssertions => SsoFailureReason::MultipleAssertions.as_str(),
        R::Malformed(_) => SsoFailureReason::Malformed.as_str(),
        R::InvalidTime(_) => SsoFailureReason::InvalidTime.as_str(),
        R::MissingNameId => SsoFailureReason::MissingNameId.as_str(),
        R::NoBearerConfirmation => SsoFailureReason::NoBearerConfirmation.as_str(),
        R::WrongRecipient => SsoFailureReason::WrongRecipient.as_str(),
        R::ConfirmationExpired => SsoFailureReason::ConfirmationExpired.as_str(),
        R::ConfirmationNotYetValid => SsoFailureReason::ConfirmationNotYetValid.as_str(),
        R::NotYetValid => SsoFailureReason::NotYetValid.as_str(),
        R::Expired => SsoFailureReason::Expired.as_str(),
        R::MissingAudience => SsoFailureReason::MissingAudience.as_str(),
        R::WrongAudience => SsoFailureReason::WrongAudience.as_str(),
        R::MissingAuthnStatement => SsoFailureReason::MissingAuthnStatement.as_str(),
        R::SessionExpired => SsoFailureReason::SessionExpired.as_str(),
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
