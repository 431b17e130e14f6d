//! Conditional writes that several store files share: insert a row unless one exists
//! (without aborting the caller's transaction), and replace a stored value only if it is
//! still the one read (compare-and-set, as `secrets::reseal` needs).

use diesel::Connection as _;

use super::{StoreError, StoreResult};
use crate::db::DbConn;

/// Runs `insert` in a savepoint and treats a unique violation as "the row exists": the
/// caller re-selects and gets the winner's row when replicas race. The savepoint keeps a
/// conflict from aborting a surrounding PostgreSQL transaction.
pub(crate) fn insert_unless_exists(
    conn: &mut DbConn,
    insert: impl FnOnce(&mut DbConn) -> diesel::QueryResult<usize>,
) -> StoreResult<()> {
    let inserted = conn.transaction::<_, StoreError, _>(|c| {
        insert(c)?;
        Ok(())
    });
    match inserted {
        Ok(()) | Err(StoreError::UniqueViolation(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Defines `$vis fn $name(conn, id, old, new) -> StoreResult<usize>`:
/// `UPDATE $table SET $column = new WHERE id = id AND $column = old`, which replaces one
/// stored value only if it is still `old` (compare-and-set), so a re-seal never overwrites
/// a concurrent change. Yields the number of rows changed (0 or 1).
macro_rules! replace_if_unchanged {
    ($(#[$doc:meta])* $vis:vis fn $name:ident => $table:ident . $column:ident) => {
        $(#[$doc])*
        $vis fn $name(
            conn: &mut $crate::db::DbConn,
            id: &str,
            old: &str,
            new: &str,
        ) -> $crate::store::StoreResult<usize> {
            Ok(diesel::update(
                $table::table
                    .filter($table::id.eq(id))
                    .filter($table::$column.eq(old)),
            )
            .set($table::$column.eq(new))
            .execute(conn)?)
        }
    };
}
pub(crate) use replace_if_unchanged;
