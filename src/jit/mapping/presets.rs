//! Attribute presets: which attribute names each IdP sends by default for each profile
//! [`Field`], and the table of them `docs/sso.md` carries.

use super::same_name;

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

#[cfg(test)]
mod tests {
    use super::*;

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
        let doc = include_str!("../../../docs/sso.md");
        assert!(
            doc.contains(&preset_table()),
            "docs/sso.md must contain the table printed by preset_table():\n{}",
            preset_table()
        );
    }
}
