//! Users of an organization as SCIM sees them: the row, profile columns for filters, the
//! full resource JSON, the `user_emails` index and group memberships. Deprovisioned users
//! stay in the table but are invisible here except where named. The lifecycle side (every
//! state, transitions, inactivity) is in `user_states.rs`, seats in `seats.rs`, identity
//! links in `identities.rs`; they are re-exported here for the callers that mix them.

use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

pub use super::identities::{
    delete_scim_identities, find_source_identity, insert_identity, update_identity_external_id,
    NewIdentity,
};
use super::query::{order_by, render_filter, Collection, Dialect, Page, Pred, Sort};
pub use super::seats::{check_seat, Seat};
pub use super::user_states::*;
use super::StoreResult;
use crate::db::pool::MultiBackend;
use crate::db::schema::{group_members, groups, user_emails, users};
use crate::db::DbConn;
use crate::domain::{Provenance, UserState};

/// The stored `state` that holds no place in the SCIM collection.
pub const DEPROVISIONED: &str = UserState::Deprovisioned.as_str();

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub organization_id: String,
    pub user_name: String,
    pub user_name_lower: String,
    pub external_id: Option<String>,
    pub email: Option<String>,
    pub email_lower: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub display_name: Option<String>,
    pub active: bool,
    #[diesel(deserialize_as = String)]
    pub state: UserState,
    #[diesel(deserialize_as = String)]
    pub provisioned_by: Provenance,
    pub attributes: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub last_login_at: Option<NaiveDateTime>,
    pub deprovisioned_at: Option<NaiveDateTime>,
}

/// The profile columns derived from a resource (what filters and the app read).
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = users, treat_none_as_null = true)]
pub struct UserProfile {
    pub user_name: String,
    pub user_name_lower: String,
    pub external_id: Option<String>,
    pub email: Option<String>,
    pub email_lower: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub display_name: Option<String>,
    pub active: bool,
    #[diesel(serialize_as = String)]
    pub state: UserState,
    pub attributes: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub user_name: &'a str,
    pub user_name_lower: &'a str,
    pub external_id: Option<&'a str>,
    pub email: Option<&'a str>,
    pub email_lower: Option<&'a str>,
    pub given_name: Option<&'a str>,
    pub family_name: Option<&'a str>,
    pub display_name: Option<&'a str>,
    pub active: bool,
    #[diesel(serialize_as = String)]
    pub state: UserState,
    #[diesel(serialize_as = String)]
    pub provisioned_by: Provenance,
    pub attributes: &'a str,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl UserRow {
    /// The row's id as a domain id.
    pub fn user_id(&self) -> crate::domain::UserId {
        crate::domain::UserId::new(&self.id)
    }
}

impl UserProfile {
    pub fn as_new<'a>(
        &'a self,
        id: &'a str,
        organization_id: &'a str,
        provisioned_by: Provenance,
        now: NaiveDateTime,
    ) -> NewUser<'a> {
        NewUser {
            id,
            organization_id,
            user_name: &self.user_name,
            user_name_lower: &self.user_name_lower,
            external_id: self.external_id.as_deref(),
            email: self.email.as_deref(),
            email_lower: self.email_lower.as_deref(),
            given_name: self.given_name.as_deref(),
            family_name: self.family_name.as_deref(),
            display_name: self.display_name.as_deref(),
            active: self.active,
            state: self.state,
            provisioned_by,
            attributes: &self.attributes,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }
}

/// One `emails[]` entry for the `user_emails` index.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = user_emails)]
pub struct UserEmail {
    pub user_id: String,
    pub organization_id: String,
    pub value_lower: String,
    #[diesel(column_name = type_)]
    pub kind: Option<String>,
    pub is_primary: bool,
}

pub fn insert_user(conn: &mut DbConn, new: &NewUser<'_>) -> StoreResult<()> {
    diesel::insert_into(users::table)
        .values(new.clone())
        .execute(conn)?;
    Ok(())
}

/// A user of the organization that is not deprovisioned.
pub fn find_live_user(
    conn: &mut DbConn,
    organization_id: &str,
    id: &str,
) -> StoreResult<Option<UserRow>> {
    // By primary key only, the organization and state checked here: with
    // `organization_id = $1` in the SQL, PostgreSQL's cached generic plan (made when the
    // table was small and never re-made without ANALYZE) can pick any index that starts
    // with organization_id and walk the whole organization (docs/performance.md).
    let row: Option<UserRow> = users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.filter(|r| r.organization_id == organization_id && r.state.is_live()))
}

/// The ids among `ids` that are live users of the organization.
pub fn live_user_ids(
    conn: &mut DbConn,
    organization_id: &str,
    ids: &[String],
) -> StoreResult<Vec<String>> {
    Ok(users::table
        .filter(users::organization_id.eq(organization_id))
        .filter(users::id.eq_any(ids))
        .filter(users::state.ne(DEPROVISIONED))
        .select(users::id)
        .load(conn)?)
}

