//! Invitations: an invited user record plus the row that says until when that exact
//! email may be admitted by JIT, and whether it was used or revoked.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::StoreResult;
use crate::db::schema::invitations as inv;
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = inv)]
pub struct Invitation {
    pub id: String,
    pub organization_id: String,
    pub user_id: String,
    pub email_lower: String,
    pub role_id: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub accepted_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

impl Invitation {
    /// `pending`, `accepted`, `revoked` or `expired` at `now`.
    pub fn status(&self, now: NaiveDateTime) -> &'static str {
        if self.accepted_at.is_some() {
            "accepted"
        } else if self.revoked_at.is_some() {
            "revoked"
        } else if self.expires_at <= now {
            "expired"
        } else {
            "pending"
        }
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = inv)]
pub struct NewInvitation<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub user_id: &'a str,
    pub email_lower: &'a str,
    pub role_id: Option<&'a str>,
    pub created_by: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn insert_invitation(conn: &mut DbConn, new: &NewInvitation<'_>) -> StoreResult<()> {
    diesel::insert_into(inv::table).values(new).execute(conn)?;
    Ok(())
}

pub fn find_invitation(
    conn: &mut DbConn,
    organization_id: &str,
    id: &str,
) -> StoreResult<Option<Invitation>> {
    Ok(inv::table
        .filter(inv::organization_id.eq(organization_id))
        .filter(inv::id.eq(id))
        .select(Invitation::as_select())
        .first(conn)
        .optional()?)
}

/// The most recent invitation of a user (an invited user has exactly one).
pub fn invitation_of_user(conn: &mut DbConn, user_id: &str) -> StoreResult<Option<Invitation>> {
    Ok(inv::table
        .filter(inv::user_id.eq(user_id))
        .order(inv::created_at.desc())
        .select(Invitation::as_select())
        .first(conn)
        .optional()?)
}

pub fn list_invitations(conn: &mut DbConn, organization_id: &str) -> StoreResult<Vec<Invitation>> {
    Ok(inv::table
        .filter(inv::organization_id.eq(organization_id))
        .order((inv::created_at.desc(), inv::id.asc()))
        .select(Invitation::as_select())
        .load(conn)?)
}

/// Marks a pending invitation accepted; `false` when it is no longer pending.
pub fn accept_invitation(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> StoreResult<bool> {
    let n = diesel::update(
        inv::table
            .find(id)
            .filter(inv::accepted_at.is_null())
            .filter(inv::revoked_at.is_null())
            .filter(inv::expires_at.gt(now)),
    )
    .set(inv::accepted_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

/// Marks an unaccepted invitation revoked; `false` when it was accepted or revoked.
pub fn revoke_invitation(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> StoreResult<bool> {
    let n = diesel::update(
        inv::table
            .find(id)
            .filter(inv::accepted_at.is_null())
            .filter(inv::revoked_at.is_null()),
    )
    .set(inv::revoked_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}
