//! The assertion replay cache: an assertion id is stored until its expiry, and the
//! primary key (connection, assertion id) makes a second use fail on every replica.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::StoreResult;
use crate::db::schema::saml_replay_cache as cache;
use crate::db::DbConn;

#[derive(Debug, Insertable)]
#[diesel(table_name = cache)]
pub struct NewReplayEntry<'a> {
    pub connection_id: &'a str,
    pub assertion_id: &'a str,
    pub expires_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

/// Records the assertion id. `StoreError::UniqueViolation` means it was seen before.
/// No savepoint: a replay aborts the caller's transaction, which is what it wants.
pub fn insert_replay_entry(conn: &mut DbConn, new: &NewReplayEntry<'_>) -> StoreResult<()> {
    diesel::insert_into(cache::table)
        .values(new)
        .execute(conn)?;
    Ok(())
}

/// Deletes entries whose expiry has passed; returns how many.
pub fn purge_expired_replay_entries(conn: &mut DbConn, now: NaiveDateTime) -> StoreResult<usize> {
    Ok(diesel::delete(cache::table.filter(cache::expires_at.lt(now))).execute(conn)?)
}

pub fn count_replay_entries(conn: &mut DbConn) -> StoreResult<i64> {
    Ok(cache::table.count().get_result(conn)?)
}
