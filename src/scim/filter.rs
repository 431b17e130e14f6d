//! SCIM filters (RFC 7644 §3.4.2.2): a typed AST whose attribute paths are resolved
//! against the catalogue, a parser (on top of `scim_v2`'s grammar), an in-memory
//! evaluator over resource JSON, and the `sortBy` validator (RFC 7644 §3.4.2.3).
//!
//! `scim_v2` 1.0's grammar is adequate for our needs: case-insensitive operators,
//! `not (...)`, precedence `not` > `and` > `or`, parentheses, value paths with nested
//! `and`/`or`, URN-qualified paths (the URN may contain `2.0`) and depth/term limits
//! against hostile input. We therefore only *convert* its AST: resolving every path to
//! its schema definition (case-insensitively) is what the evaluator and the SQL
//! translator need, and rejecting unknown attributes here gives IdP admins a precise
//! `invalidFilter` instead of a silently empty result.
//!
//! Over 400 lines on purpose: the AST, its parser and its evaluator share one set of types
//! and are read together against RFC 7644 §3.4.2.2.

use chrono::{DateTime, FixedOffset};
use scim_v2::filter as sv;
use serde_json::Value;
use std::cmp::Ordering;

use super::error::ScimError;
use super::schema::{self, AttrType, ResolvedAttr, ResourceType};

/// A comparison operator (RFC 7644 §3.4.2.2, Table 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// equal
    Eq,
    /// not equal
    Ne,
    /// contains
    Co,
    /// starts with
    Sw,
    /// ends with
    Ew,
    /// greater than
    Gt,
    /// greater than or equal
    Ge,
    /// less than
    Lt,
    /// less than or equal
    Le,
}

/// A comparison value: a JSON literal. Date-times arrive as strings and are
/// compared as instants when the attribute is of type `dateTime`.
#[derive(Debug, Clone, PartialEq)]
pub enum CompValue {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A JSON number.
    Number(serde_json::Number),
    /// A JSON string.
    String(String),
}

/// A parsed filter whose attribute paths are resolved.
///
/// Inside a [`Filter::ValuePath`], the inner filter's paths are resolved as
/// sub-attributes of the value path's attribute (`emails[type eq "work"]` holds
/// `emails.type`), so [`ResolvedAttr::canonical`] names the full path everywhere.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `attr pr`
    Present(ResolvedAttr),
    /// `attr op value`. A comparison on a multi-valued complex attribute without a
    /// sub-attribute (`emails co "x"`) is normalised to its `value` sub-attribute.
    Compare(ResolvedAttr, CompareOp, CompValue),
    /// `attr[filter]`: some element of `attr` matches the inner filter.
    ValuePath(ResolvedAttr, Box<Filter>),
    /// `not (filter)`
    Not(Box<Filter>),
    /// All operands match.
    And(Vec<Filter>),
    /// Some operand matches.
    Or(Vec<Filter>),
}

impl Filter {
    /// Every attribute path the filter tests, in canonical form (`userName`,
    /// `emails.type`, `urn:…:enterprise:2.0:User:manager.value`), without duplicates.
    /// The SQL layer can check these against its indexed columns before translating,
    /// and fall back to [`matches`] for the rest.
    pub fn paths(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![self];
        while let Some(f) = stack.pop() {
            let attr = match f {
                Filter::Present(a) | Filter::Compare(a, _, _) => Some(a),
                Filter::ValuePath(_, inner) | Filter::Not(inner) => {
                    stack.push(inner);
                    None
                }
                Filter::And(items) | Filter::Or(items) => {
                    stack.extend(items.iter().rev());
                    None
                }
            };
            if let Some(p) = attr.map(ResolvedAttr::canonical) {
                if seen.insert(p.clone()) {
                    out.push(p);
                }
            }
        }
        out
    }
}

fn invalid(detail: impl Into<String>) -> ScimError {
    ScimError::invalid_filter(detail)
}

