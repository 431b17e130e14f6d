//! `/admin/v1/organizations/{org}/scim-directories`: create (with a first token, shown
//! once), list, read (tokens with last-used times), rotate (add a token), revoke a token.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::scim::directories;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateDirectory {
    name: Option<String>,
}

pub(crate) async fn create(
    app: web::Data<AppState>,
    auth: AdminAuth,
    org: web::Path<String>,
    body: ApiJson<CreateDirectory>,
) -> Result<HttpResponse, ApiError> {
    let created = directories::create_directory(
        &app,
        &auth.actor,
        auth.request_id,
        org.into_inner(),
        body.into_inner().name,
    )
    .await?;
    Ok(HttpResponse::Created().json(created))
}

pub(crate) async fn list(
    app: web::Data<AppState>,
    _auth: AdminAuth,
    org: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let items = directories::list_directories(&app, org.into_inner()).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "data": items })))
}

pub(crate) async fn get(
    app: web::Data<AppState>,
    _auth: AdminAuth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org, dir) = path.into_inner();
    Ok(HttpResponse::Ok().json(directories::get_directory(&app, org, dir).await?))
}

pub(crate) async fn rotate(
    app: web::Data<AppState>,
    auth: AdminAuth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org, dir) = path.into_inner();
    let created = directories::rotate_token(&app, &auth.actor, auth.request_id, org, dir).await?;
    Ok(HttpResponse::Created().json(created))
}

pub(crate) async fn revoke(
    app: web::Data<AppState>,
    auth: AdminAuth,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org, dir, token) = path.into_inner();
    directories::revoke_token(&app, &auth.actor, auth.request_id, org, dir, token).await?;
    Ok(HttpResponse::NoContent().finish())
}
