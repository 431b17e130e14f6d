//! Unit tests of the filter → SQL translation (text shape and SQLite query plans).
#![expect(clippy::unwrap_used)]
use super::*;
use crate::scim::filter::parse_filter;

fn sql(d: Dialect, rt: ResourceType, f: &str) -> String {
    let filter = parse_filter(rt, f).unwrap();
    Translator::new(d)
        .translate(rt, &filter)
        .unwrap()
        .debug_sql()
}

#[test]
fn indexed_attributes_use_columns() {
    let s = sql(
        Dialect::Sqlite,
        ResourceType::User,
        r#"userName eq "A@X.com""#,
    );
    assert_eq!(s, "users.user_name_lower = ?");
    let s = sql(
        Dialect::Postgres,
        ResourceType::User,
        r#"externalId eq "abc""#,
    );
    assert_eq!(s, "users.external_id = ?");
    let s = sql(
        Dialect::Sqlite,
        ResourceType::User,
        r#"emails.value eq "a@x.com""#,
    );
    assert!(
        s.contains("user_emails ue") && s.contains("ue.value_lower = ?"),
        "{s}"
    );
    // A JIT-created user has its email only in the indexed profile column.
    assert!(s.contains("OR users.email_lower = ?"), "{s}");
    let s = sql(
        Dialect::Sqlite,
        ResourceType::Group,
        r#"members.value eq "u1""#,
    );
    assert!(s.contains("gm.user_id = ?"), "{s}");
}

#[test]
fn other_attributes_use_json_functions() {
    let s = sql(Dialect::Sqlite, ResourceType::User, r#"title sw "Eng""#);
    assert!(
        s.contains("json_extract(users.attributes, '$.\"title\"')"),
        "{s}"
    );
    let s = sql(
        Dialect::Postgres,
        ResourceType::User,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "R&D""#,
    );
    assert!(s.contains("->> 'department'"), "{s}");
    let s = sql(
        Dialect::Sqlite,
        ResourceType::User,
        r#"phoneNumbers[type eq "work" and value co "555"]"#,
    );
    assert!(s.contains("json_each"), "{s}");
}

#[test]
fn not_coalesces_nulls() {
    let s = sql(
        Dialect::Sqlite,
        ResourceType::User,
        r#"not (externalId eq "a")"#,
    );
    assert_eq!(s, "NOT COALESCE(users.external_id = ?, FALSE)");
}

/// SQLite's `EXPLAIN QUERY PLAN` of `query` on a freshly migrated database, one line.
fn explain_on_sqlite(query: &str) -> String {
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

/// The plan SQLite chooses for `cond` over one organization's live users.
fn sqlite_plan(filter: &str) -> String {
    let cond = Translator::for_org(Dialect::Sqlite, "o")
        .translate(
            ResourceType::User,
            &parse_filter(ResourceType::User, filter).unwrap(),
        )
        .unwrap();
    // Inline the bound values: EXPLAIN needs only their shape.
    let mut sql = String::from(
        "SELECT users.id FROM users WHERE users.organization_id = 'o' \
         AND users.state <> 'deprovisioned' AND ",
    );
    for p in &cond.pieces {
        match p {
            Piece::Sql(s) => sql.push_str(s),
            _ => sql.push_str("'x'"),
        }
    }
    explain_on_sqlite(&sql)
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
                ResourceType::User
            } else {
                ResourceType::Group
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

#[test]
fn user_name_and_email_filters_are_index_lookups() {
    let plan = sqlite_plan(r#"userName eq "a@x.com""#);
    assert!(plan.contains("USING INDEX users_org_user_name"), "{plan}");
    let plan = sqlite_plan(r#"externalId eq "abc""#);
    assert!(plan.contains("USING INDEX users_org_external_id"), "{plan}");
    let plan = sqlite_plan(r#"displayName eq "Ann Lee""#);
    assert!(
        plan.contains("USING INDEX users_org_display_name"),
        "{plan}"
    );
    let plan = sqlite_plan(r#"emails.value eq "a@x.com""#);
    assert!(
        plan.contains("user_emails")
            && !plan.contains("SCAN user_emails")
            && !plan.contains("SCAN users"),
        "{plan}"
    );
}

#[test]
fn unsupported_is_invalid_filter() {
    let f = parse_filter(ResourceType::User, r#"emails.display eq "x""#).unwrap();
    let err = Translator::new(Dialect::Sqlite)
        .translate(ResourceType::User, &f)
        .unwrap_err();
    assert_eq!(err.status(), 400);
}
