//! Organization domains: claim (with a DNS TXT verification token), verify through the
//! resolver or by explicit admin override, list, delete. JIT only trusts verified domains.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::organizations::load as load_org;
use super::{conflict_on_unique, validate, TenancyError};
use crate::app::AppState;
use crate::changes::{record_change, Actor, Change, ChangeContext};
use crate::domain::EventType;
use crate::store::domains::{self, Domain, NewDomain};

/// The label under which the TXT record is published: `_provisiond-challenge.<domain>`.
pub const CHALLENGE_LABEL: &str = "_provisiond-challenge";
/// The TXT value prefix: `provisiond-verification=<token>`.
pub const TXT_PREFIX: &str = "provisiond-verification=";

/// `POST /admin/v1/organizations/{org}/domains`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddDomain {
    pub domain: String,
    /// Admin override for offline setups: trust the domain without a DNS check.
    pub verified: Option<bool>,
}

/// `POST …/domains/{id}/verify`: an empty body checks DNS; `{"verified": true}` overrides.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyDomain {
    pub verified: Option<bool>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TxtRecord {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DomainView {
    pub id: String,
    pub organization_id: String,
    pub domain: String,
    pub verification_token: String,
    pub verified: bool,
    pub verified_at: Option<DateTime<Utc>>,
    pub verification_method: Option<String>,
    /// The record to publish for DNS verification.
    pub txt_record: TxtRecord,
    pub created_at: DateTime<Utc>,
}

impl From<Domain> for DomainView {
    fn from(d: Domain) -> Self {
        DomainView {
            txt_record: TxtRecord {
                name: format!("{CHALLENGE_LABEL}.{}", d.domain),
                value: format!("{TXT_PREFIX}{}", d.verification_token),
            },
            id: d.id,
            organization_id: d.organization_id,
            domain: d.domain,
            verification_token: d.verification_token,
            verified: d.verified_at.is_some(),
            verified_at: d.verified_at.map(|t| t.and_utc()),
            verification_method: d.verification_method,
            created_at: d.created_at.and_utc(),
        }
    }
}

pub async fn add_domain(
    app: &AppState,
    actor: &Actor,
    request_id: Option<String>,
    org: String,
    input: AddDomain,
) -> Result<DomainView, TenancyError> {
    let domain = validate::domain(&input.domain)?;
    let (app2, actor) = (app.clone(), actor.clone());
    app.db
        .write(move |conn| {
            let org = load_org(conn, &org)?;
            let ctx = ChangeContext::new(&app2, &actor, request_id.as_deref());
            let id = app2.ids.id();
            let token = app2.ids.secret(24);
            let verified = input.verified == Some(true);
            domains::insert_domain(
                conn,
                &NewDomain {
                    id: &id,
                    organization_id: &org.id,
                    domain: &domain,
                    verification_token: &token,
                    verified_at: verified.then(|| ctx.now.naive_utc()),
                    verification_method: verified.then_some("admin_override"),
                    created_at: ctx.now.naive_utc(),
                },
            )
            .map_err(|e| conflict_on_unique(e, "domain", format!("domain `{domain}` is already claimed")))?;
            let view: DomainView = domains::find_domain(conn, &org.id, &id)?
                .ok_or(TenancyError::NotFound("domain"))?
                .into();
            let mut data = json!({ "domain": { "id": view.id, "domain": view.domain, "verified": view.verified } });
            if verified {
                // The same `domain.verified` shape as the verify route's.
                data["domain"]["method"] = json!("admin_override");
            }
            let event_type = if verified { EventType::DomainVerified } else { EventType::DomainAdded };
            record_change(
                conn,
                &ctx,
                &Change { event_type, organization_id: Some(&org.id), subject_type: "domain", subject_id: &id, data },
            )?;
            Ok(view)
        })
        .await
}

pub async fn list_domains(app: &AppState, org: String) -> Result<Vec<DomainView>, TenancyError> {
    super::list_in_org(app, org, domains::list_domains).await
}

pub async fn get_domain(
    app: &AppState,
    org: String,
    domain: String,
) -> Result<DomainView, TenancyError> {
    super::get_in_org(app, org, domain, "domain", domains::find_domain).await
}

/// Verifies a domain: by admin override, or by finding the token in the TXT record.
pub async fn verify_domain(
    app: &AppState,
    actor: &Actor,
    request_id: Option<String>,
    org: String,
    domain_id: String,
    input: VerifyDomain,
) -> Result<DomainView, TenancyError> {
    let current = get_domain(app, org.clone(), domain_id.clone()).await?;
    if current.verified {
        return Ok(current);
    }
    let method = match input.verified {
        Some(true) => "admin_override",
        Some(false) => {
            return Err(TenancyError::invalid(
                "verified",
                "only `true` may be given",
            ))
        }
        None => {
            let name = current.txt_record.name.clone();
            let records = app.dns.lookup_txt(&name).await.map_err(|e| {
                TenancyError::VerificationFailed(format!("could not look up {name}: {e}"))
            })?;
            if !records.iter().any(|r| r.trim() == current.txt_record.value) {
                return Err(TenancyError::VerificationFailed(format!(
                    "no TXT record `{}` found at {name}",
                    current.txt_record.value
                )));
            }
            "dns_txt"
        }
    };
    let (app2, actor) = (app.clone(), actor.clone());
    app.db
        .write(move |conn| {
            let ctx = ChangeContext::new(&app2, &actor, request_id.as_deref());
            domains::mark_domain_verified(conn, &current.id, ctx.now.naive_utc(), method)?;
            let view: DomainView = domains::find_domain(conn, &current.organization_id, &current.id)?
                .ok_or(TenancyError::NotFound("domain"))?
                .into();
            record_change(
                conn,
                &ctx,
                &Change {
                    event_type: EventType::DomainVerified,
                    organization_id: Some(&current.organization_id),
                    subject_type: "domain",
                    subject_id: &current.id,
                    data: json!({ "domain": { "id": view.id, "domain": view.domain, "verified": view.verified, "method": method } }),
                },
            )?;
            Ok(view)
        })
        .await
}

pub async fn delete_domain(
    app: &AppState,
    actor: &Actor,
    request_id: Option<String>,
    org: String,
    domain_id: String,
) -> Result<(), TenancyError> {
    let (app2, actor) = (app.clone(), actor.clone());
    app.db
        .write(move |conn| {
            let org = load_org(conn, &org)?;
            let domain = domains::find_domain(conn, &org.id, &domain_id)?
                .ok_or(TenancyError::NotFound("domain"))?;
            domains::delete_domain(conn, &domain.id)?;
            let ctx = ChangeContext::new(&app2, &actor, request_id.as_deref());
            record_change(
                conn,
                &ctx,
                &Change {
                    event_type: EventType::DomainDeleted,
                    organization_id: Some(&org.id),
                    subject_type: "domain",
                    subject_id: &domain.id,
                    data: json!({ "domain": { "id": domain.id, "domain": domain.domain } }),
                },
            )?;
            Ok(())
        })
        .await
}
