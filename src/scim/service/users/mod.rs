//! `/Users` as a [`ScimResource`]: create, read, list/search, replace, patch, delete —
//! with lifecycle (active ↔ suspended, DELETE → deprovisioned), seats (`max_seats`), the
//! directory's identity link (`externalId`), and `user.*` / `identity.linked` events in
//! the same transaction. `render` answers, `profile` stores, `identity` links and
//! adopts, `writes` changes state.

mod identity;
mod profile;
mod render;
mod writes;

use serde_json::Value;

use super::resource::ScimResource;
use super::{Caller, Rendered, ServiceError};
use crate::app::AppState;
use crate::db::DbConn;
use crate::scim::error::ScimError;
use crate::scim::patch::{parse_patch, PatchOperation};
use crate::scim::representation::{validate_incoming, Incoming, Projection};
use crate::scim::schema::ResourceType;
use crate::store::query::{Page, Pred, Sort};
use crate::store::users::{self as store, UserRow};
use crate::store::StoreResult;

const RT: ResourceType = ResourceType::User;

fn not_found(id: &str) -> ScimError {
    Users::not_found(id)
}

/// The `/Users` resource type.
pub struct Users;

impl ScimResource for Users {
    const RT: ResourceType = RT;
    const PATCH_PROJECTION: bool = false;
    type Row = UserRow;
    type Body = Incoming;
    type Patch = Vec<PatchOperation>;

    fn parse_body(body: &Value) -> Result<Incoming, ScimError> {
        validate_incoming(RT, body)
    }

    fn parse_patch(body: &Value) -> Result<Vec<PatchOperation>, ScimError> {
        parse_patch(RT, body)
    }

    fn before_create(incoming: &Incoming) {
        if !incoming.ignored.is_empty() {
            tracing::info!(scim.ignored = ?incoming.ignored, "ignored unknown schema extensions");
        }
    }

    fn find(conn: &mut DbConn, org: &str, id: &str) -> StoreResult<Option<UserRow>> {
        store::find_live_user(conn, org, id)
    }

    fn version(row: &UserRow) -> i64 {
        row.version
    }

    fn count(conn: &mut DbConn, org: &str, filter: Option<&Pred>) -> StoreResult<i64> {
        store::count_users(conn, org, filter)
    }

    fn page(
        conn: &mut DbConn,
        org: &str,
        filter: Option<&Pred>,
        sort: Option<&Sort>,
        page: Page,
    ) -> StoreResult<Vec<UserRow>> {
        store::list_users_page(conn, org, filter, sort, page)
    }

    fn render(
        conn: &mut DbConn,
        row: &UserRow,
        base: &str,
        projection: Option<&Projection>,
    ) -> Result<Rendered, ServiceError> {
        render::rendered(conn, row, base, projection)
    }

    fn render_page(
        conn: &mut DbConn,
        rows: &[UserRow],
        base: &str,
        projection: &Projection,
    ) -> Result<Vec<Value>, ServiceError> {
        render::render_page(conn, rows, base, projection)
    }

    fn create(
        conn: &mut DbConn,
        app: &AppState,
        caller: &Caller,
        body: Incoming,
    ) -> Result<Rendered, ServiceError> {
        writes::create(conn, app, caller, body)
    }

    fn replace(
        conn: &mut DbConn,
        app: &AppState,
        caller: &Caller,
        existing: UserRow,
        body: Incoming,
    ) -> Result<Rendered, ServiceError> {
        writes::save(conn, app, caller, &existing, body.resource)
    }

    /// Users ignore `projection`: PATCH answers the whole resource.
    fn patch(
        conn: &mut DbConn,
        app: &AppState,
        caller: &Caller,
        existing: UserRow,
        ops: Vec<PatchOperation>,
        _projection: Option<Projection>,
    ) -> Result<Rendered, ServiceError> {
        writes::patch(conn, app, caller, &existing, &ops)
    }

    fn delete(
        conn: &mut DbConn,
        app: &AppState,
        caller: &Caller,
        existing: UserRow,
    ) -> Result<(), ServiceError> {
        writes::delete(conn, app, caller, &existing)
    }
}

#[cfg(test)]
mod tests;
