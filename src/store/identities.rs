//! Identity links (SAML NameID per connection, SCIM externalId per directory) and the
//! user lookups login linking needs: by identity, by SCIM userName, by email.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::users::{UserRow, DEPROVISIONED};
use super::StoreResult;
use crate::db::schema::{identities, user_emails, users};
use crate::db::DbConn;
use crate::domain::{IdentitySourceKind, Provenance};

/// One identity link of a user.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = identities)]
pub struct IdentityRow {
    pub id: String,
    pub user_id: String,
    pub organization_id: String,
    #[diesel(deserialize_as = String)]
    pub source_kind: IdentitySourceKind,
    pub source_id: String,
    pub external_id: String,
    pub created_at: NaiveDateTime,
}

/// The identity `external_id` of `source_id` (a connection or directory), if any.
pub fn find_identity(
    conn: &mut DbConn,
    source_id: &str,
    external_id: &str,
) -> StoreResult<Option<IdentityRow>> {
    Ok(identities::table
        .filter(identities::source_id.eq(source_id))
        .filter(identities::external_id.eq(external_id))
        .select(IdentityRow::as_select())
        .first(conn)
        .optional()?)
}

/// Points an identity at another user (a stale link to a deprovisioned record, taken over
/// by the live record of the same person).
pub fn move_identity(conn: &mut DbConn, identity_id: &str, user_id: &str) -> StoreResult<()> {
    diesel::update(identities::table.find(identity_id))
        .set(identities::user_id.eq(user_id))
        .execute(conn)?;
    Ok(())
}

/// A user of the organization by id, whatever its state.
pub fn find_user_any_state(
    conn: &mut DbConn,
    organization_id: &str,
    user_id: &str,
) -> StoreResult<Option<UserRow>> {
    Ok(users::table
        .filter(users::organization_id.eq(organization_id))
        .filter(users::id.eq(user_id))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

/// Live users of the organization a SCIM directory holds under `key`: as a directory
/// identity (`externalId`) or as the `userName` of a user SCIM provisioned.
pub fn live_users_by_scim_key(
    conn: &mut DbConn,
    organization_id: &str,
    key: &str,
) -> StoreResult<Vec<UserRow>> {
    let by_identity = identities::table
        .filter(identities::organization_id.eq(organization_id))
        .filter(identities::source_kind.eq(IdentitySourceKind::Scim.as_str()))
        .filter(identities::external_id.eq(key))
        .select(identities::user_id);
    Ok(users::table
        .filter(users::organization_id.eq(organization_id))
        .filter(users::state.ne(DEPROVISIONED))
        .filter(
            users::id.eq_any(by_identity).or(users::provisioned_by
                .eq(Provenance::Scim.as_str())
                .and(users::user_name_lower.eq(key.to_lowercase()))),
        )
        .order(users::created_at.asc())
        .select(UserRow::as_select())
        .load(conn)?)
}

/// Users of the organization (any state) with this email, lower-cased: the primary email
/// column or any SCIM `emails[].value`.
pub fn users_by_email(
    conn: &mut DbConn,
    organization_id: &str,
    email_lower: &str,
) -> StoreResult<Vec<UserRow>> {
    let by_index = user_emails::table
        .filter(user_emails::organization_id.eq(organization_id))
        .filter(user_emails::value_lower.eq(email_lower))
        .select(user_emails::user_id);
    Ok(users::table
        .filter(users::organization_id.eq(organization_id))
        .filter(
            users::email_lower
                .eq(email_lower)
                .or(users::id.eq_any(by_index)),
        )
        .order(users::created_at.asc())
        .select(UserRow::as_select())
        .load(conn)?)
}

/// Serializes, until the end of the transaction, everyone who may create or link a user
/// record for this person (`email_lower`) in this organization: SAML first logins and SCIM
/// creates take it before they look the person up, so neither can miss the other's
/// uncommitted record. A PostgreSQL transaction-scoped advisory lock (no table row is
/// touched); on SQLite writers are serialized already.
pub fn lock_person(conn: &mut DbConn, organization_id: &str, email_lower: &str) -> StoreResult<()> {
    if let DbConn::Postgresql(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind::<diesel::sql_types::Text, _>(format!("person:{organization_id}:{email_lower}"))
            .execute(pg)?;
    }
    Ok(())
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = identities)]
pub struct NewIdentity<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub organization_id: &'a str,
    #[diesel(serialize_as = String)]
    pub source_kind: IdentitySourceKind,
    pub source_id: &'a str,
    pub external_id: &'a str,
    pub created_at: NaiveDateTime,
}

pub fn insert_identity(conn: &mut DbConn, new: &NewIdentity<'_>) -> StoreResult<()> {
    diesel::insert_into(identities::table)
        .values(new.clone())
        .execute(conn)?;
    Ok(())
}

/// The external id a source (directory) has linked to a user, if any.
pub fn find_source_identity(
    conn: &mut DbConn,
    source_id: &str,
    user_id: &str,
) -> StoreResult<Option<(String, String)>> {
    Ok(identities::table
        .filter(identities::source_id.eq(source_id))
        .filter(identities::user_id.eq(user_id))
        .select((identities::id, identities::external_id))
        .first(conn)
        .optional()?)
}

pub fn update_identity_external_id(
    conn: &mut DbConn,
    id: &str,
    external_id: &str,
) -> StoreResult<()> {
    diesel::update(identities::table.find(id))
        .set(identities::external_id.eq(external_id))
        .execute(conn)?;
    Ok(())
}

/// Drops a user's SCIM identities (on deprovisioning: the IdP may re-create the person
/// with the same externalId, which must then link to the fresh record).
pub fn delete_scim_identities(conn: &mut DbConn, user_id: &str) -> StoreResult<()> {
    diesel::delete(
        identities::table
            .filter(identities::user_id.eq(user_id))
            .filter(identities::source_kind.eq(IdentitySourceKind::Scim.as_str())),
    )
    .execute(conn)?;
    Ok(())
}
