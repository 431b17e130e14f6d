//! `/admin/v1/webhooks`: endpoints (create, list, read, update, delete), secret rotation,
//! the delivery log and manual redelivery.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::extract::{page_limit, ApiJson};
use crate::lifecycle::webhooks::{self, CreateEndpoint, UpdateEndpoint};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    pub limit: Option<i64>,
}

pub(crate) async fn create(
    app: web::Data<AppState>,
    auth: AdminAuth,
    body: ApiJson<CreateEndpoint>,
) -> Result<HttpResponse, ApiError> {
    let created =
        webhooks::create_endpoint(&app, &auth.actor, auth.request_id, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(created))
}

pub(crate) async fn list(
    app: web::Data<AppState>,
    _auth: AdminAuth,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .json(serde_json::json!({ "data": webhooks::list_endpoints(&app).await? })))
}

pub(crate) async fn get(
    app: web::Data<AppState>,
    _auth: AdminAuth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(webhooks::get_endpoint(&app, id.into_inner()).await?))
}

pub(crate) async fn update(
    app: web::Data<AppState>,
    auth: AdminAuth,
    id: web::Path<String>,
    body: ApiJson<UpdateEndpoint>,
) -> Result<HttpResponse, ApiError> {
    let view = webhooks::update_endpoint(
        &app,
        &auth.actor,
        auth.request_id,
        id.into_inner(),
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

pub(crate) async fn delete(
    app: web::Data<AppState>,
    auth: AdminAuth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    webhooks::delete_endpoint(&app, &auth.actor, auth.request_id, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) async fn rotate(
    app: web::Data<AppState>,
    auth: AdminAuth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let rotated =
        webhooks::rotate_secret(&app, &auth.actor, auth.request_id, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(rotated))
}

pub(crate) async fn deliveries(
    app: web::Data<AppState>,
    _auth: AdminAuth,
    id: web::Path<String>,
    q: web::Query<Limit>,
) -> Result<HttpResponse, ApiError> {
    let limit = page_limit(q.limit, 100, 1000)?;
    let items = webhooks::list_deliveries(&app, id.into_inner(), limit).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "data": items })))
}

pub(crate) async fn redeliver(
    app: web::Data<AppState>,
    auth: AdminAuth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, delivery) = path.into_inner();
    let view = webhooks::redeliver(&app, &auth.actor, auth.request_id, id, delivery).await?;
    Ok(HttpResponse::Ok().json(view))
}
