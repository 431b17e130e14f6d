//! `/admin/v1/organizations/{org}/domains`: claim, list, read, verify, delete.

use actix_web::{web, HttpResponse};

use crate::app::AppState;
use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::tenancy::domains::{self, AddDomain, VerifyDomain};

pub(crate) async fn add(
    app: web::Data<AppState>,
    auth: AdminAuth,
    org: web::Path<String>,
    body: ApiJson<AddDomain>,
) -> Result<HttpResponse, ApiError> {
    let view = domains::add_domain(
        &app,
        &auth.actor,
        auth.request_id,
        org.into_inner(),
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Created().json(view))
}

pub(crate) async fn list(
    app: web::Data<AppState>,
    _auth: AdminAuth,
    org: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let items = domains::list_domains(&app, org.into_inner()).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "data": items })))
}

pub(crate) async fn get(
    app: web::Data<AppState>,
    _auth: AdminAuth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org, domain) = path.into_inner();
    Ok(HttpResponse::Ok().json(domains::get_domain(&app, org, domain).await?))
}

/// The body is optional: none (or `{}`) checks DNS, `{"verified": true}` overrides.
pub(crate) async fn verify(
    app: web::Data<AppState>,
    auth: AdminAuth,
    path: web::Path<(String, String)>,
    body: ApiJson<VerifyDomain>,
) -> Result<HttpResponse, ApiError> {
    let (org, domain) = path.into_inner();
    let input = body.into_inner();
    let view =
        domains::verify_domain(&app, &auth.actor, auth.request_id, org, domain, input).await?;
    Ok(HttpResponse::Ok().json(view))
}

pub(crate) async fn delete(
    app: web::Data<AppState>,
    auth: AdminAuth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org, domain) = path.into_inner();
    domains::delete_domain(&app, &auth.actor, auth.request_id, org, domain).await?;
    Ok(HttpResponse::NoContent().finish())
}