/// The first line of a `scim_v2` parse error: the rest lists every expected token.
pub(crate) fn parse_error_detail(err: &sv::ParseError) -> String {
    err.to_string()
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Parse a `filter` query parameter for resource type `rt`.
///
/// Errors are 400 `invalidFilter` (RFC 7644 §3.4.2.2): bad syntax, an unknown
/// attribute, an ordering operator on a boolean/binary/complex attribute, a
/// non-date-time string compared with a `dateTime` attribute, or a filter longer than
/// [`super::limits::MAX_FILTER_BYTES`].
pub fn parse_filter(rt: ResourceType, input: &str) -> Result<Filter, ScimError> {
    super::limits::check_filter(input)?;
    let input = super::filter_rewrite::tolerate_quirks(input);
    let parsed: sv::Filter = input
        .parse()
        .map_err(|e| invalid(format!("invalid filter: {}", parse_error_detail(&e))))?;
    convert(rt, &parsed)
}

fn convert(rt: ResourceType, f: &sv::Filter) -> Result<Filter, ScimError> {
    Ok(match f {
        sv::Filter::Attr(e) => convert_attr_exp(e, |p| resolve_top(rt, p))?,
        sv::Filter::ValuePath(vp) => {
            let parent = resolve_value_path_attr(rt, &vp.attr)?;
            Filter::ValuePath(parent, Box::new(convert_val_filter(parent, &vp.filter)?))
        }
        sv::Filter::Not(inner) => Filter::Not(Box::new(convert(rt, inner)?)),
        sv::Filter::And(items) => Filter::And(
            items
                .iter()
                .map(|i| convert(rt, i))
                .collect::<Result<_, _>>()?,
        ),
        sv::Filter::Or(items) => Filter::Or(
            items
                .iter()
                .map(|i| convert(rt, i))
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// The attribute a value path (`emails[...]`) applies to: it must be complex.
pub(crate) fn resolve_value_path_attr(
    rt: ResourceType,
    p: &sv::AttrPath,
) -> Result<ResolvedAttr, ScimError> {
    let r = resolve_top(rt, p)?;
    if r.sub.is_some() || r.attr.kind != AttrType::Complex {
        return Err(invalid(format!(
            "'{p}' is not a complex attribute and cannot take a [filter]"
        )));
    }
    Ok(r)
}

/// Convert the inner filter of a value path, resolving names as sub-attributes of
/// `parent` (RFC 7644 §3.4.2.2: "based upon sub-attributes of the parent attribute").
pub(crate) fn convert_val_filter(
    parent: ResolvedAttr,
    f: &sv::ValFilter,
) -> Result<Filter, ScimError> {
    Ok(match f {
        sv::ValFilter::Attr(e) => convert_attr_exp(e, |p| resolve_inner(parent, p))?,
        sv::ValFilter::Not(inner) => Filter::Not(Box::new(convert_val_filter(parent, inner)?)),
        sv::ValFilter::And(items) => Filter::And(
            items
                .iter()
                .map(|i| convert_val_filter(parent, i))
                .collect::<Result<_, _>>()?,
        ),
        sv::ValFilter::Or(items) => Filter::Or(
            items
                .iter()
                .map(|i| convert_val_filter(parent, i))
                .collect::<Result<_, _>>()?,
        ),
    })
}

fn resolve_top(rt: ResourceType, p: &sv::AttrPath) -> Result<ResolvedAttr, ScimError> {
    schema::resolve(rt, p.uri.as_deref(), &p.name, p.sub_attr.as_deref())
        .ok_or_else(|| invalid(format!("unknown attribute '{p}'")))
}

fn resolve_inner(parent: ResolvedAttr, p: &sv::AttrPath) -> Result<ResolvedAttr, ScimError> {
    if p.uri.is_some() || p.sub_attr.is_some() {
        return Err(invalid(format!(
            "'{p}' inside {}[...] must be a plain sub-attribute name",
            parent.attr.name
        )));
    }
    let sub = parent.attr.sub_attribute(&p.name).ok_or_else(|| {
        invalid(format!(
            "unknown sub-attribute '{}' of '{}'",
            p.name, parent.attr.name
        ))
    })?;
    Ok(ResolvedAttr {
        sub: Some(sub),
        ..parent
    })
}

fn convert_attr_exp(
    e: &sv::AttrExp,
    resolve: impl Fn(&sv::AttrPath) -> Result<ResolvedAttr, ScimError>,
) -> Result<Filter, ScimError> {
    match e {
        sv::AttrExp::Present(p) => Ok(Filter::Present(resolve(p)?)),
        sv::AttrExp::Comparison(p, op, v) => {
            let mut attr = resolve(p)?;
            if attr.sub.is_none() && attr.attr.kind == AttrType::Complex {
                // RFC 7644 §3.4.2.2 example `emails co "example.com"`: a multi-valued
                // complex attribute compares through its `value` sub-attribute.
                attr.sub = attr
                    .attr
                    .sub_attribute("value")
                    .filter(|_| attr.attr.multi_valued);
                if attr.sub.is_none() {
                    return Err(invalid(format!(
                        "complex attribute '{p}' cannot be compared; name a sub-attribute"
                    )));
                }
            }
            let op = convert_op(op);
            let value = convert_value(v);
            check_comparison(&attr, op, &value, p)?;
            Ok(Filter::Compare(attr, op, value))
        }
    }
}

fn convert_op(op: &sv::CompareOp) -> CompareOp {
    match op {
        sv::CompareOp::Eq => CompareOp::Eq,
        sv::CompareOp::Ne => CompareOp::Ne,
        sv::CompareOp::Co => CompareOp::Co,
        sv::CompareOp::Sw => CompareOp::Sw,
        sv::CompareOp::Ew => CompareOp::Ew,
        sv::CompareOp::Gt => CompareOp::Gt,
        sv::CompareOp::Ge => CompareOp::Ge,
        sv::CompareOp::Lt => CompareOp::Lt,
        sv::CompareOp::Le => CompareOp::Le,
    }
}

fn convert_value(v: &sv::CompValue) -> CompValue {
    match v {
        sv::CompValue::Null => CompValue::Null,
        sv::CompValue::True => CompValue::Bool(true),
        sv::CompValue::False => CompValue::Bool(false),
        sv::CompValue::Number(n) => CompValue::Number(n.clone()),
        sv::CompValue::Str(s) => CompValue::String(s.clone()),
    }
}

fn check_comparison(
    attr: &ResolvedAttr,
    op: CompareOp,
    value: &CompValue,
    p: &sv::AttrPath,
) -> Result<(), ScimError> {
    let kind = attr.leaf().kind;
    let ordering = matches!(
        op,
        CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
    );
    // RFC 7644 §3.4.2.2: gt/ge/lt/le on boolean or binary attributes SHALL fail
    // with invalidFilter.
    if ordering && matches!(kind, AttrType::Boolean | AttrType::Binary) {
        return Err(invalid(
            format!(
                "'{op:?}' is not allowed on {} attribute '{p}'",
                kind.as_str()
            )
            .to_lowercase(),
        ));
    }
    let substring = matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew);
    if substring && kind == AttrType::Boolean {
        return Err(invalid(format!(
            "substring operators are not allowed on boolean attribute '{p}'"
        )));
    }
    if kind == AttrType::DateTime {
        if let CompValue::String(s) = value {
            if !substring && parse_datetime(s).is_none() {
                return Err(invalid(format!("'{s}' is not an xsd:dateTime for '{p}'")));
            }
        }
    }
    Ok(())
}

fn parse_datetime(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s.trim()).ok()
}

/// Whether `resource` (a SCIM resource as JSON) matches `filter`.
///
/// Semantics (RFC 7644 §3.4.2.2): attribute names and extension URNs are matched
/// case-insensitively; string comparisons honour the attribute's `caseExact`; a
/// multi-valued attribute matches when any value does; `dateTime` values compare as
/// instants; an absent attribute matches nothing except `ne` (we define `ne` as
/// `not eq`, so absence satisfies it) and `eq null` (we define `eq null` as "absent").
pub fn matches(filter: &Filter, resource: &Value) -> bool {
    eval(filter, Scope::Resource(resource))
}

/// Whether one element of a multi-valued attribute matches the inner filter of a value
/// path (used by PATCH `emails[type eq "work"]`).
pub fn matches_element(filter: &Filter, element: &Value) -> bool {
    eval(filter, Scope::Element(element))
}

#[derive(Clone, Copy)]
enum Scope<'a> {
    Resource(&'a Value),
    Element(&'a Value),
}

/// Look a key up in a JSON object, case-insensitively (RFC 7643 §2.1).
pub fn get_ci<'a>(obj: &'a Value, key: &str) -> Option<&'a Value> {
    let map = obj.as_object()?;
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// The JSON value of a resolved attribute (without sub-attribute) in a resource.
pub fn attr_value<'a>(resource: &'a Value, attr: &ResolvedAttr) -> Option<&'a Value> {
    let container = match attr.extension_key() {
        Some(urn) => get_ci(resource, urn)?,
        None => resource,
    };
    get_ci(container, attr.attr.name)
}

fn push_flat<'a>(out: &mut Vec<&'a Value>, v: &'a Value) {
    match v {
        Value::Null => {}
        Value::Array(items) => out.extend(items.iter().filter(|i| !i.is_null())),
        other => out.push(other),
    }
}

