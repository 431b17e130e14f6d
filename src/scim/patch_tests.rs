//! Tests for PATCH, many with the request bodies Okta and Entra send
//! (`tests/fixtures/scim/`).
//! Over 400 lines on purpose: test cases only.
#![expect(clippy::unwrap_used)]

use super::*;
use crate::scim::error::ScimType;
use serde_json::json;

const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

macro_rules! fixture {
    ($path:literal) => {
        serde_json::from_str::<Value>(include_str!(concat!("../../tests/fixtures/scim/", $path)))
            .unwrap()
    };
}

fn user() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "u-1",
        "userName": "bjensen@example.com",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "active": true,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "meta": {"resourceType": "User", "version": "W/\"1\""}
    })
}

fn group(members: &[&str]) -> Value {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "id": "abf4dd94-a4c0-4f67-89c9-76b03340cb9b",
        "displayName": "Test SCIMv2",
        "members": members,
    })
}

fn patch_user(body: &Value) -> PatchOutcome {
    apply_patch(ResourceType::User, &user(), body).unwrap()
}

fn ops(ops: Value) -> Value {
    json!({"schemas": [PATCH_OP_SCHEMA], "Operations": ops})
}

fn user_err(body: Value) -> ScimError {
    apply_patch(ResourceType::User, &user(), &body).unwrap_err()
}

#[test]
fn okta_deactivation_without_path() {
    let out = patch_user(&fixture!("okta/deactivate_user.json"));
    assert_eq!(out.resource["active"], json!(false));
    assert!(out.changed);
}

#[test]
fn okta_password_is_handed_out_not_stored() {
    let out = patch_user(&fixture!("okta/update_password.json"));
    assert_eq!(out.password.as_deref(), Some("t1meMa$heen"));
    assert!(out.resource.get("password").is_none());
    assert!(out.changed);
}

#[test]
fn okta_group_rename_ignores_echoed_id() {
    let out = apply_patch(
        ResourceType::Group,
        &group(&[]),
        &fixture!("okta/group_rename.json"),
    )
    .unwrap();
    assert_eq!(out.resource["displayName"], "Test SCIMv2 Renamed");
    assert_eq!(out.resource["id"], "abf4dd94-a4c0-4f67-89c9-76b03340cb9b");
}

#[test]
fn okta_add_member_appends_and_is_idempotent() {
    let body = fixture!("okta/group_add_members.json");
    let out = apply_patch(ResourceType::Group, &group(&["x"]), &body).unwrap();
    // `display` is readOnly in our Group schema and is dropped.
    assert_eq!(
        out.resource["members"],
        json!([{"value": "x"}, {"value": "23a35c27-23d3-4c03-b4c5-6443c09e7173"}])
    );
    let again = apply_patch(ResourceType::Group, &out.resource, &body).unwrap();
    assert!(!again.changed);
    assert_eq!(again.resource["members"].as_array().map(Vec::len), Some(2));
}

#[test]
fn okta_remove_member_by_filter() {
    let body = fixture!("okta/group_remove_member.json");
    let g = group(&["a", "89bb1940-b905-4575-9e7f-6f887cfb368e"]);
    let out = apply_patch(ResourceType::Group, &g, &body).unwrap();
    assert_eq!(out.resource["members"], json!([{"value": "a"}]));
    // Removing a non-member succeeds without change (RFC 7644 §3.5.2.2 example).
    let again = apply_patch(ResourceType::Group, &out.resource, &body).unwrap();
    assert!(!again.changed);
    // Removing the last member unassigns the attribute.
    let out = apply_patch(
        ResourceType::Group,
        &group(&["89bb1940-b905-4575-9e7f-6f887cfb368e"]),
        &body,
    )
    .unwrap();
    assert!(out.resource.get("members").is_none());
}

#[test]
fn okta_replace_members_replaces_list() {
    let body = fixture!("okta/group_replace_members.json");
    let out = apply_patch(ResourceType::Group, &group(&["old"]), &body).unwrap();
    assert_eq!(
        out.resource["members"],
        json!([
            {"value": "23a35c27-23d3-4c03-b4c5-6443c09e7173"},
            {"value": "89bb1940-b905-4575-9e7f-6f887cfb368e"}
        ])
    );
}

