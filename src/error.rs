//! The HTTP boundary's error type: every failure of the admin and app APIs becomes
//! `{"error": code, "message": …}` with the right status, mapped in one place.
//! 5xx bodies are generic; their cause is logged once, with an error id the body repeats.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::db::DbError;
use crate::lifecycle::webhooks::WebhookError;
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
