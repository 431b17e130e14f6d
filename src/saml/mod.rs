//! SAML 2.0 service provider: XML tree, canonicalization, XML-DSig verification,
//! decryption, response validation, metadata and AuthnRequests.
//!
//! Pure code: no HTTP, no database, no clock, no randomness. The ACS handler does
//!
//! 1. [`response::decode_post_binding`] on the `SAMLResponse` form field;
//! 2. optionally [`response::peek_in_response_to`] to look up the pending
//!    AuthnRequest (an *unverified* lookup key only);
//! 3. [`response::validate_response`] with the connection's [`response::ResponseConfig`],
//!    `now`, and the pending request ID (`None` for IdP-initiated);
//! 4. stores [`response::ValidatedAssertion::assertion_id`] in the replay cache until
//!    its `not_on_or_after` (a unique-constraint insert; a conflict means replay).
//!
//! Identity data can only come from a [`dsig::VerifiedElement`], which only
//! [`dsig::verify_element`] creates (design invariant 6). Errors are typed per stage;
//! show users a generic page and log the error kind, never the assertion
//! (`Debug` on trees and results is redacted for that reason).
//!
//! Login start: [`authn_request::AuthnRequest`] + [`authn_request::redirect_url`].
//! Connection setup: [`metadata::parse_idp_metadata`]; SP metadata:
//! [`metadata::sp_metadata_xml`].

pub mod authn_request;
pub mod c14n;
pub mod dsig;
pub mod encryption;
pub mod metadata;
pub mod response;
pub mod work;
pub mod xml;
