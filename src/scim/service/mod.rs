//! The SCIM domain service between the HTTP handlers and the store: every operation on
//! `/Users` and `/Groups` of the directory's organization, each in one transaction with
//! its events. One generic pipeline (`pipeline`) serves every resource type through
//! the [`ScimResource`] trait (`resource`); `users` and `groups` implement it.
//! Nothing here knows HTTP; errors are [`ServiceError`], whose SCIM part carries the
//! RFC 7644 §3.12 status and `scimType`.

pub mod groups;
pub mod pipeline;
pub mod resource;
pub mod users;

pub use groups::Groups;
pub use resource::ScimResource;
pub use users::Users;

use std::collections::HashMap;

use serde_json::Value;

use super::directories::DirectoryAuth;
use super::error::ScimError;
use super::representation::Projection;
use super::schema::ResourceType;
use crate::app::AppState;
use crate::db::DbError;
use crate::store::StoreError;

/// What a SCIM operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Scim(#[from] ScimError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A resource as returned: its JSON (already projected) and version for the ETag.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub body: Value,
    pub version: i64,
    pub location: String,
}

impl Rendered {
    /// A resource of type `rt` as answered: `full` projected when `projection` is given,
    /// with its version and `Location` (`{base}/Users/{id}`).
    pub(crate) fn new(
        rt: ResourceType,
        full: Value,
        projection: Option<&Projection>,
        version: i64,
        base: &str,
        id: &str,
    ) -> Self {
        Rendered {
            body: match projection {
                Some(p) => p.apply(rt, &full),
                None => full,
            },
            version,
            location: format!("{base}{}/{id}", rt.endpoint()),
        }
    }
}

/// Rows of a page's related records (`(owner id, record)`) grouped once by owner: a
/// page of resources with many related records costs one pass.
pub(crate) fn by_owner<T>(rows: impl IntoIterator<Item = (String, T)>) -> HashMap<String, Vec<T>> {
    let mut map: HashMap<String, Vec<T>> = HashMap::new();
    for (owner, record) in rows {
        map.entry(owner).or_default().push(record);
    }
    map
}

/// Who is calling and within which request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub auth: DirectoryAuth,
    pub request_id: Option<String>,
}

/// The weak ETag of a version (RFC 7644 §3.14).
pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// Whether an `If-Match`/`If-None-Match` header value names this version (or is `*`).
pub fn etag_matches(header: &str, version: i64) -> bool {
    let want = version.to_string();
    header
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.trim_start_matches("W/").trim_matches('"') == want)
}

/// 412 unless `if_match` is absent or names the current version.
pub(crate) fn check_if_match(if_match: Option<&str>, version: i64) -> Result<(), ScimError> {
    match if_match {
        Some(h) if !etag_matches(h, version) => Err(ScimError::precondition_failed(format!(
            "the resource has changed: its version is {}",
            etag(version)
        ))),
        _ => Ok(()),
    }
}

pub(crate) fn seat_limit(max: i32) -> ScimError {
    ScimError::with_status(
        403,
        format!("seat limit reached: all {max} seats of the organization are in use"),
    )
}

pub(crate) fn base_url(app: &AppState) -> String {
    super::directories::base_url(app)
}

/// Runs the CPU work of a request that grows with its body (JSON parsing, validation,
/// filter and PATCH parsing) on the blocking pool, so a large body never stalls an
/// async worker and the other requests it serves.
pub(crate) async fn off_worker<T, F>(f: F) -> Result<T, ServiceError>
where
    F: FnOnce() -> Result<T, ScimError> + Send + 'static,
    T: Send + 'static,
{
    crate::db::run_blocking(move || f().map_err(ServiceError::from)).await
}

/// Maps a unique violation to 409 `uniqueness` with `detail`; other errors pass.
pub(crate) fn unique(e: StoreError, detail: &str) -> ServiceError {
    match e {
        StoreError::UniqueViolation(_) => ServiceError::Scim(ScimError::uniqueness(detail)),
        other => ServiceError::Store(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_match_weak_strong_and_star() {
        assert!(etag_matches("W/\"3\"", 3));
        assert!(etag_matches("\"3\"", 3));
        assert!(etag_matches("W/\"1\", W/\"3\"", 3));
        assert!(etag_matches("*", 9));
        assert!(!etag_matches("W/\"2\"", 3));
        assert!(check_if_match(Some("W/\"2\""), 3).is_err());
        assert!(check_if_match(None, 3).is_ok());
    }
}
