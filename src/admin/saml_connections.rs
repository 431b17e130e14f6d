//! `/admin/v1/organizations/{org}/saml-connections`: create (from IdP metadata XML or
//! fields), list, read, update, delete, and the SP certificate to give the IdP.

use super::{created, data, no_content, ok, OrgItemPath, OrgPath, Reply};
use crate::auth::AdminCall;
use crate::extract::ApiJson;
use crate::sso::connections::{self, CreateConnection, UpdateConnection};

pub(crate) async fn create(
    call: AdminCall,
    org: OrgPath,
    body: ApiJson<CreateConnection>,
) -> Reply {
    let org = org.into_inner();
    created(
        connections::create_connection(&call.app, &call.actor, call.request_id, org, body.0)
            .await?,
    )
}

pub(crate) async fn list(call: AdminCall, org: OrgPath) -> Reply {
    data(connections::list_connections(&call.app, org.into_inner()).await?)
}

pub(crate) async fn get(call: AdminCall, path: OrgItemPath) -> Reply {
    let (org, id) = path.into_inner();
    ok(connections::get_connection(&call.app, org, id).await?)
}

pub(crate) async fn update(
    call: AdminCall,
    path: OrgItemPath,
    body: ApiJson<UpdateConnection>,
) -> Reply {
    let (org, id) = path.into_inner();
    ok(
        connections::update_connection(&call.app, &call.actor, call.request_id, org, id, body.0)
            .await?,
    )
}

pub(crate) async fn delete(call: AdminCall, path: OrgItemPath) -> Reply {
    let (org, id) = path.into_inner();
    connections::delete_connection(&call.app, &call.actor, call.request_id, org, id).await?;
    no_content()
}

/// The SP certificate (PEM) the IdP needs for signed AuthnRequests and encryption.
pub(crate) async fn sp_certificate(call: AdminCall, path: OrgItemPath) -> Reply {
    let (org, id) = path.into_inner();
    ok(connections::sp_certificate(&call.app, org, id).await?)
}
