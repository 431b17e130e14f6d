//! The OpenAPI 3.1 document, built from the route table: paths, methods, operation ids,
//! tags, path parameters and security come from [`super::routes::table`]; this file adds
//! what a row does not say — a summary, the request body and the success answers — keyed
//! by operation id ([`doc`]), and the error answers by area. Nothing here names a path.
//! Schemas come from `ToSchema` derives on the DTOs; answers built as raw JSON are
//! described by hand in [`described`].
//! The development simulator's rows ([`Access::DevSimulator`]) are left out: they are
//! not mounted by default. Served at `GET /openapi.json`, committed as
//! `docs/openapi.json` (a test keeps the two equal).
//!
//! Over 400 lines on purpose: most of it is [`doc`], one arm per operation, read as a list
//! beside the route table.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use actix_web::http::Method;
use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, Parameter, ParameterBuilder, ParameterIn,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathItem,
    PathsBuilder, Ref, RefOr, Required, ResponseBuilder, ResponsesBuilder,
};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use self::described::{
    array_of, health, login_profile, next_after, nullable_string, openapi_document, readiness,
    redirect_uri, saml_post, string, Field,
};
use super::routes::{table, Access, Area, RouteInfo};
use crate::admin::scim_directories::CreateDirectory;
use crate::jit::invitations::{CreateInvitation, InvitationView};
use crate::lifecycle::feed::{AuditView, EventView};
use crate::lifecycle::inactivity::Outcome;
use crate::lifecycle::users::{StateLookup, UserView};
use crate::lifecycle::users_http::{ActionBody, RoleBody, StatesBody};
use crate::lifecycle::webhooks::{
    CreateEndpoint, DeliveryView, EndpointView, EndpointWithSecret, UpdateEndpoint,
};
use crate::scim::directories::{CreatedDirectory, CreatedToken, DirectoryView};
use crate::scim::http::SCIM_JSON;
use crate::sso::connections::{
    ConnectionView, CreateConnection, SpCertificateView, UpdateConnection,
};
use crate::tenancy::api_keys::{ApiKeyView, CreateApiKey, CreatedApiKey};
use crate::tenancy::domains::{AddDomain, DomainView, VerifyDomain};
use crate::tenancy::organizations::{CreateOrganization, OrganizationView, UpdateOrganization};
use crate::tenancy::roles::{CreateRole, RoleView, UpdateRole};

/// The error body of the admin and app APIs (`error.rs`): every 4xx and 5xx answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    /// A stable code: `unauthorized`, `not_found`, `validation_failed`, `conflict`,
    /// `invalid_json`, `invalid_query`, `payload_too_large`, …
    pub error: String,
    pub message: String,
    /// The offending field, for `validation_failed` and some `conflict` answers.
    pub field: Option<String>,
    /// For 5xx answers: the id the log line carries.
    pub error_id: Option<String>,
}

/// The SCIM error body (RFC 7644 §3.12).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ScimError)]
pub struct ScimErrorBody {
    /// `["urn:ietf:params:scim:api:messages:2.0:Error"]`.
    pub schemas: Vec<String>,
    /// The HTTP status, as a string.
    pub status: String,
    #[serde(rename = "scimType")]
    pub scim_type: Option<String>,
    pub detail: String,
}

mod described;
mod vocabulary;

/// A body or answer's content.
enum Payload {
    /// JSON with a named schema (registered under `components.schemas`).
    Json(Named),
    /// `{"data": [<named>], …}`: a page of a named schema, with more top-level fields
    /// (such as the next cursor) if any.
    Page(Named, Vec<Field>),
    /// `application/scim+json`, a SCIM resource or message (RFC 7643/7644).
    Scim,
    Html,
    Xml,
    Text,
    /// `application/x-www-form-urlencoded`, its fields described by a named schema.
    Form(Named),
    /// No body.
    Empty,
}

/// A schema with its name and every schema it refers to.
struct Named {
    name: String,
    schemas: Vec<(String, RefOr<Schema>)>,
}

fn json<T: ToSchema>() -> Payload {
    Payload::Json(named::<T>())
}

fn page<T: ToSchema>() -> Payload {
    Payload::Page(named::<T>(), Vec::new())
}

/// A page with more top-level fields next to `data`.
fn page_with<T: ToSchema>(more: Vec<Field>) -> Payload {
    Payload::Page(named::<T>(), more)
}

