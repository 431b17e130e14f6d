//! `ApiJson<T>`: the JSON body extractor for our APIs. Unlike actix's `Json`, its errors
//! name the offending field (`serde_path_to_error`), an empty body reads as `{}` (so a
//! missing required field is reported by name), and every failure is an `ApiError`.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T> ApiJson<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// A page size from a query string: `default` when absent, else it must be in `1..=max`.
pub fn page_limit(value: Option<i64>, default: i64, max: i64) -> Result<i64, ApiError> {
    let limit = value.unwrap_or(default);
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::Validation {
            field: "limit".into(),
            message: format!("must be between 1 and {max}"),
        })
    }
}

/// Parses a JSON body into `T`, naming the field at fault.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = inner.to_string();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::bad_json(format!("malformed JSON: {message}"));
        }
        // serde_path_to_error's path already ends at an unknown field; a missing field is
        // reported at its parent, so append the name from the message.
        let field = match quoted(&message) {
            Some(name) if message.starts_with("missing field") => {
                if path == "." {
                    name
                } else {
                    format!("{path}.{name}")
                }
            }
            _ => path,
        };
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_owned();
        ApiError::Validation { field, message }
    })
}

/// The first backquoted name in a serde message (`missing field `name``).
fn quoted(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message.get(start..)?.find('`')?;
    message.get(start..start + len).map(str::to_owned)
}

fn is_json(req: &HttpRequest) -> bool {
    match req.mime_type() {
        Ok(Some(mime)) => mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json"),
        // No content type at all: accept (curl -d without -H is common in tours).
        Ok(None) => true,
        Err(_) => false,
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(req);
        let bytes = Bytes::from_request(req, payload);
        let limit = req
            .app_data::<actix_web::web::Data<crate::app::AppState>>()
            .map_or(0, |s| s.config.max_body_bytes);
        Box::pin(async move {
            let body = bytes
                .await
                .map_err(|e| match e.as_error::<PayloadError>() {
                    Some(PayloadError::Overflow) => ApiError::PayloadTooLarge { limit },
                    _ if e.as_response_error().status_code()
                        == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE =>
                    {
                        ApiError::PayloadTooLarge { limit }
                    }
                    _ => ApiError::bad_json(format!("could not read the request body: {e}")),
                })?;
            if !json && !body.is_empty() {
                return Err(ApiError::BadRequest {
                    code: "unsupported_media_type",
                    message: "the body must be JSON (Content-Type: application/json)".into(),
                });
            }
            parse_json(&body).map(ApiJson)
        })
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code)]
    struct Body {
        name: String,
        seats: Option<u32>,
    }

    fn field_of(body: &str) -> String {
        match parse_json::<Body>(body.as_bytes()) {
            Err(ApiError::Validation { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(field_of("{}"), "name");
        assert_eq!(field_of(""), "name");
        assert_eq!(field_of(r#"{"name":"a","bogus":1}"#), "bogus");
        assert_eq!(field_of(r#"{"name":"a","seats":"x"}"#), "seats");
        assert!(matches!(
            parse_json::<Body>(b"{\"name\":"),
            Err(ApiError::BadRequest { .. })
        ));
    }
}
