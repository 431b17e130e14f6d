//! The admin API under `/admin/v1`: organizations (with JIT settings), domains, roles,
//! SAML connections, SCIM directories, redirect URIs, invitations, API keys, webhook
//! endpoints, and read access to the event log and audit trail. Handlers are thin:
//! extract, authenticate, call the domain room, map the result. Every route is
//! registered through [`router::Routes`], so [`route_table`] lists them all.

pub mod api_keys;
pub mod auth;
pub mod domains;
pub mod log;
pub mod organizations;
pub mod roles;
pub mod router;
pub mod saml_connections;
pub mod scim_directories;
pub mod sso;
pub mod webhooks;

use actix_web::http::Method;
use actix_web::web;

use router::Routes;

/// Where the admin API is mounted.
pub const PREFIX: &str = "/admin/v1";

/// Every admin route, in registration order.
fn collect() -> Routes {
    let mut r = Routes::default();
    organizations::routes(&mut r);
    domains::routes(&mut r);
    roles::routes(&mut r);
    scim_directories::routes(&mut r);
    saml_connections::routes(&mut r);
    sso::routes(&mut r);
    api_keys::routes(&mut r);
    log::routes(&mut r);
    webhooks::routes(&mut r);
    r
}

/// Mounts every admin route under [`PREFIX`].
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::scope(PREFIX).configure(|c| collect().mount(c)));
}

/// Every admin route as (method, full path pattern), e.g. `(POST, "/admin/v1/webhooks")`:
/// what the audit test walks.
pub fn route_table() -> Vec<(Method, String)> {
    collect()
        .table()
        .into_iter()
        .map(|(m, p)| (m, format!("{PREFIX}{p}")))
        .collect()
}
