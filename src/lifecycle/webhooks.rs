//! Webhook endpoints: register (per environment, optionally per organization, with an
//! event-type filter), update, delete, rotate the signing secret, read the delivery log,
//! redeliver. Sending is `delivery`'s job.
//!
//! Signing secrets are stored sealed (`crate::secrets`); they are shown once, at creation
//! and rotation. Events and audit entries carry the URL without its credentials, query
//! or fragment ([`redacted_url`]): receivers often put a token there, and the event feed
//! goes to every app key holder and every webhook.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::app::AppState;
use crate::changes::{record_change, Actor, Change, ChangeContext};
use crate::domain::EventType;
use crate::outbound::OutboundError;
use crate::secrets::{Purpose, SecretError};
use crate::store::orgs;
use crate::store::webhooks::{self, Delivery, Endpoint, EndpointChanges, NewEndpoint};
use crate::store::StoreError;

/// How long a rotated-out secret still signs deliveries (so receivers can roll over).
pub const PREVIOUS_SECRET_GRACE_HOURS: i64 = 24;

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error(transparent)]
    Secret(#[from] SecretError),
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = CreateWebhookEndpoint)]
#[serde(deny_unknown_fields)]
pub struct CreateEndpoint {
    pub url: String,
    #[serde(default)]
    pub description: String,
    /// Limit to one organization (id or slug); all organizations when absent.
    pub organization: Option<String>,
    /// Only these event types; every type when absent or empty.
    #[serde(default)]
    pub event_types: Vec<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = UpdateWebhookEndpoint)]
#[serde(deny_unknown_fields)]
pub struct UpdateEndpoint {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = WebhookEndpoint)]
pub struct EndpointView {
    pub id: String,
    pub url: String,
    pub description: String,
    pub organization_id: Option<String>,
    pub event_types: Vec<String>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An endpoint as returned at creation or rotation: the only time `secret` is shown.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = WebhookEndpointWithSecret)]
pub struct EndpointWithSecret {
    #[serde(flatten)]
    pub endpoint: EndpointView,
    pub secret: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = WebhookDelivery)]
pub struct DeliveryView {
    pub id: String,
    pub event_seq: i64,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        DeliveryView {
            id: d.id,
            event_seq: d.event_seq,
            status: d.status,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at.and_utc(),
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            created_at: d.created_at.and_utc(),
            delivered_at: d.delivered_at.map(|t| t.and_utc()),
        }
    }
}

/// The event types of an endpoint's filter (stored as a JSON array).
pub fn parse_event_types(stored: &str) -> Vec<String> {
    serde_json::from_str(stored).unwrap_or_default()
}

impl From<Endpoint> for EndpointView {
    fn from(e: Endpoint) -> Self {
        EndpointView {
            event_types: parse_event_types(&e.event_types),
            id: e.id,
            url: e.url,
            description: e.description,
            organization_id: e.organization_id,
            enabled: e.enabled,
            created_at: e.created_at.and_utc(),
            updated_at: e.updated_at.and_utc(),
        }
    }
}

/// Checks the form of a receiver URL, and its address when the host is an IP literal (a
/// name is checked at every delivery, after it is resolved).
fn validate_url(app: &AppState, url: &str) -> Result<(), WebhookError> {
    match app.outbound.check_url(url) {
        Ok(_) => Ok(()),
        Err(OutboundError::BlockedAddress) => Err(WebhookError::Invalid {
            field: "url",
            message: "the address is private, loopback, link-local or otherwise internal; \
                      allow its range with outbound_allowed_cidrs to use it"
                .into(),
        }),
        Err(_) => Err(WebhookError::Invalid {
            field: "url",
            message: "must be an http(s) URL with a host".into(),
        }),
    }
}

/// The URL as events and audit entries show it: scheme, host, port and path; no
/// userinfo, query or fragment.
pub fn redacted_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        }
        Err(_) => String::new(),
    }
}

fn validate_types(types: &[String]) -> Result<String, WebhookError> {
    let ok = types.iter().all(|t| {
        !t.is_empty()
            && t.len() <= 64
            && t.bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_')
    });
    if !ok {
        return Err(WebhookError::Invalid {
            field: "event_types",
            message: "each must be an event type such as `user.created`".into(),
        });
    }
    Ok(serde_json::Value::from(types.to_vec()).to_string())
}

fn new_secret(app: &AppState) -> String {
    format!("whsec_{}", app.ids.secret(32))
}

