//! Resource representation (RFC 7643 §3, RFC 7644 §3.3, §3.4.2.5, §3.5.1): validation
//! and normalisation of incoming User/Group bodies, PUT's carry-over of readOnly
//! attributes, `meta`, output projection (`attributes` / `excludedAttributes`) and
//! list responses.
//!
//! Unknown attributes are rejected with `invalidSyntax` naming them (an IdP mapping
//! mistake should be visible, not silently dropped). Objects under *unknown schema URNs*
//! (custom extensions Okta or Entra admins add, e.g. `urn:okta:…` or
//! `urn:ietf:params:scim:schemas:extension:acme:2.0:User`) are tolerated and ignored:
//! rejecting them would stop all provisioning for a directory over attributes the
//! application cannot use anyway. Their URNs are reported so the handler can log them.

use std::collections::HashSet;
use std::hash::Hash;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

use super::error::ScimError;
use super::filter::get_ci;
use super::limits::{self, MAX_ATTRIBUTE_NAMES};
use super::schema::{self, Mutability, ResolvedAttr, ResourceType, Returned, SchemaDef, COMMON};
use super::value::{
    coerce, enforce_single_primary, find_key, is_unassigned, set_ci, sync_schemas, take_ci,
};

/// ListResponse message schema URN (RFC 7644 §3.4.2).
pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// A ListResponse (RFC 7644 §3.4.2): `totalResults` is the count of all matches,
/// `itemsPerPage` the count of `resources` in this page, `startIndex` 1-based.
pub fn list_response(resources: Vec<Value>, total_results: usize, start_index: usize) -> Value {
    json!({
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": total_results,
        "itemsPerPage": resources.len(),
        "startIndex": start_index,
        "Resources": resources,
    })
}

/// A validated, normalised POST/PUT body.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    /// The resource: known attributes only, canonical key case, coerced values, no
    /// readOnly attributes, no `password`, `schemas` listing the core schema and the
    /// extensions present.
    pub resource: Value,
    /// The cleartext password if one was sent (hash it; never store it in JSON).
    pub password: Option<String>,
    /// Group ids from a User body's readOnly `groups` (Okta sometimes sends
    /// memberships this way); not part of `resource`, the caller decides.
    pub requested_groups: Vec<String>,
    /// Unknown schema URNs whose objects were ignored.
    pub ignored: Vec<String>,
}

/// Validate and normalise a POST or PUT body for `rt` (RFC 7644 §3.3, §3.5.1).
///
/// Errors: not an object, `schemas` without the core schema, unknown attribute or
/// sub-attribute → `invalidSyntax`; wrong value type or missing required attribute
/// (`userName`, Group `displayName`) → `invalidValue`. readOnly attributes (`id`,
/// `meta`, `groups`) are ignored as RFC 7644 §3.3 prescribes.
pub fn validate_incoming(rt: ResourceType, body: &Value) -> Result<Incoming, ScimError> {
    let obj = body
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax("the request body must be a JSON object"))?;
    if let Some(schemas) = get_ci(body, "schemas") {
        let core = rt.core_schema().id;
        let ok = schemas.as_array().is_some_and(|a| {
            a.iter()
                .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(core)))
        });
        if !ok {
            return Err(ScimError::invalid_syntax(format!(
                "'schemas' must contain \"{core}\""
            )));
        }
    }
    let mut out = Map::new();
    let mut incoming = Incoming {
        resource: Value::Null,
        password: None,
        requested_groups: Vec::new(),
        ignored: Vec::new(),
    };
    for (key, v) in obj {
        if key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        if let Some(s) = schema::schema_for_urn(rt, key) {
            let inner = v.as_object().ok_or_else(|| {
                ScimError::invalid_syntax(format!("'{key}' must be an object of attributes"))
            })?;
            for (k, iv) in inner {
                let attr = schema::resolve(rt, Some(s.id), k, None).ok_or_else(|| {
                    ScimError::invalid_syntax(format!("unknown attribute '{}:{k}'", s.id))
                })?;
                put_attr(&mut out, attr, iv, &mut incoming)?;
            }
            continue;
        }
        if key.len() > 4 && key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:")) {
            incoming.ignored.push(key.clone());
            continue;
        }
        let attr = schema::resolve(rt, None, key, None)
            .filter(|a| !a.is_extension())
            .ok_or_else(|| ScimError::invalid_syntax(format!("unknown attribute '{key}'")))?;
        put_attr(&mut out, attr, v, &mut incoming)?;
    }
    for required in rt.core_schema().attributes.iter().filter(|a| a.required) {
        let present = out.get(required.name).is_some_and(|v| match v {
            Value::String(s) => !s.trim().is_empty(),
            other => !is_unassigned(other),
        });
        if !present {
            return Err(ScimError::invalid_value(format!(
                "required attribute '{}' is missing",
                required.name
            )));
        }
    }
    if let Some(Value::String(pw)) = take_ci(&mut out, "password") {
        incoming.password = Some(pw);
    }
    sync_schemas(rt, &mut out);
    incoming.resource = Value::Object(out);
    Ok(incoming)
}

