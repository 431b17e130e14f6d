//! The route table: every path the service answers, in one place — method, full path,
//! who may call it, a stable operation id and the handler. `server.rs` mounts exactly this
//! table ([`mount`]); the OpenAPI document ([`super::openapi`]) and the route tests read it
//! through [`table`]. No handler registers itself, so a route cannot exist without a row
//! here.
//!
//! Sections say how the paths of a block behave for a method they do not list:
//! - `Grouped`: the methods of one path share one actix resource, so another method on a
//!   known path is a 405 (JSON, or the SCIM error body under `/scim/v2`);
//! - `Guarded`: each row is its own resource guarded by its method, so another method
//!   falls through to the next row whose path matches, or to the 404 (how `#[get]`-style
//!   and `cfg.route` registrations behave; kept as it was).
//!
//! Rows under `/admin/v1`, `/api/v1` and `/scim/v2` are mounted inside one actix scope per
//! prefix ([`SCOPES`]), so unknown paths below a prefix get that scope's 404 (the SCIM
//! scope answers in the RFC 7644 §3.12 error format). Rows are matched in table order.

use actix_web::http::Method;
use actix_web::{web, FromRequest, Handler, Responder};

use super::{mount, openapi};
use crate::admin::{
    api_keys, domains, log, organizations, roles, saml_connections, scim_directories, sso, webhooks,
};
use crate::app::{LinkPatterns, Links};
use crate::auth::{AdminAuth, AppAuth};
use crate::lifecycle::{http as lifecycle_http, users_http};
use crate::scim::http::{discovery as scim_discovery, resources as scim};
use crate::scim::service::{Groups, Users};
use crate::{health, idp_simulator, sso_http};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Access {
    /// Anyone: probes, browsers, IdPs (the SSO endpoints authenticate what they carry).
    Anonymous,
    /// `Authorization: Bearer <admin key>`; app keys are refused (401).
    AdminKey,
    /// `Authorization: Bearer <app key>`; admin keys are refused (401). No route accepts
    /// both kinds: the invitation endpoints are mounted twice, once per kind.
    AppKey,
    /// `Authorization: Bearer <SCIM token>`: the token selects the directory and so the
    /// organization.
    ScimToken,
    /// The development IdP simulator: anonymous, and mounted only when
    /// `dev_idp_simulator` is on (otherwise the path is the ordinary 404).
    DevSimulator,
}

/// The part of the service a route belongs to (the OpenAPI tag).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Area {
    /// Liveness, readiness, metrics, the OpenAPI document.
    Service,
    /// The admin API, `/admin/v1`.
    Admin,
    /// The app API, `/api/v1`.
    App,
    /// The SCIM 2.0 service provider, `/scim/v2` (RFC 7644).
    Scim,
    /// The SSO endpoints, `/sso`.
    Sso,
    /// The development IdP simulator, `/dev`.
    Dev,
}

impl Area {
    /// The tag name used in the OpenAPI document.
    pub fn tag(self) -> &'static str {
        match self {
            Area::Service => "service",
            Area::Admin => "admin",
            Area::App => "app",
            Area::Scim => "scim",
            Area::Sso => "sso",
            Area::Dev => "dev",
        }
    }
}

/// How the rows of a section answer a method they do not list (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtherMethods {
    /// One resource per path: another method is a 405.
    Grouped,
    /// One resource per row, guarded by its method: another method falls through (404).
    Guarded,
}

/// What a scope answers for what its rows do not cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeErrors {
    /// The app-wide JSON 404, and actix's 405 (rewritten to JSON by `error.rs`).
    Json,
    /// The SCIM error body (RFC 7644 §3.12) for unknown paths and methods.
    Scim,
}

/// A path prefix mounted as one actix scope.
#[derive(Debug, Clone, Copy)]
pub struct Scope {
    pub prefix: &'static str,
    pub errors: ScopeErrors,
}

/// The scopes rows are mounted in, by path prefix; other rows are mounted at the root.
pub const SCOPES: &[Scope] = &[
    Scope {
        prefix: "/admin/v1",
        errors: ScopeErrors::Json,
    },
    Scope {
        prefix: "/api/v1",
        errors: ScopeErrors::Json,
    },
    Scope {
        prefix: "/scim/v2",
        errors: ScopeErrors::Scim,
    },
];

