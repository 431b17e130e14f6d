//! Organizations: create (with the built-in `admin` and `member` roles), read, list,
//! update JIT settings, delete.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::json;

use super::{conflict_on_unique, validate, TenancyError};
use crate::app::AppState;
use crate::changes::{record_change, Actor, Change, ChangeContext};
use crate::db::DbConn;
use crate::domain::EventType;
use crate::store::orgs::{self, NewOrganization, Organization, OrganizationChanges};
use crate::store::roles::{self, NewRole};

/// `POST /admin/v1/organizations`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganization {
    pub name: String,
    pub slug: String,
    pub jit_enabled: Option<bool>,
    pub sync_attributes_on_login: Option<bool>,
    pub default_role: Option<String>,
    pub max_seats: Option<i64>,
    pub allow_privileged_from_idp: Option<bool>,
    pub inactivity_suspend_days: Option<i64>,
    pub inactivity_deprovision_days: Option<i64>,
}

/// `PATCH /admin/v1/organizations/{org}`: absent fields stay; `null` clears a nullable one.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganization {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub jit_enabled: Option<bool>,
    pub sync_attributes_on_login: Option<bool>,
    pub default_role: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub max_seats: Option<Option<i64>>,
    pub allow_privileged_from_idp: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    pub inactivity_suspend_days: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    pub inactivity_deprovision_days: Option<Option<i64>>,
}

/// Distinguishes `"field": null` (Some(None)) from an absent field (None).
fn nullable<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

/// An organization as the admin API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrganizationView {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub jit_enabled: bool,
    pub sync_attributes_on_login: bool,
    pub default_role: String,
    pub max_seats: Option<i32>,
    pub allow_privileged_from_idp: bool,
    /// Suspend JIT-only users inactive this many days (null = policy off).
    pub inactivity_suspend_days: Option<i32>,
    /// Deprovision them this many days after that suspension (null = never).
    pub inactivity_deprovision_days: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Organization> for OrganizationView {
    fn from(o: Organization) -> Self {
        OrganizationView {
            id: o.id,
            slug: o.slug,
            name: o.name,
            jit_enabled: o.jit_enabled,
            sync_attributes_on_login: o.sync_attributes_on_login,
            default_role: o.default_role,
            max_seats: o.max_seats,
            allow_privileged_from_idp: o.allow_privileged_from_idp,
            inactivity_suspend_days: o.inactivity_suspend_days,
            inactivity_deprovision_days: o.inactivity_deprovision_days,
            created_at: o.created_at.and_utc(),
            updated_at: o.updated_at.and_utc(),
        }
    }
}

/// The roles every organization starts with: (key, name, privileged).
pub const BUILT_IN_ROLES: [(&str, &str, bool); 2] = [
    ("admin", "Administrator", true),
    ("member", "Member", false),
];

pub async fn create_organization(
    app: &AppState,
    actor: &Actor,
    request_id: Option<String>,
    input: CreateOrganization,
) -> Result<OrganizationView, TenancyError> {
    validate::name("name", &input.name)?;
    validate::slug(&input.slug)?;
    let max_seats = validate::non_negative("max_seats", input.max_seats, 0)?;
    let inactivity =
        validate::non_negative("inactivity_suspend_days", input.inactivity_suspend_days, 1)?;
    let deprovision_after = validate::non_negative(
        "inactivity_deprovision_days",
        input.inactivity_deprovision_days,
        1,
    )?;
    let default_role = input.default_role.unwrap_or_else(|| "member".into());
    match BUILT_IN_ROLES
        .iter()
        .find(|(key, _, _)| *key == default_role)
    {
        None => {
            return Err(TenancyError::invalid(
                "default_role",
                "must be the key of an existing role (a new organization has `admin` and `member`)",
            ))
        }
        Some((_, _, true)) => return Err(privileged_default()),
        Some(_) => {}
    }
    let (app2, actor) = (app.clone(), actor.clone());
    app.db
        .write(move |conn| {
            let now = app2.now();
            let id = app2.ids.id();
            let org = NewOrganization {
                id: &id,
                slug: &input.slug,
                name: input.name.trim(),
                jit_enabled: input.jit_enabled.unwrap_or(true),
                sync_attributes_on_login: input.sync_attributes_on_login.unwrap_or(true),
                default_role: &default_role,
                max_seats,
                allow_privileged_from_idp: input.allow_privileged_from_idp.unwrap_or(false),
                inactivity_suspend_days: inactivity,
                created_at: now.naive_utc(),
                updated_at: now.naive_utc(),
            };
            orgs::insert_organization(conn, &org).map_err(|e| {
                conflict_on_unique(
                    e,
                    "slug",
                    format!("an organization with slug `{}` exists", input.slug),
                )
            })?;
            if deprovision_after.is_some() {
                // Not part of `NewOrganization`, which other rooms construct.
                orgs::update_organization(
                    conn,
                    &id,
                    &OrganizationChanges {
                        inactivity_deprovision_days: Some(deprovision_after),
                        ..OrganizationChanges::default()
                    },
                )?;
            }
            for (key, name, privileged) in BUILT_IN_ROLES {
                let role_id = app2.ids.id();
                roles::insert_role(
                    conn,
                    &NewRole {
                        id: &role_id,
                        organization_id: &id,
                        key,
                        name,
                        privileged,
                        created_at: now.naive_utc(),
                        updated_at: now.naive_utc(),
                    },
                )?;
            }
            let created = load(conn, &id)?;
            let ctx = ChangeContext::new(&app2, &actor, request_id.as_deref());
            record_change(
                conn,
                &ctx,
                &Change {
                    event_type: EventType::OrganizationCreated,
                    organization_id: Some(&id),
                    subject_type: "organization",
                    subject_id: &id,
                    data: json!({ "organization": OrganizationView::from(created.clone()) }),
                },
            )?;
            Ok(created.into())
        })
        .await
}

