//! PATCH (RFC 7644 §3.5.2): parse a PatchOp request and apply it to a resource's JSON,
//! all or nothing (operations run on a copy that is returned only if all succeed).
//!
//! Tolerated IdP quirks: capitalised op names (Entra `Replace`), path-less operations
//! whose `value` keys are paths (`name.givenName`, `urn:...:enterprise:2.0:User:department`)
//! and may include readOnly attributes such as `id` (Okta), string booleans, bare-string
//! `manager`, `remove` of `members` with a `value` array (Entra), and `add`/`replace` of
//! `emails[type eq "work"].value` when no work email exists yet (Entra): the element is
//! created from the filter's `eq` terms (RFC 7644 §3.5.2.3 treats a missing target as
//! an add). Operations on attributes of unknown extension URNs are ignored and reported
//! in [`PatchOutcome::ignored`] rather than failing the whole request.

use scim_v2::filter as sv;
use serde_json::{Map, Value};

use super::error::ScimError;
use super::filter::{self, get_ci, matches_element, CompValue, CompareOp, Filter};
use super::schema::{
    self, AttrType, AttributeDef, Mutability, ResolvedAttr, ResourceType, SchemaDef,
};
use super::value::{
    coerce, coerce_single, enforce_single_primary, find_key, is_unassigned, set_ci, sync_schemas,
    take_ci,
};

/// PatchOp message schema URN (RFC 7644 §3.5.2).
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A PATCH operation kind; parsed case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// `add` (RFC 7644 §3.5.2.1)
    Add,
    /// `remove` (RFC 7644 §3.5.2.2)
    Remove,
    /// `replace` (RFC 7644 §3.5.2.3)
    Replace,
}

/// Where an operation applies.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// No `path`: `value` is an object of attributes (keys may be paths).
    Resource,
    /// The path is an extension schema URN: `value` holds its attributes.
    Schema(&'static SchemaDef),
    /// An attribute, optionally with a value filter and a sub-attribute:
    /// `name.givenName` is `{attr: name, filter: None, sub: givenName}`,
    /// `emails[type eq "work"].value` is `{attr: emails, filter: Some, sub: value}`.
    Attr {
        /// The top-level attribute (its `sub` is always `None`).
        attr: ResolvedAttr,
        /// The value-path filter, resolved against `attr`'s sub-attributes.
        filter: Option<Filter>,
        /// The sub-attribute named after the attribute or the filter.
        sub: Option<&'static AttributeDef>,
    },
    /// A path under an extension URN this server does not know; ignored.
    Ignored(String),
}

/// One parsed operation.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOperation {
    /// The kind.
    pub op: OpKind,
    /// The target.
    pub target: Target,
    /// The `value` member, if present.
    pub value: Option<Value>,
}

/// The result of a successful PATCH.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOutcome {
    /// The patched resource, `schemas` synchronised, without `password`.
    pub resource: Value,
    /// A password set by the request, to hash and store apart; never kept in JSON.
    pub password: Option<String>,
    /// Whether the resource changed; if not, `meta.lastModified` and the version must
    /// stay (RFC 7644 §3.5.2.1: no change SHALL NOT change the modify timestamp).
    pub changed: bool,
    /// Paths/keys under unknown extension URNs that were ignored (log them).
    pub ignored: Vec<String>,
}

/// Parse and apply a PATCH body to `resource` (RFC 7644 §3.5.2).
pub fn apply_patch(
    rt: ResourceType,
    resource: &Value,
    body: &Value,
) -> Result<PatchOutcome, ScimError> {
    let ops = parse_patch(rt, body)?;
    apply_operations(rt, resource, &ops)
}

/// Parse a PatchOp body: `schemas` (if sent) must name [`PATCH_OP_SCHEMA`], and
/// `Operations` must be an array of `{op, path?, value?}`. Errors are `invalidSyntax`
/// (structure), `invalidPath` (path), `noTarget` (remove without path).
pub fn parse_patch(rt: ResourceType, body: &Value) -> Result<Vec<PatchOperation>, ScimError> {
    if !body.is_object() {
        return Err(ScimError::invalid_syntax(
            "PATCH body must be a JSON object",
        ));
    }
    if let Some(schemas) = get_ci(body, "schemas") {
        let ok = schemas.as_array().is_some_and(|a| {
            a.iter().any(|s| {
                s.as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case(PATCH_OP_SCHEMA))
            })
        });
        if !ok {
            return Err(ScimError::invalid_syntax(format!(
                "PATCH 'schemas' must contain \"{PATCH_OP_SCHEMA}\""
            )));
        }
    }
    let ops = get_ci(body, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ScimError::invalid_syntax("PATCH body must contain an 'Operations' array")
        })?;
    ops.iter()
        .enumerate()
        .map(|(i, op)| parse_operation(rt, op).map_err(|e| e.context(&format!("Operations[{i}]"))))
        .collect()
}

