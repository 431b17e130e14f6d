//! The audit trail: who (which key) changed what, in the same transaction as the change.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::StoreResult;
use crate::db::schema::audit_entries;
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_entries)]
pub struct AuditEntry {
    pub id: String,
    pub actor: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub organization_id: Option<String>,
    pub request_id: Option<String>,
    pub details: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = audit_entries)]
pub struct NewAuditEntry<'a> {
    pub id: &'a str,
    pub actor: &'a str,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: &'a str,
    pub organization_id: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub details: &'a str,
    pub created_at: NaiveDateTime,
}

pub fn insert_audit_entry(conn: &mut DbConn, new: &NewAuditEntry<'_>) -> StoreResult<()> {
    diesel::insert_into(audit_entries::table)
        .values(new)
        .execute(conn)?;
    Ok(())
}

/// Inserts audit entries with one multi-row `INSERT` per 500 entries.
pub fn insert_audit_entries(conn: &mut DbConn, new: &[NewAuditEntry<'_>]) -> StoreResult<()> {
    for chunk in new.chunks(super::events::BATCH_ROWS) {
        // Tuples, not the struct: its `Option` fields mean DEFAULT when `None`, which
        // SQLite's multi-row INSERT cannot say, so diesel would send one row at a time.
        let rows: Vec<_> = chunk
            .iter()
            .map(|a| {
                (
                    audit_entries::id.eq(a.id),
                    audit_entries::actor.eq(a.actor),
                    audit_entries::action.eq(a.action),
                    audit_entries::target_type.eq(a.target_type),
                    audit_entries::target_id.eq(a.target_id),
                    audit_entries::organization_id.eq(a.organization_id),
                    audit_entries::request_id.eq(a.request_id),
                    audit_entries::details.eq(a.details),
                    audit_entries::created_at.eq(a.created_at),
                )
            })
            .collect();
        super::insert_batch!(conn, audit_entries::table, rows)?;
    }
    Ok(())
}

/// Most recent entries first, at most `limit`.
pub fn list_recent_audit_entries(conn: &mut DbConn, limit: i64) -> StoreResult<Vec<AuditEntry>> {
    Ok(audit_entries::table
        .order((audit_entries::created_at.desc(), audit_entries::id.desc()))
        .limit(limit)
        .select(AuditEntry::as_select())
        .load(conn)?)
}
