//! `/Users`: create, read, list/search, replace, patch, delete — with lifecycle (active
//! ↔ suspended, DELETE → deprovisioned), seats (`max_seats`), the directory's identity
//! link (`externalId`), and `user.*` / `identity.linked` events in the same transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::{
    base_url, check_if_match, list_page, off_worker, seat_limit, unique, Caller, Rendered,
    ServiceError,
};
use crate::app::AppState;
use crate::changes::{record_change, Change, ChangeContext};
use crate::db::DbConn;
use crate::domain::EventType;
use crate::domain::{IdentitySourceKind, OrgId, Provenance, UserState};
use crate::lifecycle::transitions::{self, Seat, Subject, Update};
use crate::scim::error::ScimError;
use crate::scim::filter::{as_bool, get_ci};
use crate::scim::patch::{apply_operations, parse_patch};
use crate::scim::query::ListQuery;
use crate::scim::representation::{list_response, set_meta, validate_incoming, Projection};
use crate::scim::schema::ResourceType;
use crate::scim::value::{set_ci, sync_schemas, take_ci};
use crate::store::identities::{lock_person, users_by_email};
use crate::store::users::{self as store, NewIdentity, UserEmail, UserProfile, UserRow};

const RT: ResourceType = ResourceType::User;

fn not_found(id: &str) -> ScimError {
    ScimError::not_found(format!("User '{id}' not found"))
}

