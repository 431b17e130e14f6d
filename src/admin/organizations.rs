//! `/admin/v1/organizations`: create, list, read, update (JIT settings), delete.

use actix_web::web;
use serde::Deserialize;

use super::{created, no_content, ok, OrgPath, Reply};
use crate::auth::AdminCall;
use crate::extract::{page_limit, ApiJson};
use crate::tenancy::organizations::{self as orgs, CreateOrganization, UpdateOrganization};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// Return organizations whose id sorts after this one.
    pub after: Option<String>,
    pub limit: Option<i64>,
}

pub(crate) async fn create(call: AdminCall, body: ApiJson<CreateOrganization>) -> Reply {
    created(orgs::create_organization(&call.app, &call.actor, call.request_id, body.0).await?)
}

pub(crate) async fn list(call: AdminCall, page: web::Query<Page>) -> Reply {
    let page = page.into_inner();
    let limit = page_limit(page.limit, 100, 500)?;
    let items = orgs::list_organizations(&call.app, page.after, limit).await?;
    let next = (items.len() as i64 == limit)
        .then(|| items.last().map(|o| o.id.clone()))
        .flatten();
    ok(serde_json::json!({ "data": items, "next_after": next }))
}

pub(crate) async fn get(call: AdminCall, org: OrgPath) -> Reply {
    ok(orgs::get_organization(&call.app, org.into_inner()).await?)
}

pub(crate) async fn update(
    call: AdminCall,
    org: OrgPath,
    body: ApiJson<UpdateOrganization>,
) -> Reply {
    let org = org.into_inner();
    ok(orgs::update_organization(&call.app, &call.actor, call.request_id, org, body.0).await?)
}

pub(crate) async fn delete(call: AdminCall, org: OrgPath) -> Reply {
    orgs::delete_organization(&call.app, &call.actor, call.request_id, org.into_inner()).await?;
    no_content()
}