fn named<T: ToSchema>() -> Named {
    let name = T::name().into_owned();
    let mut schemas = vec![(name.clone(), T::schema())];
    T::schemas(&mut schemas);
    Named { name, schemas }
}

/// What the document says about an operation beyond its table row.
struct Doc {
    summary: &'static str,
    /// The request body and whether it is required (an empty body reads as `{}`).
    body: Option<(Payload, bool)>,
    /// The success answers: status, description, content.
    ok: Vec<(u16, &'static str, Payload)>,
}

fn d(summary: &'static str, ok: Vec<(u16, &'static str, Payload)>) -> Doc {
    Doc {
        summary,
        body: None,
        ok,
    }
}

impl Doc {
    fn body(mut self, payload: Payload, required: bool) -> Self {
        self.body = Some((payload, required));
        self
    }
}

const OK: &str = "OK";
const CREATED: &str = "Created";
const GONE: &str = "Deleted";

/// The summary, body and success answers of each operation, by operation id; `None` for
/// an id this file does not know (a test fails on it).
fn doc(operation_id: &str) -> Option<Doc> {
    use Payload::{Empty, Scim, Text, Xml};
    let doc = match operation_id {
        "healthz" => d("Liveness: the process is up", vec![(200, OK, health())]),
        "readyz" => d(
            "Readiness: the database answers and carries every migration",
            vec![(200, "Ready", readiness()), (503, "Not ready", readiness())],
        ),
        "metrics" => d("Prometheus metrics", vec![(200, OK, Text)]),
        "openapi" => d(
            "This OpenAPI document",
            vec![(200, OK, Payload::Json(openapi_document()))],
        ),

        "create_organization" => d(
            "Create an organization",
            vec![(201, CREATED, json::<OrganizationView>())],
        )
        .body(json::<CreateOrganization>(), true),
        "list_organizations" => d(
            "List organizations",
            vec![(200, OK, page::<OrganizationView>())],
        ),
        "get_organization" => d(
            "Get an organization",
            vec![(200, OK, json::<OrganizationView>())],
        ),
        "update_organization" => d(
            "Update an organization's settings",
            vec![(200, OK, json::<OrganizationView>())],
        )
        .body(json::<UpdateOrganization>(), false),
        "delete_organization" => d(
            "Delete an organization and everything in it",
            vec![(204, GONE, Empty)],
        ),
        "add_domain" => d("Add a domain", vec![(201, CREATED, json::<DomainView>())])
            .body(json::<AddDomain>(), true),
        "list_domains" => d(
            "List an organization's domains",
            vec![(200, OK, page::<DomainView>())],
        ),
        "get_domain" => d("Get a domain", vec![(200, OK, json::<DomainView>())]),
        "delete_domain" => d("Delete a domain", vec![(204, GONE, Empty)]),
        "verify_domain" => d(
            "Verify a domain (DNS TXT record, or by the admin)",
            vec![(200, OK, json::<DomainView>())],
        )
        .body(json::<VerifyDomain>(), false),
        "create_role" => d("Create a role", vec![(201, CREATED, json::<RoleView>())])
            .body(json::<CreateRole>(), true),
        "list_roles" => d(
            "List an organization's roles",
            vec![(200, OK, page::<RoleView>())],
        ),
        "get_role" => d("Get a role", vec![(200, OK, json::<RoleView>())]),
        "update_role" => d("Update a role", vec![(200, OK, json::<RoleView>())])
            .body(json::<UpdateRole>(), false),
        "delete_role" => d("Delete a role", vec![(204, GONE, Empty)]),
        "create_scim_directory" => d(
            "Create a SCIM directory (its first token is shown once)",
            vec![(201, CREATED, json::<CreatedDirectory>())],
        )
        .body(json::<CreateDirectory>(), false),
        "list_scim_directories" => d(
            "List an organization's SCIM directories",
            vec![(200, OK, page::<DirectoryView>())],
        ),
        "get_scim_directory" => d(
            "Get a SCIM directory",
            vec![(200, OK, json::<DirectoryView>())],
        ),
        "rotate_scim_token" => d(
            "Create a new SCIM token for a directory (shown once)",
            vec![(201, CREATED, json::<CreatedToken>())],
        ),
        "revoke_scim_token" => d("Revoke a SCIM token", vec![(204, GONE, Empty)]),
        "create_saml_connection" => d(
            "Create a SAML connection (from IdP metadata XML or explicit values)",
            vec![(201, CREATED, json::<ConnectionView>())],
        )
        .body(json::<CreateConnection>(), true),
        "list_saml_connections" => d(
            "List an organization's SAML connections",
            vec![(200, OK, page::<ConnectionView>())],
        ),
        "get_saml_connection" => d(
            "Get a SAML connection",
            vec![(200, OK, json::<ConnectionView>())],
        ),
        "update_saml_connection" => d(
            "Update a SAML connection",
            vec![(200, OK, json::<ConnectionView>())],
        )
        .body(json::<UpdateConnection>(), false),
        "delete_saml_connection" => d("Delete a SAML connection", vec![(204, GONE, Empty)]),
        "get_sp_certificate" => d(
            "The SP certificate of a connection",
            vec![(200, OK, json::<SpCertificateView>())],
        ),
        "add_redirect_uri" => d(
            "Allow a login redirect URI",
            vec![(201, CREATED, Payload::Json(redirect_uri()))],
        )
        .body(json::<crate::admin::sso::AddRedirectUri>(), true),
        "list_redirect_uris" => d(
            "List the allowed login redirect URIs (`environment`: those the server's \
             configuration allows, not removable here)",
            vec![(
                200,
                OK,
                Payload::Page(
                    redirect_uri(),
                    vec![("environment", array_of(string()), true)],
                ),
            )],
        ),
        "delete_redirect_uri" => d(
            "Remove an allowed login redirect URI",
            vec![(204, GONE, Empty)],
        ),
        "admin_create_invitation" | "create_invitation" => d(
            "Invite a person to an organization",
            vec![(201, CREATED, json::<InvitationView>())],
        )
        .body(json::<CreateInvitation>(), true),
        "admin_list_invitations" | "list_invitations" => d(
            "List an organization's invitations",
            vec![(200, OK, page::<InvitationView>())],
        ),
        "admin_revoke_invitation" | "revoke_invitation" => d(
            "Revoke an invitation",
            vec![(200, OK, json::<InvitationView>())],
        ),
        "create_api_key" => d(
            "Create an API key (shown once)",
            vec![(201, CREATED, json::<CreatedApiKey>())],
        )
        .body(json::<CreateApiKey>(), true),
        "list_api_keys" => d("List API keys", vec![(200, OK, page::<ApiKeyView>())]),
        "revoke_api_key" => d("Revoke an API key", vec![(200, OK, json::<ApiKeyView>())]),
        "admin_list_events" => d(
            "Read the event log (admin)",
            vec![(200, OK, page_with::<EventView>(next_after()))],
        ),
        "list_audit_entries" => d("Read the audit trail", vec![(200, OK, page::<AuditView>())]),
        "create_webhook" => d(
            "Create a webhook endpoint (its secret is shown once)",
            vec![(201, CREATED, json::<EndpointWithSecret>())],
        )
        .body(json::<CreateEndpoint>(), true),
        "list_webhooks" => d(
            "List webhook endpoints",
            vec![(200, OK, page::<EndpointView>())],
        ),
        "get_webhook" => d(
            "Get a webhook endpoint",
            vec![(200, OK, json::<EndpointView>())],
        ),
        "update_webhook" => d(
            "Update a webhook endpoint",
            vec![(200, OK, json::<EndpointView>())],
        )
        .body(json::<UpdateEndpoint>(), false),
        "delete_webhook" => d("Delete a webhook endpoint", vec![(204, GONE, Empty)]),
        "rotate_webhook_secret" => d(
            "Rotate a webhook endpoint's secret (shown once)",
            vec![(200, OK, json::<EndpointWithSecret>())],
        ),
        "list_webhook_deliveries" => d(
            "List an endpoint's deliveries",
            vec![(200, OK, page::<DeliveryView>())],
        ),
        "redeliver_webhook_delivery" => d(
            "Queue a delivery again",
            vec![(200, OK, json::<DeliveryView>())],
        ),

        "list_events" => d(
            "Read the event feed after a cursor, in commit order",
            vec![(200, OK, page_with::<EventView>(next_after()))],
        ),
        "list_users" => d(
            "List an organization's users",
            vec![(
                200,
                OK,
                page_with::<UserView>(vec![("next_cursor", nullable_string(), true)]),
            )],
        ),
        "preview_inactivity" => d(
            "Preview what the inactivity policy would do",
            vec![(200, OK, json::<Outcome>())],
        ),
        "run_inactivity" => d(
            "Run the inactivity policy for an organization now",
            vec![(200, OK, json::<Outcome>())],
        ),
        "get_user_states" => d(
            "The current state of up to 1000 users",
            vec![(200, OK, page::<StateLookup>())],
        )
        .body(json::<StatesBody>(), true),
        "get_user" => d("Get a user", vec![(200, OK, json::<UserView>())]),
        "suspend_user" => d("Suspend a user", vec![(200, OK, json::<UserView>())])
            .body(json::<ActionBody>(), false),
        "reactivate_user" => d(
            "Reactivate a suspended user",
            vec![(200, OK, json::<UserView>())],
        )
        .body(json::<ActionBody>(), false),
        "deprovision_user" => d("Deprovision a user", vec![(200, OK, json::<UserView>())])
            .body(json::<ActionBody>(), false),
        "assign_user_role" => d(
            "Assign a role to a user (manual)",
            vec![(200, OK, json::<UserView>())],
        )
        .body(json::<RoleBody>(), true),
        "unassign_user_role" => d(
            "Remove a manually assigned role",
            vec![(200, OK, json::<UserView>())],
        ),

        "scim_get_service_provider_config" => d(
            "SCIM ServiceProviderConfig (RFC 7644 §4)",
            vec![(200, OK, Scim)],
        ),
        "scim_list_schemas" => d("SCIM Schemas (RFC 7644 §4)", vec![(200, OK, Scim)]),
        "scim_get_schema" => d("One SCIM schema", vec![(200, OK, Scim)]),
        "scim_list_resource_types" => d("SCIM ResourceTypes (RFC 7644 §4)", vec![(200, OK, Scim)]),
        "scim_get_resource_type" => d("One SCIM resource type", vec![(200, OK, Scim)]),
        "scim_list_users" => d(
            "List or filter Users (RFC 7644 §3.4.2)",
            vec![(200, OK, Scim)],
        ),
        "scim_create_user" => {
            d("Create a User (RFC 7644 §3.3)", vec![(201, CREATED, Scim)]).body(Scim, true)
        }
        "scim_search_users" => {
            d("Search Users (RFC 7644 §3.4.3)", vec![(200, OK, Scim)]).body(Scim, true)
        }
        "scim_get_user" => d(
            "Get a User (RFC 7644 §3.4.1)",
            vec![
                (200, OK, Scim),
                (304, "Not modified (If-None-Match)", Empty),
            ],
        ),
        "scim_replace_user" => {
            d("Replace a User (RFC 7644 §3.5.1)", vec![(200, OK, Scim)]).body(Scim, true)
        }
        "scim_patch_user" => {
            d("Modify a User (RFC 7644 §3.5.2)", vec![(200, OK, Scim)]).body(Scim, true)
        }
        "scim_delete_user" => d("Delete a User (RFC 7644 §3.6)", vec![(204, GONE, Empty)]),
        "scim_list_groups" => d(
            "List or filter Groups (RFC 7644 §3.4.2)",
            vec![(200, OK, Scim)],
        ),
        "scim_create_group" => {
            d("Create a Group (RFC 7644 §3.3)", vec![(201, CREATED, Scim)]).body(Scim, true)
        }
        "scim_search_groups" => {
            d("Search Groups (RFC 7644 §3.4.3)", vec![(200, OK, Scim)]).body(Scim, true)
        }
        "scim_get_group" => d(
            "Get a Group (RFC 7644 §3.4.1)",
            vec![
                (200, OK, Scim),
                (304, "Not modified (If-None-Match)", Empty),
            ],
        ),
        "scim_replace_group" => {
            d("Replace a Group (RFC 7644 §3.5.1)", vec![(200, OK, Scim)]).body(Scim, true)
        }
        "scim_patch_group" => d(
            "Modify a Group (RFC 7644 §3.5.2)",
            vec![
                (200, OK, Scim),
                (204, "Modified; no representation asked for", Empty),
            ],
        )
        .body(Scim, true),
        "scim_delete_group" => d("Delete a Group (RFC 7644 §3.6)", vec![(204, GONE, Empty)]),

        "get_sp_metadata" => d("SAML SP metadata of a connection", vec![(200, OK, Xml)]),
        "authorize" => d(
            "Start a login: redirect to the organization's IdP",
            vec![(302, "Redirect to the IdP", Empty)],
        ),
        "saml_acs" => d(
            "SAML assertion consumer service (HTTP-POST binding)",
            vec![(
                302,
                "Redirect to the app with `code` and `state`, or `error`",
                Empty,
            )],
        )
        .body(Payload::Form(saml_post()), true),
        "exchange_code" => d(
            "Exchange a one-time login code for the profile",
            vec![(200, OK, login_profile())],
        )
        .body(json::<crate::sso_http::TokenRequest>(), true),
        _ => return None,
    };
    Some(doc)
}

