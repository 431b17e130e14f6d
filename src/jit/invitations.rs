//! Invitations: an admin or the app vouches for one exact email (a contractor outside
//! the organization's verified domains). The invitee is a user record in state `invited`
//! (visible to the app, holding no seat) until their first SAML login accepts the
//! invitation (see `jit::login`); an invitation admits once, until it expires or is
//! revoked.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::mapping::is_email;
use super::profile::email_row;
use crate::app::AppState;
use crate::changes::{record_change, Actor, Change, ChangeContext};
use crate::db::DbConn;
use crate::domain::EventType;
use crate::domain::{Provenance, UserState};
use crate::lifecycle::transitions::{self, Subject};
use crate::scim::schema::USER_SCHEMA;
use crate::store::identities::users_by_email;
use crate::store::invitations::{self as store, Invitation, NewInvitation};
use crate::store::orgs::{find_organization, Organization};
use crate::store::roles::{find_role, Role};
use crate::store::users::{self as users_store, UserProfile};
use crate::store::StoreError;
use crate::tenancy::TenancyError;

/// Default and longest lifetime of an invitation.
const DEFAULT_DAYS: i64 = 14;
const MAX_DAYS: i64 = 90;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInvitation {
    pub email: String,
    /// Role key (or id) the invitee gets on acceptance, as a manual role.
    pub role: Option<String>,
    /// Days until the invitation expires (1–90, default 14).
    pub expires_in_days: Option<i64>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Invitation)]
pub struct InvitationView {
    pub id: String,
    pub organization_id: String,
    pub user_id: String,
    pub email: String,
    pub role: Option<String>,
    /// `pending`, `accepted`, `revoked` or `expired`.
    pub status: &'static str,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}

fn view(
    conn: &mut DbConn,
    inv: Invitation,
    now: NaiveDateTime,
) -> Result<InvitationView, TenancyError> {
    let role = match &inv.role_id {
        Some(id) => find_role(conn, &inv.organization_id, id)?.map(|r| r.key),
        None => None,
    };
    Ok(InvitationView {
        status: inv.status(now),
        id: inv.id,
        organization_id: inv.organization_id,
        user_id: inv.user_id,
        email: inv.email_lower,
        role,
        created_by: inv.created_by,
        created_at: utc(inv.created_at),
        expires_at: utc(inv.expires_at),
        accepted_at: inv.accepted_at.map(utc),
        revoked_at: inv.revoked_at.map(utc),
    })
}

fn organization(conn: &mut DbConn, org: &str) -> Result<Organization, TenancyError> {
    find_organization(conn, org)?.ok_or(TenancyError::NotFound("organization"))
}

/// Invites `email` into the organization.
pub async fn create_invitation(
    app: &AppState,
    actor: &Actor,
    request_id: Option<String>,
    org: String,
    input: CreateInvitation,
) -> Result<InvitationView, TenancyError> {
    let email = input.email.trim().to_owned();
    if !is_email(&email) {
        return Err(TenancyError::invalid("email", "must be an email address"));
    }
    let days = input.expires_in_days.unwrap_or(DEFAULT_DAYS);
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(TenancyError::invalid(
            "expires_in_days",
            format!("must be between 1 and {MAX_DAYS}"),
        ));
    }
    let (app2, actor) = (app.clone(), actor.clone());
    app.db
        .write(move |conn| {
            let ctx = ChangeContext::new(&app2, &actor, request_id.as_deref());
            let org = organization(conn, &org)?;
            let role: Option<Role> = match &input.role {
                Some(key) => Some(
                    find_role(conn, &org.id, key)?
                        .ok_or_else(|| TenancyError::invalid("role", format!("no role `{key}` in this organization")))?,
                ),
                None => None,
            };
            let email_lower = email.to_lowercase();
            let now = ctx.now.naive_utc();
            let user_id = match expired_invitee(conn, &org.id, &email_lower, now)? {
                // Invited before and never came: the same record is invited again.
                Some(id) => id,
                None => insert_invitee(conn, &ctx, &org, &email, &email_lower, &input)?,
            };
            let id = ctx.ids.id();
            let expires = ctx.now + Duration::days(days);
            store::insert_invitation(
                conn,
                &NewInvitation {
                    id: &id,
                    organization_id: &org.id,
                    user_id: &user_id,
                    email_lower: &email_lower,
                    role_id: role.as_ref().map(|r| r.id.as_str()),
                    created_by: &actor.label(),
                    created_at: now,
                    expires_at: expires.naive_utc(),
                },
            )?;
            record_change(
                conn,
                &ctx,
                &Change {
                    event_type: EventType::InvitationCreated,
                    organization_id: Some(&org.id),
                    subject_type: "user",
                    subject_id: &user_id,
                    data: json!({
                        "user": { "id": user_id, "email": email },
                        "invitation": { "id": id, "expires_at": expires, "role": role.as_ref().map(|r| &r.key) },
                    }),
                },
            )?;
            let inv = store::find_invitation(conn, &org.id, &id)?
                .ok_or_else(|| StoreError::Corrupt("invitation vanished".into()))?;
            view(conn, inv, now)
        })
        .await
}

