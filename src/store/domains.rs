//! Organization domains and their verification state.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::StoreResult;
use crate::db::schema::organization_domains;
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = organization_domains)]
pub struct Domain {
    pub id: String,
    pub organization_id: String,
    pub domain: String,
    pub verification_token: String,
    pub verified_at: Option<NaiveDateTime>,
    pub verification_method: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = organization_domains)]
pub struct NewDomain<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub domain: &'a str,
    pub verification_token: &'a str,
    pub verified_at: Option<NaiveDateTime>,
    pub verification_method: Option<&'a str>,
    pub created_at: NaiveDateTime,
}

pub fn insert_domain(conn: &mut DbConn, new: &NewDomain<'_>) -> StoreResult<()> {
    diesel::insert_into(organization_domains::table)
        .values(new)
        .execute(conn)?;
    Ok(())
}

pub fn list_domains(conn: &mut DbConn, organization_id: &str) -> StoreResult<Vec<Domain>> {
    Ok(organization_domains::table
        .filter(organization_domains::organization_id.eq(organization_id))
        .order(organization_domains::domain.asc())
        .select(Domain::as_select())
        .load(conn)?)
}

/// A domain by id, only within the given organization.
pub fn find_domain(
    conn: &mut DbConn,
    organization_id: &str,
    domain_id: &str,
) -> StoreResult<Option<Domain>> {
    Ok(organization_domains::table
        .filter(organization_domains::organization_id.eq(organization_id))
        .filter(
            organization_domains::id
                .eq(domain_id)
                .or(organization_domains::domain.eq(domain_id)),
        )
        .select(Domain::as_select())
        .first(conn)
        .optional()?)
}

pub fn mark_domain_verified(
    conn: &mut DbConn,
    domain_id: &str,
    at: NaiveDateTime,
    method: &str,
) -> StoreResult<usize> {
    Ok(diesel::update(organization_domains::table.find(domain_id))
        .set((
            organization_domains::verified_at.eq(Some(at)),
            organization_domains::verification_method.eq(Some(method)),
        ))
        .execute(conn)?)
}

pub fn delete_domain(conn: &mut DbConn, domain_id: &str) -> StoreResult<usize> {
    Ok(diesel::delete(organization_domains::table.find(domain_id)).execute(conn)?)
}

/// The organization that verified `domain` (lower-case), if one did. Domains are unique
/// across organizations, so at most one can.
pub fn verified_domain_owner(conn: &mut DbConn, domain: &str) -> StoreResult<Option<String>> {
    Ok(organization_domains::table
        .filter(organization_domains::domain.eq(domain))
        .filter(organization_domains::verified_at.is_not_null())
        .select(organization_domains::organization_id)
        .first(conn)
        .optional()?)
}
