//! Key authentication for every HTTP room: `Authorization: Bearer <admin key>` on every
//! `/admin/v1` route, `Bearer <app key>` on the app-facing routes. Not part of `admin`, so
//! the app-facing rooms (lifecycle, sso) need not import the admin API.

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

/// What an admin handler starts from: the application state, then an admin key's
/// [`AdminAuth`] (extracted in that order, where handlers take their path and body after
/// it, so a missing or bad key answers exactly as `AdminAuth` does).
pub struct AdminCall {
    pub app: web::Data<AppState>,
    pub actor: Actor,
    pub request_id: Option<String>,
}

/// An authenticated app request (`/api/v1`, `/sso/token`): an app API key.
#[derive(Debug, Clone)]
pub struct AppAuth {
    pub actor: Actor,
    pub request_id: Option<String>,
}

/// What a handler needs from either kind of key: who acts, and the request id. Lets one
/// handler serve both the admin and the app mount of an endpoint.
pub trait Authenticated {
    fn into_parts(self) -> (Actor, Option<String>);
}

impl Authenticated for AdminAuth {
    fn into_parts(self) -> (Actor, Option<String>) {
        (self.actor, self.request_id)
    }
}

impl Authenticated for AppAuth {
    fn into_parts(self) -> (Actor, Option<String>) {
        (self.actor, self.request_id)
    }
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

type AuthFuture<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

/// Checks the bearer key of `req` for `kind`; yields the key id and the request id.
fn authenticate_request(req: &HttpRequest, kind: KeyKind) -> AuthFuture<(String, Option<String>)> {
    let token = bearer_token(req);
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    let what = kind.as_str();
    Box::pin(async move {
        let state = state.ok_or_else(|| ApiError::Internal("application state missing".into()))?;
        let token = token.ok_or_else(|| {
            ApiError::Unauthorized(format!(
                "an {what} API key is required: Authorization: Bearer <key>"
            ))
        })?;
        match authenticate(&state, token, kind).await? {
            Ok(key_id) => Ok((key_id, request_id)),
            // One answer for unknown, revoked and wrong-kind keys: no oracle for key states.
            Err(_) => Err(ApiError::Unauthorized(format!(
                "invalid or revoked {what} API key"
            ))),
        }
    })
}

impl FromRequest for AdminAuth {
    type Error = ApiError;
    type Future = AuthFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let auth = authenticate_request(req, KeyKind::Admin);
        Box::pin(async move {
            let (key_id, request_id) = auth.await?;
            Ok(AdminAuth {
                actor: Actor::admin_key(key_id),
                request_id,
            })
        })
    }
}

impl FromRequest for AdminCall {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let app = web::Data::<AppState>::from_request(req, payload);
        let auth = AdminAuth::from_request(req, payload);
        Box::pin(async move {
            let app = app.await?;
            let AdminAuth { actor, request_id } = auth.await?;
            Ok(AdminCall {
                app,
                actor,
                request_id,
            })
        })
    }
}

impl FromRequest for AppAuth {
    type Error = ApiError;
    type Future = AuthFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let auth = authenticate_request(req, KeyKind::App);
        Box::pin(async move {
            let (key_id, request_id) = auth.await?;
            Ok(AppAuth {
                actor: Actor {
                    kind: crate::domain::ActorKind::AppKey,
                    id: key_id,
                },
                request_id,
            })
        })
    }
}
