//! `/admin/v1/organizations/{org}/domains`: claim, list, read, verify, delete.

use super::{created, data, no_content, ok, OrgItemPath, OrgPath, Reply};
use crate::auth::AdminCall;
use crate::extract::ApiJson;
use crate::tenancy::domains::{self, AddDomain, VerifyDomain};

pub(crate) async fn add(call: AdminCall, org: OrgPath, body: ApiJson<AddDomain>) -> Reply {
    let org = org.into_inner();
    created(domains::add_domain(&call.app, &call.actor, call.request_id, org, body.0).await?)
}

pub(crate) async fn list(call: AdminCall, org: OrgPath) -> Reply {
    data(domains::list_domains(&call.app, org.into_inner()).await?)
}

pub(crate) async fn get(call: AdminCall, path: OrgItemPath) -> Reply {
    let (org, domain) = path.into_inner();
    ok(domains::get_domain(&call.app, org, domain).await?)
}

/// The body is optional: none (or `{}`) checks DNS, `{"verified": true}` overrides.
pub(crate) async fn verify(
    call: AdminCall,
    path: OrgItemPath,
    body: ApiJson<VerifyDomain>,
) -> Reply {
    let (org, domain) = path.into_inner();
    let input = body.0;
    ok(domains::verify_domain(&call.app, &call.actor, call.request_id, org, domain, input).await?)
}

pub(crate) async fn delete(call: AdminCall, path: OrgItemPath) -> Reply {
    let (org, domain) = path.into_inner();
    domains::delete_domain(&call.app, &call.actor, call.request_id, org, domain).await?;
    no_content()
}
