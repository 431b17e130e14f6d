//! The webhook delivery worker, running inside `provisiond serve`.
//!
//! Each tick, for every endpoint whose lease it can take (a compare-and-set on the
//! endpoint row, so with several replicas one worker owns an endpoint at a time):
//! 1. turn events after the endpoint's cursor into delivery rows and advance the cursor,
//!    in one transaction — an event is never skipped, and the row exists before any send;
//! 2. send the due deliveries, each signed, and record the outcome: success, or a retry
//!    with exponential backoff and jitter, or `failed` once the retry window has passed.
//!
//! A crash between a successful send and its recording means the delivery is sent again
//! after the lease expires: at-least-once, duplicates only after a crash. Receivers
//! de-duplicate on `Provisiond-Event-Id`.
//!
//! Sends go through `crate::outbound` (no internal addresses, no redirects, bounded
//! time), and the delivery log keeps only its short error code (`blocked_address`,
//! `connect_failed`, `timeout`, `http_status`, ...): never the URL or a lower layer's
//! message, which could carry the URL's credentials or what an internal host answered.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;

use super::feed::EventView;
use super::webhooks::parse_event_types;
use crate::app::AppState;
use crate::outbound::OutboundError;
use crate::secrets::Purpose;
use crate::store::events::{find_event_by_seq, list_events_after};
use crate::store::webhooks::{self, AttemptOutcome, Delivery, Endpoint};
use crate::store::StoreError;

/// How long a worker holds an endpoint; renewed before every send (each bounded by
/// the outbound client's timeout), so a crashed worker's endpoints resume elsewhere
/// within this time.
const LEASE_SECS: i64 = 15;
/// At most this many sends per endpoint per tick (bounded well inside the lease).
const SENDS_PER_TICK: i64 = 10;
const MAX_BACKOFF: Duration = Duration::hours(1);

/// Timing of the worker (configurable so tests run quickly).
#[derive(Debug, Clone, Copy)]
pub struct DeliverySettings {
    pub poll_interval: StdDuration,
    pub initial_backoff: Duration,
    /// Retry for this long after the delivery was created, then give up (`failed`).
    pub retry_window: Duration,
}

/// The `Provisiond-Signature` header value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of
/// "<t>.<body>">`, with one `v1` per active secret (two during a rotation).
pub fn signature_header(
    secrets: &[&str],
    timestamp: i64,
    body: &[u8],
) -> Result<String, openssl::error::ErrorStack> {
    let mut header = format!("t={timestamp}");
    for secret in secrets {
        let key = PKey::hmac(secret.as_bytes())?;
        let mut signer = Signer::new(MessageDigest::sha256(), &key)?;
        signer.update(timestamp.to_string().as_bytes())?;
        signer.update(b".")?;
        signer.update(body)?;
        header.push_str(",v1=");
        header.push_str(&hex::encode(signer.sign_to_vec()?));
    }
    Ok(header)
}

/// Delay before attempt `attempts + 1`: doubling from `initial`, capped at an hour, with
/// ±20% jitter derived from the delivery id (spreads retries of a burst; reproducible).
pub fn backoff(initial: Duration, attempts: i32, delivery_id: &str) -> Duration {
    let exponent = u32::try_from(attempts.clamp(0, 20)).unwrap_or(20);
    let base = initial
        .checked_mul(2_i32.saturating_pow(exponent))
        .unwrap_or(MAX_BACKOFF)
        .min(MAX_BACKOFF);
    let digest = openssl::sha::sha256(format!("{delivery_id}:{attempts}").as_bytes());
    let unit = f64::from(digest[0]) / 255.0; // 0..=1
    let factor = 0.8 + 0.4 * unit;
    let millis = (base.num_milliseconds() as f64 * factor) as i64;
    Duration::milliseconds(millis.max(1))
}

