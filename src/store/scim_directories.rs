//! SCIM directories (one SCIM endpoint of an organization) and their bearer tokens,
//! stored only as SHA-256 hashes of the secret.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::StoreResult;
use crate::db::schema::{scim_directories, scim_tokens};
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = scim_directories)]
pub struct ScimDirectory {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = scim_tokens)]
pub struct ScimToken {
    pub id: String,
    pub directory_id: String,
    pub token_hash: String,
    pub token_prefix: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

pub fn insert_directory(conn: &mut DbConn, new: &ScimDirectory) -> StoreResult<()> {
    diesel::insert_into(scim_directories::table)
        .values(new)
        .execute(conn)?;
    Ok(())
}

pub fn insert_token(conn: &mut DbConn, new: &ScimToken) -> StoreResult<()> {
    diesel::insert_into(scim_tokens::table)
        .values(new)
        .execute(conn)?;
    Ok(())
}

pub fn list_directories(
    conn: &mut DbConn,
    organization_id: &str,
) -> StoreResult<Vec<ScimDirectory>> {
    Ok(scim_directories::table
        .filter(scim_directories::organization_id.eq(organization_id))
        .order(scim_directories::created_at.asc())
        .select(ScimDirectory::as_select())
        .load(conn)?)
}

/// A directory by id, only within the given organization.
pub fn find_directory(
    conn: &mut DbConn,
    organization_id: &str,
    id: &str,
) -> StoreResult<Option<ScimDirectory>> {
    Ok(scim_directories::table
        .filter(scim_directories::organization_id.eq(organization_id))
        .filter(scim_directories::id.eq(id))
        .select(ScimDirectory::as_select())
        .first(conn)
        .optional()?)
}

/// Every token of a directory, revoked ones included, oldest first.
pub fn list_tokens(conn: &mut DbConn, directory_id: &str) -> StoreResult<Vec<ScimToken>> {
    Ok(scim_tokens::table
        .filter(scim_tokens::directory_id.eq(directory_id))
        .order(scim_tokens::created_at.asc())
        .select(ScimToken::as_select())
        .load(conn)?)
}

/// The token whose secret hashes to `token_hash`, with its directory.
pub fn find_token_by_hash(
    conn: &mut DbConn,
    token_hash: &str,
) -> StoreResult<Option<(ScimToken, ScimDirectory)>> {
    Ok(scim_tokens::table
        .inner_join(scim_directories::table)
        .filter(scim_tokens::token_hash.eq(token_hash))
        .select((ScimToken::as_select(), ScimDirectory::as_select()))
        .first(conn)
        .optional()?)
}

pub fn touch_token(conn: &mut DbConn, id: &str, at: NaiveDateTime) -> StoreResult<()> {
    diesel::update(scim_tokens::table.find(id))
        .set(scim_tokens::last_used_at.eq(Some(at)))
        .execute(conn)?;
    Ok(())
}

/// Revokes a token of `directory_id` (not yet revoked); returns the rows changed.
pub fn revoke_token(
    conn: &mut DbConn,
    directory_id: &str,
    token_id: &str,
    at: NaiveDateTime,
) -> StoreResult<usize> {
    Ok(diesel::update(
        scim_tokens::table
            .filter(scim_tokens::id.eq(token_id))
            .filter(scim_tokens::directory_id.eq(directory_id))
            .filter(scim_tokens::revoked_at.is_null()),
    )
    .set(scim_tokens::revoked_at.eq(Some(at)))
    .execute(conn)?)
}