fn values<'a>(attr: &ResolvedAttr, scope: Scope<'a>) -> Vec<&'a Value> {
    let mut out = Vec::new();
    match scope {
        Scope::Element(el) => {
            if let Some(sub) = attr.sub {
                if let Some(v) = get_ci(el, sub.name) {
                    push_flat(&mut out, v);
                }
            }
        }
        Scope::Resource(res) => {
            let Some(v) = attr_value(res, attr) else {
                return out;
            };
            match attr.sub {
                None => push_flat(&mut out, v),
                Some(sub) => {
                    let mut parents = Vec::new();
                    push_flat(&mut parents, v);
                    for p in parents {
                        if let Some(sv) = get_ci(p, sub.name) {
                            push_flat(&mut out, sv);
                        }
                    }
                }
            }
        }
    }
    out
}

fn eval(filter: &Filter, scope: Scope<'_>) -> bool {
    match filter {
        Filter::And(items) => items.iter().all(|f| eval(f, scope)),
        Filter::Or(items) => items.iter().any(|f| eval(f, scope)),
        Filter::Not(inner) => !eval(inner, scope),
        Filter::Present(attr) => values(attr, scope).into_iter().any(is_non_empty),
        Filter::ValuePath(attr, inner) => {
            let parent = ResolvedAttr { sub: None, ..*attr };
            values(&parent, scope)
                .into_iter()
                .any(|el| eval(inner, Scope::Element(el)))
        }
        Filter::Compare(attr, op, value) => {
            let vals = values(attr, scope);
            match (op, value) {
                (CompareOp::Eq, CompValue::Null) => !vals.into_iter().any(is_non_empty),
                (CompareOp::Ne, CompValue::Null) => vals.into_iter().any(is_non_empty),
                (CompareOp::Ne, _) => !vals
                    .into_iter()
                    .any(|v| compare(attr, CompareOp::Eq, v, value)),
                _ => vals.into_iter().any(|v| compare(attr, *op, v, value)),
            }
        }
    }
}

