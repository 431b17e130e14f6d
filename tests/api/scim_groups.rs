//! `/scim/v2/Groups` over HTTP: Okta Group Push and Entra group sequences, member
//! add/remove/replace, `groups` on users, filters, excludedAttributes=members.

use serde_json::{json, Value};

use crate::backend_tests;
use crate::scim_support::{assert_scim_error, directory, fixture, Scim};

/// A fixture with its placeholder member ids replaced by real user ids.
fn with_ids(name: &str, ids: &[(&str, &str)]) -> Value {
    let mut s = fixture(name).to_string();
    for (from, to) in ids {
        s = s.replace(from, to);
    }
    serde_json::from_str(&s).unwrap()
}

fn member_values(group: &Value) -> Vec<String> {
    let mut v: Vec<String> = group["members"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|x| x["value"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn user_groups(scim: &Scim<'_>, id: &str) -> Vec<String> {
    let u = scim.get_ok(&format!("/Users/{id}"));
    u["groups"]
        .as_array()
        .map(|g| {
            g.iter()
                .map(|x| x["value"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

backend_tests! {
    fn okta_group_push(app) {
        let scim = directory(&app, "acme");
        let u1 = scim.create_user("u1@okta.local")["id"].as_str().unwrap().to_owned();
        let u2 = scim.create_user("u2@okta.local")["id"].as_str().unwrap().to_owned();
        let ids = [("23a35c27-23d3-4c03-b4c5-6443c09e7173", u1.as_str()), ("89bb1940-b905-4575-9e7f-6f887cfb368e", u2.as_str())];

        let res = scim.post("/Groups", &fixture("okta/create_group.json"));
        assert_eq!(res.status(), 201);
        assert!(res.headers().get("location").is_some());
        let g: Value = res.json().unwrap();
        let gid = g["id"].as_str().unwrap().to_owned();
        let path = format!("/Groups/{gid}");
        assert_eq!(g["displayName"], "Test SCIMv2");

        // Duplicate displayName: 409.
        assert_scim_error(scim.post("/Groups", &fixture("okta/create_group.json")), 409, Some("uniqueness"));

        assert_eq!(scim.patch(&path, &with_ids("okta/group_add_members.json", &ids)).status(), 204);
        assert_eq!(member_values(&scim.get_ok(&path)), vec![u1.clone()]);
        assert_eq!(user_groups(&scim, &u1), vec![gid.clone()]);

        // With `attributes`, PATCH answers 200 with the resource.
        let res = scim.patch(&format!("{path}?attributes=members"), &with_ids("okta/group_replace_members.json", &ids));
        assert_eq!(res.status(), 200);
        let mut both = vec![u1.clone(), u2.clone()];
        both.sort();
        assert_eq!(member_values(&res.json().unwrap()), both);

        assert_eq!(scim.patch(&path, &with_ids("okta/group_remove_member.json", &ids)).status(), 204);
        assert_eq!(member_values(&scim.get_ok(&path)), vec![u1.clone()]);
        assert!(user_groups(&scim, &u2).is_empty());

        let res = scim.patch(&path, &with_ids("okta/group_rename.json", &[("abf4dd94-a4c0-4f67-89c9-76b03340cb9b", gid.as_str())]));
        assert_eq!(res.status(), 204);
        assert!(res.headers().get("etag").is_some());
        assert_eq!(scim.get_ok(&path)["displayName"], "Test SCIMv2 Renamed");

        // Okta PUT with members in the body replaces the member list.
        let res = scim.put(&path, &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Test SCIMv2 Renamed", "members": [{"value": u2}]}));
        assert_eq!(res.status(), 200);
        assert_eq!(member_values(&res.json().unwrap()), vec![u2.clone()]);

        assert_eq!(scim.delete(&path).status(), 204);
        assert_scim_error(scim.get(&path), 404, None);
        assert!(user_groups(&scim, &u2).is_empty());

        let types: Vec<String> = app.events().iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect();
        for t in ["group.created", "group.member_added", "group.member_removed", "group.updated", "group.deleted"] {
            assert!(types.iter().any(|x| x == t), "missing {t}");
        }
    }

    fn entra_group_sequence(app) {
        let scim = directory(&app, "acme");
        let a = scim.create_user("a@entra.test")["id"].as_str().unwrap().to_owned();
        let b = scim.create_user("b@entra.test")["id"].as_str().unwrap().to_owned();
        let res = scim.post("/Groups", &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", "displayName": "Group1DisplayName", "meta": {"resourceType": "Group"}}));
        assert_eq!(res.status(), 201);
        let gid = res.json::<Value>().unwrap()["id"].as_str().unwrap().to_owned();
        let path = format!("/Groups/{gid}");
        // Entra looks groups up by displayName and externalId.
        assert_eq!(scim.get_ok("/Groups?excludedAttributes=members&filter=displayName+eq+%22group1displayname%22")["totalResults"], 1);
        assert_eq!(scim.get_ok("/Groups?filter=externalId+eq+%228aa1a0c0-c4c3-4bc0-b4a5-2ef676900159%22")["totalResults"], 1);

        for u in [&a, &b] {
            let res = scim.patch(&path, &with_ids("entra/group_add_members.json", &[("f648f8d5ea4e4cd38e9c", u)]));
            assert_eq!(res.status(), 204);
        }
        // Adding again is a no-op.
        let v = scim.get_ok(&path)["meta"]["version"].clone();
        scim.patch(&path, &with_ids("entra/group_add_members.json", &[("f648f8d5ea4e4cd38e9c", &a)]));
        assert_eq!(scim.get_ok(&path)["meta"]["version"], v);
        // Entra checks membership with a filter.
        let q = format!("/Groups?filter=id+eq+%22{gid}%22+and+members.value+eq+%22{a}%22&excludedAttributes=members");
        let found = scim.get_ok(&q);
        assert_eq!(found["totalResults"], 1);
        assert!(found["Resources"][0].get("members").is_none());

        let res = scim.patch(&path, &with_ids("entra/group_remove_members.json", &[("a2d5bd2ea7754d6a9c2e", &a)]));
        assert_eq!(res.status(), 204);
        assert_eq!(member_values(&scim.get_ok(&path)), vec![b.clone()]);
        assert_eq!(scim.get_ok(&q)["totalResults"], 0);

        let res = scim.patch(&format!("{path}?excludedAttributes=members"), &fixture("entra/group_rename.json"));
        assert_eq!(res.status(), 200);
        let renamed: Value = res.json().unwrap();
        assert_eq!(renamed["displayName"], "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName");
        assert!(renamed.get("members").is_none());

        // Unknown member: invalidValue, nothing changes.
        let res = scim.patch(&path, &with_ids("entra/group_add_members.json", &[("f648f8d5ea4e4cd38e9c", "no-such-user")]));
        assert_scim_error(res, 400, Some("invalidValue"));
        assert_eq!(member_values(&scim.get_ok(&path)), vec![b.clone()]);

        // A deprovisioned user leaves its groups.
        assert_eq!(scim.delete(&format!("/Users/{b}")).status(), 204);
        assert!(member_values(&scim.get_ok(&path)).is_empty());
    }

    fn concurrent_member_adds_never_fail_hard(app) {
        let scim = directory(&app, "acme");
        let u = scim.create_user("m@acme.test")["id"].as_str().unwrap().to_owned();
        let g: Value = scim.post("/Groups", &json!({"displayName": "Race"})).json().unwrap();
        let path = format!("/Groups/{}", g["id"].as_str().unwrap());
        let body = with_ids("entra/group_add_members.json", &[("f648f8d5ea4e4cd38e9c", &u)]);
        let statuses: Vec<u16> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8).map(|_| s.spawn(|| scim.patch(&path, &body).status().as_u16())).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(statuses.iter().all(|s| *s == 204 || *s == 409), "{statuses:?}");
        assert!(statuses.contains(&204));
        assert_eq!(member_values(&scim.get_ok(&path)), vec![u.clone()]);
        let added = app.events().into_iter().filter(|e| e["type"] == "group.member_added").count();
        assert_eq!(added, 1);
    }
}

/// Measures a one-member PATCH on a small and on a large group (run with
/// `cargo nextest run --run-ignored only member_patch_cost`); prints the timings.
#[test]
#[ignore]
fn member_patch_cost_is_independent_of_group_size() {
    use crate::support::{Backend, TestApp};
    let backend = if crate::support::postgres_url().is_some() {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    let app = TestApp::builder(backend).start().unwrap();
    let scim = directory(&app, "acme");
    let n: usize = std::env::var("MEMBERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    let ids: Vec<String> = (0..n + 2)
        .map(|i| {
            let res = scim.post("/Users", &json!({"userName": format!("u{i}@acme.test")}));
            res.json::<Value>().unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let members = |r: &[String]| r.iter().map(|m| json!({"value": m})).collect::<Vec<_>>();
    let small: Value = scim
        .post(
            "/Groups",
            &json!({"displayName": "small", "members": members(&ids[..5])}),
        )
        .json()
        .unwrap();
    // Built in chunks: one body with tens of thousands of members exceeds the body limit.
    let large: Value = scim
        .post("/Groups", &json!({"displayName": "large"}))
        .json()
        .unwrap();
    for chunk in ids[..n].chunks(2000) {
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "add", "path": "members", "value": members(chunk)}]});
        let res = scim.patch(&format!("/Groups/{}", large["id"].as_str().unwrap()), &body);
        assert_eq!(res.status(), 204);
    }
    let time = |g: &Value, user: &str| {
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add", "path": "members", "value": [{"value": user}]}]});
        let start = std::time::Instant::now();
        let res = scim.patch(&format!("/Groups/{}", g["id"].as_str().unwrap()), &body);
        assert_eq!(res.status(), 204);
        start.elapsed()
    };
    let (s, l) = (time(&small, &ids[n]), time(&large, &ids[n + 1]));
    eprintln!("{backend:?}: add one member to a 5-member group {s:?}, to a {n}-member group {l:?}");
}
