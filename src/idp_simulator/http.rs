//! The simulator's handlers, rows of `http::routes` mounted only when `dev_idp_simulator`
//! is on (otherwise every path below is the ordinary JSON 404):
//!
//! - `GET /dev/idp/metadata`: the IdP metadata to create a connection from;
//! - `GET /dev/idp/sso?SAMLRequest=…&RelayState=…` (HTTP-Redirect binding): the sign-in
//!   form; `GET /dev/idp/sso?connection={id}` starts an IdP-initiated login instead;
//! - `POST /dev/idp/sso?…` (the form, same query): the auto-submitting POST of a signed
//!   Response to the connection's ACS, with the RelayState;
//! - `GET /dev/callback?code=…&state=…`: a stand-in for an app's callback.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::pages::{self, FormValues};
use super::request::{read_authn_request, AuthnRequestInfo};
use super::response::{signed_response, ResponseParams, SimulatedUser};
use super::{entity_id, metadata_xml, simulator_key, SimulatorError};
use crate::app::AppState;
use crate::sso::SpUrls;
use crate::store::saml_connections::find_connection;

/// The query of the SSO endpoint: the HTTP-Redirect binding's parameters (Bindings
/// §3.4.4.1; the signature is accepted and not checked), or `connection` for an
/// IdP-initiated login.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SsoQuery {
    #[serde(rename = "SAMLRequest")]
    saml_request: Option<String>,
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
    #[serde(rename = "SigAlg")]
    _sig_alg: Option<String>,
    #[serde(rename = "Signature")]
    _signature: Option<String>,
    connection: Option<String>,
}

fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

fn failure(e: SimulatorError) -> HttpResponse {
    match e {
        SimulatorError::BadRequest(m) => html(StatusCode::BAD_REQUEST, pages::error(&m)),
        other => {
            tracing::error!(error = %other, "IdP simulator failed");
            html(
                StatusCode::INTERNAL_SERVER_ERROR,
                pages::error("The simulator failed; see the server log."),
            )
        }
    }
}

pub(crate) async fn metadata(app: web::Data<AppState>) -> HttpResponse {
    let xml = match simulator_key(&app).await {
        Ok(k) => metadata_xml(&app.config.public_url, &app.links.dev_idp_sso(), &k.cert),
        Err(e) => Err(e),
    };
    match xml {
        Ok(xml) => HttpResponse::Ok()
            .content_type("application/samlmetadata+xml")
            .body(xml),
        Err(e) => failure(e),
    }
}

/// Whom to answer: the AuthnRequest's ACS, audience and ID, or (IdP-initiated) the
/// named connection's ACS and SP entity ID.
async fn target(
    app: &AppState,
    q: &SsoQuery,
) -> Result<(AuthnRequestInfo, Option<String>), SimulatorError> {
    match (&q.saml_request, &q.connection) {
        (Some(r), None) => Ok((
            read_authn_request(r, &app.links.saml_acs_prefix())?,
            q.relay_state.clone().filter(|s| !s.is_empty()),
        )),
        (None, Some(id)) => {
            let id = id.clone();
            let found = app
                .db
                .read(move |c| Ok::<_, SimulatorError>(find_connection(c, &id)?))
                .await?
                .ok_or_else(|| SimulatorError::BadRequest("no such SAML connection".into()))?;
            let urls = SpUrls::new(&app.links, &found.id);
            Ok((
                AuthnRequestInfo {
                    id: String::new(),
                    acs_url: urls.acs_url,
                    sp_entity_id: urls.entity_id,
                },
                None,
            ))
        }
        _ => Err(SimulatorError::BadRequest(
            "pass either SAMLRequest (from /sso/authorize) or connection (IdP-initiated)".into(),
        )),
    }
}

fn query(req: &HttpRequest) -> Result<SsoQuery, SimulatorError> {
    web::Query::<SsoQuery>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| SimulatorError::BadRequest(format!("bad query: {e}")))
}

