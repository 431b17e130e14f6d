//! SCIM 2.0 service provider (RFC 7643/7644): filters, PATCH, representation, handlers.
//!
//! The pure core (no HTTP, no database): `schema` (attribute catalogue and path
//! resolution), `discovery` (ServiceProviderConfig, Schemas, ResourceTypes), `filter`
//! (parse and evaluate filters, validate sortBy), `query` (list/search parameters),
//! `translate` (filters and sortBy into the store's typed query),
//! `patch` (parse and apply PATCH), `representation` (validate input, project output,
//! meta, list responses), `value` (value coercion and case-insensitive JSON access)
//! `error` (the RFC 7644 §3.12 error); `limits` bounds what one request may ask for.

pub mod directories;
pub mod discovery;
pub mod error;
pub mod filter;
mod filter_rewrite;
pub mod http;
pub mod limits;
pub mod patch;
mod patch_apply;
pub mod query;
pub mod representation;
pub mod schema;
pub mod service;
pub mod translate;
pub mod value;

#[cfg(test)]
mod property_tests;
