//! What POST, PUT, PATCH and DELETE do to a user inside their write transaction:
//! lifecycle (active ↔ suspended, DELETE → deprovisioned), seats (`max_seats`), the
//! profile columns and emails index, the identity link, and the `user.*` events.

use serde_json::Value;

use super::identity::{adopt_sso_user, link_identity};
use super::profile::{email_rows, profile, storable};
use super::render::{render, render_one, rendered};
use super::{not_found, RT};
use crate::app::AppState;
use crate::changes::ChangeContext;
use crate::db::DbConn;
use crate::domain::{OrgId, Provenance, UserState};
use crate::lifecycle::transitions::{self, Seat, Subject, Update};
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
    match transitions::check_seat(conn, &OrgId::new(org))? {
        Seat::Available => Ok(()),
        Seat::LimitReached(max) => Err(seat_limit(max).into()),
        Seat::UnknownOrganization => Err(ScimError::not_found("organization not found").into()),
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
    let state = if want_active {
        UserState::Active
    } else {
        UserState::Suspended
    };
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
    let new = p.as_new(&id, &org, Provenance::Scim, ctx.now.naive_utc());
    transitions::create(conn, &ctx, &new, None, previous)
        .map_err(|e| unique(e, "userName is already taken in this organization"))?;
    store::replace_user_emails(conn, &id, &email_rows(&incoming.resource, &id, &org))?;
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
    // Deprovisioning is a compare-and-set on the state: when an app action or the
    // inactivity policy changed it since the read, read the user again and retry; a user
    // deprovisioned meanwhile is gone for SCIM (404).
    let mut current = existing.clone();
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
}
