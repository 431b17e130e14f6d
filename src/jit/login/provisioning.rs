//! What a login does to the record once linking is decided: create it (step 4), accept
//! an invitation, or sync a returning user; seats, roles and the login's events.

use serde_json::json;

use super::linking::attach_name_id;
use super::{JitError, LoginOutcome, LoginRequest, Refusal};
use crate::changes::{record_change, Change, ChangeContext};
use crate::db::DbConn;
use crate::domain::EventType;
use crate::domain::{ConnectionId, LinkedBy, Provenance, UserState};
use crate::jit::profile;
use crate::jit::roles::{apply_roles, assign_role, wanted_roles};
use crate::lifecycle::transitions::{self, Seat, Subject, Update};
use crate::store::identities::{self};
use crate::store::invitations;
use crate::store::orgs::Organization;
use crate::store::role_assignments::SOURCE_MANUAL;
use crate::store::roles::find_role;
use crate::store::users::{self as users_store, UserRow};
use crate::store::StoreError;

/// Fails when one more active user would exceed `max_seats`. Takes the organization row
/// lock first, so seat takers of SAML and SCIM serialize (design invariant 2).
pub(super) fn take_seat(conn: &mut DbConn, org: &Organization) -> Result<(), JitError> {
    match transitions::check_seat(conn, &org.org_id())? {
        Seat::Available => Ok(()),
        Seat::LimitReached(max) => Err(Refusal::SeatLimit(max).into()),
        Seat::UnknownOrganization => Err(Refusal::UnknownOrganization.into()),
    }
}

pub(super) fn create(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    org: Organization,
    req: &LoginRequest<'_>,
    domain_verified: bool,
    keyed: bool,
) -> Result<LoginOutcome, JitError> {
    if !org.jit_enabled {
        return Err(Refusal::JitDisabled.into());
    }
    if !domain_verified {
        return Err(Refusal::DomainNotVerified(req.profile.email_domain().to_owned()).into());
    }
    take_seat(conn, &org)?;
    let p = profile::new_profile(req.profile, UserState::Active);
    let id = ctx.ids.id();
    let now = ctx.now.naive_utc();
    let new = p.as_new(&id, &org.id, Provenance::Jit, now);
    transitions::create(conn, ctx, &new, Some(req.connection_id), None)?;
    users_store::replace_user_emails(
        conn,
        &id,
        &[profile::email_row(&id, &org.id, &req.profile.email_lower)],
    )?;
    if keyed {
        attach_name_id(conn, ctx, &org, req, &id)?;
    }
    roles_from_groups(conn, ctx, &org, req, &id)?;
    finish_login(
        conn,
        ctx,
        org,
        &id,
        true,
        LinkedBy::Created,
        req.connection_id,
    )
}

/// An invitee's first login: the invitation must still be pending; it takes a seat.
pub(super) fn accept_invitation(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    org: Organization,
    req: &LoginRequest<'_>,
    user: UserRow,
    domain_verified: bool,
) -> Result<LoginOutcome, JitError> {
    let now = ctx.now.naive_utc();
    let inv = invitations::invitation_of_user(conn, &user.id)?.ok_or(Refusal::InvitationExpired)?;
    match inv.status(now) {
        "pending" => {}
        "revoked" => return Err(Refusal::InvitationRevoked.into()),
        _ => return Err(Refusal::InvitationExpired.into()),
    }
    take_seat(conn, &org)?;
    if !invitations::accept_invitation(conn, &inv.id, now)?
        || !transitions::accept_invitation(conn, ctx, &user.user_id(), "invitation_accepted")?
    {
        // Another login accepted it a moment ago: run again and link to that result.
        return Err(JitError::Race);
    }
    // Read back: the activation changed state and version.
    let user = identities::find_user_any_state(conn, &org.id, &user.id)?
        .ok_or_else(|| StoreError::Corrupt(format!("user {} vanished", user.id)))?;
    sync_profile(conn, ctx, &org, req, &user, domain_verified)?;
    let role = match &inv.role_id {
        Some(role_id) => find_role(conn, &org.id, role_id)?,
        None => None,
    };
    match role {
        // The role an admin chose for the invitee is a manual choice.
        Some(role) => assign_role(conn, ctx, &org, &user.id, &role, SOURCE_MANUAL)?,
        None => {
            roles_from_groups(conn, ctx, &org, req, &user.id)?;
        }
    }
    record_change(
        conn,
        ctx,
        &Change {
            event_type: EventType::InvitationAccepted,
            organization_id: Some(&org.id),
            subject_type: "user",
            subject_id: &user.id,
            data: json!({
                "user": { "id": user.id, "email": user.email, "state": UserState::Active },
                "invitation": { "id": inv.id },
                "connection_id": req.connection_id,
            }),
        },
    )?;
    finish_login(
        conn,
        ctx,
        org,
        &user.id,
        false,
        LinkedBy::Invitation,
        req.connection_id,
    )
}

