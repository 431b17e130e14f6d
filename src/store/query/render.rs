//! A [`Pred`] rendered as an SQL `WHERE` condition, and a [`Sort`] as `ORDER BY` text,
//! for both dialects. Indexed columns are used where the predicate names them; other
//! values are read from the stored resource JSON with the backend's JSON functions
//! (`json_extract`/`json_each` on SQLite, `->`/`->>`/`json_array_elements` on
//! PostgreSQL). Values are always bound parameters: only the static names of
//! [`Column`], [`Literal`] and JSON keys are spliced into the SQL text.

use super::sql::{Dialect, Piece, SqlCond};
use super::{
    Bound, CmpOp, Collection, Column, JsonBase, Kind, Literal, Operand, Pred, Sort, SortKey, Source,
};

/// The `WHERE` condition for `pred` on rows of `collection`. With `organization_id`,
/// row relations (emails) are looked up through that organization's index (an
/// uncorrelated `IN (SELECT …)`); without, through a correlated `EXISTS`.
pub fn render_filter(
    d: Dialect,
    collection: Collection,
    organization_id: Option<&str>,
    pred: &Pred,
) -> SqlCond {
    Renderer {
        d,
        c: collection,
        org: organization_id,
        depth: 0,
    }
    .pred(pred, None)
}

struct Renderer<'a> {
    d: Dialect,
    c: Collection,
    org: Option<&'a str>,
    depth: usize,
}

impl Renderer<'_> {
    /// `elem` is the alias of the innermost enclosing JSON array element, if any.
    fn pred(&mut self, p: &Pred, elem: Option<&str>) -> SqlCond {
        match p {
            Pred::And(items) | Pred::Or(items) => {
                let joiner = if matches!(p, Pred::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                let mut out = SqlCond::raw("(");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out = out.sql(joiner);
                    }
                    out = out.append(self.pred(item, elem));
                }
                out.sql(")")
            }
            Pred::Not(inner) => not(self.pred(inner, elem)),
            Pred::True => SqlCond::raw("1 = 1"),
            Pred::Present(op) => present(&self.operand_sql(op, elem), op),
            Pred::Cmp(op, cmp, value) => {
                compare(self.d, &self.operand_sql(op, elem), op.kind, *cmp, value)
            }
            // Uncorrelated `IN (SELECT …)` so the database starts from the matching
            // rows (an index lookup for `eq`) instead of testing every user in turn.
            Pred::Emails(inner) => {
                let cond = self.pred(inner, elem);
                match self.org {
                    Some(org) => SqlCond::raw(
                        "users.id IN (SELECT ue.user_id FROM user_emails ue WHERE ue.organization_id = ",
                    )
                    .bind(Piece::Text(org.to_owned()))
                    .sql(" AND ")
                    .append(cond)
                    .sql(")"),
                    None => exists_rows("user_emails ue", "ue.user_id = users.id", cond),
                }
            }
            Pred::Memberships { of_user, inner } => {
                let cond = self.pred(inner, elem);
                let head = if *of_user {
                    "users.id IN (SELECT gm.user_id FROM group_members gm WHERE "
                } else {
                    "groups.id IN (SELECT gm.group_id FROM group_members gm WHERE "
                };
                SqlCond::raw(head).append(cond).sql(")")
            }
            Pred::JsonElements { keys, inner } => {
                let alias = self.next_alias();
                let cond = self.pred(inner, Some(&alias));
                exists_json(self.d, self.c, keys, &alias, cond)
            }
        }
    }

    fn next_alias(&mut self) -> String {
        self.depth += 1;
        format!("je{}", self.depth)
    }

    fn operand_sql(&self, op: &Operand, elem: Option<&str>) -> String {
        match &op.source {
            Source::Column(col) => column_sql(self.c, *col),
            Source::Literal(Literal::User) => "'user'".to_owned(),
            Source::Literal(Literal::Group) => "'group'".to_owned(),
            Source::Json { base, keys, lower } => {
                let base = match (base, elem) {
                    (JsonBase::Root, _) => root_json(self.d, self.c),
                    (JsonBase::Element, Some(alias)) => elem_base(self.d, alias),
                    // An element operand outside any element reads nothing.
                    (JsonBase::Element, None) => "NULL".to_owned(),
                };
                let raw = json_value(self.d, &base, keys, true);
                if *lower {
                    format!("lower({raw})")
                } else {
                    raw
                }
            }
        }
    }
}

