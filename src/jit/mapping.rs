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

use std::collections::{BTreeMap, BTreeSet};

/// SAML Core §8.3.2 / §8.3.1 NameID formats the email fallback accepts.
pub const NAMEID_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
pub const NAMEID_UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
/// Longest email accepted (RFC 5321 §4.5.3.1 path limit, rounded to what people use).
const MAX_EMAIL_LEN: usize = 320;

/// The profile fields a connection's `attribute_mapping` may override, in the order
/// they are mapped. `email` comes first so that its attribute is never taken by another
/// field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    Email,
    UserName,
    GivenName,
    FamilyName,
    DisplayName,
    Groups,
    Department,
    Title,
    EmployeeNumber,
    Manager,
}

impl Field {
    pub const ALL: [Field; 10] = [
        Field::Email,
        Field::UserName,
        Field::GivenName,
        Field::FamilyName,
        Field::DisplayName,
        Field::Groups,
        Field::Department,
        Field::Title,
        Field::EmployeeNumber,
        Field::Manager,
    ];

    /// The `attribute_mapping` key of this field.
    pub fn key(self) -> &'static str {
        match self {
            Field::Email => "email",
            Field::UserName => "user_name",
            Field::GivenName => "given_name",
            Field::FamilyName => "family_name",
            Field::DisplayName => "display_name",
            Field::Groups => "groups",
            Field::Department => "department",
            Field::Title => "title",
            Field::EmployeeNumber => "employee_number",
            Field::Manager => "manager",
        }
    }
}

/// Which IdP's default attribute names a connection expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Preset {
    /// Recognises the common names of every preset below, plus LDAP/eduPerson OIDs.
    #[default]
    Default,
    /// Okta: attribute statements named after Okta profile attributes.
    Okta,
    /// Microsoft Entra ID: the WS-Federation claim URIs of its default claims.
    Entra,
    /// Google Workspace: no defaults exist; the names `docs/sso.md` asks admins to type.
    Google,
    /// OneLogin: the SAML Custom Connector's `User.*` parameters.
    OneLogin,
}

impl Preset {
    pub const ALL: [Preset; 5] = [
        Preset::Default,
        Preset::Okta,
        Preset::Entra,
        Preset::Google,
        Preset::OneLogin,
    ];

