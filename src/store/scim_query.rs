//! SCIM filters (`scim::filter::Filter`) translated to SQL `WHERE` conditions over the
//! users and groups tables, for both dialects. Attributes IdPs filter on map to indexed
//! columns (`userName` → `user_name_lower`, `externalId`, `id`, `emails.value` →
//! `user_emails`, `members.value` → `group_members`, `meta.*` → timestamps); every other
//! attribute is read from the stored resource JSON with the backend's JSON functions
//! (`json_extract`/`json_each` on SQLite, `->`/`->>`/`json_array_elements` on
//! PostgreSQL). Nothing is evaluated in memory, and values are always bound parameters:
//! only catalogue names (static strings) are ever spliced into the SQL text.
//!
//! Semantics follow the in-memory evaluator `scim::filter::matches`: a comparison on a
//! multi-valued attribute holds if some value matches, `ne` is `not eq`, `eq null` is
//! "not present", and case-insensitive attributes compare lower-cased.

use chrono::NaiveDateTime;
use diesel::expression::{
    is_aggregate, AppearsOnTable, Expression, SelectableExpression, ValidGrouping,
};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Bool, Double, Text, Timestamp};

use crate::db::pool::MultiBackend;
use crate::db::DbConn;
use crate::scim::error::ScimError;
use crate::scim::filter::{CompValue, CompareOp, Filter, SortOrder};
use crate::scim::schema::{AttrType, ResolvedAttr, ResourceType};

/// The SQL dialect of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    pub fn of(conn: &DbConn) -> Dialect {
        match conn {
            DbConn::Sqlite(_) => Dialect::Sqlite,
            DbConn::Postgresql(_) => Dialect::Postgres,
        }
    }
}

#[derive(Debug, Clone)]
enum Piece {
    Sql(String),
    Text(String),
    Bool(bool),
    Timestamp(NaiveDateTime),
    Double(f64),
}

/// A boolean SQL condition: text with bound values, usable in diesel's `.filter(…)`.
#[derive(Debug, Clone, Default)]
pub struct SqlCond {
    pieces: Vec<Piece>,
}

impl SqlCond {
    fn sql(mut self, s: &str) -> Self {
        self.pieces.push(Piece::Sql(s.to_owned()));
        self
    }

    fn bind(mut self, p: Piece) -> Self {
        self.pieces.push(p);
        self
    }

    fn append(mut self, other: SqlCond) -> Self {
        self.pieces.extend(other.pieces);
        self
    }

    fn raw(s: impl Into<String>) -> Self {
        SqlCond {
            pieces: vec![Piece::Sql(s.into())],
        }
    }

    /// The SQL text with `?` for each bound value (for tests and query plans).
    pub fn debug_sql(&self) -> String {
        self.pieces
            .iter()
            .map(|p| match p {
                Piece::Sql(s) => s.clone(),
                _ => "?".to_owned(),
            })
            .collect()
    }
}

impl Expression for SqlCond {
    type SqlType = Bool;
}

impl<QS> AppearsOnTable<QS> for SqlCond {}
impl<QS> SelectableExpression<QS> for SqlCond {}

impl ValidGrouping<()> for SqlCond {
    type IsAggregate = is_aggregate::Never;
}

impl QueryId for SqlCond {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl QueryFragment<MultiBackend> for SqlCond {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> diesel::QueryResult<()> {
        out.unsafe_to_cache_prepared();
        for p in &self.pieces {
            match p {
                Piece::Sql(s) => out.push_sql(s),
                Piece::Text(v) => out.push_bind_param::<Text, String>(v)?,
                Piece::Bool(v) => out.push_bind_param::<Bool, bool>(v)?,
                Piece::Timestamp(v) => out.push_bind_param::<Timestamp, NaiveDateTime>(v)?,
                Piece::Double(v) => out.push_bind_param::<Double, f64>(v)?,
            }
        }
        Ok(())
    }
}

/// What an operand is, for choosing the comparison SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Text; `lowered` says the SQL already yields lower case (value must be lowered).
    Text { lowered: bool },
    /// A boolean column.
    BoolColumn,
    /// A timestamp column.
    Timestamp,
    /// A value read from JSON (SQLite `json_extract` / PostgreSQL `->>`).
    Json(AttrType),
}

/// An SQL expression yielding one attribute value, and how to compare it.
#[derive(Debug, Clone)]
struct Operand {
    sql: String,
    kind: Kind,
    /// Whether the value is always present (NOT NULL columns): `pr` is then true.
    always: bool,
}