/// The most recent deprovisioned user with this userName (lower-cased), if any.
pub fn find_deprovisioned_by_user_name(
    conn: &mut DbConn,
    organization_id: &str,
    user_name_lower: &str,
) -> StoreResult<Option<String>> {
    // The literal state makes diesel send this unprepared, so PostgreSQL plans it with
    // the real values each time: a generic plan cached while the table was small walked
    // every user of the organization through another organization_id index instead of
    // (organization_id, user_name_lower) (docs/performance.md).
    Ok(users::table
        .filter(users::organization_id.eq(organization_id))
        .filter(users::user_name_lower.eq(user_name_lower))
        .filter(sql::<Bool>("users.state = 'deprovisioned'"))
        .order(users::deprovisioned_at.desc())
        .select(users::id)
        .first(conn)
        .optional()?)
}

/// Writes a new version of a user: profile columns, resource JSON, version, timestamp.
pub fn update_user(
    conn: &mut DbConn,
    id: &str,
    profile: &UserProfile,
    version: i64,
    now: NaiveDateTime,
) -> StoreResult<()> {
    diesel::update(users::table.find(id))
        .set((
            profile.clone(),
            users::version.eq(version),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Hands a user over to another provisioning source (a directory adopting a user SSO
/// created: from then on SCIM is its authority, and JIT-only policies skip it).
pub fn set_provisioned_by(
    conn: &mut DbConn,
    id: &str,
    provisioned_by: Provenance,
) -> StoreResult<()> {
    diesel::update(users::table.find(id))
        .set(users::provisioned_by.eq(provisioned_by.as_str()))
        .execute(conn)?;
    Ok(())
}

/// Records a login: `last_login_at` (not a profile change: no version bump).
pub fn record_login(conn: &mut DbConn, id: &str, at: NaiveDateTime) -> StoreResult<()> {
    diesel::update(users::table.find(id))
        .set(users::last_login_at.eq(at))
        .execute(conn)?;
    Ok(())
}

/// Replaces the `user_emails` index rows of a user.
pub fn replace_user_emails(
    conn: &mut DbConn,
    user_id: &str,
    emails: &[UserEmail],
) -> StoreResult<()> {
    diesel::delete(user_emails::table.filter(user_emails::user_id.eq(user_id))).execute(conn)?;
    // One statement per row: diesel's MultiConnection has no batch insert.
    for e in emails {
        diesel::insert_into(user_emails::table)
            .values(e)
            .execute(conn)?;
    }
    Ok(())
}

/// The live users of an organization matching `filter`, as a query to select from.
fn live_users<'a>(
    d: Dialect,
    organization_id: &'a str,
    filter: Option<&Pred>,
) -> users::BoxedQuery<'a, MultiBackend> {
    let mut q = users::table
        .filter(users::organization_id.eq(organization_id))
        .filter(users::state.ne(DEPROVISIONED))
        .into_boxed();
    if let Some(p) = filter {
        q = q.filter(render_filter(
            d,
            Collection::Users,
            Some(organization_id),
            p,
        ));
    }
    q
}

/// One page of live users matching `filter`, in `sort` order (creation order without).
pub fn list_users_page(
    conn: &mut DbConn,
    organization_id: &str,
    filter: Option<&Pred>,
    sort: Option<&Sort>,
    page: Page,
) -> StoreResult<Vec<UserRow>> {
    let d = Dialect::of(conn);
    Ok(live_users(d, organization_id, filter)
        .select(UserRow::as_select())
        .order(sql::<Text>(&order_by(d, Collection::Users, sort)))
        .offset(page.offset)
        .limit(page.limit)
        .load(conn)?)
}

/// How many live users match `filter`.
pub fn count_users(
    conn: &mut DbConn,
    organization_id: &str,
    filter: Option<&Pred>,
) -> StoreResult<i64> {
    let d = Dialect::of(conn);
    Ok(live_users(d, organization_id, filter)
        .count()
        .get_result(conn)?)
}

/// `(user_id, group_id, group display name)` for the groups of these users.
pub fn groups_of_users(
    conn: &mut DbConn,
    user_ids: &[String],
) -> StoreResult<Vec<(String, String, String)>> {
    Ok(group_members::table
        .inner_join(groups::table)
        .filter(group_members::user_id.eq_any(user_ids))
        .order((
            group_members::user_id.asc(),
            groups::display_name_lower.asc(),
        ))
        .select((group_members::user_id, groups::id, groups::display_name))
        .load(conn)?)
}

/// Removes every group membership of a user; returns the group ids left.
pub fn remove_user_from_groups(conn: &mut DbConn, user_id: &str) -> StoreResult<Vec<String>> {
    let ids: Vec<String> = group_members::table
        .filter(group_members::user_id.eq(user_id))
        .select(group_members::group_id)
        .load(conn)?;
    diesel::delete(group_members::table.filter(group_members::user_id.eq(user_id)))
        .execute(conn)?;
    Ok(ids)
}

/// Moves a user's `updated_at` (a change the profile columns do not show, such as a
/// manual role), so `updated_since` lists find it.
pub fn touch_user(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> StoreResult<()> {
    diesel::update(users::table.find(id))
        .set(users::updated_at.eq(now))
        .execute(conn)?;
    Ok(())
}
