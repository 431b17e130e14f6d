//! SQL text with bound values ([`SqlCond`]) usable in diesel's `.filter(…)` on either
//! backend, and the [`Dialect`] of a connection.

use chrono::NaiveDateTime;
use diesel::expression::{
    is_aggregate, AppearsOnTable, Expression, SelectableExpression, ValidGrouping,
};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Bool, Double, Text, Timestamp};

use crate::db::pool::MultiBackend;
use crate::db::DbConn;

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
pub(super) enum Piece {
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
    pub(super) fn sql(mut self, s: &str) -> Self {
        self.pieces.push(Piece::Sql(s.to_owned()));
        self
    }

    pub(super) fn bind(mut self, p: Piece) -> Self {
        self.pieces.push(p);
        self
    }

    pub(super) fn append(mut self, other: SqlCond) -> Self {
        self.pieces.extend(other.pieces);
        self
    }

    pub(super) fn raw(s: impl Into<String>) -> Self {
        SqlCond {
            pieces: vec![Piece::Sql(s.into())],
        }
    }

    /// The SQL text with `?` for each bound value (for tests and query plans).
    pub fn debug_sql(&self) -> String {
        self.sql_with_placeholder("?")
    }

    /// The SQL text with `placeholder` for each bound value (`EXPLAIN` in tests needs
    /// only the shape of the values).
    pub fn sql_with_placeholder(&self, placeholder: &str) -> String {
        self.pieces
            .iter()
            .map(|p| match p {
                Piece::Sql(s) => s.as_str(),
                _ => placeholder,
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
