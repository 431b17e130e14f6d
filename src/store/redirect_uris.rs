//! Redirect URIs an admin allowed through the API (the environment's list adds to them).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::StoreResult;
use crate::db::schema::redirect_uris as uris;
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = uris)]
pub struct RedirectUri {
    pub id: String,
    pub uri: String,
    pub created_at: NaiveDateTime,
}

pub fn insert_redirect_uri(conn: &mut DbConn, new: &RedirectUri) -> StoreResult<()> {
    diesel::insert_into(uris::table).values(new).execute(conn)?;
    Ok(())
}

pub fn list_redirect_uris(conn: &mut DbConn) -> StoreResult<Vec<RedirectUri>> {
    Ok(uris::table
        .order(uris::uri.asc())
        .select(RedirectUri::as_select())
        .load(conn)?)
}

pub fn redirect_uri_exists(conn: &mut DbConn, uri: &str) -> StoreResult<bool> {
    Ok(
        diesel::select(diesel::dsl::exists(uris::table.filter(uris::uri.eq(uri))))
            .get_result(conn)?,
    )
}

pub fn delete_redirect_uri(conn: &mut DbConn, id: &str) -> StoreResult<usize> {
    Ok(diesel::delete(uris::table.find(id)).execute(conn)?)
}

pub fn find_redirect_uri(conn: &mut DbConn, id: &str) -> StoreResult<Option<RedirectUri>> {
    Ok(uris::table
        .find(id)
        .select(RedirectUri::as_select())
        .first(conn)
        .optional()?)
}