fn put_attr(
    out: &mut Map<String, Value>,
    attr: ResolvedAttr,
    v: &Value,
    incoming: &mut Incoming,
) -> Result<(), ScimError> {
    let def = attr.attr;
    if def.mutability == Mutability::ReadOnly {
        if def.name == "groups" {
            let groups = v.as_array().map(Vec::as_slice).unwrap_or_default();
            incoming.requested_groups.extend(
                groups
                    .iter()
                    .filter_map(|g| get_ci(g, "value").and_then(Value::as_str))
                    .map(str::to_owned),
            );
        }
        return Ok(());
    }
    let mut v = coerce(def, v.clone(), &attr.canonical())?;
    if is_unassigned(&v) {
        return Ok(());
    }
    if let Value::Array(items) = &mut v {
        let all: Vec<usize> = (0..items.len()).collect();
        enforce_single_primary(items, &all);
    }
    let container = match attr.extension_key() {
        Some(urn) => {
            let slot = out
                .entry(urn.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            match slot.as_object_mut() {
                Some(m) => m,
                None => return Ok(()),
            }
        }
        None => out,
    };
    set_ci(container, def.name, v);
    Ok(())
}

/// PUT (RFC 7644 §3.5.1): the validated replacement keeps the existing resource's
/// readOnly attributes (`id`, `meta`, `groups`); everything else comes from the body.
pub fn carry_read_only(rt: ResourceType, existing: &Value, replacement: &mut Value) {
    let Some(new) = replacement.as_object_mut() else {
        return;
    };
    for def in COMMON.attributes.iter().chain(rt.core_schema().attributes) {
        if def.mutability == Mutability::ReadOnly {
            if let Some(v) = get_ci(existing, def.name) {
                set_ci(new, def.name, v.clone());
            }
        }
    }
}

/// Set `meta` (RFC 7643 §3.1): resourceType, created, lastModified, location
/// (`{base_url}/Users/{id}`) and the weak ETag `version` (RFC 7644 §3.14).
pub fn set_meta(
    rt: ResourceType,
    resource: &mut Value,
    base_url: &str,
    created: DateTime<Utc>,
    last_modified: DateTime<Utc>,
    version: &str,
) {
    let Some(obj) = resource.as_object_mut() else {
        return;
    };
    let id = obj
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let meta = json!({
        "resourceType": rt.name(),
        "created": created.to_rfc3339_opts(SecondsFormat::Millis, true),
        "lastModified": last_modified.to_rfc3339_opts(SecondsFormat::Millis, true),
        "location": format!("{}{}/{id}", base_url.trim_end_matches('/'), rt.endpoint()),
        "version": format!("W/\"{version}\""),
    });
    set_ci(obj, "meta", meta);
}

/// Member ids added and removed between two versions of a Group (for the
/// `group.member_added` / `group.member_removed` events and the membership rows).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberChanges {
    /// Ids in `after` but not in `before`, in `after`'s order.
    pub added: Vec<String>,
    /// Ids in `before` but not in `after`, in `before`'s order.
    pub removed: Vec<String>,
}

/// The distinct `members[].value` ids of a Group resource, in order. Linear: a Group
/// of tens of thousands of members is de-duplicated through a hash set.
pub fn member_ids(group: &Value) -> Vec<String> {
    let members = get_ci(group, "members").and_then(Value::as_array);
    distinct(
        members
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|m| get_ci(m, "value").and_then(Value::as_str))
            .map(str::to_owned),
    )
}

/// The items in first-seen order without repeats, in time linear in their number
/// (never `Vec::contains` per item: that is quadratic in a hostile member list).
pub fn distinct<T: Eq + Hash + Clone>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut seen = HashSet::new();
    items
        .into_iter()
        .filter(|i| seen.insert(i.clone()))
        .collect()
}

