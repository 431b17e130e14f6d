//! Roles per organization, with their privileged flag.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::StoreResult;
use crate::db::schema::roles;
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = roles)]
pub struct Role {
    pub id: String,
    pub organization_id: String,
    pub key: String,
    pub name: String,
    pub privileged: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = roles)]
pub struct NewRole<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub key: &'a str,
    pub name: &'a str,
    pub privileged: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = roles)]
pub struct RoleChanges {
    pub name: Option<String>,
    pub privileged: Option<bool>,
    pub updated_at: Option<NaiveDateTime>,
}

pub fn insert_role(conn: &mut DbConn, new: &NewRole<'_>) -> StoreResult<()> {
    diesel::insert_into(roles::table)
        .values(new)
        .execute(conn)?;
    Ok(())
}

pub fn list_roles(conn: &mut DbConn, organization_id: &str) -> StoreResult<Vec<Role>> {
    Ok(roles::table
        .filter(roles::organization_id.eq(organization_id))
        .order(roles::key.asc())
        .select(Role::as_select())
        .load(conn)?)
}

/// A role by id or key, only within the given organization.
pub fn find_role(
    conn: &mut DbConn,
    organization_id: &str,
    id_or_key: &str,
) -> StoreResult<Option<Role>> {
    Ok(roles::table
        .filter(roles::organization_id.eq(organization_id))
        .filter(roles::id.eq(id_or_key).or(roles::key.eq(id_or_key)))
        .select(Role::as_select())
        .first(conn)
        .optional()?)
}

pub fn update_role(conn: &mut DbConn, role_id: &str, changes: &RoleChanges) -> StoreResult<usize> {
    Ok(diesel::update(roles::table.find(role_id))
        .set(changes)
        .execute(conn)?)
}

pub fn delete_role(conn: &mut DbConn, role_id: &str) -> StoreResult<usize> {
    Ok(diesel::delete(roles::table.find(role_id)).execute(conn)?)
}