/// The path of the row with this operation id ("" when none: a test pins every id
/// [`links`] asks for).
fn path_of(operation_id: &str) -> &'static str {
    rows()
        .iter()
        .find(|r| r.operation_id == operation_id)
        .map_or("", |r| r.path)
}

/// This server's own URLs under `public_url`, from the rows that serve them.
pub fn links(public_url: &str) -> Links {
    let scim_base = SCOPES
        .iter()
        .find(|s| s.errors == ScopeErrors::Scim)
        .map_or("", |s| s.prefix);
    Links::new(
        public_url,
        LinkPatterns {
            saml_acs: path_of("saml_acs"),
            saml_metadata: path_of("get_sp_metadata"),
            token: path_of("exchange_code"),
            scim_base,
            dev_idp_sso: path_of("dev_idp_sso_form"),
            dev_callback: path_of("dev_callback"),
        },
    )
}

/// The error format of the scope `path` lies in: SCIM error bodies under `/scim/v2`,
/// JSON everywhere else (also outside every scope).
pub fn scope_errors(path: &str) -> ScopeErrors {
    SCOPES
        .iter()
        .find(|s| {
            path.strip_prefix(s.prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
        .map_or(ScopeErrors::Json, |s| s.errors)
}

/// One row of the table, without its handler: what docs and tests read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteInfo {
    pub method: Method,
    /// The full path pattern, e.g. `/admin/v1/organizations/{org}/roles`.
    pub path: &'static str,
    pub access: Access,
    /// A stable snake_case name, unique across the table (the OpenAPI operationId).
    pub operation_id: &'static str,
    pub area: Area,
    pub other_methods: OtherMethods,
    /// The handler as written in the table, e.g. `organizations::create`.
    pub handler: &'static str,
}

impl RouteInfo {
    /// The names of the path's parameters, in order (`{org}` → `org`).
    pub fn path_params(&self) -> Vec<&'static str> {
        self.path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
            .collect()
    }
}

/// One row with its actix route (built fresh for every mount: actix routes are not
/// `Clone`).
pub(crate) struct Route {
    pub(crate) info: RouteInfo,
    pub(crate) route: actix_web::Route,
}

impl Route {
    #[expect(clippy::too_many_arguments, reason = "one argument per table column")]
    fn new<F, Args>(
        area: Area,
        other_methods: OtherMethods,
        method: Method,
        path: &'static str,
        access: Access,
        operation_id: &'static str,
        handler_name: &'static str,
        handler: F,
    ) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        Route {
            route: web::method(method.clone()).to(handler),
            info: RouteInfo {
                method,
                path,
                access,
                operation_id,
                area,
                other_methods,
                handler: handler_name,
            },
        }
    }
}

/// Writes the table below as a list of [`Route`]s. Not formatted by rustfmt (a brace
/// macro with its own syntax), so the columns stay aligned.
macro_rules! route_table {
    ($( [$area:ident, $other:ident]
        $( $method:ident $path:literal $access:ident $op:ident $handler:expr; )*
    )*) => {
        pub(crate) fn routes() -> Vec<Route> {
            vec![$($(
                Route::new(
                    Area::$area,
                    OtherMethods::$other,
                    Method::$method,
                    $path,
                    Access::$access,
                    stringify!($op),
                    stringify!($handler),
                    $handler,
                ),
            )*)*]
        }
    };
}