/// Where the names of a filter resolve.
#[derive(Debug, Clone, Copy)]
enum Scope<'a> {
    /// The resource row (`users` or `groups`).
    Root(ResourceType),
    /// One row of `user_emails ue`.
    EmailRow,
    /// One row of `group_members gm`; `of_user` when seen from a User's `groups`.
    MemberRow { of_user: bool },
    /// One element of a JSON array, aliased `je`.
    JsonElem(&'a str),
}

fn table(rt: ResourceType) -> &'static str {
    match rt {
        ResourceType::User => "users",
        ResourceType::Group => "groups",
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

fn root_json(d: Dialect, rt: ResourceType) -> String {
    match d {
        Dialect::Sqlite => format!("{}.attributes", table(rt)),
        Dialect::Postgres => format!("{}.attributes::json", table(rt)),
    }
}

fn elem_base(d: Dialect, alias: &str) -> String {
    match d {
        Dialect::Sqlite => format!("{alias}.value"),
        Dialect::Postgres => alias.to_owned(),
    }
}

/// `EXISTS (SELECT 1 FROM <elements of the JSON array at keys> WHERE cond)`.
fn exists_json(d: Dialect, rt: ResourceType, keys: &[&str], alias: &str, cond: SqlCond) -> SqlCond {
    let from = match d {
        Dialect::Sqlite => format!(
            "json_each({}, {}) AS {alias}",
            root_json(d, rt),
            sqlite_path(keys)
        ),
        Dialect::Postgres => format!(
            "json_array_elements(CASE WHEN json_typeof({j}) = 'array' THEN {j} ELSE '[]'::json END) AS {alias}",
            j = json_value(d, &root_json(d, rt), keys, false)
        ),
    };
    SqlCond::raw(format!("EXISTS (SELECT 1 FROM {from} WHERE "))
        .append(cond)
        .sql(")")
}

fn attr_keys(attr: &ResolvedAttr) -> Vec<&'static str> {
    let mut keys = Vec::new();
    if let Some(urn) = attr.extension_key() {
        keys.push(urn);
    }
    keys.push(attr.attr.name);
    keys
}

/// Translates filters for one dialect.
pub struct Translator {
    d: Dialect,
    depth: usize,
    org: Option<String>,
}

impl Translator {
    pub fn new(d: Dialect) -> Self {
        Translator {
            d,
            depth: 0,
            org: None,
        }
    }

    /// A translator for queries scoped to one organization: row relations (emails)
    /// are then looked up through that organization's index.
    pub fn for_org(d: Dialect, organization_id: &str) -> Self {
        Translator {
            org: Some(organization_id.to_owned()),
            ..Translator::new(d)
        }
    }

    /// The `WHERE` condition for `filter` on resources of type `rt`.
    pub fn translate(&mut self, rt: ResourceType, filter: &Filter) -> Result<SqlCond, ScimError> {
        self.filter(Scope::Root(rt), filter)
    }