/// The query parameters of each operation that reads any, by operation id.
fn query(operation_id: &str) -> Vec<Parameter> {
    fn of<T: IntoParams>() -> Vec<Parameter> {
        T::into_params(|| Some(ParameterIn::Query))
    }
    /// RFC 7644 §3.4.2 (list) and §3.4.2.5 (attribute selection).
    fn scim(names: &[&str]) -> Vec<Parameter> {
        names
            .iter()
            .map(|name| {
                ParameterBuilder::new()
                    .name(*name)
                    .parameter_in(ParameterIn::Query)
                    .required(Required::False)
                    .schema(Some(String::schema()))
                    .build()
            })
            .collect()
    }
    const SCIM_LIST: &[&str] = &[
        "filter",
        "sortBy",
        "sortOrder",
        "startIndex",
        "count",
        "attributes",
        "excludedAttributes",
    ];
    const SCIM_READ: &[&str] = &["attributes", "excludedAttributes"];
    match operation_id {
        "list_organizations" => of::<crate::admin::organizations::Page>(),
        "admin_list_events" => of::<crate::admin::log::EventQuery>(),
        "list_audit_entries" => of::<crate::admin::log::AuditQuery>(),
        "list_webhook_deliveries" => of::<crate::admin::webhooks::Limit>(),
        "list_events" => of::<crate::lifecycle::http::EventQuery>(),
        "list_users" => of::<crate::lifecycle::users_http::ListQuery>(),
        "authorize" => of::<crate::sso::authorize::AuthorizeParams>(),
        "scim_list_users" | "scim_list_groups" => scim(SCIM_LIST),
        "scim_get_user" | "scim_get_group" | "scim_patch_group" => scim(SCIM_READ),
        _ => Vec::new(),
    }
}

