//! Creating, reading, updating and deleting connections: input checked first (outside
//! the transaction; metadata may be fetched), then one write transaction that stores the
//! connection, its certificates and SP key, and records the change.

use serde_json::json;

use super::certificates::{check_certs, insert_certs};
use super::idp::{idp_settings, resolve_metadata};
use super::sp_key::{check_sp_key, store_sp_key};
use super::validate::{
    check_attribute_mapping, check_attribute_preset, check_data_encryption, check_entity_id,
    check_group_roles, check_skew, check_url, require_own_key_for_cbc,
};
use super::view::{load_view, parse_data_encryption, view};
use super::{ConnectionView, CreateConnection, UpdateConnection};
use crate::app::AppState;
use crate::changes::{record_change, Actor, Change, ChangeContext};
use crate::db::DbConn;
use crate::domain::EventType;
use crate::jit::mapping::Preset;
use crate::saml::encryption::DataEncryption;
use crate::sso::redirects::require_allowed;
use crate::sso::SsoError;
use crate::store::orgs;
use crate::store::saml_connections::{self as store, NewSamlConnection, SamlConnectionChanges};
use crate::store::sp_keys;
use crate::store::StoreError;

/// The clock skew of a new connection that sets none.
const DEFAULT_CLOCK_SKEW_SECS: i32 = 180;

pub(super) fn entity_conflict(e: StoreError, entity_id: &str) -> SsoError {
    match e {
        StoreError::UniqueViolation(_) => SsoError::Conflict {
            field: Some("idp_entity_id"),
            message: format!("this organization already has a connection for IdP `{entity_id}`"),
        },
        other => SsoError::Store(other),
    }
}

pub(super) fn load_org(conn: &mut DbConn, org: &str) -> Result<orgs::Organization, SsoError> {
    orgs::find_organization(conn, org)?.ok_or(SsoError::NotFound("organization"))
}

pub(super) fn record(
    conn: &mut DbConn,
    ctx: &ChangeContext<'_>,
    event_type: EventType,
    v: &ConnectionView,
) -> Result<i64, SsoError> {
    Ok(record_change(
        conn,
        ctx,
        &Change {
            event_type,
            organization_id: Some(&v.organization_id),
            subject_type: "saml_connection",
            subject_id: &v.id,
            data: json!({ "connection": v }),
        },
    )?)
}

