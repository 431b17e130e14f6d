//! SCIM 2.0 service provider (RFC 7643/7644): filters, PATCH, representation, handlers.
//!
//! The pure core (no HTTP, no database): `schema` (attribute catalogue),
//! `discovery` (ServiceProviderConfig, Schemas, ResourceTypes), `filter` (parse and
//! evaluate filters), `patch` (apply PATCH), `representation` (validate input,
//! project output) and `error` (the RFC 7644 §3.12 error).

pub mod discovery;
pub mod error;
pub mod filter;
pub mod patch;
pub mod query;
pub mod representation;
pub mod schema;
pub mod value;
