//! What POST, PUT, PATCH and DELETE do to a user inside their write transaction:
//! lifecycle (active ↔ suspended, DELETE → deprovisioned), seats (`max_seats`), the
//! profile columns and emails index, the identity link, and the `user.*` events.

use serde_json::{json, Value};

use super::identity::{adopt_sso_user, link_identity};
use super::profile::{email_rows, profile, storable, user_data};
use super::render::{render, render_one, rendered};
use super::{not_found, RT};
use crate::app::AppState;
use crate::changes::{record_change, Change, ChangeContext};
use crate::db::DbConn;
use crate::scim::error::ScimError;
use crate::scim::filter::{as_bool, get_ci};
use crate::scim::patch::{apply_operations, PatchOperation};
use crate::scim::representation::Incoming;
use crate::scim::service::{base_url, seat_limit, unique, Caller, Rendered, ServiceError};
use crate::scim::value::take_ci;
use crate::store::identities::lock_person;
use crate::store::users::{self as store, UserRow};

/// Fails with 403 when taking one more seat would exceed `max_seats`. Takes the seat
/// lock first ([`store::lock_organization`]) so concurrent seat takers of a limited
/// organization serialize; unlimited organizations do not queue here.
fn take_seat(conn: &mut DbConn, org: &str) -> Result<(), ServiceError> {
    match store::check_seat(conn, org)? {
        store::Seat::Available => Ok(()),
        store::Seat::LimitReached(max) => Err(seat_limit(max).into()),
        store::Seat::UnknownOrganization => {
            Err(ScimError::not_found("organization not found").into())
        }
    }
}

/// POST: a new user (or the adoption of the person SSO created first).
pub(super) fn create(
    conn: &mut DbConn,
    app: &AppState,
    caller: &Caller,
    incoming: Incoming,
) -> Result<Rendered, ServiceError> {
    let want_active = get_ci(&incoming.resource, "active")
        .and_then(as_bool)
        .unwrap_or(true);
    let org = caller.auth.organization_id.clone();
    let actor = caller.auth.actor();
    let ctx = ChangeContext::new(app, &actor, caller.request_id.as_deref());
    let state = if want_active { "active" } else { "suspended" };
    let p = profile(&incoming.resource, state)?;
    if let Some(email) = p.email_lower.clone() {
        // Serializes with SAML first logins of the same person (jit::login).
        lock_person(conn, &org, &email)?;
        if let Some(row) = adopt_sso_user(conn, &ctx, caller, &incoming.resource, &p, &email)? {
            return rendered(conn, &row, &base_url(app), None);
        }
    }
    // A suspended user holds no seat, so only an active one takes the seat lock.
    if want_active {
        take_seat(conn, &org)?;
    }
    let id = app.ids.id();
    let previous = store::find_deprovisioned_by_user_name(conn, &org, &p.user_name_lower)?;
    store::insert_user(conn, &p.as_new(&id, &org, "scim", ctx.now.naive_utc()))
        .map_err(|e| unique(e, "userName is already taken in this organization"))?;
    store::replace_user_emails(conn, &id, &email_rows(&incoming.resource, &id, &org))?;
    let mut data = user_data(&id, &p);
    data["user"]["provisioned_by"] = json!("scim");
    if let Some(prev) = &previous {
        data["recreated"] = json!(true);
        data["previous_user_id"] = json!(prev);
    }
    record_change(
        conn,
        &ctx,
        &Change {
            event_type: "user.created",
            organization_id: Some(&org),
            subject_type: "user",
            subject_id: &id,
            data,
        },
    )?;
    link_identity(conn, &ctx, caller, &id, p.external_id.as_deref())?;
    let row = store::find_live_user(conn, &org, &id)?.ok_or_else(|| not_found(&id))?;
    rendered(conn, &row, &base_url(app), None)
}

/// Stores a new version of `existing` from `resource` (PUT and PATCH): lifecycle
/// transitions, seats, profile columns, emails index, identity link, events.
pub(super) fn save(
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
    let was_active = existing.state == "active";
    let state = match wanted {
        Some(false) => "suspended",
        Some(true) => "active",
        None => existing.state.as_str(),
    };
    if state == "active" && !was_active {
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
        store::record_state_change(
            conn,
            &existing.id,
            ctx.now.naive_utc(),
            &actor.label(),
            None,
        )?;
    }
    store::replace_user_emails(
        conn,
        &existing.id,
        &email_rows(&resource, &existing.id, org),
    )?;
    link_identity(conn, &ctx, caller, &existing.id, p.external_id.as_deref())?;
    if existing.provisioned_by != "scim" {
        // A directory writing a user SSO created adopts it (as a create would).
        store::set_provisioned_by(conn, &existing.id, "scim")?;
    }
    let mut events = Vec::new();
    if !attrs_same {
        events.push("user.updated");
    }
    if state != existing.state {
        match state {
            "suspended" => events.push("user.suspended"),
            "active" => events.push("user.reactivated"),
            _ => {}
        }
    }
    for event_type in events {
        record_change(
            conn,
            &ctx,
            &Change {
                event_type,
                organization_id: Some(org),
                subject_type: "user",
                subject_id: &existing.id,
                data: user_data(&existing.id, &p),
            },
        )?;
    }
    let row =
        store::find_live_user(conn, org, &existing.id)?.ok_or_else(|| not_found(&existing.id))?;
    rendered(conn, &row, &base, None)
}

/// PATCH: the operations applied to the user as rendered, then saved when they change it.
pub(super) fn patch(
    conn: &mut DbConn,
    app: &AppState,
    caller: &Caller,
    existing: &UserRow,
    ops: &[PatchOperation],
) -> Result<Rendered, ServiceError> {
    let base = base_url(app);
    let current = render_one(conn, existing, &base)?;
    let outcome = apply_operations(RT, &current, ops)?;
    if !outcome.ignored.is_empty() {
        tracing::info!(scim.ignored = ?outcome.ignored, "ignored PATCH paths of unknown extensions");
    }
    if !outcome.changed {
        return rendered(conn, existing, &base, None);
    }
    save(conn, app, caller, existing, outcome.resource)
}

/// DELETE: the user is deprovisioned (kept, invisible to SCIM), loses its directory
/// identities and group memberships.
pub(super) fn delete(
    conn: &mut DbConn,
    app: &AppState,
    caller: &Caller,
    existing: &UserRow,
) -> Result<(), ServiceError> {
    let id = existing.id.clone();
    let org = caller.auth.organization_id.clone();
    let actor = caller.auth.actor();
    let ctx = ChangeContext::new(app, &actor, caller.request_id.as_deref());
    store::deprovision_user(conn, &id, existing.version + 1, ctx.now.naive_utc())?;
    store::record_state_change(conn, &id, ctx.now.naive_utc(), &actor.label(), None)?;
    store::delete_scim_identities(conn, &id)?;
    for group_id in store::remove_user_from_groups(conn, &id)? {
        record_change(
            conn,
            &ctx,
            &Change {
                event_type: "group.member_removed",
                organization_id: Some(&org),
                subject_type: "group",
                subject_id: &group_id,
                data: json!({ "group": { "id": group_id }, "user": { "id": id } }),
            },
        )?;
    }
    record_change(
        conn,
        &ctx,
        &Change {
            event_type: "user.deprovisioned",
            organization_id: Some(&org),
            subject_type: "user",
            subject_id: &id,
            data: json!({ "user": { "id": id, "userName": existing.user_name, "state": "deprovisioned" } }),
        },
    )?;
    Ok(())
}