    /// The name stored in `saml_connections.attribute_preset` and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Default => "default",
            Preset::Okta => "okta",
            Preset::Entra => "entra",
            Preset::Google => "google",
            Preset::OneLogin => "onelogin",
        }
    }

    /// The preset of that name (exact, lower case), `None` for anything else.
    pub fn parse(name: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// The attribute names this preset tries for `field`, in order of preference.
    pub fn names(self, field: Field) -> Vec<&'static str> {
        match self {
            Preset::Default => {
                // Every named preset's names, then the generic ones; first occurrence wins.
                let mut out: Vec<&'static str> = Vec::new();
                let named = [
                    Preset::Okta,
                    Preset::Entra,
                    Preset::OneLogin,
                    Preset::Google,
                ];
                for list in named
                    .iter()
                    .map(|p| p.own_names(field))
                    .chain([generic_names(field)])
                {
                    for n in list {
                        if !out.iter().any(|o| same_name(o, n)) {
                            out.push(n);
                        }
                    }
                }
                out
            }
            named => named.own_names(field).to_vec(),
        }
    }

    fn own_names(self, field: Field) -> &'static [&'static str] {
        use Field as F;
        match (self, field) {
            (Preset::Default, f) => generic_names(f),
            // Okta profile attribute names (user.email, user.firstName, …), the names
            // Okta's own SAML app templates use for attribute statements.
            (Preset::Okta, F::Email) => &["email"],
            (Preset::Okta, F::UserName) => &["login"],
            (Preset::Okta, F::GivenName) => &["firstName"],
            (Preset::Okta, F::FamilyName) => &["lastName"],
            (Preset::Okta, F::DisplayName) => &["displayName"],
            (Preset::Okta, F::Groups) => &["groups"],
            (Preset::Okta, F::Department) => &["department"],
            (Preset::Okta, F::Title) => &["title"],
            (Preset::Okta, F::EmployeeNumber) => &["employeeNumber"],
            (Preset::Okta, F::Manager) => &["manager"],
            // Entra ID: default claims (emailaddress, givenname, surname, name = UPN),
            // the groups claim (object ids unless configured otherwise), and the
            // default namespace Entra gives added claims (department, jobtitle, …).
            (Preset::Entra, F::Email) => &[ENTRA_EMAIL],
            (Preset::Entra, F::UserName) => &[ENTRA_NAME],
            (Preset::Entra, F::GivenName) => &[ENTRA_GIVEN],
            (Preset::Entra, F::FamilyName) => &[ENTRA_SURNAME],
            (Preset::Entra, F::DisplayName) => &[ENTRA_DISPLAY],
            (Preset::Entra, F::Groups) => &[ENTRA_GROUPS],
            (Preset::Entra, F::Department) => &[ENTRA_DEPARTMENT],
            (Preset::Entra, F::Title) => &[ENTRA_JOBTITLE],
            (Preset::Entra, F::EmployeeNumber) => &[ENTRA_EMPLOYEEID, MS_EMPLOYEEID],
            (Preset::Entra, F::Manager) => &[ENTRA_MANAGER],
            // Google Workspace custom SAML apps send only what the admin maps, under the
            // "App attribute" names the admin types: docs/sso.md gives these.
            (Preset::Google, F::Email) => &["email"],
            (Preset::Google, F::UserName) => &[],
            (Preset::Google, F::GivenName) => &["firstName"],
            (Preset::Google, F::FamilyName) => &["lastName"],
            (Preset::Google, F::DisplayName) => &["displayName"],
            (Preset::Google, F::Groups) => &["groups"],
            (Preset::Google, F::Department) => &["department"],
            (Preset::Google, F::Title) => &["title"],
            (Preset::Google, F::EmployeeNumber) => &["employeeId"],
            (Preset::Google, F::Manager) => &["manager"],
            // OneLogin SAML Custom Connector default parameters.
            (Preset::OneLogin, F::Email) => &["User.email"],
            (Preset::OneLogin, F::UserName) => &["User.Username"],
            (Preset::OneLogin, F::GivenName) => &["User.FirstName"],
            (Preset::OneLogin, F::FamilyName) => &["User.LastName"],
            (Preset::OneLogin, F::DisplayName) => &["User.DisplayName"],
            (Preset::OneLogin, F::Groups) => &["memberOf"],
            (Preset::OneLogin, F::Department) => &["User.Department", "department"],
            (Preset::OneLogin, F::Title) => &["User.Title", "title"],
            (Preset::OneLogin, F::EmployeeNumber) => &["User.EmployeeNumber", "employeeNumber"],
            (Preset::OneLogin, F::Manager) => &["User.Manager", "manager"],
        }
    }
}

const ENTRA_EMAIL: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress";
const ENTRA_NAME: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name";
const ENTRA_GIVEN: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname";
const ENTRA_SURNAME: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname";
const ENTRA_DISPLAY: &str = "http://schemas.microsoft.com/identity/claims/displayname";
const ENTRA_GROUPS: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups";
const ENTRA_DEPARTMENT: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/department";
const ENTRA_JOBTITLE: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/jobtitle";
const ENTRA_EMPLOYEEID: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/employeeid";
const MS_EMPLOYEEID: &str = "http://schemas.microsoft.com/identity/claims/employeeid";
const ENTRA_MANAGER: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/manager";

/// Names only the default preset knows: LDAP (inetOrgPerson) names and their OIDs as
/// the SAML V2.0 X.500/LDAP attribute profile writes them, and common spellings.
fn generic_names(field: Field) -> &'static [&'static str] {
    use Field as F;
    match field {
        F::Email => &["mail", "emailAddress", "urn:oid:0.9.2342.19200300.100.1.3"],
        F::UserName => &["userName", "uid", "urn:oid:0.9.2342.19200300.100.1.1"],
        F::GivenName => &["givenName", "given_name", "urn:oid:2.5.4.42"],
        F::FamilyName => &["sn", "surname", "family_name", "urn:oid:2.5.4.4"],
        F::DisplayName => &[
            "displayName",
            "display_name",
            "urn:oid:2.16.840.1.113730.3.1.241",
        ],
        F::Groups => &["urn:oid:1.3.6.1.4.1.5923.1.5.1.1"],
        F::Department => &[],
        F::Title => &["jobTitle", "job_title", "urn:oid:2.5.4.12"],
        F::EmployeeNumber => &[
            "employeeId",
            "employee_id",
            "urn:oid:2.16.840.1.113730.3.1.3",
        ],
        F::Manager => &["managerEmail", "manager_email"],
    }
}