/// A known, active user: sync the profile (when the organization wants it) and the
/// login-managed roles.
pub(super) fn returning(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    org: Organization,
    req: &LoginRequest<'_>,
    user: UserRow,
    linked_by: LinkedBy,
    domain_verified: bool,
) -> Result<LoginOutcome, JitError> {
    if org.sync_attributes_on_login {
        sync_profile(conn, ctx, &org, req, &user, domain_verified)?;
    }
    // Every login re-derives the login-managed roles, so clearing a mapping or making a
    // role privileged takes effect at the next login.
    roles_from_groups(conn, ctx, &org, req, &user.id)?;
    finish_login(
        conn,
        ctx,
        org,
        &user.id,
        false,
        linked_by,
        req.connection_id,
    )
}

/// Writes the assertion's profile fields into the user; a `user.updated` event lists
/// the fields that changed. The email is synced only for users whose email JIT owns (JIT
/// and invitees; a SCIM directory keeps its own multi-valued emails), and only to an
/// address on a domain verified for the organization (`domain_verified`) or to the one the
/// user already has (an invitee's own address, which an admin vouched for, may be on any
/// domain): an IdP-side attribute must not give a user an address the organization does
/// not own, which the app and the email step of linking would then trust.
pub(super) fn sync_profile(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    org: &Organization,
    req: &LoginRequest<'_>,
    user: &UserRow,
    domain_verified: bool,
) -> Result<(), JitError> {
    let owns_email = user.provisioned_by.sso_owned();
    let own_address = user.email_lower.as_deref() == Some(req.profile.email_lower.as_str());
    let may_set_email = domain_verified || own_address;
    if owns_email && !may_set_email {
        tracing::warn!(
            org.id = %org.id,
            user.id = %user.id,
            "login email not synced: its domain is not verified for the organization"
        );
    }
    let Some((p, changed)) = profile::sync(user, req.profile, owns_email && may_set_email) else {
        return Ok(());
    };
    let now = ctx.now.naive_utc();
    users_store::update_user(conn, &user.id, &p, user.version + 1, now)?;
    if changed.contains(&"email") {
        users_store::replace_user_emails(
            conn,
            &user.id,
            &[profile::email_row(
                &user.id,
                &org.id,
                &req.profile.email_lower,
            )],
        )?;
    }
    transitions::record_updated(
        conn,
        ctx,
        &Subject::from_profile(&user.id, &org.id, &p, user.provisioned_by),
        Update {
            changed: Some(changed.iter().map(|c| (*c).to_owned()).collect()),
            source: Provenance::Jit,
            previously_provisioned_by: None,
        },
    )?;
    Ok(())
}

/// Grants the roles the login's IdP groups map to (never a privileged one unless the
/// organization allows it; refused ones are logged) and drops login-managed roles the
/// groups no longer give.
fn roles_from_groups(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    org: &Organization,
    req: &LoginRequest<'_>,
    user_id: &str,
) -> Result<(), JitError> {
    let wanted = wanted_roles(conn, org, req.group_role_mapping, &req.profile.groups)?;
    if !wanted.refused_privileged.is_empty() {
        tracing::warn!(roles = ?wanted.refused_privileged, "privileged roles from IdP groups not granted");
    }
    apply_roles(conn, ctx, org, user_id, &wanted)?;
    Ok(())
}

/// Records the login (`last_login_at`, `user.login`) and reads the user back.
pub(super) fn finish_login(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    org: Organization,
    user_id: &str,
    is_new_user: bool,
    linked_by: LinkedBy,
    connection_id: &ConnectionId,
) -> Result<LoginOutcome, JitError> {
    let user = identities::find_user_any_state(conn, &org.id, user_id)?
        .ok_or_else(|| StoreError::Corrupt(format!("user {user_id} vanished")))?;
    let subject = Subject::from(&user);
    transitions::record_login(conn, ctx, &subject, is_new_user, linked_by, connection_id)?;
    let user = UserRow {
        last_login_at: Some(ctx.now.naive_utc()),
        ..user
    };
    Ok(LoginOutcome {
        user,
        organization: org,
        is_new_user,
        linked_by,
    })
}