#[test]
fn entra_multi_valued_and_sub_attribute_replace() {
    let out = patch_user(&fixture!("entra/update_user_multi_valued.json"));
    assert_eq!(
        out.resource["emails"][0]["value"],
        "updatedEmail@microsoft.com"
    );
    assert_eq!(out.resource["emails"][0]["type"], "work");
    assert_eq!(out.resource["emails"][1]["value"], "babs@jensen.org");
    assert_eq!(
        out.resource["name"],
        json!({"givenName": "Barbara", "familyName": "updatedFamilyName"})
    );
}

#[test]
fn entra_single_valued_replace() {
    let out = patch_user(&fixture!("entra/update_user_single_valued.json"));
    assert_eq!(
        out.resource["userName"],
        "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"
    );
}

#[test]
fn entra_disable_with_bool_and_string_bool() {
    for body in [
        fixture!("entra/disable_user.json"),
        fixture!("entra/disable_user_string_boolean.json"),
    ] {
        let out = patch_user(&body);
        assert_eq!(out.resource["active"], json!(false));
    }
}

#[test]
fn entra_path_less_replace_with_path_keys() {
    let out = patch_user(&fixture!("entra/replace_multiple_attributes.json"));
    let r = &out.resource;
    assert_eq!(r["displayName"], "Pvlo");
    assert_eq!(r["emails"][0]["value"], "TestBcwqnm@test.microsoft.com");
    assert_eq!(
        r["name"],
        json!({"givenName": "Gtfd", "familyName": "Pkqf"})
    );
    assert_eq!(r["externalId"], "Eqpj");
    assert_eq!(r[ENT]["employeeNumber"], "Eqpj");
    assert_eq!(
        r["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:User", ENT])
    );
}

#[test]
fn entra_manager_as_bare_string() {
    let out = patch_user(&fixture!("entra/add_manager_bare_string.json"));
    assert_eq!(
        out.resource[ENT]["manager"],
        json!({"value": "8b5a2e3c-6fd2-4e63-a0c8-0d3d8a3a2a10"})
    );
    // And removing it drops the now-empty extension and its schema URN.
    let out = apply_patch(
        ResourceType::User,
        &out.resource,
        &ops(json!([{"op": "Remove", "path": format!("{ENT}:manager")}])),
    )
    .unwrap();
    assert!(out.resource.get(ENT).is_none());
    assert_eq!(out.resource["schemas"].as_array().map(Vec::len), Some(1));
}

#[test]
fn entra_add_to_absent_filtered_element_creates_it() {
    let out = patch_user(&fixture!("entra/add_work_address_and_phone.json"));
    assert_eq!(
        out.resource["addresses"],
        json!([{"type": "work", "streetAddress": "1 Microsoft Way"}])
    );
    assert_eq!(
        out.resource["phoneNumbers"],
        json!([{"type": "mobile", "value": "+1 425 555 0100"}])
    );
    assert_eq!(out.resource[ENT]["department"], "Engineering");
}

#[test]
fn entra_group_members_add_and_remove_with_value_array() {
    let add = fixture!("entra/group_add_members.json");
    let out = apply_patch(ResourceType::Group, &group(&["a2d5bd2ea7754d6a9c2e"]), &add).unwrap();
    assert_eq!(
        out.resource["members"],
        json!([{"value": "a2d5bd2ea7754d6a9c2e"}, {"value": "f648f8d5ea4e4cd38e9c"}])
    );
    let remove = fixture!("entra/group_remove_members.json");
    let out = apply_patch(ResourceType::Group, &out.resource, &remove).unwrap();
    assert_eq!(
        out.resource["members"],
        json!([{"value": "f648f8d5ea4e4cd38e9c"}])
    );
}

#[test]
fn entra_group_rename() {
    let out = apply_patch(
        ResourceType::Group,
        &group(&[]),
        &fixture!("entra/group_rename.json"),
    )
    .unwrap();
    assert_eq!(
        out.resource["displayName"],
        "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"
    );
}

