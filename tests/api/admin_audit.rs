//! Every admin write leaves an audit entry (who, with which key, in which request) and an
//! event of the same type. The test walks every write route the admin API registers —
//! the list comes from the code (`provisiond::http::routes::table`), so a write route
//! added without a step here fails the test — and checks each request's audit entry by
//! its `X-Request-Id`. Secrets shown once (keys, tokens, webhook secrets) never reach the
//! audit trail or the event log.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::saml_support::{fixture, OKTA};
use crate::support::receiver::Receiver;
use crate::support::TestApp;

/// Walks the write routes, remembering which route patterns were exercised.
struct Walk<'a> {
    app: &'a TestApp,
    covered: BTreeSet<(String, String)>,
    secrets: Vec<String>,
    step: usize,
}

impl Walk<'_> {
    /// Sends one admin write with its own request id, expects a 2xx answer, and checks the
    /// audit entry of that request (action `action`, an admin key as actor) and the event.
    fn write(
        &mut self,
        method: Method,
        pattern: &str,
        path: &str,
        body: Option<Value>,
        action: &str,
    ) -> Value {
        self.step += 1;
        let request_id = format!("audit-walk-{}", self.step);
        let mut req = self
            .app
            .admin(method.clone(), path)
            .header("x-request-id", &request_id);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().unwrap();
        let status = res.status();
        let text = res.text().unwrap();
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);

        let audit = self.app.admin_get("/admin/v1/audit-entries?limit=1000");
        let entries: Vec<&Value> = audit["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["request_id"] == request_id.as_str())
            .collect();
        let entry = entries
            .iter()
            .find(|e| e["action"] == action)
            .unwrap_or_else(|| {
                panic!(
                    "{method} {path}: no audit entry `{action}` for its request; got {entries:?}"
                )
            });
        assert!(
            entry["actor"].as_str().unwrap().starts_with("admin_key:"),
            "{method} {path}: {entry}"
        );
        let target = entry["target_id"].as_str().unwrap();
        assert!(!target.is_empty(), "{method} {path}: {entry}");
        let events = self.app.events();
        assert!(
            events
                .iter()
                .any(|e| e["type"] == action && e["subject_id"] == target),
            "{method} {path}: no event `{action}` about {target}"
        );
        self.covered
            .insert((method.to_string(), pattern.to_owned()));
        answer
    }

    /// Remembers a secret the API showed once, to check it was never recorded.
    fn secret(&mut self, v: &Value) {
        let s = v
            .as_str()
            .unwrap_or_else(|| panic!("expected a secret, got {v}"));
        self.secrets.push(s.to_owned());
    }
}

fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_owned()
}

/// The admin routes that change something, as `(METHOD, pattern)`.
fn write_routes() -> BTreeSet<(String, String)> {
    provisiond::http::routes::table()
        .into_iter()
        .filter(|r| r.path.starts_with("/admin/v1/"))
        .filter(|r| !matches!(r.method.as_str(), "GET" | "HEAD"))
        .map(|r| (r.method.to_string(), r.path.to_owned()))
        .collect()
}