fn endpoint_change(
    ctx: &ChangeContext<'_>,
    conn: &mut crate::db::DbConn,
    event_type: EventType,
    e: &EndpointView,
) -> Result<(), WebhookError> {
    record_change(
        conn,
        ctx,
        &Change {
            event_type,
            organization_id: e.organization_id.as_deref(),
            subject_type: "webhook_endpoint",
            subject_id: &e.id,
            data: json!({ "webhook_endpoint": { "id": e.id, "url": redacted_url(&e.url), "event_types": e.event_types, "enabled": e.enabled } }),
        },
    )?;
    Ok(())
}

pub async fn create_endpoint(
    app: &AppState,
    actor: &Actor,
    request_id: Option<String>,
    input: CreateEndpoint,
) -> Result<EndpointWithSecret, WebhookError> {
    validate_url(app, &input.url)?;
    let types = validate_types(&input.event_types)?;
    let (app2, actor) = (app.clone(), actor.clone());
    app.db
        .write(move |conn| {
            let organization_id = match &input.organization {
                None => None,
                Some(o) => Some(
                    orgs::find_organization(conn, o)?
                        .ok_or(WebhookError::NotFound("organization"))?
                        .id,
                ),
            };
            let ctx = ChangeContext::new(&app2, &actor, request_id.as_deref());
            let id = app2.ids.id();
            let secret = new_secret(&app2);
            let sealed = app2
                .secrets
                .seal_str(Purpose::WebhookSecret, &id, &secret)?;
            webhooks::insert_endpoint(
                conn,
                &NewEndpoint {
                    id: &id,
                    url: &input.url,
                    description: &input.description,
                    organization_id: organization_id.as_deref(),
                    event_types: &types,
                    secret_sealed: &sealed,
                    enabled: true,
                    cursor_seq: 0,
                    created_at: ctx.now.naive_utc(),
                    updated_at: ctx.now.naive_utc(),
                },
            )?;
            let view: EndpointView = webhooks::find_endpoint(conn, &id)?
                .ok_or(WebhookError::NotFound("webhook endpoint"))?
                .into();
            endpoint_change(&ctx, conn, EventType::WebhookEndpointCreated, &view)?;
            // Deliver what happens from now on (after this endpoint's own creation), not
            // the whole history.
            let cursor = webhooks::latest_event_seq(conn)?;
            let start = EndpointChanges {
                cursor_seq: Some(cursor),
                ..EndpointChanges::default()
            };
            webhooks::update_endpoint(conn, &id, &start)?;
            Ok(EndpointWithSecret {
                endpoint: view,
                secret,
            })
        })
        .await
}

pub async fn list_endpoints(app: &AppState) -> Result<Vec<EndpointView>, WebhookError> {
    app.db
        .read(|conn| {
            Ok(webhooks::list_endpoints(conn)?
                .into_iter()
                .map(Into::into)
                .collect())
        })
        .await
}

pub async fn get_endpoint(app: &AppState, id: String) -> Result<EndpointView, WebhookError> {
    app.db
        .read(move |conn| {
            webhooks::find_endpoint(conn, &id)?
                .map(Into::into)
                .ok_or(WebhookError::NotFound("webhook endpoint"))
        })
        .await
}

pub async fn update_endpoint(
    app: &AppState,
    actor: &Actor,
    request_id: Option<String>,
    id: String,
    input: UpdateEndpoint,
) -> Result<EndpointView, WebhookError> {
    if let Some(url) = &input.url {
        validate_url(app, url)?;
    }
    let types = input
        .event_types
        .as_deref()
        .map(validate_types)
        .transpose()?;
    let (app2, actor) = (app.clone(), actor.clone());
    app.db
        .write(move |conn| {
            webhooks::find_endpoint(conn, &id)?
                .ok_or(WebhookError::NotFound("webhook endpoint"))?;
            let ctx = ChangeContext::new(&app2, &actor, request_id.as_deref());
            let changes = EndpointChanges {
                url: input.url.clone(),
                description: input.description.clone(),
                event_types: types,
                enabled: input.enabled,
                updated_at: Some(ctx.now.naive_utc()),
                ..EndpointChanges::default()
            };
            webhooks::update_endpoint(conn, &id, &changes)?;
            let view: EndpointView = webhooks::find_endpoint(conn, &id)?
                .ok_or(WebhookError::NotFound("webhook endpoint"))?
                .into();
            endpoint_change(&ctx, conn, EventType::WebhookEndpointUpdated, &view)?;
            Ok(view)
        })
        .await
}

