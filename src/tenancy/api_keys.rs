//! API keys: admin keys (for `/admin/v1`) and app keys (for the login code exchange and
//! the lifecycle API). Only a SHA-256 hash of each key is stored; the key itself is shown
//! once, at creation. Keys carry 256 bits of randomness, so a fast hash is the right
//! tool (a slow password hash protects low-entropy secrets, which these are not).

use chrono::{DateTime, Duration, Utc};
use openssl::sha::sha256;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{validate, TenancyError};
use crate::app::AppState;
use crate::changes::{record_change, Actor, Change, ChangeContext};
use crate::db::DbConn;
use crate::domain::EventType;
use crate::store::api_keys::{self, ApiKey, NewApiKey};

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
    Admin,
    App,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Admin => "admin",
            KeyKind::App => "app",
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    pub name: String,
    /// `app` (default) or `admin`.
    pub kind: Option<KeyKind>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    pub kind: String,
    /// The first characters of the key, to recognise it in lists.
    pub prefix: String,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked: bool,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiKey> for ApiKeyView {
    fn from(k: ApiKey) -> Self {
        ApiKeyView {
            id: k.id,
            name: k.name,
            kind: k.kind,
            prefix: k.key_prefix,
            created_by: k.created_by,
            created_at: k.created_at.and_utc(),
            last_used_at: k.last_used_at.map(|t| t.and_utc()),
            revoked: k.revoked_at.is_some(),
            revoked_at: k.revoked_at.map(|t| t.and_utc()),
        }
    }
}

/// A key as returned at creation: the only time `key` is ever shown.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub view: ApiKeyView,
    pub key: String,
}

/// The stored form of a key.
pub fn hash_key(key: &str) -> String {
    hex::encode(sha256(key.as_bytes()))
}

fn display_prefix(key: &str) -> String {
    key.chars().take(14).collect()
}

/// Inserts a key row; used by the API, the CLI and the bootstrap.
fn insert_key(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    id: &str,
    name: &str,
    kind: KeyKind,
    key: &str,
) -> Result<ApiKey, TenancyError> {
    let created_by =
        (ctx.actor.kind != crate::domain::ActorKind::System).then(|| ctx.actor.label());
    api_keys::insert_api_key(
        conn,
        &NewApiKey {
            id,
            name,
            kind: kind.as_str(),
            key_hash: &hash_key(key),
            key_prefix: &display_prefix(key),
            created_by: created_by.as_deref(),
            created_at: ctx.now.naive_utc(),
        },
    )?;
    let row = api_keys::find_api_key(conn, id)?.ok_or(TenancyError::NotFound("api key"))?;
    record_change(
        conn,
        ctx,
        &Change {
            event_type: EventType::ApiKeyCreated,
            organization_id: None,
            subject_type: "api_key",
            subject_id: id,
            data: json!({ "api_key": { "id": id, "name": name, "kind": kind.as_str() } }),
        },
    )?;
    Ok(row)
}

pub fn new_key_secret(app: &AppState, kind: KeyKind) -> String {
    format!("pvd_{}_{}", kind.as_str(), app.ids.secret(32))
}

pub async fn create_api_key(
    app: &AppState,
    actor: &Actor,
    request_id: Option<String>,
    input: CreateApiKey,
) -> Result<CreatedApiKey, TenancyError> {
    validate::name("name", &input.name)?;
    let kind = input.kind.unwrap_or(KeyKind::App);
    let (app2, actor) = (app.clone(), actor.clone());
    app.db
        .write(move |conn| {
            let ctx = ChangeContext::new(&app2, &actor, request_id.as_deref());
            let key = new_key_secret(&app2, kind);
            let row = insert_key(conn, &ctx, &app2.ids.id(), input.name.trim(), kind, &key)?;
            Ok(CreatedApiKey {
                view: row.into(),
                key,
            })
        })
        .await
}

/// The synchronous form, for `provisiond admin-key create`.
pub fn create_api_key_blocking(
    app: &AppState,
    name: &str,
    kind: KeyKind,
) -> Result<CreatedApiKey, TenancyError> {
    validate::name("name", name)?;
    let actor = Actor {
        kind: crate::domain::ActorKind::Cli,
        id: "provisiond".into(),
    };
    app.db.write_blocking(|conn| {
        let ctx = ChangeContext::new(app, &actor, None);
        let key = new_key_secret(app, kind);
        let row = insert_key(conn, &ctx, &app.ids.id(), name, kind, &key)?;
        Ok(CreatedApiKey {
            view: row.into(),
            key,
        })
    })
}

