//! The attribute-level mutations behind PATCH (RFC 7644 §3.5.2.1–§3.5.2.3): set, merge,
//! append with de-duplication, filtered element updates and removal, and the
//! single-`primary` rule. `patch` parses requests and checks mutability; this file only
//! changes JSON.

use serde_json::{Map, Value};

use super::error::ScimError;
use super::filter::{get_ci, matches_element, CompValue, CompareOp, Filter};
use super::patch::OpKind;
use super::schema::{AttrType, AttributeDef, ResolvedAttr};
use super::value::{
    coerce, coerce_single, enforce_single_primary, find_key, is_unassigned, set_ci, take_ci,
};

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

/// Apply one operation to `attr` (with optional value filter and sub-attribute) in `doc`.
/// Mutability has been checked by the caller.
pub(super) fn apply_attr(
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
            // Entra removes group members with `path: members` and a value array; an
            // explicit empty array removes nothing (not everything).
            match value.filter(|v| def.multi_valued && !v.is_null()) {
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
