//! The admin API under `/admin/v1`: organizations (with JIT settings), domains, roles,
//! API keys, webhook endpoints, and read access to the event log and audit trail. Handlers are thin: extract,
//! authenticate, call `tenancy`, map the result.

pub mod api_keys;
pub mod auth;
pub mod domains;
pub mod log;
pub mod organizations;
pub mod roles;
pub mod saml_connections;
pub mod scim_directories;
pub mod sso;
pub mod webhooks;

use actix_web::web;

/// Mounts every admin route under `/admin/v1`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin/v1")
            .configure(organizations::routes)
            .configure(domains::routes)
            .configure(roles::routes)
            .configure(scim_directories::routes)
            .configure(saml_connections::routes)
            .configure(sso::routes)
            .configure(api_keys::routes)
            .configure(log::routes)
            .configure(webhooks::routes),
    );
}
