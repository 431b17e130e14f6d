//! `/admin/v1/api-keys`: create (key shown once), list, revoke.

use actix_web::web;

use super::{created, data, ok, Reply};
use crate::auth::AdminCall;
use crate::extract::ApiJson;
use crate::tenancy::api_keys::{self, CreateApiKey};

pub(crate) async fn create(call: AdminCall, body: ApiJson<CreateApiKey>) -> Reply {
    created(api_keys::create_api_key(&call.app, &call.actor, call.request_id, body.0).await?)
}

pub(crate) async fn list(call: AdminCall) -> Reply {
    data(api_keys::list_api_keys(&call.app).await?)
}

/// Revoking is idempotent; the key row stays (revoked) for the audit trail.
pub(crate) async fn revoke(call: AdminCall, id: web::Path<String>) -> Reply {
    let id = id.into_inner();
    ok(api_keys::revoke_api_key(&call.app, &call.actor, call.request_id, id).await?)
}
