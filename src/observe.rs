//! Per-request observability and safety net: a request id (taken from `X-Request-Id` when
//! sane, otherwise generated) echoed in the response, a tracing span carrying it, one log
//! line per request, metrics by route and status, and a guard that turns a panic in a
//! handler into a JSON 500 instead of a dropped connection.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};
use futures_util::FutureExt;
use tracing::Instrument;

use crate::app::AppState;
use crate::error::ApiError;
use crate::metrics;

/// The request's correlation id, available to handlers through `web::ReqData`.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

fn incoming_id(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(&REQUEST_ID)?.to_str().ok()?;
    let sane = !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    sane.then(|| value.to_owned())
}

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let request_id = incoming_id(&req).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(request_id.clone()));
    // Labels from closed sets only (see `metrics`): the route pattern, never the path;
    // a standard method or `other`, never whatever token the client sent.
    let route = req
        .match_pattern()
        .unwrap_or_else(|| metrics::UNMATCHED.to_owned());
    let method = metrics::method_label(req.method().as_str());
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let span = tracing::info_span!("request", request.id = %request_id, http.method = %method, http.route = %route);

    // The request cannot be cloned before routing (actix mutates its match info), so
    // failures and panics leave as `Err`: actix renders the error's own response.
    let outcome = AssertUnwindSafe(next.call(req))
        .catch_unwind()
        .instrument(span.clone())
        .await;
    let result = match outcome {
        Ok(Ok(res)) => Ok(res.map_into_boxed_body()),
        Ok(Err(err)) => Err(err),
        Err(_panic) => Err(ApiError::Internal("handler panicked".into()).into()),
    };
    let status = match &result {
        Ok(res) => res.status().as_u16(),
        Err(err) => err.as_response_error().status_code().as_u16(),
    };
    let elapsed = started.elapsed();
    if let Some(state) = state {
        state.metrics.observe(method, &route, status, elapsed);
    }
    span.in_scope(|| {
        tracing::info!(
            http.status = status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "request finished"
        );
    });
    let mut response = result?;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(response)
}