route_table! {
// method  full path                                                    access     operation id                 handler
[Service, Guarded]
    GET    "/healthz"                                                   Anonymous  healthz                      health::healthz;
    GET    "/readyz"                                                    Anonymous  readyz                       health::readyz;
    GET    "/metrics"                                                   Anonymous  metrics                      health::metrics;
    GET    "/openapi.json"                                              Anonymous  openapi                      openapi::serve;

[Admin, Grouped]
    POST   "/admin/v1/organizations"                                    AdminKey   create_organization          organizations::create;
    GET    "/admin/v1/organizations"                                    AdminKey   list_organizations           organizations::list;
    GET    "/admin/v1/organizations/{org}"                              AdminKey   get_organization             organizations::get;
    PATCH  "/admin/v1/organizations/{org}"                              AdminKey   update_organization          organizations::update;
    DELETE "/admin/v1/organizations/{org}"                              AdminKey   delete_organization          organizations::delete;
    POST   "/admin/v1/organizations/{org}/domains"                      AdminKey   add_domain                   domains::add;
    GET    "/admin/v1/organizations/{org}/domains"                      AdminKey   list_domains                 domains::list;
    GET    "/admin/v1/organizations/{org}/domains/{domain}"             AdminKey   get_domain                   domains::get;
    DELETE "/admin/v1/organizations/{org}/domains/{domain}"             AdminKey   delete_domain                domains::delete;
    POST   "/admin/v1/organizations/{org}/domains/{domain}/verify"      AdminKey   verify_domain                domains::verify;
    POST   "/admin/v1/organizations/{org}/roles"                        AdminKey   create_role                  roles::create;
    GET    "/admin/v1/organizations/{org}/roles"                        AdminKey   list_roles                   roles::list;
    GET    "/admin/v1/organizations/{org}/roles/{role}"                 AdminKey   get_role                     roles::get;
    PATCH  "/admin/v1/organizations/{org}/roles/{role}"                 AdminKey   update_role                  roles::update;
    DELETE "/admin/v1/organizations/{org}/roles/{role}"                 AdminKey   delete_role                  roles::delete;
    POST   "/admin/v1/organizations/{org}/scim-directories"             AdminKey   create_scim_directory        scim_directories::create;
    GET    "/admin/v1/organizations/{org}/scim-directories"             AdminKey   list_scim_directories        scim_directories::list;
    GET    "/admin/v1/organizations/{org}/scim-directories/{dir}"       AdminKey   get_scim_directory           scim_directories::get;
    POST   "/admin/v1/organizations/{org}/scim-directories/{dir}/tokens"          AdminKey  rotate_scim_token   scim_directories::rotate;
    DELETE "/admin/v1/organizations/{org}/scim-directories/{dir}/tokens/{token}"  AdminKey  revoke_scim_token   scim_directories::revoke;
    POST   "/admin/v1/organizations/{org}/saml-connections"             AdminKey   create_saml_connection       saml_connections::create;
    GET    "/admin/v1/organizations/{org}/saml-connections"             AdminKey   list_saml_connections        saml_connections::list;
    GET    "/admin/v1/organizations/{org}/saml-connections/{connection}"     AdminKey  get_saml_connection     saml_connections::get;
    PATCH  "/admin/v1/organizations/{org}/saml-connections/{connection}"     AdminKey  update_saml_connection  saml_connections::update;
    DELETE "/admin/v1/organizations/{org}/saml-connections/{connection}"     AdminKey  delete_saml_connection  saml_connections::delete;
    GET    "/admin/v1/organizations/{org}/saml-connections/{connection}/sp-certificate"  AdminKey  get_sp_certificate  saml_connections::sp_certificate;
    POST   "/admin/v1/redirect-uris"                                    AdminKey   add_redirect_uri             sso::add_redirect_uri;
    GET    "/admin/v1/redirect-uris"                                    AdminKey   list_redirect_uris           sso::list_redirect_uris;
    DELETE "/admin/v1/redirect-uris/{id}"                               AdminKey   delete_redirect_uri          sso::delete_redirect_uri;
    POST   "/admin/v1/organizations/{org}/invitations"                  AdminKey   admin_create_invitation      sso::invite::<AdminAuth>;
    GET    "/admin/v1/organizations/{org}/invitations"                  AdminKey   admin_list_invitations       sso::list_invitations::<AdminAuth>;
    DELETE "/admin/v1/organizations/{org}/invitations/{id}"             AdminKey   admin_revoke_invitation      sso::revoke::<AdminAuth>;
    POST   "/admin/v1/api-keys"                                         AdminKey   create_api_key               api_keys::create;
    GET    "/admin/v1/api-keys"                                         AdminKey   list_api_keys                api_keys::list;
    DELETE "/admin/v1/api-keys/{id}"                                    AdminKey   revoke_api_key               api_keys::revoke;
    GET    "/admin/v1/events"                                           AdminKey   admin_list_events            log::events;
    GET    "/admin/v1/audit-entries"                                    AdminKey   list_audit_entries           log::audit;
    POST   "/admin/v1/webhooks"                                         AdminKey   create_webhook               webhooks::create;
    GET    "/admin/v1/webhooks"                                         AdminKey   list_webhooks                webhooks::list;
    GET    "/admin/v1/webhooks/{id}"                                    AdminKey   get_webhook                  webhooks::get;
    PATCH  "/admin/v1/webhooks/{id}"                                    AdminKey   update_webhook               webhooks::update;
    DELETE "/admin/v1/webhooks/{id}"                                    AdminKey   delete_webhook               webhooks::delete;
    POST   "/admin/v1/webhooks/{id}/rotate-secret"                      AdminKey   rotate_webhook_secret        webhooks::rotate;
    GET    "/admin/v1/webhooks/{id}/deliveries"                         AdminKey   list_webhook_deliveries      webhooks::deliveries;
    POST   "/admin/v1/webhooks/{id}/deliveries/{delivery}/redeliver"    AdminKey   redeliver_webhook_delivery   webhooks::redeliver;

[App, Guarded]
    GET    "/api/v1/events"                                             AppKey     list_events                  lifecycle_http::events;
    GET    "/api/v1/organizations/{org}/users"                          AppKey     list_users                   users_http::list;
    GET    "/api/v1/organizations/{org}/inactivity/preview"             AppKey     preview_inactivity           users_http::inactivity_preview;
    POST   "/api/v1/organizations/{org}/inactivity/run"                 AppKey     run_inactivity               users_http::inactivity_run;
    POST   "/api/v1/users/states"                                       AppKey     get_user_states              users_http::states;
    GET    "/api/v1/users/{id}"                                         AppKey     get_user                     users_http::get;
    POST   "/api/v1/users/{id}/suspend"                                 AppKey     suspend_user                 users_http::suspend;
    POST   "/api/v1/users/{id}/reactivate"                              AppKey     reactivate_user              users_http::reactivate;
    POST   "/api/v1/users/{id}/deprovision"                             AppKey     deprovision_user             users_http::deprovision;
    POST   "/api/v1/users/{id}/roles"                                   AppKey     assign_user_role             users_http::assign_role;
    DELETE "/api/v1/users/{id}/roles/{role}"                            AppKey     unassign_user_role           users_http::unassign_role;

[App, Grouped]
    POST   "/api/v1/organizations/{org}/invitations"                    AppKey     create_invitation            sso::invite::<AppAuth>;
    GET    "/api/v1/organizations/{org}/invitations"                    AppKey     list_invitations             sso::list_invitations::<AppAuth>;
    DELETE "/api/v1/organizations/{org}/invitations/{id}"               AppKey     revoke_invitation            sso::revoke::<AppAuth>;

[Scim, Grouped]
    // Discovery needs no token (RFC 7644 §4).
    GET    "/scim/v2/ServiceProviderConfig"                             Anonymous  scim_get_service_provider_config  scim_discovery::service_provider_config;
    GET    "/scim/v2/Schemas"                                           Anonymous  scim_list_schemas            scim_discovery::schemas;
    GET    "/scim/v2/Schemas/{id}"                                      Anonymous  scim_get_schema              scim_discovery::schema;
    GET    "/scim/v2/ResourceTypes"                                     Anonymous  scim_list_resource_types     scim_discovery::resource_types;
    GET    "/scim/v2/ResourceTypes/{name}"                              Anonymous  scim_get_resource_type       scim_discovery::resource_type;
    GET    "/scim/v2/Users"                                             ScimToken  scim_list_users              scim::scim_list::<Users>;
    POST   "/scim/v2/Users"                                             ScimToken  scim_create_user             scim::scim_create::<Users>;
    POST   "/scim/v2/Users/.search"                                     ScimToken  scim_search_users            scim::scim_search::<Users>;
    GET    "/scim/v2/Users/{id}"                                        ScimToken  scim_get_user                scim::scim_get::<Users>;
    PUT    "/scim/v2/Users/{id}"                                        ScimToken  scim_replace_user            scim::scim_replace::<Users>;
    PATCH  "/scim/v2/Users/{id}"                                        ScimToken  scim_patch_user              scim::scim_patch::<Users>;
    DELETE "/scim/v2/Users/{id}"                                        ScimToken  scim_delete_user             scim::scim_delete::<Users>;
    GET    "/scim/v2/Groups"                                            ScimToken  scim_list_groups             scim::scim_list::<Groups>;
    POST   "/scim/v2/Groups"                                            ScimToken  scim_create_group            scim::scim_create::<Groups>;
    POST   "/scim/v2/Groups/.search"                                    ScimToken  scim_search_groups           scim::scim_search::<Groups>;
    GET    "/scim/v2/Groups/{id}"                                       ScimToken  scim_get_group               scim::scim_get::<Groups>;
    PUT    "/scim/v2/Groups/{id}"                                       ScimToken  scim_replace_group           scim::scim_replace::<Groups>;
    PATCH  "/scim/v2/Groups/{id}"                                       ScimToken  scim_patch_group             scim::scim_patch::<Groups>;
    DELETE "/scim/v2/Groups/{id}"                                       ScimToken  scim_delete_group            scim::scim_delete::<Groups>;

[Sso, Guarded]
    GET    "/sso/saml/metadata/{connection}"                            Anonymous  get_sp_metadata              sso_http::sp_metadata;
    GET    "/sso/authorize"                                             Anonymous  authorize                    sso_http::authorize;
    POST   "/sso/saml/acs/{connection}"                                 Anonymous  saml_acs                     sso_http::acs_post;
    POST   "/sso/token"                                                 AppKey     exchange_code                sso_http::token;

[Dev, Guarded]
    GET    "/dev/idp/metadata"                                          DevSimulator  dev_idp_metadata          idp_simulator::http::metadata;
    GET    "/dev/idp/sso"                                               DevSimulator  dev_idp_sso_form          idp_simulator::http::sso_form;
    POST   "/dev/idp/sso"                                               DevSimulator  dev_idp_sso_submit        idp_simulator::http::sso_submit;
    GET    "/dev/callback"                                              DevSimulator  dev_callback              idp_simulator::http::callback;
}