fn is_non_empty(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => a.iter().any(is_non_empty),
        Value::Object(o) => o.values().any(is_non_empty),
        _ => true,
    }
}

/// A boolean from JSON, accepting Entra's string booleans (`"True"`, `"false"`).
pub fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn compare(attr: &ResolvedAttr, op: CompareOp, actual: &Value, expected: &CompValue) -> bool {
    let leaf = attr.leaf();
    match leaf.kind {
        AttrType::Boolean => {
            let want = match expected {
                CompValue::Bool(b) => Some(*b),
                CompValue::String(s) => as_bool(&Value::String(s.clone())),
                _ => None,
            };
            match (as_bool(actual), want, op) {
                (Some(a), Some(w), CompareOp::Eq) => a == w,
                _ => false,
            }
        }
        AttrType::Integer | AttrType::Decimal => {
            let (Some(a), Some(w)) = (number(actual), number_of(expected)) else {
                return false;
            };
            a.partial_cmp(&w).is_some_and(|o| ordering_matches(op, o))
        }
        AttrType::DateTime => match (actual, expected) {
            (Value::String(a), CompValue::String(w)) => {
                match (parse_datetime(a), parse_datetime(w)) {
                    (Some(a), Some(w)) if !is_substring(op) => ordering_matches(op, a.cmp(&w)),
                    _ => compare_strings(op, a, w, true),
                }
            }
            _ => false,
        },
        _ => match (actual, expected) {
            (Value::String(a), CompValue::String(w)) => compare_strings(op, a, w, leaf.case_exact),
            // Tolerate numbers stored in string attributes (employeeNumber: 12345).
            (Value::Number(n), CompValue::String(w)) => {
                compare_strings(op, &n.to_string(), w, leaf.case_exact)
            }
            (Value::String(a), CompValue::Number(n)) => {
                compare_strings(op, a, &n.to_string(), leaf.case_exact)
            }
            _ => false,
        },
    }
}

