//! Recording a change: every state change appends an event (the feed apps read) and an
//! audit entry (who did it, with which key), inside the transaction of the change itself,
//! so a change and its record commit together or not at all.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::app::{AppState, IdSource};
use crate::db::DbConn;
use crate::domain::{ActorKind, EventType};
use crate::store::audit::{insert_audit_entries, insert_audit_entry, NewAuditEntry};
use crate::store::events::{append_event, append_events, next_user_seq, NewEvent};
use crate::store::StoreResult;

/// Who is acting: an admin key, an app key, a SCIM directory, a SAML connection, or the
/// system itself. Rendered as `kind:id` in events and audit entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: String,
}

impl Actor {
    pub fn admin_key(id: impl Into<String>) -> Self {
        Actor {
            kind: ActorKind::AdminKey,
            id: id.into(),
        }
    }

    /// A SAML connection acting on a login's behalf (JIT changes, `sso.failed`).
    pub fn saml_connection(id: impl Into<String>) -> Self {
        Actor {
            kind: ActorKind::SamlConnection,
            id: id.into(),
        }
    }

    pub fn system() -> Self {
        Actor {
            kind: ActorKind::System,
            id: "provisiond".into(),
        }
    }

    pub fn label(&self) -> String {
        format!("{}:{}", self.kind, self.id)
    }
}

/// The context a change is made in.
pub struct ChangeContext<'a> {
    pub actor: &'a Actor,
    pub request_id: Option<&'a str>,
    pub now: DateTime<Utc>,
    pub ids: &'a dyn IdSource,
}

impl<'a> ChangeContext<'a> {
    /// A context taking `now` and ids from the application state.
    pub fn new(app: &'a AppState, actor: &'a Actor, request_id: Option<&'a str>) -> Self {
        ChangeContext {
            actor,
            request_id,
            now: app.now(),
            ids: app.ids.as_ref(),
        }
    }
}

/// One recorded change.
pub struct Change<'a> {
    pub event_type: EventType,
    pub organization_id: Option<&'a str>,
    pub subject_type: &'a str,
    pub subject_id: &'a str,
    /// The event payload (what apps see in the feed).
    pub data: Value,
}

/// Appends the event and the audit entry; returns the event's sequence number. When the
/// subject is a user (`subject_type == "user"`), the event also takes the next number of
/// that user's own sequence (`user_seq`), in the same transaction.
pub fn record_change(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    change: &Change<'_>,
) -> StoreResult<i64> {
    let actor = ctx.actor.label();
    let data = change.data.to_string();
    let event_id = ctx.ids.id();
    // Events about a user carry that user's own sequence number, so a consumer can see
    // when two of them arrive out of order (webhook retries do not hold back later ones).
    let user_seq = if change.subject_type == "user" {
        next_user_seq(conn, change.subject_id)?
    } else {
        None
    };
    let seq = append_event(
        conn,
        &NewEvent {
            id: &event_id,
            organization_id: change.organization_id,
            event_type: change.event_type.as_str(),
            subject_type: change.subject_type,
            subject_id: change.subject_id,
            actor: &actor,
            data: &data,
            created_at: ctx.now.naive_utc(),
            user_seq,
        },
    )?;
    let audit_id = ctx.ids.id();
    insert_audit_entry(
        conn,
        &NewAuditEntry {
            id: &audit_id,
            actor: &actor,
            action: change.event_type.as_str(),
            target_type: change.subject_type,
            target_id: change.subject_id,
            organization_id: change.organization_id,
            request_id: ctx.request_id,
            details: &data,
            created_at: ctx.now.naive_utc(),
        },
    )?;
    Ok(seq)
}

/// [`record_change`] for many changes at once, in order, in a few statements per
/// thousand (a group change naming thousands of members records one event per member).
/// Only for subjects that are not users: those take a per-user sequence number each.
pub fn record_changes(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    changes: &[Change<'_>],
) -> StoreResult<()> {
    if let Some(user_change) = changes.iter().find(|c| c.subject_type == "user") {
        return Err(crate::store::StoreError::Corrupt(format!(
            "record_changes does not number user events ({})",
            user_change.event_type
        )));
    }
    let actor = ctx.actor.label();
    let now = ctx.now.naive_utc();
    let owned: Vec<(String, String, String)> = changes
        .iter()
        .map(|c| (ctx.ids.id(), ctx.ids.id(), c.data.to_string()))
        .collect();
    let events: Vec<NewEvent<'_>> = changes
        .iter()
        .zip(&owned)
        .map(|(c, (event_id, _, data))| NewEvent {
            id: event_id,
            organization_id: c.organization_id,
            event_type: c.event_type.as_str(),
            subject_type: c.subject_type,
            subject_id: c.subject_id,
            actor: &actor,
            data,
            created_at: now,
            user_seq: None,
        })
        .collect();
    append_events(conn, &events)?;
    let audits: Vec<NewAuditEntry<'_>> = changes
        .iter()
        .zip(&owned)
        .map(|(c, (_, audit_id, data))| NewAuditEntry {
            id: audit_id,
            actor: &actor,
            action: c.event_type.as_str(),
            target_type: c.subject_type,
            target_id: c.subject_id,
            organization_id: c.organization_id,
            request_id: ctx.request_id,
            details: data,
            created_at: now,
        })
        .collect();
    insert_audit_entries(conn, &audits)
}