fn column_sql(c: Collection, col: Column) -> String {
    let t = c.table();
    match col {
        Column::Id => format!("{t}.id"),
        Column::ExternalId => format!("{t}.external_id"),
        Column::CreatedAt => format!("{t}.created_at"),
        Column::UpdatedAt => format!("{t}.updated_at"),
        Column::UserNameLower => "users.user_name_lower".into(),
        Column::UserDisplayNameLower => "lower(users.display_name)".into(),
        Column::UserActive => "users.active".into(),
        Column::UserEmailLower => "users.email_lower".into(),
        Column::GroupDisplayNameLower => "groups.display_name_lower".into(),
        Column::EmailValueLower => "ue.value_lower".into(),
        Column::EmailTypeLower => "lower(ue.type)".into(),
        Column::EmailPrimary => "ue.is_primary".into(),
        Column::MemberGroupId => "gm.group_id".into(),
        Column::MemberUserId => "gm.user_id".into(),
    }
}

fn sqlite_path(keys: &[&str]) -> String {
    let mut p = String::from("'$");
    for k in keys {
        p.push_str(&format!(".\"{k}\""));
    }
    p.push('\'');
    p
}

/// The JSON value at `keys` under `base` (a JSON text column or a `json_each` value).
fn json_value(d: Dialect, base: &str, keys: &[&str], as_text: bool) -> String {
    match d {
        Dialect::Sqlite => format!("json_extract({base}, {})", sqlite_path(keys)),
        Dialect::Postgres => {
            let mut s = format!("({base}");
            for (i, k) in keys.iter().enumerate() {
                let arrow = if as_text && i + 1 == keys.len() {
                    "->>"
                } else {
                    "->"
                };
                s.push_str(&format!(" {arrow} '{k}'"));
            }
            s.push(')');
            s
        }
    }
}

fn root_json(d: Dialect, c: Collection) -> String {
    match d {
        Dialect::Sqlite => format!("{}.attributes", c.table()),
        Dialect::Postgres => format!("{}.attributes::json", c.table()),
    }
}

fn elem_base(d: Dialect, alias: &str) -> String {
    match d {
        Dialect::Sqlite => format!("{alias}.value"),
        Dialect::Postgres => alias.to_owned(),
    }
}

/// `EXISTS (SELECT 1 FROM <elements of the JSON array at keys> WHERE cond)`.
fn exists_json(d: Dialect, c: Collection, keys: &[&str], alias: &str, cond: SqlCond) -> SqlCond {
    let from = match d {
        Dialect::Sqlite => format!(
            "json_each({}, {}) AS {alias}",
            root_json(d, c),
            sqlite_path(keys)
        ),
        Dialect::Postgres => format!(
            "json_array_elements(CASE WHEN json_typeof({j}) = 'array' THEN {j} ELSE '[]'::json END) AS {alias}",
            j = json_value(d, &root_json(d, c), keys, false)
        ),
    };
    SqlCond::raw(format!("EXISTS (SELECT 1 FROM {from} WHERE "))
        .append(cond)
        .sql(")")
}

fn exists_rows(from: &str, join: &str, cond: SqlCond) -> SqlCond {
    SqlCond::raw(format!("EXISTS (SELECT 1 FROM {from} WHERE {join} AND "))
        .append(cond)
        .sql(")")
}

fn not(inner: SqlCond) -> SqlCond {
    SqlCond::raw("NOT COALESCE(").append(inner).sql(", FALSE)")
}

fn op_sql(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => " = ",
        CmpOp::Ne => " <> ",
        CmpOp::Gt => " > ",
        CmpOp::Ge => " >= ",
        CmpOp::Lt => " < ",
        CmpOp::Le => " <= ",
        CmpOp::Contains | CmpOp::StartsWith | CmpOp::EndsWith => " = ",
    }
}

fn present(a: &str, operand: &Operand) -> SqlCond {
    if operand.always {
        SqlCond::raw("1 = 1")
    } else {
        match operand.kind {
            Kind::Text { .. } => SqlCond::raw(format!("({a} IS NOT NULL AND {a} <> '')")),
            _ => SqlCond::raw(format!("{a} IS NOT NULL")),
        }
    }
}

/// The value as text (the caller binds text for text operands; other values are kept
/// for robustness).
fn text_of(value: &Bound) -> String {
    match value {
        Bound::Text(s) => s.clone(),
        Bound::Bool(b) => b.to_string(),
        Bound::Number(n) => n.to_string(),
        Bound::Timestamp(t) => t.to_string(),
    }
}

