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
use super::filter::{self, get_ci, Filter};
use super::limits;
use super::patch_apply::apply_attr;
use super::schema::{self, AttributeDef, Mutability, ResolvedAttr, ResourceType, SchemaDef};
use super::value::{is_unassigned, sync_schemas, take_ci};

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
    if ops.len() > limits::MAX_PATCH_OPERATIONS {
        return Err(ScimError::invalid_syntax(format!(
            "a PATCH request may hold at most {} operations, this one has {}",
            limits::MAX_PATCH_OPERATIONS,
            ops.len()
        )));
    }
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
    limits::check_path(path)?;
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
            .and_then(|()| check_value_counts(&doc))
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

/// After each operation, no multi-valued attribute holds more than
/// [`limits::max_values`]: the next operation's merge compares against what is there,
/// so an unbounded list would make a request of many `add`s quadratic.
fn check_value_counts(doc: &Map<String, Value>) -> Result<(), ScimError> {
    let arrays = doc.iter().flat_map(|(k, v)| match v {
        Value::Object(ext) if starts_with_ci(k, "urn:") => ext.iter().collect::<Vec<_>>(),
        _ => vec![(k, v)],
    });
    for (name, v) in arrays {
        if let Value::Array(items) = v {
            limits::check_count(name, items.len(), limits::max_values(name))?;
        }
    }
    Ok(())
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

#[cfg(test)]
#[path = "patch_tests.rs"]
mod tests;
