//! `/scim/v2/Users` over HTTP: the Okta and Entra sequences as their documentation shows
//! them, lifecycle and seats, uniqueness, ETags, PATCH errors, deprovisioning.

use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::scim_support::{assert_scim_error, directory, fixture};

fn events_of(app: &crate::support::TestApp, kind: &str) -> Vec<Value> {
    app.events()
        .into_iter()
        .filter(|e| e["type"] == kind || e["event_type"] == kind)
        .collect()
}

backend_tests! {
    fn okta_provisioning_sequence(app) {
        let scim = directory(&app, "acme");
        // Okta checks for the user before creating it.
        let list = scim.get_ok("/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100");
        assert_eq!(list["totalResults"], 0);
        assert_eq!(list["Resources"], json!([]));
        assert_eq!(list["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:ListResponse");

        let res = scim.post("/Users", &fixture("okta/create_user.json"));
        assert_eq!(res.status(), 201);
        assert!(res.headers().get("content-type").unwrap().to_str().unwrap().starts_with("application/scim+json"));
        let location = res.headers().get("location").unwrap().to_str().unwrap().to_owned();
        let etag = res.headers().get("etag").unwrap().to_str().unwrap().to_owned();
        let user: Value = res.json().unwrap();
        let id = user["id"].as_str().unwrap().to_owned();
        assert_eq!(location, format!("http://localhost:8080/scim/v2/Users/{id}"));
        assert_eq!(user["meta"]["location"], location);
        assert_eq!(user["meta"]["version"], etag);
        assert_eq!(user["userName"], "test.user@okta.local");
        assert_eq!(user["name"]["givenName"], "Test");
        assert_eq!(user["locale"], "en-US");
        assert_eq!(user["active"], true);
        assert!(user.get("password").is_none());

        // The filter now finds it, case-insensitively.
        let list = scim.get_ok("/Users?filter=userName%20eq%20%22TEST.USER%40okta.local%22");
        assert_eq!(list["totalResults"], 1);
        assert_eq!(list["Resources"][0]["id"], id.as_str());

        // Password push: accepted, never returned.
        let res = scim.patch(&format!("/Users/{id}"), &fixture("okta/update_password.json"));
        assert_eq!(res.status(), 200);
        assert!(res.json::<Value>().unwrap().get("password").is_none());

        // Deactivation: path-less replace of active.
        let res = scim.patch(&format!("/Users/{id}"), &fixture("okta/deactivate_user.json"));
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().unwrap()["active"], false);

        // Okta's full PUT re-activates and changes the profile.
        let mut put = fixture("okta/create_user.json");
        put["id"] = json!(id);
        put["name"]["familyName"] = json!("Renamed");
        put["active"] = json!(true);
        let res = scim.put(&format!("/Users/{id}"), &put);
        assert_eq!(res.status(), 200);
        let after: Value = res.json().unwrap();
        assert_eq!(after["name"]["familyName"], "Renamed");
        assert_eq!(after["active"], true);
        assert_ne!(after["meta"]["version"], user["meta"]["version"]);

        let types: Vec<String> = app.events().iter().map(|e| e["type"].as_str().unwrap_or_default().to_owned()).collect();
        for t in ["user.created", "identity.linked", "user.suspended", "user.reactivated", "user.updated"] {
            assert!(types.iter().any(|x| x == t), "missing {t} in {types:?}");
        }
        let created = events_of(&app, "user.created");
        assert_eq!(created[0]["actor"], format!("scim_directory:{}", scim.directory["id"].as_str().unwrap()));
    }

    fn entra_provisioning_sequence(app) {
        let scim = directory(&app, "acme");
        let body = fixture("entra/create_user.json");
        let ext = body["externalId"].as_str().unwrap();
        let list = scim.get_ok(&format!("/Users?filter=externalId+eq+%22{ext}%22"));
        assert_eq!(list["totalResults"], 0);
        let res = scim.post("/Users", &body);
        assert_eq!(res.status(), 201);
        let user: Value = res.json().unwrap();
        let id = user["id"].as_str().unwrap().to_owned();
        let list = scim.get_ok(&format!("/Users?filter=externalId+eq+%22{ext}%22"));
        assert_eq!(list["totalResults"], 1);

        for f in ["entra/update_user_multi_valued.json", "entra/add_manager_bare_string.json", "entra/add_work_address_and_phone.json", "entra/replace_multiple_attributes.json"] {
            let res = scim.patch(&format!("/Users/{id}"), &fixture(f));
            assert_eq!(res.status(), 200, "{f}");
        }
        let now = scim.get_ok(&format!("/Users/{id}"));
        assert_eq!(now["displayName"], "Pvlo");
        assert_eq!(now["name"]["givenName"], "Gtfd");
        assert_eq!(now["externalId"], "Eqpj");
        let ent = &now["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"];
        assert_eq!(ent["department"], "Engineering");
        assert_eq!(ent["employeeNumber"], "Eqpj");
        assert_eq!(ent["manager"]["value"], "8b5a2e3c-6fd2-4e63-a0c8-0d3d8a3a2a10");
        // The new work email is indexed: filters find it.
        let list = scim.get_ok("/Users?filter=emails.value+eq+%22testbcwqnm%40test.microsoft.com%22");
        assert_eq!(list["totalResults"], 1);
        let list = scim.get_ok("/Users?filter=externalId+eq+%22Eqpj%22");
        assert_eq!(list["totalResults"], 1);

        let res = scim.patch(&format!("/Users/{id}"), &fixture("entra/update_user_single_valued.json"));
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().unwrap()["userName"], "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com");

        // Disable with a string boolean; then the compliant form is a no-op.
        let res = scim.patch(&format!("/Users/{id}"), &fixture("entra/disable_user_string_boolean.json"));
        assert_eq!(res.status(), 200);
        let v1: Value = res.json().unwrap();
        assert_eq!(v1["active"], false);
        let res = scim.patch(&format!("/Users/{id}"), &fixture("entra/disable_user.json"));
        assert_eq!(res.json::<Value>().unwrap()["meta"]["version"], v1["meta"]["version"]);

        let res = scim.delete(&format!("/Users/{id}"));
        assert_eq!(res.status(), 204);
        assert_scim_error(scim.get(&format!("/Users/{id}")), 404, None);
        assert_eq!(events_of(&app, "user.deprovisioned").len(), 1);
    }

    fn deprovisioned_user_is_gone_and_can_be_recreated(app) {
        let scim = directory(&app, "acme");
        let first = scim.create_user("ann@acme.test");
        let id = first["id"].as_str().unwrap();
        assert_eq!(scim.delete(&format!("/Users/{id}")).status(), 204);
        assert_scim_error(scim.get(&format!("/Users/{id}")), 404, None);
        assert_scim_error(scim.delete(&format!("/Users/{id}")), 404, None);
        assert_eq!(scim.get_ok("/Users?filter=userName+eq+%22ann%40acme.test%22")["totalResults"], 0);
        let again = scim.create_user("ann@acme.test");
        assert_ne!(again["id"], first["id"]);
        assert_eq!(again["active"], true);
        let created = events_of(&app, "user.created");
        assert_eq!(created.len(), 2);
        assert_eq!(created[1]["data"]["recreated"], true);
        assert_eq!(created[1]["data"]["previous_user_id"], id);
    }

    fn user_name_is_unique_case_insensitively(app) {
        let scim = directory(&app, "acme");
        scim.create_user("bob@acme.test");
        let res = scim.post("/Users", &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "BOB@acme.test"}));
        assert_scim_error(res, 409, Some("uniqueness"));
        let other = scim.create_user("carol@acme.test");
        let res = scim.patch(&format!("/Users/{}", other["id"].as_str().unwrap()), &json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "userName", "value": "Bob@Acme.test"}]
        }));
        assert_scim_error(res, 409, Some("uniqueness"));
    }

    fn seat_limit_blocks_create_and_reactivation(app) {
        let scim = directory(&app, "acme");
        let res = app.admin(Method::PATCH, "/admin/v1/organizations/acme").json(&json!({"max_seats": 1})).send().unwrap();
        assert_eq!(res.status(), 200);
        let a = scim.create_user("a@acme.test");
        let events_before = app.events().len();
        let res = scim.post("/Users", &json!({"userName": "b@acme.test"}));
        let body = assert_scim_error(res, 403, None);
        assert!(body["detail"].as_str().unwrap().contains("seat limit"));
        assert_eq!(app.events().len(), events_before, "nothing written");
        assert_eq!(scim.get_ok("/Users")["totalResults"], 1);
        // A suspended user may be created (holds no seat).
        let res = scim.post("/Users", &json!({"userName": "b@acme.test", "active": false}));
        assert_eq!(res.status(), 201);
        let b: Value = res.json().unwrap();
        // Reactivating b while a holds the only seat: 403.
        let activate = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "active", "value": true}]});
        let res = scim.patch(&format!("/Users/{}", b["id"].as_str().unwrap()), &activate);
        assert_scim_error(res, 403, None);
        assert_eq!(scim.get_ok(&format!("/Users/{}", b["id"].as_str().unwrap()))["active"], false);
        // Suspend a; now b fits.
        let res = scim.patch(&format!("/Users/{}", a["id"].as_str().unwrap()), &fixture("okta/deactivate_user.json"));
        assert_eq!(res.status(), 200);
        let res = scim.patch(&format!("/Users/{}", b["id"].as_str().unwrap()), &activate);
        assert_eq!(res.status(), 200);
    }

    fn etags_guard_writes_and_reads(app) {
        let scim = directory(&app, "acme");
        let u = scim.create_user("e@acme.test");
        let id = u["id"].as_str().unwrap();
        let version = u["meta"]["version"].as_str().unwrap().to_owned();
        let res = scim.req(Method::GET, &format!("/Users/{id}")).header("If-None-Match", &version).send().unwrap();
        assert_eq!(res.status(), 304);
        let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "title", "value": "CTO"}]});
        let res = scim.req(Method::PATCH, &format!("/Users/{id}")).header("If-Match", "W/\"999\"").header("Content-Type", "application/scim+json").body(patch.to_string()).send().unwrap();
        assert_scim_error(res, 412, None);
        let res = scim.req(Method::PATCH, &format!("/Users/{id}")).header("If-Match", &version).header("Content-Type", "application/scim+json").body(patch.to_string()).send().unwrap();
        assert_eq!(res.status(), 200);
        // The old version no longer matches: GET returns 200, DELETE with it is 412.
        let res = scim.req(Method::GET, &format!("/Users/{id}")).header("If-None-Match", &version).send().unwrap();
        assert_eq!(res.status(), 200);
        let res = scim.req(Method::DELETE, &format!("/Users/{id}")).header("If-Match", &version).send().unwrap();
        assert_scim_error(res, 412, None);
    }

    fn patch_errors_and_all_or_nothing(app) {
        let scim = directory(&app, "acme");
        let u = scim.create_user("p@acme.test");
        let path = format!("/Users/{}", u["id"].as_str().unwrap());
        let op = |ops: Value| json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
        assert_scim_error(scim.patch(&path, &op(json!([{"op": "remove"}]))), 400, Some("noTarget"));
        assert_scim_error(scim.patch(&path, &op(json!([{"op": "replace", "path": "bogus[", "value": 1}]))), 400, Some("invalidPath"));
        assert_scim_error(scim.patch(&path, &op(json!([{"op": "replace", "path": "id", "value": "x"}]))), 400, Some("mutability"));
        assert_scim_error(scim.patch(&path, &op(json!([{"op": "replace", "path": "active", "value": "maybe"}]))), 400, Some("invalidValue"));
        // The first operation is valid, the second is not: nothing changes.
        let res = scim.patch(&path, &op(json!([
            {"op": "replace", "path": "title", "value": "Boss"},
            {"op": "replace", "path": "id", "value": "x"}
        ])));
        assert_scim_error(res, 400, Some("mutability"));
        let now = scim.get_ok(&path);
        assert!(now.get("title").is_none());
        assert_eq!(now["meta"]["version"], u["meta"]["version"]);
    }

    fn protocol_errors_are_scim_errors(app) {
        let scim = directory(&app, "acme");
        assert_scim_error(scim.get("/Nope"), 404, None);
        assert_scim_error(scim.get("/Users/does-not-exist"), 404, None);
        assert_scim_error(scim.req(Method::DELETE, "/Users").send().unwrap(), 405, None);
        let res = scim.req(Method::POST, "/Users").header("Content-Type", "application/scim+json").body("{not json").send().unwrap();
        assert_scim_error(res, 400, Some("invalidSyntax"));
        let res = scim.post("/Users", &json!({"userName": "x@acme.test", "bogus": 1}));
        assert_scim_error(res, 400, Some("invalidSyntax"));
        let res = scim.post("/Users", &json!({"displayName": "no userName"}));
        assert_scim_error(res, 400, Some("invalidValue"));
        let big = json!({"userName": "big@acme.test", "title": "x".repeat(2 * 1024 * 1024)});
        assert_scim_error(scim.post("/Users", &big), 413, None);
        assert_scim_error(scim.get("/Users?filter=userName%20zz%20%22x%22"), 400, Some("invalidFilter"));
        assert_scim_error(scim.get("/Users?filter=nosuch%20eq%20%22x%22"), 400, Some("invalidFilter"));
        // application/json is accepted too.
        let res = scim.req(Method::POST, "/Users").json(&json!({"userName": "json@acme.test"})).send().unwrap();
        assert_eq!(res.status(), 201);
    }

    fn two_orgs_never_see_each_other(app) {
        let acme = directory(&app, "acme");
        let globex = directory(&app, "globex");
        let a = acme.create_user("same@x.test");
        let g = globex.create_user("same@x.test");
        let (aid, gid) = (a["id"].as_str().unwrap(), g["id"].as_str().unwrap());
        // Swapped ids: always 404.
        assert_scim_error(acme.get(&format!("/Users/{gid}")), 404, None);
        assert_scim_error(globex.get(&format!("/Users/{aid}")), 404, None);
        assert_scim_error(acme.patch(&format!("/Users/{gid}"), &fixture("okta/deactivate_user.json")), 404, None);
        assert_scim_error(acme.put(&format!("/Users/{gid}"), &json!({"userName": "z@x.test"})), 404, None);
        assert_scim_error(acme.delete(&format!("/Users/{gid}")), 404, None);
        assert_eq!(acme.get_ok(&format!("/Users?filter=id+eq+%22{gid}%22"))["totalResults"], 0);
        assert_eq!(acme.get_ok("/Users")["totalResults"], 1);
        // A group of acme cannot take globex's user as a member.
        let res = acme.post("/Groups", &json!({"displayName": "G", "members": [{"value": gid}]}));
        assert_scim_error(res, 400, Some("invalidValue"));
        let grp: Value = globex.post("/Groups", &json!({"displayName": "G"})).json().unwrap();
        let grp_id = grp["id"].as_str().unwrap();
        assert_scim_error(acme.get(&format!("/Groups/{grp_id}")), 404, None);
        assert_scim_error(acme.patch(&format!("/Groups/{grp_id}"), &fixture("entra/group_rename.json")), 404, None);
        assert_scim_error(acme.delete(&format!("/Groups/{grp_id}")), 404, None);
        assert_eq!(globex.get_ok(&format!("/Users/{gid}"))["active"], true);
    }

    fn concurrent_creates_of_one_user_name(app) {
        let scim = directory(&app, "acme");
        let statuses: Vec<u16> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| scim.post("/Users", &json!({"userName": "race@acme.test"})).status().as_u16()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 7, "{statuses:?}");
        assert_eq!(scim.get_ok("/Users")["totalResults"], 1);
    }

    fn concurrent_creates_respect_seats(app) {
        let scim = directory(&app, "acme");
        app.admin(Method::PATCH, "/admin/v1/organizations/acme").json(&json!({"max_seats": 3})).send().unwrap();
        let statuses: Vec<u16> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|i| { let scim = &scim; s.spawn(move || scim.post("/Users", &json!({"userName": format!("s{i}@acme.test")})).status().as_u16()) })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 3, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == 403).count(), 5, "{statuses:?}");
    }
    fn full_user_round_trips_losslessly(app) {
        let scim = directory(&app, "acme");
        let body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "userName": "full@acme.test",
            "externalId": "ext-full",
            "name": {"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen", "givenName": "Barbara", "middleName": "Jane", "honorificPrefix": "Ms.", "honorificSuffix": "III"},
            "displayName": "Babs Jensen",
            "nickName": "Babs",
            "profileUrl": "https://login.example.com/bjensen",
            "title": "Tour Guide",
            "userType": "Employee",
            "preferredLanguage": "en-US",
            "locale": "en-US",
            "timezone": "America/Los_Angeles",
            "active": true,
            "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}, {"value": "babs@jensen.org", "type": "home"}],
            "phoneNumbers": [{"value": "555-555-5555", "type": "work"}],
            "ims": [{"value": "someaimhandle", "type": "aim"}],
            "photos": [{"value": "https://photos.example.com/profilephoto/72930000000Ccne/F", "type": "photo"}],
            "addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood", "region": "CA", "postalCode": "91608", "country": "USA", "formatted": "100 Universal City Plaza\nHollywood, CA 91608 USA", "primary": true}],
            "roles": [{"value": "student", "primary": false}],
            "entitlements": [{"value": "premium"}],
            "x509Certificates": [{"value": "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                "employeeNumber": "701984", "costCenter": "4130", "organization": "Universal Studios",
                "division": "Theme Park", "department": "Tour Operations",
                "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"}
            }
        });
        let res = scim.post("/Users", &body);
        assert_eq!(res.status(), 201);
        let id = res.json::<Value>().unwrap()["id"].as_str().unwrap().to_owned();
        let got = scim.get_ok(&format!("/Users/{id}"));
        for (k, v) in body.as_object().unwrap() {
            if k == "schemas" { continue; }
            if k == "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" {
                // manager.displayName is read-only: the server keeps only what it may.
                let ent = &got[k];
                for (ek, ev) in v.as_object().unwrap() {
                    if ek == "manager" { assert_eq!(ent["manager"]["value"], ev["value"]); } else { assert_eq!(&ent[ek], ev, "{ek}"); }
                }
                continue;
            }
            assert_eq!(&got[k], v, "{k}");
        }
        assert_eq!(got["meta"]["resourceType"], "User");
    }

    fn unsupported_media_type_is_a_scim_error(app) {
        let scim = directory(&app, "acme");
        let res = scim.req(Method::POST, "/Users").header("Content-Type", "text/plain").body("userName=x").send().unwrap();
        assert_scim_error(res, 415, None);
    }

    fn user_groups_filter_and_group_paging(app) {
        let scim = directory(&app, "acme");
        let u = scim.create_user("member@acme.test");
        let other = scim.create_user("other@acme.test");
        let uid = u["id"].as_str().unwrap();
        let mut gids = Vec::new();
        for i in 0..3 {
            let res = scim.post("/Groups", &json!({"displayName": format!("Team {i}"), "members": [{"value": uid}]}));
            assert_eq!(res.status(), 201);
            gids.push(res.json::<Value>().unwrap()["id"].as_str().unwrap().to_owned());
        }
        let q = format!("/Users?filter=groups.value+eq+%22{}%22", gids[1]);
        let list = scim.get_ok(&q);
        assert_eq!(list["totalResults"], 1);
        assert_eq!(list["Resources"][0]["id"], uid);
        assert_eq!(list["Resources"][0]["groups"].as_array().unwrap().len(), 3);
        assert!(scim.get_ok(&format!("/Users/{}", other["id"].as_str().unwrap())).get("groups").is_none());
        let page = scim.get_ok("/Groups?sortBy=displayName&sortOrder=descending&count=2&startIndex=2");
        assert_eq!(page["totalResults"], 3);
        assert_eq!(page["Resources"][0]["displayName"], "Team 1");
        assert_eq!(page["Resources"][0]["members"][0]["value"], uid);
        let q = format!("/Groups?filter=members%5Bvalue+eq+%22{uid}%22%5D&count=0");
        assert_eq!(scim.get_ok(&q)["totalResults"], 3);
        // Group ETags.
        let g = scim.get_ok(&format!("/Groups/{}", gids[0]));
        let res = scim.req(Method::GET, &format!("/Groups/{}", gids[0])).header("If-None-Match", g["meta"]["version"].as_str().unwrap()).send().unwrap();
        assert_eq!(res.status(), 304);
        let res = scim.req(Method::PUT, &format!("/Groups/{}", gids[0])).header("If-Match", "W/\"42\"").header("Content-Type", "application/scim+json").body(json!({"displayName": "X"}).to_string()).send().unwrap();
        assert_scim_error(res, 412, None);
        // Renaming onto another group's name: 409.
        assert_scim_error(scim.put(&format!("/Groups/{}", gids[0]), &json!({"displayName": "team 2"})), 409, Some("uniqueness"));
    }
}
