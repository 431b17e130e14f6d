//! Admin authentication: missing, malformed, unknown, app-kind and revoked keys are 401.

use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;

fn assert_401(res: reqwest::blocking::Response) {
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    let body: Value = res.json().unwrap();
    assert_eq!(body["error"], "unauthorized");
}

backend_tests! {
    fn admin_routes_require_an_admin_key(app) {
        assert_401(app.get("/admin/v1/organizations").send().unwrap());
        assert_401(app.get("/admin/v1/organizations").header("authorization", "Basic abc").send().unwrap());
        assert_401(app.get("/admin/v1/organizations").bearer_auth("not-a-key").send().unwrap());

        // An app key is a valid key, but not for the admin API.
        let res = app.admin_post("/admin/v1/api-keys", json!({"name": "backend"}));
        assert_eq!(res.status(), 201);
        let app_key: Value = res.json().unwrap();
        assert_eq!(app_key["kind"], "app");
        let key = app_key["key"].as_str().unwrap();
        assert_401(app.get("/admin/v1/organizations").bearer_auth(key).send().unwrap());
    }

    fn revoked_admin_keys_stop_working(app) {
        let res = app.admin_post("/admin/v1/api-keys", json!({"name": "ops", "kind": "admin"}));
        assert_eq!(res.status(), 201);
        let created: Value = res.json().unwrap();
        let key = created["key"].as_str().unwrap().to_owned();
        let id = created["id"].as_str().unwrap();
        let res = app.client.get(app.url("/admin/v1/organizations")).bearer_auth(&key).send().unwrap();
        assert_eq!(res.status(), 200);

        let res = app.admin(Method::DELETE, &format!("/admin/v1/api-keys/{id}")).send().unwrap();
        assert_eq!(res.status(), 200);
        assert_401(app.client.get(app.url("/admin/v1/organizations")).bearer_auth(&key).send().unwrap());
    }

    fn changes_record_which_key_acted(app) {
        let res = app.admin_post("/admin/v1/api-keys", json!({"name": "second", "kind": "admin"}));
        let second: Value = res.json().unwrap();
        let res = app
            .client
            .post(app.url("/admin/v1/organizations"))
            .bearer_auth(second["key"].as_str().unwrap())
            .header("x-request-id", "req-42")
            .json(&json!({"name": "Acme", "slug": "acme"}))
            .send()
            .unwrap();
        assert_eq!(res.status(), 201);
        let actor = format!("admin_key:{}", second["id"].as_str().unwrap());
        let events = app.events();
        let created = events.iter().find(|e| e["type"] == "organization.created").unwrap();
        assert_eq!(created["actor"], actor.as_str());
        let audit = app.admin_get("/admin/v1/audit-entries");
        let entry = audit["data"].as_array().unwrap().iter().find(|a| a["action"] == "organization.created").unwrap();
        assert_eq!(entry["actor"], actor.as_str());
        assert_eq!(entry["request_id"], "req-42");
    }
}
