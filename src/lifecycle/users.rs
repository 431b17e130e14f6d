//! The app-facing view of users: the user JSON (profile, state and who changed it,
//! identities, roles with their source, groups), reading one, listing an organization's
//! in id order, and bulk state reconciliation. The actions are in `user_actions.rs`;
//! the room's error type is here.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

use crate::app::AppState;
use crate::db::{DbConn, DbError};
use crate::domain::{IdentitySourceKind, Provenance};
use crate::store::orgs::{self, Organization};
use crate::store::role_assignments::{self, HeldRole};
use crate::store::users::{self as store, IdentityLink, LifecycleUser, LifecycleUserFilter};
use crate::store::StoreError;

/// The most ids one reconciliation call may ask about.
pub const MAX_RECONCILE_IDS: usize = 1000;

/// What a lifecycle operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The user's current state does not allow the action.
    #[error("{0}")]
    Transition(String),
    #[error("seat limit reached: all {0} seats of the organization are in use; suspend or deprovision a user, or raise max_seats")]
    SeatLimit(i32),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl LifecycleError {
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        LifecycleError::Invalid {
            field,
            message: message.into(),
        }
    }
}

/// One identity link of a user.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = UserIdentity)]
pub struct IdentityView {
    /// `saml`, `scim` or `email`.
    pub source_kind: IdentitySourceKind,
    /// The SAML connection or SCIM directory id.
    pub source_id: String,
    pub external_id: String,
    pub linked_at: DateTime<Utc>,
}

/// One role a user holds and where it came from.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = UserRole)]
pub struct RoleView {
    pub id: String,
    pub key: String,
    pub name: String,
    pub privileged: bool,
    /// `default`, `idp` or `manual`.
    pub source: String,
    pub assigned_at: DateTime<Utc>,
}

impl From<HeldRole> for RoleView {
    fn from(r: HeldRole) -> Self {
        RoleView {
            id: r.role_id,
            key: r.key,
            name: r.name,
            privileged: r.privileged,
            source: r.source,
            assigned_at: r.assigned_at.and_utc(),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = UserGroup)]
pub struct GroupView {
    pub id: String,
    pub display_name: String,
}

/// A user as the app sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = User)]
pub struct UserView {
    pub id: String,
    pub organization_id: String,
    pub email: Option<String>,
    pub user_name: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub display_name: Option<String>,
    /// The SCIM `externalId` the IdP gave, if any.
    pub external_id: Option<String>,
    /// `invited`, `active`, `suspended` or `deprovisioned`.
    pub state: crate::domain::UserState,
    /// When the state last changed (creation time if it never did).
    pub state_changed_at: DateTime<Utc>,
    /// Who changed it (`scim_directory:<id>`, `app_key:<id>`, `system:inactivity`, …).
    pub state_changed_by: Option<String>,
    pub state_reason: Option<String>,
    /// `jit`, `scim`, `invite` or `admin`.
    pub provisioned_by: Provenance,
    pub identities: Vec<IdentityView>,
    pub roles: Vec<RoleView>,
    pub groups: Vec<GroupView>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub deprovisioned_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// The views of `rows`, with their identities, roles and groups (three queries).
pub(crate) fn views(
    conn: &mut DbConn,
    rows: Vec<LifecycleUser>,
) -> Result<Vec<UserView>, LifecycleError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut identities: HashMap<String, Vec<IdentityLink>> = HashMap::new();
    for i in store::identities_of_users(conn, &ids)? {
        identities.entry(i.user_id.clone()).or_default().push(i);
    }
    let mut roles: HashMap<String, Vec<HeldRole>> = HashMap::new();
    for (u, r) in role_assignments::roles_of_users(conn, &ids)? {
        roles.entry(u).or_default().push(r);
    }
    let mut groups: HashMap<String, Vec<GroupView>> = HashMap::new();
    for (u, id, display_name) in store::groups_of_users(conn, &ids)? {
        groups
            .entry(u)
            .or_default()
            .push(GroupView { id, display_name });
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let mine = identities.remove(&r.id).unwrap_or_default();
            let my_roles = roles.remove(&r.id).unwrap_or_default();
            let my_groups = groups.remove(&r.id).unwrap_or_default();
            UserView {
                state_changed_at: utc(r.state_changed_at.unwrap_or(r.created_at)),
                identities: mine
                    .into_iter()
                    .map(|i| IdentityView {
                        source_kind: i.source_kind,
                        source_id: i.source_id,
                        external_id: i.external_id,
                        linked_at: utc(i.created_at),
                    })
                    .collect(),
                roles: my_roles.into_iter().map(Into::into).collect(),
                groups: my_groups,
                last_login_at: r.last_login_at.map(utc),
                deprovisioned_at: r.deprovisioned_at.map(utc),
                created_at: utc(r.created_at),
                updated_at: utc(r.updated_at),
                id: r.id,
                organization_id: r.organization_id,
                email: r.email,
                user_name: r.user_name,
                given_name: r.given_name,
                family_name: r.family_name,
                display_name: r.display_name,
                external_id: r.external_id,
                state: r.state,
                state_changed_by: r.state_changed_by,
                state_reason: r.state_reason,
                provisioned_by: r.provisioned_by,
                version: r.version,
            }
        })
        .collect())
}

