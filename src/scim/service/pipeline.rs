//! The one SCIM pipeline for every resource type: each operation parses its body off
//! the worker, runs in one transaction, answers 404 for an id the organization does not
//! have and 412 when `If-Match` names another version (RFC 7644 §3.14), and leaves the
//! resource-specific work to its [`ScimResource`].

use serde_json::Value;

use super::resource::ScimResource;
use super::{base_url, check_if_match, off_worker, Caller, Rendered, ServiceError};
use crate::app::AppState;
use crate::db::DbConn;
use crate::scim::query::ListQuery;
use crate::scim::representation::{list_response, Projection};
use crate::scim::translate::{to_predicate, to_sort};
use crate::store::query::Page;

/// POST (RFC 7644 §3.3).
pub async fn create<R: ScimResource>(
    app: &AppState,
    caller: Caller,
    body: Value,
) -> Result<Rendered, ServiceError> {
    let body = off_worker(move || R::parse_body(&body)).await?;
    R::before_create(&body);
    let app2 = app.clone();
    app.db
        .write(move |conn| R::create(conn, &app2, &caller, body))
        .await
}

/// GET of one resource (RFC 7644 §3.4.1), projected.
pub async fn get<R: ScimResource>(
    app: &AppState,
    caller: Caller,
    id: String,
    projection: Projection,
) -> Result<Rendered, ServiceError> {
    let base = base_url(app);
    app.db
        .read(move |conn| {
            let row = R::find(conn, &caller.auth.organization_id, &id)?
                .ok_or_else(|| R::not_found(&id))?;
            R::render(conn, &row, &base, Some(&projection))
        })
        .await
}

/// GET of the collection and `POST /.search` (RFC 7644 §3.4.2, §3.4.3): a ListResponse.
pub async fn list<R: ScimResource>(
    app: &AppState,
    caller: Caller,
    query: ListQuery,
) -> Result<Value, ServiceError> {
    let base = base_url(app);
    app.db
        .read(move |conn| {
            let org = &caller.auth.organization_id;
            let (total, rows) = list_page::<R>(conn, org, &query)?;
            let resources = R::render_page(conn, &rows, &base, &query.projection)?;
            Ok(list_response(
                resources,
                usize::try_from(total).unwrap_or(0),
                query.start_index,
            ))
        })
        .await
}

/// The shared core of a listing: the filter and sort translated to the store's typed
/// query, `totalResults`, and the requested page in the requested order (none for
/// `count=0`, RFC 7644 §3.4.2.4).
fn list_page<R: ScimResource>(
    conn: &mut DbConn,
    org: &str,
    query: &ListQuery,
) -> Result<(i64, Vec<R::Row>), ServiceError> {
    let filter = match &query.filter {
        Some(f) => Some(to_predicate(R::RT, f)?),
        None => None,
    };
    let total = R::count(conn, org, filter.as_ref())?;
    if query.count == 0 {
        return Ok((total, Vec::new()));
    }
    let sort = query.sort.as_ref().map(|s| to_sort(R::RT, s));
    let page = Page {
        offset: i64::try_from(query.offset()).unwrap_or(i64::MAX),
        limit: i64::try_from(query.count).unwrap_or(i64::MAX),
    };
    let rows = R::page(conn, org, filter.as_ref(), sort.as_ref(), page)?;
    Ok((total, rows))
}

/// The live resource `id` whose version `if_match` names (when given).
fn existing<R: ScimResource>(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    if_match: Option<&str>,
) -> Result<R::Row, ServiceError> {
    let row = R::find(conn, &caller.auth.organization_id, id)?.ok_or_else(|| R::not_found(id))?;
    check_if_match(if_match, R::version(&row))?;
    Ok(row)
}

/// PUT (RFC 7644 §3.5.1).
pub async fn replace<R: ScimResource>(
    app: &AppState,
    caller: Caller,
    id: String,
    body: Value,
    if_match: Option<String>,
) -> Result<Rendered, ServiceError> {
    let body = off_worker(move || R::parse_body(&body)).await?;
    let app2 = app.clone();
    app.db
        .write(move |conn| {
            let row = existing::<R>(conn, &caller, &id, if_match.as_deref())?;
            R::replace(conn, &app2, &caller, row, body)
        })
        .await
}

/// PATCH (RFC 7644 §3.5.2). Parsed before the write transaction, on the blocking pool;
/// applied inside it. `projection` is given only to a resource with
/// [`ScimResource::PATCH_PROJECTION`].
pub async fn patch<R: ScimResource>(
    app: &AppState,
    caller: Caller,
    id: String,
    body: Value,
    if_match: Option<String>,
    projection: Option<Projection>,
) -> Result<Rendered, ServiceError> {
    let ops = off_worker(move || R::parse_patch(&body)).await?;
    let app2 = app.clone();
    app.db
        .write(move |conn| {
            let row = existing::<R>(conn, &caller, &id, if_match.as_deref())?;
            R::patch(conn, &app2, &caller, row, ops, projection)
        })
        .await
}

/// DELETE (RFC 7644 §3.6).
pub async fn delete<R: ScimResource>(
    app: &AppState,
    caller: Caller,
    id: String,
    if_match: Option<String>,
) -> Result<(), ServiceError> {
    let app2 = app.clone();
    app.db
        .write(move |conn| {
            let row = existing::<R>(conn, &caller, &id, if_match.as_deref())?;
            R::delete(conn, &app2, &caller, row)
        })
        .await
}
