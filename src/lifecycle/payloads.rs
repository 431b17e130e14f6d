//! The payloads of the `user.*` events: one type per event type, so an event type has one
//! shape whoever caused it (SCIM, JIT, invitations, the app API, the inactivity policy).
//! docs/lifecycle.md shows them; `tests/api/event_snapshots.rs` pins them.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::{ConnectionId, EventType, LinkedBy, OrgId, Provenance, UserId, UserState};
use crate::store::users::{LifecycleUser, UserProfile, UserRow};

/// The `user` object of every `user.*` event: the record as of the event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventUser {
    pub id: UserId,
    #[serde(rename = "userName")]
    pub user_name: String,
    #[serde(rename = "externalId")]
    pub external_id: Option<String>,
    pub email: Option<String>,
    pub state: UserState,
    pub provisioned_by: Provenance,
}

/// A user an event is about: the `user` object and the organization it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Subject {
    pub organization_id: OrgId,
    pub user: EventUser,
}

impl Subject {
    /// A user as its new profile `p` will have it.
    pub fn from_profile(id: &str, org: &str, p: &UserProfile, provisioned_by: Provenance) -> Self {
        Subject {
            organization_id: OrgId::new(org),
            user: EventUser {
                id: UserId::new(id),
                user_name: p.user_name.clone(),
                external_id: p.external_id.clone(),
                email: p.email.clone(),
                state: p.state,
                provisioned_by,
            },
        }
    }

    pub fn id(&self) -> &str {
        self.user.id.as_str()
    }

    pub fn state(&self) -> UserState {
        self.user.state
    }
}

impl From<&UserRow> for Subject {
    fn from(u: &UserRow) -> Self {
        Subject {
            organization_id: OrgId::new(&u.organization_id),
            user: EventUser {
                id: UserId::new(&u.id),
                user_name: u.user_name.clone(),
                external_id: u.external_id.clone(),
                email: u.email.clone(),
                state: u.state,
                provisioned_by: u.provisioned_by,
            },
        }
    }
}

impl From<&LifecycleUser> for Subject {
    fn from(u: &LifecycleUser) -> Self {
        Subject {
            organization_id: OrgId::new(&u.organization_id),
            user: EventUser {
                id: UserId::new(&u.id),
                user_name: u.user_name.clone(),
                external_id: u.external_id.clone(),
                email: u.email.clone(),
                state: u.state,
                provisioned_by: u.provisioned_by,
            },
        }
    }
}

/// `user.created`.
#[derive(Debug, Clone, Serialize)]
pub struct UserCreated {
    pub user: EventUser,
    /// The path that created it (`provisioned_by`).
    pub source: Provenance,
    /// The SAML connection of a JIT creation; null otherwise.
    pub connection_id: Option<ConnectionId>,
    /// A deprovisioned record with this userName exists (SCIM re-created the person).
    pub recreated: bool,
    pub previous_user_id: Option<String>,
}

/// `user.updated`.
#[derive(Debug, Clone, Serialize)]
pub struct UserUpdated {
    pub user: EventUser,
    /// The profile fields that changed (login sync); null when the writer (SCIM, which
    /// replaces the whole resource) does not list them.
    pub changed: Option<Vec<String>>,
    /// Who wrote the change: `scim` or `jit`.
    pub source: Provenance,
    /// A directory took over a record SSO created.
    pub adopted: bool,
    /// Before an adoption: who had provisioned the record.
    pub previously_provisioned_by: Option<Provenance>,
}

/// `user.suspended`.
#[derive(Debug, Clone, Serialize)]
pub struct UserSuspended {
    pub user: EventUser,
    pub previous_state: UserState,
    pub reason: Option<String>,
    /// The inactivity policy's evidence; null for other causes.
    pub last_activity_at: Option<DateTime<Utc>>,
}

/// `user.reactivated`.
#[derive(Debug, Clone, Serialize)]
pub struct UserReactivated {
    pub user: EventUser,
    pub previous_state: UserState,
    pub reason: Option<String>,
}

/// `user.deprovisioned`.
#[derive(Debug, Clone, Serialize)]
pub struct UserDeprovisioned {
    pub user: EventUser,
    pub previous_state: UserState,
    pub reason: Option<String>,
}

/// `user.login`.
#[derive(Debug, Clone, Serialize)]
pub struct UserLogin {
    pub user: EventUser,
    pub is_new_user: bool,
    /// How the login found the record: `identity`, `scim`, `email`, `invitation` or
    /// `created`.
    pub linked_by: LinkedBy,
    pub connection_id: ConnectionId,
}

/// One `user.*` event: its type follows from its payload.
#[derive(Debug, Clone)]
pub enum UserEvent {
    Created(UserCreated),
    Updated(UserUpdated),
    Suspended(UserSuspended),
    Reactivated(UserReactivated),
    Deprovisioned(UserDeprovisioned),
    Login(UserLogin),
}

impl UserEvent {
    pub fn event_type(&self) -> EventType {
        match self {
            UserEvent::Created(_) => EventType::UserCreated,
            UserEvent::Updated(_) => EventType::UserUpdated,
            UserEvent::Suspended(_) => EventType::UserSuspended,
            UserEvent::Reactivated(_) => EventType::UserReactivated,
            UserEvent::Deprovisioned(_) => EventType::UserDeprovisioned,
            UserEvent::Login(_) => EventType::UserLogin,
        }
    }

    /// The `data` of the event.
    pub fn data(&self) -> Result<serde_json::Value, serde_json::Error> {
        match self {
            UserEvent::Created(p) => serde_json::to_value(p),
            UserEvent::Updated(p) => serde_json::to_value(p),
            UserEvent::Suspended(p) => serde_json::to_value(p),
            UserEvent::Reactivated(p) => serde_json::to_value(p),
            UserEvent::Deprovisioned(p) => serde_json::to_value(p),
            UserEvent::Login(p) => serde_json::to_value(p),
        }
    }
}
