//! API keys: shown once, listed without secrets, revoked idempotently, and the last admin
//! key cannot be revoked.

use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;

backend_tests! {
    fn keys_are_shown_once_and_revocable(app) {
        let res = app.admin_post("/admin/v1/api-keys", json!({"name": "web backend"}));
        assert_eq!(res.status(), 201);
        let created: Value = res.json().unwrap();
        let key = created["key"].as_str().unwrap();
        assert!(key.starts_with("pvd_app_"));
        assert!(key.len() > 40);

        let list = app.admin_get("/admin/v1/api-keys");
        let text = list.to_string();
        assert!(!text.contains(key), "a listed key must not reveal its secret");
        let listed = list["data"].as_array().unwrap().iter().find(|k| k["id"] == created["id"]).unwrap();
        assert_eq!(listed["revoked"], false);
        assert_eq!(listed["prefix"].as_str().unwrap(), &key[..14]);

        let path = format!("/admin/v1/api-keys/{}", created["id"].as_str().unwrap());
        let res = app.admin(Method::DELETE, &path).send().unwrap();
        assert_eq!(res.json::<Value>().unwrap()["revoked"], true);
        let res = app.admin(Method::DELETE, &path).send().unwrap();
        assert_eq!(res.status(), 200, "revoking twice is harmless");
        let res = app.admin(Method::DELETE, "/admin/v1/api-keys/does-not-exist").send().unwrap();
        assert_eq!(res.status(), 404);
        let types: Vec<Value> = app.events().iter().map(|e| e["type"].clone()).collect();
        assert_eq!(types.iter().filter(|t| *t == "api_key.revoked").count(), 1);
    }

    fn the_last_admin_key_cannot_be_revoked(app) {
        let list = app.admin_get("/admin/v1/api-keys");
        let bootstrap = list["data"].as_array().unwrap().iter().find(|k| k["kind"] == "admin").unwrap().clone();
        let res = app.admin(Method::DELETE, &format!("/admin/v1/api-keys/{}", bootstrap["id"].as_str().unwrap())).send().unwrap();
        assert_eq!(res.status(), 409);
        // The bootstrap key still works.
        app.admin_get("/admin/v1/api-keys");
    }
}
