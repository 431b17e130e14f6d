//! Tests for incoming validation and output projection.
#![expect(clippy::unwrap_used)]

use super::*;
use crate::scim::error::ScimType;
use chrono::TimeZone;

const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

macro_rules! fixture {
    ($path:literal) => {
        serde_json::from_str::<Value>(include_str!(concat!("../../tests/fixtures/scim/", $path)))
            .unwrap()
    };
}

fn user_err(body: Value) -> ScimError {
    validate_incoming(ResourceType::User, &body).unwrap_err()
}

#[test]
fn okta_create_user_is_normalised() {
    let inc = validate_incoming(ResourceType::User, &fixture!("okta/create_user.json")).unwrap();
    assert_eq!(inc.password.as_deref(), Some("1mz050nq"));
    let r = &inc.resource;
    assert!(r.get("password").is_none());
    assert!(r.get("groups").is_none());
    assert_eq!(r["userName"], "test.user@okta.local");
    assert_eq!(r["externalId"], "00ujl29u0le5T6Aj10h7");
    assert_eq!(r["emails"][0]["primary"], json!(true));
    assert_eq!(
        r["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:User"])
    );
    assert!(inc.requested_groups.is_empty());
}

#[test]
fn entra_create_user_drops_read_only_meta_and_empty_roles() {
    let inc = validate_incoming(ResourceType::User, &fixture!("entra/create_user.json")).unwrap();
    let r = &inc.resource;
    assert!(r.get("meta").is_none());
    assert!(r.get("roles").is_none());
    assert_eq!(r["name"]["formatted"], "givenName familyName");
    assert_eq!(r["active"], json!(true));
    // The enterprise URN was listed but no enterprise attribute was sent.
    assert_eq!(r["schemas"].as_array().map(Vec::len), Some(1));
}

#[test]
fn groups_in_user_body_are_reported_not_stored() {
    let inc = validate_incoming(
        ResourceType::User,
        &json!({"userName": "a", "groups": [{"value": "g1"}, {"value": "g2", "display": "G"}]}),
    )
    .unwrap();
    assert_eq!(inc.requested_groups, vec!["g1", "g2"]);
    assert!(inc.resource.get("groups").is_none());
}

#[test]
fn quirks_are_coerced_and_keys_canonicalised() {
    let inc = validate_incoming(
        ResourceType::User,
        &json!({
            "UserName": "a",
            "ACTIVE": "True",
            ENT: {"Manager": "boss", "employeeNumber": 42}
        }),
    )
    .unwrap();
    let r = &inc.resource;
    assert_eq!(r["userName"], "a");
    assert_eq!(r["active"], json!(true));
    assert_eq!(
        r[ENT],
        json!({"manager": {"value": "boss"}, "employeeNumber": "42"})
    );
    assert_eq!(r["schemas"][1], ENT);
}

#[test]
fn unknown_extension_urns_are_ignored() {
    let inc = validate_incoming(
        ResourceType::User,
        &json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:okta:custom:1.0"],
            "userName": "a",
            "urn:okta:custom:1.0": {"badge": "7"}
        }),
    )
    .unwrap();
    assert_eq!(inc.ignored, vec!["urn:okta:custom:1.0"]);
    assert!(inc.resource.get("urn:okta:custom:1.0").is_none());
}

#[test]
fn invalid_bodies() {
    let e = user_err(json!({"name": {"givenName": "x"}}));
    assert_eq!(e.scim_type(), Some(ScimType::InvalidValue));
    assert!(e.detail().contains("userName"));
    assert_eq!(
        user_err(json!({"userName": "  "})).scim_type(),
        Some(ScimType::InvalidValue)
    );
    let e = user_err(json!({"userName": "a", "favouriteColour": "blue"}));
    assert_eq!(e.scim_type(), Some(ScimType::InvalidSyntax));
    assert!(e.detail().contains("favouriteColour"));
    let e = user_err(json!({"userName": "a", "name": {"nick": "x"}}));
    assert!(e.detail().contains("name.nick"));
    let e = user_err(json!({"userName": "a", ENT: {"shoeSize": 9}}));
    assert!(e.detail().contains("shoeSize"));
    let e = user_err(json!({"userName": "a", "employeeNumber": "1"}));
    assert_eq!(
        e.scim_type(),
        Some(ScimType::InvalidSyntax),
        "extension attrs belong under their URN"
    );
    let e = user_err(
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "userName": "a"}),
    );
    assert_eq!(e.scim_type(), Some(ScimType::InvalidSyntax));
    assert_eq!(
        user_err(json!({"userName": "a", "active": "maybe"})).scim_type(),
        Some(ScimType::InvalidValue)
    );
    assert_eq!(
        user_err(json!(["userName"])).scim_type(),
        Some(ScimType::InvalidSyntax)
    );
}

