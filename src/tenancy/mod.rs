//! Tenancy: organizations and their JIT settings, domains and their verification, roles,
//! and API keys. Validation happens here (errors name the field); persistence goes
//! through `store`, and every change is recorded through `changes`.

pub mod api_keys;
pub mod domains;
pub mod organizations;
pub mod roles;
mod validate;

use crate::db::DbError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum TenancyError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{message}")]
    Conflict {
        field: Option<&'static str>,
        message: String,
    },
    #[error("{0}")]
    VerificationFailed(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl TenancyError {
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        TenancyError::Invalid {
            field,
            message: message.into(),
        }
    }
}

/// Maps a unique violation on insert to a conflict naming the field; other errors pass.
fn conflict_on_unique(e: StoreError, field: &'static str, message: String) -> TenancyError {
    match e {
        StoreError::UniqueViolation(_) => TenancyError::Conflict {
            field: Some(field),
            message,
        },
        other => TenancyError::Store(other),
    }
}
