//! `/admin/v1/events` (the ordered event log) and `/admin/v1/audit-entries` (who did what).

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::auth::AdminAuth;
use crate::app::AppState;
use crate::error::ApiError;
use crate::lifecycle::feed;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/events", web::get().to(events))
        .route("/audit-entries", web::get().to(audit));
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
    /// Sequence number to read after (0 = from the start).
    pub after: Option<i64>,
    pub organization: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    pub limit: Option<i64>,
}

fn limit(value: Option<i64>) -> Result<i64, ApiError> {
    let limit = value.unwrap_or(100);
    if (1..=1000).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::Validation {
            field: "limit".into(),
            message: "must be between 1 and 1000".into(),
        })
    }
}

async fn events(
    app: web::Data<AppState>,
    _auth: AdminAuth,
    q: web::Query<EventQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let after = q.after.unwrap_or(0);
    let items = feed::list_events(&app, after, q.organization, Vec::new(), limit(q.limit)?).await?;
    let next = items.last().map_or(after, |e| e.seq);
    Ok(HttpResponse::Ok().json(serde_json::json!({ "data": items, "next_after": next })))
}

async fn audit(
    app: web::Data<AppState>,
    _auth: AdminAuth,
    q: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let items = feed::list_audit(&app, limit(q.limit)?).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "data": items })))
}