pub async fn delete_endpoint(
    app: &AppState,
    actor: &Actor,
    request_id: Option<String>,
    id: String,
) -> Result<(), WebhookError> {
    let (app2, actor) = (app.clone(), actor.clone());
    app.db
        .write(move |conn| {
            let view: EndpointView = webhooks::find_endpoint(conn, &id)?
                .ok_or(WebhookError::NotFound("webhook endpoint"))?
                .into();
            webhooks::delete_endpoint(conn, &id)?;
            let ctx = ChangeContext::new(&app2, &actor, request_id.as_deref());
            endpoint_change(&ctx, conn, EventType::WebhookEndpointDeleted, &view)
        })
        .await
}

/// A new signing secret; the previous one keeps signing (as a second signature) for
/// [`PREVIOUS_SECRET_GRACE_HOURS`] so receivers can switch without dropping deliveries.
pub async fn rotate_secret(
    app: &AppState,
    actor: &Actor,
    request_id: Option<String>,
    id: String,
) -> Result<EndpointWithSecret, WebhookError> {
    let (app2, actor) = (app.clone(), actor.clone());
    app.db
        .write(move |conn| {
            let current = webhooks::find_endpoint(conn, &id)?
                .ok_or(WebhookError::NotFound("webhook endpoint"))?;
            let ctx = ChangeContext::new(&app2, &actor, request_id.as_deref());
            let secret = new_secret(&app2);
            // The current value moves to `previous_secret` still sealed: one purpose and
            // row id cover both columns.
            let changes = EndpointChanges {
                secret_sealed: Some(
                    app2.secrets
                        .seal_str(Purpose::WebhookSecret, &id, &secret)?,
                ),
                previous_secret_sealed: Some(Some(current.secret_sealed.clone())),
                previous_secret_expires_at: Some(Some(
                    (ctx.now + Duration::hours(PREVIOUS_SECRET_GRACE_HOURS)).naive_utc(),
                )),
                updated_at: Some(ctx.now.naive_utc()),
                ..EndpointChanges::default()
            };
            webhooks::update_endpoint(conn, &id, &changes)?;
            let view: EndpointView = webhooks::find_endpoint(conn, &id)?
                .ok_or(WebhookError::NotFound("webhook endpoint"))?
                .into();
            endpoint_change(&ctx, conn, EventType::WebhookEndpointSecretRotated, &view)?;
            Ok(EndpointWithSecret {
                endpoint: view,
                secret,
            })
        })
        .await
}

pub async fn list_deliveries(
    app: &AppState,
    id: String,
    limit: i64,
) -> Result<Vec<DeliveryView>, WebhookError> {
    app.db
        .read(move |conn| {
            webhooks::find_endpoint(conn, &id)?
                .ok_or(WebhookError::NotFound("webhook endpoint"))?;
            Ok(webhooks::list_deliveries(conn, &id, limit)?
                .into_iter()
                .map(Into::into)
                .collect())
        })
        .await
}

/// Queues a delivery again, due now (whatever its status).
pub async fn redeliver(
    app: &AppState,
    actor: &Actor,
    request_id: Option<String>,
    endpoint_id: String,
    delivery_id: String,
) -> Result<DeliveryView, WebhookError> {
    let (app2, actor) = (app.clone(), actor.clone());
    app.db
        .write(move |conn| {
            let endpoint = webhooks::find_endpoint(conn, &endpoint_id)?.ok_or(WebhookError::NotFound("webhook endpoint"))?;
            let delivery = webhooks::find_delivery(conn, &endpoint_id, &delivery_id)?.ok_or(WebhookError::NotFound("delivery"))?;
            let ctx = ChangeContext::new(&app2, &actor, request_id.as_deref());
            webhooks::requeue_delivery(conn, &delivery.id, ctx.now.naive_utc())?;
            record_change(
                conn,
                &ctx,
                &Change {
                    event_type: EventType::WebhookDeliveryRequeued,
                    organization_id: endpoint.organization_id.as_deref(),
                    subject_type: "webhook_delivery",
                    subject_id: &delivery.id,
                    data: json!({ "delivery": { "id": delivery.id, "endpoint_id": endpoint.id, "event_seq": delivery.event_seq } }),
                },
            )?;
            Ok(webhooks::find_delivery(conn, &endpoint_id, &delivery_id)?.ok_or(WebhookError::NotFound("delivery"))?.into())
        })
        .await
}