/// The preset names, for validation messages and docs.
pub fn preset_names() -> Vec<&'static str> {
    Preset::ALL.iter().map(|p| p.as_str()).collect()
}

/// A Markdown table of what each preset reads for each field (`docs/sso.md` carries it;
/// a unit test keeps the two equal).
pub fn preset_table() -> String {
    let mut out = String::from("| field |");
    for p in Preset::ALL {
        out.push_str(&format!(" `{}` |", p.as_str()));
    }
    out.push_str("\n|---|");
    for _ in Preset::ALL {
        out.push_str("---|");
    }
    out.push('\n');
    for f in Field::ALL {
        out.push_str(&format!("| `{}` |", f.key()));
        for p in Preset::ALL {
            let names = if p == Preset::Default {
                // The default column lists only what it adds; it also reads every
                // other column.
                generic_names(f).to_vec()
            } else {
                p.names(f)
            };
            let cell: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            let cell = if p == Preset::Default {
                let mut c = vec!["all of the other columns".to_owned()];
                c.extend(cell);
                c.join(", ")
            } else if cell.is_empty() {
                "—".to_owned()
            } else {
                cell.join(", ")
            };
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    out
}

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

/// One `@`, non-empty local part and domain, no whitespace or control characters, and
/// a domain that is a plausible host name (no empty labels).
pub fn is_email(s: &str) -> bool {
    let s = s.trim();
    if s.len() > MAX_EMAIL_LEN || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && domain.split('.').all(|label| !label.is_empty())
}

/// SAML Core §8.3: an absent Format means unspecified.
fn name_id_is_email(name_id: &str, format: Option<&str>) -> bool {
    match format {
        None | Some(NAMEID_UNSPECIFIED) | Some(NAMEID_EMAIL) => is_email(name_id),
        Some(_) => false,
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used)]
mod tests {
    use super::*;

    const PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";

    fn attrs(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.iter().map(|s| (*s).to_owned()).collect()))
            .collect()
    }

    fn map(preset: Preset, a: &BTreeMap<String, Vec<String>>) -> MappedProfile {
        map_assertion(preset, &BTreeMap::new(), "00u1abcd", Some(PERSISTENT), a).unwrap()
    }

    fn okta_attrs() -> BTreeMap<String, Vec<String>> {
        attrs(&[
            ("email", &["Ada.Lovelace@Example.com"]),
            ("firstName", &["Ada"]),
            ("lastName", &["Lovelace"]),
            ("groups", &["Engineering", "Everyone", "Engineering"]),
            ("department", &["R&D"]),
            ("title", &["Analyst"]),
            ("employeeNumber", &["E-1815"]),
            ("manager", &["charles@example.com"]),
            ("costCenter", &["CC-42"]),
        ])
    }

    #[test]
    fn okta_preset_reads_okta_profile_names() {
        let p = map(Preset::Okta, &okta_attrs());
        assert_eq!(p.email, "Ada.Lovelace@Example.com");
        assert_eq!(p.email_lower, "ada.lovelace@example.com");
        assert_eq!(p.email_domain(), "example.com");
        assert_eq!(p.email_source, EmailSource::Attribute("email".into()));
        assert_eq!(p.given_name.as_deref(), Some("Ada"));
        assert_eq!(p.family_name.as_deref(), Some("Lovelace"));
        assert_eq!(p.display_name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(p.groups, ["Engineering", "Everyone"]);
        assert_eq!(p.department.as_deref(), Some("R&D"));
        assert_eq!(p.title.as_deref(), Some("Analyst"));
        assert_eq!(p.employee_number.as_deref(), Some("E-1815"));
        assert_eq!(p.manager.as_deref(), Some("charles@example.com"));
        assert_eq!(p.custom, attrs(&[("costCenter", &["CC-42"])]));
        assert_eq!(
            p.sources.get("given_name").map(String::as_str),
            Some("firstName")
        );
    }

    fn entra_attrs() -> BTreeMap<String, Vec<String>> {
        attrs(&[
            ("http://schemas.microsoft.com/identity/claims/tenantid", &["72f988bf-86f1-41af-91ab-2d7cd011db47"]),
            ("http://schemas.microsoft.com/identity/claims/objectidentifier", &["9f4b2c1e-6d3a-4e8b-a1c2-3d4e5f6a7b8c"]),
            ("http://schemas.microsoft.com/identity/claims/displayname", &["Grace Hopper"]),
            ("http://schemas.microsoft.com/ws/2008/06/identity/claims/groups", &[
                "07dd8a60-bf6d-4e17-8844-230b77145381",
                "5c2f0e1a-9b8d-4c7e-a6f5-1e2d3c4b5a69",
            ]),
            ("http://schemas.microsoft.com/identity/claims/identityprovider", &["https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/"]),
            ("http://schemas.microsoft.com/claims/authnmethodsreferences", &["http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password"]),
            ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname", &["Grace"]),
            ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname", &["Hopper"]),
            ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", &["grace@contoso.com"]),
            ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name", &["ghopper@contoso.onmicrosoft.com"]),
            ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/department", &["Navy"]),
            ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/jobtitle", &["Rear Admiral"]),
            ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/employeeid", &["1906"]),
        ])
    }

    #[test]
    fn entra_preset_reads_claim_uris_and_group_object_ids() {
        let p = map(Preset::Entra, &entra_attrs());
        assert_eq!(p.email, "grace@contoso.com");
        assert_eq!(
            p.user_name.as_deref(),
            Some("ghopper@contoso.onmicrosoft.com")
        );
        assert_eq!(p.given_name.as_deref(), Some("Grace"));
        assert_eq!(p.family_name.as_deref(), Some("Hopper"));
        assert_eq!(p.display_name.as_deref(), Some("Grace Hopper"));
        assert_eq!(
            p.groups,
            [
                "07dd8a60-bf6d-4e17-8844-230b77145381",
                "5c2f0e1a-9b8d-4c7e-a6f5-1e2d3c4b5a69"
            ]
        );
        assert_eq!(p.department.as_deref(), Some("Navy"));
        assert_eq!(p.title.as_deref(), Some("Rear Admiral"));
        assert_eq!(p.employee_number.as_deref(), Some("1906"));
        assert_eq!(p.manager, None);
        let custom: Vec<&str> = p.custom.keys().map(String::as_str).collect();
        assert_eq!(
            custom,
            [
                "http://schemas.microsoft.com/claims/authnmethodsreferences",
                "http://schemas.microsoft.com/identity/claims/identityprovider",
                "http://schemas.microsoft.com/identity/claims/objectidentifier",
                "http://schemas.microsoft.com/identity/claims/tenantid",
            ]
        );
    }

    #[test]
    fn claim_uris_compare_exactly() {
        let mut a = entra_attrs();
        let v = a
            .remove("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname")
            .unwrap();
        a.insert(
            "HTTP://SCHEMAS.XMLSOAP.ORG/ws/2005/05/identity/claims/GIVENNAME".into(),
            v,
        );
        let p = map(Preset::Entra, &a);
        assert_eq!(p.given_name, None);
        assert!(p
            .custom
            .contains_key("HTTP://SCHEMAS.XMLSOAP.ORG/ws/2005/05/identity/claims/GIVENNAME"));
    }

    #[test]
    fn google_preset_reads_the_documented_app_attribute_names() {
        let a = attrs(&[
            ("email", &["linus@example.org"]),
            ("firstName", &["Linus"]),
            ("lastName", &["Torvalds"]),
            ("groups", &["kernel@example.org", "maintainers@example.org"]),
            ("department", &["Kernel"]),
            ("title", &["Maintainer"]),
            ("employeeId", &["1991"]),
            ("manager", &["andrew@example.org"]),
            ("costCenter", &["K-1"]),
        ]);
        let p = map_assertion(
            Preset::Google,
            &BTreeMap::new(),
            "linus@example.org",
            Some(NAMEID_EMAIL),
            &a,
        )
        .unwrap();
        assert_eq!(p.email_source, EmailSource::Attribute("email".into()));
        assert_eq!(p.display_name.as_deref(), Some("Linus Torvalds"));
        assert_eq!(p.groups, ["kernel@example.org", "maintainers@example.org"]);
        assert_eq!(p.employee_number.as_deref(), Some("1991"));
        assert_eq!(p.manager.as_deref(), Some("andrew@example.org"));
        assert_eq!(p.custom, attrs(&[("costCenter", &["K-1"])]));
    }

    #[test]
    fn onelogin_preset_reads_user_parameters() {
        let a = attrs(&[
            ("User.email", &["margaret@example.net"]),
            ("User.FirstName", &["Margaret"]),
            ("User.LastName", &["Hamilton"]),
            ("memberOf", &["Apollo", "MIT"]),
            ("PersonImmutableID", &["12345678"]),
        ]);
        let p = map(Preset::OneLogin, &a);
        assert_eq!(p.email, "margaret@example.net");
        assert_eq!(p.given_name.as_deref(), Some("Margaret"));
        assert_eq!(p.family_name.as_deref(), Some("Hamilton"));
        assert_eq!(p.groups, ["Apollo", "MIT"]);
        assert_eq!(p.custom, attrs(&[("PersonImmutableID", &["12345678"])]));
        // Friendly names compare case-insensitively.
        let lower = attrs(&[
            ("user.EMAIL", &["m@example.net"]),
            ("user.firstname", &["M"]),
        ]);
        let p = map(Preset::OneLogin, &lower);
        assert_eq!(p.email, "m@example.net");
        assert_eq!(p.given_name.as_deref(), Some("M"));
        assert!(p.custom.is_empty());
    }

    #[test]
    fn named_presets_do_not_read_other_presets_names() {
        // Okta names under the Entra preset: nothing but the NameID fallback applies.
        let err = map_assertion(
            Preset::Entra,
            &BTreeMap::new(),
            "00u1abcd",
            Some(PERSISTENT),
            &okta_attrs(),
        );
        assert_eq!(err, Err(MappingError::MissingEmail));
        let p = map(
            Preset::Okta,
            &entra_attrs().into_iter().chain(okta_attrs()).collect(),
        );
        assert_eq!(p.given_name.as_deref(), Some("Ada"));
        assert!(p
            .custom
            .contains_key("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"));
    }

    #[test]
    fn default_preset_recognises_every_presets_names() {
        for a in [okta_attrs(), entra_attrs()] {
            let named = if a.contains_key("email") {
                map(Preset::Okta, &a)
            } else {
                map(Preset::Entra, &a)
            };
            let default = map(Preset::Default, &a);
            assert_eq!(default, named);
        }
        let onelogin = attrs(&[
            ("User.email", &["x@example.net"]),
            ("User.FirstName", &["X"]),
            ("User.LastName", &["Y"]),
            ("memberOf", &["G"]),
        ]);
        assert_eq!(
            map(Preset::Default, &onelogin),
            map(Preset::OneLogin, &onelogin)
        );
    }

    #[test]
    fn default_preset_recognises_generic_and_oid_names() {
        let cases: &[(&str, Field)] = &[
            ("email", Field::Email),
            ("mail", Field::Email),
            ("emailAddress", Field::Email),
            ("EMAIL", Field::Email),
            (
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
                Field::Email,
            ),
            ("urn:oid:0.9.2342.19200300.100.1.3", Field::Email),
            ("firstName", Field::GivenName),
            ("givenName", Field::GivenName),
            ("given_name", Field::GivenName),
            (
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
                Field::GivenName,
            ),
            ("urn:oid:2.5.4.42", Field::GivenName),
            ("lastName", Field::FamilyName),
            ("sn", Field::FamilyName),
            ("urn:oid:2.5.4.4", Field::FamilyName),
            (
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
                Field::FamilyName,
            ),
            ("displayName", Field::DisplayName),
            ("urn:oid:2.16.840.1.113730.3.1.241", Field::DisplayName),
            (
                "http://schemas.microsoft.com/identity/claims/displayname",
                Field::DisplayName,
            ),
            ("groups", Field::Groups),
            ("memberOf", Field::Groups),
            (
                "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
                Field::Groups,
            ),
            ("department", Field::Department),
            ("User.Department", Field::Department),
            ("title", Field::Title),
            ("jobTitle", Field::Title),
            (
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/jobtitle",
                Field::Title,
            ),
            ("employeeNumber", Field::EmployeeNumber),
            ("employeeId", Field::EmployeeNumber),
            (
                "http://schemas.microsoft.com/identity/claims/employeeid",
                Field::EmployeeNumber,
            ),
            ("manager", Field::Manager),
            ("userName", Field::UserName),
            ("urn:oid:0.9.2342.19200300.100.1.1", Field::UserName),
        ];
        for (name, field) in cases {
            let value = if *field == Field::Email {
                "v@example.com"
            } else {
                "v"
            };
            let a = attrs(&[(name, &[value])]);
            let p = map_assertion(Preset::Default, &BTreeMap::new(), "n@example.com", None, &a)
                .unwrap();
            assert_eq!(
                p.sources.get(field.key()).map(String::as_str),
                Some(*name),
                "{name}"
            );
            assert!(p.custom.is_empty(), "{name} should be consumed");
        }
    }

    #[test]
    fn overrides_win_and_do_not_fall_back() {
        let a = attrs(&[
            ("email", &["preset@example.com"]),
            ("corpMail", &["override@example.com"]),
            ("firstName", &["Preset"]),
            ("preferredName", &["Override"]),
            ("dept", &["Ops"]),
        ]);
        let overrides: BTreeMap<String, String> = [
            ("email", "corpMail"),
            ("given_name", "preferredName"),
            ("department", "dept"),
            ("family_name", "notSent"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let p = map_assertion(Preset::Okta, &overrides, "x", Some(PERSISTENT), &a).unwrap();
        assert_eq!(p.email, "override@example.com");
        assert_eq!(p.given_name.as_deref(), Some("Override"));
        assert_eq!(p.department.as_deref(), Some("Ops"));
        assert_eq!(p.family_name, None);
        // What the overrides displaced is kept, not lost.
        assert_eq!(
            p.custom,
            attrs(&[
                ("email", &["preset@example.com"]),
                ("firstName", &["Preset"])
            ])
        );
        // An override naming a missing attribute does not fall back to the preset's.
        let only_email: BTreeMap<String, String> =
            [("email".to_owned(), "corpMail".to_owned())].into();
        let err = map_assertion(
            Preset::Okta,
            &only_email,
            "x",
            Some(PERSISTENT),
            &attrs(&[("email", &["a@example.com"])]),
        );
        assert_eq!(err, Err(MappingError::MissingEmail));
    }

    #[test]
    fn email_is_trimmed_and_must_look_like_one() {
        let p = map(
            Preset::Okta,
            &attrs(&[("email", &["", "  Bob@Example.COM "])]),
        );
        assert_eq!(p.email, "Bob@Example.COM");
        assert_eq!(p.email_lower, "bob@example.com");
        for bad in [
            "bob",
            "bob@",
            "@example.com",
            "a@b@c.com",
            "bob smith@example.com",
            "bob@example..com",
        ] {
            let r = map_assertion(
                Preset::Okta,
                &BTreeMap::new(),
                "x",
                Some(PERSISTENT),
                &attrs(&[("email", &[bad])]),
            );
            assert_eq!(r, Err(MappingError::MissingEmail), "{bad}");
        }
        // The default preset moves on to the next name when one holds no email, and the
        // unusable attribute stays visible in custom.
        let p = map(
            Preset::Default,
            &attrs(&[("email", &["not an email"]), ("mail", &["ok@example.com"])]),
        );
        assert_eq!(p.email, "ok@example.com");
        assert_eq!(p.custom, attrs(&[("email", &["not an email"])]));
    }

    #[test]
    fn email_falls_back_to_an_email_name_id() {
        let none = BTreeMap::new();
        let no = BTreeMap::new();
        for format in [Some(NAMEID_EMAIL), Some(NAMEID_UNSPECIFIED), None] {
            let p =
                map_assertion(Preset::Default, &no, " Eve@Example.com ", format, &none).unwrap();
            assert_eq!(p.email, "Eve@Example.com");
            assert_eq!(p.email_lower, "eve@example.com");
            assert_eq!(p.email_source, EmailSource::NameId);
        }
        // A persistent or transient NameID is never taken for an email, whatever it looks like.
        for format in [
            PERSISTENT,
            "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
        ] {
            let r = map_assertion(Preset::Default, &no, "eve@example.com", Some(format), &none);
            assert_eq!(r, Err(MappingError::MissingEmail));
        }
        // An emailAddress-format NameID that is not an email is not used.
        let r = map_assertion(Preset::Default, &no, "eve", Some(NAMEID_EMAIL), &none);
        assert_eq!(r, Err(MappingError::MissingEmail));
        assert_eq!(MappingError::MissingEmail.kind(), "missing_email");
        // An email attribute wins over an email NameID.
        let p = map_assertion(
            Preset::Default,
            &no,
            "nameid@example.com",
            Some(NAMEID_EMAIL),
            &attrs(&[("mail", &["attr@example.com"])]),
        )
        .unwrap();
        assert_eq!(p.email, "attr@example.com");
    }

    #[test]
    fn display_name_falls_back_to_given_and_family() {
        let p = map(
            Preset::Okta,
            &attrs(&[("email", &["a@x.io"]), ("firstName", &["Ada"])]),
        );
        assert_eq!(p.display_name.as_deref(), Some("Ada"));
        let p = map(
            Preset::Okta,
            &attrs(&[("email", &["a@x.io"]), ("lastName", &["L"])]),
        );
        assert_eq!(p.display_name.as_deref(), Some("L"));
        let p = map(
            Preset::Okta,
            &attrs(&[("email", &["a@x.io"]), ("firstName", &["  "])]),
        );
        assert_eq!(p.display_name, None);
        assert_eq!(p.given_name, None);
        let p = map(
            Preset::Okta,
            &attrs(&[
                ("email", &["a@x.io"]),
                ("displayName", &["Countess"]),
                ("firstName", &["Ada"]),
            ]),
        );
        assert_eq!(p.display_name.as_deref(), Some("Countess"));
    }

    #[test]
    fn custom_keeps_unconsumed_attributes_verbatim() {
        let a = attrs(&[
            ("email", &["a@x.io"]),
            ("mail", &["second@x.io"]),
            ("Roles", &["  spaced  ", ""]),
            ("empty", &[]),
        ]);
        let p = map(Preset::Default, &a);
        assert_eq!(
            p.custom,
            attrs(&[
                ("Roles", &["  spaced  ", ""]),
                ("empty", &[]),
                ("mail", &["second@x.io"])
            ])
        );
    }

    #[test]
    fn one_attribute_feeds_one_field() {
        // Okta `manager` carries an email; it must not also become the email.
        let a = attrs(&[("manager", &["boss@x.io"])]);
        let overrides: BTreeMap<String, String> =
            [("email".to_owned(), "manager".to_owned())].into();
        let p = map_assertion(Preset::Okta, &overrides, "x", Some(PERSISTENT), &a).unwrap();
        assert_eq!(p.email, "boss@x.io");
        assert_eq!(p.manager, None);
    }

    #[test]
    fn mapped_json_lists_present_fields() {
        let p = map(
            Preset::Okta,
            &attrs(&[("email", &["A@x.io"]), ("firstName", &["Ada"])]),
        );
        assert_eq!(
            p.mapped_json(),
            serde_json::json!({
                "email": "A@x.io", "given_name": "Ada", "display_name": "Ada", "groups": [],
            })
        );
        let p = map(Preset::Okta, &okta_attrs());
        let j = p.mapped_json();
        assert_eq!(j["employee_number"], "E-1815");
        assert_eq!(j["groups"], serde_json::json!(["Engineering", "Everyone"]));
        assert!(j.get("user_name").is_none());
    }

    #[test]
    fn presets_parse_and_list() {
        assert_eq!(
            preset_names(),
            ["default", "okta", "entra", "google", "onelogin"]
        );
        for p in Preset::ALL {
            assert_eq!(Preset::parse(p.as_str()), Some(p));
        }
        assert_eq!(Preset::parse("Okta"), None);
        assert_eq!(Preset::parse("adfs"), None);
        assert_eq!(Preset::default(), Preset::Default);
    }

    #[test]
    fn docs_carry_the_preset_table() {
        let doc = include_str!("../../docs/sso.md");
        assert!(
            doc.contains(&preset_table()),
            "docs/sso.md must contain the table printed by preset_table():\n{}",
            preset_table()
        );
    }
}
