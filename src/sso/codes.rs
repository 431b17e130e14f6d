//! One-time codes: the ACS hands the browser a code, the app's backend exchanges it (with
//! its API key) for the profile. A code is 256 random bits, stored only as its SHA-256,
//! usable once, for [`CODE_TTL`], and only with the redirect URI it was sent to (OAuth
//! 2.0 §4.1.3 semantics).

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use crate::app::AppState;
use crate::changes::ChangeContext;
use crate::db::DbConn;
use crate::jit::login::LoginOutcome;
use crate::lifecycle::users::{view_of, LifecycleError};
use crate::store::orgs::find_organization;
use crate::store::saml_connections::find_connection;
use crate::store::sso_codes::{self, NewSsoCode};
use crate::store::{StoreError, StoreResult};
use crate::tenancy::api_keys::hash_key;

/// How long a code may be exchanged.
pub const CODE_TTL: Duration = Duration::seconds(60);

/// Stores a new code for this login (in the login's transaction) and returns it.
pub fn issue_code(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    connection_id: &str,
    outcome: &LoginOutcome,
    redirect_uri: &str,
    payload: &Value,
) -> StoreResult<String> {
    let code = ctx.ids.secret(32);
    sso_codes::insert_code(
        conn,
        &NewSsoCode {
            code_hash: &hash_key(&code),
            organization_id: &outcome.organization.id,
            connection_id,
            user_id: &outcome.user.id,
            redirect_uri,
            payload: &payload.to_string(),
            created_at: ctx.now.naive_utc(),
            expires_at: (ctx.now + CODE_TTL).naive_utc(),
        },
    )?;
    Ok(code)
}

/// Why an exchange was refused (all are `invalid_grant` to the app, with this text).
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    #[error("the code is unknown, expired or already used")]
    InvalidCode,
    #[error("redirect_uri does not match the one the code was issued for")]
    RedirectMismatch,
    #[error("the user is no longer active")]
    UserNotActive,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<crate::db::DbError> for ExchangeError {
    fn from(e: crate::db::DbError) -> Self {
        ExchangeError::Store(StoreError::Db(e))
    }
}

/// Exchanges a code for the login's profile JSON. Single use is decided by one
/// conditional UPDATE, so two concurrent exchanges of one code cannot both succeed; a
/// wrong redirect URI burns the code too (it was presented by someone who has it).
pub async fn exchange(
    app: &AppState,
    code: String,
    redirect_uri: String,
) -> Result<Value, ExchangeError> {
    let now: DateTime<Utc> = app.now();
    app.db
        .write(move |conn| {
            let hash = hash_key(&code);
            let row = sso_codes::find_code(conn, &hash)?.ok_or(ExchangeError::InvalidCode)?;
            if !sso_codes::consume_code(conn, &hash, now.naive_utc())? {
                return Err(ExchangeError::InvalidCode);
            }
            if row.redirect_uri != redirect_uri {
                return Ok(Err(ExchangeError::RedirectMismatch));
            }
            Ok(profile_json(conn, &row))
        })
        .await?
}

/// The exchange answer: the user as the lifecycle API shows it now (`GET
/// /api/v1/users/{id}`), plus what the login carried.
fn profile_json(conn: &mut DbConn, row: &sso_codes::SsoCode) -> Result<Value, ExchangeError> {
    let payload: Value = serde_json::from_str(&row.payload)
        .map_err(|e| StoreError::Corrupt(format!("sso code payload: {e}")))?;
    let user = view_of(conn, &row.user_id).map_err(|e| match e {
        LifecycleError::Store(s) => ExchangeError::Store(s),
        LifecycleError::Db(d) => ExchangeError::Store(StoreError::Db(d)),
        _ => ExchangeError::UserNotActive,
    })?;
    if user.state != crate::domain::UserState::Active {
        return Err(ExchangeError::UserNotActive);
    }
    let org = find_organization(conn, &row.organization_id)?
        .ok_or_else(|| StoreError::Corrupt("code of a deleted organization".into()))?;
    let connection = find_connection(conn, &row.connection_id)?;
    let (roles, directory_groups) = (user.roles.clone(), user.groups.clone());
    Ok(json!({
        "user": user,
        "organization": { "id": org.id, "slug": org.slug, "name": org.name },
        "roles": roles,
        "groups": payload["groups"],
        "directory_groups": directory_groups,
        "attributes": payload["attributes"],
        "connection": {
            "id": row.connection_id,
            "idp_entity_id": connection.map(|c| c.idp_entity_id),
        },
        "name_id": payload["name_id"],
        "name_id_format": payload["name_id_format"],
        "session_index": payload["session_index"],
        "session_expires_at": payload["session_expires_at"],
        "is_new_user": payload["is_new_user"],
        // How the login started (`sp`: this app's `/sso/authorize`, bound to the browser;
        // `idp`: unsolicited) and the `state` it carried (for `idp`, the IdP's RelayState,
        // which nobody vouches for). Codes issued before these fields existed say null.
        "initiated_by": payload["initiated_by"],
        "state": payload["state"],
    }))
}