fn is_substring(op: CompareOp) -> bool {
    matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn number_of(v: &CompValue) -> Option<f64> {
    match v {
        CompValue::Number(n) => n.as_f64(),
        CompValue::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn ordering_matches(op: CompareOp, o: Ordering) -> bool {
    match op {
        CompareOp::Eq => o == Ordering::Equal,
        CompareOp::Ne => o != Ordering::Equal,
        CompareOp::Gt => o == Ordering::Greater,
        CompareOp::Ge => o != Ordering::Less,
        CompareOp::Lt => o == Ordering::Less,
        CompareOp::Le => o != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

fn compare_strings(op: CompareOp, actual: &str, expected: &str, case_exact: bool) -> bool {
    let (a, w) = if case_exact {
        (actual.to_owned(), expected.to_owned())
    } else {
        (actual.to_lowercase(), expected.to_lowercase())
    };
    match op {
        CompareOp::Co => a.contains(&w),
        CompareOp::Sw => a.starts_with(&w),
        CompareOp::Ew => a.ends_with(&w),
        _ => ordering_matches(op, a.cmp(&w)),
    }
}

/// Sort direction (RFC 7644 §3.4.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    /// `ascending` (the default)
    Ascending,
    /// `descending`
    Descending,
}

/// Validate `sortBy` (and `sortOrder`) for resource type `rt` (RFC 7644 §3.4.2.3).
///
/// The path must name a known, non-complex attribute; a multi-valued complex attribute
/// sorts by its `value` sub-attribute (the RFC says by the primary value, which the SQL
/// layer picks). `sortOrder` is case-insensitive and defaults to ascending. Errors are
/// 400 `invalidValue` (the RFC names no keyword for this case).
pub fn parse_sort(
    rt: ResourceType,
    sort_by: &str,
    sort_order: Option<&str>,
) -> Result<(ResolvedAttr, SortOrder), ScimError> {
    if sort_by.len() > super::limits::MAX_PATH_BYTES {
        return Err(ScimError::invalid_value(format!(
            "sortBy is longer than {} bytes",
            super::limits::MAX_PATH_BYTES
        )));
    }
    let mut attr = schema::resolve_str(rt, sort_by).ok_or_else(|| {
        ScimError::invalid_value(format!("cannot sort by unknown attribute '{sort_by}'"))
    })?;
    if attr.sub.is_none() && attr.attr.kind == AttrType::Complex {
        attr.sub = attr
            .attr
            .sub_attribute("value")
            .filter(|_| attr.attr.multi_valued);
    }
    if attr.leaf().kind == AttrType::Complex || attr.leaf().returned == schema::Returned::Never {
        return Err(ScimError::invalid_value(format!(
            "cannot sort by '{sort_by}'"
        )));
    }
    let order = match sort_order.map(str::trim) {
        None | Some("") => SortOrder::Ascending,
        Some(o) if o.eq_ignore_ascii_case("ascending") => SortOrder::Ascending,
        Some(o) if o.eq_ignore_ascii_case("descending") => SortOrder::Descending,
        Some(o) => {
            return Err(ScimError::invalid_value(format!(
                "sortOrder must be 'ascending' or 'descending', not '{o}'"
            )))
        }
    };
    Ok((attr, order))
}

#[cfg(test)]
#[path = "filter_tests.rs"]
mod tests;
