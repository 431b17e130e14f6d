//! What actix rejects on its own answers in the documented error shapes, over HTTP: a
//! wrong method on a known path (405), an unknown path (404), a body over the limit on a
//! raw-body route (413), a malformed query (400) are `{"error","message"}` JSON; under
//! `/scim/v2` the RFC 7644 §3.12 body; the browser pages of `/sso` stay HTML.

use reqwest::blocking::Response;
use reqwest::Method;
use serde_json::Value;

use crate::backend_tests;
use crate::support::TestApp;

/// Asserts a JSON error answer with `status` and `code`; returns its body.
fn json_error(res: Response, status: u16, code: &str, context: &str) -> Value {
    assert_eq!(res.status().as_u16(), status, "{context}");
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(
        ct.starts_with("application/json"),
        "{context}: content-type `{ct}`"
    );
    let body: Value = res.json().unwrap();
    assert_eq!(body["error"], code, "{context}: {body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{context}: {body}"
    );
    body
}

fn send(app: &TestApp, method: Method, path: &str) -> Response {
    app.admin(method, path).send().unwrap()
}

backend_tests! {
    fn wrong_methods_answer_json_405(app) {
        app.create_org("acme");
        for (method, path) in [
            (Method::PUT, "/admin/v1/organizations"),
            (Method::PUT, "/admin/v1/organizations/acme"),
            (Method::PATCH, "/admin/v1/redirect-uris"),
            (Method::GET, "/admin/v1/organizations/acme/domains/x/verify"),
            (Method::POST, "/admin/v1/events"),
            (Method::PUT, "/api/v1/organizations/acme/invitations"),
        ] {
            let ctx = format!("{method} {path}");
            let body = json_error(send(&app, method.clone(), path), 405, "method_not_allowed", &ctx);
            assert!(body["message"].as_str().unwrap().contains(method.as_str()), "{ctx}: {body}");
        }
    }

    fn unknown_paths_answer_json_404(app) {
        for path in ["/nope", "/admin/v1/nope", "/api/v1/nope", "/admin/v1/organizations/acme/nope/deeper"] {
            json_error(send(&app, Method::GET, path), 404, "not_found", path);
        }
        // Paths registered with a single method (`cfg.route`, `#[get]`) are guarded as a
        // whole by actix: another method finds no route, a JSON 404.
        for (method, path) in [(Method::POST, "/healthz"), (Method::GET, "/sso/token"), (Method::DELETE, "/api/v1/events")] {
            json_error(send(&app, method.clone(), path), 404, "not_found", &format!("{method} {path}"));
        }
    }

    fn actix_rejections_answer_json(app) {
        // The ACS reads the raw body: over `max_body_bytes`, actix's payload limit answers.
        let big = vec![b'a'; 2 * 1024 * 1024];
        let res = app.client.post(app.url("/sso/saml/acs/x"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(big).send().unwrap();
        json_error(res, 413, "payload_too_large", "ACS over the body limit");
        // Malformed query strings.
        json_error(send(&app, Method::GET, "/admin/v1/events?after=abc"), 400, "invalid_query", "events?after=abc");
        json_error(send(&app, Method::GET, "/admin/v1/organizations?surprise=1"), 400, "invalid_query", "unknown query key");
    }

    fn scim_paths_answer_scim_errors(app) {
        for (method, path, status) in [
            (Method::DELETE, "/scim/v2/ServiceProviderConfig", 405),
            (Method::PUT, "/scim/v2/Users", 405),
            (Method::GET, "/scim/v2/Nope", 404),
        ] {
            let res = app.client.request(method.clone(), app.url(path)).send().unwrap();
            assert_eq!(res.status().as_u16(), status, "{method} {path}");
            let body: Value = res.json().unwrap();
            assert_eq!(body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error", "{method} {path}: {body}");
            assert_eq!(body["status"], status.to_string(), "{method} {path}: {body}");
        }
    }

    fn sso_browser_pages_stay_html(app) {
        let res = app.get("/sso/authorize").send().unwrap();
        assert!(res.status().is_client_error());
        let ct = res.headers().get("content-type").unwrap().to_str().unwrap().to_owned();
        assert!(ct.starts_with("text/html"), "{ct}");
    }
}
