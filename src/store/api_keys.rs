//! API keys (admin and app), stored only as SHA-256 hashes of the secret.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::StoreResult;
use crate::db::schema::api_keys;
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub key_hash: String,
    pub key_prefix: String,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = api_keys)]
pub struct NewApiKey<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub kind: &'a str,
    pub key_hash: &'a str,
    pub key_prefix: &'a str,
    pub created_by: Option<&'a str>,
    pub created_at: NaiveDateTime,
}

pub fn insert_api_key(conn: &mut DbConn, new: &NewApiKey<'_>) -> StoreResult<()> {
    diesel::insert_into(api_keys::table)
        .values(new)
        .execute(conn)?;
    Ok(())
}

/// The key whose secret hashes to `key_hash`, revoked or not.
pub fn find_api_key_by_hash(conn: &mut DbConn, key_hash: &str) -> StoreResult<Option<ApiKey>> {
    Ok(api_keys::table
        .filter(api_keys::key_hash.eq(key_hash))
        .select(ApiKey::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_api_key(conn: &mut DbConn, id: &str) -> StoreResult<Option<ApiKey>> {
    Ok(api_keys::table
        .find(id)
        .select(ApiKey::as_select())
        .first(conn)
        .optional()?)
}

pub fn list_api_keys(conn: &mut DbConn) -> StoreResult<Vec<ApiKey>> {
    Ok(api_keys::table
        .order(api_keys::created_at.asc())
        .select(ApiKey::as_select())
        .load(conn)?)
}

pub fn count_active_admin_keys(conn: &mut DbConn) -> StoreResult<i64> {
    Ok(api_keys::table
        .filter(api_keys::kind.eq("admin"))
        .filter(api_keys::revoked_at.is_null())
        .count()
        .get_result(conn)?)
}

pub fn touch_api_key(conn: &mut DbConn, id: &str, at: NaiveDateTime) -> StoreResult<()> {
    diesel::update(api_keys::table.find(id))
        .set(api_keys::last_used_at.eq(Some(at)))
        .execute(conn)?;
    Ok(())
}

pub fn revoke_api_key(conn: &mut DbConn, id: &str, at: NaiveDateTime) -> StoreResult<usize> {
    Ok(diesel::update(api_keys::table.find(id))
        .filter(api_keys::revoked_at.is_null())
        .set(api_keys::revoked_at.eq(Some(at)))
        .execute(conn)?)
}