fn parse_operation(rt: ResourceType, op: &Value) -> Result<PatchOperation, ScimError> {
    if !op.is_object() {
        return Err(ScimError::invalid_syntax(
            "an operation must be a JSON object",
        ));
    }
    let kind = match get_ci(op, "op").and_then(Value::as_str).map(str::trim) {
        Some(s) if s.eq_ignore_ascii_case("add") => OpKind::Add,
        Some(s) if s.eq_ignore_ascii_case("remove") => OpKind::Remove,
        Some(s) if s.eq_ignore_ascii_case("replace") => OpKind::Replace,
        Some(s) => {
            return Err(ScimError::invalid_syntax(format!(
                "unknown op '{s}'; expected add, remove or replace"
            )))
        }
        None => return Err(ScimError::invalid_syntax("operation lacks a string 'op'")),
    };
    let path = match get_ci(op, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(ScimError::invalid_path("'path' must be a string")),
    };
    let value = get_ci(op, "value").cloned();
    let target = match path {
        None if kind == OpKind::Remove => {
            // RFC 7644 §3.5.2.2: remove without path fails with noTarget.
            return Err(ScimError::no_target("remove requires a 'path'"));
        }
        None => Target::Resource,
        Some(p) => parse_target(rt, p)?,
    };
    if kind != OpKind::Remove && value.is_none() {
        // RFC 7644 §3.5.2.1 / §3.5.2.3: add and replace MUST carry a value.
        return Err(ScimError::invalid_syntax(
            "add and replace require a 'value'",
        ));
    }
    Ok(PatchOperation {
        op: kind,
        target,
        value,
    })
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

/// Whether `path` is under a schema URN `rt` knows (`urn:...:User:x`).
fn under_known_urn(rt: ResourceType, path: &str) -> bool {
    std::iter::once(rt.core_schema())
        .chain(rt.extensions().iter().copied())
        .any(|s| {
            starts_with_ci(path, s.id) && path.get(s.id.len()..).is_some_and(|r| r.starts_with(':'))
        })
}

/// Parse a PATCH `path` (RFC 7644 §3.5.2: `attrPath / valuePath [subAttr]`).
pub fn parse_target(rt: ResourceType, path: &str) -> Result<Target, ScimError> {
    let p = path.trim();
    if let Some(s) = schema::schema_for_urn(rt, p) {
        return Ok(if s.id == rt.core_schema().id {
            Target::Resource
        } else {
            Target::Schema(s)
        });
    }
    if starts_with_ci(p, "urn:") && !under_known_urn(rt, p) {
        return Ok(Target::Ignored(p.to_owned()));
    }
    let parsed: sv::PatchPath = p.parse().map_err(|e| {
        ScimError::invalid_path(format!(
            "invalid path '{p}': {}",
            filter::parse_error_detail(&e)
        ))
    })?;
    let as_path_err = |e: ScimError| ScimError::invalid_path(e.detail().to_owned());
    match parsed {
        sv::PatchPath::Attr(a) => {
            let r = schema::resolve(rt, a.uri.as_deref(), &a.name, a.sub_attr.as_deref())
                .ok_or_else(|| ScimError::invalid_path(format!("unknown attribute '{p}'")))?;
            Ok(Target::Attr {
                attr: ResolvedAttr { sub: None, ..r },
                filter: None,
                sub: r.sub,
            })
        }
        sv::PatchPath::Value(vp) => {
            let attr = filter::resolve_value_path_attr(rt, &vp.attr).map_err(as_path_err)?;
            if !attr.attr.multi_valued {
                return Err(ScimError::invalid_path(format!(
                    "'{}' is single-valued and cannot take a [filter]",
                    attr.attr.name
                )));
            }
            let f = filter::convert_val_filter(attr, &vp.filter).map_err(as_path_err)?;
            let sub = match vp.sub_attr.as_deref() {
                Some(s) => Some(attr.attr.sub_attribute(s).ok_or_else(|| {
                    ScimError::invalid_path(format!(
                        "unknown sub-attribute '{}.{s}'",
                        attr.attr.name
                    ))
                })?),
                None => None,
            };
            Ok(Target::Attr {
                attr,
                filter: Some(f),
                sub,
            })
        }
    }
}

/// Apply parsed operations to a copy of `resource`; on any error nothing is returned.
pub fn apply_operations(
    rt: ResourceType,
    resource: &Value,
    ops: &[PatchOperation],
) -> Result<PatchOutcome, ScimError> {
    let mut before = resource
        .as_object()
        .cloned()
        .ok_or_else(|| ScimError::with_status(500, "stored resource is not a JSON object"))?;
    sync_schemas(rt, &mut before);
    let mut doc = before.clone();
    let mut ignored = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        apply_one(rt, &mut doc, op, &mut ignored)
            .map_err(|e| e.context(&format!("Operations[{i}]")))?;
    }
    sync_schemas(rt, &mut doc);
    let password = match take_ci(&mut doc, "password") {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    take_ci(&mut before, "password");
    Ok(PatchOutcome {
        changed: doc != before || password.is_some(),
        resource: Value::Object(doc),
        password,
        ignored,
    })
}

fn apply_one(
    rt: ResourceType,
    doc: &mut Map<String, Value>,
    op: &PatchOperation,
    ignored: &mut Vec<String>,
) -> Result<(), ScimError> {
    match &op.target {
        Target::Ignored(p) => {
            ignored.push(p.clone());
            Ok(())
        }
        Target::Resource => {
            let obj = as_value_object(op.value.as_ref())?;
            for (k, v) in obj {
                apply_value_key(rt, doc, op.op, k, v, ignored)?;
            }
            Ok(())
        }
        Target::Schema(s) => {
            if op.op == OpKind::Remove {
                take_ci(doc, s.id);
                return Ok(());
            }
            let obj = as_value_object(op.value.as_ref())?;
            apply_schema_object(rt, doc, op.op, s, obj)
        }
        Target::Attr { attr, filter, sub } => {
            check_mutability(op.op, attr, *sub, op.value.as_ref())?;
            apply_attr(doc, op.op, attr, filter.as_ref(), *sub, op.value.as_ref())
        }
    }
}

fn as_value_object(v: Option<&Value>) -> Result<&Map<String, Value>, ScimError> {
    v.and_then(Value::as_object).ok_or_else(|| {
        ScimError::invalid_syntax(
            "without a path (or with a schema path), 'value' must be an object",
        )
    })
}

/// One key of a path-less `value` object (RFC 7644 §3.5.2.1: "a set of attributes").
fn apply_value_key(
    rt: ResourceType,
    doc: &mut Map<String, Value>,
    kind: OpKind,
    key: &str,
    v: &Value,
    ignored: &mut Vec<String>,
) -> Result<(), ScimError> {
    if key.eq_ignore_ascii_case("schemas") {
        return Ok(());
    }
    if let Some(s) = schema::schema_for_urn(rt, key) {
        let obj = v.as_object().ok_or_else(|| {
            ScimError::invalid_syntax(format!("'{key}' must hold an object of attributes"))
        })?;
        return apply_schema_object(rt, doc, kind, s, obj);
    }
    if starts_with_ci(key, "urn:") && !under_known_urn(rt, key) {
        ignored.push(key.to_owned());
        return Ok(());
    }
    if key.contains('[') {
        // Entra sends `"emails[type eq \"work\"].value": "…"` as a value key.
        return match parse_target(rt, key)? {
            Target::Attr { attr, filter, sub } => {
                if is_read_only(&attr, sub) {
                    return Ok(());
                }
                check_mutability(kind, &attr, sub, Some(v))?;
                apply_attr(doc, kind, &attr, filter.as_ref(), sub, Some(v))
            }
            _ => Err(ScimError::invalid_syntax(format!(
                "unsupported value key '{key}'"
            ))),
        };
    }
    let r = schema::resolve_str(rt, key)
        .ok_or_else(|| ScimError::invalid_syntax(format!("unknown attribute '{key}'")))?;
    apply_resolved_key(doc, kind, r, v)
}

fn is_read_only(attr: &ResolvedAttr, sub: Option<&'static AttributeDef>) -> bool {
    attr.attr.mutability == Mutability::ReadOnly
        || sub.is_some_and(|s| s.mutability == Mutability::ReadOnly)
}

fn apply_schema_object(
    rt: ResourceType,
    doc: &mut Map<String, Value>,
    kind: OpKind,
    s: &'static SchemaDef,
    obj: &Map<String, Value>,
) -> Result<(), ScimError> {
    for (k, v) in obj {
        let r = schema::split_path(k)
            .filter(|(urn, _, _)| urn.is_none())
            .and_then(|(_, name, sub)| schema::resolve(rt, Some(s.id), name, sub))
            .ok_or_else(|| {
                ScimError::invalid_syntax(format!("unknown attribute '{}:{k}'", s.id))
            })?;
        apply_resolved_key(doc, kind, r, v)?;
    }
    Ok(())
}

fn apply_resolved_key(
    doc: &mut Map<String, Value>,
    kind: OpKind,
    r: ResolvedAttr,
    v: &Value,
) -> Result<(), ScimError> {
    // Clients echo readOnly attributes (Okta sends `id` when renaming a group); like
    // PUT (RFC 7644 §3.5.1) we ignore them in a value object.
    if is_read_only(&r, r.sub) {
        return Ok(());
    }
    let attr = ResolvedAttr { sub: None, ..r };
    check_mutability(kind, &attr, r.sub, Some(v))?;
    apply_attr(doc, kind, &attr, None, r.sub, Some(v))
}

fn check_mutability(
    kind: OpKind,
    attr: &ResolvedAttr,
    sub: Option<&'static AttributeDef>,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let name = match sub {
        Some(s) => format!("{}.{}", attr.attr.name, s.name),
        None => attr.attr.name.to_owned(),
    };
    if attr.attr.mutability == Mutability::ReadOnly
        || sub.is_some_and(|s| s.mutability == Mutability::ReadOnly)
    {
        return Err(ScimError::mutability(format!(
            "attribute '{name}' is readOnly"
        )));
    }
    if kind != OpKind::Add && sub.is_some_and(|s| s.mutability == Mutability::Immutable) {
        return Err(ScimError::mutability(format!(
            "attribute '{name}' is immutable"
        )));
    }
    // RFC 7644 §3.5.2.2: removing (or unassigning) a required attribute is `mutability`.
    let unassigns =
        kind == OpKind::Remove || (kind == OpKind::Replace && value.is_some_and(is_unassigned));
    if unassigns && sub.is_none() && attr.attr.required {
        return Err(ScimError::mutability(format!(
            "attribute '{name}' is required"
        )));
    }
    Ok(())
}

