//! The OpenAPI document, built from the route table.

use actix_web::HttpResponse;

/// `GET /openapi.json`.
pub(crate) async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({}))
}
