//! SCIM directories and their bearer tokens: create, list, rotate, revoke, and the
//! token check that turns `Authorization: Bearer …` into a directory (and so an
//! organization). Tokens are high-entropy secrets shown once and stored as SHA-256
//! hashes; several may be valid at once so an IdP's token can be rotated without a gap.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::json;

use crate::app::AppState;
use crate::changes::{record_change, Actor, Change, ChangeContext};
use crate::db::DbConn;
use crate::domain::EventType;
use crate::store::scim_directories::{self as store, ScimDirectory, ScimToken};
use crate::tenancy::api_keys::hash_key;
use crate::tenancy::organizations::load as load_org;
use crate::tenancy::TenancyError;

/// A token as listed: never the secret.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenView {
    pub id: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ScimToken> for TokenView {
    fn from(t: ScimToken) -> Self {
        TokenView {
            id: t.id,
            prefix: t.token_prefix,
            created_at: t.created_at.and_utc(),
            last_used_at: t.last_used_at.map(|x| x.and_utc()),
            revoked_at: t.revoked_at.map(|x| x.and_utc()),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DirectoryView {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub base_url: String,
    pub created_at: DateTime<Utc>,
    pub tokens: Vec<TokenView>,
}

/// A directory as returned at creation: the only time `token` is shown.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedDirectory {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub base_url: String,
    pub token_id: String,
    pub token: String,
}

/// A new token as returned by rotation: the only time `token` is shown.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    pub id: String,
    pub directory_id: String,
    pub token: String,
}

/// The directory a request authenticated as.
#[derive(Debug, Clone)]
pub struct DirectoryAuth {
    pub directory_id: String,
    pub organization_id: String,
}

impl DirectoryAuth {
    /// The actor recorded on every change made through this directory.
    pub fn actor(&self) -> Actor {
        Actor {
            kind: crate::domain::ActorKind::ScimDirectory,
            id: self.directory_id.clone(),
        }
    }
}

/// The SCIM base URL: `{public_url}/scim/v2`.
pub fn base_url(app: &AppState) -> String {
    app.links.scim_base()
}

fn view(app: &AppState, d: ScimDirectory, tokens: Vec<ScimToken>) -> DirectoryView {
    DirectoryView {
        id: d.id,
        organization_id: d.organization_id,
        name: d.name,
        base_url: base_url(app),
        created_at: d.created_at.and_utc(),
        tokens: tokens.into_iter().map(TokenView::from).collect(),
    }
}

fn new_token(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    app: &AppState,
    directory: &ScimDirectory,
) -> Result<(String, String), TenancyError> {
    let secret = format!("pvd_scim_{}", app.ids.secret(32));
    let id = app.ids.id();
    store::insert_token(
        conn,
        &ScimToken {
            id: id.clone(),
            directory_id: directory.id.clone(),
            token_hash: hash_key(&secret),
            token_prefix: secret.chars().take(14).collect(),
            created_at: ctx.now.naive_utc(),
            last_used_at: None,
            revoked_at: None,
        },
    )?;
    record_change(
        conn,
        ctx,
        &Change {
            event_type: EventType::ScimTokenCreated,
            organization_id: Some(&directory.organization_id),
            subject_type: "scim_directory",
            subject_id: &directory.id,
            data: json!({ "scim_directory": { "id": directory.id }, "token": { "id": id } }),
        },
    )?;
    Ok((id, secret))
}

pub async fn create_directory(
    app: &AppState,
    actor: &Actor,
    request_id: Option<String>,
    org: String,
    name: Option<String>,
) -> Result<CreatedDirectory, TenancyError> {
    let (app2, actor) = (app.clone(), actor.clone());
    app.db
        .write(move |conn| {
            let org = load_org(conn, &org)?;
            let ctx = ChangeContext::new(&app2, &actor, request_id.as_deref());
            let dir = ScimDirectory {
                id: app2.ids.id(),
                organization_id: org.id.clone(),
                name: name
                    .map(|n| n.trim().to_owned())
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| "SCIM".to_owned()),
                created_at: ctx.now.naive_utc(),
            };
            store::insert_directory(conn, &dir)?;
            record_change(
                conn,
                &ctx,
                &Change {
                    event_type: EventType::ScimDirectoryCreated,
                    organization_id: Some(&org.id),
                    subject_type: "scim_directory",
                    subject_id: &dir.id,
                    data: json!({ "scim_directory": { "id": dir.id, "name": dir.name } }),
                },
            )?;
            let (token_id, token) = new_token(conn, &ctx, &app2, &dir)?;
            Ok(CreatedDirectory {
                id: dir.id,
                organization_id: dir.organization_id,
                name: dir.name,
                base_url: base_url(&app2),
                token_id,
                token,
            })
        })
        .await
}

