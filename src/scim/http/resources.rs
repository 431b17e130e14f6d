//! The handlers of every SCIM resource type (`/Users`, `/Groups`), generic over its
//! [`ScimResource`]: extract, call `service::pipeline`, answer in SCIM JSON. One
//! handler per operation; `http::routes` mounts them as `scim_list::<Users>` and so on.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use super::{
    conditional_get_response, header_str, json_response, max_results, resource_response, RawQuery,
    ScimBody, ScimCaller,
};
use crate::app::AppState;
use crate::scim::query::{parse_list_query, parse_search_request};
use crate::scim::representation::Projection;
use crate::scim::service::{etag, off_worker, pipeline, ScimResource, ServiceError};

/// `POST /{Resources}` (RFC 7644 §3.3): 201 with the resource, `ETag` and `Location`.
pub(crate) async fn scim_create<R: ScimResource>(
    app: web::Data<AppState>,
    caller: ScimCaller,
    body: ScimBody,
) -> Result<HttpResponse, ServiceError> {
    let r = pipeline::create::<R>(&app, caller.0, body.json().await?).await?;
    Ok(resource_response(StatusCode::CREATED, &r))
}

/// `GET /{Resources}/{id}` (RFC 7644 §3.4.1), with `attributes`/`excludedAttributes`;
/// 304 when `If-None-Match` names the current version.
pub(crate) async fn scim_get<R: ScimResource>(
    app: web::Data<AppState>,
    caller: ScimCaller,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ServiceError> {
    let q = RawQuery::of(&req);
    let projection =
        Projection::parse_checked(R::RT, q.get("attributes"), q.get("excludedAttributes"))?;
    let r = pipeline::get::<R>(&app, caller.0, id.into_inner(), projection).await?;
    Ok(conditional_get_response(&req, &r))
}

/// `GET /{Resources}` (RFC 7644 §3.4.2): filter, sort, pagination, projection.
pub(crate) async fn scim_list<R: ScimResource>(
    app: web::Data<AppState>,
    caller: ScimCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ServiceError> {
    let q = RawQuery::of(&req);
    let query = off_worker(move || parse_list_query(R::RT, &q.params(), max_results())).await?;
    Ok(json_response(
        &pipeline::list::<R>(&app, caller.0, query).await?,
    ))
}

/// `POST /{Resources}/.search` (RFC 7644 §3.4.3).
pub(crate) async fn scim_search<R: ScimResource>(
    app: web::Data<AppState>,
    caller: ScimCaller,
    body: ScimBody,
) -> Result<HttpResponse, ServiceError> {
    let query =
        off_worker(move || parse_search_request(R::RT, &body.parse()?, max_results())).await?;
    Ok(json_response(
        &pipeline::list::<R>(&app, caller.0, query).await?,
    ))
}

/// `PUT /{Resources}/{id}` (RFC 7644 §3.5.1), with `If-Match`.
pub(crate) async fn scim_replace<R: ScimResource>(
    app: web::Data<AppState>,
    caller: ScimCaller,
    req: HttpRequest,
    id: web::Path<String>,
    body: ScimBody,
) -> Result<HttpResponse, ServiceError> {
    let if_match = header_str(&req, header::IF_MATCH);
    let body = body.json().await?;
    let r = pipeline::replace::<R>(&app, caller.0, id.into_inner(), body, if_match).await?;
    Ok(resource_response(StatusCode::OK, &r))
}

/// `PATCH /{Resources}/{id}` (RFC 7644 §3.5.2), with `If-Match`: 200 with the resource,
/// or — for a resource with [`ScimResource::PATCH_PROJECTION`] and no projection asked
/// for — 204 with the new `ETag`.
pub(crate) async fn scim_patch<R: ScimResource>(
    app: web::Data<AppState>,
    caller: ScimCaller,
    req: HttpRequest,
    id: web::Path<String>,
    body: ScimBody,
) -> Result<HttpResponse, ServiceError> {
    let if_match = header_str(&req, header::IF_MATCH);
    let projection = if R::PATCH_PROJECTION {
        let q = RawQuery::of(&req);
        let (attrs, excluded) = (q.get("attributes"), q.get("excludedAttributes"));
        match attrs.is_some() || excluded.is_some() {
            true => Some(Projection::parse_checked(R::RT, attrs, excluded)?),
            false => None,
        }
    } else {
        None
    };
    let no_content = R::PATCH_PROJECTION && projection.is_none();
    let body = body.json().await?;
    let r =
        pipeline::patch::<R>(&app, caller.0, id.into_inner(), body, if_match, projection).await?;
    if no_content {
        return Ok(HttpResponse::NoContent()
            .insert_header((header::ETAG, etag(r.version)))
            .finish());
    }
    Ok(resource_response(StatusCode::OK, &r))
}

/// `DELETE /{Resources}/{id}` (RFC 7644 §3.6), with `If-Match`: 204.
pub(crate) async fn scim_delete<R: ScimResource>(
    app: web::Data<AppState>,
    caller: ScimCaller,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ServiceError> {
    let if_match = header_str(&req, header::IF_MATCH);
    pipeline::delete::<R>(&app, caller.0, id.into_inner(), if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}