pub(crate) fn view_of(conn: &mut DbConn, id: &str) -> Result<UserView, LifecycleError> {
    let row = store::find_lifecycle_user(conn, id)?.ok_or(LifecycleError::NotFound("user"))?;
    views(conn, vec![row])?
        .pop()
        .ok_or(LifecycleError::NotFound("user"))
}

pub(crate) fn load_org(
    conn: &mut DbConn,
    id_or_slug: &str,
) -> Result<Organization, LifecycleError> {
    orgs::find_organization(conn, id_or_slug)?.ok_or(LifecycleError::NotFound("organization"))
}

/// A user by id (any organization, any state).
pub async fn get_user(app: &AppState, id: String) -> Result<UserView, LifecycleError> {
    app.db.read(move |conn| view_of(conn, &id)).await
}

/// One page of the list: the users and the id to continue after, if there may be more.
pub struct UserPage {
    pub users: Vec<UserView>,
    pub next_after: Option<String>,
}

/// A page of an organization's users in id order, after the id `after`.
pub async fn list_users(
    app: &AppState,
    org: String,
    filter: LifecycleUserFilter,
    after: Option<String>,
    limit: i64,
) -> Result<UserPage, LifecycleError> {
    app.db
        .read(move |conn| {
            let org = load_org(conn, &org)?;
            let mut rows =
                store::list_lifecycle_users(conn, &org.id, &filter, after.as_deref(), limit + 1)?;
            let more = rows.len() as i64 > limit;
            rows.truncate(usize::try_from(limit).unwrap_or(0));
            let next_after = more.then(|| rows.last().map(|r| r.id.clone())).flatten();
            Ok(UserPage {
                users: views(conn, rows)?,
                next_after,
            })
        })
        .await
}

/// The current state of one asked-for id.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StateLookup {
    pub id: String,
    /// A user state, or `not_found`.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_changed_at: Option<DateTime<Utc>>,
}

/// The state of each id, in the order asked (`not_found` for unknown ids).
pub async fn user_states(
    app: &AppState,
    ids: Vec<String>,
) -> Result<Vec<StateLookup>, LifecycleError> {
    if ids.len() > MAX_RECONCILE_IDS {
        return Err(LifecycleError::invalid(
            "user_ids",
            format!(
                "at most {MAX_RECONCILE_IDS} ids per call (got {}); split the list",
                ids.len()
            ),
        ));
    }
    app.db
        .read(move |conn| {
            let mut unique = ids.clone();
            unique.sort();
            unique.dedup();
            let found = if unique.is_empty() {
                Vec::new()
            } else {
                store::states_of_users(conn, &unique)?
            };
            let found: HashMap<String, (String, crate::domain::UserState, NaiveDateTime)> = found
                .into_iter()
                .map(|(id, org, state, at)| (id, (org, state, at)))
                .collect();
            Ok(ids
                .into_iter()
                .map(|id| match found.get(&id) {
                    Some((org, state, at)) => StateLookup {
                        id,
                        state: state.to_string(),
                        organization_id: Some(org.clone()),
                        state_changed_at: Some(utc(*at)),
                    },
                    None => StateLookup {
                        id,
                        state: "not_found".into(),
                        organization_id: None,
                        state_changed_at: None,
                    },
                })
                .collect())
        })
        .await
}