pub async fn create_connection(
    app: &AppState,
    actor: &Actor,
    request_id: Option<String>,
    org: String,
    mut input: CreateConnection,
) -> Result<ConnectionView, SsoError> {
    resolve_metadata(
        app,
        &mut input.idp_metadata_xml,
        &mut input.idp_metadata_url,
    )
    .await?;
    let idp = idp_settings(
        input.idp_metadata_xml.as_deref(),
        input.idp_entity_id.as_deref(),
        input.idp_sso_url.as_deref(),
        input.idp_certificates.as_deref(),
    )?;
    check_attribute_mapping(&input.attribute_mapping)?;
    let preset = input
        .attribute_preset
        .as_deref()
        .map(check_attribute_preset)
        .transpose()?
        .unwrap_or_default();
    let skew = check_skew(input.clock_skew_secs)?.unwrap_or(DEFAULT_CLOCK_SKEW_SECS);
    let redirect = input
        .default_redirect_uri
        .as_deref()
        .map(|u| check_url("default_redirect_uri", u))
        .transpose()?;
    if let Some(u) = &redirect {
        require_allowed(app, "default_redirect_uri", u).await?;
    }
    let sp_key = check_sp_key(
        input.sp_private_key_pem.as_deref(),
        input.sp_certificate_pem.as_deref(),
    )?;
    let family = input
        .data_encryption
        .as_deref()
        .map(check_data_encryption)
        .transpose()?
        .unwrap_or_default();
    require_own_key_for_cbc(family, sp_key.is_some())?;
    let attribute_mapping = json!(input.attribute_mapping).to_string();
    let group_role_mapping = json!(input.group_role_mapping).to_string();
    let (app2, actor) = (app.clone(), actor.clone());
    app.db
        .write(move |conn| {
            let org = load_org(conn, &org)?;
            check_group_roles(conn, &org, &input.group_role_mapping)?;
            let ctx = ChangeContext::new(&app2, &actor, request_id.as_deref());
            let now = ctx.now.naive_utc();
            let id = app2.ids.id();
            store::insert_connection(
                conn,
                &NewSamlConnection {
                    id: &id,
                    organization_id: &org.id,
                    idp_entity_id: &idp.entity_id,
                    idp_sso_redirect_url: idp.sso_redirect_url.as_deref(),
                    idp_sso_post_url: idp.sso_post_url.as_deref(),
                    attribute_mapping: &attribute_mapping,
                    group_role_mapping: &group_role_mapping,
                    allow_idp_initiated: input.allow_idp_initiated,
                    default_redirect_uri: redirect.as_deref(),
                    require_signed_assertion: input.require_signed_assertion,
                    allow_sha1: input.allow_sha1,
                    sign_authn_requests: input
                        .sign_authn_requests
                        .unwrap_or(idp.want_signed_requests),
                    clock_skew_secs: skew,
                    created_at: now,
                    updated_at: now,
                },
            )
            .map_err(|e| entity_conflict(e, &idp.entity_id))?;
            if preset != Preset::Default || family != DataEncryption::default() {
                // The columns default to `default` and `aes-gcm`; `NewSamlConnection`
                // leaves them out so callers that insert connections directly need not
                // know about them.
                store::update_connection(
                    conn,
                    &id,
                    &SamlConnectionChanges {
                        attribute_preset: Some(preset.as_str().to_owned()),
                        data_encryption: Some(family.as_str().to_owned()),
                        ..Default::default()
                    },
                )?;
            }
            insert_certs(conn, &app2, &id, &idp.certs, now)?;
            if let Some(pems) = &sp_key {
                store_sp_key(conn, &app2, &id, pems, now)?;
            }
            let v = load_view(conn, &app2.links, &org.id, &id)?;
            record(conn, &ctx, EventType::ConnectionCreated, &v)?;
            Ok(v)
        })
        .await
}

pub async fn list_connections(
    app: &AppState,
    org: String,
) -> Result<Vec<ConnectionView>, SsoError> {
    let links = app.links.clone();
    app.db
        .read(move |conn| {
            let org = load_org(conn, &org)?;
            let mut out = Vec::new();
            for c in store::list_connections(conn, &org.id)? {
                let certs = store::list_certificates(conn, &c.id)?;
                let own = sp_keys::find_sp_key(conn, &c.id)?.is_some();
                out.push(view(&links, c, certs, own)?);
            }
            Ok(out)
        })
        .await
}

pub async fn get_connection(
    app: &AppState,
    org: String,
    id: String,
) -> Result<ConnectionView, SsoError> {
    let links = app.links.clone();
    app.db
        .read(move |conn| {
            let org = load_org(conn, &org)?;
            load_view(conn, &links, &org.id, &id)
        })
        .await
}