    fn filter(&mut self, scope: Scope<'_>, f: &Filter) -> Result<SqlCond, ScimError> {
        Ok(match f {
            Filter::And(items) | Filter::Or(items) => {
                let joiner = if matches!(f, Filter::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                let mut out = SqlCond::raw("(");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out = out.sql(joiner);
                    }
                    out = out.append(self.filter(scope, item)?);
                }
                out.sql(")")
            }
            Filter::Not(inner) => not(self.filter(scope, inner)?),
            Filter::Present(attr) => self.leaf(scope, attr, &Leaf::Present)?,
            Filter::Compare(attr, op, value) => match (op, value) {
                (CompareOp::Eq, CompValue::Null) => not(self.leaf(scope, attr, &Leaf::Present)?),
                (CompareOp::Ne, CompValue::Null) => self.leaf(scope, attr, &Leaf::Present)?,
                (CompareOp::Ne, v) => not(self.leaf(scope, attr, &Leaf::Cmp(CompareOp::Eq, v))?),
                (op, v) => self.leaf(scope, attr, &Leaf::Cmp(*op, v))?,
            },
            Filter::ValuePath(attr, inner) => self.value_path(scope, attr, inner)?,
        })
    }

    fn next_alias(&mut self) -> String {
        self.depth += 1;
        format!("je{}", self.depth)
    }

    fn value_path(
        &mut self,
        scope: Scope<'_>,
        attr: &ResolvedAttr,
        inner: &Filter,
    ) -> Result<SqlCond, ScimError> {
        let Scope::Root(rt) = scope else {
            return Err(ScimError::invalid_filter(
                "nested value paths are not supported",
            ));
        };
        match (rt, attr.extension_key(), attr.attr.name) {
            // Uncorrelated `IN (SELECT …)` so the database starts from the matching
            // rows (an index lookup for `eq`) instead of testing every user in turn.
            (ResourceType::User, None, "emails") => {
                let cond = self.filter(Scope::EmailRow, inner)?;
                Ok(match &self.org {
                    Some(org) => SqlCond::raw(
                        "users.id IN (SELECT ue.user_id FROM user_emails ue WHERE ue.organization_id = ",
                    )
                    .bind(Piece::Text(org.clone()))
                    .sql(" AND ")
                    .append(cond)
                    .sql(")"),
                    None => exists_rows("user_emails ue", "ue.user_id = users.id", cond),
                })
            }
            (ResourceType::User, None, "groups") => {
                let cond = self.filter(Scope::MemberRow { of_user: true }, inner)?;
                Ok(
                    SqlCond::raw("users.id IN (SELECT gm.user_id FROM group_members gm WHERE ")
                        .append(cond)
                        .sql(")"),
                )
            }
            (ResourceType::Group, None, "members") => {
                let cond = self.filter(Scope::MemberRow { of_user: false }, inner)?;
                Ok(
                    SqlCond::raw("groups.id IN (SELECT gm.group_id FROM group_members gm WHERE ")
                        .append(cond)
                        .sql(")"),
                )
            }
            _ if attr.attr.multi_valued => {
                let alias = self.next_alias();
                let cond = self.filter(Scope::JsonElem(&alias), inner)?;
                Ok(exists_json(self.d, rt, &attr_keys(attr), &alias, cond))
            }
            _ => {
                // A single-valued complex attribute: `name[givenName eq "x"]` is
                // `name.givenName eq "x"`; translate with the parent as prefix.
                let rebased = rebase(inner, attr);
                self.filter(scope, &rebased)
            }
        }
    }

    fn leaf(
        &mut self,
        scope: Scope<'_>,
        attr: &ResolvedAttr,
        leaf: &Leaf<'_>,
    ) -> Result<SqlCond, ScimError> {
        let d = self.d;
        match scope {
            Scope::EmailRow => {
                let op = match attr.sub.map(|s| s.name) {
                    Some("value") => col("ue.value_lower", Kind::Text { lowered: true }, true),
                    Some("type") => col("lower(ue.type)", Kind::Text { lowered: true }, false),
                    Some("primary") => col("ue.is_primary", Kind::BoolColumn, true),
                    _ => return Err(unsupported(attr)),
                };
                compare(d, &op, leaf)
            }
            Scope::MemberRow { of_user } => {
                let column = if of_user { "gm.group_id" } else { "gm.user_id" };
                match attr.sub.map(|s| s.name) {
                    Some("value") => {
                        compare(d, &col(column, Kind::Text { lowered: false }, true), leaf)
                    }
                    Some("type") if !of_user => compare(
                        d,
                        &Operand {
                            sql: "'user'".into(),
                            kind: Kind::Text { lowered: true },
                            always: true,
                        },
                        leaf,
                    ),
                    _ => Err(unsupported(attr)),
                }
            }
            Scope::JsonElem(alias) => {
                let sub = attr.sub.ok_or_else(|| unsupported(attr))?;
                let base = elem_base(d, alias);
                let op = json_operand(d, &base, &[sub.name], sub.kind, sub.case_exact);
                compare(d, &op, leaf)
            }
            Scope::Root(rt) => self.root_leaf(rt, attr, leaf),
        }
    }

    fn root_leaf(
        &mut self,
        rt: ResourceType,
        attr: &ResolvedAttr,
        leaf: &Leaf<'_>,
    ) -> Result<SqlCond, ScimError> {
        let d = self.d;
        let t = table(rt);
        let name = attr.attr.name;
        let sub = attr.sub.map(|s| s.name);
        let common = attr.schema.id.is_empty();
        let indexed = match (rt, common, name, sub) {
            (_, true, "id", None) => {
                Some(col(&format!("{t}.id"), Kind::Text { lowered: false }, true))
            }
            (_, true, "externalId", None) => Some(col(
                &format!("{t}.external_id"),
                Kind::Text { lowered: false },
                false,
            )),
            (_, true, "meta", Some("created")) => {
                Some(col(&format!("{t}.created_at"), Kind::Timestamp, true))
            }
            (_, true, "meta", Some("lastModified")) => {
                Some(col(&format!("{t}.updated_at"), Kind::Timestamp, true))
            }
            (_, true, "meta", Some("resourceType")) => Some(Operand {
                sql: format!("'{}'", rt.name().to_lowercase()),
                kind: Kind::Text { lowered: true },
                always: true,
            }),
            (ResourceType::User, false, "userName", None) => Some(col(
                "users.user_name_lower",
                Kind::Text { lowered: true },
                true,
            )),
            (ResourceType::User, false, "displayName", None) => Some(col(
                "lower(users.display_name)",
                Kind::Text { lowered: true },
                false,
            )),
            (ResourceType::User, false, "active", None) => {
                Some(col("users.active", Kind::BoolColumn, true))
            }
            (ResourceType::Group, false, "displayName", None) => Some(col(
                "groups.display_name_lower",
                Kind::Text { lowered: true },
                true,
            )),
            _ => None,
        };
        if let Some(op) = indexed {
            return compare(d, &op, leaf);
        }
        if common && name == "meta" {
            return Err(unsupported(attr));
        }
        // Relations kept in rows rather than JSON.
        match (rt, attr.extension_key(), name) {
            (ResourceType::User, None, "emails")
            | (ResourceType::User, None, "groups")
            | (ResourceType::Group, None, "members") => {
                let inner = match leaf {
                    Leaf::Present => Filter::Present(*attr),
                    Leaf::Cmp(op, v) => Filter::Compare(*attr, *op, (*v).clone()),
                };
                let bare = ResolvedAttr { sub: None, ..*attr };
                // `emails pr` (no sub-attribute) means some row exists.
                let inner = if attr.sub.is_none() {
                    let value = bare.attr.sub_attribute("value");
                    match (value, leaf) {
                        (Some(v), Leaf::Present) => Filter::Present(ResolvedAttr {
                            sub: Some(v),
                            ..bare
                        }),
                        _ => inner,
                    }
                } else {
                    inner
                };
                let rows = self.value_path(Scope::Root(rt), &bare, &inner)?;
                // A user JIT created carries its email in `users.email_lower` (indexed)
                // and may have no `user_emails` rows; SCIM users have their primary email
                // in both, so the alternative adds no false matches.
                let is_email_value = name == "emails" && attr.sub.is_none_or(|s| s.name == "value");
                if rt == ResourceType::User && is_email_value {
                    let column = col("users.email_lower", Kind::Text { lowered: true }, false);
                    return Ok(SqlCond::raw("(")
                        .append(rows)
                        .sql(" OR ")
                        .append(compare(d, &column, leaf)?)
                        .sql(")"));
                }
                return Ok(rows);
            }
            _ => {}
        }
        let keys = attr_keys(attr);
        if attr.attr.multi_valued {
            let alias = self.next_alias();
            let cond = match attr.sub {
                Some(s) => {
                    let op =
                        json_operand(d, &elem_base(d, &alias), &[s.name], s.kind, s.case_exact);
                    compare(d, &op, leaf)?
                }
                None => match leaf {
                    Leaf::Present => SqlCond::raw("1 = 1"),
                    Leaf::Cmp(..) => return Err(unsupported(attr)),
                },
            };
            return Ok(exists_json(d, rt, &keys, &alias, cond));
        }
        let mut keys = keys;
        let leaf_def = attr.leaf();
        if let Some(s) = attr.sub {
            keys.push(s.name);
        }
        let op = json_operand(
            d,
            &root_json(d, rt),
            &keys,
            leaf_def.kind,
            leaf_def.case_exact,
        );
        compare(d, &op, leaf)
    }
}

