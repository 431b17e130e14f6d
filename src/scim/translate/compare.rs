//! One comparison of a filter: the value checked against what the operand is (a
//! string, boolean, dateTime, number or complex value) and turned into a bound value
//! of the store's predicate. Every mismatch is a 400 `invalidFilter` here, so the
//! store's rendering never fails.

use crate::scim::error::ScimError;
use crate::scim::filter::{CompValue, CompareOp};
use crate::scim::schema::AttrType;
use crate::store::query::{Bound, CmpOp, JsonBase, Kind, Operand, Pred, Source};

/// What a filter leaf asks of an operand.
pub(super) enum Leaf<'a> {
    Present,
    Cmp(CompareOp, &'a CompValue),
}

/// An operand reading the JSON value at `keys` under `base`.
pub(super) fn json_operand(
    base: JsonBase,
    keys: Vec<&'static str>,
    kind: AttrType,
    case_exact: bool,
) -> Operand {
    let textual = matches!(
        kind,
        AttrType::String | AttrType::Reference | AttrType::Binary
    );
    let kind = match kind {
        AttrType::String | AttrType::Reference | AttrType::Binary => Kind::Text {
            lowered: !case_exact,
        },
        AttrType::Boolean => Kind::JsonBool,
        AttrType::Integer | AttrType::Decimal => Kind::JsonNumber,
        AttrType::DateTime => Kind::JsonDateTime,
        _ => Kind::JsonOther,
    };
    Operand {
        source: Source::Json {
            base,
            keys,
            lower: textual && !case_exact,
        },
        kind,
        always: false,
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Text { .. } => "string",
        Kind::BoolColumn | Kind::JsonBool => "boolean",
        Kind::Timestamp | Kind::JsonDateTime => "dateTime",
        Kind::JsonNumber => "number",
        Kind::JsonOther => "complex",
    }
}

fn bad_value(op: &Operand) -> ScimError {
    ScimError::invalid_filter(format!(
        "the value does not suit the attribute ({})",
        kind_name(op.kind)
    ))
}

fn cmp_op(op: CompareOp) -> CmpOp {
    match op {
        CompareOp::Eq => CmpOp::Eq,
        CompareOp::Ne => CmpOp::Ne,
        CompareOp::Gt => CmpOp::Gt,
        CompareOp::Ge => CmpOp::Ge,
        CompareOp::Lt => CmpOp::Lt,
        CompareOp::Le => CmpOp::Le,
        CompareOp::Co => CmpOp::Contains,
        CompareOp::Sw => CmpOp::StartsWith,
        CompareOp::Ew => CmpOp::EndsWith,
    }
}

/// The predicate for `leaf` on `operand`.
pub(super) fn compare(operand: &Operand, leaf: &Leaf<'_>) -> Result<Pred, ScimError> {
    let (op, value) = match leaf {
        Leaf::Present => return Ok(Pred::Present(operand.clone())),
        Leaf::Cmp(op, v) => (*op, *v),
    };
    let cmp = |bound: Bound| Ok(Pred::Cmp(operand.clone(), cmp_op(op), bound));
    match operand.kind {
        Kind::Text { .. } => {
            let s = match value {
                CompValue::String(s) => s.clone(),
                CompValue::Bool(b) => b.to_string(),
                CompValue::Number(n) => n.to_string(),
                CompValue::Null => return Err(bad_value(operand)),
            };
            cmp(Bound::Text(s))
        }
        Kind::BoolColumn | Kind::JsonBool => {
            let b = match value {
                CompValue::Bool(b) => *b,
                CompValue::String(s) if s.eq_ignore_ascii_case("true") => true,
                CompValue::String(s) if s.eq_ignore_ascii_case("false") => false,
                _ => return Err(bad_value(operand)),
            };
            if !matches!(op, CompareOp::Eq | CompareOp::Ne) {
                return Err(ScimError::invalid_filter(
                    "booleans compare only with eq and ne",
                ));
            }
            cmp(Bound::Bool(b))
        }
        Kind::Timestamp => {
            let CompValue::String(s) = value else {
                return Err(bad_value(operand));
            };
            let t = chrono::DateTime::parse_from_rfc3339(s.trim())
                .map_err(|_| {
                    ScimError::invalid_filter(format!("'{s}' is not an RFC 3339 date-time"))
                })?
                .naive_utc();
            if matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew) {
                return Err(ScimError::invalid_filter(
                    "dateTime attributes take eq, ne, gt, ge, lt, le",
                ));
            }
            cmp(Bound::Timestamp(t))
        }
        Kind::JsonDateTime => {
            // Stored as RFC 3339 text; compare the text (our own output is UTC, 'Z').
            let text = Operand {
                kind: Kind::Text { lowered: false },
                ..operand.clone()
            };
            compare(&text, leaf)
        }
        Kind::JsonNumber => {
            let n = match value {
                CompValue::Number(n) => n.as_f64().ok_or_else(|| bad_value(operand))?,
                _ => return Err(bad_value(operand)),
            };
            if matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew) {
                return Err(ScimError::invalid_filter(
                    "numbers take eq, ne, gt, ge, lt, le",
                ));
            }
            cmp(Bound::Number(n))
        }
        Kind::JsonOther => Err(ScimError::invalid_filter(
            "complex attributes cannot be compared",
        )),
    }
}
