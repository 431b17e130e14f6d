//! Roles: create with privileged flag, duplicates, update, the default role's protections.

use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;

backend_tests! {
    fn role_crud(app) {
        app.create_org("acme");
        let res = app.admin_post("/admin/v1/organizations/acme/roles", json!({"key": "billing", "name": "Billing", "privileged": true}));
        assert_eq!(res.status(), 201);
        let role: Value = res.json().unwrap();
        assert_eq!(role["privileged"], true);

        let res = app.admin_post("/admin/v1/organizations/acme/roles", json!({"key": "billing", "name": "Again"}));
        assert_eq!(res.status(), 409);
        assert_eq!(res.json::<Value>().unwrap()["field"], "key");

        // The same key in another organization is fine.
        app.create_org("globex");
        let res = app.admin_post("/admin/v1/organizations/globex/roles", json!({"key": "billing", "name": "Billing"}));
        assert_eq!(res.status(), 201);

        let res = app.admin(Method::PATCH, "/admin/v1/organizations/acme/roles/billing")
            .json(&json!({"privileged": false, "name": "Billing team"})).send().unwrap();
        assert_eq!(res.status(), 200);
        let updated: Value = res.json().unwrap();
        assert_eq!(updated["privileged"], false);
        assert_eq!(updated["name"], "Billing team");
        assert_eq!(app.admin_get(&format!("/admin/v1/organizations/acme/roles/{}", role["id"].as_str().unwrap()))["key"], "billing");

        let res = app.admin(Method::DELETE, "/admin/v1/organizations/acme/roles/billing").send().unwrap();
        assert_eq!(res.status(), 204);
        let res = app.admin(Method::GET, "/admin/v1/organizations/acme/roles/billing").send().unwrap();
        assert_eq!(res.status(), 404);
        // globex's role is untouched.
        assert_eq!(app.admin_get("/admin/v1/organizations/globex/roles/billing")["key"], "billing");
    }

    fn default_role_is_protected(app) {
        app.create_org("acme");
        let res = app.admin(Method::DELETE, "/admin/v1/organizations/acme/roles/member").send().unwrap();
        assert_eq!(res.status(), 409);
        let res = app.admin(Method::PATCH, "/admin/v1/organizations/acme/roles/member")
            .json(&json!({"privileged": true})).send().unwrap();
        assert_eq!(res.status(), 409);
        assert_eq!(app.admin_get("/admin/v1/organizations/acme/roles/member")["privileged"], false);
    }

    fn roles_of_another_org_are_unreachable(app) {
        app.create_org("acme");
        app.create_org("globex");
        let acme_admin = app.admin_get("/admin/v1/organizations/acme/roles/admin");
        let id = acme_admin["id"].as_str().unwrap();
        let res = app.admin(Method::GET, &format!("/admin/v1/organizations/globex/roles/{id}")).send().unwrap();
        assert_eq!(res.status(), 404);
        let res = app.admin(Method::DELETE, &format!("/admin/v1/organizations/globex/roles/{id}")).send().unwrap();
        assert_eq!(res.status(), 404);
    }
}
