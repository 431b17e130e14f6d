//! Discovery endpoints (RFC 7644 §4): `/ServiceProviderConfig`, `/Schemas[/{id}]`,
//! `/ResourceTypes[/{name}]`, built from the catalogue so they stay true. They need no
//! token (RFC 7644 §4 lets service providers publish them openly).

use actix_web::{web, HttpResponse};

use super::{json_response, max_results};
use crate::app::AppState;
use crate::scim::directories::base_url;
use crate::scim::discovery;
use crate::scim::error::ScimError;
use crate::scim::service::ServiceError;

pub(crate) async fn service_provider_config(app: web::Data<AppState>) -> HttpResponse {
    let max = u32::try_from(max_results()).unwrap_or(u32::MAX);
    json_response(&discovery::service_provider_config(&base_url(&app), max))
}

pub(crate) async fn schemas(app: web::Data<AppState>) -> HttpResponse {
    json_response(&discovery::schemas_list(&base_url(&app)))
}

pub(crate) async fn schema(
    app: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ServiceError> {
    let doc = discovery::schema_by_id(&id, &base_url(&app))
        .ok_or_else(|| ScimError::not_found(format!("no schema '{id}'")))?;
    Ok(json_response(&doc))
}

pub(crate) async fn resource_types(app: web::Data<AppState>) -> HttpResponse {
    json_response(&discovery::resource_types_list(&base_url(&app)))
}

pub(crate) async fn resource_type(
    app: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ServiceError> {
    let doc = discovery::resource_type_by_name(&name, &base_url(&app))
        .ok_or_else(|| ScimError::not_found(format!("no resource type '{name}'")))?;
    Ok(json_response(&doc))
}
