//! `/admin/v1/organizations`: create, list, read, update (JIT settings), delete.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::extract::{page_limit, ApiJson};
use crate::tenancy::organizations::{self as orgs, CreateOrganization, UpdateOrganization};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// Return organizations whose id sorts after this one.
    pub after: Option<String>,
    pub limit: Option<i64>,
}

pub(crate) async fn create(
    app: web::Data<AppState>,
    auth: AdminAuth,
    body: ApiJson<CreateOrganization>,
) -> Result<HttpResponse, ApiError> {
    let org =
        orgs::create_organization(&app, &auth.actor, auth.request_id, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(org))
}

pub(crate) async fn list(
    app: web::Data<AppState>,
    _auth: AdminAuth,
    page: web::Query<Page>,
) -> Result<HttpResponse, ApiError> {
    let page = page.into_inner();
    let limit = page_limit(page.limit, 100, 500)?;
    let items = orgs::list_organizations(&app, page.after, limit).await?;
    let next = (items.len() as i64 == limit)
        .then(|| items.last().map(|o| o.id.clone()))
        .flatten();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "data": items, "next_after": next })))
}

pub(crate) async fn get(
    app: web::Data<AppState>,
    _auth: AdminAuth,
    org: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(orgs::get_organization(&app, org.into_inner()).await?))
}

pub(crate) async fn update(
    app: web::Data<AppState>,
    auth: AdminAuth,
    org: web::Path<String>,
    body: ApiJson<UpdateOrganization>,
) -> Result<HttpResponse, ApiError> {
    let org = orgs::update_organization(
        &app,
        &auth.actor,
        auth.request_id,
        org.into_inner(),
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(org))
}

pub(crate) async fn delete(
    app: web::Data<AppState>,
    auth: AdminAuth,
    org: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    orgs::delete_organization(&app, &auth.actor, auth.request_id, org.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