/// The security scheme name of an access class, if it needs one.
fn scheme(access: Access) -> Option<&'static str> {
    match access {
        Access::AdminKey => Some("admin_key"),
        Access::AppKey => Some("app_key"),
        Access::ScimToken => Some("scim_token"),
        Access::Anonymous | Access::DevSimulator => None,
    }
}

fn http_method(m: &Method) -> Option<HttpMethod> {
    Some(match *m {
        Method::GET => HttpMethod::Get,
        Method::POST => HttpMethod::Post,
        Method::PUT => HttpMethod::Put,
        Method::PATCH => HttpMethod::Patch,
        Method::DELETE => HttpMethod::Delete,
        Method::HEAD => HttpMethod::Head,
        Method::OPTIONS => HttpMethod::Options,
        Method::TRACE => HttpMethod::Trace,
        _ => return None,
    })
}

fn schema_ref(name: &str) -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(name))
}

fn any_object() -> RefOr<Schema> {
    ObjectBuilder::new().schema_type(Type::Object).into()
}

/// The content map of a payload (media type → schema); registers named schemas.
fn content(
    payload: &Payload,
    schemas: &mut BTreeMap<String, RefOr<Schema>>,
) -> Option<(&'static str, Option<RefOr<Schema>>)> {
    let mut register = |n: &Named| {
        for (name, schema) in &n.schemas {
            schemas
                .entry(name.clone())
                .or_insert_with(|| schema.clone());
        }
    };
    Some(match payload {
        Payload::Json(n) => {
            register(n);
            ("application/json", Some(schema_ref(&n.name)))
        }
        Payload::Page(n, more) => {
            register(n);
            let mut list = ObjectBuilder::new()
                .schema_type(Type::Object)
                .property("data", ArrayBuilder::new().items(schema_ref(&n.name)))
                .required("data");
            for (field, schema, required) in more {
                list = list.property(*field, schema.clone());
                if *required {
                    list = list.required(*field);
                }
            }
            ("application/json", Some(list.into()))
        }
        Payload::Scim => (SCIM_JSON, Some(any_object())),
        Payload::Html => ("text/html", None),
        Payload::Xml => ("application/samlmetadata+xml", None),
        Payload::Text => ("text/plain", None),
        Payload::Form(n) => {
            register(n);
            (
                "application/x-www-form-urlencoded",
                Some(schema_ref(&n.name)),
            )
        }
        Payload::Empty => return None,
    })
}

