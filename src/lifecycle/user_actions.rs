//! The user actions of the app-facing API: suspend, reactivate, deprovision, and manual
//! roles. Each runs in one transaction that writes the change, exactly its documented
//! events and their audit entries (`record_change`); reactivation takes a seat under the
//! organization row lock, like SCIM does. Repeating an action whose target state holds
//! changes nothing.

use serde_json::{json, Value};

use crate::domain::EventType;
use super::users::{event_user, view_of, LifecycleError, UserView};
use crate::app::AppState;
use crate::changes::{record_change, Actor, Change, ChangeContext};
use crate::db::DbConn;
use crate::store::role_assignments::{self, NewRoleAssignment, SOURCE_MANUAL};
use crate::store::roles;
use crate::store::users::{self as store, LifecycleUser, StateChange};

/// The longest `reason` an app may give.
pub const MAX_REASON_CHARS: usize = 500;

/// Who asks for an action, and within which request.
#[derive(Debug, Clone)]
pub struct ActionContext {
    pub actor: Actor,
    pub request_id: Option<String>,
}

fn check_reason(reason: &Option<String>) -> Result<(), LifecycleError> {
    if let Some(r) = reason {
        if r.chars().count() > MAX_REASON_CHARS || r.chars().any(char::is_control) {
            return Err(LifecycleError::invalid(
                "reason",
                format!(
                    "must be at most {MAX_REASON_CHARS} characters, without control characters"
                ),
            ));
        }
    }
    Ok(())
}

/// Records the state change event of `user` (moved from `from` to `to`).
fn record_state_event(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    event_type: EventType,
    user: &LifecycleUser,
    to: &str,
    reason: Option<&str>,
) -> Result<(), LifecycleError> {
    record_change(
        conn,
        ctx,
        &Change {
            event_type,
            organization_id: Some(&user.organization_id),
            subject_type: "user",
            subject_id: &user.id,
            data: json!({
                "user": event_user(user, to),
                "previous_state": user.state,
                "reason": reason,
            }),
        },
    )?;
    Ok(())
}

fn concurrent() -> LifecycleError {
    LifecycleError::Transition(
        "the user's state changed while this request ran; read the user and retry".into(),
    )
}

/// `active` → `suspended`. Suspending a suspended user changes nothing (no event).
pub async fn suspend(
    app: &AppState,
    who: ActionContext,
    id: String,
    reason: Option<String>,
) -> Result<UserView, LifecycleError> {
    check_reason(&reason)?;
    let app2 = app.clone();
    app.db
        .write(move |conn| {
            let user =
                store::find_lifecycle_user(conn, &id)?.ok_or(LifecycleError::NotFound("user"))?;
            match user.state.as_str() {
                "suspended" => return view_of(conn, &id),
                "active" => {}
                "invited" => return Err(LifecycleError::Transition(
                    "cannot suspend an invited user: revoke the invitation or deprovision the user"
                        .into(),
                )),
                _ => {
                    return Err(LifecycleError::Transition(
                        "cannot suspend a deprovisioned user: deprovisioning is final".into(),
                    ))
                }
            }
            let ctx = ChangeContext::new(&app2, &who.actor, who.request_id.as_deref());
            let label = who.actor.label();
            let change = StateChange {
                to: "suspended",
                at: ctx.now.naive_utc(),
                by: &label,
                reason: reason.as_deref(),
            };
            if !store::transition_user_state(conn, &id, "active", &change)? {
                return Err(concurrent());
            }
            record_state_event(
                conn,
                &ctx,
                EventType::UserSuspended,
                &user,
                "suspended",
                reason.as_deref(),
            )?;
            view_of(conn, &id)
        })
        .await
}

