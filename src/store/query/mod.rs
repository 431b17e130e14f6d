//! A typed query over the users or groups of one organization: a predicate tree
//! ([`Pred`]), a sort key ([`Sort`]) and a page ([`Page`]). Callers (the SCIM layer)
//! build it from their own vocabulary; the store turns it into SQL (`render`) for both
//! dialects (`sql`). Nothing a request sends becomes SQL text: column names and JSON
//! keys are `'static` names chosen by the caller's catalogue, literals are closed enums,
//! and every value is a bound parameter ([`Bound`]).

mod render;
mod sql;

pub use render::{order_by, render_filter};
pub use sql::{Dialect, SqlCond};

use chrono::NaiveDateTime;

/// The table a query selects from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    /// `users`
    Users,
    /// `groups`
    Groups,
}

impl Collection {
    pub(crate) fn table(self) -> &'static str {
        match self {
            Collection::Users => "users",
            Collection::Groups => "groups",
        }
    }
}

/// An indexed column (or an expression over one). `Id`, `ExternalId`, `CreatedAt` and
/// `UpdatedAt` belong to the queried [`Collection`]; the others name their table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Id,
    ExternalId,
    CreatedAt,
    UpdatedAt,
    /// `users.user_name_lower`
    UserNameLower,
    /// `lower(users.display_name)`
    UserDisplayNameLower,
    /// `users.active`
    UserActive,
    /// `users.email_lower` (the primary email, also set for users JIT created)
    UserEmailLower,
    /// `groups.display_name_lower`
    GroupDisplayNameLower,
    /// `ue.value_lower` (inside [`Pred::Emails`])
    EmailValueLower,
    /// `lower(ue.type)` (inside [`Pred::Emails`])
    EmailTypeLower,
    /// `ue.is_primary` (inside [`Pred::Emails`])
    EmailPrimary,
    /// `gm.group_id` (inside [`Pred::Memberships`])
    MemberGroupId,
    /// `gm.user_id` (inside [`Pred::Memberships`])
    MemberUserId,
}

/// A constant text operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Literal {
    /// `'user'`
    User,
    /// `'group'`
    Group,
}

/// Which JSON document a [`Source::Json`] operand reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonBase {
    /// The row's stored resource (`attributes`).
    Root,
    /// The element of the innermost enclosing [`Pred::JsonElements`].
    Element,
}

/// Where an operand's value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Column(Column),
    /// The text at `keys` under `base`, lower-cased in SQL when `lower`.
    Json {
        base: JsonBase,
        keys: Vec<&'static str>,
        lower: bool,
    },
    Literal(Literal),
}

/// What an operand is, which decides the comparison SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text; `lowered` says the SQL already yields lower case (the value is lowered).
    Text { lowered: bool },
    /// A boolean column.
    BoolColumn,
    /// A timestamp column.
    Timestamp,
    /// A JSON boolean.
    JsonBool,
    /// A JSON number.
    JsonNumber,
    /// A JSON date-time (RFC 3339 text): present like JSON, compared as text.
    JsonDateTime,
    /// Any other JSON value (only its presence can be tested).
    JsonOther,
}

/// One value of a row, and how to compare it.
#[derive(Debug, Clone, PartialEq)]
pub struct Operand {
    pub source: Source,
    pub kind: Kind,
    /// Whether the value is always present (NOT NULL columns): `Present` is then true.
    pub always: bool,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Contains,
    StartsWith,
    EndsWith,
}

/// A bound value.
#[derive(Debug, Clone, PartialEq)]
pub enum Bound {
    Text(String),
    Bool(bool),
    Timestamp(NaiveDateTime),
    Number(f64),
}

/// A condition on the rows of a [`Collection`].
#[derive(Debug, Clone, PartialEq)]
pub enum Pred {
    And(Vec<Pred>),
    Or(Vec<Pred>),
    /// True when the inner condition is false or unknown (NULL).
    Not(Box<Pred>),
    /// Always true.
    True,
    /// The operand has a value (for text: a non-empty one).
    Present(Operand),
    /// The operand compares with the value. The caller has checked that the value
    /// and operator suit the operand's [`Kind`].
    Cmp(Operand, CmpOp, Bound),
    /// Some `user_emails` row of the user satisfies the inner condition.
    Emails(Box<Pred>),
    /// Some `group_members` row satisfies the inner condition: a row of the user
    /// (`of_user`, a User's `groups`) or of the group (a Group's `members`).
    Memberships {
        of_user: bool,
        inner: Box<Pred>,
    },
    /// Some element of the JSON array at `keys` of the stored resource satisfies the
    /// inner condition (its operands read [`JsonBase::Element`]).
    JsonElements {
        keys: Vec<&'static str>,
        inner: Box<Pred>,
    },
}

/// What orders a page.
#[derive(Debug, Clone, PartialEq)]
pub enum SortKey {
    Column(Column),
    /// The value at `keys` of the stored resource, lower-cased when `lower`.
    Json {
        keys: Vec<&'static str>,
        lower: bool,
    },
}

/// A sort key and direction; missing values sort last, `id` breaks ties.
#[derive(Debug, Clone, PartialEq)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

/// One page of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub offset: i64,
    pub limit: i64,
}

/// Query-plan helpers for tests here and in the SCIM translation's tests.
#[cfg(test)]
pub(crate) mod tests;
