//! `/admin/v1/redirect-uris` (the login redirect allow-list) and
//! `/admin/v1/organizations/{org}/invitations`. The app API mounts the same invitation
//! handlers under `/api/v1` with an app key (two rows each in `http::routes`).

use actix_web::web;
use serde::Deserialize;
use serde_json::json;

use super::{created, data, no_content, ok, Reply};
use crate::app::AppState;
use crate::auth::{AdminCall, Authenticated};
use crate::extract::ApiJson;
use crate::jit::invitations::{self, CreateInvitation};
use crate::sso::redirects;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddRedirectUri {
    uri: String,
}

pub(crate) async fn add_redirect_uri(call: AdminCall, body: ApiJson<AddRedirectUri>) -> Reply {
    let row = redirects::add(&call.app, &call.actor, call.request_id, body.0.uri).await?;
    created(json!({ "id": row.id, "uri": row.uri, "created_at": row.created_at.and_utc() }))
}

pub(crate) async fn list_redirect_uris(call: AdminCall) -> Reply {
    let (managed, environment) = redirects::list(&call.app).await?;
    let data: Vec<_> = managed
        .into_iter()
        .map(|r| json!({ "id": r.id, "uri": r.uri, "created_at": r.created_at.and_utc() }))
        .collect();
    ok(json!({ "data": data, "environment": environment }))
}

pub(crate) async fn delete_redirect_uri(call: AdminCall, id: web::Path<String>) -> Reply {
    redirects::remove(&call.app, &call.actor, call.request_id, id.into_inner()).await?;
    no_content()
}

pub(crate) async fn invite<K: Authenticated>(
    app: web::Data<AppState>,
    auth: K,
    org: web::Path<String>,
    body: ApiJson<CreateInvitation>,
) -> Reply {
    let (actor, request_id) = auth.into_parts();
    let org = org.into_inner();
    created(invitations::create_invitation(&app, &actor, request_id, org, body.0).await?)
}

pub(crate) async fn list_invitations<K: Authenticated>(
    app: web::Data<AppState>,
    _auth: K,
    org: web::Path<String>,
) -> Reply {
    data(invitations::list_invitations(&app, org.into_inner()).await?)
}

pub(crate) async fn revoke<K: Authenticated>(
    app: web::Data<AppState>,
    auth: K,
    path: web::Path<(String, String)>,
) -> Reply {
    let (actor, request_id) = auth.into_parts();
    let (org, id) = path.into_inner();
    ok(invitations::revoke_invitation(&app, &actor, request_id, org, id).await?)
}
