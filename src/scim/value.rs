//! Attribute values in resource JSON: case-insensitive key access (RFC 7643 §2.1),
//! coercion of incoming values to an attribute's type (tolerating IdP quirks such as
//! Entra's `"False"` and bare-string `manager`), and the `schemas` list upkeep.

use serde_json::{Map, Value};

use super::error::ScimError;
use super::filter::{as_bool, get_ci};
use super::limits;
use super::schema::{AttrType, AttributeDef, Mutability, ResourceType};

/// The key in `map` equal to `name` ignoring ASCII case, preferring an exact match.
pub fn find_key(map: &Map<String, Value>, name: &str) -> Option<String> {
    if map.contains_key(name) {
        return Some(name.to_owned());
    }
    map.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
}

/// Remove and return the value under `name` (any case); every case variant is removed.
/// One scan of the keys (an object of many case variants of `name` must not cost a scan
/// per variant), then one removal per variant found; the exact-case key wins.
pub fn take_ci(map: &mut Map<String, Value>, name: &str) -> Option<Value> {
    let exact = map.remove(name);
    let variant = remove_variants(map, name);
    exact.or(variant)
}

/// Removes every key equal to `name` ignoring case; returns the first one's value.
fn remove_variants(map: &mut Map<String, Value>, name: &str) -> Option<Value> {
    let keys: Vec<String> = map
        .keys()
        .filter(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .collect();
    let mut found = None;
    for k in keys {
        let v = map.remove(&k);
        if found.is_none() {
            found = v;
        }
    }
    found
}

/// Set `name` (canonical case) to `value`, dropping any differently-cased key.
pub fn set_ci(map: &mut Map<String, Value>, name: &str, value: Value) {
    take_ci(map, name);
    map.insert(name.to_owned(), value);
}

/// Whether a value is "unassigned" (RFC 7643 §2.5): null, or an empty array/object.
pub fn is_unassigned(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

fn invalid(path: &str, def: &AttributeDef, got: &Value) -> ScimError {
    let got = match got {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    ScimError::invalid_value(format!(
        "attribute '{path}' expects {}{}, got {got}",
        if def.multi_valued { "an array of " } else { "" },
        def.kind.as_str()
    ))
}

/// Coerce an incoming value for attribute `def` (named `path` in errors).
///
/// Multi-valued attributes accept a single value as a one-element array; complex
/// attributes accept a bare string as `{"value": s}` (Entra sends `manager` this way);
/// booleans accept `"True"`/`"false"`; string attributes accept numbers (Okta sends
/// `employeeNumber` as a number when mapped from a numeric field). Sub-attribute keys
/// are matched case-insensitively and rewritten in canonical case; readOnly
/// sub-attributes are dropped (RFC 7644 §3.5.1: the server ignores them). Unknown
/// sub-attributes are `invalidSyntax`; wrong types are `invalidValue`.
pub fn coerce(def: &AttributeDef, value: Value, path: &str) -> Result<Value, ScimError> {
    if def.multi_valued {
        let items = match value {
            Value::Array(items) => items,
            Value::Null => return Ok(Value::Null),
            single => vec![single],
        };
        limits::check_count(path, items.len(), limits::max_values(def.name))?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            if item.is_null() {
                continue;
            }
            out.push(coerce_single(def, item, path)?);
        }
        return Ok(Value::Array(out));
    }
    coerce_single(def, value, path)
}

/// Coerce one (non-array) value of `def`, e.g. one element of a multi-valued attribute.
pub fn coerce_single(def: &AttributeDef, value: Value, path: &str) -> Result<Value, ScimError> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    match def.kind {
        AttrType::Complex => {
            let obj = match value {
                Value::Object(obj) => obj,
                Value::String(s) if def.sub_attribute("value").is_some() => {
                    let mut m = Map::new();
                    m.insert("value".to_owned(), Value::String(s));
                    m
                }
                other => return Err(invalid(path, def, &other)),
            };
            let mut out = Map::new();
            for (k, v) in obj {
                let sub = def.sub_attribute(&k).ok_or_else(|| {
                    ScimError::invalid_syntax(format!("unknown attribute '{path}.{k}'"))
                })?;
                if sub.mutability == Mutability::ReadOnly {
                    continue;
                }
                let sub_path = format!("{path}.{}", sub.name);
                let v = coerce_single(sub, v, &sub_path)?;
                if !v.is_null() {
                    out.insert(sub.name.to_owned(), v);
                }
            }
            Ok(Value::Object(out))
        }
        AttrType::Boolean => match as_bool(&value) {
            Some(b) => Ok(Value::Bool(b)),
            None => Err(invalid(path, def, &value)),
        },
        AttrType::Integer | AttrType::Decimal => {
            let n = match &value {
                Value::Number(n) => Some(n.clone()),
                Value::String(s) => serde_json::from_str::<serde_json::Number>(s.trim()).ok(),
                _ => None,
            };
            let n = n.ok_or_else(|| invalid(path, def, &value))?;
            if def.kind == AttrType::Integer && !(n.is_i64() || n.is_u64()) {
                return Err(invalid(path, def, &value));
            }
            Ok(Value::Number(n))
        }
        AttrType::DateTime => match &value {
            Value::String(s) if chrono::DateTime::parse_from_rfc3339(s.trim()).is_ok() => Ok(value),
            _ => Err(invalid(path, def, &value)),
        },
        AttrType::String | AttrType::Reference | AttrType::Binary => match value {
            Value::String(_) => Ok(value),
            Value::Number(n) if def.kind == AttrType::String => Ok(Value::String(n.to_string())),
            other => Err(invalid(path, def, &other)),
        },
    }
}

/// RFC 7643 §2.4: at most one element may have `primary: true`. An element this
/// operation wrote with `primary: true` wins (the last such); otherwise the first.
pub fn enforce_single_primary(items: &mut [Value], touched: &[usize]) {
    let is_primary = |v: &Value| get_ci(v, "primary").and_then(as_bool) == Some(true);
    let winner = touched
        .iter()
        .rev()
        .copied()
        .find(|&i| items.get(i).is_some_and(is_primary))
        .or_else(|| items.iter().position(is_primary));
    let Some(winner) = winner else { return };
    for (i, item) in items.iter_mut().enumerate() {
        if i != winner && is_primary(item) {
            if let Value::Object(o) = item {
                set_ci(o, "primary", Value::Bool(false));
            }
        }
    }
}

/// Make `schemas` list the core schema plus exactly the extensions present, and drop
/// empty extension objects (RFC 7643 §3: `schemas` names every schema the resource
/// uses). Unknown URNs are not kept.
pub fn sync_schemas(rt: ResourceType, resource: &mut Map<String, Value>) {
    let mut schemas = vec![Value::String(rt.core_schema().id.to_owned())];
    for ext in rt.extensions() {
        match find_key(resource, ext.id) {
            Some(k) if resource.get(&k).is_some_and(is_unassigned) => {
                resource.remove(&k);
            }
            Some(k) => {
                if k != ext.id {
                    if let Some(v) = resource.remove(&k) {
                        resource.insert(ext.id.to_owned(), v);
                    }
                }
                schemas.push(Value::String(ext.id.to_owned()));
            }
            None => {}
        }
    }
    set_ci(resource, "schemas", Value::Array(schemas));
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;
    use crate::scim::error::ScimType;
    use crate::scim::schema::{ENTERPRISE_USER, USER};
    use serde_json::json;

    fn def(name: &str) -> &'static AttributeDef {
        USER.attribute(name)
            .or_else(|| ENTERPRISE_USER.attribute(name))
            .unwrap()
    }

    #[test]
    fn string_booleans_are_coerced() {
        let active = def("active");
        assert_eq!(
            coerce(active, json!("False"), "active").unwrap(),
            json!(false)
        );
        assert_eq!(
            coerce(active, json!("TRUE"), "active").unwrap(),
            json!(true)
        );
        let e = coerce(active, json!("yes"), "active").unwrap_err();
        assert_eq!(e.scim_type(), Some(ScimType::InvalidValue));
    }

    #[test]
    fn bare_string_manager_becomes_object() {
        let m = coerce(def("manager"), json!("boss-id"), "manager").unwrap();
        assert_eq!(m, json!({"value": "boss-id"}));
    }

    #[test]
    fn complex_keys_are_canonicalised_and_unknown_rejected() {
        let emails = coerce(
            def("emails"),
            json!({"VALUE": "a@x.com", "Primary": "true"}),
            "emails",
        )
        .unwrap();
        assert_eq!(emails, json!([{"value": "a@x.com", "primary": true}]));
        let e = coerce(def("name"), json!({"givenName": "A", "nick": "b"}), "name").unwrap_err();
        assert_eq!(e.scim_type(), Some(ScimType::InvalidSyntax));
        assert!(e.detail().contains("name.nick"));
    }

    #[test]
    fn read_only_sub_attributes_are_dropped() {
        let m = coerce(
            def("manager"),
            json!({"value": "b", "displayName": "Boss"}),
            "manager",
        );
        assert_eq!(m.unwrap(), json!({"value": "b"}));
    }

    #[test]
    fn type_mismatches_are_invalid_value() {
        assert!(coerce(def("userName"), json!(["a"]), "userName").is_err());
        assert!(coerce(def("emails"), json!([true]), "emails").is_err());
        assert_eq!(
            coerce(def("employeeNumber"), json!(42), "employeeNumber").unwrap(),
            json!("42")
        );
    }

    #[test]
    fn last_touched_primary_wins() {
        let mut items = vec![
            json!({"value": "a", "primary": true}),
            json!({"value": "b", "primary": "True"}),
            json!({"value": "c"}),
        ];
        enforce_single_primary(&mut items, &[1]);
        assert_eq!(items[0]["primary"], json!(false));
        assert_eq!(items[1]["primary"], json!("True"));
        let mut items = vec![
            json!({"value": "a", "primary": true}),
            json!({"value": "b", "primary": true}),
        ];
        enforce_single_primary(&mut items, &[]);
        assert_eq!(items[1]["primary"], json!(false));
    }

    #[test]
    fn schemas_follow_present_extensions() {
        let mut r = json!({
            "schemas": ["urn:bogus"],
            "userName": "a",
            "URN:ietf:params:scim:schemas:extension:enterprise:2.0:user": {"department": "x"}
        });
        let map = r.as_object_mut().unwrap();
        sync_schemas(ResourceType::User, map);
        assert_eq!(
            r["schemas"],
            json!([
                "urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
            ])
        );
        assert_eq!(
            r["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"],
            "x"
        );
        let mut r = json!({"userName": "a", ENTERPRISE_USER.id: {}});
        sync_schemas(ResourceType::User, r.as_object_mut().unwrap());
        assert_eq!(r, json!({"userName": "a", "schemas": [USER.id]}));
    }
}
