//! The app-facing API under `/api/v1` (app API key): the event feed here; the user
//! lifecycle routes in `users_http.rs`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::feed;
use crate::app::AppState;
use crate::auth::AppAuth;
use crate::error::ApiError;
use crate::extract::page_limit;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
    /// The `next_after` of the previous page (0 = from the start).
    pub after: Option<i64>,
    /// Only this organization's events (its id).
    pub organization: Option<String>,
    /// Comma-separated event types.
    pub types: Option<String>,
    pub limit: Option<i64>,
}

/// `GET /api/v1/events`: committed events after the cursor, in commit order. Resume from
/// `next_after`; an empty page means "nothing new yet", poll again later.
pub(crate) async fn events(
    app: web::Data<AppState>,
    _auth: AppAuth,
    q: web::Query<EventQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let after = q.after.unwrap_or(0);
    let limit = page_limit(q.limit, 100, 1000)?;
    let types: Vec<String> = q
        .types
        .iter()
        .flat_map(|t| t.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    let items = feed::list_events(&app, after, q.organization, types, limit).await?;
    let next = items.last().map_or(after, |e| e.seq);
    Ok(HttpResponse::Ok().json(serde_json::json!({ "data": items, "next_after": next })))
}
