//! Liveness, readiness and metrics endpoints.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::app::AppState;
use crate::db::migrations::is_current;
use crate::db::DbError;

/// `GET /healthz`: the process is up and serving.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// `GET /readyz`: the database answers (reading the migrations table is the probe) and
/// carries every migration this binary knows.
pub async fn readyz(app: web::Data<AppState>) -> HttpResponse {
    let backend = app.db.backend();
    let check = app
        .db
        .read(move |conn| -> Result<bool, DbError> { is_current(conn, backend) })
        .await;
    match check {
        Ok(true) => {
            HttpResponse::Ok().json(json!({ "status": "ready", "database": backend.name() }))
        }
        Ok(false) => HttpResponse::ServiceUnavailable()
            .json(json!({ "status": "not_ready", "reason": "database migrations pending" })),
        Err(e) => {
            tracing::warn!(error.kind = "readiness", cause = %e, "database not ready");
            HttpResponse::ServiceUnavailable()
                .json(json!({ "status": "not_ready", "reason": "database unavailable" }))
        }
    }
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(app: web::Data<AppState>) -> HttpResponse {
    let body = app
        .metrics
        .render(app.db.pool_state(), app.db.backend().name());
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body)
}
