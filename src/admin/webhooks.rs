//! `/admin/v1/webhooks`: endpoints (create, list, read, update, delete), secret rotation,
//! the delivery log and manual redelivery.

use actix_web::web;
use serde::Deserialize;

use super::{created, data, no_content, ok, Reply};
use crate::auth::AdminCall;
use crate::extract::{page_limit, ApiJson};
use crate::lifecycle::webhooks::{self, CreateEndpoint, UpdateEndpoint};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    pub limit: Option<i64>,
}

pub(crate) async fn create(call: AdminCall, body: ApiJson<CreateEndpoint>) -> Reply {
    created(webhooks::create_endpoint(&call.app, &call.actor, call.request_id, body.0).await?)
}

pub(crate) async fn list(call: AdminCall) -> Reply {
    data(webhooks::list_endpoints(&call.app).await?)
}

pub(crate) async fn get(call: AdminCall, id: web::Path<String>) -> Reply {
    ok(webhooks::get_endpoint(&call.app, id.into_inner()).await?)
}

pub(crate) async fn update(
    call: AdminCall,
    id: web::Path<String>,
    body: ApiJson<UpdateEndpoint>,
) -> Reply {
    let id = id.into_inner();
    ok(webhooks::update_endpoint(&call.app, &call.actor, call.request_id, id, body.0).await?)
}

pub(crate) async fn delete(call: AdminCall, id: web::Path<String>) -> Reply {
    webhooks::delete_endpoint(&call.app, &call.actor, call.request_id, id.into_inner()).await?;
    no_content()
}

pub(crate) async fn rotate(call: AdminCall, id: web::Path<String>) -> Reply {
    ok(webhooks::rotate_secret(&call.app, &call.actor, call.request_id, id.into_inner()).await?)
}

pub(crate) async fn deliveries(
    call: AdminCall,
    id: web::Path<String>,
    q: web::Query<Limit>,
) -> Reply {
    let limit = page_limit(q.limit, 100, 1000)?;
    data(webhooks::list_deliveries(&call.app, id.into_inner(), limit).await?)
}

pub(crate) async fn redeliver(call: AdminCall, path: web::Path<(String, String)>) -> Reply {
    let (id, delivery) = path.into_inner();
    ok(webhooks::redeliver(&call.app, &call.actor, call.request_id, id, delivery).await?)
}