/// The form posts back to this URL with the same query, so the POST carries the request.
fn form_action(req: &HttpRequest) -> String {
    format!("{}?{}", req.path(), req.query_string())
}

pub(crate) async fn sso_form(app: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let answer = async {
        let q = query(&req)?;
        let (info, _) = target(&app, &q).await?;
        Ok::<_, SimulatorError>(pages::login_form(
            &form_action(&req),
            &info.sp_entity_id,
            None,
            &FormValues::default(),
        ))
    };
    match answer.await {
        Ok(page) => html(StatusCode::OK, page),
        Err(e) => failure(e),
    }
}

/// Longest accepted email, name and group (characters), and most groups.
const MAX_FIELD: usize = 256;
const MAX_GROUPS: usize = 100;

fn check_form(v: &FormValues) -> Result<SimulatedUser, String> {
    let email = v.email.trim();
    let (local, domain) = email
        .split_once('@')
        .ok_or_else(|| "Email must look like name@example.com.".to_owned())?;
    if local.is_empty() || domain.is_empty() || email.chars().any(char::is_whitespace) {
        return Err("Email must look like name@example.com.".into());
    }
    let groups: Vec<String> = v
        .groups
        .split(',')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(str::to_owned)
        .fold(Vec::new(), |mut acc, g| {
            if !acc.contains(&g) {
                acc.push(g);
            }
            acc
        });
    let too_long = [email, v.first_name.trim(), v.last_name.trim()]
        .into_iter()
        .chain(groups.iter().map(String::as_str))
        .any(|s| s.chars().count() > MAX_FIELD);
    if too_long {
        return Err(format!(
            "Each value may have at most {MAX_FIELD} characters."
        ));
    }
    if groups.len() > MAX_GROUPS {
        return Err(format!("At most {MAX_GROUPS} groups."));
    }
    Ok(SimulatedUser {
        email: email.to_owned(),
        first_name: v.first_name.trim().to_owned(),
        last_name: v.last_name.trim().to_owned(),
        groups,
    })
}

pub(crate) async fn sso_submit(
    app: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let mut v = FormValues::default();
    for (k, val) in url::form_urlencoded::parse(&body) {
        match k.as_ref() {
            "email" => v.email = val.into_owned(),
            "first_name" => v.first_name = val.into_owned(),
            "last_name" => v.last_name = val.into_owned(),
            "groups" => v.groups = val.into_owned(),
            _ => {}
        }
    }
    let answer = async {
        let q = query(&req)?;
        let (info, relay_state) = target(&app, &q).await?;
        let user = match check_form(&v) {
            Ok(u) => u,
            Err(message) => {
                let page =
                    pages::login_form(&form_action(&req), &info.sp_entity_id, Some(&message), &v);
                return Ok((StatusCode::BAD_REQUEST, page));
            }
        };
        let key = simulator_key(&app).await?;
        let nonce = app.ids.secret(16);
        let issuer = entity_id(&app.config.public_url);
        let xml = signed_response(
            &ResponseParams {
                issuer: &issuer,
                acs_url: &info.acs_url,
                audience: &info.sp_entity_id,
                in_response_to: Some(info.id.as_str()).filter(|s| !s.is_empty()),
                now: app.now(),
                nonce: &nonce,
                user: &user,
            },
            &key.key,
        )?;
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(xml);
        tracing::info!("IdP simulator answered a sign-in");
        Ok::<_, SimulatorError>((
            StatusCode::OK,
            pages::auto_post(&info.acs_url, &b64, relay_state.as_deref()),
        ))
    };
    match answer.await {
        Ok((status, page)) => html(status, page),
        Err(e) => failure(e),
    }
}

#[derive(Debug, Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

pub(crate) async fn callback(app: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let q = web::Query::<CallbackQuery>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or(CallbackQuery {
            code: None,
            state: None,
            error: Some("malformed callback query".into()),
        });
    html(
        StatusCode::OK,
        pages::callback(
            &app.links.token(),
            &app.links.dev_callback(),
            q.code.as_deref(),
            q.state.as_deref(),
            q.error.as_deref(),
        ),
    )
}
