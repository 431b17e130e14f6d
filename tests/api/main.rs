//! Integration tests over real HTTP against a real database. Every test in a
//! `backend_tests!` block runs on SQLite and, when `PROVISIOND_TEST_DATABASE_URL` is set,
//! on PostgreSQL too.
#![expect(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod admin_audit;
mod admin_auth;
mod admin_bad_input;
mod admin_docs;
mod admin_domains;
mod admin_http_errors;
mod admin_keys;
mod admin_orgs;
mod admin_roles;
mod admin_sp_certificate;
mod cli;
mod concurrency;
mod event_catalogue;
mod event_snapshots;
mod health;
mod http_bounds;
mod idp_simulator;
mod lifecycle_inactivity;
mod lifecycle_migration;
mod lifecycle_support;
mod lifecycle_users;
mod openapi;
mod openapi_answers;
mod routes;
mod saml_connections;
mod saml_consume;
mod saml_perf;
mod saml_scale_out;
mod saml_support;
mod scim_directories;
mod scim_discovery;
mod scim_filter_equivalence;
mod scim_groups;
mod scim_limits;
mod scim_query;
mod scim_support;
mod scim_users;
mod secrets;
mod shutdown;
mod sso_binding;
mod sso_concurrency;
mod sso_linking;
mod sso_login;
mod sso_support;
mod webhooks;
