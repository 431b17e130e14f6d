//! How a stored group answers: the stored JSON with `displayName`, `externalId`, its
//! members (read from `group_members` rows, and only when the projection keeps them)
//! and `meta`, one at a time or a page at once.

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::RT;
use crate::db::DbConn;
use crate::scim::representation::{set_meta, Projection};
use crate::scim::service::{by_owner, Rendered, ServiceError};
use crate::scim::value::{set_ci, sync_schemas, take_ci};
use crate::store::groups::{self as store, GroupRow};

pub(super) type Member = (String, Option<String>, String);

pub(super) fn render(row: &GroupRow, members: Option<&[Member]>, base: &str) -> Value {
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

pub(super) fn rendered(
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
    Ok(Rendered::new(
        RT,
        full,
        projection,
        row.version,
        base,
        &row.id,
    ))
}

/// A page of groups as listed: the members of the whole page read in one query, and
/// only when the projection keeps them.
pub(super) fn render_page(
    conn: &mut DbConn,
    rows: &[GroupRow],
    base: &str,
    projection: &Projection,
) -> Result<Vec<Value>, ServiceError> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let members = if wants_members(projection) && !ids.is_empty() {
        Some(members_of(conn, &ids)?)
    } else {
        None
    };
    let by_group = members.map(by_owner);
    Ok(rows
        .iter()
        .map(|row| {
            let mine = by_group
                .as_ref()
                .map(|m| m.get(&row.id).map(Vec::as_slice).unwrap_or_default());
            projection.apply(RT, &render(row, mine, base))
        })
        .collect())
}
