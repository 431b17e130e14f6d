//! The public SAML endpoints under `/sso/saml`: SP metadata per connection (issue 5 adds
//! the ACS here). Handlers only extract and map; the flow lives in `sso`.

use actix_web::{get, web, HttpResponse};

use crate::app::AppState;
use crate::error::ApiError;
use crate::sso::connections;

/// Mounts the public SSO routes (no admin auth: IdPs and admins fetch metadata).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(sp_metadata);
}

/// `GET /sso/saml/metadata/{connection}`: SAML Metadata §2.4.4 SPSSODescriptor.
#[get("/sso/saml/metadata/{connection}")]
async fn sp_metadata(
    app: web::Data<AppState>,
    connection: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let xml = connections::sp_metadata(&app, connection.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/samlmetadata+xml")
        .body(xml))
}
