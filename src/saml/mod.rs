//! SAML 2.0 service provider: XML tree, canonicalization, XML-DSig verification,
//! decryption, response validation, metadata and AuthnRequests.

pub mod authn_request;
pub mod c14n;
pub mod dsig;
pub mod encryption;
pub mod metadata;
pub mod response;
pub mod xml;
