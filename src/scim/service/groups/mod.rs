//! `/Groups` as a [`ScimResource`]: create, read, list/search, replace, patch, delete.
//! Members live in `group_members` rows, never in the stored JSON: a PATCH that adds or
//! removes members touches only the rows it names (cost follows the change, not the
//! group size), and a listing with `excludedAttributes=members` never reads them.
//! Members must be live users of the same organization. `render` answers, `members`
//! keeps the rows, `patch` splits and applies member operations, `writes` changes.

mod members;
mod patch;
mod render;
mod writes;

use serde_json::Value;

use super::resource::ScimResource;
use super::{Caller, Rendered, ServiceError};
use crate::app::AppState;
use crate::db::DbConn;
use crate::scim::error::ScimError;
use crate::scim::patch::{parse_patch, PatchOperation};
use crate::scim::representation::{member_ids, validate_incoming, Incoming, Projection};
use crate::scim::schema::ResourceType;
use crate::store::groups::{self as store, GroupRow};
use crate::store::query::{Page, Pred, Sort};
use crate::store::StoreResult;
use patch::{split_ops, MemberOp};

const RT: ResourceType = ResourceType::Group;
const NAME_TAKEN: &str = "displayName is already taken by another group of this organization";

fn not_found(id: &str) -> ScimError {
    Groups::not_found(id)
}

/// The `/Groups` resource type.
pub struct Groups;

impl ScimResource for Groups {
    const RT: ResourceType = RT;
    const PATCH_PROJECTION: bool = true;
    type Row = GroupRow;
    /// A validated POST/PUT body and its distinct member ids.
    type Body = (Incoming, Vec<String>);
    /// Member operations (applied to rows) and the rest (applied to the stored JSON).
    type Patch = (Vec<MemberOp>, Vec<PatchOperation>);

    fn parse_body(body: &Value) -> Result<Self::Body, ScimError> {
        let incoming = validate_incoming(RT, body)?;
        let members = member_ids(&incoming.resource);
        Ok((incoming, members))
    }

    fn parse_patch(body: &Value) -> Result<Self::Patch, ScimError> {
        split_ops(parse_patch(RT, body)?)
    }

    fn find(conn: &mut DbConn, org: &str, id: &str) -> StoreResult<Option<GroupRow>> {
        store::find_group(conn, org, id)
    }

    fn version(row: &GroupRow) -> i64 {
        row.version
    }

    fn count(conn: &mut DbConn, org: &str, filter: Option<&Pred>) -> StoreResult<i64> {
        store::count_groups(conn, org, filter)
    }

    fn page(
        conn: &mut DbConn,
        org: &str,
        filter: Option<&Pred>,
        sort: Option<&Sort>,
        page: Page,
    ) -> StoreResult<Vec<GroupRow>> {
        store::list_groups_page(conn, org, filter, sort, page)
    }

    fn render(
        conn: &mut DbConn,
        row: &GroupRow,
        base: &str,
        projection: Option<&Projection>,
    ) -> Result<Rendered, ServiceError> {
        render::rendered(conn, row, base, projection)
    }

    fn render_page(
        conn: &mut DbConn,
        rows: &[GroupRow],
        base: &str,
        projection: &Projection,
    ) -> Result<Vec<Value>, ServiceError> {
        render::render_page(conn, rows, base, projection)
    }

    fn create(
        conn: &mut DbConn,
        app: &AppState,
        caller: &Caller,
        body: Self::Body,
    ) -> Result<Rendered, ServiceError> {
        writes::create(conn, app, caller, body)
    }

    fn replace(
        conn: &mut DbConn,
        app: &AppState,
        caller: &Caller,
        existing: GroupRow,
        body: Self::Body,
    ) -> Result<Rendered, ServiceError> {
        writes::replace(conn, app, caller, &existing, body)
    }

    fn patch(
        conn: &mut DbConn,
        app: &AppState,
        caller: &Caller,
        existing: GroupRow,
        patch: Self::Patch,
        projection: Option<Projection>,
    ) -> Result<Rendered, ServiceError> {
        writes::patch(conn, app, caller, &existing, patch, projection)
    }

    fn delete(
        conn: &mut DbConn,
        app: &AppState,
        caller: &Caller,
        existing: GroupRow,
    ) -> Result<(), ServiceError> {
        writes::delete(conn, app, caller, &existing)
    }
}