/// Every route of the service as data (no server needed), in table order: what the
/// OpenAPI document and the route tests read.
pub fn table() -> Vec<RouteInfo> {
    routes().into_iter().map(|r| r.info).collect()
}

/// The table, built once per process: for lookups on the request path (middleware that
/// knows a route by its matched pattern, e.g. `rate_limit`).
pub fn rows() -> &'static [RouteInfo] {
    static ROWS: std::sync::OnceLock<Vec<RouteInfo>> = std::sync::OnceLock::new();
    ROWS.get_or_init(table)
}

/// The operation ids of the rows whose full path pattern is `pattern` (what
/// `match_pattern` gives), whatever their method.
pub fn operations_at(pattern: &str) -> impl Iterator<Item = &'static str> + '_ {
    rows()
        .iter()
        .filter(move |r| r.path == pattern)
        .map(|r| r.operation_id)
}

/// Registers every route of the table on `cfg`; the [`Access::DevSimulator`] rows only
/// when `dev_simulator` is on.
pub fn mount(cfg: &mut web::ServiceConfig, dev_simulator: bool) {
    let routes = routes()
        .into_iter()
        .filter(|r| dev_simulator || r.info.access != Access::DevSimulator)
        .collect();
    mount::mount(cfg, SCOPES, routes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_come_from_rows_that_exist() {
        let l = links("https://id.example.com/");
        assert_eq!(l.saml_acs("c1"), "https://id.example.com/sso/saml/acs/c1");
        assert_eq!(l.saml_acs_prefix(), "https://id.example.com/sso/saml/acs/");
        assert_eq!(
            l.saml_metadata("c1"),
            "https://id.example.com/sso/saml/metadata/c1"
        );
        assert_eq!(l.token(), "https://id.example.com/sso/token");
        assert_eq!(l.scim_base(), "https://id.example.com/scim/v2");
        assert_eq!(l.dev_idp_sso(), "https://id.example.com/dev/idp/sso");
        assert_eq!(l.dev_callback(), "https://id.example.com/dev/callback");
    }
}
