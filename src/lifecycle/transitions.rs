//! The one owner of user lifecycle: every change of a user's state, the seat check that
//! guards activation, and every `user.*` event go through here, whoever causes them (SCIM,
//! JIT login, invitations, the app API, the inactivity policy). Callers run these inside
//! their own write transaction; each function writes its change and its event together.
//!
//! The payload of each event type is one struct (`payloads.rs`).

use chrono::{DateTime, NaiveDateTime, Utc};

pub use super::payloads::{
    EventUser, Subject, UserCreated, UserDeprovisioned, UserEvent, UserLogin, UserReactivated,
    UserSuspended, UserUpdated,
};
use crate::changes::{record_change, Change, ChangeContext};
use crate::db::DbConn;
use crate::domain::{ConnectionId, EventType, LinkedBy, OrgId, Provenance, UserId, UserState};
pub use crate::store::users::Seat;
use crate::store::users::{self as store, NewUser, StateChange};
use crate::store::{StoreError, StoreResult};

/// Records one `user.*` event about `subject`.
pub fn record(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    subject: &Subject,
    event: &UserEvent,
) -> StoreResult<()> {
    let data = event
        .data()
        .map_err(|e| StoreError::Corrupt(format!("event payload: {e}")))?;
    record_change(
        conn,
        ctx,
        &Change {
            event_type: event.event_type(),
            organization_id: Some(subject.organization_id.as_str()),
            subject_type: "user",
            subject_id: subject.id(),
            data,
        },
    )?;
    Ok(())
}

/// The seat check of every path that makes a user active: takes the organization's seat
/// lock and counts. Call inside the write transaction that then activates the user.
pub fn check_seat(conn: &mut DbConn, organization_id: &OrgId) -> StoreResult<Seat> {
    store::check_seat(conn, organization_id.as_str())
}

/// Inserts a new user record and records `user.created`. `connection_id`: the SAML
/// connection of a JIT creation; `previous_user_id`: a deprovisioned record of the same
/// userName (SCIM re-creating the person).
pub fn create(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    new: &NewUser<'_>,
    connection_id: Option<&ConnectionId>,
    previous_user_id: Option<String>,
) -> StoreResult<Subject> {
    store::insert_user(conn, new)?;
    let subject = Subject {
        organization_id: OrgId::new(new.organization_id),
        user: EventUser {
            id: UserId::new(new.id),
            user_name: new.user_name.to_owned(),
            external_id: new.external_id.map(str::to_owned),
            email: new.email.map(str::to_owned),
            state: new.state,
            provisioned_by: new.provisioned_by,
        },
    };
    let event = UserEvent::Created(UserCreated {
        user: subject.user.clone(),
        source: new.provisioned_by,
        connection_id: connection_id.cloned(),
        recreated: previous_user_id.is_some(),
        previous_user_id,
    });
    record(conn, ctx, &subject, &event)?;
    Ok(subject)
}

/// What a `user.updated` says beyond the user.
pub struct Update {
    pub changed: Option<Vec<String>>,
    pub source: Provenance,
    pub previously_provisioned_by: Option<Provenance>,
}

/// Records `user.updated` for `subject` (as it is after the update).
pub fn record_updated(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    subject: &Subject,
    update: Update,
) -> StoreResult<()> {
    let event = UserEvent::Updated(UserUpdated {
        user: subject.user.clone(),
        changed: update.changed,
        source: update.source,
        adopted: update.previously_provisioned_by.is_some(),
        previously_provisioned_by: update.previously_provisioned_by,
    });
    record(conn, ctx, subject, &event)
}

/// Hands a record SSO created over to SCIM (`provisioned_by`): the directory is its
/// authority from now on, and JIT-only policies skip it.
pub fn adopt_for_scim(conn: &mut DbConn, user_id: &UserId) -> StoreResult<()> {
    store::set_provisioned_by(conn, user_id.as_str(), Provenance::Scim)
}

/// The state event of a move of `subject` from `from` to its current state.
fn state_event(
    subject: &Subject,
    from: UserState,
    reason: Option<&str>,
    last_activity_at: Option<DateTime<Utc>>,
) -> Option<UserEvent> {
    let user = subject.user.clone();
    let reason = reason.map(str::to_owned);
    match subject.state() {
        UserState::Suspended => Some(UserEvent::Suspended(UserSuspended {
            user,
            previous_state: from,
            reason,
            last_activity_at,
        })),
        UserState::Active => Some(UserEvent::Reactivated(UserReactivated {
            user,
            previous_state: from,
            reason,
        })),
        UserState::Deprovisioned => Some(UserEvent::Deprovisioned(UserDeprovisioned {
            user,
            previous_state: from,
            reason,
        })),
        // A record never moves back to invited.
        UserState::Invited => None,
    }
}

/// Notes who changed the state of `user_id` and why, when the caller wrote the state
/// itself as part of a profile update (SCIM PUT/PATCH `active`).
pub fn stamp_state_change(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    user_id: &UserId,
    reason: Option<&str>,
) -> StoreResult<()> {
    store::record_state_change(
        conn,
        user_id.as_str(),
        ctx.now.naive_utc(),
        &ctx.actor.label(),
        reason,
    )
}

