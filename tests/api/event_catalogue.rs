//! The payload of every event type the code knows (`EventType::ALL`), pinned with insta
//! (`tests/api/snapshots/<type>.snap`, `.` written `_`): one scenario over real HTTP makes
//! the server emit each type at least once, and the `data` of the first event of each type
//! is snapshotted with ids and times redacted (`event_snapshots::redact`, plus [`pin`]'s
//! two extras for what only these payloads carry). A type the scenario does not reach fails
//! the test, so a new event type comes with its snapshot (or an entry in `UNREACHABLE`).
//! The `user.*` types are pinned per writer by `event_snapshots.rs`; here they are only
//! checked as seen.

use std::collections::{BTreeMap, BTreeSet};

use provisiond::domain::EventType;
use reqwest::blocking::Response;
use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::event_snapshots::redact;
use crate::lifecycle_support::{api, patch_org};
use crate::scim_support::directory;
use crate::sso_support::setup;
use crate::support::idp::Login;
use crate::support::receiver::Receiver;

/// Event types no HTTP scenario can make the server emit, each with why. Empty: every type
/// is reached.
const UNREACHABLE: &[(&str, &str)] = &[];

/// `data` as pinned: [`redact`], and also the payload's own ids (`id` keys; not `*_id`,
/// where `sp_entity_id` is a whole URL) where a string embeds them (a connection's
/// `acs_url` and `metadata_url` end in its id) and event sequence numbers
/// (`*_seq`: where a delivery's event falls in the scenario, not part of the shape).
fn pin(data: &Value) -> Value {
    fn ids(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    match v {
                        Value::String(s) if k == "id" => out.push(s.clone()),
                        _ => ids(v, out),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|v| ids(v, out)),
            _ => {}
        }
    }
    fn walk(v: &Value, ids: &[String]) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| {
                        let r = match v {
                            Value::Number(_) if k.ends_with("_seq") => json!("[seq]"),
                            _ => walk(v, ids),
                        };
                        (k.clone(), r)
                    })
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(|v| walk(v, ids)).collect()),
            Value::String(s) => Value::String(
                ids.iter()
                    .fold(s.clone(), |s, id| s.replace(id.as_str(), "[id]")),
            ),
            other => other.clone(),
        }
    }
    let mut found = Vec::new();
    ids(data, &mut found);
    // Longest first, so an id that contains another is replaced whole.
    found.sort_by_key(|s| std::cmp::Reverse(s.len()));
    found.retain(|s| !s.is_empty());
    walk(&redact(data), &found)
}

