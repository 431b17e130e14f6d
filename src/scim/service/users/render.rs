//! How a stored user answers: the resource JSON completed from the profile columns,
//! its groups (read-only, RFC 7643 §4.1.2) and `meta`, one at a time or a page at once.

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::RT;
use crate::db::DbConn;
use crate::domain::UserState;
use crate::scim::filter::get_ci;
use crate::scim::representation::{set_meta, Projection};
use crate::scim::service::{by_owner, Rendered, ServiceError};
use crate::scim::value::{set_ci, sync_schemas, take_ci};
use crate::store::users::{self as store, UserRow};

/// The resource JSON of a stored user: the stored SCIM resource, completed from the
/// profile columns (a user JIT created has few attributes), with `id`, `active` (from
/// the lifecycle state), read-only `groups` and `meta`.
pub(super) fn render(row: &UserRow, groups: &[(String, String)], base: &str) -> Value {
    let mut obj: Map<String, Value> = serde_json::from_str::<Value>(&row.attributes)
        .ok()
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    obj.insert("id".into(), json!(row.id));
    if get_ci(&Value::Object(obj.clone()), "userName").is_none() {
        set_ci(&mut obj, "userName", json!(row.user_name));
    }
    if let (None, Some(ext)) = (
        get_ci(&Value::Object(obj.clone()), "externalId"),
        &row.external_id,
    ) {
        set_ci(&mut obj, "externalId", json!(ext));
    }
    if let (None, Some(email)) = (get_ci(&Value::Object(obj.clone()), "emails"), &row.email) {
        set_ci(
            &mut obj,
            "emails",
            json!([{ "value": email, "primary": true }]),
        );
    }
    if get_ci(&Value::Object(obj.clone()), "name").is_none()
        && (row.given_name.is_some() || row.family_name.is_some())
    {
        let mut name = Map::new();
        if let Some(g) = &row.given_name {
            name.insert("givenName".into(), json!(g));
        }
        if let Some(f) = &row.family_name {
            name.insert("familyName".into(), json!(f));
        }
        set_ci(&mut obj, "name", Value::Object(name));
    }
    if let (None, Some(d)) = (
        get_ci(&Value::Object(obj.clone()), "displayName"),
        &row.display_name,
    ) {
        set_ci(&mut obj, "displayName", json!(d));
    }
    set_ci(&mut obj, "active", json!(row.state == UserState::Active));
    take_ci(&mut obj, "groups");
    if !groups.is_empty() {
        let items: Vec<Value> = groups
            .iter()
            .map(|(gid, name)| {
                json!({ "value": gid, "display": name, "$ref": format!("{base}/Groups/{gid}"), "type": "direct" })
            })
            .collect();
        obj.insert("groups".into(), Value::Array(items));
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

fn load_groups(
    conn: &mut DbConn,
    ids: &[String],
) -> Result<Vec<(String, String, String)>, ServiceError> {
    Ok(store::groups_of_users(conn, ids)?)
}

pub(super) fn render_one(
    conn: &mut DbConn,
    row: &UserRow,
    base: &str,
) -> Result<Value, ServiceError> {
    let groups: Vec<(String, String)> = load_groups(conn, std::slice::from_ref(&row.id))?
        .into_iter()
        .map(|(_, g, n)| (g, n))
        .collect();
    Ok(render(row, &groups, base))
}

pub(super) fn rendered(
    conn: &mut DbConn,
    row: &UserRow,
    base: &str,
    projection: Option<&Projection>,
) -> Result<Rendered, ServiceError> {
    let full = render_one(conn, row, base)?;
    Ok(Rendered::new(
        RT,
        full,
        projection,
        row.version,
        base,
        &row.id,
    ))
}

/// A page of users as listed: their groups read in one query for the page.
pub(super) fn render_page(
    conn: &mut DbConn,
    rows: &[UserRow],
    base: &str,
    projection: &Projection,
) -> Result<Vec<Value>, ServiceError> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let memberships = if ids.is_empty() {
        Vec::new()
    } else {
        load_groups(conn, &ids)?
    };
    let by_user = by_owner(memberships.into_iter().map(|(u, g, n)| (u, (g, n))));
    Ok(rows
        .iter()
        .map(|row| {
            let groups = by_user.get(&row.id).map(Vec::as_slice).unwrap_or_default();
            projection.apply(RT, &render(row, groups, base))
        })
        .collect())
}
