//! `/admin/v1/organizations/{org}/roles`: create, list, read, update, delete.

use actix_web::{web, HttpResponse};

use crate::app::AppState;
use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::tenancy::roles::{self, CreateRole, UpdateRole};

pub(crate) async fn create(
    app: web::Data<AppState>,
    auth: AdminAuth,
    org: web::Path<String>,
    body: ApiJson<CreateRole>,
) -> Result<HttpResponse, ApiError> {
    let role = roles::create_role(
        &app,
        &auth.actor,
        auth.request_id,
        org.into_inner(),
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Created().json(role))
}

pub(crate) async fn list(
    app: web::Data<AppState>,
    _auth: AdminAuth,
    org: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let items = roles::list_roles(&app, org.into_inner()).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "data": items })))
}

pub(crate) async fn get(
    app: web::Data<AppState>,
    _auth: AdminAuth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org, role) = path.into_inner();
    Ok(HttpResponse::Ok().json(roles::get_role(&app, org, role).await?))
}

pub(crate) async fn update(
    app: web::Data<AppState>,
    auth: AdminAuth,
    path: web::Path<(String, String)>,
    body: ApiJson<UpdateRole>,
) -> Result<HttpResponse, ApiError> {
    let (org, role) = path.into_inner();
    let role = roles::update_role(
        &app,
        &auth.actor,
        auth.request_id,
        org,
        role,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(role))
}

pub(crate) async fn delete(
    app: web::Data<AppState>,
    auth: AdminAuth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org, role) = path.into_inner();
    roles::delete_role(&app, &auth.actor, auth.request_id, org, role).await?;
    Ok(HttpResponse::NoContent().finish())
}
