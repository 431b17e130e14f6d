//! Attribute mapping: a verified assertion's NameID and attributes → the profile JIT
//! provisions. Pure (no I/O, no clock).
//!
//! Each connection picks an [`Preset`] (the attribute names its IdP sends by default)
//! and may override single fields with `attribute_mapping` (profile field → IdP
//! attribute Name). For each field the override wins; else the preset's names are tried
//! in order. Friendly names (`email`, `User.FirstName`) compare ASCII
//! case-insensitively; URI and OID names (`http://…`, `urn:oid:…`) compare exactly, as
//! SAML Core §2.7.3.1 makes the Name an identifier. Every attribute that no field used is
//! kept verbatim in [`MappedProfile::custom`].

mod email;
mod presets;

use std::collections::{BTreeMap, BTreeSet};

use email::name_id_is_email;
pub use email::{is_email, NAMEID_EMAIL, NAMEID_UNSPECIFIED};
pub use presets::{preset_names, preset_table, Field, Preset};

/// Where the email came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailSource {
    /// The named attribute.
    Attribute(String),
    /// The Subject NameID (format emailAddress, or unspecified and shaped like an email).
    NameId,
}

/// The profile read from one assertion.
#[derive(Clone, PartialEq, Eq)]
pub struct MappedProfile {
    /// The email as sent (trimmed).
    pub email: String,
    /// `email` lower-cased: what linking and domain checks compare.
    pub email_lower: String,
    pub email_source: EmailSource,
    pub user_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    /// The mapped display name, else "given family" (whichever exist).
    pub display_name: Option<String>,
    /// Group names or ids as sent, trimmed, empties and duplicates dropped, in order.
    pub groups: Vec<String>,
    pub department: Option<String>,
    pub title: Option<String>,
    pub employee_number: Option<String>,
    pub manager: Option<String>,
    /// Every attribute no field used, name → values, verbatim.
    pub custom: BTreeMap<String, Vec<String>>,
    /// Field key → the attribute Name it was read from (for the `attributes.mapped`
    /// view and for admins debugging a mapping).
    pub sources: BTreeMap<&'static str, String>,
}

impl MappedProfile {
    /// The email's domain, lower-cased (the part after the `@`).
    pub fn email_domain(&self) -> &str {
        self.email_lower
            .rsplit_once('@')
            .map_or("", |(_, domain)| domain)
    }

    /// The mapped fields as the code exchange shows them (`attributes.mapped`): field
    /// key → value, absent fields left out, `groups` always present.
    pub fn mapped_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        m.insert("email".into(), self.email.clone().into());
        let optional = [
            (Field::UserName, &self.user_name),
            (Field::GivenName, &self.given_name),
            (Field::FamilyName, &self.family_name),
            (Field::DisplayName, &self.display_name),
            (Field::Department, &self.department),
            (Field::Title, &self.title),
            (Field::EmployeeNumber, &self.employee_number),
            (Field::Manager, &self.manager),
        ];
        for (field, value) in optional {
            if let Some(v) = value {
                m.insert(field.key().into(), v.clone().into());
            }
        }
        m.insert("groups".into(), self.groups.clone().into());
        serde_json::Value::Object(m)
    }
}

impl std::fmt::Debug for MappedProfile {
    /// Identity data is never printed (conventions §11).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MappedProfile")
            .field("email_source", &self.email_source)
            .field("groups", &self.groups.len())
            .field("custom", &self.custom.len())
            .finish_non_exhaustive()
    }
}

/// Why an assertion could not be mapped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    /// No email attribute held an email and the NameID is not one either: the login is
    /// refused and nothing is created.
    #[error("the assertion carries no usable email (no email attribute, NameID not an email)")]
    MissingEmail,
}

impl MappingError {
    /// A stable label for logs, events and the app's `error` parameter.
    pub fn kind(&self) -> &'static str {
        match self {
            MappingError::MissingEmail => crate::domain::SsoFailureReason::MissingEmail.as_str(),
        }
    }
}

