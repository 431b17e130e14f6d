//! SAML connections and their pinned IdP signing certificates.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::StoreResult;
use crate::db::schema::{saml_connection_certificates as certs, saml_connections};
use crate::db::DbConn;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = saml_connections)]
pub struct SamlConnection {
    pub id: String,
    pub organization_id: String,
    pub idp_entity_id: String,
    pub idp_sso_redirect_url: Option<String>,
    pub idp_sso_post_url: Option<String>,
    pub attribute_mapping: String,
    pub group_role_mapping: String,
    pub allow_idp_initiated: bool,
    pub default_redirect_uri: Option<String>,
    pub require_signed_assertion: bool,
    pub allow_sha1: bool,
    pub sign_authn_requests: bool,
    pub clock_skew_secs: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// `jit::mapping::Preset` name.
    pub attribute_preset: String,
    /// `saml::encryption::DataEncryption` name: `aes-gcm` or `aes-cbc`.
    pub data_encryption: String,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = saml_connections)]
pub struct NewSamlConnection<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub idp_entity_id: &'a str,
    pub idp_sso_redirect_url: Option<&'a str>,
    pub idp_sso_post_url: Option<&'a str>,
    pub attribute_mapping: &'a str,
    pub group_role_mapping: &'a str,
    pub allow_idp_initiated: bool,
    pub default_redirect_uri: Option<&'a str>,
    pub require_signed_assertion: bool,
    pub allow_sha1: bool,
    pub sign_authn_requests: bool,
    pub clock_skew_secs: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Column changes; `Some(None)` clears a nullable column.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = saml_connections)]
pub struct SamlConnectionChanges {
    pub idp_entity_id: Option<String>,
    pub idp_sso_redirect_url: Option<Option<String>>,
    pub idp_sso_post_url: Option<Option<String>>,
    pub attribute_mapping: Option<String>,
    pub group_role_mapping: Option<String>,
    pub allow_idp_initiated: Option<bool>,
    pub default_redirect_uri: Option<Option<String>>,
    pub require_signed_assertion: Option<bool>,
    pub allow_sha1: Option<bool>,
    pub sign_authn_requests: Option<bool>,
    pub clock_skew_secs: Option<i32>,
    pub updated_at: Option<NaiveDateTime>,
    pub attribute_preset: Option<String>,
    pub data_encryption: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = certs)]
pub struct ConnectionCertificate {
    pub id: String,
    pub connection_id: String,
    pub certificate_pem: String,
    pub fingerprint_sha256: String,
    pub not_after: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = certs)]
pub struct NewConnectionCertificate<'a> {
    pub id: &'a str,
    pub connection_id: &'a str,
    pub certificate_pem: &'a str,
    pub fingerprint_sha256: &'a str,
    pub not_after: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

pub fn insert_connection(conn: &mut DbConn, new: &NewSamlConnection<'_>) -> StoreResult<()> {
    diesel::insert_into(saml_connections::table)
        .values(new)
        .execute(conn)?;
    Ok(())
}

pub fn list_connections(
    conn: &mut DbConn,
    organization_id: &str,
) -> StoreResult<Vec<SamlConnection>> {
    Ok(saml_connections::table
        .filter(saml_connections::organization_id.eq(organization_id))
        .order(saml_connections::created_at.asc())
        .then_order_by(saml_connections::id.asc())
        .select(SamlConnection::as_select())
        .load(conn)?)
}

/// A connection by id, only within the given organization (cross-tenant ids find nothing).
pub fn find_connection_in_org(
    conn: &mut DbConn,
    organization_id: &str,
    id: &str,
) -> StoreResult<Option<SamlConnection>> {
    Ok(saml_connections::table
        .filter(saml_connections::organization_id.eq(organization_id))
        .filter(saml_connections::id.eq(id))
        .select(SamlConnection::as_select())
        .first(conn)
        .optional()?)
}

/// A connection by id alone: for the public SSO endpoints, where the id is the selector.
pub fn find_connection(conn: &mut DbConn, id: &str) -> StoreResult<Option<SamlConnection>> {
    Ok(saml_connections::table
        .find(id)
        .select(SamlConnection::as_select())
        .first(conn)
        .optional()?)
}

pub fn update_connection(
    conn: &mut DbConn,
    id: &str,
    changes: &SamlConnectionChanges,
) -> StoreResult<usize> {
    Ok(diesel::update(saml_connections::table.find(id))
        .set(changes)
        .execute(conn)?)
}

pub fn delete_connection(conn: &mut DbConn, id: &str) -> StoreResult<usize> {
    Ok(diesel::delete(saml_connections::table.find(id)).execute(conn)?)
}

pub fn insert_certificate(
    conn: &mut DbConn,
    new: &NewConnectionCertificate<'_>,
) -> StoreResult<()> {
    diesel::insert_into(certs::table)
        .values(new)
        .execute(conn)?;
    Ok(())
}

/// The connection's certificates, oldest first.
pub fn list_certificates(
    conn: &mut DbConn,
    connection_id: &str,
) -> StoreResult<Vec<ConnectionCertificate>> {
    Ok(certs::table
        .filter(certs::connection_id.eq(connection_id))
        .order(certs::created_at.asc())
        .then_order_by(certs::id.asc())
        .select(ConnectionCertificate::as_select())
        .load(conn)?)
}

pub fn delete_certificates(conn: &mut DbConn, connection_id: &str) -> StoreResult<usize> {
    Ok(
        diesel::delete(certs::table.filter(certs::connection_id.eq(connection_id)))
            .execute(conn)?,
    )
}
