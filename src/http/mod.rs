//! The HTTP layer's spine: [`routes`] is the one table of every path the service answers
//! (method, full path, who may call it, handler), [`mount`] turns that table into actix
//! resources, and [`openapi`] builds the OpenAPI document from the same table. Handlers
//! live beside their domain rooms (`admin`, `lifecycle`, `scim::http`, `sso_http`, ...);
//! none of them registers itself.

mod mount;
pub mod openapi;
pub mod routes;
