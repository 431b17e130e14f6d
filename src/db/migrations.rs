//! Embedded migrations for both dialects, applied at start and by `provisiond migrate`.

use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::pool::{Backend, Database, DbConn, DbError};

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

fn source(backend: Backend) -> EmbeddedMigrations {
    match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    }
}

/// Applies every pending migration; returns the versions applied.
pub fn run_pending(db: &Database) -> Result<Vec<String>, DbError> {
    let mut conn = db.get()?;
    let conn: &mut DbConn = &mut conn;
    let applied = conn
        .run_pending_migrations(source(db.backend()))
        .map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(applied.iter().map(|v| v.to_string()).collect())
}

/// True when the database carries every migration this binary knows (for `/readyz`).
pub fn is_current(conn: &mut DbConn, backend: Backend) -> Result<bool, DbError> {
    let pending = conn
        .has_pending_migration(source(backend))
        .map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(!pending)
}
