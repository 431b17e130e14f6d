//! The user record JIT writes from a mapped assertion: the SCIM-shaped resource of a new
//! user (so SCIM GETs and filters see JIT users like any other), and the attribute sync
//! of a returning user with the list of fields it changed.

use serde_json::{json, Map, Value};

use super::mapping::MappedProfile;
use crate::domain::UserState;
use crate::scim::schema::{ENTERPRISE_USER_SCHEMA, USER_SCHEMA};
use crate::scim::value::{set_ci, take_ci};
use crate::store::users::{UserEmail, UserProfile, UserRow};

/// The stored resource of a user JIT creates.
pub fn new_resource(p: &MappedProfile) -> Value {
    let mut obj = Map::new();
    obj.insert("schemas".into(), json!([USER_SCHEMA]));
    obj.insert("userName".into(), json!(user_name(p)));
    let mut user = Value::Object(obj);
    for field in SYNCED {
        field.write(&mut user, p);
    }
    user
}

/// A new JIT user's userName: the mapped one, else the email (what IdPs' SCIM
/// connectors send as userName by default, so a later SCIM push finds the user).
fn user_name(p: &MappedProfile) -> &str {
    p.user_name.as_deref().unwrap_or(&p.email)
}

/// The profile columns of a new JIT user.
pub fn new_profile(p: &MappedProfile, state: UserState) -> UserProfile {
    let resource = new_resource(p);
    UserProfile {
        user_name: user_name(p).to_owned(),
        user_name_lower: user_name(p).to_lowercase(),
        external_id: None,
        email: Some(p.email.clone()),
        email_lower: Some(p.email_lower.clone()),
        given_name: p.given_name.clone(),
        family_name: p.family_name.clone(),
        display_name: p.display_name.clone(),
        active: state.holds_seat(),
        state,
        attributes: resource.to_string(),
    }
}

/// The `user_emails` index row of a user's one (primary, work) email: JIT users and
/// invitees have exactly one.
pub fn email_row(user_id: &str, organization_id: &str, email_lower: &str) -> UserEmail {
    UserEmail {
        user_id: user_id.to_owned(),
        organization_id: organization_id.to_owned(),
        value_lower: email_lower.to_owned(),
        kind: Some("work".into()),
        is_primary: true,
    }
}

/// A profile field login may sync, with where it lives in the stored resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Synced {
    GivenName,
    FamilyName,
    DisplayName,
    Title,
    Department,
    EmployeeNumber,
    Manager,
    Email,
}

/// Synced on every login; `Email` only for users whose email JIT owns (see [`sync`]).
const SYNCED: [Synced; 8] = [
    Synced::GivenName,
    Synced::FamilyName,
    Synced::DisplayName,
    Synced::Title,
    Synced::Department,
    Synced::EmployeeNumber,
    Synced::Manager,
    Synced::Email,
];

