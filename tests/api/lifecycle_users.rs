//! The app-facing user lifecycle API over HTTP: reading users, state actions with their
//! events, seats, invalid transitions, manual roles, list filters and cursor pagination,
//! reconciliation, and the per-user event sequence (feed and webhooks).

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::lifecycle_support::api;
use crate::scim_support::directory;
use crate::support::receiver::Receiver;

fn scim_user(user_name: &str, external_id: &str, active: bool) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "externalId": external_id,
        "name": {"givenName": "Ann", "familyName": "Lee"},
        "emails": [{"value": user_name, "type": "work", "primary": true}],
        "active": active,
    })
}

fn ids_of(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect()
}

backend_tests! {
    fn actions_change_state_and_emit_exactly_the_documented_events(app) {
        let scim = directory(&app, "acme");
        let dir_id = scim.directory["id"].as_str().unwrap().to_owned();
        let api = api(&app);
        let res = scim.post("/Users", &scim_user("ann@acme.test", "ext-ann", true));
        assert_eq!(res.status(), 201);
        let id = res.json::<Value>().unwrap()["id"].as_str().unwrap().to_owned();
        let res = scim.post("/Groups", &json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Engineering",
            "members": [{"value": id}],
        }));
        assert_eq!(res.status(), 201);

        let user = api.get_ok(&format!("/users/{id}"));
        assert_eq!(user["state"], "active");
        assert_eq!(user["provisioned_by"], "scim");
        assert_eq!(user["email"], "ann@acme.test");
        assert_eq!(user["given_name"], "Ann");
        assert_eq!(user["identities"], json!([{
            "source_kind": "scim", "source_id": dir_id, "external_id": "ext-ann",
            "linked_at": user["identities"][0]["linked_at"],
        }]));
        assert_eq!(user["groups"][0]["display_name"], "Engineering");
        assert!(user["state_changed_by"].is_null());
        assert_eq!(user["state_changed_at"], user["created_at"]);

        // Suspend: exactly one user.suspended, with the reason; plus one audit entry.
        let cursor = api.feed_end();
        let audit = app.audit_count();
        let user = api.post_ok(&format!("/users/{id}/suspend"), json!({"reason": "left the team"}));
        assert_eq!(user["state"], "suspended");
        assert_eq!(user["state_reason"], "left the team");
        assert!(user["state_changed_by"].as_str().unwrap().starts_with("app_key:"));
        let events = api.events_after(cursor);
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0]["type"], "user.suspended");
        assert_eq!(events[0]["subject_id"], id.as_str());
        assert_eq!(events[0]["data"]["reason"], "left the team");
        assert_eq!(events[0]["data"]["previous_state"], "active");
        assert_eq!(events[0]["data"]["user"]["state"], "suspended");
        assert_eq!(app.audit_count(), audit + 1);
        // SCIM sees the user inactive.
        assert_eq!(scim.get_ok(&format!("/Users/{id}"))["active"], false);

        // Repeating an action whose target state holds changes nothing.
        let cursor = api.feed_end();
        let again = api.post_ok(&format!("/users/{id}/suspend"), json!({}));
        assert_eq!(again["version"], user["version"]);
        assert!(api.events_after(cursor).is_empty());

        // Reactivate.
        let user = api.post_ok(&format!("/users/{id}/reactivate"), json!({}));
        assert_eq!(user["state"], "active");
        assert_eq!(api.types_after(cursor), ["user.reactivated"]);

        // Deprovision: memberships go (as on SCIM DELETE), the record stays.
        let cursor = api.feed_end();
        let audit = app.audit_count();
        let user = api.post_ok(&format!("/users/{id}/deprovision"), json!({"reason": "offboarded"}));
        assert_eq!(user["state"], "deprovisioned");
        assert!(user["deprovisioned_at"].is_string());
        assert_eq!(user["groups"], json!([]));
        assert_eq!(user["identities"], json!([]), "the SCIM link goes, so the IdP may create the person again");
        assert_eq!(api.types_after(cursor), ["group.member_removed", "user.deprovisioned"]);
        assert_eq!(app.audit_count(), audit + 2);
        assert_eq!(scim.get(&format!("/Users/{id}")).status(), 404);
        assert_eq!(api.get_ok(&format!("/users/{id}"))["state"], "deprovisioned");

        // Invalid transitions: 409 naming the state, and nothing recorded.
        let cursor = api.feed_end();
        for action in ["reactivate", "suspend"] {
            let res = api.post(&format!("/users/{id}/{action}"), json!({}));
            assert_eq!(res.status(), 409, "{action}");
            let body: Value = res.json().unwrap();
            assert_eq!(body["field"], "state");
            assert!(body["message"].as_str().unwrap().contains("deprovisioned"), "{body}");
        }
        assert_eq!(api.post(&format!("/users/{id}/roles"), json!({"role": "member"})).status(), 409);
        assert!(api.events_after(cursor).is_empty());
        // Deprovisioning again is a no-op.
        assert_eq!(api.post_ok(&format!("/users/{id}/deprovision"), json!({}))["state"], "deprovisioned");
        assert!(api.events_after(cursor).is_empty());

        // Unknown ids are 404; bad bodies 422; admin keys are refused.
        assert_eq!(api.get("/users/nope").status(), 404);
        assert_eq!(api.post("/users/nope/suspend", json!({})).status(), 404);
        assert_eq!(api.post(&format!("/users/{id}/suspend"), json!({"bogus": 1})).status(), 422);
        let res = app.client.get(app.url(&format!("/api/v1/users/{id}"))).bearer_auth(crate::support::ADMIN_KEY).send().unwrap();
        assert_eq!(res.status(), 401);
    }

    fn scim_state_changes_are_attributed(app) {
        let scim = directory(&app, "acme");
        let dir_id = scim.directory["id"].as_str().unwrap().to_owned();
        let api = api(&app);
        let id = scim.create_user("bob@acme.test")["id"].as_str().unwrap().to_owned();
        let res = scim.patch(&format!("/Users/{id}"), &json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "value": {"active": false}}],
        }));
        assert_eq!(res.status(), 200);
        let user = api.get_ok(&format!("/users/{id}"));
        assert_eq!(user["state"], "suspended");
        assert_eq!(user["state_changed_by"], format!("scim_directory:{dir_id}"));
        assert_ne!(user["state_changed_at"], user["created_at"]);
        assert_eq!(scim.delete(&format!("/Users/{id}")).status(), 204);
        let user = api.get_ok(&format!("/users/{id}"));
        assert_eq!(user["state"], "deprovisioned");
        assert_eq!(user["state_changed_by"], format!("scim_directory:{dir_id}"));
    }

    fn reactivation_respects_max_seats(app) {
        let scim = directory(&app, "acme");
        let api = api(&app);
        crate::lifecycle_support::patch_org(&app, "acme", json!({"max_seats": 1}));
        let a: Value = scim.post("/Users", &scim_user("a@acme.test", "a", true)).json().unwrap();
        let b: Value = scim.post("/Users", &scim_user("b@acme.test", "b", false)).json().unwrap();
        let (a, b) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
        assert_eq!(api.get_ok(&format!("/users/{b}"))["state"], "suspended");

        let cursor = api.feed_end();
        let res = api.post(&format!("/users/{b}/reactivate"), json!({}));
        assert_eq!(res.status(), 409);
        let body: Value = res.json().unwrap();
        assert_eq!(body["field"], "max_seats");
        assert!(body["message"].as_str().unwrap().contains("seat limit reached: all 1 seats"), "{body}");
        assert!(api.events_after(cursor).is_empty());
        assert_eq!(api.get_ok(&format!("/users/{b}"))["state"], "suspended");

        // A freed seat can be taken.
        api.post_ok(&format!("/users/{a}/suspend"), json!({}));
        assert_eq!(api.post_ok(&format!("/users/{b}/reactivate"), json!({}))["state"], "active");
        assert_eq!(api.post(&format!("/users/{a}/reactivate"), json!({})).status(), 409);

        // Concurrent reactivations of two users for one free seat: exactly one wins.
        api.post_ok(&format!("/users/{b}/suspend"), json!({}));
        let outcomes: Vec<u16> = std::thread::scope(|s| {
            let hs: Vec<_> = [a, b]
                .into_iter()
                .map(|id| {
                    let api = &api;
                    s.spawn(move || api.post(&format!("/users/{id}/reactivate"), json!({})).status().as_u16())
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut sorted = outcomes.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, [200, 409], "{outcomes:?}");
        let active = api.get_ok("/organizations/acme/users?state=active")["data"].as_array().unwrap().len();
        assert_eq!(active, 1);
    }

    fn roles_are_set_manually_with_events(app) {
        let scim = directory(&app, "acme");
        let api = api(&app);
        let id = scim.create_user("c@acme.test")["id"].as_str().unwrap().to_owned();
        let before = api.get_ok(&format!("/users/{id}"))["updated_at"].clone();
        let cursor = api.feed_end();
        let user = api.post_ok(&format!("/users/{id}/roles"), json!({"role": "admin"}));
        assert_ne!(user["updated_at"], before, "updated_since lists see role changes");
        let admin: Vec<&Value> = user["roles"].as_array().unwrap().iter().filter(|r| r["key"] == "admin").collect();
        assert_eq!(admin.len(), 1);
        assert_eq!(admin[0]["source"], "manual");
        assert_eq!(admin[0]["privileged"], true);
        let events = api.events_after(cursor);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0]["type"], "role.assigned");
        assert_eq!(events[0]["data"]["role"]["key"], "admin");
        assert_eq!(events[0]["data"]["source"], "manual");
        assert_eq!(events[0]["subject_type"], "user");

        let cursor = api.feed_end();
        api.post_ok(&format!("/users/{id}/roles"), json!({"role": "admin"}));
        assert!(api.events_after(cursor).is_empty(), "already held manually");

        let res = api.send(Method::DELETE, &format!("/users/{id}/roles/admin"), None);
        assert_eq!(res.status(), 200);
        let user: Value = res.json().unwrap();
        assert!(user["roles"].as_array().unwrap().iter().all(|r| r["key"] != "admin"));
        assert_eq!(api.types_after(cursor), ["role.unassigned"]);
        let cursor = api.feed_end();
        assert_eq!(api.send(Method::DELETE, &format!("/users/{id}/roles/admin"), None).status(), 200);
        assert!(api.events_after(cursor).is_empty(), "not held: nothing to remove");

        assert_eq!(api.post(&format!("/users/{id}/roles"), json!({"role": "nope"})).status(), 404);
        assert_eq!(api.post(&format!("/users/{id}/roles"), json!({})).status(), 422);
        // A role of another organization is unknown here.
        app.create_org("other");
        app.admin_post("/admin/v1/organizations/other/roles", json!({"key": "ops", "name": "Ops"}));
        assert_eq!(api.post(&format!("/users/{id}/roles"), json!({"role": "ops"})).status(), 404);
    }

    fn list_filters_and_lookups(app) {
        let scim = directory(&app, "acme");
        let api = api(&app);
        let mut ids = Vec::new();
        for i in 0..6 {
            let u: Value = scim.post("/Users", &scim_user(&format!("u{i}@acme.test"), &format!("ext-{i}"), i % 2 == 0)).json().unwrap();
            ids.push(u["id"].as_str().unwrap().to_owned());
        }
        let org = app.admin_get("/admin/v1/organizations/acme");
        let org_id = org["id"].as_str().unwrap();
        // By slug or id, every user, in id order.
        let all = api.get_ok("/organizations/acme/users");
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids_of(&all), sorted);
        assert_eq!(ids_of(&api.get_ok(&format!("/organizations/{org_id}/users"))), sorted);
        assert!(all["next_cursor"].is_null());

        let suspended = api.get_ok("/organizations/acme/users?state=suspended");
        assert_eq!(suspended["data"].as_array().unwrap().len(), 3);
        assert!(suspended["data"].as_array().unwrap().iter().all(|u| u["state"] == "suspended"));
        assert_eq!(api.get_ok("/organizations/acme/users?provisioned_by=scim")["data"].as_array().unwrap().len(), 6);
        assert_eq!(api.get_ok("/organizations/acme/users?provisioned_by=jit")["data"], json!([]));

        // Lookups: email (case-insensitive), SCIM externalId.
        assert_eq!(ids_of(&api.get_ok("/organizations/acme/users?email=U3@Acme.Test")), [ids[3].clone()]);
        assert_eq!(ids_of(&api.get_ok("/organizations/acme/users?external_id=ext-4")), [ids[4].clone()]);
        assert_eq!(api.get_ok("/organizations/acme/users?external_id=ext-99")["data"], json!([]));

        // updated_since: only users changed at or after the time.
        let t = api.get_ok(&format!("/users/{}", ids[5]))["updated_at"].as_str().unwrap().to_owned();
        std::thread::sleep(std::time::Duration::from_millis(5));
        api.post_ok(&format!("/users/{}/suspend", ids[0]), json!({}));
        let since = api.get_ok(&format!("/users/{}", ids[0]))["updated_at"].as_str().unwrap().to_owned();
        let page = api.get(&format!("/organizations/acme/users?updated_since={}", since.replace('+', "%2B"))).json::<Value>().unwrap();
        assert_eq!(ids_of(&page), [ids[0].clone()], "since {since} (older: {t})");

        // Bad input.
        for q in ["state=gone", "provisioned_by=x", "updated_since=yesterday", "cursor=%%%", "limit=0", "bogus=1"] {
            let status = api.get(&format!("/organizations/acme/users?{q}")).status();
            assert!(status == 422 || status == 400, "{q}: {status}");
        }
        assert_eq!(api.get("/organizations/nope/users").status(), 404);
    }

    fn cursor_pagination_neither_loses_nor_repeats_under_concurrent_updates(app) {
        let scim = directory(&app, "acme");
        let api = api(&app);
        let mut ids = Vec::new();
        for i in 0..23 {
            ids.push(scim.create_user(&format!("p{i}@acme.test"))["id"].as_str().unwrap().to_owned());
        }
        let stop = std::sync::atomic::AtomicBool::new(false);
        let seen = std::thread::scope(|s| {
            // A writer keeps changing users (state and version) while the reader pages.
            let writer = s.spawn(|| {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) || n < 10 {
                    let id = &ids[n % ids.len()];
                    let action = if n % 2 == 0 { "suspend" } else { "reactivate" };
                    let _ = api.post(&format!("/users/{id}/{action}"), json!({}));
                    n += 1;
                }
                n
            });
            let mut seen = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let path = match &cursor {
                    Some(c) => format!("/organizations/acme/users?limit=4&cursor={c}"),
                    None => "/organizations/acme/users?limit=4".to_owned(),
                };
                let page = api.get_ok(&path);
                seen.extend(ids_of(&page));
                match page["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_owned()),
                    None => break,
                }
            }
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
            assert!(writer.join().unwrap() >= 10);
            seen
        });
        assert_eq!(seen.len(), 23, "every user exactly once");
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 23);
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(seen, sorted);
    }

    fn reconciliation_answers_every_id_in_one_call(app) {
        let scim = directory(&app, "acme");
        let api = api(&app);
        let a = scim.create_user("r1@acme.test")["id"].as_str().unwrap().to_owned();
        let b = scim.create_user("r2@acme.test")["id"].as_str().unwrap().to_owned();
        api.post_ok(&format!("/users/{b}/suspend"), json!({}));
        let out = api.post_ok("/users/states", json!({"user_ids": [b, "missing", a]}));
        let data = out["data"].as_array().unwrap();
        assert_eq!(data.len(), 3);
        assert_eq!((data[0]["id"].as_str().unwrap(), data[0]["state"].as_str().unwrap()), (b.as_str(), "suspended"));
        assert_eq!(data[1], json!({"id": "missing", "state": "not_found"}));
        assert_eq!(data[2]["state"], "active");
        assert!(data[2]["state_changed_at"].is_string());
        assert_eq!(api.post_ok("/users/states", json!({"user_ids": []}))["data"], json!([]));

        let many: Vec<String> = (0..1001).map(|i| format!("id-{i}")).collect();
        let res = api.post("/users/states", json!({"user_ids": many}));
        assert_eq!(res.status(), 422);
        assert_eq!(res.json::<Value>().unwrap()["field"], "user_ids");
        let ok: Vec<String> = (0..1000).map(|i| format!("id-{i}")).collect();
        assert_eq!(api.post_ok("/users/states", json!({"user_ids": ok}))["data"].as_array().unwrap().len(), 1000);
    }

    fn events_about_a_user_carry_a_per_user_sequence(app) {
        let receiver = Receiver::start(0);
        let res = app.admin_post("/admin/v1/webhooks", json!({"url": format!("http://{}/", receiver.addr)}));
        assert_eq!(res.status(), 201);
        let scim = directory(&app, "acme");
        let api = api(&app);
        let x: Value = scim.post("/Users", &scim_user("x@acme.test", "ext-x", true)).json().unwrap();
        let x = x["id"].as_str().unwrap().to_owned();
        let y = scim.create_user("y@acme.test")["id"].as_str().unwrap().to_owned();
        for id in [&x, &y, &x] {
            api.post_ok(&format!("/users/{id}/suspend"), json!({}));
            api.post_ok(&format!("/users/{id}/reactivate"), json!({}));
        }
        api.post_ok(&format!("/users/{x}/roles"), json!({"role": "admin"}));

        let events = api.events_after(0);
        let seqs = |id: &str| -> Vec<i64> {
            events.iter().filter(|e| e["subject_type"] == "user" && e["subject_id"] == id)
                .map(|e| e["user_seq"].as_i64().unwrap()).collect()
        };
        // x: created, identity.linked, 2×(suspended, reactivated), role.assigned.
        assert_eq!(seqs(&x), (1..=7).collect::<Vec<_>>());
        assert_eq!(seqs(&y), (1..=3).collect::<Vec<_>>());
        assert!(events.iter().filter(|e| e["subject_type"] != "user").all(|e| e.get("user_seq").is_none()));

        // Webhook payloads carry it too.
        let got = receiver.wait_for("x's events", |r| {
            r.iter().filter(|d| d.json()["subject_id"] == x.as_str()).count() >= 7
        });
        let delivered: Vec<(String, i64)> = got.iter().map(|d| d.json())
            .filter(|e| e["subject_id"] == x.as_str())
            .map(|e| (e["type"].as_str().unwrap().to_owned(), e["user_seq"].as_i64().unwrap()))
            .collect();
        assert_eq!(delivered.len(), 7);
        assert_eq!(delivered[6], ("role.assigned".to_owned(), 7));
    }

    fn user_seq_follows_commit_order_under_concurrent_writers(app) {
        let scim = directory(&app, "acme");
        let api = api(&app);
        let id = scim.create_user("z@acme.test")["id"].as_str().unwrap().to_owned();
        for i in 0..8 {
            let res = app.admin_post("/admin/v1/organizations/acme/roles", json!({"key": format!("r{i}"), "name": format!("R{i}")}));
            assert_eq!(res.status(), 201);
        }
        std::thread::scope(|s| {
            for i in 0..8 {
                let (api, id) = (&api, &id);
                s.spawn(move || api.post_ok(&format!("/users/{id}/roles"), json!({"role": format!("r{i}")})));
            }
        });
        let events: Vec<Value> = api.events_after(0).into_iter().filter(|e| e["subject_id"] == id.as_str()).collect();
        // Feed order is commit order; the user's own numbers follow it without gaps.
        let seqs: Vec<i64> = events.iter().map(|e| e["user_seq"].as_i64().unwrap()).collect();
        assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>(), "{events:?}");
        assert_eq!(events.iter().filter(|e| e["type"] == "role.assigned").count(), 8);
    }
}
