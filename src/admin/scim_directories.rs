//! `/admin/v1/organizations/{org}/scim-directories`: create (with a first token, shown
//! once), list, read (tokens with last-used times), rotate (add a token), revoke a token.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::auth::AdminAuth;
use super::router::Routes;
use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::scim::directories;

pub fn routes(r: &mut Routes) {
    r.post("/organizations/{org}/scim-directories", create)
        .get("/organizations/{org}/scim-directories", list)
        .get("/organizations/{org}/scim-directories/{dir}", get)
        .post("/organizations/{org}/scim-directories/{dir}/tokens", rotate)
        .delete(
            "/organizations/{org}/scim-directories/{dir}/tokens/{token}",
            revoke,
        );
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateDirectory {
    name: Option<String>,
}

async fn create(
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

async fn list(
    app: web::Data<AppState>,
    _auth: AdminAuth,
    org: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let items = directories::list_directories(&app, org.into_inner()).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "data": items })))
}

async fn get(
    app: web::Data<AppState>,
    _auth: AdminAuth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org, dir) = path.into_inner();
    Ok(HttpResponse::Ok().json(directories::get_directory(&app, org, dir).await?))
}

async fn rotate(
    app: web::Data<AppState>,
    auth: AdminAuth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org, dir) = path.into_inner();
    let created = directories::rotate_token(&app, &auth.actor, auth.request_id, org, dir).await?;
    Ok(HttpResponse::Created().json(created))
}

async fn revoke(
    app: web::Data<AppState>,
    auth: AdminAuth,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org, dir, token) = path.into_inner();
    directories::revoke_token(&app, &auth.actor, auth.request_id, org, dir, token).await?;
    Ok(HttpResponse::NoContent().finish())
}