fn response(
    description: &str,
    payload: &Payload,
    schemas: &mut BTreeMap<String, RefOr<Schema>>,
) -> utoipa::openapi::Response {
    let mut b = ResponseBuilder::new().description(description);
    if let Some((media, schema)) = content(payload, schemas) {
        let mut c = ContentBuilder::new();
        if let Some(s) = schema {
            c = c.schema(Some(s));
        }
        b = b.content(media, c.build());
    }
    b.build()
}

/// The 4xx answers a route can give, in its area's error format.
fn errors(route: &RouteInfo, has_body: bool) -> Vec<(u16, &'static str)> {
    let mut out = Vec::new();
    let keyed = scheme(route.access).is_some();
    match route.area {
        Area::Service | Area::Dev => {}
        Area::Admin | Area::App => {
            out.push((400, "Malformed JSON or query"));
            if keyed {
                out.push((401, "Missing, unknown or revoked key"));
            }
            out.push((404, "Not found"));
            out.push((409, "Conflict"));
            if has_body {
                out.push((413, "Body too large"));
            }
            out.push((422, "Validation failed"));
        }
        Area::Scim => {
            out.push((400, "Invalid request (RFC 7644 §3.12)"));
            if keyed {
                out.push((401, "Missing or invalid SCIM token"));
            }
            out.push((404, "Not found"));
            if has_body {
                out.push((409, "Uniqueness conflict"));
            }
            if matches!(route.method, Method::PUT | Method::PATCH | Method::DELETE) {
                out.push((412, "If-Match names another version (RFC 7644 §3.14)"));
            }
            if has_body {
                out.push((413, "Body too large"));
                out.push((415, "Not application/scim+json"));
            }
        }
        Area::Sso => match route.operation_id {
            "exchange_code" => {
                out.push((400, "Invalid or expired code, or malformed body"));
                out.push((401, "Missing, unknown or revoked app key"));
                out.push((413, "Body too large"));
                out.push((422, "Validation failed"));
                out.push((429, "Too many requests"));
            }
            "get_sp_metadata" => out.push((404, "No such connection")),
            // Browser endpoints: failures are an HTML page for the person.
            _ => {}
        },
    }
    out
}

