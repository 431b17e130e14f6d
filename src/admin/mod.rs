//! The admin API under `/admin/v1`: organizations (with JIT settings), domains, roles,
//! SAML connections, SCIM directories, redirect URIs, invitations, API keys, webhook
//! endpoints, and read access to the event log and audit trail. Handlers are thin:
//! extract, authenticate, call the domain room, map the result. Their routes are rows of
//! the table in `http::routes`.

pub mod api_keys;
pub mod domains;
pub mod log;
pub mod organizations;
pub mod roles;
pub mod saml_connections;
pub mod scim_directories;
pub mod sso;
pub mod webhooks;
