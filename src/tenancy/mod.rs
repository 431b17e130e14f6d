//! Tenancy: organizations and their JIT settings, domains and their verification, roles,
//! and API keys. Validation happens here (errors name the field); persistence goes
//! through `store`, and every change is recorded through `changes`.

pub mod api_keys;
pub mod domains;
pub mod organizations;
pub mod roles;
mod validate;

use crate::app::AppState;
use crate::db::{DbConn, DbError};
use crate::store::{StoreError, StoreResult};

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

/// The views of one organization's items of a kind (`load`: the store's list for an
/// organization id); the organization, by id or slug, must exist.
pub(crate) async fn list_in_org<R, V>(
    app: &AppState,
    org: String,
    load: fn(&mut DbConn, &str) -> StoreResult<Vec<R>>,
) -> Result<Vec<V>, TenancyError>
where
    R: 'static,
    V: From<R> + Send + 'static,
{
    app.db
        .read(move |conn| {
            let org = organizations::load(conn, &org)?;
            Ok(load(conn, &org.id)?.into_iter().map(V::from).collect())
        })
        .await
}

/// The view of one item of an organization (`find`: the store's lookup by organization
/// id and item id); `what` names it in the 404.
pub(crate) async fn get_in_org<R, V>(
    app: &AppState,
    org: String,
    id: String,
    what: &'static str,
    find: fn(&mut DbConn, &str, &str) -> StoreResult<Option<R>>,
) -> Result<V, TenancyError>
where
    R: 'static,
    V: From<R> + Send + 'static,
{
    app.db
        .read(move |conn| {
            let org = organizations::load(conn, &org)?;
            find(conn, &org.id, &id)?
                .map(V::from)
                .ok_or(TenancyError::NotFound(what))
        })
        .await
}
