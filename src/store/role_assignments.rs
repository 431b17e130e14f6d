//! Which roles a user holds, and where each came from: `default` (the organization's
//! default role at creation), `idp` (a group→role mapping at login) or `manual` (set by an
//! admin or the app; login never overwrites it).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::StoreResult;
use crate::db::schema::{role_assignments, roles};
use crate::db::DbConn;

/// Role sources, as stored.
pub const SOURCE_DEFAULT: &str = "default";
pub const SOURCE_IDP: &str = "idp";
pub const SOURCE_MANUAL: &str = "manual";

/// A role a user holds, with the role's own fields.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct HeldRole {
    pub role_id: String,
    pub key: String,
    pub name: String,
    pub privileged: bool,
    pub source: String,
    pub assigned_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = role_assignments)]
pub struct NewRoleAssignment<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub role_id: &'a str,
    pub source: &'a str,
    pub created_at: NaiveDateTime,
}

/// The roles of one user, by role key.
pub fn roles_of_user(conn: &mut DbConn, user_id: &str) -> StoreResult<Vec<HeldRole>> {
    Ok(role_assignments::table
        .inner_join(roles::table)
        .filter(role_assignments::user_id.eq(user_id))
        .order(roles::key.asc())
        .select((
            roles::id,
            roles::key,
            roles::name,
            roles::privileged,
            role_assignments::source,
            role_assignments::created_at,
        ))
        .load(conn)?)
}

/// The roles of several users: (user id, role). For list pages.
pub fn roles_of_users(
    conn: &mut DbConn,
    user_ids: &[String],
) -> StoreResult<Vec<(String, HeldRole)>> {
    let rows: Vec<(String, String, String, String, bool, String, NaiveDateTime)> =
        role_assignments::table
            .inner_join(roles::table)
            .filter(role_assignments::user_id.eq_any(user_ids))
            .order((role_assignments::user_id.asc(), roles::key.asc()))
            .select((
                role_assignments::user_id,
                roles::id,
                roles::key,
                roles::name,
                roles::privileged,
                role_assignments::source,
                role_assignments::created_at,
            ))
            .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(user, role_id, key, name, privileged, source, at)| {
            (
                user,
                HeldRole {
                    role_id,
                    key,
                    name,
                    privileged,
                    source,
                    assigned_at: at,
                },
            )
        })
        .collect())
}

pub fn insert_role_assignment(conn: &mut DbConn, new: &NewRoleAssignment<'_>) -> StoreResult<()> {
    diesel::insert_into(role_assignments::table)
        .values(new)
        .execute(conn)?;
    Ok(())
}

/// Removes one role from a user; returns how many rows went (0 or 1).
pub fn delete_role_assignment(
    conn: &mut DbConn,
    user_id: &str,
    role_id: &str,
) -> StoreResult<usize> {
    Ok(diesel::delete(
        role_assignments::table
            .filter(role_assignments::user_id.eq(user_id))
            .filter(role_assignments::role_id.eq(role_id)),
    )
    .execute(conn)?)
}
