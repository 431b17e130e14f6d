//! Groups of an organization and their members (`group_members` rows). Membership
//! changes touch only the rows named, so their cost follows the change, not the group.

use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::query::{order_by, render_filter, Collection, Dialect, Page, Pred, Sort};
use super::users::DEPROVISIONED;
use super::StoreResult;
use crate::db::pool::MultiBackend;
use crate::db::schema::{group_members, groups, users};
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = groups)]
pub struct GroupRow {
    pub id: String,
    pub organization_id: String,
    pub display_name: String,
    pub display_name_lower: String,
    pub external_id: Option<String>,
    pub attributes: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = groups, treat_none_as_null = true)]
pub struct GroupProfile {
    pub display_name: String,
    pub display_name_lower: String,
    pub external_id: Option<String>,
    pub attributes: String,
    pub version: i64,
    pub updated_at: NaiveDateTime,
}

pub fn insert_group(conn: &mut DbConn, new: &GroupRow) -> StoreResult<()> {
    diesel::insert_into(groups::table)
        .values(new)
        .execute(conn)?;
    Ok(())
}

pub fn find_group(
    conn: &mut DbConn,
    organization_id: &str,
    id: &str,
) -> StoreResult<Option<GroupRow>> {
    Ok(groups::table
        .filter(groups::organization_id.eq(organization_id))
        .filter(groups::id.eq(id))
        .select(GroupRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn update_group(conn: &mut DbConn, id: &str, profile: &GroupProfile) -> StoreResult<()> {
    diesel::update(groups::table.find(id))
        .set(profile)
        .execute(conn)?;
    Ok(())
}

pub fn delete_group(conn: &mut DbConn, id: &str) -> StoreResult<usize> {
    Ok(diesel::delete(groups::table.find(id)).execute(conn)?)
}

/// The groups of an organization matching `filter`, as a query to select from.
fn org_groups<'a>(
    d: Dialect,
    organization_id: &'a str,
    filter: Option<&Pred>,
) -> groups::BoxedQuery<'a, MultiBackend> {
    let mut q = groups::table
        .filter(groups::organization_id.eq(organization_id))
        .into_boxed();
    if let Some(p) = filter {
        q = q.filter(render_filter(
            d,
            Collection::Groups,
            Some(organization_id),
            p,
        ));
    }
    q
}

/// One page of groups matching `filter`, in `sort` order (creation order without).
pub fn list_groups_page(
    conn: &mut DbConn,
    organization_id: &str,
    filter: Option<&Pred>,
    sort: Option<&Sort>,
    page: Page,
) -> StoreResult<Vec<GroupRow>> {
    let d = Dialect::of(conn);
    Ok(org_groups(d, organization_id, filter)
        .select(GroupRow::as_select())
        .order(sql::<Text>(&order_by(d, Collection::Groups, sort)))
        .offset(page.offset)
        .limit(page.limit)
        .load(conn)?)
}

/// How many groups match `filter`.
pub fn count_groups(
    conn: &mut DbConn,
    organization_id: &str,
    filter: Option<&Pred>,
) -> StoreResult<i64> {
    let d = Dialect::of(conn);
    Ok(org_groups(d, organization_id, filter)
        .count()
        .get_result(conn)?)
}

/// `(group_id, user_id, user display name, userName)` of a member.
pub type MemberRow = (String, String, Option<String>, String);

/// The members of these groups (live users only).
pub fn members_of_groups(conn: &mut DbConn, group_ids: &[String]) -> StoreResult<Vec<MemberRow>> {
    Ok(group_members::table
        .inner_join(users::table)
        .filter(group_members::group_id.eq_any(group_ids))
        .filter(users::state.ne(DEPROVISIONED))
        .order((
            group_members::group_id.asc(),
            group_members::created_at.asc(),
            users::id.asc(),
        ))
        .select((
            group_members::group_id,
            users::id,
            users::display_name,
            users::user_name,
        ))
        .load(conn)?)
}

/// Ids per `IN (…)` list or multi-row `INSERT`: a request naming tens of thousands of
/// members costs a few dozen statements (not one per member), each under both
/// backends' bound-parameter limits.
pub const ID_CHUNK: usize = 1000;

/// Which of `user_ids` are members of the group already.
pub fn existing_members(
    conn: &mut DbConn,
    group_id: &str,
    user_ids: &[String],
) -> StoreResult<Vec<String>> {
    let mut out = Vec::new();
    for chunk in user_ids.chunks(ID_CHUNK) {
        out.extend(
            group_members::table
                .filter(group_members::group_id.eq(group_id))
                .filter(group_members::user_id.eq_any(chunk))
                .select(group_members::user_id)
                .load::<String>(conn)?,
        );
    }
    Ok(out)
}

/// Every member id of a group (for replace-all and generic member filters).
pub fn all_member_ids(conn: &mut DbConn, group_id: &str) -> StoreResult<Vec<String>> {
    Ok(group_members::table
        .filter(group_members::group_id.eq(group_id))
        .select(group_members::user_id)
        .load(conn)?)
}

pub fn add_members(
    conn: &mut DbConn,
    group_id: &str,
    user_ids: &[String],
    now: NaiveDateTime,
) -> StoreResult<()> {
    for chunk in user_ids.chunks(ID_CHUNK) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|u| {
                (
                    group_members::group_id.eq(group_id),
                    group_members::user_id.eq(u),
                    group_members::created_at.eq(now),
                )
            })
            .collect();
        super::insert_batch!(conn, group_members::table, rows)?;
    }
    Ok(())
}

/// Removes the named members (distinct ids); returns the ids that were members.
pub fn remove_members(
    conn: &mut DbConn,
    group_id: &str,
    user_ids: &[String],
) -> StoreResult<Vec<String>> {
    let present = existing_members(conn, group_id, user_ids)?;
    for chunk in present.chunks(ID_CHUNK) {
        diesel::delete(
            group_members::table
                .filter(group_members::group_id.eq(group_id))
                .filter(group_members::user_id.eq_any(chunk)),
        )
        .execute(conn)?;
    }
    Ok(present)
}
