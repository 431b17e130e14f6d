//! `/Groups`: create, read, list/search, replace, patch, delete. Members live in
//! `group_members` rows, never in the stored JSON: a PATCH that adds or removes members
//! touches only the rows it names (cost follows the change, not the group size), and a
//! listing with `excludedAttributes=members` never reads them. Members must be live
//! users of the same organization.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::{
    base_url, check_if_match, list_page, off_worker, unique, Caller, Rendered, ServiceError,
};
use crate::app::AppState;
use crate::changes::{record_change, record_changes, Change, ChangeContext};
use crate::db::DbConn;
use crate::domain::EventType;
use crate::scim::error::ScimError;
use crate::scim::filter::{get_ci, matches_element, CompValue, CompareOp, Filter};
use crate::scim::limits;
use crate::scim::patch::{apply_operations, parse_patch, OpKind, PatchOperation, Target};
use crate::scim::query::ListQuery;
use crate::scim::representation::{
    distinct, list_response, member_ids, set_meta, validate_incoming, Incoming, Projection,
};
use crate::scim::schema::ResourceType;
use crate::scim::value::{set_ci, sync_schemas, take_ci};
use crate::store::groups::{self as store, GroupProfile, GroupRow};
use crate::store::users::live_user_ids;

const RT: ResourceType = ResourceType::Group;
const NAME_TAKEN: &str = "displayName is already taken by another group of this organization";

fn not_found(id: &str) -> ScimError {
    ScimError::not_found(format!("Group '{id}' not found"))
}

type Member = (String, Option<String>, String);

fn render(row: &GroupRow, members: Option<&[Member]>, base: &str) -> Value {
    let mut obj: Map<String, Value> = serde_json::from_str::<Value>(&row.attributes)
        .ok()
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    obj.insert("id".into(), json!(row.id));
    set_ci(&mut obj, "displayName", json!(row.display_name));
    match &row.external_id {
        Some(e) => set_ci(&mut obj, "externalId", json!(e)),
        None => {
            take_ci(&mut obj, "externalId");
        }
    }
    take_ci(&mut obj, "members");
    if let Some(members) = members.filter(|m| !m.is_empty()) {
        let items: Vec<Value> = members
            .iter()
            .map(|(uid, display, user_name)| {
                json!({
                    "value": uid,
                    "display": display.as_deref().unwrap_or(user_name),
                    "$ref": format!("{base}/Users/{uid}"),
                    "type": "User",
                })
            })
            .collect();
        obj.insert("members".into(), Value::Array(items));
    }
    sync_schemas(RT, &mut obj);
    let mut v = Value::Object(obj);
    set_meta(
        RT,
        &mut v,
        base,
        DateTime::<Utc>::from_naive_utc_and_offset(row.created_at, Utc),
        DateTime::<Utc>::from_naive_utc_and_offset(row.updated_at, Utc),
        &row.version.to_string(),
    );
    v
}

/// Whether a projection keeps `members` (if not, they are not read at all).
fn wants_members(p: &Projection) -> bool {
    let probe = json!({ "id": "x", "members": [{ "value": "x" }] });
    p.apply(RT, &probe).get("members").is_some()
}

fn members_of(conn: &mut DbConn, ids: &[String]) -> Result<Vec<(String, Member)>, ServiceError> {
    Ok(store::members_of_groups(conn, ids)?
        .into_iter()
        .map(|(g, u, d, n)| (g, (u, d, n)))
        .collect())
}

fn rendered(
    conn: &mut DbConn,
    row: &GroupRow,
    base: &str,
    projection: Option<&Projection>,
) -> Result<Rendered, ServiceError> {
    let with_members = projection.is_none_or(wants_members);
    let members: Option<Vec<Member>> = if with_members {
        Some(
            members_of(conn, std::slice::from_ref(&row.id))?
                .into_iter()
                .map(|(_, m)| m)
                .collect(),
        )
    } else {
        None
    };
    let full = render(row, members.as_deref(), base);
    Ok(Rendered {
        body: match projection {
            Some(p) => p.apply(RT, &full),
            None => full,
        },
        version: row.version,
        location: format!("{base}/Groups/{}", row.id),
    })
}

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