impl Synced {
    fn key(self) -> &'static str {
        match self {
            Synced::GivenName => "given_name",
            Synced::FamilyName => "family_name",
            Synced::DisplayName => "display_name",
            Synced::Title => "title",
            Synced::Department => "department",
            Synced::EmployeeNumber => "employee_number",
            Synced::Manager => "manager",
            Synced::Email => "email",
        }
    }

    fn incoming(self, p: &MappedProfile) -> Option<&str> {
        match self {
            Synced::GivenName => p.given_name.as_deref(),
            Synced::FamilyName => p.family_name.as_deref(),
            Synced::DisplayName => p.display_name.as_deref(),
            Synced::Title => p.title.as_deref(),
            Synced::Department => p.department.as_deref(),
            Synced::EmployeeNumber => p.employee_number.as_deref(),
            Synced::Manager => p.manager.as_deref(),
            Synced::Email => Some(&p.email),
        }
    }

    /// (object path, attribute) of the field in the SCIM resource.
    fn location(self) -> (&'static [&'static str], &'static str) {
        const ENT: &[&str] = &[ENTERPRISE_USER_SCHEMA];
        match self {
            Synced::GivenName => (&["name"], "givenName"),
            Synced::FamilyName => (&["name"], "familyName"),
            Synced::DisplayName => (&[], "displayName"),
            Synced::Title => (&[], "title"),
            Synced::Department => (ENT, "department"),
            Synced::EmployeeNumber => (ENT, "employeeNumber"),
            Synced::Manager => (&[ENTERPRISE_USER_SCHEMA, "manager"], "value"),
            Synced::Email => (&[], "emails"),
        }
    }

    fn stored(self, resource: &Value) -> Option<String> {
        let (path, attr) = self.location();
        let mut at = resource;
        for seg in path {
            at = crate::scim::filter::get_ci(at, seg)?;
        }
        let v = crate::scim::filter::get_ci(at, attr)?;
        if self == Synced::Email {
            // The primary (else first) email.
            let list = v.as_array()?;
            let e = list
                .iter()
                .find(|e| e.get("primary").and_then(Value::as_bool) == Some(true))
                .or_else(|| list.first())?;
            return e.get("value").and_then(Value::as_str).map(str::to_owned);
        }
        v.as_str().map(str::to_owned)
    }

    /// Writes the incoming value (when the assertion has one) into the resource.
    fn write(self, resource: &mut Value, p: &MappedProfile) {
        let Some(value) = self.incoming(p) else {
            return;
        };
        let (path, attr) = self.location();
        let mut at = match resource.as_object_mut() {
            Some(o) => o,
            None => return,
        };
        for seg in path {
            let key = crate::scim::value::find_key(at, seg).unwrap_or_else(|| (*seg).to_owned());
            let entry = at.entry(key).or_insert_with(|| json!({}));
            if !entry.is_object() {
                *entry = json!({});
            }
            let Some(next) = entry.as_object_mut() else {
                return;
            };
            at = next;
        }
        let v = if self == Synced::Email {
            json!([{ "value": value, "type": "work", "primary": true }])
        } else {
            json!(value)
        };
        take_ci(at, attr);
        set_ci(at, attr, v);
        if path.first() == Some(&ENTERPRISE_USER_SCHEMA) {
            add_schema(resource, ENTERPRISE_USER_SCHEMA);
        }
    }
}

fn add_schema(resource: &mut Value, urn: &str) {
    let Some(obj) = resource.as_object_mut() else {
        return;
    };
    let schemas = obj.entry("schemas").or_insert_with(|| json!([USER_SCHEMA]));
    if let Some(list) = schemas.as_array_mut() {
        if !list.iter().any(|s| s.as_str() == Some(urn)) {
            list.push(json!(urn));
        }
    }
}

/// A returning user's profile after syncing the assertion into it, and the keys of the
/// fields that changed (`None` when nothing did). A field the assertion does not carry is
/// left alone, never cleared. The email is synced only when `sync_email` (users whose
/// email JIT owns; a SCIM directory's multi-valued emails are its own).
pub fn sync(
    row: &UserRow,
    p: &MappedProfile,
    sync_email: bool,
) -> Option<(UserProfile, Vec<&'static str>)> {
    let mut resource: Value = serde_json::from_str(&row.attributes)
        .unwrap_or_else(|_| json!({ "schemas": [USER_SCHEMA] }));
    let mut changed = Vec::new();
    for field in SYNCED {
        if field == Synced::Email && !sync_email {
            continue;
        }
        let Some(incoming) = field.incoming(p) else {
            continue;
        };
        let current = match field {
            // Columns first: a JIT user's resource may predate a field.
            Synced::GivenName => row.given_name.clone(),
            Synced::FamilyName => row.family_name.clone(),
            Synced::DisplayName => row.display_name.clone(),
            Synced::Email => row.email.clone(),
            _ => field.stored(&resource),
        };
        if current.as_deref() != Some(incoming) {
            field.write(&mut resource, p);
            changed.push(field.key());
        }
    }
    if changed.is_empty() {
        return None;
    }
    let pick = |key: &str, incoming: Option<&String>, current: &Option<String>| {
        if changed.contains(&key) {
            incoming.cloned()
        } else {
            current.clone()
        }
    };
    let email_changed = changed.contains(&"email");
    Some((
        UserProfile {
            user_name: row.user_name.clone(),
            user_name_lower: row.user_name_lower.clone(),
            external_id: row.external_id.clone(),
            email: if email_changed {
                Some(p.email.clone())
            } else {
                row.email.clone()
            },
            email_lower: if email_changed {
                Some(p.email_lower.clone())
            } else {
                row.email_lower.clone()
            },
            given_name: pick("given_name", p.given_name.as_ref(), &row.given_name),
            family_name: pick("family_name", p.family_name.as_ref(), &row.family_name),
            display_name: pick("display_name", p.display_name.as_ref(), &row.display_name),
            active: row.active,
            state: row.state,
            attributes: resource.to_string(),
        },
        changed,
    ))
}