#[test]
fn new_primary_clears_the_old_one() {
    let out = patch_user(&ops(json!([{
        "op": "add", "path": "emails",
        "value": [{"value": "new@example.com", "type": "other", "primary": true}]
    }])));
    let emails = &out.resource["emails"];
    assert_eq!(emails[0]["primary"], json!(false));
    assert_eq!(emails[2]["primary"], json!(true));
    // Setting primary through a value path works the same way.
    let out = patch_user(&ops(json!([{
        "op": "replace", "path": "emails[type eq \"home\"].primary", "value": "True"
    }])));
    assert_eq!(out.resource["emails"][0]["primary"], json!(false));
    assert_eq!(out.resource["emails"][1]["primary"], json!(true));
}

#[test]
fn add_existing_email_merges_instead_of_duplicating() {
    let out = patch_user(&ops(json!([{
        "op": "add", "path": "emails",
        "value": [{"value": "BABS@jensen.org", "type": "home", "display": "Babs"}]
    }])));
    let emails = out.resource["emails"].as_array().cloned().unwrap();
    assert_eq!(emails.len(), 2);
    assert_eq!(emails[1]["display"], "Babs");
}

#[test]
fn replace_complex_keeps_unspecified_sub_attributes() {
    let out = patch_user(&ops(
        json!([{"op": "replace", "path": "NAME", "value": {"GivenName": "Babs"}}]),
    ));
    assert_eq!(
        out.resource["name"],
        json!({"givenName": "Babs", "familyName": "Jensen"})
    );
}

#[test]
fn remove_by_filter_and_sub_attribute() {
    let out = patch_user(&ops(json!([
        {"op": "remove", "path": "emails[type eq \"home\"]"},
        {"op": "remove", "path": "name.givenName"}
    ])));
    assert_eq!(out.resource["emails"].as_array().map(Vec::len), Some(1));
    assert_eq!(out.resource["name"], json!({"familyName": "Jensen"}));
}

#[test]
fn replace_with_same_value_is_not_a_change() {
    let out = patch_user(&ops(
        json!([{"op": "replace", "path": "active", "value": true}]),
    ));
    assert!(!out.changed);
}

#[test]
fn unknown_extension_urns_are_ignored_and_reported() {
    let out = patch_user(&ops(json!([
        {"op": "add", "path": "urn:example:custom:2.0:User:badge", "value": "7"},
        {"op": "replace", "value": {"urn:okta:custom:User": {"x": 1}, "title": "Boss"}}
    ])));
    assert_eq!(
        out.ignored,
        vec!["urn:example:custom:2.0:User:badge", "urn:okta:custom:User"]
    );
    assert_eq!(out.resource["title"], "Boss");
}

