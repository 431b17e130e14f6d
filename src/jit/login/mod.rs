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
//! This file holds the request, the outcome, the refusals and [`login`], the decision read
//! top to bottom; `linking.rs` finds the user (steps 1–3), `provisioning.rs` creates,
//! accepts or syncs the record.

use std::collections::BTreeMap;

use super::mapping::MappedProfile;
use crate::changes::ChangeContext;
use crate::db::DbConn;
use crate::domain::{ConnectionId, LinkedBy, OrgId, SsoFailureReason, UserState};
use crate::saml::response::ValidatedAssertion;
use crate::store::identities::{self};
use crate::store::orgs::{find_organization, Organization};
use crate::store::users::UserRow;
use crate::store::{domains, StoreError};

mod linking;
mod provisioning;

pub use linking::name_id_is_key;
use linking::{attach_name_id, find_user, refuse_second_name_id};
use provisioning::{accept_invitation, create, returning};

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