/// The invited record of `email_lower` whose invitation expired (so it may be invited
/// again); `None` when the email has no live user; a conflict for anyone else.
fn expired_invitee(
    conn: &mut DbConn,
    org: &str,
    email_lower: &str,
    now: NaiveDateTime,
) -> Result<Option<String>, TenancyError> {
    let live: Vec<_> = users_by_email(conn, org, email_lower)?
        .into_iter()
        .filter(|u| u.state.is_live())
        .collect();
    let conflict = |message: &str| TenancyError::Conflict {
        field: Some("email"),
        message: message.into(),
    };
    match live.as_slice() {
        [] => Ok(None),
        [u] if u.state == UserState::Invited => match store::invitation_of_user(conn, &u.id)? {
            Some(inv) if inv.status(now) == "expired" => Ok(Some(u.id.clone())),
            _ => Err(conflict("a pending invitation for this email exists")),
        },
        _ => Err(conflict(
            "a user with this email already exists in the organization",
        )),
    }
}

/// Inserts the invited user record (state `invited`, no seat) and its `user.created`.
fn insert_invitee(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    org: &Organization,
    email: &str,
    email_lower: &str,
    input: &CreateInvitation,
) -> Result<String, TenancyError> {
    let user_id = ctx.ids.id();
    let now = ctx.now.naive_utc();
    let mut resource = json!({
        "schemas": [USER_SCHEMA],
        "userName": email,
        "emails": [{ "value": email, "type": "work", "primary": true }],
    });
    if input.given_name.is_some() || input.family_name.is_some() {
        resource["name"] =
            json!({ "givenName": input.given_name, "familyName": input.family_name });
    }
    let profile = UserProfile {
        user_name: email.to_owned(),
        user_name_lower: email_lower.to_owned(),
        external_id: None,
        email: Some(email.to_owned()),
        email_lower: Some(email_lower.to_owned()),
        given_name: input.given_name.clone(),
        family_name: input.family_name.clone(),
        display_name: None,
        active: false,
        state: UserState::Invited,
        attributes: resource.to_string(),
    };
    let new = profile.as_new(&user_id, &org.id, Provenance::Invite, now);
    transitions::create(conn, ctx, &new, None, None).map_err(|e| match e {
        StoreError::UniqueViolation(_) => TenancyError::Conflict {
            field: Some("email"),
            message: "a user with this user name already exists in the organization".into(),
        },
        other => other.into(),
    })?;
    users_store::replace_user_emails(conn, &user_id, &[email_row(&user_id, &org.id, email_lower)])?;
    Ok(user_id)
}

pub async fn list_invitations(
    app: &AppState,
    org: String,
) -> Result<Vec<InvitationView>, TenancyError> {
    let now = app.now().naive_utc();
    app.db
        .read(move |conn| {
            let org = organization(conn, &org)?;
            store::list_invitations(conn, &org.id)?
                .into_iter()
                .map(|i| view(conn, i, now))
                .collect()
        })
        .await
}

/// Revokes an invitation that was not accepted; the invited user record is
/// deprovisioned (it never held a seat or logged in; it stays for the audit trail).
pub async fn revoke_invitation(
    app: &AppState,
    actor: &Actor,
    request_id: Option<String>,
    org: String,
    id: String,
) -> Result<InvitationView, TenancyError> {
    let (app2, actor) = (app.clone(), actor.clone());
    app.db
        .write(move |conn| {
            let ctx = ChangeContext::new(&app2, &actor, request_id.as_deref());
            let org = organization(conn, &org)?;
            let inv = store::find_invitation(conn, &org.id, &id)?
                .ok_or(TenancyError::NotFound("invitation"))?;
            let now = ctx.now.naive_utc();
            if !store::revoke_invitation(conn, &inv.id, now)? {
                return Err(TenancyError::Conflict {
                    field: None,
                    message: format!(
                        "the invitation is {} and cannot be revoked",
                        inv.status(now)
                    ),
                });
            }
            let data = json!({ "user": { "id": inv.user_id }, "invitation": { "id": inv.id } });
            record_change(
                conn,
                &ctx,
                &Change {
                    event_type: EventType::InvitationRevoked,
                    organization_id: Some(&org.id),
                    subject_type: "user",
                    subject_id: &inv.user_id,
                    data: data.clone(),
                },
            )?;
            if let Some(user) = users_store::find_live_user(conn, &org.id, &inv.user_id)? {
                if user.state == UserState::Invited {
                    transitions::transition(
                        conn,
                        &ctx,
                        &Subject::from(&user),
                        UserState::Deprovisioned,
                        Some("invitation_revoked"),
                    )?;
                }
            }
            let inv = store::find_invitation(conn, &org.id, &id)?
                .ok_or_else(|| StoreError::Corrupt("invitation vanished".into()))?;
            view(conn, inv, now)
        })
        .await
}