#[test]
fn errors_carry_the_right_scim_type() {
    let cases: Vec<(Value, ScimType)> = vec![
        (json!([{"op": "remove"}]), ScimType::NoTarget),
        (
            json!([{"op": "replace", "path": "id", "value": "x"}]),
            ScimType::Mutability,
        ),
        (
            json!([{"op": "add", "path": "groups", "value": [{"value": "g"}]}]),
            ScimType::Mutability,
        ),
        (
            json!([{"op": "replace", "path": "meta.version", "value": "x"}]),
            ScimType::Mutability,
        ),
        (
            json!([{"op": "remove", "path": "userName"}]),
            ScimType::Mutability,
        ),
        (
            json!([{"op": "replace", "path": "userName", "value": null}]),
            ScimType::Mutability,
        ),
        (
            json!([{"op": "move", "path": "title", "value": "x"}]),
            ScimType::InvalidSyntax,
        ),
        (
            json!([{"op": "add", "path": "title"}]),
            ScimType::InvalidSyntax,
        ),
        (
            json!([{"op": "replace", "value": "not an object"}]),
            ScimType::InvalidSyntax,
        ),
        (
            json!([{"op": "replace", "value": {"bogus": 1}}]),
            ScimType::InvalidSyntax,
        ),
        (
            json!([{"op": "replace", "path": "emails[type eq", "value": "x"}]),
            ScimType::InvalidPath,
        ),
        (
            json!([{"op": "replace", "path": "bogus", "value": "x"}]),
            ScimType::InvalidPath,
        ),
        (
            json!([{"op": "replace", "path": "name[givenName eq \"x\"]", "value": {}}]),
            ScimType::InvalidPath,
        ),
        (
            json!([{"op": "replace", "path": "emails[type eq \"work\"].bogus", "value": "x"}]),
            ScimType::InvalidPath,
        ),
        (
            json!([{"op": "replace", "path": "active", "value": "maybe"}]),
            ScimType::InvalidValue,
        ),
        (
            json!([{"op": "replace", "path": "meta", "value": {}}]),
            ScimType::Mutability,
        ),
        (
            json!([{"op": "replace", "path": "emails[type eq \"other\"]", "value": {"value": "x@y"}}]),
            ScimType::NoTarget,
        ),
    ];
    for (operations, want) in cases {
        let e = user_err(ops(operations.clone()));
        assert_eq!(e.scim_type(), Some(want), "{operations} -> {e}");
        assert!(e.detail().starts_with("Operations[0]"), "{e}");
    }
    let e = apply_patch(
        ResourceType::Group,
        &group(&["m"]),
        &ops(json!([{"op": "replace", "path": "members[value eq \"m\"].value", "value": "n"}])),
    )
    .unwrap_err();
    assert_eq!(e.scim_type(), Some(ScimType::Mutability));
}

#[test]
fn envelope_errors() {
    let e = user_err(json!({"schemas": ["urn:wrong"], "Operations": []}));
    assert_eq!(e.scim_type(), Some(ScimType::InvalidSyntax));
    let e = user_err(json!({"schemas": [PATCH_OP_SCHEMA]}));
    assert_eq!(e.scim_type(), Some(ScimType::InvalidSyntax));
    let e = user_err(json!([1, 2]));
    assert_eq!(e.scim_type(), Some(ScimType::InvalidSyntax));
    // `operations` in any case is accepted.
    let out = patch_user(&json!({"operations": [{"op": "ADD", "path": "title", "value": "x"}]}));
    assert_eq!(out.resource["title"], "x");
}

#[test]
fn a_failing_later_operation_fails_the_request() {
    let e = user_err(ops(json!([
        {"op": "replace", "path": "title", "value": "ok"},
        {"op": "replace", "path": "id", "value": "nope"}
    ])));
    assert!(e.detail().starts_with("Operations[1]"), "{e}");
    assert_eq!(e.scim_type(), Some(ScimType::Mutability));
}

/// Every prefix of valid paths, and values of every JSON type at every path, must give
/// a result, never a panic.
#[test]
fn odd_inputs_never_panic() {
    let paths = [
        r#"emails[type eq "work" and value co "@x"].value"#,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        r#"members[value eq "m"]"#,
    ];
    let values = [
        json!(null),
        json!(true),
        json!(1.5),
        json!("s"),
        json!([]),
        json!([1, "x", {"value": "v"}]),
        json!({"value": "v", "type": "work", "primary": "true"}),
    ];
    for p in paths {
        for (i, _) in p.char_indices() {
            let prefix = p.get(..i).unwrap();
            for op in ["add", "replace", "remove"] {
                for v in &values {
                    let body = ops(json!([{"op": op, "path": prefix, "value": v}]));
                    let _ = apply_patch(ResourceType::User, &user(), &body);
                    let _ = apply_patch(ResourceType::Group, &group(&["m"]), &body);
                }
            }
        }
    }
}

#[test]
fn remove_with_empty_value_array_removes_nothing() {
    let body = ops(json!([{"op": "Remove", "path": "members", "value": []}]));
    let out = apply_patch(ResourceType::Group, &group(&["a", "b"]), &body).unwrap();
    assert!(!out.changed);
    // Without a value, remove clears the whole attribute (RFC 7644 §3.5.2.2).
    let body = ops(json!([{"op": "remove", "path": "members"}]));
    let out = apply_patch(ResourceType::Group, &group(&["a", "b"]), &body).unwrap();
    assert!(out.resource.get("members").is_none());
}
