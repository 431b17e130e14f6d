//! SP key pairs kept in the database: the server-wide pair (scope `server`) generated at
//! first need when no key files are configured, and per-connection overrides. The private
//! key is stored sealed (`crate::secrets`); this file only moves the sealed text.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::conditional::{insert_unless_exists, replace_if_unchanged};
use super::{StoreError, StoreResult};
use crate::db::schema::sp_keys;
use crate::db::DbConn;

/// The scope of the server-wide key pair.
pub const SERVER_SCOPE: &str = "server";

#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = sp_keys)]
pub struct SpKeyRow {
    pub id: String,
    pub scope: String,
    pub connection_id: Option<String>,
    /// The PEM private key, sealed with `Purpose::SpPrivateKey` and this row's id.
    #[diesel(column_name = private_key_pem)]
    pub private_key_sealed: String,
    pub certificate_pem: String,
    pub created_at: NaiveDateTime,
}

impl std::fmt::Debug for SpKeyRow {
    /// The private key is never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpKeyRow")
            .field("id", &self.id)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

#[derive(Insertable)]
#[diesel(table_name = sp_keys)]
pub struct NewSpKey<'a> {
    pub id: &'a str,
    pub scope: &'a str,
    pub connection_id: Option<&'a str>,
    /// Sealed with `Purpose::SpPrivateKey` and `id` (see `crate::secrets`).
    #[diesel(column_name = private_key_pem)]
    pub private_key_sealed: &'a str,
    pub certificate_pem: &'a str,
    pub created_at: NaiveDateTime,
}

pub fn find_sp_key(conn: &mut DbConn, scope: &str) -> StoreResult<Option<SpKeyRow>> {
    Ok(sp_keys::table
        .filter(sp_keys::scope.eq(scope))
        .select(SpKeyRow::as_select())
        .first(conn)
        .optional()?)
}

/// Inserts the pair unless one exists for its scope, and returns the stored one: when two
/// processes race, both end up with the winner's key (`scope` is UNIQUE). The insert runs
/// in a savepoint so a conflict does not abort a surrounding PostgreSQL transaction.
pub fn insert_or_get_sp_key(conn: &mut DbConn, new: &NewSpKey<'_>) -> StoreResult<SpKeyRow> {
    insert_unless_exists(conn, |c| {
        diesel::insert_into(sp_keys::table).values(new).execute(c)
    })?;
    find_sp_key(conn, new.scope)?
        .ok_or_else(|| StoreError::Corrupt(format!("sp key `{}` vanished", new.scope)))
}

pub fn delete_sp_key(conn: &mut DbConn, scope: &str) -> StoreResult<usize> {
    Ok(diesel::delete(sp_keys::table.filter(sp_keys::scope.eq(scope))).execute(conn)?)
}

/// `(id, stored private key)` of every row, for sealing and rotation.
pub fn list_private_keys(conn: &mut DbConn) -> StoreResult<Vec<(String, String)>> {
    Ok(sp_keys::table
        .select((sp_keys::id, sp_keys::private_key_pem))
        .order(sp_keys::id.asc())
        .load(conn)?)
}

replace_if_unchanged! {
    /// Replaces a row's stored private key if it still is `old` (compare-and-set).
    pub fn replace_private_key => sp_keys.private_key_pem
}
