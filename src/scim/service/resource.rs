//! What a SCIM resource type (`/Users`, `/Groups`) supplies to the one pipeline that
//! serves them all (`pipeline`, and the generic handlers in `scim::http::resources`):
//! how to parse its bodies, find, count, page and render its rows, and what create,
//! replace, patch and delete do inside their write transaction.

use serde_json::Value;

use super::{Caller, Rendered, ServiceError};
use crate::app::AppState;
use crate::db::DbConn;
use crate::scim::error::ScimError;
use crate::scim::representation::Projection;
use crate::scim::schema::ResourceType;
use crate::store::query::{Page, Pred, Sort};
use crate::store::StoreResult;

/// A SCIM resource type served by the generic pipeline.
pub trait ScimResource: 'static {
    /// The resource type: its name (`meta.resourceType`), endpoint, schemas and the
    /// attribute catalogue its filters, PATCH paths and projections resolve against.
    const RT: ResourceType;
    /// Whether PATCH honours `attributes`/`excludedAttributes` and, without them,
    /// answers 204 (RFC 7644 §3.5.2 allows 200 or 204): a member change of a large
    /// group then never reads its member list. Otherwise PATCH answers 200 with the
    /// whole resource.
    const PATCH_PROJECTION: bool;

    /// A stored resource.
    type Row: Send + 'static;
    /// A validated POST/PUT body.
    type Body: Send + 'static;
    /// A parsed PATCH body.
    type Patch: Send + 'static;

    /// The core schema URN (RFC 7643 §8.7.1).
    fn schema_urn() -> &'static str {
        Self::RT.core_schema().id
    }

    /// The endpoint under the SCIM base URL (`/Users`).
    fn endpoint() -> &'static str {
        Self::RT.endpoint()
    }

    /// 404 for a resource id this organization does not have.
    fn not_found(id: &str) -> ScimError {
        ScimError::not_found(format!("{} '{id}' not found", Self::RT.name()))
    }

    /// Validates a POST/PUT body (CPU work: the pipeline runs it off the worker).
    fn parse_body(body: &Value) -> Result<Self::Body, ScimError>;
    /// Parses a PATCH body (CPU work: the pipeline runs it off the worker).
    fn parse_patch(body: &Value) -> Result<Self::Patch, ScimError>;
    /// Called on the request's task with a validated POST body, before the write.
    fn before_create(_body: &Self::Body) {}

    /// The live resource `id` of the organization.
    fn find(conn: &mut DbConn, org: &str, id: &str) -> StoreResult<Option<Self::Row>>;
    /// The resource's version (its ETag).
    fn version(row: &Self::Row) -> i64;
    /// How many resources of the organization match `filter`.
    fn count(conn: &mut DbConn, org: &str, filter: Option<&Pred>) -> StoreResult<i64>;
    /// One page of the organization's resources matching `filter`.
    fn page(
        conn: &mut DbConn,
        org: &str,
        filter: Option<&Pred>,
        sort: Option<&Sort>,
        page: Page,
    ) -> StoreResult<Vec<Self::Row>>;

    /// One resource as answered: projected when `projection` is given.
    fn render(
        conn: &mut DbConn,
        row: &Self::Row,
        base: &str,
        projection: Option<&Projection>,
    ) -> Result<Rendered, ServiceError>;
    /// A page of resources as listed, each projected.
    fn render_page(
        conn: &mut DbConn,
        rows: &[Self::Row],
        base: &str,
        projection: &Projection,
    ) -> Result<Vec<Value>, ServiceError>;

    /// POST, inside the write transaction.
    fn create(
        conn: &mut DbConn,
        app: &AppState,
        caller: &Caller,
        body: Self::Body,
    ) -> Result<Rendered, ServiceError>;
    /// PUT of `existing` (its `If-Match` checked), inside the write transaction.
    fn replace(
        conn: &mut DbConn,
        app: &AppState,
        caller: &Caller,
        existing: Self::Row,
        body: Self::Body,
    ) -> Result<Rendered, ServiceError>;
    /// PATCH of `existing` (its `If-Match` checked), inside the write transaction.
    fn patch(
        conn: &mut DbConn,
        app: &AppState,
        caller: &Caller,
        existing: Self::Row,
        patch: Self::Patch,
        projection: Option<Projection>,
    ) -> Result<Rendered, ServiceError>;
    /// DELETE of `existing` (its `If-Match` checked), inside the write transaction.
    fn delete(
        conn: &mut DbConn,
        app: &AppState,
        caller: &Caller,
        existing: Self::Row,
    ) -> Result<(), ServiceError>;
}
