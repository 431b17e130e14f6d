//! provisiond: a combined SAML JIT and SCIM 2.0 identity provisioning server.
//!
//! Data flows HTTP handler → domain room → store, never backwards. Only `db` and `store`
//! speak diesel; only `server`, `admin`, `scim::http`, `sso` handlers speak actix.

pub mod saml;
pub mod scim;