#[test]
fn groups_validate() {
    let inc = validate_incoming(ResourceType::Group, &fixture!("okta/create_group.json")).unwrap();
    assert_eq!(
        inc.resource,
        json!({"displayName": "Test SCIMv2", "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"]})
    );
    let e = validate_incoming(ResourceType::Group, &json!({"members": []})).unwrap_err();
    assert!(e.detail().contains("displayName"));
    let inc = validate_incoming(
        ResourceType::Group,
        &json!({"displayName": "G", "members": [{"value": "u1", "display": "U", "type": "User"}]}),
    )
    .unwrap();
    assert_eq!(
        inc.resource["members"],
        json!([{"value": "u1", "type": "User"}])
    );
}

fn stored() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENT],
        "id": "u1",
        "userName": "a",
        "password": "leaked?",
        "name": {"givenName": "A", "familyName": "B"},
        "emails": [{"value": "a@x", "type": "work"}, {"value": "b@x", "type": "home"}],
        ENT: {"department": "D", "costCenter": "C"},
        "meta": {"resourceType": "User"}
    })
}

#[test]
fn attributes_projection_keeps_always_returned() {
    let p = Projection::parse(
        ResourceType::User,
        Some("USERNAME, name.givenName,emails.value"),
        None,
    );
    assert_eq!(
        p.apply(ResourceType::User, &stored()),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENT],
            "id": "u1",
            "userName": "a",
            "name": {"givenName": "A"},
            "emails": [{"value": "a@x"}, {"value": "b@x"}],
            "meta": {"resourceType": "User"}
        })
    );
    let p = Projection::parse(ResourceType::User, Some(&format!("{ENT}:department")), None);
    let out = p.apply(ResourceType::User, &stored());
    assert_eq!(out[ENT], json!({"department": "D"}));
    assert!(out.get("userName").is_none());
    let p = Projection::parse(ResourceType::User, Some(ENT), None);
    assert_eq!(
        p.apply(ResourceType::User, &stored())[ENT],
        json!({"department": "D", "costCenter": "C"})
    );
}

#[test]
fn excluded_attributes_projection() {
    let p = Projection::parse(
        ResourceType::User,
        None,
        Some("emails,name.familyName,id,meta"),
    );
    let out = p.apply(ResourceType::User, &stored());
    assert!(out.get("emails").is_none());
    assert_eq!(out["name"], json!({"givenName": "A"}));
    assert_eq!(out["id"], "u1");
    assert!(out.get("meta").is_some());
    assert!(out.get("password").is_none());
    let p = Projection::parse(ResourceType::User, None, Some(ENT));
    assert!(p.apply(ResourceType::User, &stored()).get(ENT).is_none());
    // Entra's `excludedAttributes=members` on groups.
    let p = Projection::parse(ResourceType::Group, None, Some("members"));
    let g = json!({"id": "g", "displayName": "G", "members": [{"value": "u"}]});
    assert_eq!(
        p.apply(ResourceType::Group, &g),
        json!({"id": "g", "displayName": "G"})
    );
}

#[test]
fn default_projection_hides_password_only() {
    let p = Projection::parse(ResourceType::User, None, None);
    let mut want = stored();
    want.as_object_mut().unwrap().remove("password");
    assert_eq!(p.apply(ResourceType::User, &stored()), want);
}

