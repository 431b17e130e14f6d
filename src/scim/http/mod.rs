//! The SCIM HTTP boundary under `/scim/v2` (RFC 7644): routes, bearer-token
//! authentication (the token selects the directory and so the organization), the
//! `application/scim+json` body extractor, and the mapping of every failure — 401, 404,
//! 405, 413 included — to an RFC 7644 §3.12 error body. Handlers live in `resources`
//! (one generic set for `/Users` and `/Groups`) and `discovery` (their routes are rows of
//! `http::routes`, mounted in one `/scim/v2` scope); this is the only part of `scim` that
//! knows actix.

pub(crate) mod discovery;
pub(crate) mod resources;

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::{header, StatusCode};
use actix_web::web::{self, Bytes};
use actix_web::{
    FromRequest, HttpMessage, HttpRequest, HttpResponse, HttpResponseBuilder, ResponseError,
};
use serde_json::Value;

use super::directories::authenticate;
use super::error::ScimError;
use super::query::ListParams;
use super::service::{etag, etag_matches, off_worker, Caller, Rendered, ServiceError};
use crate::app::AppState;
use crate::auth::bearer_token;
use crate::db::DbError;
use crate::observe::RequestId;
use crate::store::StoreError;
use crate::tenancy::TenancyError;

/// The SCIM media type (RFC 7644 §8.1).
pub const SCIM_JSON: &str = "application/scim+json";

/// The default service of the `/scim/v2` scope: no SCIM endpoint at this path.
pub(crate) async fn not_found(req: HttpRequest) -> HttpResponse {
    ScimError::not_found(format!("no SCIM endpoint at {}", req.path())).error_response()
}

/// The default service of each SCIM resource: the path exists, the method does not.
pub(crate) async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    ScimError::with_status(
        405,
        format!("{} is not supported on {}", req.method(), req.path()),
    )
    .error_response()
}

fn scim_response(status: StatusCode, body: &Value) -> HttpResponse {
    HttpResponseBuilder::new(status)
        .content_type(SCIM_JSON)
        .body(body.to_string())
}

impl ResponseError for ScimError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = scim_response(self.status_code(), &self.to_json());
        if self.status() == 401 {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"scim\""),
            );
        }
        res
    }
}

fn internal(cause: &dyn std::fmt::Display, unavailable: bool) -> ScimError {
    let error_id = uuid::Uuid::new_v4().to_string();
    tracing::error!(error.id = %error_id, error.kind = "scim_internal", cause = %cause, "SCIM request failed");
    if unavailable {
        ScimError::with_status(
            503,
            format!("the service is temporarily unavailable (error id {error_id})"),
        )
    } else {
        ScimError::with_status(
            500,
            format!("an internal error occurred (error id {error_id})"),
        )
    }
}

impl ServiceError {
    fn to_scim(&self) -> ScimError {
        match self {
            ServiceError::Scim(e) => e.clone(),
            // A constraint hit no code path expected (two requests racing on the same
            // membership row, say): the request conflicted with another; it may retry.
            ServiceError::Store(StoreError::UniqueViolation(_)) => {
                ScimError::uniqueness("the request conflicts with a concurrent change; retry it")
            }
            ServiceError::Store(StoreError::Db(DbError::Pool(p)))
            | ServiceError::Db(DbError::Pool(p)) => internal(p, true),
            other => internal(other, false),
        }
    }
}

impl ResponseError for ServiceError {
    fn status_code(&self) -> StatusCode {
        self.to_scim().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        self.to_scim().error_response()
    }
}

impl From<TenancyError> for ServiceError {
    fn from(e: TenancyError) -> Self {
        match e {
            TenancyError::Store(s) => ServiceError::Store(s),
            TenancyError::Db(d) => ServiceError::Db(d),
            other => ServiceError::Scim(ScimError::with_status(500, other.to_string())),
        }
    }
}

fn unauthorized() -> ServiceError {
    ServiceError::Scim(ScimError::with_status(
        401,
        "a valid SCIM bearer token is required: Authorization: Bearer <token>",
    ))
}

/// An authenticated SCIM request: the directory (and organization) the token selects.
#[derive(Debug, Clone)]
pub struct ScimCaller(pub Caller);

