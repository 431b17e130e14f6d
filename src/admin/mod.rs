//! The admin API under `/admin/v1`: organizations (with JIT settings), domains, roles,
//! SAML connections, SCIM directories, redirect URIs, invitations, API keys, webhook
//! endpoints, and read access to the event log and audit trail. Handlers are thin:
//! extract, authenticate, call the domain room, map the result. Their routes are rows of
//! the table in `http::routes`. A handler takes an [`AdminCall`](crate::auth::AdminCall)
//! (state, actor, request id; the invitation handlers, mounted for both key kinds, take
//! the key generically) and answers through the helpers below, so its body is the domain
//! call.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::error::ApiError;

pub mod api_keys;
pub mod domains;
pub mod log;
pub mod organizations;
pub mod roles;
pub mod saml_connections;
pub mod scim_directories;
pub mod sso;
pub mod webhooks;

/// What an admin handler answers.
pub(crate) type Reply = Result<HttpResponse, ApiError>;

/// The `{org}` segment of an organization-scoped path.
pub(crate) type OrgPath = web::Path<String>;

/// The `{org}` and item id segments of an organization-scoped item's path.
pub(crate) type OrgItemPath = web::Path<(String, String)>;

/// 201 with `value` as the body (a created thing, or a secret shown once).
pub(crate) fn created(value: impl Serialize) -> Reply {
    Ok(HttpResponse::Created().json(value))
}

/// 200 with `value` as the body.
pub(crate) fn ok(value: impl Serialize) -> Reply {
    Ok(HttpResponse::Ok().json(value))
}

/// 200 with a list as `{"data": items}`.
pub(crate) fn data(items: impl Serialize) -> Reply {
    ok(serde_json::json!({ "data": items }))
}

/// 204, no body (a delete or revoke that has nothing to show).
pub(crate) fn no_content() -> Reply {
    Ok(HttpResponse::NoContent().finish())
}
