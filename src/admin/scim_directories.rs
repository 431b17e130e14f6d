//! `/admin/v1/organizations/{org}/scim-directories`: create (with a first token, shown
//! once), list, read (tokens with last-used times), rotate (add a token), revoke a token.

use actix_web::web;
use serde::Deserialize;

use super::{created, data, no_content, ok, OrgItemPath, OrgPath, Reply};
use crate::auth::AdminCall;
use crate::extract::ApiJson;
use crate::scim::directories;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateDirectory {
    name: Option<String>,
}

pub(crate) async fn create(call: AdminCall, org: OrgPath, body: ApiJson<CreateDirectory>) -> Reply {
    let (org, name) = (org.into_inner(), body.0.name);
    created(
        directories::create_directory(&call.app, &call.actor, call.request_id, org, name).await?,
    )
}

pub(crate) async fn list(call: AdminCall, org: OrgPath) -> Reply {
    data(directories::list_directories(&call.app, org.into_inner()).await?)
}

pub(crate) async fn get(call: AdminCall, path: OrgItemPath) -> Reply {
    let (org, dir) = path.into_inner();
    ok(directories::get_directory(&call.app, org, dir).await?)
}

pub(crate) async fn rotate(call: AdminCall, path: OrgItemPath) -> Reply {
    let (org, dir) = path.into_inner();
    created(directories::rotate_token(&call.app, &call.actor, call.request_id, org, dir).await?)
}

pub(crate) async fn revoke(call: AdminCall, path: web::Path<(String, String, String)>) -> Reply {
    let (org, dir, token) = path.into_inner();
    directories::revoke_token(&call.app, &call.actor, call.request_id, org, dir, token).await?;
    no_content()
}
