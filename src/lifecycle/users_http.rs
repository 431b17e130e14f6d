//! `/api/v1` user lifecycle routes (app API key): list and read users, state actions,
//! manual roles, reconciliation, and the inactivity policy's run and preview.

use actix_web::{web, HttpResponse};
use base64::Engine as _;
use chrono::DateTime;
use serde::Deserialize;

use super::inactivity;
use super::user_actions::{self as actions, ActionContext};
use super::users::{self, LifecycleError};
use crate::app::AppState;
use crate::auth::AppAuth;
use crate::error::ApiError;
use crate::extract::{page_limit, ApiJson};
use crate::store::users::LifecycleUserFilter;

impl From<LifecycleError> for ApiError {
    fn from(e: LifecycleError) -> Self {
        match e {
            LifecycleError::NotFound(what) => ApiError::NotFound(what.to_owned()),
            LifecycleError::Invalid { field, message } => ApiError::Validation {
                field: field.to_owned(),
                message,
            },
            LifecycleError::Transition(message) => ApiError::Conflict {
                field: Some("state".into()),
                message,
            },
            e @ LifecycleError::SeatLimit(_) => ApiError::Conflict {
                field: Some("max_seats".into()),
                message: e.to_string(),
            },
            LifecycleError::Store(s) => s.into(),
            LifecycleError::Db(d) => d.into(),
        }
    }
}

fn who(auth: AppAuth) -> ActionContext {
    ActionContext {
        actor: auth.actor,
        request_id: auth.request_id,
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub state: Option<String>,
    pub provisioned_by: Option<String>,
    pub email: Option<String>,
    pub external_id: Option<String>,
    /// RFC 3339; users whose `updated_at` is at or after it.
    pub updated_since: Option<String>,
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

const CURSOR_PREFIX: &str = "u1:";

/// The opaque cursor for "after this user id".
fn encode_cursor(id: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{id}"))
}

fn decode_cursor(cursor: &str) -> Result<String, ApiError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix(CURSOR_PREFIX).map(str::to_owned))
        .ok_or_else(|| ApiError::Validation {
            field: "cursor".into(),
            message: "not a cursor this API returned".into(),
        })
}

/// A query parameter that must name one word of a set (`state`, `provisioned_by`).
fn one_of<T>(field: &str, value: Option<String>, all: &[T]) -> Result<Option<T>, ApiError>
where
    T: std::str::FromStr + std::fmt::Display,
{
    value
        .map(|v| {
            v.parse::<T>().map_err(|_| ApiError::Validation {
                field: field.into(),
                message: format!(
                    "must be one of {}",
                    all.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
        })
        .transpose()
}

/// `GET /api/v1/organizations/{org}/users`: users of every state in id order.
pub(crate) async fn list(
    app: web::Data<AppState>,
    _auth: AppAuth,
    org: web::Path<String>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let limit = page_limit(q.limit, 100, 1000)?;
    let updated_since = q
        .updated_since
        .map(|t| {
            DateTime::parse_from_rfc3339(&t)
                .map(|t| t.naive_utc())
                .map_err(|_| ApiError::Validation {
                    field: "updated_since".into(),
                    message: "must be an RFC 3339 timestamp such as 2026-11-22T08:00:00Z".into(),
                })
        })
        .transpose()?;
    let filter = LifecycleUserFilter {
        state: one_of("state", q.state, crate::domain::UserState::ALL)?,
        provisioned_by: one_of(
            "provisioned_by",
            q.provisioned_by,
            crate::domain::Provenance::ALL,
        )?,
        email_lower: q.email.map(|e| e.trim().to_lowercase()),
        external_id: q.external_id,
        updated_since,
    };
    let after = q.cursor.as_deref().map(decode_cursor).transpose()?;
    let page = users::list_users(&app, org.into_inner(), filter, after, limit).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "data": page.users,
        "next_cursor": page.next_after.as_deref().map(encode_cursor),
    })))
}

pub(crate) async fn get(
    app: web::Data<AppState>,
    _auth: AppAuth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(users::get_user(&app, id.into_inner()).await?))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// Free text kept as `state_reason` and sent in the event.
    pub reason: Option<String>,
}

pub(crate) async fn suspend(
    app: web::Data<AppState>,
    auth: AppAuth,
    id: web::Path<String>,
    body: ApiJson<ActionBody>,
) -> Result<HttpResponse, ApiError> {
    let user = actions::suspend(&app, who(auth), id.into_inner(), body.0.reason).await?;
    Ok(HttpResponse::Ok().json(user))
}

pub(crate) async fn reactivate(
    app: web::Data<AppState>,
    auth: AppAuth,
    id: web::Path<String>,
    body: ApiJson<ActionBody>,
) -> Result<HttpResponse, ApiError> {
    let user = actions::reactivate(&app, who(auth), id.into_inner(), body.0.reason).await?;
    Ok(HttpResponse::Ok().json(user))
}

pub(crate) async fn deprovision(
    app: web::Data<AppState>,
    auth: AppAuth,
    id: web::Path<String>,
    body: ApiJson<ActionBody>,
) -> Result<HttpResponse, ApiError> {
    let user = actions::deprovision(&app, who(auth), id.into_inner(), body.0.reason).await?;
    Ok(HttpResponse::Ok().json(user))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    /// The role's key (or id) in the user's organization.
    pub role: String,
}

pub(crate) async fn assign_role(
    app: web::Data<AppState>,
    auth: AppAuth,
    id: web::Path<String>,
    body: ApiJson<RoleBody>,
) -> Result<HttpResponse, ApiError> {
    let user = actions::assign_role(&app, who(auth), id.into_inner(), body.0.role).await?;
    Ok(HttpResponse::Ok().json(user))
}

pub(crate) async fn unassign_role(
    app: web::Data<AppState>,
    auth: AppAuth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, role) = path.into_inner();
    let user = actions::unassign_role(&app, who(auth), id, role).await?;
    Ok(HttpResponse::Ok().json(user))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatesBody {
    pub user_ids: Vec<String>,
}

/// `POST /api/v1/users/states`: the current state of up to 1000 users in one call.
pub(crate) async fn states(
    app: web::Data<AppState>,
    _auth: AppAuth,
    body: ApiJson<StatesBody>,
) -> Result<HttpResponse, ApiError> {
    let data = users::user_states(&app, body.0.user_ids).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "data": data })))
}

pub(crate) async fn inactivity_preview(
    app: web::Data<AppState>,
    _auth: AppAuth,
    org: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(inactivity::preview(&app, org.into_inner()).await?))
}

pub(crate) async fn inactivity_run(
    app: web::Data<AppState>,
    auth: AppAuth,
    org: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(inactivity::run_for(&app, who(auth), org.into_inner()).await?))
}
