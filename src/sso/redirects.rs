//! The redirect-URI allow-list: where a login may send the browser back with a code. The
//! environment's list (`PROVISIOND_ALLOWED_REDIRECT_URIS`) plus the URIs admins added
//! through the API. Matching is exact (scheme, host, port, path and query), as OAuth 2.0
//! Security BCP §4.1 recommends: prefix or wildcard matching is how open redirects
//! happen.

use super::SsoError;
use crate::app::AppState;
use crate::changes::{record_change, Actor, Change, ChangeContext};
use crate::db::DbConn;
use crate::domain::EventType;
use crate::store::redirect_uris::{self as store, RedirectUri};
use crate::store::StoreError;

/// Longest redirect URI accepted.
const MAX_URI_LEN: usize = 2048;

/// Whether `uri` is on the allow-list.
pub async fn is_allowed(app: &AppState, uri: &str) -> Result<bool, SsoError> {
    if app.config.allowed_redirect_uris.iter().any(|u| u == uri) {
        return Ok(true);
    }
    let uri = uri.to_owned();
    app.db
        .read(move |conn| Ok::<_, SsoError>(store::redirect_uri_exists(conn, &uri)?))
        .await
}

/// Fails with a validation error on `field` unless `uri` is on the allow-list: a
/// connection's default redirect URI is checked when it is saved, so a typo surfaces then
/// and not at the first IdP-initiated login.
pub async fn require_allowed(app: &AppState, field: &str, uri: &str) -> Result<(), SsoError> {
    if is_allowed(app, uri).await? {
        return Ok(());
    }
    Err(SsoError::invalid(
        field,
        "is not on the allowed redirect URI list (add it with POST /admin/v1/redirect-uris \
         or PROVISIOND_ALLOWED_REDIRECT_URIS)",
    ))
}

/// Checks that `uri` is an absolute http(s) URL without a fragment.
pub fn check_redirect_uri(field: &str, uri: &str) -> Result<(), SsoError> {
    if uri.len() > MAX_URI_LEN {
        return Err(SsoError::invalid(
            field,
            format!("at most {MAX_URI_LEN} characters"),
        ));
    }
    let parsed = url::Url::parse(uri).map_err(|e| SsoError::invalid(field, e.to_string()))?;
    if !matches!(parsed.scheme(), "https" | "http") || parsed.host_str().is_none() {
        return Err(SsoError::invalid(field, "must be an absolute http(s) URL"));
    }
    if parsed.fragment().is_some() {
        return Err(SsoError::invalid(field, "must not have a fragment"));
    }
    Ok(())
}

/// Adds a URI to the API-managed list (409 when it is there already), recorded as
/// `redirect_uri.added`: this list decides where login codes may go.
pub async fn add(
    app: &AppState,
    actor: &Actor,
    request_id: Option<String>,
    uri: String,
) -> Result<RedirectUri, SsoError> {
    check_redirect_uri("uri", &uri)?;
    let row = RedirectUri {
        id: app.ids.id(),
        uri,
        created_at: app.now().naive_utc(),
    };
    let (app2, actor) = (app.clone(), actor.clone());
    app.db
        .write(move |conn| {
            store::insert_redirect_uri(conn, &row).map_err(|e| match e {
                StoreError::UniqueViolation(_) => SsoError::Conflict {
                    field: Some("uri"),
                    message: "this redirect URI is already allowed".into(),
                },
                other => other.into(),
            })?;
            let ctx = ChangeContext::new(&app2, &actor, request_id.as_deref());
            record(conn, &ctx, EventType::RedirectUriAdded, &row)?;
            Ok(row)
        })
        .await
}

/// Records a change of the allow-list (no organization: the list is server-wide).
fn record(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    event_type: EventType,
    row: &RedirectUri,
) -> Result<i64, SsoError> {
    Ok(record_change(
        conn,
        ctx,
        &Change {
            event_type,
            organization_id: None,
            subject_type: "redirect_uri",
            subject_id: &row.id,
            data: serde_json::json!({ "id": row.id, "uri": row.uri }),
        },
    )?)
}

/// The API-managed list and the environment's list (read-only here).
pub async fn list(app: &AppState) -> Result<(Vec<RedirectUri>, Vec<String>), SsoError> {
    let managed = app
        .db
        .read(|conn| Ok::<_, SsoError>(store::list_redirect_uris(conn)?))
        .await?;
    Ok((managed, app.config.allowed_redirect_uris.clone()))
}

/// Removes a URI from the API-managed list, recorded as `redirect_uri.removed`.
pub async fn remove(
    app: &AppState,
    actor: &Actor,
    request_id: Option<String>,
    id: String,
) -> Result<(), SsoError> {
    let (app2, actor) = (app.clone(), actor.clone());
    app.db
        .write(move |conn| {
            let row =
                store::find_redirect_uri(conn, &id)?.ok_or(SsoError::NotFound("redirect uri"))?;
            store::delete_redirect_uri(conn, &row.id)?;
            let ctx = ChangeContext::new(&app2, &actor, request_id.as_deref());
            record(conn, &ctx, EventType::RedirectUriRemoved, &row)?;
            Ok(())
        })
        .await
}

/// `uri` with `params` appended to its query string.
pub fn with_params(uri: &str, params: &[(&str, &str)]) -> String {
    match url::Url::parse(uri) {
        Ok(mut u) => {
            {
                let mut q = u.query_pairs_mut();
                for (k, v) in params {
                    q.append_pair(k, v);
                }
            }
            u.to_string()
        }
        Err(_) => uri.to_owned(),
    }
}