/// The resource JSON of a stored user: the stored SCIM resource, completed from the
/// profile columns (a user JIT created has few attributes), with `id`, `active` (from
/// the lifecycle state), read-only `groups` and `meta`.
pub(crate) fn render(row: &UserRow, groups: &[(String, String)], base: &str) -> Value {
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

fn render_one(conn: &mut DbConn, row: &UserRow, base: &str) -> Result<Value, ServiceError> {
    let groups: Vec<(String, String)> = load_groups(conn, std::slice::from_ref(&row.id))?
        .into_iter()
        .map(|(_, g, n)| (g, n))
        .collect();
    Ok(render(row, &groups, base))
}

fn rendered(
    conn: &mut DbConn,
    row: &UserRow,
    base: &str,
    projection: Option<&Projection>,
) -> Result<Rendered, ServiceError> {
    let full = render_one(conn, row, base)?;
    Ok(Rendered {
        body: match projection {
            Some(p) => p.apply(RT, &full),
            None => full,
        },
        version: row.version,
        location: format!("{base}/Users/{}", row.id),
    })
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    get_ci(v, key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// The resource to store: no `id`, `meta`, `groups` (derived), `password`.
fn storable(mut resource: Value) -> Value {
    if let Some(obj) = resource.as_object_mut() {
        for k in ["id", "meta", "groups", "password"] {
            take_ci(obj, k);
        }
    }
    resource
}

/// The profile columns of a resource in lifecycle state `state`.
fn profile(resource: &Value, state: UserState) -> Result<UserProfile, ScimError> {
    let user_name = str_at(resource, "userName")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ScimError::invalid_value("required attribute 'userName' is missing"))?
        .to_owned();
    let emails = get_ci(resource, "emails").and_then(Value::as_array);
    let primary = emails.and_then(|list| {
        list.iter()
            .find(|e| get_ci(e, "primary").and_then(as_bool) == Some(true))
            .or_else(|| list.first())
            .and_then(|e| str_at(e, "value"))
            .map(str::to_owned)
    });
    let name = get_ci(resource, "name");
    Ok(UserProfile {
        user_name_lower: user_name.to_lowercase(),
        user_name,
        external_id: str_at(resource, "externalId").map(str::to_owned),
        email_lower: primary.as_ref().map(|e| e.to_lowercase()),
        email: primary,
        given_name: name.and_then(|n| str_at(n, "givenName")).map(str::to_owned),
        family_name: name
            .and_then(|n| str_at(n, "familyName"))
            .map(str::to_owned),
        display_name: str_at(resource, "displayName").map(str::to_owned),
        active: state.holds_seat(),
        state,
        attributes: storable(resource.clone()).to_string(),
    })
}

fn email_rows(resource: &Value, user_id: &str, org: &str) -> Vec<UserEmail> {
    let mut out: Vec<UserEmail> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let list = get_ci(resource, "emails").and_then(Value::as_array);
    for e in list.map(Vec::as_slice).unwrap_or_default() {
        let Some(v) = str_at(e, "value") else {
            continue;
        };
        let value_lower = v.to_lowercase();
        if !seen.insert(value_lower.clone()) {
            continue;
        }
        out.push(UserEmail {
            user_id: user_id.to_owned(),
            organization_id: org.to_owned(),
            value_lower,
            kind: str_at(e, "type").map(str::to_owned),
            is_primary: get_ci(e, "primary").and_then(as_bool) == Some(true),
        });
    }
    out
}

/// Inserts or updates the directory's identity link for `externalId`.
fn link_identity(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    caller: &Caller,
    user_id: &str,
    external_id: Option<&str>,
) -> Result<(), ServiceError> {
    let Some(ext) = external_id else {
        return Ok(());
    };
    let dir = &caller.auth.directory_id;
    let taken = "externalId is already linked to another user of this directory";
    match store::find_source_identity(conn, dir, user_id)? {
        Some((_, current)) if current == ext => Ok(()),
        Some((id, _)) => {
            store::update_identity_external_id(conn, &id, ext).map_err(|e| unique(e, taken))
        }
        None => {
            let id = ctx.ids.id();
            store::insert_identity(
                conn,
                &NewIdentity {
                    id: &id,
                    user_id,
                    organization_id: &caller.auth.organization_id,
                    source_kind: IdentitySourceKind::Scim,
                    source_id: dir,
                    external_id: ext,
                    created_at: ctx.now.naive_utc(),
                },
            )
            .map_err(|e| unique(e, taken))?;
            record_change(
                conn,
                ctx,
                &Change {
                    event_type: EventType::IdentityLinked,
                    organization_id: Some(&caller.auth.organization_id),
                    subject_type: "user",
                    subject_id: user_id,
                    data: json!({ "user": { "id": user_id }, "identity": { "source_kind": IdentitySourceKind::Scim, "source_id": dir, "external_id": ext } }),
                },
            )?;
            Ok(())
        }
    }
}

/// Fails with 403 when taking one more seat would exceed `max_seats`. Takes the seat
/// lock first ([`store::lock_organization`]) so concurrent seat takers of a limited
/// organization serialize; unlimited organizations do not queue here.
fn take_seat(conn: &mut DbConn, org: &str) -> Result<(), ServiceError> {
    match transitions::check_seat(conn, &OrgId::new(org))? {
        Seat::Available => Ok(()),
        Seat::LimitReached(max) => Err(seat_limit(max).into()),
        Seat::UnknownOrganization => Err(ScimError::not_found("organization not found").into()),
    }
}

/// A person SSO created first (JIT, or an accepted invitation) whom the directory now
/// pushes under another userName than the one JIT chose: the create adopts that record
/// instead of making a second user for one person (design invariant 1). Only an active
/// record that no directory holds yet is adopted, and only into an active user; anything
/// else with that email is a uniqueness conflict for the admin to resolve. A POST with
/// the record's own userName stays a plain 409 (the IdP should have found it by filter).
fn adopt_sso_user(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    caller: &Caller,
    resource: &Value,
    p: &UserProfile,
    email_lower: &str,
) -> Result<Option<UserRow>, ServiceError> {
    let org = &caller.auth.organization_id;
    let Some(user) = users_by_email(conn, org, email_lower)?
        .into_iter()
        .find(|u| u.state.is_live() && u.provisioned_by.sso_owned())
    else {
        return Ok(None);
    };
    if user.user_name_lower == p.user_name_lower
        || store::identities_of_users(conn, std::slice::from_ref(&user.id))?
            .iter()
            .any(|i| i.source_kind == IdentitySourceKind::Scim)
    {
        return Ok(None);
    }
    if user.state != UserState::Active || p.state != UserState::Active {
        return Err(ScimError::uniqueness(format!(
            "a user with this email already exists (id {}, state {}, created by SSO login)",
            user.id, user.state
        ))
        .into());
    }
    store::update_user(conn, &user.id, p, user.version + 1, ctx.now.naive_utc())
        .map_err(|e| unique(e, "userName is already taken in this organization"))?;
    store::replace_user_emails(conn, &user.id, &email_rows(resource, &user.id, org))?;
    // The directory is its authority from now on (the inactivity policy, for one, only
    // touches users of JIT-only origin).
    transitions::adopt_for_scim(conn, &user.user_id())?;
    transitions::record_updated(
        conn,
        ctx,
        &Subject::from_profile(&user.id, org, p, Provenance::Scim),
        Update {
            changed: None,
            source: Provenance::Scim,
            previously_provisioned_by: Some(user.provisioned_by),
        },
    )?;
    link_identity(conn, ctx, caller, &user.id, p.external_id.as_deref())?;
    Ok(store::find_live_user(conn, org, &user.id)?)
}

pub async fn create(app: &AppState, caller: Caller, body: Value) -> Result<Rendered, ServiceError> {
    let incoming = off_worker(move || validate_incoming(RT, &body)).await?;
    if !incoming.ignored.is_empty() {
        tracing::info!(scim.ignored = ?incoming.ignored, "ignored unknown schema extensions");
    }
    let want_active = get_ci(&incoming.resource, "active")
        .and_then(as_bool)
        .unwrap_or(true);
    let app2 = app.clone();
    app.db
        .write(move |conn| {
            let org = caller.auth.organization_id.clone();
            let actor = caller.auth.actor();
            let ctx = ChangeContext::new(&app2, &actor, caller.request_id.as_deref());
            let state = if want_active {
                UserState::Active
            } else {
                UserState::Suspended
            };
            let p = profile(&incoming.resource, state)?;
            if let Some(email) = p.email_lower.clone() {
                // Serializes with SAML first logins of the same person (jit::login).
                lock_person(conn, &org, &email)?;
                if let Some(row) =
                    adopt_sso_user(conn, &ctx, &caller, &incoming.resource, &p, &email)?
                {
                    return rendered(conn, &row, &base_url(&app2), None);
                }
            }
            // A suspended user holds no seat, so only an active one takes the seat lock.
            if want_active {
                take_seat(conn, &org)?;
            }
            let id = app2.ids.id();
            let previous = store::find_deprovisioned_by_user_name(conn, &org, &p.user_name_lower)?;
            let new = p.as_new(&id, &org, Provenance::Scim, ctx.now.naive_utc());
            transitions::create(conn, &ctx, &new, None, previous)
                .map_err(|e| unique(e, "userName is already taken in this organization"))?;
            store::replace_user_emails(conn, &id, &email_rows(&incoming.resource, &id, &org))?;
            link_identity(conn, &ctx, &caller, &id, p.external_id.as_deref())?;
            let row = store::find_live_user(conn, &org, &id)?.ok_or_else(|| not_found(&id))?;
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
            let row = store::find_live_user(conn, &caller.auth.organization_id, &id)?
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
                store::count_users,
                store::list_users_page,
            )?;
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            let memberships = if ids.is_empty() {
                Vec::new()
            } else {
                load_groups(conn, &ids)?
            };
            // Grouped once by user: a page of users in many groups costs one pass.
            let mut by_user: HashMap<String, Vec<(String, String)>> = HashMap::new();
            for (u, g, n) in memberships {
                by_user.entry(u).or_default().push((g, n));
            }
            let resources = rows
                .iter()
                .map(|row| {
                    let groups = by_user.get(&row.id).map(Vec::as_slice).unwrap_or_default();
                    query.projection.apply(RT, &render(row, groups, &base))
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

/// Stores a new version of `existing` from `resource` (PUT and PATCH): lifecycle
/// transitions, seats, profile columns, emails index, identity link, events.
fn save(
    conn: &mut DbConn,
    app: &AppState,
    caller: &Caller,
    existing: &UserRow,
    resource: Value,
) -> Result<Rendered, ServiceError> {
    let org = &caller.auth.organization_id;
    let actor = caller.auth.actor();
    let ctx = ChangeContext::new(app, &actor, caller.request_id.as_deref());
    let wanted = get_ci(&resource, "active").and_then(as_bool);
    let was_active = existing.state == UserState::Active;
    let state = match wanted {
        Some(false) => UserState::Suspended,
        Some(true) => UserState::Active,
        None => existing.state,
    };
    if state == UserState::Active && !was_active {
        take_seat(conn, org)?;
    }
    let p = profile(&resource, state)?;
    let base = base_url(app);
    let attrs_same = {
        let before = storable(render(existing, &[], &base));
        let mut before = before;
        let mut after = storable(resource.clone());
        for v in [&mut before, &mut after] {
            if let Some(o) = v.as_object_mut() {
                take_ci(o, "active");
            }
        }
        before == after
    };
    if attrs_same && state == existing.state {
        return rendered(conn, existing, &base, None);
    }
    let version = existing.version + 1;
    store::update_user(conn, &existing.id, &p, version, ctx.now.naive_utc())
        .map_err(|e| unique(e, "userName is already taken in this organization"))?;
    if state != existing.state {
        transitions::stamp_state_change(conn, &ctx, &existing.user_id(), None)?;
    }
    store::replace_user_emails(
        conn,
        &existing.id,
        &email_rows(&resource, &existing.id, org),
    )?;
    link_identity(conn, &ctx, caller, &existing.id, p.external_id.as_deref())?;
    let adopted = existing.provisioned_by != Provenance::Scim;
    if adopted {
        // A directory writing a user SSO created adopts it (as a create would).
        transitions::adopt_for_scim(conn, &existing.user_id())?;
    }
    let subject = Subject::from_profile(&existing.id, org, &p, Provenance::Scim);
    if !attrs_same {
        let update = Update {
            changed: None,
            source: Provenance::Scim,
            previously_provisioned_by: adopted.then_some(existing.provisioned_by),
        };
        transitions::record_updated(conn, &ctx, &subject, update)?;
    }
    if state != existing.state {
        transitions::record_state_written(conn, &ctx, &subject, existing.state)?;
    }
    let row =
        store::find_live_user(conn, org, &existing.id)?.ok_or_else(|| not_found(&existing.id))?;
    rendered(conn, &row, &base, None)
}

pub async fn replace(
    app: &AppState,
    caller: Caller,
    id: String,
    body: Value,
    if_match: Option<String>,
) -> Result<Rendered, ServiceError> {
    let incoming = off_worker(move || validate_incoming(RT, &body)).await?;
    let app2 = app.clone();
    app.db
        .write(move |conn| {
            let existing = store::find_live_user(conn, &caller.auth.organization_id, &id)?
                .ok_or_else(|| not_found(&id))?;
            check_if_match(if_match.as_deref(), existing.version)?;
            save(conn, &app2, &caller, &existing, incoming.resource)
        })
        .await
}

pub async fn patch(
    app: &AppState,
    caller: Caller,
    id: String,
    body: Value,
    if_match: Option<String>,
) -> Result<Rendered, ServiceError> {
    // Parsed before the write transaction, on the blocking pool; applied inside it.
    let ops = off_worker(move || parse_patch(RT, &body)).await?;
    let app2 = app.clone();
    app.db
        .write(move |conn| {
            let existing = store::find_live_user(conn, &caller.auth.organization_id, &id)?.ok_or_else(|| not_found(&id))?;
            check_if_match(if_match.as_deref(), existing.version)?;
            let base = base_url(&app2);
            let current = render_one(conn, &existing, &base)?;
            let outcome = apply_operations(RT, &current, &ops)?;
            if !outcome.ignored.is_empty() {
                tracing::info!(scim.ignored = ?outcome.ignored, "ignored PATCH paths of unknown extensions");
            }
            if !outcome.changed {
                return rendered(conn, &existing, &base, None);
            }
            save(conn, &app2, &caller, &existing, outcome.resource)
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
            let existing = store::find_live_user(conn, &org, &id)?.ok_or_else(|| not_found(&id))?;
            check_if_match(if_match.as_deref(), existing.version)?;
            let actor = caller.auth.actor();
            let ctx = ChangeContext::new(&app2, &actor, caller.request_id.as_deref());
            // Deprovisioning is a compare-and-set on the state: when an app action or the
            // inactivity policy changed it since the read, read the user again and retry;
            // a user deprovisioned meanwhile is gone for SCIM (404).
            let mut current = existing;
            let mut attempts = 0;
            while !transitions::transition(
                conn,
                &ctx,
                &Subject::from(&current),
                UserState::Deprovisioned,
                None,
            )? {
                attempts += 1;
                current = store::find_live_user(conn, &org, &id)?
                    .filter(|_| attempts < 3)
                    .ok_or_else(|| not_found(&id))?;
            }
            Ok(())
        })
        .await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A row as JIT provisioning leaves it: profile columns, no SCIM attributes.
    fn jit_row() -> UserRow {
        let t = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        UserRow {
            id: "u1".into(),
            organization_id: "o1".into(),
            user_name: "Ann@Example.com".into(),
            user_name_lower: "ann@example.com".into(),
            external_id: None,
            email: Some("ann@example.com".into()),
            email_lower: Some("ann@example.com".into()),
            given_name: Some("Ann".into()),
            family_name: Some("Lee".into()),
            display_name: None,
            active: true,
            state: UserState::Active,
            provisioned_by: Provenance::Jit,
            attributes: "{}".into(),
            version: 3,
            created_at: t,
            updated_at: t,
            last_login_at: None,
            deprovisioned_at: None,
        }
    }

    #[test]
    fn jit_user_renders_as_a_full_scim_user() {
        let v = render(
            &jit_row(),
            &[("g1".into(), "Admins".into())],
            "https://x/scim/v2",
        );
        assert_eq!(v["userName"], "Ann@Example.com");
        assert_eq!(v["emails"][0]["value"], "ann@example.com");
        assert_eq!(v["name"]["familyName"], "Lee");
        assert_eq!(v["active"], true);
        assert_eq!(v["groups"][0]["value"], "g1");
        assert_eq!(v["meta"]["version"], "W/\"3\"");
        assert_eq!(v["meta"]["location"], "https://x/scim/v2/Users/u1");
        // Its profile survives a round trip through the stored form.
        let p = profile(&v, UserState::Active).unwrap();
        assert_eq!(p.user_name_lower, "ann@example.com");
        assert_eq!(p.given_name.as_deref(), Some("Ann"));
        let stored: Value = serde_json::from_str(&p.attributes).unwrap();
        assert!(
            stored.get("meta").is_none()
                && stored.get("groups").is_none()
                && stored.get("id").is_none()
        );
    }

    #[test]
    fn suspended_state_renders_inactive() {
        let mut row = jit_row();
        row.state = UserState::Suspended;
        row.attributes = r#"{"userName":"ann@example.com","active":true}"#.into();
        assert_eq!(render(&row, &[], "b")["active"], false);
    }
}
