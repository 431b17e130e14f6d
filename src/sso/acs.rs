//! The AssertionConsumerService flow: a verified Response (see [`super::login`]) →
//! attribute mapping → the JIT policy → a one-time code for the app, or a failure with a
//! machine reason (logs, `sso.failed` event) and words for the person.
//!
//! Where the browser goes: only a *verified* login (or a policy refusal of one) may send
//! it to the app's redirect URI — the one stored with the pending AuthnRequest, or the
//! connection's default for IdP-initiated logins, checked against the allow-list again
//! here. A Response that fails verification ends on provisiond's own error page: nothing
//! in it can be trusted, not even which request it claims to answer.
//!
//! Login CSRF: a Response that answers an AuthnRequest completes only in the browser that
//! started that request (its binding cookie, [`super::binding`]); otherwise it ends on
//! provisiond's page with reason `browser_mismatch`, whether or not the connection allows
//! IdP-initiated logins — a solicited Response is never downgraded to an unsolicited one.
//! Unsolicited (IdP-initiated) Responses carry no request to bind; when the connection
//! allows them they complete in any browser, and the app learns it from `initiated_by`.

use std::time::{Duration as StdDuration, Instant};

use serde_json::{json, Value};

use super::binding;
use super::codes::issue_code;
use super::login::{validate_and_consume, ConnectionInfo};
use super::redirects::{is_allowed, with_params};
use super::SsoError;
use crate::app::AppState;
use crate::changes::{record_change, Actor, Change, ChangeContext};
use crate::domain::EventType;
use crate::domain::{ConnectionId, OrgId, SsoFailureReason};
use crate::jit::login::{login, JitError, LoginOutcome, LoginRequest, Refusal};
use crate::jit::mapping::{map_assertion, MappedProfile, MappingError};
use crate::saml::response::ValidatedAssertion;
use crate::store::saml_connections::find_connection;

/// How often a login that lost a race against a concurrent first login is run again.
const MAX_ATTEMPTS: usize = 5;

/// A successful login: where to send the browser (the app's redirect URI with `code`
/// and `state`).
#[derive(Debug)]
pub struct AcsSuccess {
    pub location: String,
    pub user_id: String,
    pub is_new_user: bool,
}

/// A failed login.
#[derive(Debug)]
pub struct AcsFailure {
    /// Machine reason: `SsoError::reason`, `Refusal::reason` or `missing_email`.
    pub reason: SsoFailureReason,
    /// What happened, for the person.
    pub message: String,
    /// The app's redirect URI with `error`, `error_description` and `state`, when the
    /// login was verified and its redirect URI is known and allowed.
    pub app_redirect: Option<String>,
    /// A storage or setup fault (5xx), not a refusal.
    pub internal: bool,
}

impl AcsFailure {
    /// A storage fault: a 500 page, no redirect, no event (the log has the cause).
    fn internal() -> Self {
        AcsFailure {
            reason: SsoFailureReason::Storage,
            message: "Something went wrong on our side while signing you in.".into(),
            app_redirect: None,
            internal: true,
        }
    }

    fn unverified(e: &SsoError) -> Self {
        AcsFailure {
            reason: e.reason(),
            message: match e {
                SsoError::Replayed => "This sign-in was already used.".into(),
                SsoError::NotFound(_) => "This sign-in is for a connection that does not exist.".into(),
                SsoError::UnknownRequest => "This sign-in took too long or was already completed.".into(),
                SsoError::IdpInitiatedNotAllowed => {
                    "Signing in from your identity provider's dashboard is not enabled for this application.".into()
                }
                _ => "We could not verify this sign-in.".into(),
            },
            app_redirect: None,
            internal: !e.is_login_refusal() && !matches!(e, SsoError::NotFound(_)),
        }
    }
}

/// Where a verified login returns to: redirect URI and the app's `state`.
struct Target {
    redirect_uri: String,
    state: Option<String>,
    /// `sp` (answers an AuthnRequest this browser started) or `idp` (unsolicited).
    initiated_by: &'static str,
}

