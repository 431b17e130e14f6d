//! The payload of every `user.*` event, per writer, pinned with insta (`tests/api/snapshots/`):
//! driven over HTTP through the real code paths — JIT login, SCIM, the app API, invitations,
//! the inactivity policy — with ids and times redacted. A snapshot change is a change apps
//! see: list it in docs/lifecycle.md under "Changes". Review with `cargo insta review`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;
use reqwest::Method;
use serde_json::{json, Map, Value};

use crate::backend_tests_with_clock;
use crate::lifecycle_support::{api, patch_org};
use crate::scim_support::directory;
use crate::sso_support::setup;

/// `data` with every id (`id`, `*_id`) and time (`*_at`) replaced by a placeholder.
pub fn redact(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let r = match v {
                        Value::String(_) if k == "id" || k.ends_with("_id") => json!("[id]"),
                        Value::String(_) if k.ends_with("_at") => json!("[time]"),
                        _ => redact(v),
                    };
                    (k.clone(), r)
                })
                .collect::<Map<_, _>>(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(redact).collect()),
        other => other.clone(),
    }
}

fn patch_active(active: bool) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": active}}],
    })
}

backend_tests_with_clock! {
    fn every_user_event_has_one_pinned_payload_per_writer(app, clock) {
        let sso = setup(&app, "acme", json!({}), &[], json!({}));
        let snap = |name: &str, event_type: &str, nth: usize| {
            let events = sso.events(event_type);
            let e = events.get(nth).unwrap_or_else(|| panic!("no {event_type} #{nth}: {events:?}"));
            // One file per payload, shared by both backends (no module prefix).
            insta::with_settings!({ prepend_module_to_snapshot => false }, {
                insta::assert_json_snapshot!(name, redact(&e["data"]));
            });
        };

        // JIT: first login creates, a second one with a new surname syncs.
        sso.login(&sso.person("alice"));
        sso.login(&sso.person("alice").attr("lastName", &["Married"]));
        snap("user_created__jit", "user.created", 0);
        snap("user_login__jit", "user.login", 0);
        snap("user_updated__jit", "user.updated", 0);

        // SCIM: create, suspend, reactivate, update, delete.
        let scim = directory(&app, "acme");
        let bob = scim.create_user(&sso.email("bob"));
        let bob_path = format!("/Users/{}", bob["id"].as_str().unwrap());
        assert_eq!(scim.patch(&bob_path, &patch_active(false)).status(), 200);
        assert_eq!(scim.patch(&bob_path, &patch_active(true)).status(), 200);
        let rename = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "displayName", "value": "Bob B."}],
        });
        assert_eq!(scim.patch(&bob_path, &rename).status(), 200);
        assert_eq!(scim.delete(&bob_path).status(), 204);
        snap("user_created__scim", "user.created", 1);
        snap("user_suspended__scim", "user.suspended", 0);
        snap("user_reactivated__scim", "user.reactivated", 0);
        snap("user_updated__scim", "user.updated", 1);
        snap("user_deprovisioned__scim", "user.deprovisioned", 0);

        // The app API: suspend, reactivate, deprovision alice.
        let app_api = api(&app);
        let alice = sso.events("user.created")[0]["subject_id"].as_str().unwrap().to_owned();
        for action in ["suspend", "reactivate", "deprovision"] {
            app_api.post_ok(&format!("/users/{alice}/{action}"), json!({"reason": "offboarded"}));
        }
        snap("user_suspended__app", "user.suspended", 1);
        snap("user_reactivated__app", "user.reactivated", 1);
        snap("user_deprovisioned__app", "user.deprovisioned", 1);

        // Invitations: create, then revoke.
        let res = app.admin_post("/admin/v1/organizations/acme/invitations", json!({"email": "cory@outside.example"}));
        assert_eq!(res.status(), 201);
        let inv: Value = res.json().unwrap();
        let path = format!("/admin/v1/organizations/acme/invitations/{}", inv["id"].as_str().unwrap());
        assert_eq!(app.admin(Method::DELETE, &path).send().unwrap().status(), 200);
        snap("user_created__invite", "user.created", 2);
        snap("user_deprovisioned__invitation", "user.deprovisioned", 2);

        // The inactivity policy: dave logs in, goes quiet, is suspended, later deprovisioned.
        sso.login(&sso.person("dave"));
        patch_org(&app, "acme", json!({"inactivity_suspend_days": 30, "inactivity_deprovision_days": 10}));
        clock.advance(Duration::days(31));
        let run = "/organizations/acme/inactivity/run";
        app_api.post_ok(run, json!({}));
        clock.advance(Duration::days(11));
        app_api.post_ok(run, json!({}));
        snap("user_suspended__inactivity", "user.suspended", 2);
        snap("user_deprovisioned__inactivity", "user.deprovisioned", 3);

        // Whoever wrote them, the events of one type have one shape (the same keys).
        let mut shapes: BTreeMap<String, BTreeSet<Vec<String>>> = BTreeMap::new();
        for e in app.events() {
            let t = e["type"].as_str().unwrap();
            if !t.starts_with("user.") {
                continue;
            }
            let data = e["data"].as_object().unwrap();
            let mut keys: Vec<String> = data.keys().cloned().collect();
            keys.extend(data["user"].as_object().unwrap().keys().map(|k| format!("user.{k}")));
            keys.sort();
            shapes.entry(t.to_owned()).or_default().insert(keys);
        }
        assert_eq!(shapes.len(), 6, "{shapes:?}");
        for (t, s) in &shapes {
            assert_eq!(s.len(), 1, "{t} goes out in several shapes: {s:?}");
        }
    }
}