fn container<'a>(
    doc: &'a mut Map<String, Value>,
    attr: &ResolvedAttr,
    create: bool,
) -> Option<&'a mut Map<String, Value>> {
    let Some(urn) = attr.extension_key() else {
        return Some(doc);
    };
    let key = match find_key(doc, urn) {
        Some(k) => k,
        None if create => {
            doc.insert(urn.to_owned(), Value::Object(Map::new()));
            urn.to_owned()
        }
        None => return None,
    };
    let slot = doc.get_mut(&key)?;
    if !slot.is_object() {
        if !create {
            return None;
        }
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut()
}

fn apply_attr(
    doc: &mut Map<String, Value>,
    kind: OpKind,
    attr: &ResolvedAttr,
    filter: Option<&Filter>,
    sub: Option<&'static AttributeDef>,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let def = attr.attr;
    let path = attr.canonical();
    let Some(c) = container(doc, attr, kind != OpKind::Remove) else {
        return Ok(()); // removing from an absent extension: nothing to do
    };
    if def.multi_valued && (filter.is_some() || sub.is_some()) {
        return apply_elements(c, kind, def, &path, filter, sub, value);
    }
    if let Some(sub) = sub {
        return apply_sub(c, kind, def, sub, &path, value);
    }
    match kind {
        OpKind::Remove => {
            match value.filter(|v| def.multi_valued && !is_unassigned(v)) {
                // Entra removes group members with `path: members` and a value array.
                Some(v) => {
                    let gone = coerce(def, v.clone(), &path)?;
                    let gone = gone.as_array().cloned().unwrap_or_default();
                    let key = find_key(c, def.name);
                    if let Some(Value::Array(items)) = key.as_ref().and_then(|k| c.get_mut(k)) {
                        items.retain(|e| !gone.iter().any(|g| same_element(def, e, g, true)));
                    }
                    drop_if_unassigned(c, def.name);
                }
                None => {
                    take_ci(c, def.name);
                }
            }
            Ok(())
        }
        OpKind::Add | OpKind::Replace => {
            let v = coerce(def, value.cloned().unwrap_or(Value::Null), &path)?;
            if is_unassigned(&v) {
                if kind == OpKind::Replace {
                    take_ci(c, def.name);
                }
                return Ok(());
            }
            if def.multi_valued {
                if kind == OpKind::Replace {
                    set_ci(c, def.name, v);
                    if let Some(Value::Array(items)) = c.get_mut(def.name) {
                        let all: Vec<usize> = (0..items.len()).collect();
                        enforce_single_primary(items, &all);
                    }
                } else {
                    add_elements(c, def, v);
                }
            } else if def.kind == AttrType::Complex {
                // RFC 7644 §3.5.2.3: sub-attributes not specified are left unchanged.
                let mut merged = match take_ci(c, def.name) {
                    Some(Value::Object(o)) => o,
                    _ => Map::new(),
                };
                if let Value::Object(new) = v {
                    for (k, nv) in new {
                        merged.insert(k, nv);
                    }
                }
                c.insert(def.name.to_owned(), Value::Object(merged));
            } else {
                set_ci(c, def.name, v);
            }
            Ok(())
        }
    }
}

