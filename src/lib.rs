//! provisiond: a combined SAML JIT and SCIM 2.0 identity provisioning server.
//!
//! Data flows HTTP handler → domain room → store, never backwards. `domain` holds the
//! shared vocabulary (states, provenance, event types, ids). Only `db` and `store` speak
//! diesel; only the HTTP rooms (`server`, `http`, `observe`, `extract`, `health`, `admin`,
//! `scim::http`, `lifecycle::http`, `sso_http`, `rate_limit`, `error`) speak actix.

pub mod admin;
pub mod app;
pub mod auth;
pub mod bounded;
pub mod changes;
pub mod client_addr;
pub mod config;
pub mod db;
pub mod dns;
pub mod domain;
pub mod error;
pub mod extract;
pub mod health;
pub mod http;
pub mod idp_simulator;
pub mod ip_range;
pub mod jit;
pub mod lifecycle;
pub mod logging;
pub mod metrics;
pub mod observe;
pub mod outbound;
pub mod rate_limit;
pub mod saml;
pub mod scim;
pub mod secrets;
pub mod server;
pub mod sso;
pub mod sso_http;
pub mod store;
pub mod tenancy;
