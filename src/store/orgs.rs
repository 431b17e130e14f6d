//! Organizations (tenants) and their JIT settings.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::StoreResult;
use crate::db::schema::organizations;
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = organizations)]
pub struct Organization {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub jit_enabled: bool,
    pub sync_attributes_on_login: bool,
    pub default_role: String,
    pub max_seats: Option<i32>,
    pub allow_privileged_from_idp: bool,
    pub inactivity_suspend_days: Option<i32>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Days after an inactivity suspension until the policy deprovisions (NULL = never).
    pub inactivity_deprovision_days: Option<i32>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = organizations)]
pub struct NewOrganization<'a> {
    pub id: &'a str,
    pub slug: &'a str,
    pub name: &'a str,
    pub jit_enabled: bool,
    pub sync_attributes_on_login: bool,
    pub default_role: &'a str,
    pub max_seats: Option<i32>,
    pub allow_privileged_from_idp: bool,
    pub inactivity_suspend_days: Option<i32>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Organization {
    /// The row's id as a domain id.
    pub fn org_id(&self) -> crate::domain::OrgId {
        crate::domain::OrgId::new(&self.id)
    }
}

/// A partial update: `None` leaves a column alone; `Some(None)` sets a nullable one to NULL.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = organizations)]
pub struct OrganizationChanges {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub jit_enabled: Option<bool>,
    pub sync_attributes_on_login: Option<bool>,
    pub default_role: Option<String>,
    pub max_seats: Option<Option<i32>>,
    pub allow_privileged_from_idp: Option<bool>,
    pub inactivity_suspend_days: Option<Option<i32>>,
    pub inactivity_deprovision_days: Option<Option<i32>>,
    pub updated_at: Option<NaiveDateTime>,
}

pub fn insert_organization(conn: &mut DbConn, new: &NewOrganization<'_>) -> StoreResult<()> {
    diesel::insert_into(organizations::table)
        .values(new)
        .execute(conn)?;
    Ok(())
}

/// Finds an organization by its id or, failing that, its slug.
pub fn find_organization(conn: &mut DbConn, id_or_slug: &str) -> StoreResult<Option<Organization>> {
    Ok(organizations::table
        .filter(
            organizations::id
                .eq(id_or_slug)
                .or(organizations::slug.eq(id_or_slug)),
        )
        .select(Organization::as_select())
        .first(conn)
        .optional()?)
}

/// One page of organizations in creation order, after the cursor id if given.
pub fn list_organizations(
    conn: &mut DbConn,
    after_id: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<Organization>> {
    let mut query = organizations::table
        .select(Organization::as_select())
        .order(organizations::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after_id {
        query = query.filter(organizations::id.gt(after.to_owned()));
    }
    Ok(query.load(conn)?)
}

pub fn update_organization(
    conn: &mut DbConn,
    id: &str,
    changes: &OrganizationChanges,
) -> StoreResult<usize> {
    Ok(diesel::update(organizations::table.find(id))
        .set(changes)
        .execute(conn)?)
}

pub fn delete_organization(conn: &mut DbConn, id: &str) -> StoreResult<usize> {
    Ok(diesel::delete(organizations::table.find(id)).execute(conn)?)
}

/// Organizations with an inactivity policy (either step set), for the periodic run.
pub fn organizations_with_inactivity_policy(conn: &mut DbConn) -> StoreResult<Vec<Organization>> {
    Ok(organizations::table
        .filter(
            organizations::inactivity_suspend_days
                .is_not_null()
                .or(organizations::inactivity_deprovision_days.is_not_null()),
        )
        .order(organizations::id.asc())
        .select(Organization::as_select())
        .load(conn)?)
}