fn compare(d: Dialect, a: &str, kind: Kind, op: CmpOp, value: &Bound) -> SqlCond {
    match kind {
        Kind::Text { .. } | Kind::JsonDateTime | Kind::JsonOther => {
            // A JSON date-time is stored as RFC 3339 text; compare the text (our own
            // output is UTC, 'Z').
            let lowered = matches!(kind, Kind::Text { lowered: true });
            let s = text_of(value);
            let s = if lowered { s.to_lowercase() } else { s };
            let c = if d == Dialect::Postgres {
                " COLLATE \"C\""
            } else {
                ""
            };
            match op {
                CmpOp::Contains | CmpOp::StartsWith | CmpOp::EndsWith if s.is_empty() => {
                    SqlCond::raw(format!("{a} IS NOT NULL"))
                }
                CmpOp::Contains => match d {
                    Dialect::Sqlite => SqlCond::raw(format!("instr({a}, "))
                        .bind(Piece::Text(s))
                        .sql(") > 0"),
                    Dialect::Postgres => SqlCond::raw(format!("strpos({a}, "))
                        .bind(Piece::Text(s))
                        .sql(") > 0"),
                },
                CmpOp::StartsWith => SqlCond::raw(format!("substr({a}, 1, length("))
                    .bind(Piece::Text(s.clone()))
                    .sql(")) = ")
                    .bind(Piece::Text(s)),
                CmpOp::EndsWith => match d {
                    Dialect::Sqlite => SqlCond::raw(format!("substr({a}, -length("))
                        .bind(Piece::Text(s.clone()))
                        .sql(")) = ")
                        .bind(Piece::Text(s)),
                    Dialect::Postgres => SqlCond::raw(format!("right({a}, length("))
                        .bind(Piece::Text(s.clone()))
                        .sql(")) = ")
                        .bind(Piece::Text(s)),
                },
                CmpOp::Eq | CmpOp::Ne => {
                    SqlCond::raw(format!("{a}{}", op_sql(op))).bind(Piece::Text(s))
                }
                _ => SqlCond::raw(format!("{a}{c}{}", op_sql(op))).bind(Piece::Text(s)),
            }
        }
        Kind::BoolColumn | Kind::JsonBool => {
            let b = matches!(value, Bound::Bool(true));
            match (kind, d) {
                (Kind::BoolColumn, _) => {
                    SqlCond::raw(format!("{a}{}", op_sql(op))).bind(Piece::Bool(b))
                }
                (_, Dialect::Sqlite) => {
                    SqlCond::raw(format!("{a}{}{}", op_sql(op), if b { 1 } else { 0 }))
                }
                (_, Dialect::Postgres) => SqlCond::raw(format!("{a}{}'{b}'", op_sql(op))),
            }
        }
        Kind::Timestamp => match value {
            Bound::Timestamp(t) => {
                SqlCond::raw(format!("{a}{}", op_sql(op))).bind(Piece::Timestamp(*t))
            }
            other => SqlCond::raw(format!("{a}{}", op_sql(op))).bind(Piece::Text(text_of(other))),
        },
        Kind::JsonNumber => {
            let lhs = match d {
                Dialect::Sqlite => a.to_owned(),
                Dialect::Postgres => format!("({a})::double precision"),
            };
            let n = match value {
                Bound::Number(n) => *n,
                _ => f64::NAN,
            };
            SqlCond::raw(format!("{lhs}{}", op_sql(op))).bind(Piece::Double(n))
        }
    }
}

/// The `ORDER BY` text for `sort`: missing values sort last in both directions'
/// ascending form, and `id` breaks ties so pages are stable. Without a sort key, the
/// order of creation.
pub fn order_by(d: Dialect, collection: Collection, sort: Option<&Sort>) -> String {
    let t = collection.table();
    let Some(sort) = sort else {
        return format!("{t}.created_at ASC, {t}.id ASC");
    };
    let dir = if sort.descending { "DESC" } else { "ASC" };
    let expr = match &sort.key {
        SortKey::Column(col) => column_sql(collection, *col),
        SortKey::Json { keys, lower } => {
            let raw = json_value(d, &root_json(d, collection), keys, true);
            if *lower {
                format!("lower({raw})")
            } else {
                raw
            }
        }
    };
    let c = if d == Dialect::Postgres && !expr.ends_with("_at") {
        " COLLATE \"C\""
    } else {
        ""
    };
    format!("({expr} IS NULL) ASC, {expr}{c} {dir}, {t}.id ASC")
}
