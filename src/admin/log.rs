//! `/admin/v1/events` (the ordered event log) and `/admin/v1/audit-entries` (who did what).

use actix_web::web;
use serde::Deserialize;

use super::{data, ok, Reply};
use crate::auth::AdminCall;
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

pub(crate) async fn events(call: AdminCall, q: web::Query<EventQuery>) -> Reply {
    let q = q.into_inner();
    let after = q.after.unwrap_or(0);
    let items = feed::list_events(
        &call.app,
        after,
        q.organization,
        Vec::new(),
        page_limit(q.limit, 100, 1000)?,
    )
    .await?;
    let next = items.last().map_or(after, |e| e.seq);
    ok(serde_json::json!({ "data": items, "next_after": next }))
}

pub(crate) async fn audit(call: AdminCall, q: web::Query<AuditQuery>) -> Reply {
    data(feed::list_audit(&call.app, page_limit(q.limit, 100, 1000)?).await?)
}