/// Runs the whole ACS for one POSTed `SAMLResponse`; `browser_binding` is the value of
/// the posting browser's binding cookie, if it sent one.
pub async fn consume(
    app: &AppState,
    connection_id: &str,
    saml_response: &str,
    relay_state: Option<String>,
    browser_binding: Option<String>,
    request_id: Option<&str>,
) -> Result<AcsSuccess, AcsFailure> {
    let now = app.now();
    let (assertion, info) = match validate_and_consume(app, connection_id, saml_response, now).await
    {
        Ok(v) => v,
        Err(e) => {
            let failure = AcsFailure::unverified(&e);
            tracing::warn!(sso.reason = failure.reason.as_str(), error = %e, connection = connection_id, "SAML login refused");
            app.metrics.sso_failure(failure.reason.as_str());
            if !matches!(e, SsoError::NotFound(_)) && !failure.internal {
                // Unverified: anyone could have posted it, so its events are throttled.
                let admitted =
                    app.sso_failures
                        .admit(connection_id, failure.reason.as_str(), Instant::now());
                if let Some(left_out) = admitted {
                    let extra = json!({ "left_out_since_last": left_out });
                    record_failure(app, connection_id, None, &failure, extra).await;
                }
            }
            return Err(failure);
        }
    };
    if let Some(req) = &info.authn_request {
        if !binding::matches(
            req.browser_binding_hash.as_deref(),
            browser_binding.as_deref(),
        ) {
            // Verified, but started in another browser (or the cookie expired): never sent
            // to the app, which would sign this browser in as whoever the IdP asserted.
            let failure = AcsFailure {
                reason: SsoFailureReason::BrowserMismatch,
                message: "This sign-in was started in another browser, or took too long.".into(),
                app_redirect: None,
                internal: false,
            };
            app.metrics.sso_failure(failure.reason.as_str());
            let extra = json!({ "cookie_present": browser_binding.is_some() });
            return Err(refused(app, &info, failure, extra).await);
        }
    }
    let target = target(app, &info, relay_state).await;
    let fail = |reason: SsoFailureReason, message: String, target: &Option<Target>| AcsFailure {
        reason,
        app_redirect: target.as_ref().map(|t| {
            let mut params = vec![
                ("error", reason.as_str()),
                ("error_description", message.as_str()),
            ];
            if let Some(s) = &t.state {
                params.push(("state", s));
            }
            with_params(&t.redirect_uri, &params)
        }),
        message,
        internal: false,
    };
    let target = match target {
        Ok(t) => t,
        Err(SsoFailureReason::Storage) => return Err(AcsFailure::internal()),
        Err(reason) => {
            let message = "This sign-in has no allowed application to return to.";
            let failure = fail(reason, message.into(), &None);
            return Err(refused(app, &info, failure, json!({})).await);
        }
    };

    let profile = match map_assertion(
        info.attribute_preset,
        &info.attribute_mapping,
        assertion.name_id(),
        assertion.name_id_format(),
        assertion.attributes(),
    ) {
        Ok(p) => p,
        Err(MappingError::MissingEmail) => {
            let message = "Your identity provider did not send an email address.";
            let failure = fail(
                SsoFailureReason::MissingEmail,
                message.into(),
                &Some(target),
            );
            return Err(refused(app, &info, failure, json!({})).await);
        }
    };

    match provision(app, &info, &assertion, &profile, &target, request_id).await {
        Ok((outcome, code)) => {
            let mut params = vec![("code", code.as_str())];
            if let Some(s) = &target.state {
                params.push(("state", s));
            }
            Ok(AcsSuccess {
                location: with_params(&target.redirect_uri, &params),
                user_id: outcome.user.id,
                is_new_user: outcome.is_new_user,
            })
        }
        Err(JitError::Refused(r)) => {
            let failure = fail(r.reason(), person_message(&r), &Some(target));
            let extra = json!({ "email_domain": profile.email_domain(), "detail": r.to_string() });
            Err(refused(app, &info, failure, extra).await)
        }
        Err(e) => {
            tracing::error!(error = %e, connection = %info.id, "SAML login failed");
            Err(AcsFailure::internal())
        }
    }
}

/// The redirect URI (and the app's state) of a verified login, or the reason there is
/// none: SP-initiated logins return where `/sso/authorize` was asked to; IdP-initiated
/// ones to the connection's default, with the IdP's RelayState as `state`.
async fn target(
    app: &AppState,
    info: &ConnectionInfo,
    relay_state: Option<String>,
) -> Result<Target, SsoFailureReason> {
    let (uri, state, initiated_by) = match &info.authn_request {
        Some(req) => (req.redirect_uri.clone(), req.relay_state.clone(), "sp"),
        None => (info.default_redirect_uri.clone(), relay_state, "idp"),
    };
    let uri = uri.ok_or(SsoFailureReason::NoRedirectUri)?;
    match is_allowed(app, &uri).await {
        Ok(true) => Ok(Target {
            redirect_uri: uri,
            state,
            initiated_by,
        }),
        Ok(false) => Err(SsoFailureReason::RedirectUriNotAllowed),
        Err(e) => {
            tracing::error!(error = %e, "reading the redirect allow-list failed");
            Err(SsoFailureReason::Storage)
        }
    }
}