impl FromRequest for ScimCaller {
    type Error = ServiceError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
        Box::pin(async move {
            let state = state.ok_or_else(|| {
                ServiceError::Scim(ScimError::with_status(500, "application state missing"))
            })?;
            let token = token.ok_or_else(unauthorized)?;
            match authenticate(&state, token).await? {
                Some(auth) => Ok(ScimCaller(Caller { auth, request_id })),
                None => Err(unauthorized()),
            }
        })
    }
}

/// A SCIM request body (`application/scim+json` or `application/json`), read within
/// the configured size limit but not parsed: parsing waits until the caller is
/// authenticated and runs off the async worker ([`ScimBody::parse`] inside
/// [`off_worker`]). Every failure is a SCIM error.
#[derive(Debug)]
pub struct ScimBody(Bytes);

impl ScimBody {
    /// The body as JSON (400 `invalidSyntax` when malformed). CPU work linear in the
    /// body: call it on the blocking pool.
    pub fn parse(&self) -> Result<Value, ScimError> {
        serde_json::from_slice(&self.0)
            .map_err(|e| ScimError::invalid_syntax(format!("malformed JSON: {e}")))
    }

    /// The body as JSON, parsed on the blocking pool.
    pub async fn json(self) -> Result<Value, ServiceError> {
        off_worker(move || self.parse()).await
    }
}

impl FromRequest for ScimBody {
    type Error = ServiceError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = match req.mime_type() {
            Ok(Some(m)) => m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json"),
            Ok(None) => true,
            Err(_) => false,
        };
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map_or(0, |s| s.config.max_body_bytes);
        let bytes = Bytes::from_request(req, payload);
        Box::pin(async move {
            let too_large = || {
                ScimError::with_status(
                    413,
                    format!("the request body is larger than {limit} bytes"),
                )
            };
            let body = bytes
                .await
                .map_err(|e| match e.as_error::<PayloadError>() {
                    Some(PayloadError::Overflow) => too_large(),
                    _ if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE => {
                        too_large()
                    }
                    _ => ScimError::invalid_syntax("could not read the request body"),
                })?;
            if !json {
                return Err(ScimError::with_status(
                    415,
                    "the body must be application/scim+json or application/json",
                )
                .into());
            }
            Ok(ScimBody(body))
        })
    }
}

/// The query parameters of a list request, by their RFC 7644 §3.4.2 names.
#[derive(Debug, Default, Clone)]
pub(crate) struct RawQuery(Vec<(String, String)>);

impl RawQuery {
    pub(crate) fn of(req: &HttpRequest) -> Self {
        RawQuery(
            url::form_urlencoded::parse(req.query_string().as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn params(&self) -> ListParams<'_> {
        ListParams {
            filter: self.get("filter"),
            sort_by: self.get("sortBy"),
            sort_order: self.get("sortOrder"),
            start_index: self.get("startIndex"),
            count: self.get("count"),
            attributes: self.get("attributes"),
            excluded_attributes: self.get("excludedAttributes"),
        }
    }
}

pub(crate) fn header_str(req: &HttpRequest, name: header::HeaderName) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// 200/201 with the resource, its ETag and (on create) `Location`.
pub(crate) fn resource_response(status: StatusCode, r: &Rendered) -> HttpResponse {
    let mut b = HttpResponseBuilder::new(status);
    b.content_type(SCIM_JSON)
        .insert_header((header::ETAG, etag(r.version)));
    if status == StatusCode::CREATED {
        b.insert_header((header::LOCATION, r.location.clone()));
    }
    b.body(r.body.to_string())
}

/// The answer to a GET of one resource: 304 when `If-None-Match` names its current
/// version (RFC 7644 §3.14), else 200 with the resource.
pub(crate) fn conditional_get_response(req: &HttpRequest, r: &Rendered) -> HttpResponse {
    if header_str(req, header::IF_NONE_MATCH).is_some_and(|h| etag_matches(&h, r.version)) {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag(r.version)))
            .finish();
    }
    resource_response(StatusCode::OK, r)
}

pub(crate) fn json_response(body: &Value) -> HttpResponse {
    scim_response(StatusCode::OK, body)
}

/// The maximum page size: advertised in ServiceProviderConfig and enforced.
pub(crate) fn max_results() -> usize {
    super::discovery::DEFAULT_MAX_RESULTS as usize
}
