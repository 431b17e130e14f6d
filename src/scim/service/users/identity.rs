//! The directory's hold on a user: its identity link (`externalId` per directory,
//! `identity.linked`) and the adoption of a person SSO created first.

use serde_json::{json, Value};

use super::profile::email_rows;
use crate::changes::{record_change, Change, ChangeContext};
use crate::db::DbConn;
use crate::domain::{EventType, IdentitySourceKind, Provenance, UserState};
use crate::lifecycle::transitions::{self, Subject, Update};
use crate::scim::error::ScimError;
use crate::scim::service::{unique, Caller, ServiceError};
use crate::store::identities::users_by_email;
use crate::store::users::{self as store, NewIdentity, UserProfile, UserRow};

/// Inserts or updates the directory's identity link for `externalId`.
pub(super) fn link_identity(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    caller: &Caller,
    user_id: &str,
    external_id: Option<&str>,
) -> Result<(), ServiceError> {
    let Some(ext) = external_id else {
        return Ok(());
    };
    let dir = &caller.auth.directory_id;
    let taken = "externalId is already linked to another user of this directory";
    match store::find_source_identity(conn, dir, user_id)? {
        Some((_, current)) if current == ext => Ok(()),
        Some((id, _)) => {
            store::update_identity_external_id(conn, &id, ext).map_err(|e| unique(e, taken))
        }
        None => {
            let id = ctx.ids.id();
            store::insert_identity(
                conn,
                &NewIdentity {
                    id: &id,
                    user_id,
                    organization_id: &caller.auth.organization_id,
                    source_kind: IdentitySourceKind::Scim,
                    source_id: dir,
                    external_id: ext,
                    created_at: ctx.now.naive_utc(),
                },
            )
            .map_err(|e| unique(e, taken))?;
            record_change(
                conn,
                ctx,
                &Change {
                    event_type: EventType::IdentityLinked,
                    organization_id: Some(&caller.auth.organization_id),
                    subject_type: "user",
                    subject_id: user_id,
                    data: json!({ "user": { "id": user_id }, "identity": { "source_kind": IdentitySourceKind::Scim, "source_id": dir, "external_id": ext } }),
                },
            )?;
            Ok(())
        }
    }
}

/// A person SSO created first (JIT, or an accepted invitation) whom the directory now
/// pushes under another userName than the one JIT chose: the create adopts that record
/// instead of making a second user for one person (design invariant 1). Only an active
/// record that no directory holds yet is adopted, and only into an active user; anything
/// else with that email is a uniqueness conflict for the admin to resolve. A POST with
/// the record's own userName stays a plain 409 (the IdP should have found it by filter).
pub(super) fn adopt_sso_user(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    caller: &Caller,
    resource: &Value,
    p: &UserProfile,
    email_lower: &str,
) -> Result<Option<UserRow>, ServiceError> {
    let org = &caller.auth.organization_id;
    let Some(user) = users_by_email(conn, org, email_lower)?
        .into_iter()
        .find(|u| u.state.is_live() && u.provisioned_by.sso_owned())
    else {
        return Ok(None);
    };
    if user.user_name_lower == p.user_name_lower
        || store::identities_of_users(conn, std::slice::from_ref(&user.id))?
            .iter()
            .any(|i| i.source_kind == IdentitySourceKind::Scim)
    {
        return Ok(None);
    }
    if user.state != UserState::Active || p.state != UserState::Active {
        return Err(ScimError::uniqueness(format!(
            "a user with this email already exists (id {}, state {}, created by SSO login)",
            user.id, user.state
        ))
        .into());
    }
    store::update_user(conn, &user.id, p, user.version + 1, ctx.now.naive_utc())
        .map_err(|e| unique(e, "userName is already taken in this organization"))?;
    store::replace_user_emails(conn, &user.id, &email_rows(resource, &user.id, org))?;
    // The directory is its authority from now on (the inactivity policy, for one, only
    // touches users of JIT-only origin).
    transitions::adopt_for_scim(conn, &user.user_id())?;
    transitions::record_updated(
        conn,
        ctx,
        &Subject::from_profile(&user.id, org, p, Provenance::Scim),
        Update {
            changed: None,
            source: Provenance::Scim,
            previously_provisioned_by: Some(user.provisioned_by),
        },
    )?;
    link_identity(conn, ctx, caller, &user.id, p.external_id.as_deref())?;
    Ok(store::find_live_user(conn, org, &user.id)?)
}