/// The JSON of `res`, after checking its status.
fn expect(res: Response, status: u16, what: &str) -> Value {
    let got = res.status().as_u16();
    let text = res.text().unwrap();
    assert_eq!(got, status, "{what}: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

backend_tests! {
    fn every_event_type_has_one_pinned_payload(app) {
        let del = |path: &str| app.admin(Method::DELETE, path).send().unwrap();
        let patch = |path: &str, body: Value| app.admin(Method::PATCH, path).json(&body).send().unwrap();
        let org = "/admin/v1/organizations/acme";

        // organization.created, role.created, domain.verified, redirect_uri.added,
        // connection.created, api_key.created.
        let sso = setup(&app, "acme", json!({}), &[("contractor", false)], json!({}));

        // organization.updated; organization.deleted on a second one.
        patch_org(&app, "acme", json!({"max_seats": 50}));
        app.create_org("gone");
        assert_eq!(del("/admin/v1/organizations/gone").status(), 204);

        // domain.added, domain.deleted; a second domain.verified, from the verify route (the
        // first came from creating a domain verified: the two writers differ, see below).
        expect(app.admin_post(&format!("{org}/domains"), json!({"domain": "other.example"})), 201, "domain");
        expect(app.admin_post(&format!("{org}/domains/other.example/verify"), json!({"verified": true})), 200, "verify");
        assert_eq!(del(&format!("{org}/domains/other.example")).status(), 204);

        // role.updated, role.deleted.
        expect(patch(&format!("{org}/roles/contractor"), json!({"name": "Contractor"})), 200, "role");
        expect(app.admin_post(&format!("{org}/roles"), json!({"key": "temp", "name": "Temp"})), 201, "role");
        assert_eq!(del(&format!("{org}/roles/temp")).status(), 204);

        // api_key.revoked.
        let key = expect(app.admin_post("/admin/v1/api-keys", json!({"name": "old"})), 201, "key");
        expect(del(&format!("/admin/v1/api-keys/{}", key["id"].as_str().unwrap())), 200, "revoke");

        // redirect_uri.removed.
        let uri = expect(app.admin_post("/admin/v1/redirect-uris", json!({"uri": "https://app.example/old"})), 201, "uri");
        assert_eq!(del(&format!("/admin/v1/redirect-uris/{}", uri["id"].as_str().unwrap())).status(), 204);

        // scim_directory.created, scim_token.created, scim_token.revoked.
        let scim = directory(&app, "acme");
        let dir = format!("{org}/scim-directories/{}", scim.directory["id"].as_str().unwrap());
        let token = expect(app.admin_post(&format!("{dir}/tokens"), json!({})), 201, "token");
        let token_id = token["id"].as_str().unwrap().to_owned();
        assert_eq!(del(&format!("{dir}/tokens/{token_id}")).status(), 204);

        // SCIM: user.created, identity.linked, group.created, group.member_added,
        // group.updated, group.member_removed, group.deleted.
        let bob = scim.create_user(&sso.email("bob"))["id"].as_str().unwrap().to_owned();
        let group = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Engineering",
        });
        let g = expect(scim.post("/Groups", &group), 201, "group");
        let group_path = format!("/Groups/{}", g["id"].as_str().unwrap());
        let members = |op: &str| json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": op, "path": "members", "value": [{"value": bob}]}],
        });
        assert_eq!(scim.patch(&group_path, &members("add")).status(), 204);
        let rename = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "displayName", "value": "Platform"}],
        });
        assert!(scim.patch(&group_path, &rename).status().is_success());
        let remove = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "remove", "path": format!("members[value eq \"{bob}\"]")}],
        });
        assert!(scim.patch(&group_path, &remove).status().is_success());
        assert_eq!(scim.delete(&group_path).status(), 204);

        // The app API: role.assigned, role.unassigned.
        let app_api = api(&app);
        app_api.post_ok(&format!("/users/{bob}/roles"), json!({"role": "contractor"}));
        expect(app_api.send(Method::DELETE, &format!("/users/{bob}/roles/contractor"), None), 200, "unassign");

        // Invitations: invitation.created, invitation.accepted (the invitee's first login),
        // invitation.revoked.
        expect(app.admin_post(&format!("{org}/invitations"),
            json!({"email": "cory@outside.example", "role": "contractor"})), 201, "invite");
        sso.login(&Login::new("nid-cory", "cory@outside.example"));
        let inv = expect(app.admin_post(&format!("{org}/invitations"), json!({"email": "dan@outside.example"})), 201, "invite");
        expect(del(&format!("{org}/invitations/{}", inv["id"].as_str().unwrap())), 200, "revoke");

        // JIT: user.login; sso.failed from a replayed IdP-initiated Response.
        sso.login(&sso.person("alice"));
        let b64 = sso.person("erin").response_b64(&sso.acs_url, &sso.sp_entity_id);
        sso.post_raw(&b64, Some("dashboard")).code();
        sso.post_raw(&b64, None);

        // app API lifecycle: user.suspended, user.reactivated, user.updated (SCIM),
        // user.deprovisioned.
        for action in ["suspend", "reactivate"] {
            app_api.post_ok(&format!("/users/{bob}/{action}"), json!({}));
        }
        let bob_path = format!("/Users/{bob}");
        let rename = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "displayName", "value": "Bob B."}],
        });
        assert_eq!(scim.patch(&bob_path, &rename).status(), 200);
        app_api.post_ok(&format!("/users/{bob}/deprovision"), json!({}));

        // connection.updated, connection.deleted.
        let conn = format!("{org}/saml-connections/{}", sso.connection_id);
        expect(patch(&conn, json!({"default_redirect_uri": null})), 200, "connection");
        assert_eq!(del(&conn).status(), 204);

        // webhook_endpoint.*: one endpoint at a fixed address (its payloads are pinned) that
        // listens for a type nothing emits after it; another at a live receiver, for a
        // delivery to requeue (webhook_delivery.requeued).
        let hook = expect(app.admin_post("/admin/v1/webhooks", json!({
            "url": "https://hooks.example.com/provisiond",
            "description": "pinned",
            "event_types": ["organization.deleted"],
        })), 201, "webhook");
        let hook = format!("/admin/v1/webhooks/{}", hook["id"].as_str().unwrap());
        expect(patch(&hook, json!({"description": "renamed", "enabled": false})), 200, "webhook");
        expect(app.admin_post(&format!("{hook}/rotate-secret"), json!({})), 200, "rotate");
        assert_eq!(del(&hook).status(), 204);
        let receiver = Receiver::start(0);
        let live = expect(app.admin_post("/admin/v1/webhooks", json!({
            "url": receiver.url(), "organization": "acme", "event_types": ["role.created"],
        })), 201, "webhook");
        let live = format!("/admin/v1/webhooks/{}", live["id"].as_str().unwrap());
        expect(app.admin_post(&format!("{org}/roles"), json!({"key": "late", "name": "Late"})), 201, "role");
        receiver.wait_for("the role", |r| !r.is_empty());
        let log = app.admin_get(&format!("{live}/deliveries"));
        let delivery = log["data"][0]["id"].as_str().unwrap().to_owned();
        expect(app.admin_post(&format!("{live}/deliveries/{delivery}/redeliver"), json!({})), 200, "redeliver");
        receiver.wait_for("the redelivery", |r| r.len() >= 2);

        // The first event of each type, pinned; every type the code knows seen.
        let mut first: BTreeMap<String, Value> = BTreeMap::new();
        for e in app.events() {
            first.entry(e["type"].as_str().unwrap().to_owned()).or_insert(e);
        }
        let unreachable: BTreeSet<&str> = UNREACHABLE.iter().map(|(t, _)| *t).collect();
        let expected: BTreeSet<&str> = EventType::ALL.iter().map(|t| t.as_str()).filter(|t| !unreachable.contains(t)).collect();
        let seen: BTreeSet<&str> = first.keys().map(String::as_str).collect();
        let missing: Vec<_> = expected.difference(&seen).collect();
        let unknown: Vec<_> = seen.difference(&expected).collect();
        assert!(missing.is_empty(), "the scenario emits no {missing:?}");
        assert!(unknown.is_empty(), "events of types EventType does not list, or listed UNREACHABLE: {unknown:?}");
        for (t, e) in &first {
            if t.starts_with("user.") {
                continue;
            }
            // One file per type, shared by both backends (no module prefix).
            insta::with_settings!({ prepend_module_to_snapshot => false }, {
                insta::assert_json_snapshot!(t.replace('.', "_"), pin(&e["data"]));
            });
        }
        // domain.verified has two writers with two shapes today: creating a domain with
        // `verified: true` sends `verified`, the verify route sends `method`. Both pinned.
        let verified: Vec<Value> = app.events().into_iter().filter(|e| e["type"] == "domain.verified").collect();
        assert_eq!(verified.len(), 2, "{verified:?}");
        insta::with_settings!({ prepend_module_to_snapshot => false }, {
            insta::assert_json_snapshot!("domain_verified__verify_route", pin(&verified[1]["data"]));
        });
    }
}
