//! Roles from a login: the connection's group→role mapping, else the organization's
//! default role. Checked again at every login (not only when the mapping was saved),
//! because a role may become privileged or the organization may stop allowing
//! privileged roles from the IdP afterwards: nothing from an IdP grants a privileged role
//! unless the organization allows it (design invariant 4). Manual roles are never
//! touched by login.

use std::collections::BTreeMap;

use serde_json::json;

use crate::changes::{record_change, Change, ChangeContext};
use crate::db::DbConn;
use crate::domain::EventType;
use crate::store::orgs::Organization;
use crate::store::role_assignments::{
    self as ra, HeldRole, NewRoleAssignment, SOURCE_DEFAULT, SOURCE_IDP, SOURCE_MANUAL,
};
use crate::store::roles::{find_role, Role};
use crate::store::StoreResult;

/// The roles a login asks for, with their source, and what was refused.
#[derive(Debug, Default)]
pub struct WantedRoles {
    pub roles: Vec<(Role, &'static str)>,
    /// Keys of privileged roles the groups mapped to and the organization does not allow.
    pub refused_privileged: Vec<String>,
}

/// Group names compare case-insensitively: IdPs differ in how they case group names.
pub fn wanted_roles(
    conn: &mut DbConn,
    org: &Organization,
    group_role_mapping: &BTreeMap<String, String>,
    groups: &[String],
) -> StoreResult<WantedRoles> {
    let mut wanted = WantedRoles::default();
    for (group, role_key) in group_role_mapping {
        if !groups.iter().any(|g| g.eq_ignore_ascii_case(group)) {
            continue;
        }
        let Some(role) = find_role(conn, &org.id, role_key)? else {
            continue; // the role was deleted after the mapping was saved
        };
        if role.privileged && !org.allow_privileged_from_idp {
            if !wanted.refused_privileged.contains(&role.key) {
                wanted.refused_privileged.push(role.key.clone());
            }
            continue;
        }
        if !wanted.roles.iter().any(|(r, _)| r.id == role.id) {
            wanted.roles.push((role, SOURCE_IDP));
        }
    }
    if wanted.roles.is_empty() {
        if let Some(role) = find_role(conn, &org.id, &org.default_role)? {
            wanted.roles.push((role, SOURCE_DEFAULT));
        }
    }
    Ok(wanted)
}

/// Makes the login-managed roles of a user (sources `default` and `idp`) equal to
/// `wanted`, writing `role.assigned` / `role.unassigned` events. Manual roles are never
/// touched, and a user who holds one does not get the default role on top: someone chose
/// their role by hand. Returns whether anything changed.
pub fn apply_roles(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    org: &Organization,
    user_id: &str,
    wanted: &WantedRoles,
) -> StoreResult<bool> {
    let held = ra::roles_of_user(conn, user_id)?;
    let has_manual = held.iter().any(|h| h.source == SOURCE_MANUAL);
    let wanted: Vec<&(Role, &'static str)> = wanted
        .roles
        .iter()
        .filter(|(_, source)| !(has_manual && *source == SOURCE_DEFAULT))
        .collect();
    let mut changed = false;
    for h in held.iter().filter(|h| h.source != SOURCE_MANUAL) {
        if !wanted.iter().any(|(r, _)| r.id == h.role_id) {
            ra::delete_role_assignment(conn, user_id, &h.role_id)?;
            role_event(
                conn,
                ctx,
                org,
                user_id,
                EventType::RoleUnassigned,
                h.into(),
                &h.source,
            )?;
            changed = true;
        }
    }
    for (role, source) in wanted {
        if held.iter().any(|h: &HeldRole| h.role_id == role.id) {
            continue;
        }
        grant(conn, ctx, org, user_id, role, source)?;
        changed = true;
    }
    Ok(changed)
}

/// Assigns one role with `source` unless the user holds it already (an invitation's role).
pub fn assign_role(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    org: &Organization,
    user_id: &str,
    role: &Role,
    source: &str,
) -> StoreResult<()> {
    if ra::roles_of_user(conn, user_id)?
        .iter()
        .any(|h| h.role_id == role.id)
    {
        return Ok(());
    }
    grant(conn, ctx, org, user_id, role, source)
}

/// Inserts the assignment and its `role.assigned` event.
fn grant(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    org: &Organization,
    user_id: &str,
    role: &Role,
    source: &str,
) -> StoreResult<()> {
    let id = ctx.ids.id();
    ra::insert_role_assignment(
        conn,
        &NewRoleAssignment {
            id: &id,
            user_id,
            role_id: &role.id,
            source,
            created_at: ctx.now.naive_utc(),
        },
    )?;
    role_event(
        conn,
        ctx,
        org,
        user_id,
        EventType::RoleAssigned,
        role.into(),
        source,
    )
}

fn role_event(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    org: &Organization,
    user_id: &str,
    event_type: EventType,
    role: RoleRef<'_>,
    source: &str,
) -> StoreResult<()> {
    record_change(
        conn,
        ctx,
        &Change {
            event_type,
            organization_id: Some(&org.id),
            subject_type: "user",
            subject_id: user_id,
            // The lifecycle API's role events have this shape too.
            data: json!({
                "user": { "id": user_id },
                "role": { "id": role.id, "key": role.key, "name": role.name, "privileged": role.privileged },
                "source": source,
            }),
        },
    )?;
    Ok(())
}

/// The fields of a role an event names.
#[derive(Clone, Copy)]
struct RoleRef<'a> {
    id: &'a str,
    key: &'a str,
    name: &'a str,
    privileged: bool,
}

impl<'a> From<&'a Role> for RoleRef<'a> {
    fn from(r: &'a Role) -> Self {
        RoleRef {
            id: &r.id,
            key: &r.key,
            name: &r.name,
            privileged: r.privileged,
        }
    }
}

impl<'a> From<&'a HeldRole> for RoleRef<'a> {
    fn from(r: &'a HeldRole) -> Self {
        RoleRef {
            id: &r.role_id,
            key: &r.key,
            name: &r.name,
            privileged: r.privileged,
        }
    }
}