pub async fn list_api_keys(app: &AppState) -> Result<Vec<ApiKeyView>, TenancyError> {
    app.db
        .read(|conn| {
            Ok(api_keys::list_api_keys(conn)?
                .into_iter()
                .map(Into::into)
                .collect())
        })
        .await
}

/// Revokes a key. Refuses to revoke the last active admin key, which would lock every
/// administrator out.
pub async fn revoke_api_key(
    app: &AppState,
    actor: &Actor,
    request_id: Option<String>,
    id: String,
) -> Result<ApiKeyView, TenancyError> {
    let (app2, actor) = (app.clone(), actor.clone());
    app.db
        .write(move |conn| {
            let key = api_keys::find_api_key(conn, &id)?.ok_or(TenancyError::NotFound("api key"))?;
            if key.revoked_at.is_some() {
                return Ok(key.into());
            }
            if key.kind == KeyKind::Admin.as_str() && api_keys::count_active_admin_keys(conn)? <= 1 {
                return Err(TenancyError::Conflict {
                    field: None,
                    message: "this is the last active admin key; create another before revoking it".into(),
                });
            }
            let ctx = ChangeContext::new(&app2, &actor, request_id.as_deref());
            api_keys::revoke_api_key(conn, &key.id, ctx.now.naive_utc())?;
            record_change(
                conn,
                &ctx,
                &Change {
                    event_type: EventType::ApiKeyRevoked,
                    organization_id: None,
                    subject_type: "api_key",
                    subject_id: &key.id,
                    data: json!({ "api_key": { "id": key.id, "name": key.name, "kind": key.kind } }),
                },
            )?;
            Ok(api_keys::find_api_key(conn, &key.id)?.ok_or(TenancyError::NotFound("api key"))?.into())
        })
        .await
}

/// Why a presented key was not accepted (the caller turns every case into one 401).
#[derive(Debug, PartialEq, Eq)]
pub enum KeyRejection {
    Unknown,
    Revoked,
    WrongKind,
}

/// Checks a presented key; returns the key's id when it is active and of `kind`.
/// `last_used_at` is refreshed at most once a minute, so reads stay reads.
pub async fn authenticate(
    app: &AppState,
    presented: String,
    kind: KeyKind,
) -> Result<Result<String, KeyRejection>, TenancyError> {
    let hash = hash_key(&presented);
    let found = app
        .db
        .read(move |conn| Ok::<_, TenancyError>(api_keys::find_api_key_by_hash(conn, &hash)?))
        .await?;
    let key = match found {
        None => return Ok(Err(KeyRejection::Unknown)),
        Some(k) if k.revoked_at.is_some() => return Ok(Err(KeyRejection::Revoked)),
        Some(k) if k.kind != kind.as_str() => return Ok(Err(KeyRejection::WrongKind)),
        Some(k) => k,
    };
    let now = app.now();
    let stale = key
        .last_used_at
        .is_none_or(|t| now.naive_utc() - t > Duration::seconds(60));
    if stale {
        let id = key.id.clone();
        // Best effort: a failed timestamp update must not fail the request it rides on.
        let touched = app
            .db
            .write(move |conn| {
                Ok::<_, TenancyError>(api_keys::touch_api_key(conn, &id, now.naive_utc())?)
            })
            .await;
        if let Err(e) = touched {
            tracing::warn!(error.kind = "api_key_touch", cause = %e, "could not record key use");
        }
    }
    Ok(Ok(key.id))
}

/// At start: accept the configured bootstrap key, or, when the database has no active
/// admin key at all, create one and return it so the caller can print it once.
pub fn bootstrap_admin_key(app: &AppState) -> Result<Option<String>, TenancyError> {
    let actor = Actor::system();
    app.db.write_blocking(|conn| {
        let ctx = ChangeContext::new(app, &actor, None);
        if let Some(key) = app.config.bootstrap_admin_key.as_deref() {
            // Present already (even revoked: a revoked bootstrap key stays revoked).
            if api_keys::find_api_key_by_hash(conn, &hash_key(key))?.is_none() {
                insert_key(conn, &ctx, &app.ids.id(), "bootstrap", KeyKind::Admin, key)?;
            }
            return Ok(None);
        }
        if api_keys::count_active_admin_keys(conn)? > 0 {
            return Ok(None);
        }
        let key = new_key_secret(app, KeyKind::Admin);
        insert_key(conn, &ctx, &app.ids.id(), "bootstrap", KeyKind::Admin, &key)?;
        Ok(Some(key))
    })
}
