//! Users of an organization as SCIM sees them: profile columns for filters, the full
//! resource JSON, lifecycle state, seats, the `user_emails` index and SCIM identities.
//! Deprovisioned users stay in the table but are invisible here except where named.

use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer, Text};

use super::scim_query::SqlCond;
use super::StoreResult;
use crate::db::schema::{group_members, groups, identities, organizations, user_emails, users};
use crate::db::DbConn;
use crate::domain::{IdentitySourceKind, Provenance, UserState};

/// The stored `state` that holds no place in the SCIM collection.
pub const DEPROVISIONED: &str = UserState::Deprovisioned.as_str();
const ACTIVE: &str = UserState::Active.as_str();
const SUSPENDED: &str = UserState::Suspended.as_str();

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

/// Marks a user deprovisioned (the row stays for the app and the audit trail).
pub fn deprovision_user(
    conn: &mut DbConn,
    id: &str,
    version: i64,
    now: NaiveDateTime,
) -> StoreResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::state.eq(DEPROVISIONED),
            users::active.eq(false),
            users::version.eq(version),
            users::updated_at.eq(now),
            users::deprovisioned_at.eq(Some(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Users holding a seat (state `active`).
pub fn count_active_users(conn: &mut DbConn, organization_id: &str) -> StoreResult<i64> {
    Ok(users::table
        .filter(users::organization_id.eq(organization_id))
        .filter(users::state.eq(ACTIVE))
        .count()
        .get_result(conn)?)
}

/// Advisory-lock class under which PostgreSQL seat takers of one organization serialize
/// (`pg_advisory_xact_lock(SEAT_LOCK_CLASS, hashtext(organization_id))`). A hash
/// collision between two organizations only makes them wait for each other.
const SEAT_LOCK_CLASS: i32 = 0x5EA7;

/// The seat lock: call inside the write transaction before counting seats. Serializes
/// concurrent seat takers of one organization and returns its `max_seats` (outer `None`:
/// no such organization).
///
/// On PostgreSQL only organizations with a limit serialize: the organization row is read
/// `FOR SHARE` (so a concurrent change of `max_seats`, an `UPDATE` of that row, waits for
/// this transaction, and this one sees the committed value), and when `max_seats` is set
/// a transaction-scoped advisory lock per organization orders the seat takers, each of
/// which then counts what the previous one committed. Without a limit there is nothing
/// to count, so creates do not queue behind each other here; they used to, on a no-op
/// `UPDATE` of the organization row (docs/performance.md). Share locks never upgrade to
/// a row write lock, so seat takers cannot deadlock on the row (so do not update the
/// organization row later in the same transaction). SQLite has one writer at a time: the
/// no-op update only takes the write lock up front.
pub fn lock_organization(
    conn: &mut DbConn,
    organization_id: &str,
) -> StoreResult<Option<Option<i32>>> {
    match conn {
        DbConn::Postgresql(pg) => {
            let max: Option<Option<i32>> = organizations::table
                .find(organization_id)
                .select(organizations::max_seats)
                .for_share()
                .first(pg)
                .optional()?;
            if let Some(Some(_)) = max {
                diesel::sql_query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
                    .bind::<Integer, _>(SEAT_LOCK_CLASS)
                    .bind::<Text, _>(organization_id)
                    .execute(pg)?;
            }
            Ok(max)
        }
        DbConn::Sqlite(_) => {
            diesel::update(organizations::table.find(organization_id))
                .set(organizations::updated_at.eq(organizations::updated_at))
                .execute(conn)?;
            Ok(organizations::table
                .find(organization_id)
                .select(organizations::max_seats)
                .first(conn)
                .optional()?)
        }
    }
}

/// Whether one more user may become active.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seat {
    Available,
    LimitReached(i32),
    UnknownOrganization,
}

/// Takes the seat lock ([`lock_organization`]) and checks for one more active user: the
/// one seat check of SCIM, JIT and the lifecycle API. Call inside the write transaction
/// that then activates the user, so concurrent seat takers cannot both take the last one.
pub fn check_seat(conn: &mut DbConn, organization_id: &str) -> StoreResult<Seat> {
    Ok(match lock_organization(conn, organization_id)? {
        None => Seat::UnknownOrganization,
        Some(Some(max)) if count_active_users(conn, organization_id)? >= i64::from(max) => {
            Seat::LimitReached(max)
        }
        Some(_) => Seat::Available,
    })
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

/// One page of live users matching `cond`, in `order` (SQL text from `scim_query`).
pub fn list_users_page(
    conn: &mut DbConn,
    organization_id: &str,
    cond: Option<SqlCond>,
    order: &str,
    offset: i64,
    limit: i64,
) -> StoreResult<Vec<UserRow>> {
    let mut q = users::table
        .filter(users::organization_id.eq(organization_id))
        .filter(users::state.ne(DEPROVISIONED))
        .select(UserRow::as_select())
        .order(sql::<Text>(order))
        .offset(offset)
        .limit(limit)
        .into_boxed();
    if let Some(c) = cond {
        q = q.filter(c);
    }
    Ok(q.load(conn)?)
}

/// How many live users match `cond`.
pub fn count_users(
    conn: &mut DbConn,
    organization_id: &str,
    cond: Option<SqlCond>,
) -> StoreResult<i64> {
    let mut q = users::table
        .filter(users::organization_id.eq(organization_id))
        .filter(users::state.ne(DEPROVISIONED))
        .count()
        .into_boxed();
    if let Some(c) = cond {
        q = q.filter(c);
    }
    Ok(q.get_result(conn)?)
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

// ---- The app-facing lifecycle API (`lifecycle::users`, `lifecycle::inactivity`) ----

/// A user as the lifecycle API reads it: profile, state and who last changed it.
/// Deprovisioned users are included (the record stays for the app).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct LifecycleUser {
    pub id: String,
    pub organization_id: String,
    pub user_name: String,
    pub external_id: Option<String>,
    pub email: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub display_name: Option<String>,
    #[diesel(deserialize_as = String)]
    pub state: UserState,
    #[diesel(deserialize_as = String)]
    pub provisioned_by: Provenance,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub last_login_at: Option<NaiveDateTime>,
    pub deprovisioned_at: Option<NaiveDateTime>,
    pub state_changed_at: Option<NaiveDateTime>,
    pub state_changed_by: Option<String>,
    pub state_reason: Option<String>,
}

/// Filters of the lifecycle user list; `None` means "any".
#[derive(Debug, Clone, Default)]
pub struct LifecycleUserFilter {
    pub state: Option<UserState>,
    pub provisioned_by: Option<Provenance>,
    /// Lower-cased; matches the primary email or any SCIM `emails[]` value.
    pub email_lower: Option<String>,
    /// Matches an identity's external id (any source) or `users.external_id`.
    pub external_id: Option<String>,
    pub updated_since: Option<NaiveDateTime>,
}

/// Any user by id, whatever its organization and state.
pub fn find_lifecycle_user(conn: &mut DbConn, id: &str) -> StoreResult<Option<LifecycleUser>> {
    Ok(users::table
        .find(id)
        .select(LifecycleUser::as_select())
        .first(conn)
        .optional()?)
}

/// One page of an organization's users (every state) in id order, after `after_id`.
/// Ids never change, so a walk by id sees each user that exists throughout exactly once,
/// however the users change meanwhile.
pub fn list_lifecycle_users(
    conn: &mut DbConn,
    organization_id: &str,
    filter: &LifecycleUserFilter,
    after_id: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<LifecycleUser>> {
    let org = organization_id.to_owned();
    let mut q = users::table
        .filter(users::organization_id.eq(org.clone()))
        .order(users::id.asc())
        .limit(limit)
        .select(LifecycleUser::as_select())
        .into_boxed();
    if let Some(after) = after_id {
        q = q.filter(users::id.gt(after.to_owned()));
    }
    if let Some(s) = &filter.state {
        q = q.filter(users::state.eq(s.as_str()));
    }
    if let Some(p) = &filter.provisioned_by {
        q = q.filter(users::provisioned_by.eq(p.as_str()));
    }
    if let Some(t) = filter.updated_since {
        q = q.filter(users::updated_at.ge(t));
    }
    if let Some(e) = &filter.email_lower {
        let by_index = user_emails::table
            .filter(user_emails::organization_id.eq(org.clone()))
            .filter(user_emails::value_lower.eq(e.clone()))
            .select(user_emails::user_id);
        q = q.filter(
            users::email_lower.eq(e.clone()).or(users::id
                .nullable()
                .eq_any(by_index.select(user_emails::user_id.nullable()))),
        );
    }
    if let Some(x) = &filter.external_id {
        let linked = identities::table
            .filter(identities::organization_id.eq(org.clone()))
            .filter(identities::external_id.eq(x.clone()))
            .select(identities::user_id.nullable());
        q = q.filter(
            users::external_id
                .eq(x.clone())
                .or(users::id.nullable().eq_any(linked)),
        );
    }
    Ok(q.load(conn)?)
}

/// One identity link, as the lifecycle API shows it.
#[derive(Debug, Clone, Queryable)]
pub struct IdentityLink {
    pub user_id: String,
    #[diesel(deserialize_as = String)]
    pub source_kind: IdentitySourceKind,
    pub source_id: String,
    pub external_id: String,
    pub created_at: NaiveDateTime,
}

/// The identities of these users, oldest first.
pub fn identities_of_users(
    conn: &mut DbConn,
    user_ids: &[String],
) -> StoreResult<Vec<IdentityLink>> {
    Ok(identities::table
        .filter(identities::user_id.eq_any(user_ids))
        .order((identities::created_at.asc(), identities::id.asc()))
        .select((
            identities::user_id,
            identities::source_kind,
            identities::source_id,
            identities::external_id,
            identities::created_at,
        ))
        .load(conn)?)
}

/// `(id, organization_id, state, state_changed_at or created_at)` of the users among
/// `ids` that exist (reconciliation).
pub fn states_of_users(
    conn: &mut DbConn,
    ids: &[String],
) -> StoreResult<Vec<(String, String, UserState, NaiveDateTime)>> {
    let rows: Vec<(String, String, String, Option<NaiveDateTime>, NaiveDateTime)> = users::table
        .filter(users::id.eq_any(ids))
        .select((
            users::id,
            users::organization_id,
            users::state,
            users::state_changed_at,
            users::created_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, org, state, changed, created)| {
            let state: UserState = state
                .parse()
                .map_err(|e: crate::domain::UnknownValue| super::StoreError::Corrupt(e.to_string()))?;
            Ok((id, org, state, changed.unwrap_or(created)))
        })
        .collect()
}

/// Who changed a user's state, when and why.
#[derive(Debug, Clone)]
pub struct StateChange<'a> {
    pub to: UserState,
    pub at: NaiveDateTime,
    pub by: &'a str,
    pub reason: Option<&'a str>,
}

/// Records the last state change of a user (the state itself is written by the caller's
/// update in the same transaction). For paths that set the state through other functions,
/// such as SCIM's `update_user` and `deprovision_user`.
pub fn record_state_change(
    conn: &mut DbConn,
    id: &str,
    at: NaiveDateTime,
    by: &str,
    reason: Option<&str>,
) -> StoreResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::state_changed_at.eq(Some(at)),
            users::state_changed_by.eq(Some(by)),
            users::state_reason.eq(reason),
        ))
        .execute(conn)?;
    Ok(())
}

