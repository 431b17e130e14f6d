//! Query plans of the store's listing SQL on SQLite, and the `EXPLAIN` helper the
//! SCIM translation tests use for filter plans.
#![expect(clippy::unwrap_used)]
use diesel::sql_types::Text;

use super::*;

/// SQLite's `EXPLAIN QUERY PLAN` of `query` on a freshly migrated database, one line.
pub(crate) fn explain_on_sqlite(query: &str) -> String {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        detail: String,
    }
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("plan.db").to_string_lossy().into_owned();
    let db = crate::db::Database::connect(&url, 1).unwrap();
    crate::db::migrations::run_pending(&db).unwrap();
    let mut conn = db.get().unwrap();
    let rows: Vec<Row> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {query}"))
        .load(&mut *conn)
        .unwrap();
    rows.into_iter()
        .map(|r| r.detail)
        .collect::<Vec<_>>()
        .join(" | ")
}

/// The lookups migration 000005 serves (found by `bench/scim_load.sh` at 100k users):
/// the deprovisioned-record lookup every SCIM create makes (`find_deprovisioned_by_user_name`),
/// and the default list order of `/Users` and `/Groups` (`order_by` without `sortBy`).
#[test]
fn create_lookup_and_default_list_order_use_indexes() {
    let plan = explain_on_sqlite(
        "SELECT id FROM users WHERE organization_id = 'o' AND user_name_lower = 'x' \
         AND state = 'deprovisioned' ORDER BY deprovisioned_at DESC LIMIT 1",
    );
    assert!(
        plan.contains(
            "USING INDEX users_org_user_name_any (organization_id=? AND user_name_lower=?)"
        ),
        "{plan}"
    );
    for table in ["users", "groups"] {
        let order = order_by(
            Dialect::Sqlite,
            if table == "users" {
                Collection::Users
            } else {
                Collection::Groups
            },
            None,
        );
        let plan = explain_on_sqlite(&format!(
            "SELECT id FROM {table} WHERE organization_id = 'o' ORDER BY {order} LIMIT 100 OFFSET 0"
        ));
        assert!(
            !plan.contains("TEMP B-TREE"),
            "{table} pages must not sort the organization: {plan}"
        );
    }
}
