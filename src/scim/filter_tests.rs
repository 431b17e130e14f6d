//! Tests for the filter parser and evaluator.
#![expect(clippy::unwrap_used)]

use super::*;
use crate::scim::error::ScimType;
use serde_json::json;

fn user() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "externalId": "00uABC",
        "userName": "Bjensen@Example.com",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "title": "Tour Guide",
        "userType": "Employee",
        "active": true,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "701984",
            "department": "Tour Operations",
            "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}
        },
        "meta": {
            "resourceType": "User",
            "created": "2010-01-23T04:56:22Z",
            "lastModified": "2011-05-13T04:42:34Z"
        }
    })
}

fn check(filter: &str) -> bool {
    let f = parse_filter(ResourceType::User, filter).unwrap();
    matches(&f, &user())
}

fn err(filter: &str) -> ScimError {
    match parse_filter(ResourceType::User, filter) {
        Ok(f) => panic!("{filter} parsed as {f:?}"),
        Err(e) => e,
    }
}

#[test]
fn user_name_is_case_insensitive_id_is_case_exact() {
    assert!(check(r#"userName eq "bjensen@example.com""#));
    assert!(check(r#"USERNAME EQ "BJENSEN@EXAMPLE.COM""#));
    assert!(check(r#"id eq "2819c223-7f76-453a-919d-413861904646""#));
    assert!(!check(r#"id eq "2819C223-7F76-453A-919D-413861904646""#));
    assert!(!check(r#"externalId eq "00uabc""#));
}

#[test]
fn string_operators() {
    assert!(check(r#"name.familyName co "ense""#));
    assert!(check(r#"userName sw "bJ""#));
    assert!(check(r#"userName ew ".COM""#));
    assert!(!check(r#"userName sw "jensen""#));
    assert!(check(r#"title gt "Tour A""#));
    assert!(!check(r#"title lt "Tour A""#));
}

#[test]
fn presence_and_absence() {
    assert!(check("title pr"));
    assert!(!check("nickName pr"));
    assert!(check("emails pr"));
    assert!(check("nickName eq null"));
    assert!(!check("title eq null"));
    // `ne` on an absent attribute matches (ne is `not eq`).
    assert!(check(r#"nickName ne "x""#));
    assert!(!check(r#"userType ne "employee""#));
}

#[test]
fn precedence_not_and_or() {
    // and binds tighter than or: false and false or true = true.
    assert!(check(
        r#"title eq "x" and userType eq "y" or active eq true"#
    ));
    // Parentheses change it: false and (false or true) = false.
    assert!(!check(
        r#"title eq "x" and (userType eq "y" or active eq true)"#
    ));
    assert!(check(r#"not (title eq "x")"#));
    assert!(!check(r#"not (title pr) or userType eq "Contractor""#));
    assert!(check(
        r#"userType eq "Employee" and not (emails.type eq "other")"#
    ));
}

#[test]
fn multi_valued_any_semantics() {
    assert!(check(r#"emails.value eq "babs@jensen.org""#));
    assert!(check(r#"emails co "jensen.org""#));
    assert!(check(r#"emails.type eq "home""#));
    assert!(!check(r#"emails.type eq "other""#));
}

#[test]
fn value_path_requires_one_element_to_match_all() {
    assert!(check(
        r#"emails[type eq "work" and value co "@example.com"]"#
    ));
    // Each condition holds on some element, but no single element has both.
    assert!(!check(
        r#"emails[type eq "home" and value co "@example.com"]"#
    ));
    assert!(check(
        r#"emails[(type eq "x" or primary eq true) and not (value ew ".org")]"#
    ));
    assert!(!check(r#"emails[primary eq false]"#));
}

#[test]
fn extension_paths_with_and_without_urn() {
    assert!(check(
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#
    ));
    assert!(check(
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value pr"#
    ));
    assert!(check(r#"department eq "tour operations""#));
    assert!(!check(r#"employeeNumber eq "1""#));
}

#[test]
fn datetime_comparisons_are_instants() {
    assert!(check(r#"meta.lastModified gt "2011-05-13T04:42:33Z""#));
    assert!(!check(r#"meta.lastModified gt "2011-05-13T04:42:34Z""#));
    assert!(check(r#"meta.lastModified ge "2011-05-13T04:42:34Z""#));
    // Same instant written with an offset.
    assert!(check(r#"meta.lastModified eq "2011-05-13T06:42:34+02:00""#));
    assert!(check(r#"meta.created lt "2011-01-01T00:00:00.000Z""#));
}

#[test]
fn booleans_accept_string_forms_in_resource() {
    let f = parse_filter(ResourceType::User, "active eq false").unwrap();
    assert!(matches(&f, &json!({"userName": "a", "active": "False"})));
    assert!(!matches(&f, &json!({"userName": "a", "active": true})));
    assert!(!matches(&f, &json!({"userName": "a"})));
}

#[test]
fn group_filters() {
    let group = json!({"displayName": "Admins", "members": [{"value": "u1"}, {"value": "u2"}]});
    let f = parse_filter(ResourceType::Group, r#"displayName eq "admins""#).unwrap();
    assert!(matches(&f, &group));
    let f = parse_filter(ResourceType::Group, r#"members[value eq "u2"]"#).unwrap();
    assert!(matches(&f, &group));
    let f = parse_filter(ResourceType::Group, r#"members.value eq "U2""#).unwrap();
    assert!(
        !matches(&f, &group),
        "members.value is caseExact? no: immutable, not caseExact"
    );
}

#[test]
fn syntax_errors_are_invalid_filter() {
    for bad in [
        "",
        "userName",
        r#"userName eq"#,
        r#"userName xx "a""#,
        r#"(userName eq "a""#,
        r#"userName eq "a" and"#,
        r#"emails[type eq "work""#,
        r#"userName eq 'single'"#,
    ] {
        let e = err(bad);
        assert_eq!(e.scim_type(), Some(ScimType::InvalidFilter), "{bad}");
        assert_eq!(e.status(), 400);
    }
}

#[test]
fn semantic_errors_are_invalid_filter() {
    assert!(err(r#"nosuch eq "a""#).detail().contains("nosuch"));
    assert!(err(r#"name.nosuch eq "a""#)
        .detail()
        .contains("name.nosuch"));
    assert!(err(r#"emails[nosuch eq "a"]"#).detail().contains("nosuch"));
    assert!(err(r#"userName[value eq "a"]"#)
        .detail()
        .contains("complex"));
    assert!(err("active gt true").detail().contains("boolean"));
    assert!(err(r#"active co "t""#).detail().contains("boolean"));
    assert!(err(r#"name eq "x""#).detail().contains("complex"));
    assert!(err(r#"meta.lastModified gt "yesterday""#)
        .detail()
        .contains("dateTime"));
    assert!(err(r#"urn:example:custom:x eq "1""#)
        .detail()
        .contains("urn:example:custom:x"));
    assert!(parse_filter(ResourceType::Group, r#"userName eq "a""#).is_err());
}

#[test]
fn deeply_nested_filter_is_rejected_not_crashed() {
    let mut f = String::from(r#"userName eq "a""#);
    for _ in 0..200 {
        f = format!("not ({f})");
    }
    assert_eq!(err(&f).scim_type(), Some(ScimType::InvalidFilter));
}

#[test]
fn canonical_paths_for_sql_translation() {
    let f = parse_filter(ResourceType::User, r#"EMAILS[TYPE eq "work"]"#).unwrap();
    let Filter::ValuePath(attr, inner) = f else {
        panic!("not a value path")
    };
    assert_eq!(attr.canonical(), "emails");
    let Filter::Compare(a, CompareOp::Eq, CompValue::String(v)) = *inner else {
        panic!("not a comparison")
    };
    assert_eq!(
        (a.canonical().as_str(), v.as_str()),
        ("emails.type", "work")
    );
}

#[test]
fn sort_by_validation() {
    let (a, o) = parse_sort(ResourceType::User, "name.familyName", None).unwrap();
    assert_eq!(
        (a.canonical().as_str(), o),
        ("name.familyName", SortOrder::Ascending)
    );
    let (a, o) = parse_sort(ResourceType::User, "emails", Some("DESCENDING")).unwrap();
    assert_eq!(
        (a.canonical().as_str(), o),
        ("emails.value", SortOrder::Descending)
    );
    assert!(parse_sort(ResourceType::User, "name", None).is_err());
    assert!(parse_sort(ResourceType::User, "password", None).is_err());
    assert!(parse_sort(ResourceType::User, "bogus", None).is_err());
    let e = parse_sort(ResourceType::User, "userName", Some("up")).unwrap_err();
    assert_eq!(e.scim_type(), Some(ScimType::InvalidValue));
}

#[test]
fn not_without_space_is_accepted() {
    assert!(check(r#"not(title eq "x")"#));
    assert!(!check(r#"NOT(title pr)"#));
    // Inside a string literal nothing is rewritten.
    assert!(!check(r#"title eq "not(x)""#));
}

#[test]
fn entra_value_path_with_sub_attribute_filter() {
    assert!(check(
        r#"emails[type eq "work"].value eq "BJENSEN@example.com""#
    ));
    // The work email is not babs@jensen.org, though some email is.
    assert!(!check(
        r#"emails[type eq "work"].value eq "babs@jensen.org""#
    ));
    assert!(check(
        r#"emails[type eq "home"].value pr and userName sw "b""#
    ));
    assert!(check(
        r#"(emails[type eq "work" or type eq "x"].value ew ".com")"#
    ));
    // Brackets inside strings are not structure.
    assert!(!check(r#"emails[type eq "]."].value eq "x""#));
    let e = err(r#"emails[type eq "work"]. eq "x""#);
    assert_eq!(e.scim_type(), Some(ScimType::InvalidFilter));
    let e = err(r#"emails[type eq "work"].nosuch eq "x""#);
    assert!(e.detail().contains("nosuch"));
}

#[test]
fn paths_lists_canonical_attributes() {
    let f = parse_filter(
        ResourceType::User,
        r#"USERNAME eq "a" or (emails[type eq "work" and VALUE co "x"] and not (username pr)) or manager.value eq "m""#,
    )
    .unwrap();
    assert_eq!(
        f.paths(),
        vec![
            "userName",
            "emails.type",
            "emails.value",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"
        ]
    );
}

/// Every prefix of valid inputs (most of them invalid) must give a result, never a panic.
#[test]
fn truncated_filters_never_panic() {
    let samples = [
        r#"emails[type eq "work" and value co "@x.com"].value eq "a\"b" or not(title pr)"#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "é✓""#,
        r#"meta.lastModified gt "2011-05-13T04:42:34Z" and (active eq true or userType ne null)"#,
    ];
    for s in samples {
        for (i, _) in s.char_indices() {
            let prefix = s.get(..i).unwrap();
            if let Ok(f) = parse_filter(ResourceType::User, prefix) {
                let _ = matches(&f, &user());
            }
        }
    }
}
