//! Reading the event log and the audit trail, oldest-first by sequence for events.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::app::AppState;
use crate::store::audit::{list_recent_audit_entries, AuditEntry};
use crate::store::events::{list_events_after, Event};
use crate::store::StoreError;

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Event)]
pub struct EventView {
    pub seq: i64,
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub organization_id: Option<String>,
    pub subject_type: String,
    pub subject_id: String,
    pub actor: String,
    #[schema(value_type = Object)]
    pub data: Value,
    pub created_at: DateTime<Utc>,
    /// For events about a user: that user's own sequence (1, 2, 3, ... in commit order),
    /// so consumers can detect reordering per user. Absent for other subjects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_seq: Option<i64>,
}

impl TryFrom<Event> for EventView {
    type Error = StoreError;
    fn try_from(e: Event) -> Result<Self, StoreError> {
        Ok(EventView {
            data: serde_json::from_str(&e.data)
                .map_err(|err| StoreError::Corrupt(format!("event {}: {err}", e.seq)))?,
            seq: e.seq,
            id: e.id,
            event_type: e.event_type,
            organization_id: e.organization_id,
            subject_type: e.subject_type,
            subject_id: e.subject_id,
            actor: e.actor,
            created_at: e.created_at.and_utc(),
            user_seq: e.user_seq,
        })
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = AuditEntry)]
pub struct AuditView {
    pub id: String,
    pub actor: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub organization_id: Option<String>,
    pub request_id: Option<String>,
    #[schema(value_type = Object)]
    pub details: Value,
    pub created_at: DateTime<Utc>,
}

impl From<AuditEntry> for AuditView {
    fn from(a: AuditEntry) -> Self {
        AuditView {
            details: serde_json::from_str(&a.details).unwrap_or(Value::Null),
            id: a.id,
            actor: a.actor,
            action: a.action,
            target_type: a.target_type,
            target_id: a.target_id,
            organization_id: a.organization_id,
            request_id: a.request_id,
            created_at: a.created_at.and_utc(),
        }
    }
}

/// Events after `after` (a sequence number), at most `limit`.
pub async fn list_events(
    app: &AppState,
    after: i64,
    organization_id: Option<String>,
    types: Vec<String>,
    limit: i64,
) -> Result<Vec<EventView>, StoreError> {
    app.db
        .read(move |conn| {
            list_events_after(conn, after, organization_id.as_deref(), &types, limit)?
                .into_iter()
                .map(EventView::try_from)
                .collect()
        })
        .await
}

pub async fn list_audit(app: &AppState, limit: i64) -> Result<Vec<AuditView>, StoreError> {
    app.db
        .read(move |conn| {
            Ok(list_recent_audit_entries(conn, limit)?
                .into_iter()
                .map(Into::into)
                .collect())
        })
        .await
}
