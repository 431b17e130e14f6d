//! `/admin/v1/organizations/{org}/roles`: create, list, read, update, delete.

use super::{created, data, no_content, ok, OrgItemPath, OrgPath, Reply};
use crate::auth::AdminCall;
use crate::extract::ApiJson;
use crate::tenancy::roles::{self, CreateRole, UpdateRole};

pub(crate) async fn create(call: AdminCall, org: OrgPath, body: ApiJson<CreateRole>) -> Reply {
    let org = org.into_inner();
    created(roles::create_role(&call.app, &call.actor, call.request_id, org, body.0).await?)
}

pub(crate) async fn list(call: AdminCall, org: OrgPath) -> Reply {
    data(roles::list_roles(&call.app, org.into_inner()).await?)
}

pub(crate) async fn get(call: AdminCall, path: OrgItemPath) -> Reply {
    let (org, role) = path.into_inner();
    ok(roles::get_role(&call.app, org, role).await?)
}

pub(crate) async fn update(call: AdminCall, path: OrgItemPath, body: ApiJson<UpdateRole>) -> Reply {
    let (org, role) = path.into_inner();
    ok(roles::update_role(&call.app, &call.actor, call.request_id, org, role, body.0).await?)
}

pub(crate) async fn delete(call: AdminCall, path: OrgItemPath) -> Reply {
    let (org, role) = path.into_inner();
    roles::delete_role(&call.app, &call.actor, call.request_id, org, role).await?;
    no_content()
}