#[test]
fn put_keeps_read_only_attributes() {
    let existing = json!({"id": "u1", "userName": "a", "groups": [{"value": "g"}], "meta": {"version": "W/\"1\""}});
    let mut new = validate_incoming(ResourceType::User, &json!({"userName": "b", "id": "evil"}))
        .unwrap()
        .resource;
    carry_read_only(ResourceType::User, &existing, &mut new);
    assert_eq!(new["id"], "u1");
    assert_eq!(new["userName"], "b");
    assert_eq!(new["groups"], json!([{"value": "g"}]));
    assert_eq!(new["meta"]["version"], "W/\"1\"");
}

#[test]
fn meta_is_built_from_base_url() {
    let mut r = json!({"id": "u1", "userName": "a"});
    let t = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
    set_meta(ResourceType::User, &mut r, "https://h/scim/v2/", t, t, "3");
    assert_eq!(
        r["meta"],
        json!({
            "resourceType": "User",
            "created": "2024-05-01T12:00:00.000Z",
            "lastModified": "2024-05-01T12:00:00.000Z",
            "location": "https://h/scim/v2/Users/u1",
            "version": "W/\"3\""
        })
    );
}

#[test]
fn list_response_shape() {
    let l = list_response(vec![json!({"id": "a"})], 10, 3);
    assert_eq!(l["schemas"], json!([LIST_RESPONSE_SCHEMA]));
    assert_eq!(
        (
            l["totalResults"].clone(),
            l["itemsPerPage"].clone(),
            l["startIndex"].clone()
        ),
        (json!(10), json!(1), json!(3))
    );
}

#[test]
fn at_most_one_primary_on_create() {
    let inc = validate_incoming(
        ResourceType::User,
        &json!({"userName": "a", "emails": [
            {"value": "a@x", "primary": true},
            {"value": "b@x", "primary": true}
        ]}),
    )
    .unwrap();
    let primaries = inc.resource["emails"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["primary"] == json!(true))
        .count();
    assert_eq!(primaries, 1);
}

#[test]
fn member_changes_after_patch() {
    let before = json!({"members": [{"value": "a"}, {"value": "b"}, {"value": "b"}]});
    let after = json!({"members": [{"value": "b"}, {"value": "c"}, {"value": "A"}]});
    assert_eq!(member_ids(&before), vec!["a", "b"]);
    assert_eq!(
        member_changes(&before, &after),
        MemberChanges {
            added: vec!["c".into(), "A".into()],
            removed: vec!["a".into()]
        }
    );
    assert_eq!(
        member_changes(&json!({}), &json!({"members": null})),
        MemberChanges::default()
    );
}

/// A key that counts its equality comparisons, to show de-duplication is linear.
#[derive(Clone, Debug)]
struct Counted(u32, std::rc::Rc<std::cell::Cell<usize>>);

impl PartialEq for Counted {
    fn eq(&self, other: &Self) -> bool {
        self.1.set(self.1.get() + 1);
        self.0 == other.0
    }
}
impl Eq for Counted {}
impl std::hash::Hash for Counted {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

/// The defence against quadratic member de-duplication: `distinct` over n items makes
/// O(n) comparisons (a `Vec::contains` per item makes n²/2 and fails this).
#[test]
fn distinct_keeps_first_seen_order_in_linear_comparisons() {
    let compares = std::rc::Rc::new(std::cell::Cell::new(0));
    let n = 20_000u32;
    let items: Vec<Counted> = (0..n)
        .chain(0..n)
        .map(|i| Counted(i, compares.clone()))
        .collect();
    let out = distinct(items);
    assert_eq!(out.len(), n as usize);
    assert!(out.iter().enumerate().all(|(i, c)| c.0 == i as u32));
    assert!(
        compares.get() <= 4 * n as usize,
        "{} comparisons for {} items",
        compares.get(),
        2 * n
    );
    let ids = member_ids(&json!({"members": [{"value": "b"}, {"value": "a"}, {"value": "b"}]}));
    assert_eq!(ids, vec!["b", "a"]);
}
