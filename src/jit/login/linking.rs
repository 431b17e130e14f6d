//! Steps 1–3 of the linking order (see `super`): which existing user a verified login
//! is, and the one-NameID-per-connection rule when a NameID is attached to a user.

use serde_json::json;

use super::{JitError, LoginRequest, Refusal, NAMEID_PERSISTENT};
use crate::changes::{record_change, Change, ChangeContext};
use crate::db::DbConn;
use crate::domain::EventType;
use crate::domain::{IdentitySourceKind, LinkedBy, Provenance};
use crate::jit::mapping::{NAMEID_EMAIL, NAMEID_UNSPECIFIED};
use crate::store::identities::{self, IdentityRow};
use crate::store::orgs::Organization;
use crate::store::users::{self as users_store, NewIdentity, UserRow};
use crate::store::StoreError;

/// Whether a NameID of this format may key an identity: persistent or unspecified
/// (Okta and others send unspecified for stable ids). Transient ids change every login;
/// email-format ids are emails, matched as emails (step 3), never as identities.
pub fn name_id_is_key(format: Option<&str>) -> bool {
    match format {
        None => true,
        Some(f) => f == NAMEID_PERSISTENT || f == NAMEID_UNSPECIFIED,
    }
}

/// Steps 1–3 of the linking order. `None`: nobody holds this person in the organization.
pub(super) fn find_user(
    conn: &mut DbConn,
    org: &Organization,
    req: &LoginRequest<'_>,
    identity: Option<&IdentityRow>,
    domain_verified: bool,
) -> Result<Option<(UserRow, LinkedBy)>, JitError> {
    let email_users: Vec<UserRow> =
        identities::users_by_email(conn, &org.id, &req.profile.email_lower)?;
    if let Some(i) = identity {
        let user = identities::find_user_any_state(conn, &org.id, &i.user_id)?
            .ok_or_else(|| StoreError::Corrupt(format!("identity {} has no user", i.id)))?;
        if user.state.is_live() {
            // The NameID says one person, the email another: never merge silently.
            if email_users
                .iter()
                .any(|u| u.id != user.id && u.state.is_live())
            {
                return Err(Refusal::IdentityConflict(
                    "this sign-in's NameID is linked to a different user than its email",
                )
                .into());
            }
            return Ok(Some((user, LinkedBy::Identity)));
        }
    }
    if name_id_is_key(req.name_id_format()) || req.name_id_format() == Some(NAMEID_EMAIL) {
        let mut scim = identities::live_users_by_scim_key(conn, &org.id, req.name_id())?;
        if scim.len() > 1 {
            return Err(Refusal::IdentityConflict(
                "several users of the organization's directory match this NameID",
            )
            .into());
        }
        if let Some(user) = scim.pop() {
            return Ok(Some((user, LinkedBy::Scim)));
        }
    }
    let live: Vec<&UserRow> = email_users
        .iter()
        .filter(|u| u.state.is_live())
        .filter(|u| domain_verified || u.provisioned_by == Provenance::Invite)
        .collect();
    match live.as_slice() {
        [] => {}
        [one] => return Ok(Some(((*one).clone(), LinkedBy::Email))),
        _ => {
            return Err(Refusal::IdentityConflict(
                "several users of this organization have this email",
            )
            .into())
        }
    }
    if email_users.iter().any(|u| !u.state.is_live()) && domain_verified {
        // Deprovisioned people stay out: JIT never re-creates them.
        return Err(Refusal::UserDeprovisioned.into());
    }
    Ok(None)
}

/// Refuses when `user_id` already has a NameID on this connection other than the
/// login's (a different IdP account claiming the same person: refused, not merged).
/// `Ok(true)`: it has this very NameID.
pub(super) fn refuse_second_name_id(
    conn: &mut DbConn,
    req: &LoginRequest<'_>,
    user_id: &str,
) -> Result<bool, JitError> {
    match users_store::find_source_identity(conn, req.connection_id.as_str(), user_id)? {
        Some((_, other)) if other != req.name_id() => Err(Refusal::IdentityConflict(
            "the user is already linked to a different account of this identity provider",
        )
        .into()),
        Some(_) => Ok(true),
        None => Ok(false),
    }
}

/// Links the NameID to `user_id`, unless the user already has another NameID on this
/// connection (see [`refuse_second_name_id`]).
pub(super) fn attach_name_id(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    org: &Organization,
    req: &LoginRequest<'_>,
    user_id: &str,
) -> Result<(), JitError> {
    if refuse_second_name_id(conn, req, user_id)? {
        return Ok(());
    }
    let id = ctx.ids.id();
    users_store::insert_identity(
        conn,
        &NewIdentity {
            id: &id,
            user_id,
            organization_id: &org.id,
            source_kind: IdentitySourceKind::Saml,
            source_id: req.connection_id.as_str(),
            external_id: req.name_id(),
            created_at: ctx.now.naive_utc(),
        },
    )?;
    record_change(
        conn,
        ctx,
        &Change {
            event_type: EventType::IdentityLinked,
            organization_id: Some(&org.id),
            subject_type: "user",
            subject_id: user_id,
            data: json!({
                "user": { "id": user_id },
                "identity": { "source_kind": IdentitySourceKind::Saml, "source_id": req.connection_id, "external_id": req.name_id() },
            }),
        },
    )?;
    Ok(())
}
