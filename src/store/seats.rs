//! Seats: the organization's seat lock and the count of users holding a seat (`max_seats`,
//! design invariant 2). The one seat check of SCIM, JIT and the lifecycle API is
//! [`check_seat`], called through `lifecycle::transitions`.

use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};

use super::StoreResult;
use crate::db::schema::{organizations, users};
use crate::db::DbConn;
use crate::domain::UserState;

const ACTIVE: &str = UserState::Active.as_str();

/// Users holding a seat (state `active`).
pub fn count_active_users(conn: &mut DbConn, organization_id: &str) -> StoreResult<i64> {
    Ok(users::table
        .filter(users::organization_id.eq(organization_id))
        .filter(users::state.eq(ACTIVE))
        .count()
        .get_result(conn)?)
}

/// Advisory-lock class under which PostgreSQL seat takers of one organization serialize
/// (`pg_advisory_xact_lock(SEAT_LOCK_CLASS, hashtext(organization_id))`). A hash
/// collision between two organizations only makes them wait for each other.
const SEAT_LOCK_CLASS: i32 = 0x5EA7;

/// The seat lock: call inside the write transaction before counting seats. Serializes
/// concurrent seat takers of one organization and returns its `max_seats` (outer `None`:
/// no such organization).
///
/// On PostgreSQL only organizations with a limit serialize: the organization row is read
/// `FOR SHARE` (so a concurrent change of `max_seats`, an `UPDATE` of that row, waits for
/// this transaction, and this one sees the committed value), and when `max_seats` is set
/// a transaction-scoped advisory lock per organization orders the seat takers, each of
/// which then counts what the previous one committed. Without a limit there is nothing
/// to count, so creates do not queue behind each other here; they used to, on a no-op
/// `UPDATE` of the organization row (docs/performance.md). Share locks never upgrade to
/// a row write lock, so seat takers cannot deadlock on the row (so do not update the
/// organization row later in the same transaction). SQLite has one writer at a time: the
/// no-op update only takes the write lock up front.
pub fn lock_organization(
    conn: &mut DbConn,
    organization_id: &str,
) -> StoreResult<Option<Option<i32>>> {
    match conn {
        DbConn::Postgresql(pg) => {
            let max: Option<Option<i32>> = organizations::table
                .find(organization_id)
                .select(organizations::max_seats)
                .for_share()
                .first(pg)
                .optional()?;
            if let Some(Some(_)) = max {
                diesel::sql_query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
                    .bind::<Integer, _>(SEAT_LOCK_CLASS)
                    .bind::<Text, _>(organization_id)
                    .execute(pg)?;
            }
            Ok(max)
        }
        DbConn::Sqlite(_) => {
            diesel::update(organizations::table.find(organization_id))
                .set(organizations::updated_at.eq(organizations::updated_at))
                .execute(conn)?;
            Ok(organizations::table
                .find(organization_id)
                .select(organizations::max_seats)
                .first(conn)
                .optional()?)
        }
    }
}

/// Whether one more user may become active.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seat {
    Available,
    LimitReached(i32),
    UnknownOrganization,
}

/// Takes the seat lock ([`lock_organization`]) and checks for one more active user: the
/// one seat check of SCIM, JIT and the lifecycle API. Call inside the write transaction
/// that then activates the user, so concurrent seat takers cannot both take the last one.
pub fn check_seat(conn: &mut DbConn, organization_id: &str) -> StoreResult<Seat> {
    Ok(match lock_organization(conn, organization_id)? {
        None => Seat::UnknownOrganization,
        Some(Some(max)) if count_active_users(conn, organization_id)? >= i64::from(max) => {
            Seat::LimitReached(max)
        }
        Some(_) => Seat::Available,
    })
}
