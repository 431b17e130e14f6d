//! The JIT policy of one verified SAML login, run inside one write transaction: find the
//! person's user record (linking), refuse what the organization's policy refuses, create
//! or update the record, and record every change as an event.
//!
//! Linking order (the ExternalSsoId rule):
//! 1. the identity (connection, NameID), when the NameID format is persistent or
//!    unspecified — transient and email-format NameIDs are never keys;
//! 2. a user a SCIM directory of the organization holds under the NameID (its externalId,
//!    or the userName of a user SCIM provisioned), for persistent, unspecified and email
//!    NameIDs — never transient ones; two such users are a conflict;
//! 3. the email, when its domain is verified for the organization (or the user is an
//!    invitee, whose exact email an admin vouched for);
//! 4. creation, when `jit_enabled` and the email's domain is verified for the
//!    organization.
//!
//! Deprovisioning wins: a suspended or deprovisioned record is refused, never re-created
//! or re-activated. Two first logins of one person racing each other (or a SCIM create)
//! meet on the unique indexes; the loser gets [`JitError::Race`] and its caller retries
//! the whole transaction, which then links to the winner's record.
//!
//! A user has at most one NameID per connection (a unique index backs it): a NameID is
//! never linked — freshly, or taken over from a deprovisioned record — to a user who
//! holds another NameID of that connection. That would let whoever controls the other IdP
//! account (say, one whose email attribute its holder can edit) sign in as that user.
//!
//! Profile sync writes an email only on a domain verified for the organization (or the
//! invitee's own address): the app and step 3 trust that email.
//!
//! Over 400 lines on purpose: one login decision read top to bottom; it shrinks when its
//! state changes and `user.*` events move to the lifecycle owner (issue 14, point 3).

use std::collections::BTreeMap;

use serde_json::json;

use super::mapping::{MappedProfile, NAMEID_EMAIL, NAMEID_UNSPECIFIED};
use super::profile;
use super::roles::{apply_roles, assign_role, wanted_roles};
use crate::changes::{record_change, Change, ChangeContext};
use crate::db::DbConn;
use crate::domain::EventType;
use crate::domain::{
    ConnectionId, IdentitySourceKind, LinkedBy, OrgId, Provenance, SsoFailureReason, UserState,
};
use crate::lifecycle::transitions::{self, Seat, Subject, Update};
use crate::saml::response::ValidatedAssertion;
use crate::store::identities::{self, IdentityRow};
use crate::store::invitations;
use crate::store::orgs::{find_organization, Organization};
use crate::store::role_assignments::SOURCE_MANUAL;
use crate::store::roles::find_role;
use crate::store::users::{self as users_store, NewIdentity, UserRow};
use crate::store::{domains, StoreError};

const NAMEID_PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";

/// What the ACS knows about the login, after verification and mapping.
pub struct LoginRequest<'a> {
    pub organization_id: &'a OrgId,
    pub connection_id: &'a ConnectionId,
    pub group_role_mapping: &'a BTreeMap<String, String>,
    /// The verified assertion: the NameID is read from it, never from the document.
    pub assertion: &'a ValidatedAssertion,
    pub profile: &'a MappedProfile,
}

impl LoginRequest<'_> {
    fn name_id(&self) -> &str {
        self.assertion.name_id()
    }

    fn name_id_format(&self) -> Option<&str> {
        self.assertion.name_id_format()
    }
}

/// A login JIT admitted.
#[derive(Debug)]
pub struct LoginOutcome {
    pub user: UserRow,
    pub organization: Organization,
    pub is_new_user: bool,
    /// How the record was found: `identity`, `scim`, `email`, `invitation` or `created`.
    pub linked_by: LinkedBy,
}

/// A login the organization's policy refuses. Nothing is written but the `sso.failed`
/// event the caller records.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the organization no longer exists")]
    UnknownOrganization,
    #[error("just-in-time provisioning is disabled for this organization")]
    JitDisabled,
    #[error("the email domain `{0}` is not verified for this organization")]
    DomainNotVerified(String),
    #[error("the organization's seat limit of {0} is reached")]
    SeatLimit(i32),
    #[error("the user is suspended")]
    UserSuspended,
    #[error("the user is deprovisioned")]
    UserDeprovisioned,
    #[error("{0}")]
    IdentityConflict(&'static str),
    #[error("the invitation for this email has expired")]
    InvitationExpired,
    #[error("the invitation for this email was revoked")]
    InvitationRevoked,
}

