//! Organizations: create with defaults and built-in roles, read by id or slug, list,
//! update JIT settings (including clearing max_seats), delete; each change an event.

use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;

backend_tests! {
    fn organization_lifecycle(app) {
        let org = app.create_org("acme");
        assert_eq!(org["slug"], "acme");
        assert_eq!(org["jit_enabled"], true);
        assert_eq!(org["sync_attributes_on_login"], true);
        assert_eq!(org["default_role"], "member");
        assert_eq!(org["max_seats"], Value::Null);
        assert_eq!(org["allow_privileged_from_idp"], false);
        let id = org["id"].as_str().unwrap();

        assert_eq!(app.admin_get(&format!("/admin/v1/organizations/{id}"))["slug"], "acme");
        assert_eq!(app.admin_get("/admin/v1/organizations/acme")["id"], id);

        let roles = app.admin_get("/admin/v1/organizations/acme/roles");
        let roles: Vec<(String, bool)> = roles["data"].as_array().unwrap().iter()
            .map(|r| (r["key"].as_str().unwrap().to_owned(), r["privileged"].as_bool().unwrap()))
            .collect();
        assert_eq!(roles, vec![("admin".to_owned(), true), ("member".to_owned(), false)]);

        let res = app.admin(Method::PATCH, "/admin/v1/organizations/acme")
            .json(&json!({"jit_enabled": false, "max_seats": 25, "name": "Acme Inc"}))
            .send().unwrap();
        assert_eq!(res.status(), 200);
        let updated: Value = res.json().unwrap();
        assert_eq!(updated["jit_enabled"], false);
        assert_eq!(updated["max_seats"], 25);
        assert_eq!(updated["name"], "Acme Inc");
        assert_eq!(updated["created_at"], org["created_at"]);

        // Absent leaves a setting alone; null clears it.
        let res = app.admin(Method::PATCH, "/admin/v1/organizations/acme")
            .json(&json!({"sync_attributes_on_login": false})).send().unwrap();
        assert_eq!(res.json::<Value>().unwrap()["max_seats"], 25);
        let res = app.admin(Method::PATCH, "/admin/v1/organizations/acme")
            .json(&json!({"max_seats": null})).send().unwrap();
        assert_eq!(res.json::<Value>().unwrap()["max_seats"], Value::Null);

        app.create_org("globex");
        let list = app.admin_get("/admin/v1/organizations");
        assert_eq!(list["data"].as_array().unwrap().len(), 2);
        let page = app.admin_get("/admin/v1/organizations?limit=1");
        assert_eq!(page["data"].as_array().unwrap().len(), 1);
        let after = page["next_after"].as_str().unwrap();
        let rest = app.admin_get(&format!("/admin/v1/organizations?after={after}"));
        assert_eq!(rest["data"].as_array().unwrap().len(), 1);
        assert_ne!(rest["data"][0]["id"], page["data"][0]["id"]);

        let res = app.admin(Method::DELETE, "/admin/v1/organizations/acme").send().unwrap();
        assert_eq!(res.status(), 204);
        let res = app.admin(Method::GET, "/admin/v1/organizations/acme").send().unwrap();
        assert_eq!(res.status(), 404);
        assert_eq!(res.json::<Value>().unwrap()["error"], "not_found");

        let types: Vec<String> = app.events().iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect();
        let org_types: Vec<&str> = types.iter().map(String::as_str).filter(|t| t.starts_with("organization.")).collect();
        assert_eq!(org_types, vec![
            "organization.created", "organization.updated", "organization.updated",
            "organization.updated", "organization.created", "organization.deleted",
        ]);
    }

    fn default_role_must_exist_and_not_be_privileged(app) {
        let res = app.admin_post("/admin/v1/organizations", json!({"name": "A", "slug": "a", "default_role": "admin"}));
        assert_eq!(res.status(), 422);
        assert_eq!(res.json::<Value>().unwrap()["field"], "default_role");
        app.create_org("a");
        let res = app.admin(Method::PATCH, "/admin/v1/organizations/a").json(&json!({"default_role": "ghost"})).send().unwrap();
        assert_eq!(res.status(), 422);
        let res = app.admin(Method::PATCH, "/admin/v1/organizations/a").json(&json!({"default_role": "admin"})).send().unwrap();
        assert_eq!(res.status(), 422);
        let res = app.admin_post("/admin/v1/organizations/a/roles", json!({"key": "viewer", "name": "Viewer"}));
        assert_eq!(res.status(), 201);
        let res = app.admin(Method::PATCH, "/admin/v1/organizations/a").json(&json!({"default_role": "viewer"})).send().unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().unwrap()["default_role"], "viewer");
    }
}