/// `name.givenName`, `manager.value`: a sub-attribute of a single-valued complex attribute.
fn apply_sub(
    c: &mut Map<String, Value>,
    kind: OpKind,
    def: &'static AttributeDef,
    sub: &'static AttributeDef,
    path: &str,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let v = match kind {
        OpKind::Remove => Value::Null,
        _ => coerce_single(
            sub,
            value.cloned().unwrap_or(Value::Null),
            &format!("{path}.{}", sub.name),
        )?,
    };
    let mut obj = match take_ci(c, def.name) {
        Some(Value::Object(o)) => o,
        _ => Map::new(),
    };
    if v.is_null() {
        take_ci(&mut obj, sub.name);
    } else {
        set_ci(&mut obj, sub.name, v);
    }
    if !obj.is_empty() {
        c.insert(def.name.to_owned(), Value::Object(obj));
    }
    Ok(())
}

/// Operations on elements of a multi-valued attribute selected by a filter (or all of
/// them when only a sub-attribute is named, e.g. `emails.value`).
fn apply_elements(
    c: &mut Map<String, Value>,
    kind: OpKind,
    def: &'static AttributeDef,
    path: &str,
    filter: Option<&Filter>,
    sub: Option<&'static AttributeDef>,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let new_value = match (kind, sub) {
        (OpKind::Remove, _) => Value::Null,
        (_, Some(s)) => coerce_single(
            s,
            value.cloned().unwrap_or(Value::Null),
            &format!("{path}.{}", s.name),
        )?,
        (_, None) => coerce_single(def, value.cloned().unwrap_or(Value::Null), path)?,
    };
    let mut items = match take_ci(c, def.name) {
        Some(Value::Array(items)) => items,
        Some(Value::Null) | None => Vec::new(),
        Some(single) => vec![single],
    };
    let hits: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, e)| filter.is_none_or(|f| matches_element(f, e)))
        .map(|(i, _)| i)
        .collect();
    let mut touched = hits.clone();
    match kind {
        OpKind::Remove => match sub {
            None => {
                let mut i = 0;
                items.retain(|_| {
                    let keep = !hits.contains(&i);
                    i += 1;
                    keep
                });
                touched.clear();
            }
            Some(s) => {
                for &i in &hits {
                    if let Some(Value::Object(o)) = items.get_mut(i) {
                        take_ci(o, s.name);
                    }
                }
            }
        },
        OpKind::Add | OpKind::Replace => {
            if hits.is_empty() {
                let created = if filter.is_none() {
                    Some(Map::new())
                } else if kind == OpKind::Add || sub.is_some() {
                    filter.and_then(eq_terms)
                } else {
                    None
                };
                let Some(mut element) = created else {
                    // RFC 7644 §3.5.2.3: a valuePath matching nothing is noTarget.
                    return Err(ScimError::no_target(format!(
                        "no value of '{path}' matches the filter"
                    )));
                };
                write_into(&mut element, sub, &new_value);
                items.push(Value::Object(element));
                touched = vec![items.len().saturating_sub(1)];
            } else {
                for &i in &hits {
                    if let Some(Value::Object(o)) = items.get_mut(i) {
                        write_into(o, sub, &new_value);
                    }
                }
            }
        }
    }
    enforce_single_primary(&mut items, &touched);
    items.retain(|e| !is_unassigned(e));
    if !items.is_empty() {
        c.insert(def.name.to_owned(), Value::Array(items));
    }
    Ok(())
}

