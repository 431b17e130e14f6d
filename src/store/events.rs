//! The append-only event log.
//!
//! `seq` is taken from the single `event_counter` row, incremented in the same
//! transaction as the insert. On PostgreSQL the row lock makes concurrent writers
//! commit in `seq` order, so a reader paging with `seq > cursor` never skips an event
//! that commits late (a plain sequence would allow that). SQLite has one writer anyway.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::StoreResult;
use crate::db::schema::{event_counter, events, users};
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct Event {
    pub seq: i64,
    pub id: String,
    pub organization_id: Option<String>,
    pub event_type: String,
    pub subject_type: String,
    pub subject_id: String,
    pub actor: String,
    pub data: String,
    pub created_at: NaiveDateTime,
    /// The per-user sequence when the subject is a user (see [`next_user_seq`]).
    pub user_seq: Option<i64>,
}

/// An event to append; `seq` is assigned by [`append_event`].
#[derive(Debug)]
pub struct NewEvent<'a> {
    pub id: &'a str,
    pub organization_id: Option<&'a str>,
    pub event_type: &'a str,
    pub subject_type: &'a str,
    pub subject_id: &'a str,
    pub actor: &'a str,
    pub data: &'a str,
    pub created_at: NaiveDateTime,
    pub user_seq: Option<i64>,
}

/// Appends an event and returns its sequence number. Must run inside the transaction
/// of the change it records.
pub fn append_event(conn: &mut DbConn, new: &NewEvent<'_>) -> StoreResult<i64> {
    let seq: i64 = diesel::update(event_counter::table.find(1))
        .set(event_counter::value.eq(event_counter::value + 1))
        .returning(event_counter::value)
        .get_result(conn)?;
    diesel::insert_into(events::table)
        .values((
            events::seq.eq(seq),
            events::id.eq(new.id),
            events::organization_id.eq(new.organization_id),
            events::event_type.eq(new.event_type),
            events::subject_type.eq(new.subject_type),
            events::subject_id.eq(new.subject_id),
            events::actor.eq(new.actor),
            events::data.eq(new.data),
            events::created_at.eq(new.created_at),
            events::user_seq.eq(new.user_seq),
        ))
        .execute(conn)?;
    Ok(seq)
}

/// Appends events about subjects that are not users (no `user_seq`), in order, with
/// consecutive sequence numbers: one counter update and one `INSERT` per
/// [`BATCH_ROWS`] events, however many there are (a group change naming thousands of
/// members). Must run inside the transaction of the change it records.
pub fn append_events(conn: &mut DbConn, new: &[NewEvent<'_>]) -> StoreResult<()> {
    let Ok(n) = i64::try_from(new.len()) else {
        return Err(super::StoreError::Corrupt("too many events".into()));
    };
    if n == 0 {
        return Ok(());
    }
    let last: i64 = diesel::update(event_counter::table.find(1))
        .set(event_counter::value.eq(event_counter::value + n))
        .returning(event_counter::value)
        .get_result(conn)?;
    let mut seq = last - n;
    for chunk in new.chunks(BATCH_ROWS) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|e| {
                seq += 1;
                (
                    events::seq.eq(seq),
                    events::id.eq(e.id),
                    events::organization_id.eq(e.organization_id),
                    events::event_type.eq(e.event_type),
                    events::subject_type.eq(e.subject_type),
                    events::subject_id.eq(e.subject_id),
                    events::actor.eq(e.actor),
                    events::data.eq(e.data),
                    events::created_at.eq(e.created_at),
                    events::user_seq.eq(e.user_seq),
                )
            })
            .collect();
        super::insert_batch!(conn, events::table, rows)?;
    }
    Ok(())
}

/// Rows per multi-row `INSERT` (10 columns: well under both backends' parameter limits).
pub const BATCH_ROWS: usize = 500;

/// Takes the next per-user sequence number of `user_id` (its `event_seq` counter plus
/// one), or `None` when no such user row exists. Must run inside the transaction that
/// appends the event: on PostgreSQL the row lock orders concurrent writers, so per-user
/// numbers increase in commit order, like `seq`.
pub fn next_user_seq(conn: &mut DbConn, user_id: &str) -> StoreResult<Option<i64>> {
    Ok(diesel::update(users::table.find(user_id))
        .set(users::event_seq.eq(users::event_seq + 1))
        .returning(users::event_seq)
        .get_result(conn)
        .optional()?)
}

/// Events with `seq > after`, oldest first, optionally for one organization and only of
/// the given types (all types when `types` is empty).
pub fn list_events_after(
    conn: &mut DbConn,
    after: i64,
    organization_id: Option<&str>,
    types: &[String],
    limit: i64,
) -> StoreResult<Vec<Event>> {
    let mut query = events::table
        .filter(events::seq.gt(after))
        .order(events::seq.asc())
        .limit(limit)
        .select(Event::as_select())
        .into_boxed();
    if let Some(org) = organization_id {
        query = query.filter(events::organization_id.eq(org.to_owned()));
    }
    if !types.is_empty() {
        query = query.filter(events::event_type.eq_any(types.to_vec()));
    }
    Ok(query.load(conn)?)
}

/// One event by its sequence number.
pub fn find_event_by_seq(conn: &mut DbConn, seq: i64) -> StoreResult<Option<Event>> {
    Ok(events::table
        .find(seq)
        .select(Event::as_select())
        .first(conn)
        .optional()?)
}
