//! The words of a user record: its lifecycle state, who provisioned it, and the kinds of
//! sources its identities come from.

use super::string_enum;

string_enum! {
    /// A user's lifecycle state (docs/lifecycle.md, the state machine).
    pub enum UserState {
        /// Invited by an admin or app; becomes active by accepting at login. No seat.
        Invited = "invited",
        /// Holds a seat and may log in.
        Active = "active",
        /// No seat, no login; SCIM, the app or the inactivity policy may reactivate.
        Suspended = "suspended",
        /// Final: the record stays, its memberships and SCIM links are gone.
        Deprovisioned = "deprovisioned",
    }
}

impl UserState {
    /// Whether a user in this state holds a seat (design invariant 2).
    pub fn holds_seat(self) -> bool {
        self == UserState::Active
    }

    /// Whether the record is still part of the organization's live users (SCIM sees it).
    pub fn is_live(self) -> bool {
        self != UserState::Deprovisioned
    }
}

string_enum! {
    /// The path that created a user record (`provisioned_by`); SCIM takes over a record
    /// SSO created when a directory adopts it.
    pub enum Provenance {
        Jit = "jit",
        Scim = "scim",
        Invite = "invite",
        Admin = "admin",
    }
}

impl Provenance {
    /// Records whose email SSO owns (JIT and invitees): a SCIM directory keeps its own.
    pub fn sso_owned(self) -> bool {
        matches!(self, Provenance::Jit | Provenance::Invite)
    }
}

string_enum! {
    /// Where an identity link comes from (`identities.source_kind`).
    pub enum IdentitySourceKind {
        /// A SAML NameID, per connection.
        Saml = "saml",
        /// A SCIM externalId, per directory.
        Scim = "scim",
        /// A verified email.
        Email = "email",
    }
}

string_enum! {
    /// How a login found the user's record (`user.login`'s `linked_by`).
    pub enum LinkedBy {
        /// The identity (connection, NameID).
        Identity = "identity",
        /// A user a SCIM directory holds under the NameID.
        Scim = "scim",
        /// The email, on a verified domain (or an invitee's own).
        Email = "email",
        /// An invitee's first login.
        Invitation = "invitation",
        /// Nobody held the person: JIT created the record.
        Created = "created",
    }
}