/// Runs the worker until the process ends.
pub async fn run(app: AppState, settings: DeliverySettings) {
    let owner = app.ids.id();
    loop {
        if let Err(e) = tick(&app, &owner, settings).await {
            tracing::warn!(error.kind = "webhook_tick", cause = %e, "webhook delivery tick failed");
        }
        tokio::time::sleep(settings.poll_interval).await;
    }
}

async fn tick(app: &AppState, owner: &str, settings: DeliverySettings) -> Result<(), StoreError> {
    let now = app.now();
    let owner_id = owner.to_owned();
    let ids = app
        .db
        .read(move |conn| webhooks::claimable_endpoint_ids(conn, &owner_id, now.naive_utc()))
        .await?;
    for id in ids {
        let owner_id = owner.to_owned();
        let endpoint = app
            .db
            .write(move |conn| -> Result<Option<Endpoint>, StoreError> {
                let until = (now + Duration::seconds(LEASE_SECS)).naive_utc();
                if !webhooks::claim_endpoint(conn, &id, &owner_id, now.naive_utc(), until)? {
                    return Ok(None);
                }
                webhooks::find_endpoint(conn, &id)
            })
            .await?;
        let Some(endpoint) = endpoint else { continue };
        enqueue_new_events(app, &endpoint).await?;
        send_due(app, &endpoint, owner, settings).await?;
    }
    Ok(())
}

/// Step 1: delivery rows for events after the cursor (filtered), cursor advanced.
async fn enqueue_new_events(app: &AppState, endpoint: &Endpoint) -> Result<(), StoreError> {
    let (app2, endpoint) = (app.clone(), endpoint.clone());
    app.db
        .write(move |conn| {
            let events = list_events_after(
                conn,
                endpoint.cursor_seq,
                endpoint.organization_id.as_deref(),
                &[],
                500,
            )?;
            let Some(last) = events.last().map(|e| e.seq) else {
                return Ok(());
            };
            let types = parse_event_types(&endpoint.event_types);
            let rows: Vec<(String, i64)> = events
                .iter()
                .filter(|e| types.is_empty() || types.contains(&e.event_type))
                .map(|e| (app2.ids.id(), e.seq))
                .collect();
            webhooks::enqueue_deliveries(conn, &endpoint.id, &rows, last, app2.now().naive_utc())
        })
        .await
}

/// Step 2: send what is due, record each outcome.
async fn send_due(
    app: &AppState,
    endpoint: &Endpoint,
    owner: &str,
    settings: DeliverySettings,
) -> Result<(), StoreError> {
    let (id, now) = (endpoint.id.clone(), app.now());
    let due = app
        .db
        .read(move |conn| webhooks::due_deliveries(conn, &id, now.naive_utc(), SENDS_PER_TICK))
        .await?;
    for delivery in due {
        if !renew_lease(app, &endpoint.id, owner).await? {
            return Ok(());
        }
        let seq = delivery.event_seq;
        let event = app
            .db
            .read(move |conn| find_event_by_seq(conn, seq))
            .await?;
        let Some(event) = event else { continue };
        let view = EventView::try_from(event)?;
        let result = send(app, endpoint, &delivery, &view).await;
        if let Err(e) = &result {
            tracing::warn!(
                webhook.id = %endpoint.id,
                delivery.id = %delivery.id,
                error.kind = e.code(),
                "webhook delivery failed"
            );
        }
        let now = app.now();
        let outcome = outcome_for(&delivery, result, now, settings);
        let delivery_id = delivery.id.clone();
        app.db
            .write(move |conn| {
                webhooks::record_attempt(
                    conn,
                    &delivery_id,
                    &AttemptOutcome {
                        status: outcome.0,
                        status_code: outcome.1,
                        error: outcome.2.as_deref(),
                        next_attempt_at: outcome.3.naive_utc(),
                        delivered_at: (outcome.0 == "succeeded").then(|| now.naive_utc()),
                    },
                )
            })
            .await?;
    }
    Ok(())
}