/// Compare the members of two versions of a Group (ids are caseExact).
pub fn member_changes(before: &Value, after: &Value) -> MemberChanges {
    let (b, a) = (member_ids(before), member_ids(after));
    let (bs, as_): (HashSet<&String>, HashSet<&String>) = (b.iter().collect(), a.iter().collect());
    MemberChanges {
        added: a.iter().filter(|id| !bs.contains(id)).cloned().collect(),
        removed: b.iter().filter(|id| !as_.contains(id)).cloned().collect(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Sel {
    Schema(&'static SchemaDef),
    Attr(ResolvedAttr),
}

/// A parsed `attributes` / `excludedAttributes` pair (RFC 7644 §3.4.2.5), reusable
/// across every resource of a list response.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    include: Option<Vec<Sel>>,
    exclude: Vec<Sel>,
}

fn parse_list(rt: ResourceType, list: &str) -> Vec<Sel> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .filter_map(|p| match schema::schema_for_urn(rt, p) {
            Some(s) => Some(Sel::Schema(s)),
            // Unknown names select nothing: RFC 7644 §3.4.2.5 defines no error here.
            None => schema::resolve_str(rt, p).map(Sel::Attr),
        })
        .collect()
}

impl Projection {
    /// [`Projection::parse`] from client input: 400 `invalidValue` when either list
    /// names more than [`MAX_ATTRIBUTE_NAMES`] attributes (projecting each resource
    /// of a page compares every attribute with every name).
    pub fn parse_checked(
        rt: ResourceType,
        attributes: Option<&str>,
        excluded: Option<&str>,
    ) -> Result<Self, ScimError> {
        for (what, list) in [("attributes", attributes), ("excludedAttributes", excluded)] {
            let n = list.map_or(0, |l| l.split(',').count());
            limits::check_count(what, n, MAX_ATTRIBUTE_NAMES)?;
        }
        Ok(Self::parse(rt, attributes, excluded))
    }

    /// Parse the query parameters (comma-separated, case-insensitive, URN-qualified
    /// or not). When both are given, `attributes` wins.
    pub fn parse(rt: ResourceType, attributes: Option<&str>, excluded: Option<&str>) -> Self {
        let include = attributes
            .filter(|a| !a.trim().is_empty())
            .map(|a| parse_list(rt, a));
        let exclude = match (&include, excluded) {
            (None, Some(e)) => parse_list(rt, e),
            _ => Vec::new(),
        };
        Self { include, exclude }
    }

    /// Project a stored resource for output: `returned: never` attributes are always
    /// removed; `id`, `schemas` and `meta` are always kept.
    pub fn apply(&self, rt: ResourceType, resource: &Value) -> Value {
        let Some(obj) = resource.as_object() else {
            return resource.clone();
        };
        let mut out = Map::new();
        for (key, v) in obj {
            if key.eq_ignore_ascii_case("schemas") {
                out.insert(key.clone(), v.clone());
                continue;
            }
            if let Some(ext) = rt.extension(key) {
                if let Some(inner) = v.as_object() {
                    let mut kept = Map::new();
                    for (k, iv) in inner {
                        if let Some(a) = schema::resolve(rt, Some(ext.id), k, None) {
                            if let Some(pv) = self.project_attr(a, iv, true) {
                                kept.insert(k.clone(), pv);
                            }
                        }
                    }
                    if !kept.is_empty() {
                        out.insert(key.clone(), Value::Object(kept));
                    }
                }
                continue;
            }
            if let Some(a) = schema::resolve(rt, None, key, None).filter(|a| !a.is_extension()) {
                if let Some(pv) = self.project_attr(a, v, false) {
                    out.insert(key.clone(), pv);
                }
            }
        }
        Value::Object(out)
    }

    fn project_attr(&self, a: ResolvedAttr, v: &Value, in_ext: bool) -> Option<Value> {
        let def = a.attr;
        if def.returned == Returned::Never {
            return None;
        }
        // RFC 7644 §3.4.2.5 and the brief: id, schemas and meta are always returned.
        if def.returned == Returned::Always || (def.name == "meta" && !a.is_extension()) {
            return Some(v.clone());
        }
        let whole_schema = |sels: &[Sel]| {
            in_ext
                && sels
                    .iter()
                    .any(|s| matches!(s, Sel::Schema(s) if s.id == a.schema.id))
        };
        let same = |r: &ResolvedAttr| r.schema.id == a.schema.id && r.attr.name == def.name;
        match &self.include {
            Some(sels) => {
                if whole_schema(sels) {
                    return Some(v.clone());
                }
                let hits: Vec<&ResolvedAttr> = sels
                    .iter()
                    .filter_map(|s| match s {
                        Sel::Attr(r) if same(r) => Some(r),
                        _ => None,
                    })
                    .collect();
                if hits.is_empty() {
                    return None;
                }
                if hits.iter().any(|r| r.sub.is_none()) {
                    return Some(v.clone());
                }
                let subs: Vec<&str> = hits.iter().filter_map(|r| r.sub.map(|s| s.name)).collect();
                let keep = |el: &Value| -> Value {
                    let mut m = Map::new();
                    if let Some(o) = el.as_object() {
                        for name in &subs {
                            if let Some(k) = find_key(o, name) {
                                if let Some(x) = o.get(&k) {
                                    m.insert(k, x.clone());
                                }
                            }
                        }
                    }
                    Value::Object(m)
                };
                match v {
                    Value::Array(items) => Some(Value::Array(items.iter().map(keep).collect())),
                    other => Some(keep(other)),
                }
            }
            None => {
                if def.returned == Returned::Request || whole_schema(&self.exclude) {
                    return None;
                }
                let hits: Vec<&ResolvedAttr> = self
                    .exclude
                    .iter()
                    .filter_map(|s| match s {
                        Sel::Attr(r) if same(r) => Some(r),
                        _ => None,
                    })
                    .collect();
                if hits.iter().any(|r| r.sub.is_none()) {
                    return None;
                }
                let drop_subs = |el: &Value| -> Value {
                    let mut el = el.clone();
                    if let Some(o) = el.as_object_mut() {
                        for r in &hits {
                            if let Some(s) = r.sub {
                                take_ci(o, s.name);
                            }
                        }
                    }
                    el
                };
                match v {
                    Value::Array(items) => {
                        Some(Value::Array(items.iter().map(drop_subs).collect()))
                    }
                    other => Some(drop_subs(other)),
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "representation_tests.rs"]
mod tests;