/// Moves a user from state `from` to `change.to`, bumping its version: a compare-and-set
/// on the state, so a concurrent change or a second replica doing the same makes this a
/// no-op. Returns whether the row changed.
pub fn transition_user_state(
    conn: &mut DbConn,
    id: &str,
    from: UserState,
    change: &StateChange<'_>,
) -> StoreResult<bool> {
    let deprovisioned_at = (change.to == UserState::Deprovisioned).then_some(change.at);
    let n = diesel::update(
        users::table
            .filter(users::id.eq(id))
            .filter(users::state.eq(from.as_str())),
    )
    .set((
        users::state.eq(change.to.as_str()),
        users::active.eq(change.to.holds_seat()),
        users::version.eq(users::version + 1),
        users::updated_at.eq(change.at),
        users::state_changed_at.eq(Some(change.at)),
        users::state_changed_by.eq(Some(change.by)),
        users::state_reason.eq(change.reason),
    ))
    .execute(conn)?;
    if n > 0 && deprovisioned_at.is_some() {
        diesel::update(users::table.find(id))
            .set(users::deprovisioned_at.eq(deprovisioned_at))
            .execute(conn)?;
    }
    Ok(n > 0)
}

/// Active JIT-only users (provisioned by JIT, no SCIM identity) of the organization whose
/// last login — or creation, if they never logged in — and last state change (a
/// reactivation) are before `cutoff`; oldest ids first, at most `limit`.
pub fn inactive_jit_users(
    conn: &mut DbConn,
    organization_id: &str,
    cutoff: NaiveDateTime,
    limit: i64,
) -> StoreResult<Vec<LifecycleUser>> {
    let scim_linked = identities::table
        .filter(identities::source_kind.eq(IdentitySourceKind::Scim.as_str()))
        .select(identities::user_id);
    Ok(users::table
        .filter(users::organization_id.eq(organization_id))
        .filter(users::state.eq(ACTIVE))
        .filter(users::provisioned_by.eq(Provenance::Jit.as_str()))
        .filter(users::id.ne_all(scim_linked))
        .filter(
            users::last_login_at.lt(cutoff).or(users::last_login_at
                .is_null()
                .and(users::created_at.lt(cutoff))),
        )
        // A reactivation counts as activity: the next run does not undo an admin's
        // reactivation.
        .filter(
            users::state_changed_at
                .is_null()
                .or(users::state_changed_at.lt(cutoff)),
        )
        .order(users::id.asc())
        .limit(limit)
        .select(LifecycleUser::as_select())
        .load(conn)?)
}

