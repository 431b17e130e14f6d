//! What POST, PUT, PATCH and DELETE do to a group inside their write transaction: the
//! profile columns and stored JSON, the member rows, and the `group.*` events.

use serde_json::Value;

use super::members::{add, group_event, set_members};
use super::patch::{apply_member_ops, MemberOp};
use super::render::{render, rendered};
use super::{not_found, NAME_TAKEN, RT};
use crate::app::AppState;
use crate::changes::ChangeContext;
use crate::db::DbConn;
use crate::domain::EventType;
use crate::scim::error::ScimError;
use crate::scim::filter::get_ci;
use crate::scim::patch::{apply_operations, PatchOperation};
use crate::scim::representation::{Incoming, Projection};
use crate::scim::service::{base_url, unique, Caller, Rendered, ServiceError};
use crate::scim::value::take_ci;
use crate::store::groups::{self as store, GroupProfile, GroupRow};

/// The stored attributes (no id, meta, members) and the profile columns.
fn profile(
    resource: &Value,
    version: i64,
    now: chrono::NaiveDateTime,
) -> Result<GroupProfile, ScimError> {
    let display_name = get_ci(resource, "displayName")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ScimError::invalid_value("required attribute 'displayName' is missing"))?
        .to_owned();
    let mut stored = resource.clone();
    if let Some(o) = stored.as_object_mut() {
        for k in ["id", "meta", "members"] {
            take_ci(o, k);
        }
    }
    Ok(GroupProfile {
        display_name_lower: display_name.to_lowercase(),
        display_name,
        external_id: get_ci(resource, "externalId")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        attributes: stored.to_string(),
        version,
        updated_at: now,
    })
}

/// POST: the group and its members.
pub(super) fn create(
    conn: &mut DbConn,
    app: &AppState,
    caller: &Caller,
    (incoming, members): (Incoming, Vec<String>),
) -> Result<Rendered, ServiceError> {
    let org = caller.auth.organization_id.clone();
    let actor = caller.auth.actor();
    let ctx = ChangeContext::new(app, &actor, caller.request_id.as_deref());
    let now = ctx.now.naive_utc();
    let p = profile(&incoming.resource, 1, now)?;
    let row = GroupRow {
        id: app.ids.id(),
        organization_id: org.clone(),
        display_name: p.display_name.clone(),
        display_name_lower: p.display_name_lower.clone(),
        external_id: p.external_id.clone(),
        attributes: p.attributes.clone(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store::insert_group(conn, &row).map_err(|e| unique(e, NAME_TAKEN))?;
    group_event(
        conn,
        &ctx,
        &org,
        EventType::GroupCreated,
        &row.id,
        &row.display_name,
    )?;
    add(conn, &ctx, &org, &row.id, &members)?;
    rendered(conn, &row, &base_url(app), None)
}

fn finish(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    app: &AppState,
    existing: &GroupRow,
    resource: Option<&Value>,
    members_changed: bool,
    projection: Option<&Projection>,
) -> Result<Rendered, ServiceError> {
    let base = base_url(app);
    let org = &existing.organization_id;
    let now = ctx.now.naive_utc();
    let new_profile = match resource {
        Some(r) => Some(profile(r, existing.version + 1, now)?),
        None => None,
    };
    let attrs_changed = new_profile.as_ref().is_some_and(|p| {
        p.attributes != existing.attributes
            || p.display_name != existing.display_name
            || p.external_id != existing.external_id
    });
    if !attrs_changed && !members_changed {
        return rendered(conn, existing, &base, projection);
    }
    let p = match new_profile.filter(|_| attrs_changed) {
        Some(p) => p,
        None => GroupProfile {
            display_name: existing.display_name.clone(),
            display_name_lower: existing.display_name_lower.clone(),
            external_id: existing.external_id.clone(),
            attributes: existing.attributes.clone(),
            version: existing.version + 1,
            updated_at: now,
        },
    };
    store::update_group(conn, &existing.id, &p).map_err(|e| unique(e, NAME_TAKEN))?;
    if attrs_changed {
        group_event(
            conn,
            ctx,
            org,
            EventType::GroupUpdated,
            &existing.id,
            &p.display_name,
        )?;
    }
    let row = store::find_group(conn, org, &existing.id)?.ok_or_else(|| not_found(&existing.id))?;
    rendered(conn, &row, &base, projection)
}

/// PUT: the member set made exactly the body's, then the attributes.
pub(super) fn replace(
    conn: &mut DbConn,
    app: &AppState,
    caller: &Caller,
    existing: &GroupRow,
    (incoming, members): (Incoming, Vec<String>),
) -> Result<Rendered, ServiceError> {
    let org = caller.auth.organization_id.clone();
    let id = &existing.id;
    let actor = caller.auth.actor();
    let ctx = ChangeContext::new(app, &actor, caller.request_id.as_deref());
    let changed = set_members(conn, &ctx, &org, id, &members)?;
    finish(
        conn,
        &ctx,
        app,
        existing,
        Some(&incoming.resource),
        changed,
        None,
    )
}

/// PATCH. `projection` selects what the answer carries; without one, members are left
/// out so the cost follows the change, not the group size (the handler then answers
/// 204).
pub(super) fn patch(
    conn: &mut DbConn,
    app: &AppState,
    caller: &Caller,
    existing: &GroupRow,
    (member_ops, rest): (Vec<MemberOp>, Vec<PatchOperation>),
    projection: Option<Projection>,
) -> Result<Rendered, ServiceError> {
    let projection = projection.unwrap_or_else(|| Projection::parse(RT, None, Some("members")));
    let org = caller.auth.organization_id.clone();
    let id = &existing.id;
    let actor = caller.auth.actor();
    let ctx = ChangeContext::new(app, &actor, caller.request_id.as_deref());
    let resource = if rest.is_empty() {
        None
    } else {
        let current = render(existing, None, &base_url(app));
        let outcome = apply_operations(RT, &current, &rest)?;
        outcome.changed.then_some(outcome.resource)
    };
    let changed = apply_member_ops(conn, &ctx, &org, id, member_ops)?;
    finish(
        conn,
        &ctx,
        app,
        existing,
        resource.as_ref(),
        changed,
        Some(&projection),
    )
}

/// DELETE: the group and its member rows.
pub(super) fn delete(
    conn: &mut DbConn,
    app: &AppState,
    caller: &Caller,
    existing: &GroupRow,
) -> Result<(), ServiceError> {
    let org = caller.auth.organization_id.clone();
    let id = &existing.id;
    let actor = caller.auth.actor();
    let ctx = ChangeContext::new(app, &actor, caller.request_id.as_deref());
    store::delete_group(conn, id)?;
    group_event(
        conn,
        &ctx,
        &org,
        EventType::GroupDeleted,
        id,
        &existing.display_name,
    )?;
    Ok(())
}
