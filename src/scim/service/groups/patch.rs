//! Group PATCH (RFC 7644 §3.5.2): operations on `members` split from the rest and
//! applied to membership rows, whatever form the IdP sends them in (Okta's value
//! arrays, Entra's `value` removals, filters), with cost that follows the ids named.

use std::collections::HashSet;

use serde_json::{json, Value};

use super::members::{check_members, member_events};
use crate::changes::ChangeContext;
use crate::db::DbConn;
use crate::scim::error::ScimError;
use crate::scim::filter::{get_ci, matches_element, CompValue, CompareOp, Filter};
use crate::scim::limits;
use crate::scim::patch::{OpKind, PatchOperation, Target};
use crate::scim::representation::distinct;
use crate::scim::service::ServiceError;
use crate::scim::value::take_ci;
use crate::store::groups as store;

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

/// One operation on a group's member rows.
pub enum MemberOp {
    Add(Vec<String>),
    Remove(Vec<String>),
    RemoveMatching(Filter),
    RemoveAll,
    Replace(Vec<String>),
}

/// Splits PATCH operations into member operations (applied to rows) and the rest
/// (applied to the stored JSON).
pub(super) fn split_ops(
    ops: Vec<PatchOperation>,
) -> Result<(Vec<MemberOp>, Vec<PatchOperation>), ScimError> {
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
pub(super) fn apply_member_ops(
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