/// Suspends one user found by [`inactive_jit_users`] if that still holds: a guarded
/// update re-checking state, origin and inactivity, so a login or another replica in
/// between makes it a no-op. Returns whether the user was suspended.
pub fn suspend_if_inactive(
    conn: &mut DbConn,
    id: &str,
    cutoff: NaiveDateTime,
    change: &StateChange<'_>,
) -> StoreResult<bool> {
    let scim_linked = identities::table
        .filter(identities::source_kind.eq(IdentitySourceKind::Scim.as_str()))
        .select(identities::user_id);
    let n = diesel::update(
        users::table
            .filter(users::id.eq(id))
            .filter(users::state.eq(ACTIVE))
            .filter(users::provisioned_by.eq(Provenance::Jit.as_str()))
            .filter(users::id.ne_all(scim_linked))
            .filter(
                users::last_login_at.lt(cutoff).or(users::last_login_at
                    .is_null()
                    .and(users::created_at.lt(cutoff))),
            )
            .filter(
                users::state_changed_at
                    .is_null()
                    .or(users::state_changed_at.lt(cutoff)),
            ),
    )
    .set((
        users::state.eq(change.to.as_str()),
        users::active.eq(false),
        users::version.eq(users::version + 1),
        users::updated_at.eq(change.at),
        users::state_changed_at.eq(Some(change.at)),
        users::state_changed_by.eq(Some(change.by)),
        users::state_reason.eq(change.reason),
    ))
    .execute(conn)?;
    Ok(n > 0)
}