/// The error pages of the browser-facing SSO endpoints.
fn page_errors(route: &RouteInfo) -> Vec<(u16, &'static str)> {
    match route.operation_id {
        "authorize" | "saml_acs" => vec![
            (400, "Sign-in failed (error page)"),
            (403, "Sign-in refused (error page)"),
            (404, "Unknown organization or connection (error page)"),
            (413, "Body too large"),
            (422, "Sign-in failed (error page)"),
            (429, "Too many sign-in attempts (error page)"),
        ],
        _ => Vec::new(),
    }
}

fn operation(
    route: &RouteInfo,
    doc: &Doc,
    schemas: &mut BTreeMap<String, RefOr<Schema>>,
) -> utoipa::openapi::path::Operation {
    let mut op = OperationBuilder::new()
        .operation_id(Some(route.operation_id))
        .summary(Some(doc.summary))
        .tag(route.area.tag());
    for name in route.path_params() {
        op = op.parameter(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .schema(Some(String::schema())),
        );
    }
    for param in query(route.operation_id) {
        op = op.parameter(param);
    }
    if let Some((payload, required)) = &doc.body {
        if let Some((media, schema)) = content(payload, schemas) {
            let mut c = ContentBuilder::new();
            if let Some(s) = schema {
                c = c.schema(Some(s));
            }
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .content(media, c.build())
                    .required(Some(if *required {
                        Required::True
                    } else {
                        Required::False
                    }))
                    .build(),
            ));
        }
    }
    let mut responses = ResponsesBuilder::new();
    for (status, description, payload) in &doc.ok {
        responses = responses.response(status.to_string(), response(description, payload, schemas));
    }
    let error_payload = if route.area == Area::Scim {
        json::<ScimErrorBody>()
    } else {
        json::<ErrorBody>()
    };
    let error_payload = match error_payload {
        Payload::Json(n) if route.area == Area::Scim => {
            // SCIM errors go out as application/scim+json.
            for (name, schema) in &n.schemas {
                schemas
                    .entry(name.clone())
                    .or_insert_with(|| schema.clone());
            }
            let c = ContentBuilder::new()
                .schema(Some(schema_ref(&n.name)))
                .build();
            Some((SCIM_JSON, c))
        }
        other => content(&other, schemas)
            .map(|(media, schema)| (media, ContentBuilder::new().schema(schema).build())),
    };
    for (status, description) in errors(route, doc.body.is_some()) {
        let mut r = ResponseBuilder::new().description(description);
        if let Some((media, c)) = &error_payload {
            r = r.content(*media, c.clone());
        }
        responses = responses.response(status.to_string(), r.build());
    }
    for (status, description) in page_errors(route) {
        responses = responses.response(
            status.to_string(),
            response(description, &Payload::Html, schemas),
        );
    }
    op = op.responses(responses.build());
    if let Some(name) = scheme(route.access) {
        op = op.security(SecurityRequirement::new(name, Vec::<String>::new()));
    }
    op.build()
}

