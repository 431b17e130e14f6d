//! Pending AuthnRequests: single use and expiring, for the InResponseTo check, each bound
//! to the browser that started it (the hash of its binding cookie).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::StoreResult;
use crate::db::schema::saml_authn_requests as reqs;
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reqs)]
pub struct PendingAuthnRequest {
    pub id: String,
    pub connection_id: String,
    pub relay_state: Option<String>,
    pub redirect_uri: Option<String>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub consumed_at: Option<NaiveDateTime>,
    /// SHA-256 (hex) of the browser binding cookie set by `/sso/authorize`; `None` for
    /// requests started without one (the ACS refuses to complete those).
    pub browser_binding_hash: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = reqs)]
pub struct NewAuthnRequest<'a> {
    pub id: &'a str,
    pub connection_id: &'a str,
    pub relay_state: Option<&'a str>,
    pub redirect_uri: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub browser_binding_hash: Option<&'a str>,
}

pub fn insert_authn_request(conn: &mut DbConn, new: &NewAuthnRequest<'_>) -> StoreResult<()> {
    diesel::insert_into(reqs::table).values(new).execute(conn)?;
    Ok(())
}

/// A request of this connection, whatever its state (the caller checks expiry; single
/// use is decided by [`consume_request`]).
pub fn find_request(
    conn: &mut DbConn,
    connection_id: &str,
    id: &str,
) -> StoreResult<Option<PendingAuthnRequest>> {
    Ok(reqs::table
        .filter(reqs::id.eq(id))
        .filter(reqs::connection_id.eq(connection_id))
        .select(PendingAuthnRequest::as_select())
        .first(conn)
        .optional()?)
}

/// Marks the request consumed if it still is pending; `false` when another use (on any
/// replica) got there first or it expired. One conditional UPDATE, so the database, not
/// the caller, decides the single use.
pub fn consume_request(
    conn: &mut DbConn,
    connection_id: &str,
    id: &str,
    now: NaiveDateTime,
) -> StoreResult<bool> {
    let n = diesel::update(
        reqs::table
            .filter(reqs::id.eq(id))
            .filter(reqs::connection_id.eq(connection_id))
            .filter(reqs::consumed_at.is_null())
            .filter(reqs::expires_at.gt(now)),
    )
    .set(reqs::consumed_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

/// Deletes requests that expired before `before`; returns how many.
pub fn purge_expired_requests(conn: &mut DbConn, before: NaiveDateTime) -> StoreResult<usize> {
    Ok(diesel::delete(reqs::table.filter(reqs::expires_at.lt(before))).execute(conn)?)
}