/// The JIT transaction plus the code, retried when a concurrent first login of the same
/// person won a unique index (the retry links to that person's record).
async fn provision(
    app: &AppState,
    info: &ConnectionInfo,
    assertion: &ValidatedAssertion,
    profile: &MappedProfile,
    target: &Target,
    request_id: Option<&str>,
) -> Result<(LoginOutcome, String), JitError> {
    let payload = json!({
        "name_id": assertion.name_id(),
        "name_id_format": assertion.name_id_format(),
        "session_index": assertion.session_index(),
        "session_expires_at": assertion.session_not_on_or_after(),
        "groups": profile.groups,
        "attributes": { "mapped": mapped_view(profile), "raw": assertion.attributes() },
        "initiated_by": target.initiated_by,
        "state": target.state,
    });
    let mut attempt = 0;
    loop {
        attempt += 1;
        let app2 = app.clone();
        let (info2, profile2, payload2) = (info.clone(), profile.clone(), payload.clone());
        let assertion2 = assertion.clone();
        let redirect_uri = target.redirect_uri.clone();
        let request_id = request_id.map(str::to_owned);
        let result = app
            .db
            .write(move |conn| {
                let actor = Actor::saml_connection(&info2.id);
                let ctx = ChangeContext::new(&app2, &actor, request_id.as_deref());
                let outcome = login(
                    conn,
                    &ctx,
                    &LoginRequest {
                        organization_id: &OrgId::new(&info2.organization_id),
                        connection_id: &ConnectionId::new(&info2.id),
                        group_role_mapping: &info2.group_role_mapping,
                        assertion: &assertion2,
                        profile: &profile2,
                    },
                )?;
                let mut payload = payload2;
                payload["is_new_user"] = json!(outcome.is_new_user);
                let code = issue_code(conn, &ctx, &info2.id, &outcome, &redirect_uri, &payload)?;
                Ok::<_, JitError>((outcome, code))
            })
            .await;
        match result {
            Err(JitError::Race) if attempt < MAX_ATTEMPTS => {
                // Let the winner's transaction become visible before linking to it.
                tokio::time::sleep(StdDuration::from_millis(5 * attempt as u64)).await;
            }
            other => return other,
        }
    }
}

/// The mapped profile as the app sees it under `attributes.mapped`, with the custom
/// attributes (every one no field used) kept verbatim and, under `sources`, which
/// attribute each field was read from (for admins debugging a mapping).
fn mapped_view(p: &MappedProfile) -> Value {
    let mut v = p.mapped_json();
    v["custom"] = json!(p.custom);
    v["sources"] = json!(p.sources);
    v
}

/// What the person is told about a policy refusal (the admin-facing detail is in the
/// event and the log).
fn person_message(r: &Refusal) -> String {
    match r {
        Refusal::UnknownOrganization => {
            "This application is no longer set up for your organization."
        }
        Refusal::JitDisabled => "Your account has not been set up for this application yet.",
        Refusal::DomainNotVerified(_) => "Your email domain is not approved for this organization.",
        Refusal::SeatLimit(_) => "Your organization has no seats left in this application.",
        Refusal::UserSuspended => "Your access to this application is suspended.",
        Refusal::UserDeprovisioned => "Your access to this application has been removed.",
        Refusal::IdentityConflict(_) => "Your sign-in matches more than one account.",
        Refusal::InvitationExpired => "Your invitation has expired.",
        Refusal::InvitationRevoked => "Your invitation was withdrawn.",
    }
    .into()
}

/// A verified login that cannot continue: logged (with the admin-facing detail, if any)
/// and recorded as `sso.failed`.
async fn refused(
    app: &AppState,
    info: &ConnectionInfo,
    failure: AcsFailure,
    extra: Value,
) -> AcsFailure {
    let detail = extra
        .get("detail")
        .and_then(Value::as_str)
        .unwrap_or_default();
    tracing::warn!(sso.reason = failure.reason.as_str(), detail, connection = %info.id, "SAML login refused");
    record_failure(app, &info.id, Some(&info.organization_id), &failure, extra).await;
    failure
}

/// Records `sso.failed` in its own transaction (the login's own work rolled back).
/// Best effort: a failure to record is logged, never shown.
async fn record_failure(
    app: &AppState,
    connection_id: &str,
    organization_id: Option<&str>,
    failure: &AcsFailure,
    extra: Value,
) {
    let org = match organization_id {
        Some(o) => Some(o.to_owned()),
        None => {
            let id = connection_id.to_owned();
            app.db
                .read(move |conn| Ok::<_, SsoError>(find_connection(conn, &id)?))
                .await
                .ok()
                .flatten()
                .map(|c| c.organization_id)
        }
    };
    let Some(org) = org else {
        return; // no such connection: nobody to tell
    };
    let app2 = app.clone();
    let connection_id = connection_id.to_owned();
    let mut data = json!({ "reason": failure.reason, "message": failure.message, "connection_id": connection_id });
    if let (Some(d), Some(e)) = (data.as_object_mut(), extra.as_object()) {
        d.extend(e.clone());
    }
    let written = app
        .db
        .write(move |conn| {
            let actor = Actor::saml_connection(&connection_id);
            let ctx = ChangeContext::new(&app2, &actor, None);
            record_change(
                conn,
                &ctx,
                &Change {
                    event_type: EventType::SsoFailed,
                    organization_id: Some(&org),
                    subject_type: "saml_connection",
                    subject_id: &connection_id,
                    data,
                },
            )?;
            Ok::<_, SsoError>(())
        })
        .await;
    if let Err(e) = written {
        tracing::warn!(error = %e, "recording sso.failed failed");
    }
}
