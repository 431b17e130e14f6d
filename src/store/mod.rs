//! Diesel queries, one file per aggregate. Every function takes the connection
//! explicitly so callers can compose several in one transaction.

/// A multi-row `INSERT` of `$rows` (a `Vec` of insertable tuples or structs) into
/// `$table`. diesel's `MultiConnection` has no batch insert, so this dispatches to the
/// inner connection, where both backends have one. Callers chunk `$rows` to stay under
/// the bound-parameter limits (SQLite 32766, PostgreSQL 65535).
macro_rules! insert_batch {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite(c) => diesel::insert_into($table).values($rows).execute(c),
            $crate::db::DbConn::Postgresql(c) => {
                diesel::insert_into($table).values($rows).execute(c)
            }
        }
    };
}
pub(crate) use insert_batch;

pub mod api_keys;
pub mod audit;
pub mod authn_requests;
mod conditional;
pub mod domains;
pub mod events;
pub mod groups;
pub mod identities;
pub mod idp_simulator_keys;
pub mod invitations;
pub mod orgs;
pub mod query;
pub mod redirect_uris;
pub mod replay;
pub mod role_assignments;
pub mod roles;
pub mod saml_connections;
pub mod scim_directories;
pub mod seats;
pub mod sp_keys;
pub mod sso_codes;
pub mod user_states;
pub mod users;
pub mod webhooks;

/// Store failures, classified so domain code can react to constraint violations
/// (the schema holds the invariants; code handles the error instead of checking first).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unique constraint violated: {0}")]
    UniqueViolation(String),
    #[error("foreign key violated: {0}")]
    ForeignKeyViolation(String),
    #[error("stored data is malformed: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

impl From<diesel::result::Error> for StoreError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                StoreError::UniqueViolation(
                    info.constraint_name().unwrap_or(info.message()).to_owned(),
                )
            }
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => {
                StoreError::ForeignKeyViolation(info.message().to_owned())
            }
            other => StoreError::Db(crate::db::DbError::Query(other)),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
