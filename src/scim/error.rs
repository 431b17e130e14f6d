//! The SCIM protocol error (RFC 7644 §3.12): HTTP status, `scimType` and detail, and
//! its JSON body. Domain-level only: the HTTP layer maps it to a response.

use serde_json::{json, Value};

/// The schema URN of a SCIM error message (RFC 7644 §3.12).
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The `scimType` keywords of RFC 7644 §3.12, Table 9.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimType {
    /// The filter syntax is invalid or the attribute/operator combination unsupported.
    InvalidFilter,
    /// The query would return more results than the server allows.
    TooMany,
    /// One or more unique attribute values are already in use.
    Uniqueness,
    /// The attempted modification is incompatible with the attribute's mutability.
    Mutability,
    /// The request body structure is invalid or does not conform to the schema.
    InvalidSyntax,
    /// The `path` attribute is invalid or malformed.
    InvalidPath,
    /// The path's filter matched no value (RFC 7644 §3.5.2).
    NoTarget,
    /// A required value is missing or a value is incompatible with the attribute.
    InvalidValue,
    /// The specified SCIM protocol version is not supported.
    InvalidVers,
    /// The request cannot be completed because it contains sensitive information.
    Sensitive,
}

impl ScimType {
    /// The keyword as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
            ScimType::InvalidVers => "invalidVers",
            ScimType::Sensitive => "sensitive",
        }
    }

    /// The HTTP status RFC 7644 §3.12 pairs with this keyword (409 for
    /// `uniqueness`, 400 for all others).
    pub fn default_status(self) -> u16 {
        match self {
            ScimType::Uniqueness => 409,
            _ => 400,
        }
    }
}

/// A SCIM error: what the server answers with an RFC 7644 §3.12 body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SCIM error {status}{}: {detail}", scim_type.map(|t| format!(" ({})", t.as_str())).unwrap_or_default())]
pub struct ScimError {
    status: u16,
    scim_type: Option<ScimType>,
    detail: String,
}

impl ScimError {
    /// An error with the keyword's default status (RFC 7644 §3.12).
    pub fn new(scim_type: ScimType, detail: impl Into<String>) -> Self {
        Self {
            status: scim_type.default_status(),
            scim_type: Some(scim_type),
            detail: detail.into(),
        }
    }

    /// An error with an explicit status and no `scimType` (404, 412, 500, ...).
    pub fn with_status(status: u16, detail: impl Into<String>) -> Self {
        Self {
            status,
            scim_type: None,
            detail: detail.into(),
        }
    }

    /// 400 `invalidFilter`.
    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        Self::new(ScimType::InvalidFilter, detail)
    }

    /// 400 `invalidSyntax`.
    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        Self::new(ScimType::InvalidSyntax, detail)
    }

    /// 400 `invalidPath`.
    pub fn invalid_path(detail: impl Into<String>) -> Self {
        Self::new(ScimType::InvalidPath, detail)
    }

    /// 400 `invalidValue`.
    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::new(ScimType::InvalidValue, detail)
    }

    /// 400 `noTarget`.
    pub fn no_target(detail: impl Into<String>) -> Self {
        Self::new(ScimType::NoTarget, detail)
    }

    /// 400 `mutability`.
    pub fn mutability(detail: impl Into<String>) -> Self {
        Self::new(ScimType::Mutability, detail)
    }

    /// 409 `uniqueness` (RFC 7644 §3.3: a duplicate unique attribute on create).
    pub fn uniqueness(detail: impl Into<String>) -> Self {
        Self::new(ScimType::Uniqueness, detail)
    }

    /// 404 for an unknown resource id (RFC 7644 §3.12).
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::with_status(404, detail)
    }

    /// 412 when an `If-Match` version no longer matches (RFC 7644 §3.14).
    pub fn precondition_failed(detail: impl Into<String>) -> Self {
        Self::with_status(412, detail)
    }

    /// The same error with `context` prepended to its detail (e.g. `Operations[2]`).
    pub fn context(mut self, context: &str) -> Self {
        self.detail = format!("{context}: {}", self.detail);
        self
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The `scimType` keyword, if any.
    pub fn scim_type(&self) -> Option<ScimType> {
        self.scim_type
    }

    /// The human-readable detail.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The RFC 7644 §3.12 body: `status` is a string, `scimType` only when set.
    pub fn to_json(&self) -> Value {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let (Some(t), Some(obj)) = (self.scim_type, body.as_object_mut()) {
            obj.insert("scimType".to_owned(), Value::String(t.as_str().to_owned()));
        }
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_string_status_and_scim_type() {
        let err = ScimError::invalid_filter("bad filter at 3");
        assert_eq!(err.status(), 400);
        assert_eq!(
            err.to_json(),
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": "400",
                "scimType": "invalidFilter",
                "detail": "bad filter at 3",
            })
        );
    }

    #[test]
    fn uniqueness_is_409() {
        let err = ScimError::uniqueness("userName taken");
        assert_eq!(err.status(), 409);
        assert_eq!(err.to_json()["scimType"], "uniqueness");
    }

    #[test]
    fn status_only_error_has_no_scim_type() {
        let err = ScimError::not_found("no such User");
        assert_eq!(err.status(), 404);
        let body = err.to_json();
        assert_eq!(body["status"], "404");
        assert!(body.get("scimType").is_none());
    }

    #[test]
    fn context_prefixes_detail_and_keeps_type() {
        let err = ScimError::invalid_path("bad").context("Operations[1]");
        assert_eq!(err.detail(), "Operations[1]: bad");
        assert_eq!(err.scim_type(), Some(ScimType::InvalidPath));
    }

    #[test]
    fn display_names_the_keyword() {
        let err = ScimError::no_target("nothing matched");
        assert_eq!(
            err.to_string(),
            "SCIM error 400 (noTarget): nothing matched"
        );
    }
}