/// Maps one verified assertion's NameID and attributes to a profile.
///
/// `overrides` is the connection's `attribute_mapping` (field key → attribute Name);
/// an override replaces the preset's names for that field (it does not fall back to
/// them: the admin said where the value is). Keys that are not a [`Field`] are ignored
/// (the admin API refuses them).
pub fn map_assertion<'a>(
    preset: Preset,
    overrides: &BTreeMap<String, String>,
    name_id: &str,
    name_id_format: Option<&str>,
    attributes: &'a BTreeMap<String, Vec<String>>,
) -> Result<MappedProfile, MappingError> {
    let mut used: BTreeSet<&'a str> = BTreeSet::new();
    let mut sources: BTreeMap<&'static str, String> = BTreeMap::new();

    let candidates = |field: Field| candidate_names(preset, overrides, field);

    // Email: the first candidate whose first non-blank value is an email.
    let mut email = None;
    for name in candidates(Field::Email) {
        let Some((attr, values)) = find(attributes, name, &used) else {
            continue;
        };
        if let Some(v) = first_value(values).filter(|v| is_email(v)) {
            used.insert(attr);
            sources.insert(Field::Email.key(), attr.to_owned());
            email = Some((v.to_owned(), EmailSource::Attribute(attr.to_owned())));
            break;
        }
    }
    let (email, email_source) = match email {
        Some(e) => e,
        None if name_id_is_email(name_id, name_id_format) => {
            (name_id.trim().to_owned(), EmailSource::NameId)
        }
        None => return Err(MappingError::MissingEmail),
    };

    let mut single = |field: Field, used: &mut BTreeSet<&'a str>| -> Option<String> {
        let (attr, value) = first_single(&candidates(field), attributes, used)?;
        sources.insert(field.key(), attr.to_owned());
        Some(value.to_owned())
    };
    let user_name = single(Field::UserName, &mut used);
    let given_name = single(Field::GivenName, &mut used);
    let family_name = single(Field::FamilyName, &mut used);
    let display_name = single(Field::DisplayName, &mut used);
    let department = single(Field::Department, &mut used);
    let title = single(Field::Title, &mut used);
    let employee_number = single(Field::EmployeeNumber, &mut used);
    let manager = single(Field::Manager, &mut used);

    let mut groups: Vec<String> = Vec::new();
    for name in candidates(Field::Groups) {
        let Some((attr, values)) = find(attributes, name, &used) else {
            continue;
        };
        for v in values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
            if !groups.iter().any(|g| g == v) {
                groups.push(v.to_owned());
            }
        }
        if !groups.is_empty() {
            used.insert(attr);
            sources.insert(Field::Groups.key(), attr.to_owned());
            break;
        }
    }

    let display_name = display_name.or_else(|| {
        let joined = [given_name.as_deref(), family_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        (!joined.is_empty()).then_some(joined)
    });

    let custom = attributes
        .iter()
        .filter(|(name, _)| !used.contains(name.as_str()))
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();

    Ok(MappedProfile {
        email_lower: email.to_lowercase(),
        email,
        email_source,
        user_name,
        given_name,
        family_name,
        display_name,
        groups,
        department,
        title,
        employee_number,
        manager,
        custom,
        sources,
    })
}

/// The first candidate attribute with a non-blank value: (its Name, the value trimmed),
/// marked as used.
fn first_single<'a>(
    candidates: &[&str],
    attributes: &'a BTreeMap<String, Vec<String>>,
    used: &mut BTreeSet<&'a str>,
) -> Option<(&'a str, &'a str)> {
    for name in candidates {
        let Some((attr, values)) = find(attributes, name, used) else {
            continue;
        };
        if let Some(v) = first_value(values) {
            used.insert(attr);
            return Some((attr, v));
        }
    }
    None
}

/// The override for `field` alone when there is one, else the preset's names.
fn candidate_names(
    preset: Preset,
    overrides: &BTreeMap<String, String>,
    field: Field,
) -> Vec<&str> {
    match overrides.get(field.key()) {
        Some(name) => vec![name.as_str()],
        None => preset.names(field),
    }
}

/// Friendly names compare ASCII case-insensitively; URI/OID names (with a `:`) exactly.
fn same_name(a: &str, b: &str) -> bool {
    if a.contains(':') || b.contains(':') {
        a == b
    } else {
        a.eq_ignore_ascii_case(b)
    }
}

/// The attribute called `name` that no field used yet: an exact match first, else the
/// first case-insensitive one (BTreeMap order, so the choice is deterministic).
fn find<'a>(
    attributes: &'a BTreeMap<String, Vec<String>>,
    name: &str,
    used: &BTreeSet<&str>,
) -> Option<(&'a str, &'a [String])> {
    let free = |n: &str| !used.contains(n);
    if let Some((k, v)) = attributes.get_key_value(name) {
        if free(k) {
            return Some((k.as_str(), v.as_slice()));
        }
    }
    attributes
        .iter()
        .find(|(k, _)| free(k) && same_name(k, name))
        .map(|(k, v)| (k.as_str(), v.as_slice()))
}

/// The first value that is not blank, trimmed.
fn first_value(values: &[String]) -> Option<&str> {
    values.iter().map(|v| v.trim()).find(|v| !v.is_empty())
}

#[cfg(test)]
mod tests;