fn write_into(element: &mut Map<String, Value>, sub: Option<&'static AttributeDef>, v: &Value) {
    match (sub, v) {
        (Some(s), Value::Null) => {
            take_ci(element, s.name);
        }
        (Some(s), v) => set_ci(element, s.name, v.clone()),
        (None, Value::Object(new)) => {
            for (k, nv) in new {
                set_ci(element, k, nv.clone());
            }
        }
        (None, _) => {}
    }
}

/// The `sub eq value` terms of a filter made only of `eq` comparisons joined by `and`,
/// as the element to create when nothing matches (`emails[type eq "work"].value`).
fn eq_terms(f: &Filter) -> Option<Map<String, Value>> {
    let mut out = Map::new();
    let mut stack = vec![f];
    while let Some(node) = stack.pop() {
        match node {
            Filter::And(items) => stack.extend(items.iter()),
            Filter::Compare(a, CompareOp::Eq, v) => {
                let name = a.sub?.name;
                let v = match v {
                    CompValue::String(s) => Value::String(s.clone()),
                    CompValue::Bool(b) => Value::Bool(*b),
                    CompValue::Number(n) => Value::Number(n.clone()),
                    CompValue::Null => return None,
                };
                out.insert(name.to_owned(), v);
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Add elements to a multi-valued attribute, merging an element equal to an existing
/// one into it instead of duplicating it (RFC 7644 §3.5.2.1: "no changes SHOULD be
/// made" when the value is already there).
fn add_elements(c: &mut Map<String, Value>, def: &'static AttributeDef, v: Value) {
    let mut items = match take_ci(c, def.name) {
        Some(Value::Array(items)) => items,
        Some(Value::Null) | None => Vec::new(),
        Some(single) => vec![single],
    };
    let mut touched = Vec::new();
    for new in v.as_array().cloned().unwrap_or_default() {
        let existing = items.iter().position(|e| same_element(def, e, &new, false));
        match (existing, new) {
            (Some(i), Value::Object(new)) => {
                if let Some(Value::Object(o)) = items.get_mut(i) {
                    for (k, nv) in new {
                        set_ci(o, &k, nv);
                    }
                }
                touched.push(i);
            }
            (Some(i), _) => touched.push(i),
            (None, new) => {
                items.push(new);
                touched.push(items.len().saturating_sub(1));
            }
        }
    }
    enforce_single_primary(&mut items, &touched);
    if !items.is_empty() {
        c.insert(def.name.to_owned(), Value::Array(items));
    }
}

/// Whether two elements denote the same value: equal `value` (per its caseExact) and,
/// unless `value_only`, equal `type` when both have one; elements without `value`
/// (addresses) compare whole.
fn same_element(def: &AttributeDef, a: &Value, b: &Value, value_only: bool) -> bool {
    if def.kind != AttrType::Complex {
        return a == b;
    }
    let case_exact = def.sub_attribute("value").is_some_and(|s| s.case_exact);
    let text_eq = |x: &Value, y: &Value| match (x.as_str(), y.as_str()) {
        (Some(x), Some(y)) if !case_exact => x.eq_ignore_ascii_case(y),
        _ => x == y,
    };
    match (get_ci(a, "value"), get_ci(b, "value")) {
        (Some(va), Some(vb)) => {
            if !text_eq(va, vb) {
                return false;
            }
            if value_only {
                return true;
            }
            match (get_ci(a, "type"), get_ci(b, "type")) {
                (Some(ta), Some(tb)) => match (ta.as_str(), tb.as_str()) {
                    (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
                    _ => ta == tb,
                },
                _ => true,
            }
        }
        (None, None) => a == b,
        _ => false,
    }
}

fn drop_if_unassigned(c: &mut Map<String, Value>, name: &str) {
    if let Some(k) = find_key(c, name) {
        if c.get(&k).is_some_and(is_unassigned) {
            c.remove(&k);
        }
    }
}

#[cfg(test)]
#[path = "patch_tests.rs"]
mod tests;