/// The routes the document lists: every row but the development simulator's (not
/// mounted by default).
pub fn documented(route: &RouteInfo) -> bool {
    route.access != Access::DevSimulator
}

/// The operation ids of the table that [`doc`] does not describe (a test keeps it empty).
pub fn undocumented() -> Vec<&'static str> {
    table()
        .into_iter()
        .filter(documented)
        .filter(|r| doc(r.operation_id).is_none())
        .map(|r| r.operation_id)
        .collect()
}

/// The document, built from the table.
pub fn document() -> OpenApi {
    let mut schemas = BTreeMap::new();
    let mut paths = PathsBuilder::new();
    for route in table().iter().filter(|r| documented(r)) {
        let (Some(method), Some(doc)) = (http_method(&route.method), doc(route.operation_id))
        else {
            continue;
        };
        let op = operation(route, &doc, &mut schemas);
        paths = paths.path(route.path, PathItem::new(method, op));
    }
    let bearer = |description: &str| {
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.description = Some(description.to_owned());
        SecurityScheme::Http(http)
    };
    let mut components = ComponentsBuilder::new()
        .security_scheme(
            "admin_key",
            bearer("An admin API key: `Authorization: Bearer <admin key>`"),
        )
        .security_scheme(
            "app_key",
            bearer("An app API key: `Authorization: Bearer <app key>` (admin keys are refused)"),
        )
        .security_scheme(
            "scim_token",
            bearer("A SCIM directory token: `Authorization: Bearer <token>`"),
        );
    for (name, schema) in schemas {
        components = components.schema(name, schema);
    }
    let tags = [
        (Area::Service, "Liveness, readiness, metrics, this document"),
        (
            Area::Admin,
            "The admin API (`/admin/v1`), with an admin key",
        ),
        (Area::App, "The app API (`/api/v1`), with an app key"),
        (
            Area::Scim,
            "The SCIM 2.0 service provider (RFC 7644), with a directory token",
        ),
        (Area::Sso, "SAML single sign-on and the app's code exchange"),
    ]
    .into_iter()
    .map(|(area, description)| {
        TagBuilder::new()
            .name(area.tag())
            .description(Some(description))
            .build()
    });
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("provisiond")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "JIT and SCIM 2.0 identity provisioning server. Generated from the route \
                     table (src/http/routes.rs).",
                ))
                .build(),
        )
        .paths(paths.build())
        .components(Some(components.build()))
        .tags(Some(tags))
        .build()
}

/// The document as pretty-printed JSON with a final newline: what `GET /openapi.json`
/// serves and `docs/openapi.json` holds.
pub fn document_json() -> String {
    let mut json = document()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    json.push('\n');
    json
}

/// `GET /openapi.json`: built once per process (the same bytes for every request).
pub(crate) async fn serve() -> HttpResponse {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    HttpResponse::Ok()
        .content_type("application/json")
        .body(DOCUMENT.get_or_init(document_json).as_str())
}