impl Refusal {
    /// The machine reason (`sso.failed` events, logs, the app's `error` parameter).
    pub fn reason(&self) -> SsoFailureReason {
        match self {
            Refusal::UnknownOrganization => SsoFailureReason::UnknownOrganization,
            Refusal::JitDisabled => SsoFailureReason::JitDisabled,
            Refusal::DomainNotVerified(_) => SsoFailureReason::DomainNotVerified,
            Refusal::SeatLimit(_) => SsoFailureReason::SeatLimit,
            Refusal::UserSuspended => SsoFailureReason::UserSuspended,
            Refusal::UserDeprovisioned => SsoFailureReason::UserDeprovisioned,
            Refusal::IdentityConflict(_) => SsoFailureReason::IdentityConflict,
            Refusal::InvitationExpired => SsoFailureReason::InvitationExpired,
            Refusal::InvitationRevoked => SsoFailureReason::InvitationRevoked,
        }
    }

    /// [`Refusal::reason`] as its stable label.
    pub fn kind(&self) -> &'static str {
        self.reason().as_str()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JitError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// A concurrent first login or SCIM create of the same person committed first
    /// (unique violation; on PostgreSQL the transaction is aborted): retry it whole.
    #[error("a concurrent request provisioned the same person")]
    Race,
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for JitError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::UniqueViolation(_) => JitError::Race,
            other => JitError::Store(other),
        }
    }
}

impl From<crate::db::DbError> for JitError {
    fn from(e: crate::db::DbError) -> Self {
        JitError::Store(StoreError::Db(e))
    }
}

/// Whether a NameID of this format may key an identity: persistent or unspecified
/// (Okta and others send unspecified for stable ids). Transient ids change every login;
/// email-format ids are emails, matched as emails (step 3), never as identities.
pub fn name_id_is_key(format: Option<&str>) -> bool {
    match format {
        None => true,
        Some(f) => f == NAMEID_PERSISTENT || f == NAMEID_UNSPECIFIED,
    }
}

/// Runs the JIT policy for one verified login. Call inside a write transaction; on
/// [`JitError::Race`] roll back and call again.
pub fn login(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    req: &LoginRequest<'_>,
) -> Result<LoginOutcome, JitError> {
    let org = find_organization(conn, req.organization_id.as_str())?
        .ok_or(Refusal::UnknownOrganization)?;
    identities::lock_person(conn, &org.id, &req.profile.email_lower)?;
    let domain_verified = domains::verified_domain_owner(conn, req.profile.email_domain())?
        .as_deref()
        == Some(org.id.as_str());
    let keyed = name_id_is_key(req.name_id_format());
    let identity = if keyed {
        identities::find_identity(conn, req.connection_id.as_str(), req.name_id())?
            .filter(|i| i.organization_id == org.id)
    } else {
        None
    };

    let found = find_user(conn, &org, req, identity.as_ref(), domain_verified)?;
    let Some((user, linked_by)) = found else {
        if identity.is_some() {
            // The NameID belongs to a record that is gone and nobody else holds the person.
            return Err(Refusal::UserDeprovisioned.into());
        }
        return create(conn, ctx, org, req, domain_verified, keyed);
    };

    match user.state {
        UserState::Suspended => return Err(Refusal::UserSuspended.into()),
        UserState::Deprovisioned => return Err(Refusal::UserDeprovisioned.into()),
        UserState::Invited | UserState::Active => {}
    }
    if let Some(i) = &identity {
        if i.user_id != user.id {
            // A stale link to a deprovisioned record: the live record of the same person
            // (SCIM re-created them) takes it over — unless that record already has its own
            // NameID here, the same check a fresh link gets.
            refuse_second_name_id(conn, req, &user.id)?;
            identities::move_identity(conn, &i.id, &user.id)?;
        }
    } else if keyed {
        attach_name_id(conn, ctx, &org, req, &user.id)?;
    }
    if user.state == UserState::Invited {
        return accept_invitation(conn, ctx, org, req, user, domain_verified);
    }
    returning(conn, ctx, org, req, user, linked_by, domain_verified)
}

