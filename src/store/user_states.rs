//! The lifecycle side of the users table, as the app-facing API and the inactivity
//! policy read and change it: every state (deprovisioned included), who changed it and
//! why, compare-and-set state transitions, identity links for display, reconciliation.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::StoreResult;
use crate::db::schema::{identities, user_emails, users};
use crate::db::DbConn;
use crate::domain::{IdentitySourceKind, Provenance, UserState};

const ACTIVE: &str = UserState::Active.as_str();
const SUSPENDED: &str = UserState::Suspended.as_str();
const DEPROVISIONED: &str = UserState::Deprovisioned.as_str();

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
            let state: UserState = state.parse().map_err(|e: crate::domain::UnknownValue| {
                super::StoreError::Corrupt(e.to_string())
            })?;
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

/// `$query` (on `users`) narrowed to the inactivity policy's users: active, provisioned by
/// JIT with no SCIM identity, whose last login — or creation, if they never logged in —
/// and last state change are before `$cutoff`. One definition for the policy's listing
/// and for its guarded update, so the two cannot drift.
macro_rules! inactive_jit_since {
    ($query:expr, $cutoff:expr) => {{
        let cutoff = $cutoff;
        let scim_linked = identities::table
            .filter(identities::source_kind.eq(IdentitySourceKind::Scim.as_str()))
            .select(identities::user_id);
        $query
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
    }};
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
    Ok(inactive_jit_since!(
        users::table.filter(users::organization_id.eq(organization_id)),
        cutoff
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
    let n = diesel::update(inactive_jit_since!(
        users::table.filter(users::id.eq(id)),
        cutoff
    ))
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
