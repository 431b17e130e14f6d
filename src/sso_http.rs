//! The public SSO endpoints: SP metadata, `GET /sso/authorize` (start a login),
//! `POST /sso/saml/acs/{connection}` (the IdP's HTTP-POST binding) and `POST /sso/token`
//! (the app's code exchange). Handlers only extract and map; the flow lives in `sso`.
//!
//! The browser-facing endpoints answer people: failures are an HTML page (or, for a
//! verified login the policy refused, a redirect to the app with `error`); the token
//! endpoint answers the app's backend in JSON.
//!
//! `/sso/authorize` sets the browser binding cookie and the ACS reads it back
//! (`sso::binding`: name and flags follow the public URL's scheme).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::AppAuth;
use crate::domain::SsoFailureReason;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::observe::RequestId;
use crate::sso::authorize::{authorize as start_login, AuthorizeParams};
use crate::sso::binding::CookiePolicy;
use crate::sso::codes::{exchange, ExchangeError};
use crate::sso::error_page::{advice, html, public_reason};
use crate::sso::login::PENDING_REQUEST_TTL;
use crate::sso::{acs, connections, SsoError};

/// The error page for a person, with `status`; never cached.
fn render(
    status: StatusCode,
    message: &str,
    advice: &str,
    reference: Option<&str>,
) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html(message, advice, reference))
}

fn request_id(req: &HttpRequest) -> Option<String> {
    req.extensions().get::<RequestId>().map(|r| r.0.clone())
}

/// The browser binding value the request's cookies carry, if any (every `Cookie` header).
fn browser_binding(req: &HttpRequest, policy: CookiePolicy) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| policy.read(v))
}

/// `GET /sso/saml/metadata/{connection}`: SAML Metadata §2.4.4 SPSSODescriptor.
pub(crate) async fn sp_metadata(
    app: web::Data<AppState>,
    connection: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let xml = connections::sp_metadata(&app, connection.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/samlmetadata+xml")
        .body(xml))
}

/// `GET /sso/authorize?organization|domain|connection=…&redirect_uri=…&state=…` → 302 to
/// the IdP. Errors are pages: the caller is a browser, and an unchecked redirect URI is
/// never followed.
pub(crate) async fn authorize(app: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let rid = request_id(&req);
    let params: AuthorizeParams =
        match web::Query::<AuthorizeParams>::from_query(req.query_string()) {
            Ok(q) => q.into_inner(),
            Err(e) => {
                return render(
                    StatusCode::BAD_REQUEST,
                    &format!("The sign-in link is malformed: {e}."),
                    "Go back to the application and try again.",
                    rid.as_deref(),
                )
            }
        };
    let policy = CookiePolicy::for_public_url(&app.config.public_url);
    let existing = browser_binding(&req, policy);
    match start_login(&app, params, existing).await {
        Ok(start) => HttpResponse::Found()
            .insert_header((header::LOCATION, start.redirect_url))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((
                header::SET_COOKIE,
                policy.set_cookie(&start.browser_binding, PENDING_REQUEST_TTL.num_seconds()),
            ))
            .finish(),
        Err(e) => {
            let (status, message) = match &e {
                SsoError::NotFound(what) => (
                    StatusCode::NOT_FOUND,
                    format!("Single sign-on is not set up here ({what} not found)."),
                ),
                SsoError::Invalid { field, message } => (
                    StatusCode::BAD_REQUEST,
                    format!("The sign-in link is not valid: {field} {message}."),
                ),
                SsoError::NoRedirectBinding => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "The identity provider connection has no sign-in URL.".into(),
                ),
                _ => {
                    tracing::error!(error = %e, "starting a login failed");
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "Something went wrong on our side.".into(),
                    )
                }
            };
            tracing::info!(sso.reason = e.kind(), "login not started");
            render(status, &message, advice(e.kind()), rid.as_deref())
        }
    }
}

/// `POST /sso/saml/acs/{connection}`, form fields `SAMLResponse` and `RelayState`.
pub(crate) async fn acs_post(
    app: web::Data<AppState>,
    req: HttpRequest,
    connection: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let rid = request_id(&req);
    let mut saml_response = None;
    let mut relay_state = None;
    for (k, v) in url::form_urlencoded::parse(&body) {
        match k.as_ref() {
            "SAMLResponse" => saml_response = Some(v.into_owned()),
            "RelayState" => relay_state = Some(v.into_owned()).filter(|s| !s.is_empty()),
            _ => {}
        }
    }
    let Some(saml_response) = saml_response else {
        return render(
            StatusCode::BAD_REQUEST,
            "The identity provider sent no SAML response.",
            advice(SsoFailureReason::Malformed.as_str()),
            rid.as_deref(),
        );
    };
    let binding = browser_binding(&req, CookiePolicy::for_public_url(&app.config.public_url));
    match acs::consume(
        &app,
        &connection,
        &saml_response,
        relay_state,
        binding,
        rid.as_deref(),
    )
    .await
    {
        Ok(ok) => HttpResponse::Found()
            .insert_header((header::LOCATION, ok.location))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish(),
        Err(f) => match f.app_redirect {
            Some(location) => HttpResponse::Found()
                .insert_header((header::LOCATION, location))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish(),
            None => {
                let status = if f.internal {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else if f.reason == SsoFailureReason::NotFound {
                    StatusCode::NOT_FOUND
                } else {
                    StatusCode::FORBIDDEN
                };
                // The advice may vary only with what an anonymous sender may learn.
                render(
                    status,
                    &f.message,
                    advice(public_reason(f.reason.as_str())),
                    rid.as_deref(),
                )
            }
        },
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TokenRequest {
    code: String,
    redirect_uri: String,
}

/// `POST /sso/token` `{"code","redirect_uri"}` with an app API key → the login's profile.
pub(crate) async fn token(
    app: web::Data<AppState>,
    _auth: AppAuth,
    body: ApiJson<TokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let TokenRequest { code, redirect_uri } = body.into_inner();
    match exchange(&app, code, redirect_uri).await {
        Ok(profile) => Ok(HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(profile)),
        Err(ExchangeError::Store(e)) => Err(e.into()),
        Err(e) => {
            tracing::info!(reason = %e, "code exchange refused");
            Err(ApiError::BadRequest {
                code: "invalid_grant",
                message: e.to_string(),
            })
        }
    }
}