/// Steps 1–3 of the linking order. `None`: nobody holds this person in the organization.
fn find_user(
    conn: &mut DbConn,
    org: &Organization,
    req: &LoginRequest<'_>,
    identity: Option<&IdentityRow>,
    domain_verified: bool,
) -> Result<Option<(UserRow, LinkedBy)>, JitError> {
    let email_users: Vec<UserRow> =
        identities::users_by_email(conn, &org.id, &req.profile.email_lower)?;
    if let Some(i) = identity {
        let user = identities::find_user_any_state(conn, &org.id, &i.user_id)?
            .ok_or_else(|| StoreError::Corrupt(format!("identity {} has no user", i.id)))?;
        if user.state.is_live() {
            // The NameID says one person, the email another: never merge silently.
            if email_users
                .iter()
                .any(|u| u.id != user.id && u.state.is_live())
            {
                return Err(Refusal::IdentityConflict(
                    "this sign-in's NameID is linked to a different user than its email",
                )
                .into());
            }
            return Ok(Some((user, LinkedBy::Identity)));
        }
    }
    if name_id_is_key(req.name_id_format()) || req.name_id_format() == Some(NAMEID_EMAIL) {
        let mut scim = identities::live_users_by_scim_key(conn, &org.id, req.name_id())?;
        if scim.len() > 1 {
            return Err(Refusal::IdentityConflict(
                "several users of the organization's directory match this NameID",
            )
            .into());
        }
        if let Some(user) = scim.pop() {
            return Ok(Some((user, LinkedBy::Scim)));
        }
    }
    let live: Vec<&UserRow> = email_users
        .iter()
        .filter(|u| u.state.is_live())
        .filter(|u| domain_verified || u.provisioned_by == Provenance::Invite)
        .collect();
    match live.as_slice() {
        [] => {}
        [one] => return Ok(Some(((*one).clone(), LinkedBy::Email))),
        _ => {
            return Err(Refusal::IdentityConflict(
                "several users of this organization have this email",
            )
            .into())
        }
    }
    if email_users.iter().any(|u| !u.state.is_live()) && domain_verified {
        // Deprovisioned people stay out: JIT never re-creates them.
        return Err(Refusal::UserDeprovisioned.into());
    }
    Ok(None)
}

/// Refuses when `user_id` already has a NameID on this connection other than the
/// login's (a different IdP account claiming the same person: refused, not merged).
/// `Ok(true)`: it has this very NameID.
fn refuse_second_name_id(
    conn: &mut DbConn,
    req: &LoginRequest<'_>,
    user_id: &str,
) -> Result<bool, JitError> {
    match users_store::find_source_identity(conn, req.connection_id.as_str(), user_id)? {
        Some((_, other)) if other != req.name_id() => Err(Refusal::IdentityConflict(
            "the user is already linked to a different account of this identity provider",
        )
        .into()),
        Some(_) => Ok(true),
        None => Ok(false),
    }
}

/// Links the NameID to `user_id`, unless the user already has another NameID on this
/// connection (see [`refuse_second_name_id`]).
fn attach_name_id(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    org: &Organization,
    req: &LoginRequest<'_>,
    user_id: &str,
) -> Result<(), JitError> {
    if refuse_second_name_id(conn, req, user_id)? {
        return Ok(());
    }
    let id = ctx.ids.id();
    users_store::insert_identity(
        conn,
        &NewIdentity {
            id: &id,
            user_id,
            organization_id: &org.id,
            source_kind: IdentitySourceKind::Saml,
            source_id: req.connection_id.as_str(),
            external_id: req.name_id(),
            created_at: ctx.now.naive_utc(),
        },
    )?;
    record_change(
        conn,
        ctx,
        &Change {
            event_type: EventType::IdentityLinked,
            organization_id: Some(&org.id),
            subject_type: "user",
            subject_id: user_id,
            data: json!({
                "user": { "id": user_id },
                "identity": { "source_kind": IdentitySourceKind::Saml, "source_id": req.connection_id, "external_id": req.name_id() },
            }),
        },
    )?;
    Ok(())
}

/// Fails when one more active user would exceed `max_seats`. Takes the organization row
/// lock first, so seat takers of SAML and SCIM serialize (design invariant 2).
fn take_seat(conn: &mut DbConn, org: &Organization) -> Result<(), JitError> {
    match transitions::check_seat(conn, &org.org_id())? {
        Seat::Available => Ok(()),
        Seat::LimitReached(max) => Err(Refusal::SeatLimit(max).into()),
        Seat::UnknownOrganization => Err(Refusal::UnknownOrganization.into()),
    }
}

fn create(
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
    let wanted = wanted_roles(conn, &org, req.group_role_mapping, &req.profile.groups)?;
    note_refused_privileged(&wanted.refused_privileged);
    apply_roles(conn, ctx, &org, &id, &wanted)?;
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
fn accept_invitation(
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
            let wanted = wanted_roles(conn, &org, req.group_role_mapping, &req.profile.groups)?;
            note_refused_privileged(&wanted.refused_privileged);
            apply_roles(conn, ctx, &org, &user.id, &wanted)?;
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
fn returning(
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
    let wanted = wanted_roles(conn, &org, req.group_role_mapping, &req.profile.groups)?;
    note_refused_privileged(&wanted.refused_privileged);
    apply_roles(conn, ctx, &org, &user.id, &wanted)?;
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
fn sync_profile(
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

fn note_refused_privileged(keys: &[String]) {
    if !keys.is_empty() {
        tracing::warn!(roles = ?keys, "privileged roles from IdP groups not granted");
    }
}

/// Records the login (`last_login_at`, `user.login`) and reads the user back.
fn finish_login(
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
