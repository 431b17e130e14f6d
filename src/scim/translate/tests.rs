//! Unit tests of the filter → SQL translation (text shape and SQLite query plans):
//! the SCIM filter translated to the store's predicate, rendered by the store.
#![expect(clippy::unwrap_used)]
use super::*;
use crate::scim::filter::parse_filter;
use crate::store::query::tests::explain_on_sqlite;
use crate::store::query::{render_filter, Dialect};

fn sql(d: Dialect, rt: ResourceType, f: &str) -> String {
    let filter = parse_filter(rt, f).unwrap();
    render_filter(d, collection(rt), None, &to_predicate(rt, &filter).unwrap()).debug_sql()
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

/// The plan SQLite chooses for `cond` over one organization's live users.
fn sqlite_plan(filter: &str) -> String {
    let pred = to_predicate(
        ResourceType::User,
        &parse_filter(ResourceType::User, filter).unwrap(),
    )
    .unwrap();
    let cond = render_filter(Dialect::Sqlite, Collection::Users, Some("o"), &pred);
    // Inline the bound values: EXPLAIN needs only their shape.
    let mut sql = String::from(
        "SELECT users.id FROM users WHERE users.organization_id = 'o' \
         AND users.state <> 'deprovisioned' AND ",
    );
    sql.push_str(&cond.sql_with_placeholder("'x'"));
    explain_on_sqlite(&sql)
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
    let err = to_predicate(ResourceType::User, &f).unwrap_err();
    assert_eq!(err.status(), 400);
}
