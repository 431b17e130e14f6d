//! Storage plumbing: which backend a URL names, the r2d2 pool, per-connection settings,
//! embedded migrations, and the one helper through which all blocking database work runs.

pub mod migrations;
pub mod pool;
pub mod schema;

pub use pool::{run_blocking, Backend, Database, DbConn, DbError, PoolState};
