//! `/admin/v1/api-keys`: create (key shown once), list, revoke.

use actix_web::{web, HttpResponse};

use crate::app::AppState;
use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::tenancy::api_keys::{self, CreateApiKey};

pub(crate) async fn create(
    app: web::Data<AppState>,
    auth: AdminAuth,
    body: ApiJson<CreateApiKey>,
) -> Result<HttpResponse, ApiError> {
    let created =
        api_keys::create_api_key(&app, &auth.actor, auth.request_id, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(created))
}

pub(crate) async fn list(
    app: web::Data<AppState>,
    _auth: AdminAuth,
) -> Result<HttpResponse, ApiError> {
    let items = api_keys::list_api_keys(&app).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "data": items })))
}

/// Revoking is idempotent; the key row stays (revoked) for the audit trail.
pub(crate) async fn revoke(
    app: web::Data<AppState>,
    auth: AdminAuth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = api_keys::revoke_api_key(&app, &auth.actor, auth.request_id, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(key))
}