backend_tests! {
    fn every_admin_write_is_audited(app) {
        let receiver = Receiver::start(0);
        let mut w = Walk { app: &app, covered: BTreeSet::new(), secrets: Vec::new(), step: 0 };
        let p = "/admin/v1";

        // Organizations.
        let org = w.write(Method::POST, &format!("{p}/organizations"), &format!("{p}/organizations"),
            Some(json!({"name": "Acme", "slug": "acme"})), "organization.created");
        let org_pat = format!("{p}/organizations/{{org}}");
        w.write(Method::PATCH, &org_pat, &format!("{p}/organizations/acme"),
            Some(json!({"max_seats": 50})), "organization.updated");

        // Domains.
        let dom = w.write(Method::POST, &format!("{org_pat}/domains"), &format!("{p}/organizations/acme/domains"),
            Some(json!({"domain": "acme.test"})), "domain.added");
        let dom_path = format!("{p}/organizations/acme/domains/{}", id(&dom));
        w.write(Method::POST, &format!("{org_pat}/domains/{{domain}}/verify"), &format!("{dom_path}/verify"),
            Some(json!({"verified": true})), "domain.verified");
        w.write(Method::DELETE, &format!("{org_pat}/domains/{{domain}}"), &dom_path, None, "domain.deleted");

        // Roles.
        w.write(Method::POST, &format!("{org_pat}/roles"), &format!("{p}/organizations/acme/roles"),
            Some(json!({"key": "billing", "name": "Billing"})), "role.created");
        let role_pat = format!("{org_pat}/roles/{{role}}");
        w.write(Method::PATCH, &role_pat, &format!("{p}/organizations/acme/roles/billing"),
            Some(json!({"name": "Billing team"})), "role.updated");
        w.write(Method::DELETE, &role_pat, &format!("{p}/organizations/acme/roles/billing"), None, "role.deleted");

        // SCIM directories and their tokens.
        let dirs = format!("{org_pat}/scim-directories");
        let dir = w.write(Method::POST, &dirs, &format!("{p}/organizations/acme/scim-directories"),
            Some(json!({"name": "Okta"})), "scim_directory.created");
        w.secret(&dir["token"]);
        let dir_path = format!("{p}/organizations/acme/scim-directories/{}", id(&dir));
        let token = w.write(Method::POST, &format!("{dirs}/{{dir}}/tokens"), &format!("{dir_path}/tokens"),
            None, "scim_token.created");
        w.secret(&token["token"]);
        w.write(Method::DELETE, &format!("{dirs}/{{dir}}/tokens/{{token}}"),
            &format!("{dir_path}/tokens/{}", id(&token)), None, "scim_token.revoked");

        // The login redirect allow-list.
        let uri = w.write(Method::POST, &format!("{p}/redirect-uris"), &format!("{p}/redirect-uris"),
            Some(json!({"uri": "https://app.example.com/sso/callback"})), "redirect_uri.added");

        // SAML connections (certificates are set through them).
        let conns = format!("{org_pat}/saml-connections");
        let conn = w.write(Method::POST, &conns, &format!("{p}/organizations/acme/saml-connections"),
            Some(json!({
                "idp_entity_id": OKTA,
                "idp_sso_url": "https://example.okta.com/app/x/sso/saml",
                "idp_certificates": [fixture("keys/idp-rsa.crt")],
                "default_redirect_uri": "https://app.example.com/sso/callback",
            })), "connection.created");
        let conn_path = format!("{p}/organizations/acme/saml-connections/{}", id(&conn));
        w.write(Method::PATCH, &format!("{conns}/{{connection}}"), &conn_path,
            Some(json!({"idp_certificates": [fixture("keys/idp-rsa.crt"), fixture("keys/idp-ec.crt")]})),
            "connection.updated");
        w.write(Method::DELETE, &format!("{conns}/{{connection}}"), &conn_path, None, "connection.deleted");
        w.write(Method::DELETE, &format!("{p}/redirect-uris/{{id}}"), &format!("{p}/redirect-uris/{}", id(&uri)),
            None, "redirect_uri.removed");

        // Invitations.
        let invs = format!("{org_pat}/invitations");
        let inv = w.write(Method::POST, &invs, &format!("{p}/organizations/acme/invitations"),
            Some(json!({"email": "guest@outside.example"})), "invitation.created");
        w.write(Method::DELETE, &format!("{invs}/{{id}}"), &format!("{p}/organizations/acme/invitations/{}", id(&inv)),
            None, "invitation.revoked");

        // API keys.
        let key = w.write(Method::POST, &format!("{p}/api-keys"), &format!("{p}/api-keys"),
            Some(json!({"name": "backend", "kind": "app"})), "api_key.created");
        w.secret(&key["key"]);
        w.write(Method::DELETE, &format!("{p}/api-keys/{{id}}"), &format!("{p}/api-keys/{}", id(&key)),
            None, "api_key.revoked");

        // Webhooks: an endpoint, a delivery to a real receiver, its redelivery.
        let hooks = format!("{p}/webhooks");
        let hook = w.write(Method::POST, &hooks, &hooks,
            Some(json!({"url": receiver.url(), "event_types": ["role.created"]})), "webhook_endpoint.created");
        w.secret(&hook["secret"]);
        let hook_path = format!("{hooks}/{}", id(&hook));
        w.write(Method::PATCH, &format!("{hooks}/{{id}}"), &hook_path,
            Some(json!({"description": "audit test"})), "webhook_endpoint.updated");
        let rotated = w.write(Method::POST, &format!("{hooks}/{{id}}/rotate-secret"), &format!("{hook_path}/rotate-secret"),
            None, "webhook_endpoint.secret_rotated");
        w.secret(&rotated["secret"]);
        let res = app.admin_post(&format!("{p}/organizations/acme/roles"), json!({"key": "ops", "name": "Ops"}));
        assert_eq!(res.status(), 201);
        receiver.wait_for("the role event", |r| !r.is_empty());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let delivery = loop {
            assert!(std::time::Instant::now() < deadline, "the delivery was never recorded as succeeded");
            // The receiver can see the delivery a moment before the worker records it.
            let log = app.admin_get(&format!("{hook_path}/deliveries"));
            if let Some(d) = log["data"].as_array().unwrap().iter().find(|d| d["status"] == "succeeded") {
                break id(d);
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        w.write(Method::POST, &format!("{hooks}/{{id}}/deliveries/{{delivery}}/redeliver"),
            &format!("{hook_path}/deliveries/{delivery}/redeliver"), None, "webhook_delivery.requeued");
        w.write(Method::DELETE, &format!("{hooks}/{{id}}"), &hook_path, None, "webhook_endpoint.deleted");

        // Last: the organization itself.
        w.write(Method::DELETE, &org_pat, &format!("{p}/organizations/{}", id(&org)), None, "organization.deleted");

        let routes = write_routes();
        let missing: Vec<_> = routes.difference(&w.covered).collect();
        assert!(missing.is_empty(),
            "admin write routes this test does not walk (add a step checking their audit entry): {missing:?}");
        let unknown: Vec<_> = w.covered.difference(&routes).collect();
        assert!(unknown.is_empty(), "steps for routes the admin API does not register: {unknown:?}");

        // Secrets shown once are in neither the audit trail nor the event log.
        let audit = app.admin_get("/admin/v1/audit-entries?limit=1000").to_string();
        let events = serde_json::to_string(&app.events()).unwrap();
        for s in &w.secrets {
            assert!(!audit.contains(s.as_str()), "a secret reached the audit trail");
            assert!(!events.contains(s.as_str()), "a secret reached the event log");
        }
    }
}

/// The route table is the one the server mounts: every write route it lists answers
/// something other than 404/405 (here 401, without a key).
#[test]
fn route_table_matches_the_mounted_routes() {
    let app = TestApp::builder(crate::support::Backend::Sqlite)
        .start()
        .unwrap();
    let routes = write_routes();
    assert!(routes.len() >= 26, "{routes:?}");
    for (method, pattern) in routes {
        let path = pattern.replace(['{', '}'], "x");
        let res = app
            .client
            .request(
                Method::from_bytes(method.as_bytes()).unwrap(),
                app.url(&path),
            )
            .send()
            .unwrap();
        assert_eq!(res.status(), 401, "{method} {path}");
    }
}
