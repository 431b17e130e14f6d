//! A user resource as the store keeps it: the profile columns filters use, the stored
//! JSON (without derived attributes), the `user_emails` index rows, and the `user`
//! object of the `user.*` event payloads.

use serde_json::Value;

use crate::domain::UserState;
use crate::scim::error::ScimError;
use crate::scim::filter::{as_bool, get_ci};
use crate::scim::value::take_ci;
use crate::store::users::{UserEmail, UserProfile};

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    get_ci(v, key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// The resource to store: no `id`, `meta`, `groups` (derived), `password`.
pub(super) fn storable(mut resource: Value) -> Value {
    if let Some(obj) = resource.as_object_mut() {
        for k in ["id", "meta", "groups", "password"] {
            take_ci(obj, k);
        }
    }
    resource
}

/// The profile columns of a resource in lifecycle state `state`.
pub(super) fn profile(resource: &Value, state: UserState) -> Result<UserProfile, ScimError> {
    let user_name = str_at(resource, "userName")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ScimError::invalid_value("required attribute 'userName' is missing"))?
        .to_owned();
    let emails = get_ci(resource, "emails").and_then(Value::as_array);
    let primary = emails.and_then(|list| {
        list.iter()
            .find(|e| get_ci(e, "primary").and_then(as_bool) == Some(true))
            .or_else(|| list.first())
            .and_then(|e| str_at(e, "value"))
            .map(str::to_owned)
    });
    let name = get_ci(resource, "name");
    Ok(UserProfile {
        user_name_lower: user_name.to_lowercase(),
        user_name,
        external_id: str_at(resource, "externalId").map(str::to_owned),
        email_lower: primary.as_ref().map(|e| e.to_lowercase()),
        email: primary,
        given_name: name.and_then(|n| str_at(n, "givenName")).map(str::to_owned),
        family_name: name
            .and_then(|n| str_at(n, "familyName"))
            .map(str::to_owned),
        display_name: str_at(resource, "displayName").map(str::to_owned),
        active: state.holds_seat(),
        state,
        attributes: storable(resource.clone()).to_string(),
    })
}

pub(super) fn email_rows(resource: &Value, user_id: &str, org: &str) -> Vec<UserEmail> {
    let mut out: Vec<UserEmail> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let list = get_ci(resource, "emails").and_then(Value::as_array);
    for e in list.map(Vec::as_slice).unwrap_or_default() {
        let Some(v) = str_at(e, "value") else {
            continue;
        };
        let value_lower = v.to_lowercase();
        if !seen.insert(value_lower.clone()) {
            continue;
        }
        out.push(UserEmail {
            user_id: user_id.to_owned(),
            organization_id: org.to_owned(),
            value_lower,
            kind: str_at(e, "type").map(str::to_owned),
            is_primary: get_ci(e, "primary").and_then(as_bool) == Some(true),
        });
    }
    out
}
