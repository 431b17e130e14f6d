//! Group membership rows: members must be live users of the organization; adds and
//! removals touch only the rows named and write one `group.member_added` /
//! `group.member_removed` event per user, in batches; `group.*` events.

use std::collections::HashSet;

use serde_json::json;

use crate::changes::{record_change, record_changes, Change, ChangeContext};
use crate::db::DbConn;
use crate::domain::EventType;
use crate::scim::error::ScimError;
use crate::scim::representation::distinct;
use crate::scim::service::ServiceError;
use crate::store::groups as store;
use crate::store::users::live_user_ids;

/// Checks every id (distinct) names a live user of the organization: one query per
/// [`store::ID_CHUNK`] ids, stopping at the first chunk with an unknown id.
pub(super) fn check_members(
    conn: &mut DbConn,
    org: &str,
    ids: &[String],
) -> Result<(), ServiceError> {
    for chunk in ids.chunks(store::ID_CHUNK) {
        let found: HashSet<String> = live_user_ids(conn, org, chunk)?.into_iter().collect();
        if let Some(missing) = chunk.iter().find(|id| !found.contains(*id)) {
            return Err(ScimError::invalid_value(format!(
                "member '{missing}' is not a user of this organization"
            ))
            .into());
        }
    }
    Ok(())
}

/// One `group.member_added` / `group.member_removed` event per user, written in
/// batches (a few statements per thousand members, not several per member).
pub(super) fn member_events(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    org: &str,
    group: &str,
    users: &[String],
    added: bool,
) -> Result<(), ServiceError> {
    let changes: Vec<Change<'_>> = users
        .iter()
        .map(|user| Change {
            event_type: if added {
                EventType::GroupMemberAdded
            } else {
                EventType::GroupMemberRemoved
            },
            organization_id: Some(org),
            subject_type: "group",
            subject_id: group,
            data: json!({ "group": { "id": group }, "user": { "id": user } }),
        })
        .collect();
    record_changes(conn, ctx, &changes)?;
    Ok(())
}

pub(super) fn group_event(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    org: &str,
    event_type: EventType,
    id: &str,
    name: &str,
) -> Result<(), ServiceError> {
    record_change(
        conn,
        ctx,
        &Change {
            event_type,
            organization_id: Some(org),
            subject_type: "group",
            subject_id: id,
            data: json!({ "group": { "id": id, "displayName": name } }),
        },
    )?;
    Ok(())
}

/// Adds the given users (those not members yet); returns the ids added.
pub(super) fn add(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    org: &str,
    group: &str,
    ids: &[String],
) -> Result<Vec<String>, ServiceError> {
    let ids = distinct(ids.iter().cloned());
    check_members(conn, org, &ids)?;
    let existing: HashSet<String> = store::existing_members(conn, group, &ids)?
        .into_iter()
        .collect();
    let new: Vec<String> = ids
        .into_iter()
        .filter(|id| !existing.contains(id))
        .collect();
    store::add_members(conn, group, &new, ctx.now.naive_utc())?;
    member_events(conn, ctx, org, group, &new, true)?;
    Ok(new)
}

fn remove(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    org: &str,
    group: &str,
    ids: &[String],
) -> Result<Vec<String>, ServiceError> {
    let removed = store::remove_members(conn, group, &distinct(ids.iter().cloned()))?;
    member_events(conn, ctx, org, group, &removed, false)?;
    Ok(removed)
}

/// Makes the member set exactly `ids`.
pub(super) fn set_members(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    org: &str,
    group: &str,
    ids: &[String],
) -> Result<bool, ServiceError> {
    let current = store::all_member_ids(conn, group)?;
    let wanted: HashSet<&String> = ids.iter().collect();
    let gone: Vec<String> = current
        .into_iter()
        .filter(|c| !wanted.contains(c))
        .collect();
    let added = add(conn, ctx, org, group, ids)?;
    let removed = remove(conn, ctx, org, group, &gone)?;
    Ok(!added.is_empty() || !removed.is_empty())
}
