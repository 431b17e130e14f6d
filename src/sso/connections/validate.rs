//! Field checks of connection input: URLs, entity ID, attribute mapping and preset,
//! data encryption, clock skew, and group→role targets. Errors name the field.

use std::collections::BTreeMap;

use crate::db::DbConn;
use crate::jit::mapping::{preset_names, Preset};
use crate::saml::encryption::DataEncryption;
use crate::sso::SsoError;
use crate::store::orgs;
use crate::store::roles;

/// Keys `attribute_mapping` may set: provisiond's profile field → the IdP attribute Name
/// (the fields `jit::mapping` fills; a test keeps the two lists equal).
pub const MAPPABLE_ATTRIBUTES: &[&str] = &[
    "email",
    "user_name",
    "given_name",
    "family_name",
    "display_name",
    "groups",
    "department",
    "title",
    "employee_number",
    "manager",
];
/// Largest accepted clock skew.
const MAX_CLOCK_SKEW_SECS: i32 = 600;

pub(super) fn check_url(field: &str, value: &str) -> Result<String, SsoError> {
    let v = value.trim();
    match url::Url::parse(v) {
        Ok(u) if matches!(u.scheme(), "https" | "http") && u.host().is_some() => Ok(v.to_owned()),
        _ => Err(SsoError::invalid(field, "must be an absolute http(s) URL")),
    }
}

pub(super) fn check_entity_id(value: &str) -> Result<String, SsoError> {
    let v = value.trim();
    if v.is_empty() || v.len() > 1024 {
        return Err(SsoError::invalid(
            "idp_entity_id",
            "must be 1 to 1024 characters",
        ));
    }
    Ok(v.to_owned())
}

pub(super) fn check_attribute_mapping(m: &BTreeMap<String, String>) -> Result<(), SsoError> {
    for (k, v) in m {
        if !MAPPABLE_ATTRIBUTES.contains(&k.as_str()) {
            return Err(SsoError::invalid(
                format!("attribute_mapping.{k}"),
                format!("unknown field; one of {}", MAPPABLE_ATTRIBUTES.join(", ")),
            ));
        }
        if v.trim().is_empty() || v.len() > 1024 {
            return Err(SsoError::invalid(
                format!("attribute_mapping.{k}"),
                "must name an IdP attribute (1 to 1024 characters)",
            ));
        }
    }
    Ok(())
}

pub(super) fn check_attribute_preset(name: &str) -> Result<Preset, SsoError> {
    Preset::parse(name).ok_or_else(|| {
        SsoError::invalid(
            "attribute_preset",
            format!("unknown preset; one of {}", preset_names().join(", ")),
        )
    })
}

pub(super) fn check_data_encryption(name: &str) -> Result<DataEncryption, SsoError> {
    DataEncryption::parse(name)
        .ok_or_else(|| SsoError::invalid("data_encryption", "unknown; one of aes-gcm, aes-cbc"))
}

/// One SP key never unwraps keys for both families (`DataEncryption`): the server-wide
/// key serves every AES-GCM connection, so AES-CBC needs the connection's own pair.
pub(super) fn require_own_key_for_cbc(
    family: DataEncryption,
    own_key: bool,
) -> Result<(), SsoError> {
    if family == DataEncryption::AesCbc && !own_key {
        return Err(SsoError::invalid(
            "data_encryption",
            "aes-cbc needs this connection's own SP key pair (sp_private_key_pem and \
             sp_certificate_pem): the server-wide key also decrypts for aes-gcm connections",
        ));
    }
    Ok(())
}

pub(super) fn check_skew(s: Option<i32>) -> Result<Option<i32>, SsoError> {
    match s {
        Some(v) if !(0..=MAX_CLOCK_SKEW_SECS).contains(&v) => Err(SsoError::invalid(
            "clock_skew_secs",
            format!("must be between 0 and {MAX_CLOCK_SKEW_SECS}"),
        )),
        other => Ok(other),
    }
}

/// Every group→role target must be a role of this organization, and none privileged
/// unless the organization allows privileged roles from the IdP (design invariant 4).
pub(super) fn check_group_roles(
    conn: &mut DbConn,
    org: &orgs::Organization,
    m: &BTreeMap<String, String>,
) -> Result<(), SsoError> {
    for (group, role) in m {
        let field = format!("group_role_mapping.{group}");
        if group.is_empty() || group.len() > 1024 {
            return Err(SsoError::invalid(
                field,
                "group names are 1 to 1024 characters",
            ));
        }
        let Some(r) = roles::find_role(conn, &org.id, role)? else {
            return Err(SsoError::invalid(
                field,
                format!("no role `{role}` in this organization"),
            ));
        };
        if r.privileged && !org.allow_privileged_from_idp {
            return Err(SsoError::invalid(
                field,
                format!(
                    "role `{role}` is privileged and the organization does not allow \
                     privileged roles from the IdP"
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jit::mapping::Field;

    #[test]
    fn mappable_attributes_are_the_mapper_fields() {
        let fields: Vec<&str> = Field::ALL.iter().map(|f| f.key()).collect();
        assert_eq!(MAPPABLE_ATTRIBUTES, fields.as_slice());
    }
}