pub async fn get_organization(
    app: &AppState,
    id_or_slug: String,
) -> Result<OrganizationView, TenancyError> {
    app.db
        .read(move |conn| load(conn, &id_or_slug).map(Into::into))
        .await
}

pub async fn list_organizations(
    app: &AppState,
    after: Option<String>,
    limit: i64,
) -> Result<Vec<OrganizationView>, TenancyError> {
    app.db
        .read(move |conn| {
            Ok(orgs::list_organizations(conn, after.as_deref(), limit)?
                .into_iter()
                .map(Into::into)
                .collect())
        })
        .await
}

pub async fn update_organization(
    app: &AppState,
    actor: &Actor,
    request_id: Option<String>,
    id_or_slug: String,
    input: UpdateOrganization,
) -> Result<OrganizationView, TenancyError> {
    if let Some(name) = &input.name {
        validate::name("name", name)?;
    }
    if let Some(slug) = &input.slug {
        validate::slug(slug)?;
    }
    let max_seats = input
        .max_seats
        .map(|v| validate::non_negative("max_seats", v, 0))
        .transpose()?;
    let inactivity = input
        .inactivity_suspend_days
        .map(|v| validate::non_negative("inactivity_suspend_days", v, 1))
        .transpose()?;
    let deprovision_after = input
        .inactivity_deprovision_days
        .map(|v| validate::non_negative("inactivity_deprovision_days", v, 1))
        .transpose()?;
    let (app2, actor) = (app.clone(), actor.clone());
    app.db
        .write(move |conn| {
            let current = load(conn, &id_or_slug)?;
            if let Some(role_key) = &input.default_role {
                match roles::find_role(conn, &current.id, role_key)? {
                    None => {
                        return Err(TenancyError::invalid(
                            "default_role",
                            "no role with that key",
                        ))
                    }
                    Some(r) if r.privileged => return Err(privileged_default()),
                    Some(_) => {}
                }
            }
            let now = app2.now();
            let changes = OrganizationChanges {
                slug: input.slug.clone(),
                name: input.name.as_ref().map(|n| n.trim().to_owned()),
                jit_enabled: input.jit_enabled,
                sync_attributes_on_login: input.sync_attributes_on_login,
                default_role: input.default_role.clone(),
                max_seats,
                allow_privileged_from_idp: input.allow_privileged_from_idp,
                inactivity_suspend_days: inactivity,
                inactivity_deprovision_days: deprovision_after,
                updated_at: Some(now.naive_utc()),
            };
            orgs::update_organization(conn, &current.id, &changes).map_err(|e| {
                conflict_on_unique(e, "slug", "an organization with that slug exists".into())
            })?;
            let updated = load(conn, &current.id)?;
            let ctx = ChangeContext::new(&app2, &actor, request_id.as_deref());
            record_change(
                conn,
                &ctx,
                &Change {
                    event_type: EventType::OrganizationUpdated,
                    organization_id: Some(&current.id),
                    subject_type: "organization",
                    subject_id: &current.id,
                    data: json!({
                        "organization": OrganizationView::from(updated.clone()),
                        "previous": OrganizationView::from(current.clone()),
                    }),
                },
            )?;
            Ok(updated.into())
        })
        .await
}

pub async fn delete_organization(
    app: &AppState,
    actor: &Actor,
    request_id: Option<String>,
    id_or_slug: String,
) -> Result<(), TenancyError> {
    let (app2, actor) = (app.clone(), actor.clone());
    app.db
        .write(move |conn| {
            let current = load(conn, &id_or_slug)?;
            orgs::delete_organization(conn, &current.id)?;
            let ctx = ChangeContext::new(&app2, &actor, request_id.as_deref());
            record_change(
                conn,
                &ctx,
                &Change {
                    event_type: EventType::OrganizationDeleted,
                    organization_id: Some(&current.id),
                    subject_type: "organization",
                    subject_id: &current.id,
                    data: json!({ "organization": OrganizationView::from(current.clone()) }),
                },
            )?;
            Ok(())
        })
        .await
}

/// Loads an organization by id or slug, or `NotFound`.
pub(crate) fn load(conn: &mut DbConn, id_or_slug: &str) -> Result<Organization, TenancyError> {
    orgs::find_organization(conn, id_or_slug)?.ok_or(TenancyError::NotFound("organization"))
}

fn privileged_default() -> TenancyError {
    TenancyError::invalid(
        "default_role",
        "must not be a privileged role: every JIT-provisioned user would receive it",
    )
}
