//! `/scim/v2/Groups` handlers: extract, call `service::groups`, answer in SCIM JSON.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use super::{
    conditional_get_response, header_str, json_response, max_results, resource_response, RawQuery,
    ScimBody, ScimCaller,
};
use crate::app::AppState;
use crate::scim::query::{parse_list_query, parse_search_request};
use crate::scim::representation::Projection;
use crate::scim::schema::ResourceType;
use crate::scim::service::{groups, off_worker, ServiceError};

const RT: ResourceType = ResourceType::Group;

pub(crate) async fn create(
    app: web::Data<AppState>,
    caller: ScimCaller,
    body: ScimBody,
) -> Result<HttpResponse, ServiceError> {
    let r = groups::create(&app, caller.0, body.json().await?).await?;
    Ok(resource_response(StatusCode::CREATED, &r))
}

pub(crate) async fn get(
    app: web::Data<AppState>,
    caller: ScimCaller,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ServiceError> {
    let q = RawQuery::of(&req);
    let projection =
        Projection::parse_checked(RT, q.get("attributes"), q.get("excludedAttributes"))?;
    let r = groups::get(&app, caller.0, id.into_inner(), projection).await?;
    Ok(conditional_get_response(&req, &r))
}

pub(crate) async fn list(
    app: web::Data<AppState>,
    caller: ScimCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ServiceError> {
    let q = RawQuery::of(&req);
    let query = off_worker(move || parse_list_query(RT, &q.params(), max_results())).await?;
    Ok(json_response(&groups::list(&app, caller.0, query).await?))
}

pub(crate) async fn search(
    app: web::Data<AppState>,
    caller: ScimCaller,
    body: ScimBody,
) -> Result<HttpResponse, ServiceError> {
    let query = off_worker(move || parse_search_request(RT, &body.parse()?, max_results())).await?;
    Ok(json_response(&groups::list(&app, caller.0, query).await?))
}

pub(crate) async fn replace(
    app: web::Data<AppState>,
    caller: ScimCaller,
    req: HttpRequest,
    id: web::Path<String>,
    body: ScimBody,
) -> Result<HttpResponse, ServiceError> {
    let if_match = header_str(&req, header::IF_MATCH);
    let body = body.json().await?;
    let r = groups::replace(&app, caller.0, id.into_inner(), body, if_match).await?;
    Ok(resource_response(StatusCode::OK, &r))
}

pub(crate) async fn patch(
    app: web::Data<AppState>,
    caller: ScimCaller,
    req: HttpRequest,
    id: web::Path<String>,
    body: ScimBody,
) -> Result<HttpResponse, ServiceError> {
    let if_match = header_str(&req, header::IF_MATCH);
    let q = RawQuery::of(&req);
    let (attrs, excluded) = (q.get("attributes"), q.get("excludedAttributes"));
    // RFC 7644 §3.5.2: 200 with the resource, or 204. Without a projection asked for,
    // answer 204 so a member change never reads a large group's member list.
    let projection = match attrs.is_some() || excluded.is_some() {
        true => Some(Projection::parse_checked(RT, attrs, excluded)?),
        false => None,
    };
    let wants_body = projection.is_some();
    let body = body.json().await?;
    let r = groups::patch(&app, caller.0, id.into_inner(), body, if_match, projection).await?;
    if !wants_body {
        return Ok(HttpResponse::NoContent()
            .insert_header((header::ETAG, crate::scim::service::etag(r.version)))
            .finish());
    }
    Ok(resource_response(StatusCode::OK, &r))
}

pub(crate) async fn delete(
    app: web::Data<AppState>,
    caller: ScimCaller,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ServiceError> {
    let if_match = header_str(&req, header::IF_MATCH);
    groups::delete(&app, caller.0, id.into_inner(), if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}
