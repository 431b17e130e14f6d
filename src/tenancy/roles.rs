//! Roles per organization. `privileged` marks roles that IdP claims and groups may never
//! grant unless the organization explicitly allows it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::organizations::load as load_org;
use super::{conflict_on_unique, validate, TenancyError};
use crate::app::AppState;
use crate::changes::{record_change, Actor, Change, ChangeContext};
use crate::domain::EventType;
use crate::store::roles::{self, NewRole, Role, RoleChanges};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRole {
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub privileged: bool,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRole {
    pub name: Option<String>,
    pub privileged: Option<bool>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RoleView {
    pub id: String,
    pub organization_id: String,
    pub key: String,
    pub name: String,
    pub privileged: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Role> for RoleView {
    fn from(r: Role) -> Self {
        RoleView {
            id: r.id,
            organization_id: r.organization_id,
            key: r.key,
            name: r.name,
            privileged: r.privileged,
            created_at: r.created_at.and_utc(),
            updated_at: r.updated_at.and_utc(),
        }
    }
}

pub async fn create_role(
    app: &AppState,
    actor: &Actor,
    request_id: Option<String>,
    org: String,
    input: CreateRole,
) -> Result<RoleView, TenancyError> {
    validate::role_key(&input.key)?;
    validate::name("name", &input.name)?;
    let (app2, actor) = (app.clone(), actor.clone());
    app.db
        .write(move |conn| {
            let org = load_org(conn, &org)?;
            let ctx = ChangeContext::new(&app2, &actor, request_id.as_deref());
            let id = app2.ids.id();
            roles::insert_role(
                conn,
                &NewRole {
                    id: &id,
                    organization_id: &org.id,
                    key: &input.key,
                    name: input.name.trim(),
                    privileged: input.privileged,
                    created_at: ctx.now.naive_utc(),
                    updated_at: ctx.now.naive_utc(),
                },
            )
            .map_err(|e| {
                conflict_on_unique(
                    e,
                    "key",
                    format!("role `{}` exists in this organization", input.key),
                )
            })?;
            let view: RoleView = roles::find_role(conn, &org.id, &id)?
                .ok_or(TenancyError::NotFound("role"))?
                .into();
            record(conn, &ctx, EventType::RoleCreated, &view)?;
            Ok(view)
        })
        .await
}

pub async fn list_roles(app: &AppState, org: String) -> Result<Vec<RoleView>, TenancyError> {
    super::list_in_org(app, org, roles::list_roles).await
}

pub async fn get_role(app: &AppState, org: String, role: String) -> Result<RoleView, TenancyError> {
    super::get_in_org(app, org, role, "role", roles::find_role).await
}

pub async fn update_role(
    app: &AppState,
    actor: &Actor,
    request_id: Option<String>,
    org: String,
    role: String,
    input: UpdateRole,
) -> Result<RoleView, TenancyError> {
    if let Some(name) = &input.name {
        validate::name("name", name)?;
    }
    let (app2, actor) = (app.clone(), actor.clone());
    app.db
        .write(move |conn| {
            let org = load_org(conn, &org)?;
            let current =
                roles::find_role(conn, &org.id, &role)?.ok_or(TenancyError::NotFound("role"))?;
            if input.privileged == Some(true) && current.key == org.default_role {
                return Err(TenancyError::Conflict {
                    field: Some("privileged"),
                    message:
                        "this role is the organization's default role and cannot be privileged"
                            .into(),
                });
            }
            let ctx = ChangeContext::new(&app2, &actor, request_id.as_deref());
            let changes = RoleChanges {
                name: input.name.as_ref().map(|n| n.trim().to_owned()),
                privileged: input.privileged,
                updated_at: Some(ctx.now.naive_utc()),
            };
            roles::update_role(conn, &current.id, &changes)?;
            let view: RoleView = roles::find_role(conn, &org.id, &current.id)?
                .ok_or(TenancyError::NotFound("role"))?
                .into();
            record(conn, &ctx, EventType::RoleUpdated, &view)?;
            Ok(view)
        })
        .await
}

pub async fn delete_role(
    app: &AppState,
    actor: &Actor,
    request_id: Option<String>,
    org: String,
    role: String,
) -> Result<(), TenancyError> {
    let (app2, actor) = (app.clone(), actor.clone());
    app.db
        .write(move |conn| {
            let org = load_org(conn, &org)?;
            let current =
                roles::find_role(conn, &org.id, &role)?.ok_or(TenancyError::NotFound("role"))?;
            if current.key == org.default_role {
                return Err(TenancyError::Conflict {
                    field: None,
                    message:
                        "this role is the organization's default role; choose another default first"
                            .into(),
                });
            }
            roles::delete_role(conn, &current.id)?;
            let ctx = ChangeContext::new(&app2, &actor, request_id.as_deref());
            record(conn, &ctx, EventType::RoleDeleted, &current.into())?;
            Ok(())
        })
        .await
}

fn record(
    conn: &mut crate::db::DbConn,
    ctx: &ChangeContext<'_>,
    event_type: EventType,
    role: &RoleView,
) -> Result<i64, TenancyError> {
    Ok(record_change(
        conn,
        ctx,
        &Change {
            event_type,
            organization_id: Some(&role.organization_id),
            subject_type: "role",
            subject_id: &role.id,
            data: json!({ "role": role }),
        },
    )?)
}