/// `suspended` → `active`, if a seat is free (taken under the organization row lock).
/// Reactivating an active user changes nothing (no event).
pub async fn reactivate(
    app: &AppState,
    who: ActionContext,
    id: String,
    reason: Option<String>,
) -> Result<UserView, LifecycleError> {
    check_reason(&reason)?;
    let app2 = app.clone();
    app.db
        .write(move |conn| {
            let user = store::find_lifecycle_user(conn, &id)?.ok_or(LifecycleError::NotFound("user"))?;
            match user.state.as_str() {
                "active" => return view_of(conn, &id),
                "suspended" => {}
                "invited" => {
                    return Err(LifecycleError::Transition(
                        "cannot reactivate an invited user: the user becomes active by accepting the invitation".into(),
                    ))
                }
                _ => {
                    return Err(LifecycleError::Transition(
                        "cannot reactivate a deprovisioned user: deprovisioning is final; the IdP (SCIM) or a new login creates a new record".into(),
                    ))
                }
            }
            take_seat(conn, &user.organization_id)?;
            let ctx = ChangeContext::new(&app2, &who.actor, who.request_id.as_deref());
            let label = who.actor.label();
            let change = StateChange {
                to: "active",
                at: ctx.now.naive_utc(),
                by: &label,
                reason: reason.as_deref(),
            };
            if !store::transition_user_state(conn, &id, "suspended", &change)? {
                return Err(concurrent());
            }
            record_state_event(conn, &ctx, EventType::UserReactivated, &user, "active", reason.as_deref())?;
            view_of(conn, &id)
        })
        .await
}

/// Fails with `SeatLimit` when one more active user would exceed `max_seats`. Locks the
/// organization row first, so concurrent seat takers (SCIM, JIT, this API) serialize.
fn take_seat(conn: &mut DbConn, org: &str) -> Result<(), LifecycleError> {
    match store::check_seat(conn, org)? {
        store::Seat::Available => Ok(()),
        store::Seat::LimitReached(max) => Err(LifecycleError::SeatLimit(max)),
        store::Seat::UnknownOrganization => Err(LifecycleError::NotFound("organization")),
    }
}

/// Deprovisions `user` (in state `user.state`) inside the caller's transaction: group
/// memberships go (one `group.member_removed` each, as on SCIM DELETE), SCIM identities
/// go (the IdP may create the person again, which must link to a fresh record), the
/// record stays in state `deprovisioned`, and `user.deprovisioned` is recorded. Returns
/// false when the state changed concurrently.
pub(crate) fn deprovision_in(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    user: &LifecycleUser,
    reason: Option<&str>,
) -> Result<bool, LifecycleError> {
    let label = ctx.actor.label();
    let change = StateChange {
        to: store::DEPROVISIONED,
        at: ctx.now.naive_utc(),
        by: &label,
        reason,
    };
    if !store::transition_user_state(conn, &user.id, &user.state, &change)? {
        return Ok(false);
    }
    finish_deprovision(conn, ctx, user, reason)?;
    Ok(true)
}

/// What follows the state change of a deprovisioning: memberships, SCIM identities and
/// the events.
pub(crate) fn finish_deprovision(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    user: &LifecycleUser,
    reason: Option<&str>,
) -> Result<(), LifecycleError> {
    store::delete_scim_identities(conn, &user.id)?;
    for group_id in store::remove_user_from_groups(conn, &user.id)? {
        record_change(
            conn,
            ctx,
            &Change {
                event_type: EventType::GroupMemberRemoved,
                organization_id: Some(&user.organization_id),
                subject_type: "group",
                subject_id: &group_id,
                data: json!({ "group": { "id": group_id }, "user": { "id": user.id } }),
            },
        )?;
    }
    record_state_event(
        conn,
        ctx,
        EventType::UserDeprovisioned,
        user,
        store::DEPROVISIONED,
        reason,
    )
}

/// Any live state → `deprovisioned`; the record stays. Deprovisioning a deprovisioned user
/// changes nothing (no event).
pub async fn deprovision(
    app: &AppState,
    who: ActionContext,
    id: String,
    reason: Option<String>,
) -> Result<UserView, LifecycleError> {
    check_reason(&reason)?;
    let app2 = app.clone();
    app.db
        .write(move |conn| {
            let user =
                store::find_lifecycle_user(conn, &id)?.ok_or(LifecycleError::NotFound("user"))?;
            if user.state == store::DEPROVISIONED {
                return view_of(conn, &id);
            }
            let ctx = ChangeContext::new(&app2, &who.actor, who.request_id.as_deref());
            if !deprovision_in(conn, &ctx, &user, reason.as_deref())? {
                return Err(concurrent());
            }
            view_of(conn, &id)
        })
        .await
}

