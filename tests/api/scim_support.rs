//! Helpers for SCIM tests: a directory with its token, SCIM requests with
//! `application/scim+json`, and the IdP request fixtures.

use reqwest::blocking::{RequestBuilder, Response};
use reqwest::Method;
use serde_json::Value;

use crate::support::TestApp;

pub struct Scim<'a> {
    pub app: &'a TestApp,
    pub token: String,
    pub directory: Value,
}

/// Creates a SCIM directory for the organization `slug` (created if needed).
pub fn directory<'a>(app: &'a TestApp, slug: &str) -> Scim<'a> {
    let res = app
        .admin(Method::GET, &format!("/admin/v1/organizations/{slug}"))
        .send()
        .unwrap();
    if res.status() == 404 {
        app.create_org(slug);
    }
    let res = app.admin_post(
        &format!("/admin/v1/organizations/{slug}/scim-directories"),
        serde_json::json!({}),
    );
    assert_eq!(res.status(), 201);
    let directory: Value = res.json().unwrap();
    Scim {
        app,
        token: directory["token"].as_str().unwrap().to_owned(),
        directory,
    }
}

pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/scim/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

impl Scim<'_> {
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.app
            .client
            .request(method, self.app.url(&format!("/scim/v2{path}")))
            .bearer_auth(&self.token)
    }

    pub fn send(&self, method: Method, path: &str, body: &Value) -> Response {
        self.req(method, path)
            .header("Content-Type", "application/scim+json")
            .body(body.to_string())
            .send()
            .unwrap()
    }

    pub fn post(&self, path: &str, body: &Value) -> Response {
        self.send(Method::POST, path, body)
    }

    pub fn put(&self, path: &str, body: &Value) -> Response {
        self.send(Method::PUT, path, body)
    }

    pub fn patch(&self, path: &str, body: &Value) -> Response {
        self.send(Method::PATCH, path, body)
    }

    pub fn get(&self, path: &str) -> Response {
        self.req(Method::GET, path).send().unwrap()
    }

    pub fn delete(&self, path: &str) -> Response {
        self.req(Method::DELETE, path).send().unwrap()
    }

    /// GET that must answer 200 with SCIM JSON.
    pub fn get_ok(&self, path: &str) -> Value {
        let res = self.get(path);
        assert_eq!(res.status(), 200, "GET {path}");
        res.json().unwrap()
    }

    /// Creates a user with this userName and returns its JSON.
    pub fn create_user(&self, user_name: &str) -> Value {
        let res = self.post(
            "/Users",
            &serde_json::json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": user_name,
                "emails": [{"value": user_name, "type": "work", "primary": true}],
            }),
        );
        assert_eq!(res.status(), 201, "create {user_name}");
        res.json().unwrap()
    }
}

/// Asserts a SCIM error: status, `scimType` (if given), the error schema and media type.
pub fn assert_scim_error(res: Response, status: u16, scim_type: Option<&str>) -> Value {
    assert_eq!(res.status().as_u16(), status);
    let ct = res
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(ct.starts_with("application/scim+json"), "{ct}");
    let body: Value = res.json().unwrap();
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert_eq!(body["status"], status.to_string());
    match scim_type {
        Some(t) => assert_eq!(body["scimType"], t, "{body}"),
        None => assert!(body.get("scimType").is_none(), "{body}"),
    }
    body
}