/// `attr[inner]` on a single-valued complex attribute, as `attr.sub` comparisons.
fn rebase(f: &Filter, parent: &ResolvedAttr) -> Filter {
    let fix = |a: &ResolvedAttr| ResolvedAttr {
        schema: parent.schema,
        attr: parent.attr,
        sub: a.sub,
    };
    match f {
        Filter::Present(a) => Filter::Present(fix(a)),
        Filter::Compare(a, op, v) => Filter::Compare(fix(a), *op, v.clone()),
        Filter::ValuePath(a, inner) => Filter::ValuePath(*a, inner.clone()),
        Filter::Not(inner) => Filter::Not(Box::new(rebase(inner, parent))),
        Filter::And(items) => Filter::And(items.iter().map(|i| rebase(i, parent)).collect()),
        Filter::Or(items) => Filter::Or(items.iter().map(|i| rebase(i, parent)).collect()),
    }
}

enum Leaf<'a> {
    Present,
    Cmp(CompareOp, &'a CompValue),
}

fn unsupported(attr: &ResolvedAttr) -> ScimError {
    ScimError::invalid_filter(format!(
        "filtering on '{}' is not supported",
        attr.canonical()
    ))
}

fn col(sql: &str, kind: Kind, always: bool) -> Operand {
    Operand {
        sql: sql.to_owned(),
        kind,
        always,
    }
}

