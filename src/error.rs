//! The HTTP boundary's error type: every failure of the admin and app APIs becomes
//! `{"error": code, "message": …}` with the right status, mapped in one place.
//! 5xx bodies are generic; their cause is logged once, with an error id the body repeats.

use actix_web::dev::ServiceResponse;
use actix_web::error::{JsonPayloadError, PathError, PayloadError, QueryPayloadError};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::db::DbError;
use crate::lifecycle::webhooks::WebhookError;
use crate::scim::error::ScimError;
use crate::sso::SsoError;
use crate::store::StoreError;
use crate::tenancy::TenancyError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{field}: {message}")]
    Validation { field: String, message: String },
    #[error("{message}")]
    Conflict {
        field: Option<String>,
        message: String,
    },
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{message}")]
    Unprocessable { code: &'static str, message: String },
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::Validation { .. } => "validation_failed",
            ApiError::Conflict { .. } => "conflict",
            ApiError::BadRequest { code, .. } | ApiError::Unprocessable { code, .. } => code,
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal_error",
        }
    }

    pub fn bad_json(message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code: "invalid_json",
            message: message.into(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Validation { .. } | ApiError::Unprocessable { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let mut body = json!({ "error": self.code(), "message": self.to_string() });
        match self {
            ApiError::Validation { field, .. } => body["field"] = json!(field),
            ApiError::Conflict { field: Some(f), .. } => body["field"] = json!(f),
            ApiError::Internal(cause) | ApiError::Unavailable(cause) => {
                let error_id = uuid::Uuid::new_v4().to_string();
                tracing::error!(error.id = %error_id, error.kind = self.code(), cause = %cause, "request failed");
                body = json!({
                    "error": self.code(),
                    "message": if status == StatusCode::SERVICE_UNAVAILABLE {
                        "the service is temporarily unavailable"
                    } else {
                        "an internal error occurred"
                    },
                    "error_id": error_id,
                });
            }
            _ => {}
        }
        if matches!(self, ApiError::Unauthorized(_)) {
            return HttpResponse::build(status)
                .insert_header(("WWW-Authenticate", "Bearer"))
                .json(body);
        }
        HttpResponse::build(status).json(body)
    }
}

/// Rewrites an error response that actix produced on its own — a resource's 405, an
/// extractor's plain-text rejection (JSON, query, path, payload, 413, 415) — into the
/// documented shape: `{"error","message"}`, or the RFC 7644 §3.12 body under `/scim/`.
/// Responses that already carry a typed body (our JSON and SCIM errors, the HTML pages of
/// `/sso`) pass unchanged; the status is kept. Installed with `ErrorHandlers` in
/// `server.rs`, so no route can answer an error with an empty or plain-text body.
pub fn rewrite_plain_errors<B>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let typed = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| !ct.starts_with("text/plain"));
    if typed {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (method, path) = (
        res.request().method().clone(),
        res.request().path().to_owned(),
    );
    let cause = res.response().error();
    let code = match (status, cause) {
        (StatusCode::PAYLOAD_TOO_LARGE, _) => "payload_too_large",
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, _) => "unsupported_media_type",
        (_, Some(e)) if e.as_error::<JsonPayloadError>().is_some() => "invalid_json",
        (_, Some(e)) if e.as_error::<QueryPayloadError>().is_some() => "invalid_query",
        (_, Some(e)) if e.as_error::<PathError>().is_some() => "invalid_path",
        (_, Some(e)) if e.as_error::<PayloadError>().is_some() => "invalid_body",
        _ => match status {
            StatusCode::NOT_FOUND => "not_found",
            StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
            StatusCode::LENGTH_REQUIRED => "length_required",
            s if s.is_server_error() => "internal_error",
            _ => "bad_request",
        },
    };
    let message = match (status, cause) {
        (s, _) if s.is_server_error() => "an internal error occurred".to_owned(),
        (StatusCode::METHOD_NOT_ALLOWED, _) => format!("{method} is not allowed on {path}"),
        (StatusCode::NOT_FOUND, None) => format!("route {method} {path} not found"),
        (_, Some(e)) => e.to_string(),
        (s, None) => s.canonical_reason().unwrap_or("request refused").to_owned(),
    };
    if status.is_server_error() {
        tracing::error!(http.status = status.as_u16(), cause = ?cause, "request failed");
    }
    let body = if crate::http::routes::scope_errors(&path) == crate::http::routes::ScopeErrors::Scim
    {
        ScimError::with_status(status.as_u16(), message).error_response()
    } else {
        HttpResponse::build(status).json(json!({ "error": code, "message": message }))
    };
    let (req, _) = res.into_parts();
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, body).map_into_right_body(),
    ))
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Pool(p) => ApiError::Unavailable(p.to_string()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Db(db) => db.into(),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<TenancyError> for ApiError {
    fn from(e: TenancyError) -> Self {
        match e {
            TenancyError::NotFound(what) => ApiError::NotFound(what.to_owned()),
            TenancyError::Invalid { field, message } => ApiError::Validation {
                field: field.to_owned(),
                message,
            },
            TenancyError::Conflict { field, message } => ApiError::Conflict {
                field: field.map(str::to_owned),
                message,
            },
            TenancyError::VerificationFailed(message) => ApiError::Unprocessable {
                code: "verification_failed",
                message,
            },
            TenancyError::Store(s) => s.into(),
            TenancyError::Db(d) => d.into(),
        }
    }
}

impl From<WebhookError> for ApiError {
    fn from(e: WebhookError) -> Self {
        match e {
            WebhookError::NotFound(what) => ApiError::NotFound(what.to_owned()),
            WebhookError::Invalid { field, message } => ApiError::Validation {
                field: field.to_owned(),
                message,
            },
            WebhookError::Store(s) => s.into(),
            WebhookError::Db(d) => d.into(),
            WebhookError::Secret(e) => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<SsoError> for ApiError {
    fn from(e: SsoError) -> Self {
        if e.is_login_refusal() {
            // The person sees a generic refusal; the precise kind goes to the log once.
            tracing::warn!(error.kind = e.kind(), "SAML login refused");
            return ApiError::BadRequest {
                code: "sso_failed",
                message: "sign-in failed".into(),
            };
        }
        match e {
            SsoError::NotFound(what) => ApiError::NotFound(what.to_owned()),
            SsoError::Invalid { field, message } => ApiError::Validation { field, message },
            SsoError::Conflict { field, message } => ApiError::Conflict {
                field: field.map(str::to_owned),
                message,
            },
            SsoError::NoRedirectBinding => ApiError::Unprocessable {
                code: "no_redirect_binding",
                message: e.to_string(),
            },
            SsoError::Store(s) => s.into(),
            SsoError::Db(d) => d.into(),
            other => ApiError::Internal(other.to_string()),
        }
    }
}
