//! The per-organization inactivity policy, off by default. With
//! `inactivity_suspend_days = N`, active users of JIT-only origin (provisioned by JIT, no
//! SCIM identity: nobody else would ever deprovision them) whose last login — or creation,
//! if they never logged in — is more than N days old are suspended with reason
//! `inactivity`. With `inactivity_deprovision_days = M`, users the policy suspended are
//! deprovisioned M days after that suspension.
//!
//! Each user changes in its own short transaction through a guarded update (state,
//! origin and inactivity re-checked), so a login in between, an app action, or another
//! replica running the same policy at the same moment turns it into a no-op: running
//! twice is harmless. Time comes from the application clock.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

use super::transitions::{self, Subject};
use super::user_actions::ActionContext;
use super::users::{load_org, LifecycleError};
use crate::app::AppState;
use crate::changes::{Actor, ChangeContext};
use crate::store::orgs::{organizations_with_inactivity_policy, Organization};
use crate::store::users::{self as store, LifecycleUser};

/// The `state_reason` the policy writes, and the `reason` of its events.
pub const REASON: &str = "inactivity";
/// The most users one step (suspend or deprovision) handles per run and organization;
/// the next run continues.
pub const BATCH: i64 = 1000;

/// One user the policy affects (or would).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = InactiveUser)]
pub struct Affected {
    pub id: String,
    pub user_name: String,
    pub email: Option<String>,
    /// Last login, or creation if the user never logged in.
    pub last_activity_at: DateTime<Utc>,
    /// When the state last changed (for deprovisioning: the inactivity suspension).
    pub state_changed_at: DateTime<Utc>,
}

impl From<&LifecycleUser> for Affected {
    fn from(u: &LifecycleUser) -> Self {
        Affected {
            id: u.id.clone(),
            user_name: u.user_name.clone(),
            email: u.email.clone(),
            last_activity_at: u.last_login_at.unwrap_or(u.created_at).and_utc(),
            state_changed_at: u.state_changed_at.unwrap_or(u.created_at).and_utc(),
        }
    }
}

/// What a run did, or a preview would do.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = InactivityOutcome)]
pub struct Outcome {
    pub organization_id: String,
    pub inactivity_suspend_days: Option<i32>,
    pub inactivity_deprovision_days: Option<i32>,
    /// The time the policy was evaluated at.
    pub evaluated_at: DateTime<Utc>,
    pub suspend: Vec<Affected>,
    pub deprovision: Vec<Affected>,
}

fn cutoff(now: DateTime<Utc>, days: Option<i32>) -> Option<NaiveDateTime> {
    days.map(|d| (now - chrono::Duration::days(i64::from(d))).naive_utc())
}

/// Who the policy would affect now, without changing anything.
pub async fn preview(app: &AppState, org: String) -> Result<Outcome, LifecycleError> {
    let now = app.now();
    app.db
        .read(move |conn| {
            let org = load_org(conn, &org)?;
            let suspend = match cutoff(now, org.inactivity_suspend_days) {
                Some(c) => store::inactive_jit_users(conn, &org.id, c, BATCH)?,
                None => Vec::new(),
            };
            let deprovision = match cutoff(now, org.inactivity_deprovision_days) {
                Some(c) => store::suspended_for_reason_before(conn, &org.id, REASON, c, BATCH)?,
                None => Vec::new(),
            };
            Ok(outcome(&org, now, &suspend, &deprovision))
        })
        .await
}

fn outcome(
    org: &Organization,
    now: DateTime<Utc>,
    suspend: &[LifecycleUser],
    deprovision: &[LifecycleUser],
) -> Outcome {
    Outcome {
        organization_id: org.id.clone(),
        inactivity_suspend_days: org.inactivity_suspend_days,
        inactivity_deprovision_days: org.inactivity_deprovision_days,
        evaluated_at: now,
        suspend: suspend.iter().map(Affected::from).collect(),
        deprovision: deprovision.iter().map(Affected::from).collect(),
    }
}

