//! One-time codes handed to the app after a login: stored as a hash, bound to a redirect
//! URI, single use, short-lived.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::StoreResult;
use crate::db::schema::sso_codes as codes;
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = codes)]
pub struct SsoCode {
    pub code_hash: String,
    pub organization_id: String,
    pub connection_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub payload: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub consumed_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = codes)]
pub struct NewSsoCode<'a> {
    pub code_hash: &'a str,
    pub organization_id: &'a str,
    pub connection_id: &'a str,
    pub user_id: &'a str,
    pub redirect_uri: &'a str,
    pub payload: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn insert_code(conn: &mut DbConn, new: &NewSsoCode<'_>) -> StoreResult<()> {
    diesel::insert_into(codes::table)
        .values(new)
        .execute(conn)?;
    Ok(())
}

pub fn find_code(conn: &mut DbConn, code_hash: &str) -> StoreResult<Option<SsoCode>> {
    Ok(codes::table
        .find(code_hash)
        .select(SsoCode::as_select())
        .first(conn)
        .optional()?)
}

/// Marks the code used if it is still unused and unexpired; `false` otherwise. One
/// conditional UPDATE, so two concurrent exchanges cannot both win.
pub fn consume_code(conn: &mut DbConn, code_hash: &str, now: NaiveDateTime) -> StoreResult<bool> {
    let n = diesel::update(
        codes::table
            .find(code_hash)
            .filter(codes::consumed_at.is_null())
            .filter(codes::expires_at.gt(now)),
    )
    .set(codes::consumed_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

/// Deletes codes that expired before `before`; returns how many.
pub fn purge_expired_codes(conn: &mut DbConn, before: NaiveDateTime) -> StoreResult<usize> {
    Ok(diesel::delete(codes::table.filter(codes::expires_at.lt(before))).execute(conn)?)
}