fn json_operand(
    d: Dialect,
    base: &str,
    keys: &[&str],
    kind: AttrType,
    case_exact: bool,
) -> Operand {
    let raw = json_value(d, base, keys, true);
    let sql = match kind {
        AttrType::String | AttrType::Reference | AttrType::Binary if !case_exact => {
            format!("lower({raw})")
        }
        _ => raw,
    };
    let kind = match kind {
        AttrType::String | AttrType::Reference | AttrType::Binary => Kind::Text {
            lowered: !case_exact,
        },
        other => Kind::Json(other),
    };
    Operand {
        sql,
        kind,
        always: false,
    }
}

fn exists_rows(from: &str, join: &str, cond: SqlCond) -> SqlCond {
    SqlCond::raw(format!("EXISTS (SELECT 1 FROM {from} WHERE {join} AND "))
        .append(cond)
        .sql(")")
}

fn not(inner: SqlCond) -> SqlCond {
    SqlCond::raw("NOT COALESCE(").append(inner).sql(", FALSE)")
}

fn op_sql(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Eq => " = ",
        CompareOp::Ne => " <> ",
        CompareOp::Gt => " > ",
        CompareOp::Ge => " >= ",
        CompareOp::Lt => " < ",
        CompareOp::Le => " <= ",
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => " = ",
    }
}

fn bad_value(op: &Operand) -> ScimError {
    ScimError::invalid_filter(format!(
        "the value does not suit the attribute ({})",
        op.sql_kind()
    ))
}

impl Operand {
    fn sql_kind(&self) -> &'static str {
        match self.kind {
            Kind::Text { .. } => "string",
            Kind::BoolColumn | Kind::Json(AttrType::Boolean) => "boolean",
            Kind::Timestamp | Kind::Json(AttrType::DateTime) => "dateTime",
            Kind::Json(AttrType::Integer) | Kind::Json(AttrType::Decimal) => "number",
            Kind::Json(_) => "complex",
        }
    }
}