pub async fn list_directories(
    app: &AppState,
    org: String,
) -> Result<Vec<DirectoryView>, TenancyError> {
    let app2 = app.clone();
    app.db
        .read(move |conn| {
            let org = load_org(conn, &org)?;
            let dirs = store::list_directories(conn, &org.id)?;
            let mut out = Vec::with_capacity(dirs.len());
            for d in dirs {
                let tokens = store::list_tokens(conn, &d.id)?;
                out.push(view(&app2, d, tokens));
            }
            Ok(out)
        })
        .await
}

fn load_directory(
    conn: &mut DbConn,
    org: &str,
    directory: &str,
) -> Result<ScimDirectory, TenancyError> {
    let org = load_org(conn, org)?;
    store::find_directory(conn, &org.id, directory)?.ok_or(TenancyError::NotFound("scim directory"))
}

pub async fn get_directory(
    app: &AppState,
    org: String,
    directory: String,
) -> Result<DirectoryView, TenancyError> {
    let app2 = app.clone();
    app.db
        .read(move |conn| {
            let d = load_directory(conn, &org, &directory)?;
            let tokens = store::list_tokens(conn, &d.id)?;
            Ok(view(&app2, d, tokens))
        })
        .await
}

/// Issues an additional token; earlier tokens stay valid until revoked.
pub async fn rotate_token(
    app: &AppState,
    actor: &Actor,
    request_id: Option<String>,
    org: String,
    directory: String,
) -> Result<CreatedToken, TenancyError> {
    let (app2, actor) = (app.clone(), actor.clone());
    app.db
        .write(move |conn| {
            let d = load_directory(conn, &org, &directory)?;
            let ctx = ChangeContext::new(&app2, &actor, request_id.as_deref());
            let (id, token) = new_token(conn, &ctx, &app2, &d)?;
            Ok(CreatedToken {
                id,
                directory_id: d.id,
                token,
            })
        })
        .await
}

pub async fn revoke_token(
    app: &AppState,
    actor: &Actor,
    request_id: Option<String>,
    org: String,
    directory: String,
    token_id: String,
) -> Result<(), TenancyError> {
    let (app2, actor) = (app.clone(), actor.clone());
    app.db
        .write(move |conn| {
            let d = load_directory(conn, &org, &directory)?;
            let ctx = ChangeContext::new(&app2, &actor, request_id.as_deref());
            if store::revoke_token(conn, &d.id, &token_id, ctx.now.naive_utc())? == 0 {
                return Err(TenancyError::NotFound("scim token"));
            }
            record_change(
                conn,
                &ctx,
                &Change {
                    event_type: EventType::ScimTokenRevoked,
                    organization_id: Some(&d.organization_id),
                    subject_type: "scim_directory",
                    subject_id: &d.id,
                    data: json!({ "scim_directory": { "id": d.id }, "token": { "id": token_id } }),
                },
            )?;
            Ok(())
        })
        .await
}

/// The directory a presented bearer token belongs to, if the token is known and not
/// revoked. `last_used_at` is refreshed at most once a minute, best effort.
pub async fn authenticate(
    app: &AppState,
    presented: String,
) -> Result<Option<DirectoryAuth>, TenancyError> {
    let hash = hash_key(&presented);
    let found = app
        .db
        .read(move |conn| Ok::<_, TenancyError>(store::find_token_by_hash(conn, &hash)?))
        .await?;
    let Some((token, dir)) = found else {
        return Ok(None);
    };
    if token.revoked_at.is_some() {
        return Ok(None);
    }
    let now = app.now();
    if token
        .last_used_at
        .is_none_or(|t| now.naive_utc() - t > Duration::seconds(60))
    {
        let id = token.id.clone();
        let touched = app
            .db
            .write(move |conn| {
                Ok::<_, TenancyError>(store::touch_token(conn, &id, now.naive_utc())?)
            })
            .await;
        if let Err(e) = touched {
            tracing::warn!(error.kind = "scim_token_touch", cause = %e, "could not record token use");
        }
    }
    Ok(Some(DirectoryAuth {
        directory_id: dir.id,
        organization_id: dir.organization_id,
    }))
}
