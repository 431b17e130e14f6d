//! `/admin/v1/organizations/{org}/saml-connections`: create (from IdP metadata XML or
//! fields), list, read, update, delete, and the SP certificate to give the IdP.

use actix_web::{web, HttpResponse};

use crate::app::AppState;
use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::sso::connections::{self, CreateConnection, UpdateConnection};

pub(crate) async fn create(
    app: web::Data<AppState>,
    auth: AdminAuth,
    org: web::Path<String>,
    body: ApiJson<CreateConnection>,
) -> Result<HttpResponse, ApiError> {
    let c = connections::create_connection(
        &app,
        &auth.actor,
        auth.request_id,
        org.into_inner(),
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Created().json(c))
}

pub(crate) async fn list(
    app: web::Data<AppState>,
    _auth: AdminAuth,
    org: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let items = connections::list_connections(&app, org.into_inner()).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "data": items })))
}

pub(crate) async fn get(
    app: web::Data<AppState>,
    _auth: AdminAuth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org, id) = path.into_inner();
    Ok(HttpResponse::Ok().json(connections::get_connection(&app, org, id).await?))
}

pub(crate) async fn update(
    app: web::Data<AppState>,
    auth: AdminAuth,
    path: web::Path<(String, String)>,
    body: ApiJson<UpdateConnection>,
) -> Result<HttpResponse, ApiError> {
    let (org, id) = path.into_inner();
    let c = connections::update_connection(
        &app,
        &auth.actor,
        auth.request_id,
        org,
        id,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(c))
}

pub(crate) async fn delete(
    app: web::Data<AppState>,
    auth: AdminAuth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org, id) = path.into_inner();
    connections::delete_connection(&app, &auth.actor, auth.request_id, org, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The SP certificate (PEM) the IdP needs for signed AuthnRequests and encryption.
pub(crate) async fn sp_certificate(
    app: web::Data<AppState>,
    _auth: AdminAuth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org, id) = path.into_inner();
    Ok(HttpResponse::Ok().json(connections::sp_certificate(&app, org, id).await?))
}
