//! `/admin/v1/organizations/{org}/saml-connections`: create (from IdP metadata XML or
//! fields), list, read, update, delete.

use actix_web::{web, HttpResponse};

use super::auth::AdminAuth;
use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::sso::connections::{self, CreateConnection, UpdateConnection};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/organizations/{org}/saml-connections")
            .route(web::post().to(create))
            .route(web::get().to(list)),
    )
    .service(
        web::resource("/organizations/{org}/saml-connections/{connection}")
            .route(web::get().to(get))
            .route(web::patch().to(update))
            .route(web::delete().to(delete)),
    );
}

async fn create(
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

async fn list(
    app: web::Data<AppState>,
    _auth: AdminAuth,
    org: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let items = connections::list_connections(&app, org.into_inner()).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "data": items })))
}

async fn get(
    app: web::Data<AppState>,
    _auth: AdminAuth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org, id) = path.into_inner();
    Ok(HttpResponse::Ok().json(connections::get_connection(&app, org, id).await?))
}

async fn update(
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

async fn delete(
    app: web::Data<AppState>,
    auth: AdminAuth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org, id) = path.into_inner();
    connections::delete_connection(&app, &auth.actor, auth.request_id, org, id).await?;
    Ok(HttpResponse::NoContent().finish())
}