/// Extends this worker's lease; false when another worker has taken the endpoint.
async fn renew_lease(app: &AppState, endpoint_id: &str, owner: &str) -> Result<bool, StoreError> {
    let (id, owner, now) = (endpoint_id.to_owned(), owner.to_owned(), app.now());
    app.db
        .write(move |conn| {
            let until = (now + Duration::seconds(LEASE_SECS)).naive_utc();
            webhooks::claim_endpoint(conn, &id, &owner, now.naive_utc(), until)
        })
        .await
}

type Outcome = (&'static str, Option<i32>, Option<String>, DateTime<Utc>);

fn outcome_for(
    delivery: &Delivery,
    result: Result<u16, OutboundError>,
    now: DateTime<Utc>,
    s: DeliverySettings,
) -> Outcome {
    let (code, error) = match result {
        Ok(code) if (200..300).contains(&code) => {
            return ("succeeded", Some(i32::from(code)), None, now)
        }
        // A redirect is not followed: it counts as an answer that is not a success.
        Ok(code) => (
            Some(i32::from(code)),
            OutboundError::HttpStatus(code).code().to_owned(),
        ),
        Err(e) => (None, e.code().to_owned()),
    };
    let next = now + backoff(s.initial_backoff, delivery.attempts, &delivery.id);
    if next - delivery.created_at.and_utc() > s.retry_window {
        ("failed", code, Some(error), now)
    } else {
        ("pending", code, Some(error), next)
    }
}

/// One HTTP attempt; `Ok(status)` when the receiver answered at all.
async fn send(
    app: &AppState,
    endpoint: &Endpoint,
    delivery: &Delivery,
    event: &EventView,
) -> Result<u16, OutboundError> {
    let body = serde_json::to_vec(event).map_err(|_| OutboundError::RequestFailed)?;
    let now = app.now();
    let open = |sealed: &str| {
        app.secrets
            .open_string(Purpose::WebhookSecret, &endpoint.id, sealed)
            .map_err(|e| {
                // Start-up opened every stored secret, so this is a row changed since.
                tracing::error!(webhook.id = %endpoint.id, error.kind = "webhook_secret", cause = %e, "cannot open the webhook signing secret");
                OutboundError::RequestFailed
            })
    };
    let mut secrets = vec![open(&endpoint.secret_sealed)?];
    if let (Some(previous), Some(until)) = (
        &endpoint.previous_secret_sealed,
        endpoint.previous_secret_expires_at,
    ) {
        if until.and_utc() > now {
            secrets.push(open(previous)?);
        }
    }
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let signature = signature_header(&secrets, now.timestamp(), &body)
        .map_err(|_| OutboundError::RequestFailed)?;
    app.outbound
        .post(
            &endpoint.url,
            &[
                ("content-type", "application/json"),
                ("provisiond-signature", &signature),
                ("provisiond-event-id", &event.id),
                ("provisiond-event-type", &event.event_type),
                ("provisiond-delivery-id", &delivery.id),
            ],
            body,
        )
        .await
}

#[cfg(test)]
#[expect(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_a_reference_hmac() {
        // HMAC-SHA256("secret", "1700000000.{}") computed independently with Python's hmac.
        let header = signature_header(&["secret"], 1_700_000_000, b"{}").unwrap();
        assert_eq!(
            header,
            "t=1700000000,v1=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163"
        );
    }

    #[test]
    fn backoff_doubles_with_bounded_jitter_and_caps() {
        let initial = Duration::seconds(5);
        for attempts in 0..6 {
            let d = backoff(initial, attempts, "d1").num_milliseconds() as f64;
            let base = 5000.0 * 2f64.powi(attempts);
            assert!(
                d >= base * 0.8 - 1.0 && d <= base * 1.2 + 1.0,
                "{attempts}: {d}"
            );
        }
        assert!(backoff(initial, 30, "d1") <= Duration::milliseconds(72 * 60 * 1000));
        assert!(backoff(initial, 30, "d1") >= Duration::minutes(48));
    }
}