/// Checks every id (distinct) names a live user of the organization: one query per
/// [`store::ID_CHUNK`] ids, stopping at the first chunk with an unknown id.
fn check_members(conn: &mut DbConn, org: &str, ids: &[String]) -> Result<(), ServiceError> {
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
fn member_events(
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

fn group_event(
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
fn add(
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
fn set_members(
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

/// A validated POST/PUT body and its distinct member ids (CPU work: off the worker).
fn incoming_with_members(body: &Value) -> Result<(Incoming, Vec<String>), ScimError> {
    let incoming = validate_incoming(RT, body)?;
    let members = member_ids(&incoming.resource);
    Ok((incoming, members))
}

pub async fn create(app: &AppState, caller: Caller, body: Value) -> Result<Rendered, ServiceError> {
    let (incoming, members) = off_worker(move || incoming_with_members(&body)).await?;
    let app2 = app.clone();
    app.db
        .write(move |conn| {
            let org = caller.auth.organization_id.clone();
            let actor = caller.auth.actor();
            let ctx = ChangeContext::new(&app2, &actor, caller.request_id.as_deref());
            let now = ctx.now.naive_utc();
            let p = profile(&incoming.resource, 1, now)?;
            let row = GroupRow {
                id: app2.ids.id(),
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
            rendered(conn, &row, &base_url(&app2), None)
        })
        .await
}

pub async fn get(
    app: &AppState,
    caller: Caller,
    id: String,
    projection: Projection,
) -> Result<Rendered, ServiceError> {
    let base = base_url(app);
    app.db
        .read(move |conn| {
            let row = store::find_group(conn, &caller.auth.organization_id, &id)?
                .ok_or_else(|| not_found(&id))?;
            rendered(conn, &row, &base, Some(&projection))
        })
        .await
}

pub async fn list(app: &AppState, caller: Caller, query: ListQuery) -> Result<Value, ServiceError> {
    let base = base_url(app);
    app.db
        .read(move |conn| {
            let org = &caller.auth.organization_id;
            let (total, rows) = list_page(
                conn,
                org,
                RT,
                &query,
                store::count_groups,
                store::list_groups_page,
            )?;
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            let members = if wants_members(&query.projection) && !ids.is_empty() {
                Some(members_of(conn, &ids)?)
            } else {
                None
            };
            // Grouped once by group: a page of large groups costs one pass.
            let by_group: Option<HashMap<String, Vec<Member>>> = members.map(|all| {
                let mut map: HashMap<String, Vec<Member>> = HashMap::new();
                for (g, m) in all {
                    map.entry(g).or_default().push(m);
                }
                map
            });
            let resources = rows
                .iter()
                .map(|row| {
                    let mine = by_group
                        .as_ref()
                        .map(|m| m.get(&row.id).map(Vec::as_slice).unwrap_or_default());
                    query.projection.apply(RT, &render(row, mine, &base))
                })
                .collect();
            Ok(list_response(
                resources,
                usize::try_from(total).unwrap_or(0),
                query.start_index,
            ))
        })
        .await
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

pub async fn replace(
    app: &AppState,
    caller: Caller,
    id: String,
    body: Value,
    if_match: Option<String>,
) -> Result<Rendered, ServiceError> {
    let (incoming, members) = off_worker(move || incoming_with_members(&body)).await?;
    let app2 = app.clone();
    app.db
        .write(move |conn| {
            let org = caller.auth.organization_id.clone();
            let existing = store::find_group(conn, &org, &id)?.ok_or_else(|| not_found(&id))?;
            check_if_match(if_match.as_deref(), existing.version)?;
            let actor = caller.auth.actor();
            let ctx = ChangeContext::new(&app2, &actor, caller.request_id.as_deref());
            let changed = set_members(conn, &ctx, &org, &id, &members)?;
            finish(
                conn,
                &ctx,
                &app2,
                &existing,
                Some(&incoming.resource),
                changed,
                None,
            )
        })
        .await
}

/// The user ids of a `members` PATCH value: an array of `{value}` objects, one object,
/// or bare id strings.
fn value_ids(value: Option<&Value>) -> Vec<String> {
    let items: Vec<&Value> = match value {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v @ Value::Object(_)) | Some(v @ Value::String(_)) => vec![v],
        _ => Vec::new(),
    };
    items
        .into_iter()
        .filter_map(|v| match v {
            Value::String(s) => Some(s.clone()),
            other => get_ci(other, "value")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
        .collect()
}

/// The ids a member filter names when it is `value eq "…"` (or an `or` of those), so
/// removal needs no scan of the group.
fn eq_ids(f: &Filter) -> Option<Vec<String>> {
    match f {
        Filter::Compare(a, CompareOp::Eq, CompValue::String(s))
            if a.sub.is_some_and(|s| s.name == "value") =>
        {
            Some(vec![s.clone()])
        }
        Filter::Or(items) => {
            let mut out = Vec::new();
            for i in items {
                out.extend(eq_ids(i)?);
            }
            Some(out)
        }
        _ => None,
    }
}

enum MemberOp {
    Add(Vec<String>),
    Remove(Vec<String>),
    RemoveMatching(Filter),
    RemoveAll,
    Replace(Vec<String>),
}

/// Splits PATCH operations into member operations (applied to rows) and the rest
/// (applied to the stored JSON).
fn split_ops(ops: Vec<PatchOperation>) -> Result<(Vec<MemberOp>, Vec<PatchOperation>), ScimError> {
    let mut members = Vec::new();
    let mut rest = Vec::new();
    for op in ops {
        match &op.target {
            Target::Attr { attr, filter, sub } if attr.attr.name == "members" => {
                if sub.is_some() {
                    return Err(ScimError::invalid_path(
                        "member sub-attributes cannot be patched",
                    ));
                }
                members.push(match (op.op, filter) {
                    (OpKind::Add, None) => MemberOp::Add(value_ids(op.value.as_ref())),
                    (OpKind::Replace, None) => MemberOp::Replace(value_ids(op.value.as_ref())),
                    (OpKind::Remove, Some(f)) => match eq_ids(f) {
                        Some(ids) => MemberOp::Remove(ids),
                        None => MemberOp::RemoveMatching(f.clone()),
                    },
                    (OpKind::Remove, None) if op.value.is_some() => {
                        MemberOp::Remove(value_ids(op.value.as_ref()))
                    }
                    (OpKind::Remove, None) => MemberOp::RemoveAll,
                    (_, Some(_)) => {
                        return Err(ScimError::invalid_path("members[…] takes only 'remove'"));
                    }
                });
            }
            Target::Resource => {
                let mut value = op.value.clone().unwrap_or(Value::Null);
                if let Some(obj) = value.as_object_mut() {
                    if let Some(m) = take_ci(obj, "members") {
                        members.push(match op.op {
                            OpKind::Add => MemberOp::Add(value_ids(Some(&m))),
                            _ => MemberOp::Replace(value_ids(Some(&m))),
                        });
                    }
                    if obj.is_empty() {
                        continue;
                    }
                }
                rest.push(PatchOperation {
                    value: Some(value),
                    ..op
                });
            }
            _ => rest.push(op),
        }
    }
    let named: usize = members
        .iter()
        .map(|m| match m {
            MemberOp::Add(ids) | MemberOp::Remove(ids) | MemberOp::Replace(ids) => ids.len(),
            MemberOp::RemoveMatching(_) | MemberOp::RemoveAll => 0,
        })
        .sum();
    limits::check_count("members", named, limits::MAX_MEMBERS)?;
    Ok((members, rest))
}

/// Applies member operations in order, in memory, to the memberships they can see (the
/// ids they name; the whole group only when an operation needs it: replace, remove all,
/// remove by a filter), then writes the net change in batches. However the operations
/// alternate (add u, remove u, add u, ...), the statements follow the ids named, not
/// the operation count. Added ids must be live users of the organization.
fn apply_member_ops(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    org: &str,
    group: &str,
    ops: Vec<MemberOp>,
) -> Result<bool, ServiceError> {
    if ops.is_empty() {
        return Ok(false);
    }
    let whole_group = ops.iter().any(|o| {
        matches!(
            o,
            MemberOp::Replace(_) | MemberOp::RemoveAll | MemberOp::RemoveMatching(_)
        )
    });
    let added_ids = distinct(ops.iter().flat_map(|o| match o {
        MemberOp::Add(ids) | MemberOp::Replace(ids) => ids.iter().cloned(),
        _ => [].iter().cloned(),
    }));
    check_members(conn, org, &added_ids)?;
    let named = distinct(ops.iter().flat_map(|o| match o {
        MemberOp::Add(ids) | MemberOp::Remove(ids) | MemberOp::Replace(ids) => ids.iter().cloned(),
        _ => [].iter().cloned(),
    }));
    let before: Vec<String> = if whole_group {
        store::all_member_ids(conn, group)?
    } else {
        store::existing_members(conn, group, &named)?
    };
    let mut state: HashSet<String> = before.iter().cloned().collect();
    for op in ops {
        match op {
            MemberOp::Add(ids) => state.extend(ids),
            MemberOp::Remove(ids) => {
                for i in &ids {
                    state.remove(i);
                }
            }
            MemberOp::RemoveAll => state.clear(),
            MemberOp::RemoveMatching(f) => {
                state.retain(|u| !matches_element(&f, &json!({ "value": u, "type": "User" })));
            }
            MemberOp::Replace(ids) => state = ids.into_iter().collect(),
        }
    }
    let was: HashSet<&String> = before.iter().collect();
    let added: Vec<String> = added_ids
        .into_iter()
        .filter(|u| state.contains(u) && !was.contains(u))
        .collect();
    let removed: Vec<String> = before.into_iter().filter(|u| !state.contains(u)).collect();
    store::add_members(conn, group, &added, ctx.now.naive_utc())?;
    member_events(conn, ctx, org, group, &added, true)?;
    let removed = store::remove_members(conn, group, &removed)?;
    member_events(conn, ctx, org, group, &removed, false)?;
    Ok(!added.is_empty() || !removed.is_empty())
}

/// PATCH (RFC 7644 §3.5.2). `projection` selects what the answer carries; without
/// one, members are left out so the cost follows the change, not the group size (the
/// handler then answers 204).
pub async fn patch(
    app: &AppState,
    caller: Caller,
    id: String,
    body: Value,
    if_match: Option<String>,
    projection: Option<Projection>,
) -> Result<Rendered, ServiceError> {
    let (member_ops, rest) = off_worker(move || split_ops(parse_patch(RT, &body)?)).await?;
    let projection = projection.unwrap_or_else(|| Projection::parse(RT, None, Some("members")));
    let app2 = app.clone();
    app.db
        .write(move |conn| {
            let org = caller.auth.organization_id.clone();
            let existing = store::find_group(conn, &org, &id)?.ok_or_else(|| not_found(&id))?;
            check_if_match(if_match.as_deref(), existing.version)?;
            let actor = caller.auth.actor();
            let ctx = ChangeContext::new(&app2, &actor, caller.request_id.as_deref());
            let resource = if rest.is_empty() {
                None
            } else {
                let current = render(&existing, None, &base_url(&app2));
                let outcome = apply_operations(RT, &current, &rest)?;
                outcome.changed.then_some(outcome.resource)
            };
            let changed = apply_member_ops(conn, &ctx, &org, &id, member_ops)?;
            finish(
                conn,
                &ctx,
                &app2,
                &existing,
                resource.as_ref(),
                changed,
                Some(&projection),
            )
        })
        .await
}

pub async fn delete(
    app: &AppState,
    caller: Caller,
    id: String,
    if_match: Option<String>,
) -> Result<(), ServiceError> {
    let app2 = app.clone();
    app.db
        .write(move |conn| {
            let org = caller.auth.organization_id.clone();
            let existing = store::find_group(conn, &org, &id)?.ok_or_else(|| not_found(&id))?;
            check_if_match(if_match.as_deref(), existing.version)?;
            let actor = caller.auth.actor();
            let ctx = ChangeContext::new(&app2, &actor, caller.request_id.as_deref());
            store::delete_group(conn, &id)?;
            group_event(
                conn,
                &ctx,
                &org,
                EventType::GroupDeleted,
                &id,
                &existing.display_name,
            )?;
            Ok(())
        })
        .await
}