/// Records the state event of a move that a profile update wrote ([`stamp_state_change`]):
/// `subject` is the user after it, `from` the state before.
pub fn record_state_written(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    subject: &Subject,
    from: UserState,
) -> StoreResult<()> {
    match state_event(subject, from, None, None) {
        Some(event) => record(conn, ctx, subject, &event),
        None => Ok(()),
    }
}

fn state_change<'a>(
    ctx: &ChangeContext<'_>,
    to: UserState,
    by: &'a str,
    reason: Option<&'a str>,
) -> StateChange<'a> {
    StateChange {
        to,
        at: ctx.now.naive_utc(),
        by,
        reason,
    }
}

fn moved(subject: &Subject, to: UserState) -> Subject {
    let mut after = subject.clone();
    after.user.state = to;
    after
}

/// Moves `subject` from its current state to `to` (compare-and-set on the state: false
/// when it changed concurrently, nothing written) and records the event (`user.suspended`,
/// `user.reactivated`, `user.deprovisioned`). Deprovisioning also drops the user's group
/// memberships (one `group.member_removed` each, first) and SCIM identity links. The
/// caller checks the seat before making a user active ([`check_seat`]).
pub fn transition(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    subject: &Subject,
    to: UserState,
    reason: Option<&str>,
) -> StoreResult<bool> {
    let label = ctx.actor.label();
    let change = state_change(ctx, to, &label, reason);
    if !store::transition_user_state(conn, subject.id(), subject.state(), &change)? {
        return Ok(false);
    }
    after_transition(conn, ctx, subject, to, reason, None)?;
    Ok(true)
}

/// What follows a state change: a deprovisioning's clean-up, and the event.
fn after_transition(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    subject: &Subject,
    to: UserState,
    reason: Option<&str>,
    last_activity_at: Option<DateTime<Utc>>,
) -> StoreResult<()> {
    if to == UserState::Deprovisioned {
        remove_memberships(conn, ctx, subject)?;
    }
    let after = moved(subject, to);
    match state_event(&after, subject.state(), reason, last_activity_at) {
        Some(event) => record(conn, ctx, &after, &event),
        None => Ok(()),
    }
}

/// A deprovisioned user's group memberships and SCIM identities go (the IdP may create
/// the person again, which must then link to a fresh record); SAML links stay, so a later
/// login finds the record and is refused.
fn remove_memberships(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    subject: &Subject,
) -> StoreResult<()> {
    store::delete_scim_identities(conn, subject.id())?;
    for group_id in store::remove_user_from_groups(conn, subject.id())? {
        record_change(
            conn,
            ctx,
            &Change {
                event_type: EventType::GroupMemberRemoved,
                organization_id: Some(subject.organization_id.as_str()),
                subject_type: "group",
                subject_id: &group_id,
                data: serde_json::json!({ "group": { "id": group_id }, "user": { "id": subject.id() } }),
            },
        )?;
    }
    Ok(())
}

/// An invitee's first login: `invited` → `active` (compare-and-set; false when another
/// login accepted it first). Its event is the caller's `invitation.accepted`.
pub fn accept_invitation(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    user_id: &UserId,
    reason: &str,
) -> StoreResult<bool> {
    let label = ctx.actor.label();
    let change = state_change(ctx, UserState::Active, &label, Some(reason));
    store::transition_user_state(conn, user_id.as_str(), UserState::Invited, &change)
}

/// The inactivity policy's suspension: only if `subject` is still an active JIT-only user
/// inactive since before `cutoff` (a guarded update, so a login or another replica in
/// between makes it a no-op). Records `user.suspended` with `last_activity_at`.
pub fn suspend_if_inactive(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    subject: &Subject,
    cutoff: NaiveDateTime,
    reason: &str,
    last_activity_at: DateTime<Utc>,
) -> StoreResult<bool> {
    let label = ctx.actor.label();
    let change = state_change(ctx, UserState::Suspended, &label, Some(reason));
    if !store::suspend_if_inactive(conn, subject.id(), cutoff, &change)? {
        return Ok(false);
    }
    after_transition(
        conn,
        ctx,
        subject,
        UserState::Suspended,
        Some(reason),
        Some(last_activity_at),
    )?;
    Ok(true)
}

/// The inactivity policy's deprovisioning: only if `subject` is still suspended for
/// `reason` since before `cutoff`.
pub fn deprovision_if_suspended_for(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    subject: &Subject,
    reason: &str,
    cutoff: NaiveDateTime,
) -> StoreResult<bool> {
    let label = ctx.actor.label();
    let change = state_change(ctx, UserState::Deprovisioned, &label, Some(reason));
    if !store::deprovision_if_suspended_for(conn, subject.id(), reason, cutoff, &change)? {
        return Ok(false);
    }
    after_transition(
        conn,
        ctx,
        subject,
        UserState::Deprovisioned,
        Some(reason),
        None,
    )?;
    Ok(true)
}

/// Records a login of `subject` (`last_login_at`, `user.login`).
pub fn record_login(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    subject: &Subject,
    is_new_user: bool,
    linked_by: LinkedBy,
    connection_id: &ConnectionId,
) -> StoreResult<()> {
    store::record_login(conn, subject.id(), ctx.now.naive_utc())?;
    let event = UserEvent::Login(UserLogin {
        user: subject.user.clone(),
        is_new_user,
        linked_by,
        connection_id: connection_id.clone(),
    });
    record(conn, ctx, subject, &event)
}
