//! `/admin/v1/events` (the ordered event log) and `/admin/v1/audit-entries` (who did what).

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::AdminAuth;
use crate::error::ApiError;
use crate::extract::page_limit;
use crate::lifecycle::feed;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
    /// Sequence number to read after (0 = from the start).
    pub after: Option<i64>,
    pub organization: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    pub limit: Option<i64>,
}

pub(crate) async fn events(
    app: web::Data<AppState>,
    _auth: AdminAuth,
    q: web::Query<EventQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let after = q.after.unwrap_or(0);
    let items = feed::list_events(
        &app,
        after,
        q.organization,
        Vec::new(),
        page_limit(q.limit, 100, 1000)?,
    )
    .await?;
    let next = items.last().map_or(after, |e| e.seq);
    Ok(HttpResponse::Ok().json(serde_json::json!({ "data": items, "next_after": next })))
}

pub(crate) async fn audit(
    app: web::Data<AppState>,
    _auth: AdminAuth,
    q: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let items = feed::list_audit(&app, page_limit(q.limit, 100, 1000)?).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "data": items })))
}
