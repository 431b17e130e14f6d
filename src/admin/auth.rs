//! Admin authentication: `Authorization: Bearer <admin key>` on every `/admin/v1` route.

use std::future::Future;
use std::pin::Pin;

use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use crate::app::AppState;
use crate::changes::Actor;
use crate::error::ApiError;
use crate::observe::RequestId;
use crate::tenancy::api_keys::{authenticate, KeyKind};

/// An authenticated admin request: who acts, and the request id for the audit trail.
#[derive(Debug, Clone)]
pub struct AdminAuth {
    pub actor: Actor,
    pub request_id: Option<String>,
}

/// The token of an `Authorization: Bearer …` header, if well-formed.
pub fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

impl FromRequest for AdminAuth {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let token = bearer_token(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
        Box::pin(async move {
            let state =
                state.ok_or_else(|| ApiError::Internal("application state missing".into()))?;
            let token = token.ok_or_else(|| {
                ApiError::Unauthorized(
                    "an admin API key is required: Authorization: Bearer <key>".into(),
                )
            })?;
            match authenticate(&state, token, KeyKind::Admin).await? {
                Ok(key_id) => Ok(AdminAuth {
                    actor: Actor::admin_key(key_id),
                    request_id,
                }),
                // One answer for unknown, revoked and app keys: no oracle for key states.
                Err(_) => Err(ApiError::Unauthorized(
                    "invalid or revoked admin API key".into(),
                )),
            }
        })
    }
}