/// Users of the organization the inactivity policy suspended (`state_reason` =
/// `reason`) before `cutoff` and that are still suspended for it; oldest ids first.
pub fn suspended_for_reason_before(
    conn: &mut DbConn,
    organization_id: &str,
    reason: &str,
    cutoff: NaiveDateTime,
    limit: i64,
) -> StoreResult<Vec<LifecycleUser>> {
    Ok(users::table
        .filter(users::organization_id.eq(organization_id))
        .filter(users::state.eq(SUSPENDED))
        .filter(users::state_reason.eq(reason))
        .filter(users::state_changed_at.lt(cutoff))
        .order(users::id.asc())
        .limit(limit)
        .select(LifecycleUser::as_select())
        .load(conn)?)
}

/// Deprovisions one user found by [`suspended_for_reason_before`] if that still holds
/// (suspended, for `reason`, since before `cutoff`). Returns whether it did.
pub fn deprovision_if_suspended_for(
    conn: &mut DbConn,
    id: &str,
    reason: &str,
    cutoff: NaiveDateTime,
    change: &StateChange<'_>,
) -> StoreResult<bool> {
    let n = diesel::update(
        users::table
            .filter(users::id.eq(id))
            .filter(users::state.eq(SUSPENDED))
            .filter(users::state_reason.eq(reason))
            .filter(users::state_changed_at.lt(cutoff)),
    )
    .set((
        users::state.eq(DEPROVISIONED),
        users::active.eq(false),
        users::version.eq(users::version + 1),
        users::updated_at.eq(change.at),
        users::deprovisioned_at.eq(Some(change.at)),
        users::state_changed_at.eq(Some(change.at)),
        users::state_changed_by.eq(Some(change.by)),
        users::state_reason.eq(change.reason),
    ))
    .execute(conn)?;
    Ok(n > 0)
}

/// Moves a user's `updated_at` (a change the profile columns do not show, such as a
/// manual role), so `updated_since` lists find it.
pub fn touch_user(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> StoreResult<()> {
    diesel::update(users::table.find(id))
        .set(users::updated_at.eq(now))
        .execute(conn)?;
    Ok(())
}
