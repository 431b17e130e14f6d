//! The development IdP simulator's signing key pair (one row, id `simulator`).
//!
//! The private key is a secret like the SP keys: the caller stores it sealed
//! (`crate::secrets`, `Purpose::IdpSimulatorKey`), and start-up sealing and
//! `provisiond secrets rotate` reach it through the last two functions.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::conditional::{insert_unless_exists, replace_if_unchanged};
use super::{StoreError, StoreResult};
use crate::db::schema::idp_simulator_keys;
use crate::db::DbConn;

/// The row's fixed id (the table holds at most one pair).
pub const ROW_ID: &str = "simulator";

#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = idp_simulator_keys)]
pub struct SimulatorKeyRow {
    pub id: String,
    pub private_key_pem: String,
    pub certificate_pem: String,
    pub created_at: NaiveDateTime,
}

impl std::fmt::Debug for SimulatorKeyRow {
    /// The private key is never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatorKeyRow")
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

pub fn find_simulator_key(conn: &mut DbConn) -> StoreResult<Option<SimulatorKeyRow>> {
    Ok(idp_simulator_keys::table
        .filter(idp_simulator_keys::id.eq(ROW_ID))
        .select(SimulatorKeyRow::as_select())
        .first(conn)
        .optional()?)
}

/// Stores the pair unless one exists, and returns the stored one: when two replicas race,
/// both end up with the winner's pair. The insert runs in a savepoint so a conflict does
/// not abort a surrounding PostgreSQL transaction.
pub fn insert_or_get_simulator_key(
    conn: &mut DbConn,
    private_key_pem: &str,
    certificate_pem: &str,
    created_at: NaiveDateTime,
) -> StoreResult<SimulatorKeyRow> {
    insert_unless_exists(conn, |c| {
        diesel::insert_into(idp_simulator_keys::table)
            .values((
                idp_simulator_keys::id.eq(ROW_ID),
                idp_simulator_keys::private_key_pem.eq(private_key_pem),
                idp_simulator_keys::certificate_pem.eq(certificate_pem),
                idp_simulator_keys::created_at.eq(created_at),
            ))
            .execute(c)
    })?;
    find_simulator_key(conn)?
        .ok_or_else(|| StoreError::Corrupt("idp simulator key vanished".into()))
}

/// `(row id, stored private key)` of the row, for sealing and rotation.
pub fn list_private_keys(conn: &mut DbConn) -> StoreResult<Vec<(String, String)>> {
    Ok(idp_simulator_keys::table
        .select((idp_simulator_keys::id, idp_simulator_keys::private_key_pem))
        .load(conn)?)
}

replace_if_unchanged! {
    /// Replaces the stored private key if it still is `old` (compare-and-set).
    pub fn replace_private_key => idp_simulator_keys.private_key_pem
}
