//! The SCIM domain service between the HTTP handlers and the store: every operation on
//! `/Users` and `/Groups` of the directory's organization, each in one transaction with
//! its events. Nothing here knows HTTP; errors are [`ServiceError`], whose SCIM part
//! carries the RFC 7644 §3.12 status and `scimType`.

pub mod groups;
pub mod users;

use serde_json::Value;

use super::directories::DirectoryAuth;
use super::error::ScimError;
use super::query::ListQuery;
use super::schema::ResourceType;
use crate::app::AppState;
use crate::db::{DbConn, DbError};
use crate::store::scim_query::{order_by, Dialect, SqlCond, Translator};
use crate::store::{StoreError, StoreResult};

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

/// Counts the rows of `org` matching a list query's filter.
type CountFn = fn(&mut DbConn, &str, Option<SqlCond>) -> StoreResult<i64>;
/// Loads one ordered page of rows of `org` matching a filter: (cond, order, offset, limit).
type PageFn<R> = fn(&mut DbConn, &str, Option<SqlCond>, &str, i64, i64) -> StoreResult<Vec<R>>;

/// The shared core of `GET /Users`, `GET /Groups` and their `/.search`: the filter
/// translated to SQL for the organization, `totalResults`, and the requested page in the
/// requested order (none for `count=0`, RFC 7644 §3.4.2.4).
pub(crate) fn list_page<R>(
    conn: &mut DbConn,
    org: &str,
    rt: ResourceType,
    query: &ListQuery,
    count: CountFn,
    page: PageFn<R>,
) -> Result<(i64, Vec<R>), ServiceError> {
    let d = Dialect::of(conn);
    let cond = match &query.filter {
        Some(f) => Some(Translator::for_org(d, org).translate(rt, f)?),
        None => None,
    };
    let total = count(conn, org, cond.clone())?;
    if query.count == 0 {
        return Ok((total, Vec::new()));
    }
    let rows = page(
        conn,
        org,
        cond,
        &order_by(d, rt, query.sort.as_ref()),
        i64::try_from(query.offset()).unwrap_or(i64::MAX),
        i64::try_from(query.count).unwrap_or(i64::MAX),
    )?;
    Ok((total, rows))
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