/// Applies the policy of one organization now; returns who was actually changed.
pub async fn run_for(
    app: &AppState,
    who: ActionContext,
    org: String,
) -> Result<Outcome, LifecycleError> {
    let now = app.now();
    let org = {
        let org = org.clone();
        app.db.read(move |conn| load_org(conn, &org)).await?
    };
    run_org(app, &who, &org, now).await
}

async fn run_org(
    app: &AppState,
    who: &ActionContext,
    org: &Organization,
    now: DateTime<Utc>,
) -> Result<Outcome, LifecycleError> {
    let mut suspended = Vec::new();
    let mut deprovisioned = Vec::new();
    if let Some(c) = cutoff(now, org.inactivity_suspend_days) {
        let org_id = org.id.clone();
        let candidates = app
            .db
            .read(move |conn| store::inactive_jit_users(conn, &org_id, c, BATCH))
            .await?;
        for user in candidates {
            if suspend_one(app, who, &user, c, now).await? {
                suspended.push(user);
            }
        }
    }
    if let Some(c) = cutoff(now, org.inactivity_deprovision_days) {
        let org_id = org.id.clone();
        let candidates = app
            .db
            .read(move |conn| store::suspended_for_reason_before(conn, &org_id, REASON, c, BATCH))
            .await?;
        for user in candidates {
            if deprovision_one(app, who, &user, c, now).await? {
                deprovisioned.push(user);
            }
        }
    }
    Ok(outcome(org, now, &suspended, &deprovisioned))
}

/// Suspends one user in its own transaction if it is still inactive; false if not.
async fn suspend_one(
    app: &AppState,
    who: &ActionContext,
    user: &LifecycleUser,
    cutoff: NaiveDateTime,
    now: DateTime<Utc>,
) -> Result<bool, LifecycleError> {
    let (app2, who, user) = (app.clone(), who.clone(), user.clone());
    app.db
        .write(move |conn| {
            let mut ctx = ChangeContext::new(&app2, &who.actor, who.request_id.as_deref());
            ctx.now = now;
            let subject = Subject::from(&user);
            let last_activity_at = user.last_login_at.unwrap_or(user.created_at).and_utc();
            transitions::suspend_if_inactive(conn, &ctx, &subject, cutoff, REASON, last_activity_at)
                .map_err(Into::into)
        })
        .await
}

/// Deprovisions one user in its own transaction if the policy's suspension still holds.
async fn deprovision_one(
    app: &AppState,
    who: &ActionContext,
    user: &LifecycleUser,
    cutoff: NaiveDateTime,
    now: DateTime<Utc>,
) -> Result<bool, LifecycleError> {
    let (app2, who, user) = (app.clone(), who.clone(), user.clone());
    app.db
        .write(move |conn| {
            let mut ctx = ChangeContext::new(&app2, &who.actor, who.request_id.as_deref());
            ctx.now = now;
            let subject = Subject::from(&user);
            transitions::deprovision_if_suspended_for(conn, &ctx, &subject, REASON, cutoff)
                .map_err(Into::into)
        })
        .await
}

/// The actor of the periodic run.
pub fn policy_actor() -> Actor {
    Actor {
        kind: crate::domain::ActorKind::System,
        id: "inactivity".into(),
    }
}

/// Applies every organization's policy once; returns how many users changed.
pub async fn run_all(app: &AppState) -> Result<usize, LifecycleError> {
    let now = app.now();
    let orgs = app.db.read(organizations_with_inactivity_policy).await?;
    let who = ActionContext {
        actor: policy_actor(),
        request_id: None,
    };
    let mut changed = 0;
    for org in orgs {
        let done = run_org(app, &who, &org, now).await?;
        changed += done.suspend.len() + done.deprovision.len();
    }
    Ok(changed)
}

/// The periodic worker inside `provisiond serve`: every `interval`, the policies of all
/// organizations. Several replicas may run it at once (each change is guarded).
pub async fn run(app: AppState, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick completes at once; skip it so a restart does not sweep immediately.
    ticker.tick().await;
    loop {
        ticker.tick().await;
        match run_all(&app).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(users = n, "inactivity policy applied"),
            Err(e) => {
                tracing::warn!(error = %e, "inactivity policy run failed; retrying next interval")
            }
        }
    }
}