fn compare(d: Dialect, operand: &Operand, leaf: &Leaf<'_>) -> Result<SqlCond, ScimError> {
    let a = operand.sql.as_str();
    let (op, value) = match leaf {
        Leaf::Present => {
            return Ok(if operand.always {
                SqlCond::raw("1 = 1")
            } else {
                match operand.kind {
                    Kind::Text { .. } => SqlCond::raw(format!("({a} IS NOT NULL AND {a} <> '')")),
                    _ => SqlCond::raw(format!("{a} IS NOT NULL")),
                }
            })
        }
        Leaf::Cmp(op, v) => (*op, *v),
    };
    match operand.kind {
        Kind::Text { lowered } => {
            let s = match value {
                CompValue::String(s) => s.clone(),
                CompValue::Bool(b) => b.to_string(),
                CompValue::Number(n) => n.to_string(),
                CompValue::Null => return Err(bad_value(operand)),
            };
            let s = if lowered { s.to_lowercase() } else { s };
            let c = if d == Dialect::Postgres {
                " COLLATE \"C\""
            } else {
                ""
            };
            Ok(match op {
                CompareOp::Co | CompareOp::Sw | CompareOp::Ew if s.is_empty() => {
                    SqlCond::raw(format!("{a} IS NOT NULL"))
                }
                CompareOp::Co => match d {
                    Dialect::Sqlite => SqlCond::raw(format!("instr({a}, "))
                        .bind(Piece::Text(s))
                        .sql(") > 0"),
                    Dialect::Postgres => SqlCond::raw(format!("strpos({a}, "))
                        .bind(Piece::Text(s))
                        .sql(") > 0"),
                },
                CompareOp::Sw => SqlCond::raw(format!("substr({a}, 1, length("))
                    .bind(Piece::Text(s.clone()))
                    .sql(")) = ")
                    .bind(Piece::Text(s)),
                CompareOp::Ew => match d {
                    Dialect::Sqlite => SqlCond::raw(format!("substr({a}, -length("))
                        .bind(Piece::Text(s.clone()))
                        .sql(")) = ")
                        .bind(Piece::Text(s)),
                    Dialect::Postgres => SqlCond::raw(format!("right({a}, length("))
                        .bind(Piece::Text(s.clone()))
                        .sql(")) = ")
                        .bind(Piece::Text(s)),
                },
                CompareOp::Eq | CompareOp::Ne => {
                    SqlCond::raw(format!("{a}{}", op_sql(op))).bind(Piece::Text(s))
                }
                _ => SqlCond::raw(format!("{a}{c}{}", op_sql(op))).bind(Piece::Text(s)),
            })
        }
        Kind::BoolColumn | Kind::Json(AttrType::Boolean) => {
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
            Ok(match (operand.kind, d) {
                (Kind::BoolColumn, _) => {
                    SqlCond::raw(format!("{a}{}", op_sql(op))).bind(Piece::Bool(b))
                }
                (_, Dialect::Sqlite) => {
                    SqlCond::raw(format!("{a}{}{}", op_sql(op), if b { 1 } else { 0 }))
                }
                (_, Dialect::Postgres) => SqlCond::raw(format!("{a}{}'{b}'", op_sql(op))),
            })
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
            Ok(SqlCond::raw(format!("{a}{}", op_sql(op))).bind(Piece::Timestamp(t)))
        }
        Kind::Json(AttrType::DateTime) => {
            // Stored as RFC 3339 text; compare the text (our own output is UTC, 'Z').
            let text = Operand {
                sql: a.to_owned(),
                kind: Kind::Text { lowered: false },
                always: false,
            };
            compare(d, &text, leaf)
        }
        Kind::Json(AttrType::Integer) | Kind::Json(AttrType::Decimal) => {
            let n = match value {
                CompValue::Number(n) => n.as_f64().ok_or_else(|| bad_value(operand))?,
                _ => return Err(bad_value(operand)),
            };
            if matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew) {
                return Err(ScimError::invalid_filter(
                    "numbers take eq, ne, gt, ge, lt, le",
                ));
            }
            let lhs = match d {
                Dialect::Sqlite => a.to_owned(),
                Dialect::Postgres => format!("({a})::double precision"),
            };
            Ok(SqlCond::raw(format!("{lhs}{}", op_sql(op))).bind(Piece::Double(n)))
        }
        Kind::Json(_) => Err(ScimError::invalid_filter(
            "complex attributes cannot be compared",
        )),
    }
}

/// The `ORDER BY` text for `sortBy` (RFC 7644 §3.4.2.3): missing values sort last in
/// both directions' ascending form, and `id` breaks ties so pages are stable.
pub fn order_by(d: Dialect, rt: ResourceType, sort: Option<&(ResolvedAttr, SortOrder)>) -> String {
    let t = table(rt);
    let Some((attr, order)) = sort else {
        return format!("{t}.created_at ASC, {t}.id ASC");
    };
    let dir = match order {
        SortOrder::Ascending => "ASC",
        SortOrder::Descending => "DESC",
    };
    let common = attr.schema.id.is_empty();
    let expr = match (rt, common, attr.attr.name, attr.sub.map(|s| s.name)) {
        (_, true, "id", None) => format!("{t}.id"),
        (_, true, "externalId", None) => format!("{t}.external_id"),
        (_, true, "meta", Some("created")) => format!("{t}.created_at"),
        (_, true, "meta", Some("lastModified")) => format!("{t}.updated_at"),
        (ResourceType::User, false, "userName", None) => "users.user_name_lower".into(),
        (ResourceType::User, false, "emails", _) => "users.email_lower".into(),
        (ResourceType::Group, false, "displayName", None) => "groups.display_name_lower".into(),
        _ if !attr.attr.multi_valued => {
            let mut keys = attr_keys(attr);
            if let Some(s) = attr.sub {
                keys.push(s.name);
            }
            let leaf = attr.leaf();
            let raw = json_value(d, &root_json(d, rt), &keys, true);
            if leaf.case_exact || leaf.kind != AttrType::String {
                raw
            } else {
                format!("lower({raw})")
            }
        }
        _ => format!("{t}.id"),
    };
    let c = if d == Dialect::Postgres && !expr.ends_with("_at") {
        " COLLATE \"C\""
    } else {
        ""
    };
    format!("({expr} IS NULL) ASC, {expr}{c} {dir}, {t}.id ASC")
}

#[cfg(test)]
#[path = "scim_query_tests.rs"]
mod tests;