pub async fn update_connection(
    app: &AppState,
    actor: &Actor,
    request_id: Option<String>,
    org: String,
    id: String,
    mut input: UpdateConnection,
) -> Result<ConnectionView, SsoError> {
    resolve_metadata(
        app,
        &mut input.idp_metadata_xml,
        &mut input.idp_metadata_url,
    )
    .await?;
    let idp = if input.idp_metadata_xml.is_some() {
        Some(idp_settings(
            input.idp_metadata_xml.as_deref(),
            input.idp_entity_id.as_deref(),
            input.idp_sso_url.as_deref(),
            input.idp_certificates.as_deref(),
        )?)
    } else {
        None
    };
    let entity_id = input
        .idp_entity_id
        .as_deref()
        .map(check_entity_id)
        .transpose()?;
    let sso_url = input
        .idp_sso_url
        .as_deref()
        .map(|u| check_url("idp_sso_url", u))
        .transpose()?;
    let certs = input
        .idp_certificates
        .as_deref()
        .map(check_certs)
        .transpose()?;
    if let Some(m) = &input.attribute_mapping {
        check_attribute_mapping(m)?;
    }
    let preset = input
        .attribute_preset
        .as_deref()
        .map(check_attribute_preset)
        .transpose()?;
    let skew = check_skew(input.clock_skew_secs)?;
    let sp_key = check_sp_key(
        input.sp_private_key_pem.as_deref(),
        input.sp_certificate_pem.as_deref(),
    )?;
    let family = input
        .data_encryption
        .as_deref()
        .map(check_data_encryption)
        .transpose()?;
    let redirect = match &input.default_redirect_uri {
        Some(Some(u)) => Some(Some(check_url("default_redirect_uri", u)?)),
        Some(None) => Some(None),
        None => None,
    };
    if let Some(Some(u)) = &redirect {
        require_allowed(app, "default_redirect_uri", u).await?;
    }
    let (app2, actor) = (app.clone(), actor.clone());
    app.db
        .write(move |conn| {
            let org = load_org(conn, &org)?;
            let current = store::find_connection_in_org(conn, &org.id, &id)?
                .ok_or(SsoError::NotFound("saml connection"))?;
            if let Some(m) = &input.group_role_mapping {
                check_group_roles(conn, &org, m)?;
            }
            let had_own_key = sp_keys::find_sp_key(conn, &current.id)?.is_some();
            let current_family = parse_data_encryption(&current.data_encryption)?;
            let new_family = family.unwrap_or(current_family);
            require_own_key_for_cbc(new_family, had_own_key || sp_key.is_some())?;
            if new_family != current_family && had_own_key && sp_key.is_none() {
                // The key has unwrapped keys for the other family; switching it over
                // would let old ciphertexts meet the new family's decryption.
                return Err(SsoError::invalid(
                    "data_encryption",
                    "changing it needs a new SP key pair for this connection in the same \
                     request (sp_private_key_pem and sp_certificate_pem)",
                ));
            }
            let ctx = ChangeContext::new(&app2, &actor, request_id.as_deref());
            let now = ctx.now.naive_utc();
            let mut changes = SamlConnectionChanges {
                idp_entity_id: entity_id,
                idp_sso_redirect_url: sso_url.map(Some),
                attribute_mapping: input
                    .attribute_mapping
                    .as_ref()
                    .map(|m| json!(m).to_string()),
                group_role_mapping: input
                    .group_role_mapping
                    .as_ref()
                    .map(|m| json!(m).to_string()),
                allow_idp_initiated: input.allow_idp_initiated,
                default_redirect_uri: redirect,
                require_signed_assertion: input.require_signed_assertion,
                allow_sha1: input.allow_sha1,
                sign_authn_requests: input.sign_authn_requests,
                clock_skew_secs: skew,
                updated_at: Some(now),
                attribute_preset: preset.map(|p| p.as_str().to_owned()),
                data_encryption: family.map(|f| f.as_str().to_owned()),
                ..Default::default()
            };
            let mut new_certs = certs;
            if let Some(idp) = idp {
                changes.idp_entity_id = Some(idp.entity_id);
                changes.idp_sso_redirect_url = Some(idp.sso_redirect_url);
                changes.idp_sso_post_url = Some(idp.sso_post_url);
                new_certs = Some(idp.certs);
            }
            let shown_entity = changes
                .idp_entity_id
                .clone()
                .unwrap_or_else(|| current.idp_entity_id.clone());
            store::update_connection(conn, &current.id, &changes)
                .map_err(|e| entity_conflict(e, &shown_entity))?;
            if let Some(certs) = new_certs {
                store::delete_certificates(conn, &current.id)?;
                insert_certs(conn, &app2, &current.id, &certs, now)?;
            }
            if let Some(pems) = &sp_key {
                store_sp_key(conn, &app2, &current.id, pems, now)?;
            }
            let v = load_view(conn, &app2.links, &org.id, &current.id)?;
            record(conn, &ctx, EventType::ConnectionUpdated, &v)?;
            Ok(v)
        })
        .await
}

pub async fn delete_connection(
    app: &AppState,
    actor: &Actor,
    request_id: Option<String>,
    org: String,
    id: String,
) -> Result<(), SsoError> {
    let (app2, actor) = (app.clone(), actor.clone());
    app.db
        .write(move |conn| {
            let org = load_org(conn, &org)?;
            let v = load_view(conn, &app2.links, &org.id, &id)?;
            store::delete_connection(conn, &v.id)?;
            let ctx = ChangeContext::new(&app2, &actor, request_id.as_deref());
            record(conn, &ctx, EventType::ConnectionDeleted, &v)?;
            Ok(())
        })
        .await
}
