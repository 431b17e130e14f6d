//! Webhook endpoints, their delivery rows, and the lease that lets one worker among
//! several replicas own an endpoint at a time. Signing secrets are stored sealed
//! (`crate::secrets`, `Purpose::WebhookSecret` with the endpoint id); this file only
//! moves the sealed text.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::conditional::replace_if_unchanged;
use super::StoreResult;
use crate::db::schema::{event_counter, webhook_deliveries, webhook_endpoints};
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_endpoints)]
pub struct Endpoint {
    pub id: String,
    pub url: String,
    pub description: String,
    pub organization_id: Option<String>,
    pub event_types: String,
    /// Sealed signing secret.
    #[diesel(column_name = secret)]
    pub secret_sealed: String,
    /// Sealed signing secret being rotated out.
    #[diesel(column_name = previous_secret)]
    pub previous_secret_sealed: Option<String>,
    pub previous_secret_expires_at: Option<NaiveDateTime>,
    pub enabled: bool,
    pub cursor_seq: i64,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = webhook_endpoints)]
pub struct NewEndpoint<'a> {
    pub id: &'a str,
    pub url: &'a str,
    pub description: &'a str,
    pub organization_id: Option<&'a str>,
    pub event_types: &'a str,
    /// Sealed signing secret.
    #[diesel(column_name = secret)]
    pub secret_sealed: &'a str,
    pub enabled: bool,
    pub cursor_seq: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = webhook_endpoints)]
pub struct EndpointChanges {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<String>,
    pub enabled: Option<bool>,
    #[diesel(column_name = secret)]
    pub secret_sealed: Option<String>,
    #[diesel(column_name = previous_secret)]
    pub previous_secret_sealed: Option<Option<String>>,
    pub previous_secret_expires_at: Option<Option<NaiveDateTime>>,
    pub cursor_seq: Option<i64>,
    pub updated_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries)]
pub struct Delivery {
    pub id: String,
    pub endpoint_id: String,
    pub event_seq: i64,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
}

pub fn insert_endpoint(conn: &mut DbConn, new: &NewEndpoint<'_>) -> StoreResult<()> {
    diesel::insert_into(webhook_endpoints::table)
        .values(new)
        .execute(conn)?;
    Ok(())
}

pub fn find_endpoint(conn: &mut DbConn, id: &str) -> StoreResult<Option<Endpoint>> {
    Ok(webhook_endpoints::table
        .find(id)
        .select(Endpoint::as_select())
        .first(conn)
        .optional()?)
}

pub fn list_endpoints(conn: &mut DbConn) -> StoreResult<Vec<Endpoint>> {
    Ok(webhook_endpoints::table
        .order(webhook_endpoints::created_at.asc())
        .select(Endpoint::as_select())
        .load(conn)?)
}

pub fn update_endpoint(
    conn: &mut DbConn,
    id: &str,
    changes: &EndpointChanges,
) -> StoreResult<usize> {
    Ok(diesel::update(webhook_endpoints::table.find(id))
        .set(changes)
        .execute(conn)?)
}

pub fn delete_endpoint(conn: &mut DbConn, id: &str) -> StoreResult<usize> {
    Ok(diesel::delete(webhook_endpoints::table.find(id)).execute(conn)?)
}

/// The sequence number of the newest committed event (a new endpoint starts after it).
pub fn latest_event_seq(conn: &mut DbConn) -> StoreResult<i64> {
    Ok(event_counter::table
        .find(1)
        .select(event_counter::value)
        .first(conn)?)
}

/// Ids of enabled endpoints that have work — events after their cursor, or a delivery
/// due — and whose lease is free, expired, or already `owner`'s. Idle endpoints are left
/// out, so an idle worker only reads (no lease write every poll).
pub fn claimable_endpoint_ids(
    conn: &mut DbConn,
    owner: &str,
    now: NaiveDateTime,
) -> StoreResult<Vec<String>> {
    let latest = latest_event_seq(conn)?;
    let due = webhook_deliveries::table
        .filter(webhook_deliveries::endpoint_id.eq(webhook_endpoints::id))
        .filter(webhook_deliveries::status.eq("pending"))
        .filter(webhook_deliveries::next_attempt_at.le(now));
    Ok(webhook_endpoints::table
        .filter(webhook_endpoints::enabled.eq(true))
        .filter(
            webhook_endpoints::cursor_seq
                .lt(latest)
                .or(diesel::dsl::exists(due)),
        )
        .filter(
            webhook_endpoints::lease_expires_at
                .is_null()
                .or(webhook_endpoints::lease_expires_at.lt(now))
                .or(webhook_endpoints::lease_owner.eq(owner)),
        )
        .select(webhook_endpoints::id)
        .load(conn)?)
}

