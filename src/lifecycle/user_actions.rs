//! The user actions of the app-facing API: suspend, reactivate, deprovision, and manual
//! roles. Each runs in one transaction that writes the change, exactly its documented
//! events and their audit entries (`record_change`); reactivation takes a seat under the
//! organization row lock, like SCIM does. Repeating an action whose target state holds
//! changes nothing.

use serde_json::{json, Value};

use super::transitions::{self, Seat, Subject};

use super::users::{view_of, LifecycleError, UserView};
use crate::app::AppState;
use crate::changes::{record_change, Actor, Change, ChangeContext};
use crate::db::DbConn;
use crate::domain::EventType;
use crate::domain::{OrgId, UserState};
use crate::store::role_assignments::{self, NewRoleAssignment, SOURCE_MANUAL};
use crate::store::roles;
use crate::store::users::{self as store, LifecycleUser};

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

/// Moves `user` to `to` through the lifecycle owner and answers the user as it is now; a
/// state changed by someone else since `user` was read is a conflict to retry.
fn move_to(
    conn: &mut DbConn,
    app: &AppState,
    who: &ActionContext,
    user: &LifecycleUser,
    to: UserState,
    reason: Option<&str>,
) -> Result<UserView, LifecycleError> {
    let ctx = ChangeContext::new(app, &who.actor, who.request_id.as_deref());
    if !transitions::transition(conn, &ctx, &Subject::from(user), to, reason)? {
        return Err(LifecycleError::Transition(
            "the user's state changed while this request ran; read the user and retry".into(),
        ));
    }
    view_of(conn, &user.id)
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
            match user.state {
                UserState::Suspended => return view_of(conn, &id),
                UserState::Active => {}
                UserState::Invited => return Err(LifecycleError::Transition(
                    "cannot suspend an invited user: revoke the invitation or deprovision the user"
                        .into(),
                )),
                UserState::Deprovisioned => {
                    return Err(LifecycleError::Transition(
                        "cannot suspend a deprovisioned user: deprovisioning is final".into(),
                    ))
                }
            }
            move_to(
                conn,
                &app2,
                &who,
                &user,
                UserState::Suspended,
                reason.as_deref(),
            )
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
            match user.state {
                UserState::Active => return view_of(conn, &id),
                UserState::Suspended => {}
                UserState::Invited => {
                    return Err(LifecycleError::Transition(
                        "cannot reactivate an invited user: the user becomes active by accepting the invitation".into(),
                    ))
                }
                UserState::Deprovisioned => {
                    return Err(LifecycleError::Transition(
                        "cannot reactivate a deprovisioned user: deprovisioning is final; the IdP (SCIM) or a new login creates a new record".into(),
                    ))
                }
            }
            take_seat(conn, &user.organization_id)?;
            move_to(conn, &app2, &who, &user, UserState::Active, reason.as_deref())
        })
        .await
}

/// Fails with `SeatLimit` when one more active user would exceed `max_seats`. Locks the
/// organization row first, so concurrent seat takers (SCIM, JIT, this API) serialize.
fn take_seat(conn: &mut DbConn, org: &str) -> Result<(), LifecycleError> {
    match transitions::check_seat(conn, &OrgId::new(org))? {
        Seat::Available => Ok(()),
        Seat::LimitReached(max) => Err(LifecycleError::SeatLimit(max)),
        Seat::UnknownOrganization => Err(LifecycleError::NotFound("organization")),
    }
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
            if user.state == UserState::Deprovisioned {
                return view_of(conn, &id);
            }
            move_to(
                conn,
                &app2,
                &who,
                &user,
                UserState::Deprovisioned,
                reason.as_deref(),
            )
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
    if user.state == UserState::Deprovisioned {
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
