//! `/admin/v1/redirect-uris` (the login redirect allow-list) and
//! `/admin/v1/organizations/{org}/invitations`. The app API mounts the same invitation
//! handlers under `/api/v1` with an app key (two rows each in `http::routes`).

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::app::AppState;
use crate::auth::{AdminAuth, Authenticated};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::jit::invitations::{self, CreateInvitation};
use crate::sso::redirects;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddRedirectUri {
    uri: String,
}

pub(crate) async fn add_redirect_uri(
    app: web::Data<AppState>,
    auth: AdminAuth,
    body: ApiJson<AddRedirectUri>,
) -> Result<HttpResponse, ApiError> {
    let row = redirects::add(&app, &auth.actor, auth.request_id, body.into_inner().uri).await?;
    Ok(HttpResponse::Created()
        .json(json!({ "id": row.id, "uri": row.uri, "created_at": row.created_at.and_utc() })))
}

pub(crate) async fn list_redirect_uris(
    app: web::Data<AppState>,
    _auth: AdminAuth,
) -> Result<HttpResponse, ApiError> {
    let (managed, environment) = redirects::list(&app).await?;
    let data: Vec<_> = managed
        .into_iter()
        .map(|r| json!({ "id": r.id, "uri": r.uri, "created_at": r.created_at.and_utc() }))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "data": data, "environment": environment })))
}

pub(crate) async fn delete_redirect_uri(
    app: web::Data<AppState>,
    auth: AdminAuth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    redirects::remove(&app, &auth.actor, auth.request_id, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) async fn invite<K: Authenticated>(
    app: web::Data<AppState>,
    auth: K,
    org: web::Path<String>,
    body: ApiJson<CreateInvitation>,
) -> Result<HttpResponse, ApiError> {
    let (actor, request_id) = auth.into_parts();
    let v = invitations::create_invitation(
        &app,
        &actor,
        request_id,
        org.into_inner(),
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Created().json(v))
}

pub(crate) async fn list_invitations<K: Authenticated>(
    app: web::Data<AppState>,
    _auth: K,
    org: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let data = invitations::list_invitations(&app, org.into_inner()).await?;
    Ok(HttpResponse::Ok().json(json!({ "data": data })))
}

pub(crate) async fn revoke<K: Authenticated>(
    app: web::Data<AppState>,
    auth: K,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (actor, request_id) = auth.into_parts();
    let (org, id) = path.into_inner();
    let v = invitations::revoke_invitation(&app, &actor, request_id, org, id).await?;
    Ok(HttpResponse::Ok().json(v))
}
