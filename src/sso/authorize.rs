//! `GET /sso/authorize`: which connection a login starts on (by organization, verified
//! email domain, or connection id), the redirect-URI allow-list check, then a pending
//! AuthnRequest bound to the browser (see [`super::binding`]) and the IdP redirect (see
//! [`super::login::start_authn_request`]).

use super::binding::{binding_hash, is_well_formed, VALUE_BYTES};
use super::login::start_authn_request;
use super::redirects::is_allowed;
use super::SsoError;
use crate::app::AppState;
use crate::store::domains::verified_domain_owner;
use crate::store::orgs::find_organization;
use crate::store::saml_connections::{find_connection, list_connections};

/// The query of `/sso/authorize`.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeParams {
    pub organization: Option<String>,
    pub domain: Option<String>,
    pub connection: Option<String>,
    pub redirect_uri: Option<String>,
    pub state: Option<String>,
}

/// A started login: where to send the browser, and the binding value its cookie carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginStart {
    pub redirect_url: String,
    pub browser_binding: String,
}

/// Starts an SP-initiated login; returns where to send the browser. `browser_binding` is
/// the value of the browser's binding cookie, if it sent a well-formed one: it is kept, so
/// logins started in several tabs of one browser all complete; otherwise a fresh value is
/// drawn. Either way the request stores only its hash.
pub async fn authorize(
    app: &AppState,
    p: AuthorizeParams,
    browser_binding: Option<String>,
) -> Result<LoginStart, SsoError> {
    let redirect_uri = p
        .redirect_uri
        .clone()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| SsoError::invalid("redirect_uri", "is required"))?;
    if !is_allowed(app, &redirect_uri).await? {
        return Err(SsoError::invalid(
            "redirect_uri",
            "is not on the allowed redirect URI list",
        ));
    }
    let connection_id = resolve_connection(app, &p).await?;
    let binding = browser_binding
        .filter(|v| is_well_formed(v))
        .unwrap_or_else(|| app.ids.secret(VALUE_BYTES));
    let start = start_authn_request(
        app,
        &connection_id,
        p.state,
        Some(redirect_uri),
        Some(binding_hash(&binding)),
    )
    .await?;
    Ok(LoginStart {
        redirect_url: start.redirect_url,
        browser_binding: binding,
    })
}

/// Exactly one of `organization`, `domain`, `connection` selects the connection; an
/// organization (or domain) with several connections must name one.
async fn resolve_connection(app: &AppState, p: &AuthorizeParams) -> Result<String, SsoError> {
    let given = [&p.organization, &p.domain, &p.connection]
        .iter()
        .filter(|v| v.is_some())
        .count();
    if given != 1 {
        return Err(SsoError::invalid(
            "organization",
            "pass exactly one of organization, domain or connection",
        ));
    }
    let p = p.clone();
    app.db
        .read(move |conn| {
            if let Some(id) = &p.connection {
                return find_connection(conn, id)?
                    .map(|c| c.id)
                    .ok_or(SsoError::NotFound("saml connection"));
            }
            let org_id = match (&p.organization, &p.domain) {
                (Some(o), _) => find_organization(conn, o)?
                    .map(|o| o.id)
                    .ok_or(SsoError::NotFound("organization"))?,
                (_, Some(d)) => {
                    let domain = d.trim().trim_end_matches('.').to_ascii_lowercase();
                    let domain = domain.rsplit('@').next().unwrap_or_default().to_owned();
                    verified_domain_owner(conn, &domain)?
                        .ok_or(SsoError::NotFound("organization for this domain"))?
                }
                _ => {
                    return Err(SsoError::invalid(
                        "organization",
                        "pass exactly one of organization, domain or connection",
                    ))
                }
            };
            let mut conns = list_connections(conn, &org_id)?;
            match conns.len() {
                0 => Err(SsoError::NotFound("saml connection")),
                1 => Ok(conns.remove(0).id),
                _ => Err(SsoError::invalid(
                    "connection",
                    "the organization has several SAML connections: pass connection",
                )),
            }
        })
        .await
}