/// Takes (or renews) the lease on one endpoint; a compare-and-set, so of two workers
/// racing for a free endpoint exactly one wins. Returns whether `owner` holds it now.
pub fn claim_endpoint(
    conn: &mut DbConn,
    id: &str,
    owner: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> StoreResult<bool> {
    let updated = diesel::update(
        webhook_endpoints::table.find(id).filter(
            webhook_endpoints::lease_expires_at
                .is_null()
                .or(webhook_endpoints::lease_expires_at.lt(now))
                .or(webhook_endpoints::lease_owner.eq(owner)),
        ),
    )
    .set((
        webhook_endpoints::lease_owner.eq(Some(owner)),
        webhook_endpoints::lease_expires_at.eq(Some(until)),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Gives a lease back (at shutdown), so another replica can continue at once.
pub fn release_endpoint(conn: &mut DbConn, id: &str, owner: &str) -> StoreResult<()> {
    diesel::update(
        webhook_endpoints::table
            .find(id)
            .filter(webhook_endpoints::lease_owner.eq(owner)),
    )
    .set((
        webhook_endpoints::lease_owner.eq(None::<String>),
        webhook_endpoints::lease_expires_at.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(())
}

/// Records deliveries for `event_seqs` and moves the endpoint's cursor to `cursor`, in the
/// caller's transaction (so the cursor never passes an event without its delivery row).
pub fn enqueue_deliveries(
    conn: &mut DbConn,
    endpoint_id: &str,
    rows: &[(String, i64)],
    cursor: i64,
    now: NaiveDateTime,
) -> StoreResult<()> {
    for (id, seq) in rows {
        diesel::insert_into(webhook_deliveries::table)
            .values((
                webhook_deliveries::id.eq(id),
                webhook_deliveries::endpoint_id.eq(endpoint_id),
                webhook_deliveries::event_seq.eq(seq),
                webhook_deliveries::status.eq("pending"),
                webhook_deliveries::attempts.eq(0),
                webhook_deliveries::next_attempt_at.eq(now),
                webhook_deliveries::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    diesel::update(webhook_endpoints::table.find(endpoint_id))
        .set(webhook_endpoints::cursor_seq.eq(cursor))
        .execute(conn)?;
    Ok(())
}

/// Pending deliveries of an endpoint that are due, oldest event first.
pub fn due_deliveries(
    conn: &mut DbConn,
    endpoint_id: &str,
    now: NaiveDateTime,
    limit: i64,
) -> StoreResult<Vec<Delivery>> {
    Ok(webhook_deliveries::table
        .filter(webhook_deliveries::endpoint_id.eq(endpoint_id))
        .filter(webhook_deliveries::status.eq("pending"))
        .filter(webhook_deliveries::next_attempt_at.le(now))
        .order(webhook_deliveries::event_seq.asc())
        .limit(limit)
        .select(Delivery::as_select())
        .load(conn)?)
}

/// The outcome of one attempt.
pub struct AttemptOutcome<'a> {
    pub status: &'a str,
    pub status_code: Option<i32>,
    pub error: Option<&'a str>,
    pub next_attempt_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
}

pub fn record_attempt(
    conn: &mut DbConn,
    delivery_id: &str,
    outcome: &AttemptOutcome<'_>,
) -> StoreResult<()> {
    diesel::update(webhook_deliveries::table.find(delivery_id))
        .set((
            webhook_deliveries::status.eq(outcome.status),
            webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
            webhook_deliveries::last_status_code.eq(outcome.status_code),
            webhook_deliveries::last_error.eq(outcome.error),
            webhook_deliveries::next_attempt_at.eq(outcome.next_attempt_at),
            webhook_deliveries::delivered_at.eq(outcome.delivered_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The delivery log of one endpoint, newest first.
pub fn list_deliveries(
    conn: &mut DbConn,
    endpoint_id: &str,
    limit: i64,
) -> StoreResult<Vec<Delivery>> {
    Ok(webhook_deliveries::table
        .filter(webhook_deliveries::endpoint_id.eq(endpoint_id))
        .order(webhook_deliveries::event_seq.desc())
        .limit(limit)
        .select(Delivery::as_select())
        .load(conn)?)
}

pub fn find_delivery(
    conn: &mut DbConn,
    endpoint_id: &str,
    id: &str,
) -> StoreResult<Option<Delivery>> {
    Ok(webhook_deliveries::table
        .filter(webhook_deliveries::endpoint_id.eq(endpoint_id))
        .filter(webhook_deliveries::id.eq(id))
        .select(Delivery::as_select())
        .first(conn)
        .optional()?)
}

/// Queues a delivery again (manual redelivery), due now.
pub fn requeue_delivery(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> StoreResult<usize> {
    Ok(diesel::update(webhook_deliveries::table.find(id))
        .set((
            webhook_deliveries::status.eq("pending"),
            webhook_deliveries::next_attempt_at.eq(now),
        ))
        .execute(conn)?)
}

/// `(endpoint id, stored secret)` of every endpoint, for sealing and rotation.
pub fn list_secrets(conn: &mut DbConn) -> StoreResult<Vec<(String, String)>> {
    Ok(webhook_endpoints::table
        .select((webhook_endpoints::id, webhook_endpoints::secret))
        .order(webhook_endpoints::id.asc())
        .load(conn)?)
}

/// `(endpoint id, stored previous secret)` of every endpoint that has one.
pub fn list_previous_secrets(conn: &mut DbConn) -> StoreResult<Vec<(String, String)>> {
    let rows: Vec<(String, Option<String>)> = webhook_endpoints::table
        .filter(webhook_endpoints::previous_secret.is_not_null())
        .select((webhook_endpoints::id, webhook_endpoints::previous_secret))
        .order(webhook_endpoints::id.asc())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, s)| s.map(|s| (id, s)))
        .collect())
}

replace_if_unchanged! {
    /// Replaces an endpoint's stored secret if it still is `old` (compare-and-set).
    pub fn replace_secret => webhook_endpoints.secret
}

replace_if_unchanged! {
    /// Replaces an endpoint's stored previous secret if it still is `old` (compare-and-set).
    pub fn replace_previous_secret => webhook_endpoints.previous_secret
}