fn role_data(
    user: &LifecycleUser,
    role: &roles::Role,
    source: &str,
    previous: Option<&str>,
) -> Value {
    json!({
        "user": { "id": user.id, "userName": user.user_name },
        "role": { "id": role.id, "key": role.key, "name": role.name, "privileged": role.privileged },
        "source": source,
        "previous_source": previous,
    })
}

fn live_user(conn: &mut DbConn, id: &str) -> Result<LifecycleUser, LifecycleError> {
    let user = store::find_lifecycle_user(conn, id)?.ok_or(LifecycleError::NotFound("user"))?;
    if user.state == store::DEPROVISIONED {
        return Err(LifecycleError::Transition(
            "the user is deprovisioned: its roles can no longer change".into(),
        ));
    }
    Ok(user)
}

/// Gives the user a role with source `manual` (logins never take it away). A role held
/// from another source becomes manual; a role already held manually changes nothing.
pub async fn assign_role(
    app: &AppState,
    who: ActionContext,
    id: String,
    role: String,
) -> Result<UserView, LifecycleError> {
    let app2 = app.clone();
    app.db
        .write(move |conn| {
            let user = live_user(conn, &id)?;
            let role = roles::find_role(conn, &user.organization_id, &role)?
                .ok_or(LifecycleError::NotFound("role"))?;
            let held = role_assignments::roles_of_user(conn, &id)?
                .into_iter()
                .find(|h| h.role_id == role.id);
            let previous = match &held {
                Some(h) if h.source == SOURCE_MANUAL => return view_of(conn, &id),
                Some(h) => {
                    role_assignments::delete_role_assignment(conn, &id, &role.id)?;
                    Some(h.source.clone())
                }
                None => None,
            };
            let ctx = ChangeContext::new(&app2, &who.actor, who.request_id.as_deref());
            let assignment_id = app2.ids.id();
            role_assignments::insert_role_assignment(
                conn,
                &NewRoleAssignment {
                    id: &assignment_id,
                    user_id: &id,
                    role_id: &role.id,
                    source: SOURCE_MANUAL,
                    created_at: ctx.now.naive_utc(),
                },
            )?;
            store::touch_user(conn, &id, ctx.now.naive_utc())?;
            record_change(
                conn,
                &ctx,
                &Change {
                    event_type: EventType::RoleAssigned,
                    organization_id: Some(&user.organization_id),
                    subject_type: "user",
                    subject_id: &id,
                    data: role_data(&user, &role, SOURCE_MANUAL, previous.as_deref()),
                },
            )?;
            view_of(conn, &id)
        })
        .await
}

/// Takes a role away, whatever its source. Removing a role the user does not hold changes
/// nothing (no event).
pub async fn unassign_role(
    app: &AppState,
    who: ActionContext,
    id: String,
    role: String,
) -> Result<UserView, LifecycleError> {
    let app2 = app.clone();
    app.db
        .write(move |conn| {
            let user = live_user(conn, &id)?;
            let role = roles::find_role(conn, &user.organization_id, &role)?
                .ok_or(LifecycleError::NotFound("role"))?;
            let Some(held) = role_assignments::roles_of_user(conn, &id)?
                .into_iter()
                .find(|h| h.role_id == role.id)
            else {
                return view_of(conn, &id);
            };
            role_assignments::delete_role_assignment(conn, &id, &role.id)?;
            let ctx = ChangeContext::new(&app2, &who.actor, who.request_id.as_deref());
            store::touch_user(conn, &id, ctx.now.naive_utc())?;
            record_change(
                conn,
                &ctx,
                &Change {
                    event_type: EventType::RoleUnassigned,
                    organization_id: Some(&user.organization_id),
                    subject_type: "user",
                    subject_id: &id,
                    data: role_data(&user, &role, &held.source, None),
                },
            )?;
            view_of(conn, &id)
        })
        .await
}
