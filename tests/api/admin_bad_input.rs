//! Bad input to every admin endpoint that takes a body: malformed JSON, unknown fields,
//! wrong types, missing fields, no key, wrong key, huge bodies. Each gets a clear 4xx JSON
//! error and writes nothing (no event, no audit entry).

use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{Backend, TestApp};

/// Every admin endpoint that accepts a body, with a valid body for it.
fn endpoints(app: &TestApp) -> Vec<(Method, String, Value)> {
    let domain: Value = app
        .admin_post(
            "/admin/v1/organizations/acme/domains",
            json!({"domain": "acme.com"}),
        )
        .json()
        .unwrap();
    let domain_id = domain["id"].as_str().unwrap();
    vec![
        (
            Method::POST,
            "/admin/v1/organizations".into(),
            json!({"name": "N", "slug": "n"}),
        ),
        (
            Method::PATCH,
            "/admin/v1/organizations/acme".into(),
            json!({"name": "N"}),
        ),
        (
            Method::POST,
            "/admin/v1/organizations/acme/domains".into(),
            json!({"domain": "n.com"}),
        ),
        (
            Method::POST,
            format!("/admin/v1/organizations/acme/domains/{domain_id}/verify"),
            json!({"verified": true}),
        ),
        (
            Method::POST,
            "/admin/v1/organizations/acme/roles".into(),
            json!({"key": "k", "name": "K"}),
        ),
        (
            Method::PATCH,
            "/admin/v1/organizations/acme/roles/member".into(),
            json!({"name": "M"}),
        ),
        (
            Method::POST,
            "/admin/v1/api-keys".into(),
            json!({"name": "k"}),
        ),
        (
            Method::POST,
            "/admin/v1/organizations/acme/saml-connections".into(),
            json!({"idp_metadata_xml": "<md:EntityDescriptor/>"}),
        ),
        (
            Method::POST,
            "/admin/v1/webhooks".into(),
            json!({"url": "https://hooks.example/in"}),
        ),
        (
            Method::POST,
            "/admin/v1/redirect-uris".into(),
            json!({"uri": "https://app.example/cb"}),
        ),
        (
            Method::POST,
            "/admin/v1/organizations/acme/invitations".into(),
            json!({"email": "guest@outside.example"}),
        ),
    ]
}

fn error_of(res: reqwest::blocking::Response, status: u16, context: &str) -> Value {
    assert_eq!(res.status().as_u16(), status, "{context}");
    let body: Value = res.json().unwrap();
    assert!(
        body["error"].is_string() && body["message"].is_string(),
        "{context}: {body}"
    );
    body
}

fn every_class_of_bad_input(backend: Backend) {
    let app = TestApp::builder(backend)
        .max_body_bytes(16 * 1024)
        .start()
        .expect(crate::support::NO_POSTGRES);
    app.create_org("acme");
    let endpoints = endpoints(&app);
    let events_before = app.events().len();
    let audit_before = app.audit_count();

    for (method, path, valid) in &endpoints {
        let ctx = format!("{method} {path}");
        let send = |req: reqwest::blocking::RequestBuilder| req.send().unwrap();
        let json_req = || {
            app.admin(method.clone(), path)
                .header("content-type", "application/json")
        };

        let body = error_of(send(json_req().body("{not json")), 400, &ctx);
        assert_eq!(body["error"], "invalid_json", "{ctx}");

        let mut unknown = valid.clone();
        unknown["surprise"] = json!(1);
        let body = error_of(send(json_req().body(unknown.to_string())), 422, &ctx);
        assert_eq!(body["field"], "surprise", "{ctx}");

        let first_field = valid.as_object().unwrap().keys().next().unwrap().clone();
        let mut wrong_type = valid.clone();
        wrong_type[&first_field] = json!([1, 2]);
        let body = error_of(send(json_req().body(wrong_type.to_string())), 422, &ctx);
        assert_eq!(body["field"], first_field.as_str(), "{ctx}");

        let res = app
            .client
            .request(method.clone(), app.url(path))
            .json(valid)
            .send()
            .unwrap();
        error_of(res, 401, &ctx);
        let res = app
            .client
            .request(method.clone(), app.url(path))
            .bearer_auth("wrong-key")
            .json(valid)
            .send()
            .unwrap();
        error_of(res, 401, &ctx);

        let huge = json!({"name": "x".repeat(64 * 1024)});
        let body = error_of(send(json_req().body(huge.to_string())), 413, &ctx);
        assert_eq!(body["error"], "payload_too_large", "{ctx}");

        let res = send(
            app.admin(method.clone(), path)
                .header("content-type", "text/plain")
                .body("name=x"),
        );
        error_of(res, 400, &ctx);
    }

    // Bodies with a missing required field name it.
    let res = app.admin_post("/admin/v1/organizations", json!({"name": "No slug"}));
    assert_eq!(error_of(res, 422, "missing slug")["field"], "slug");
    let res = app.admin_post(
        "/admin/v1/organizations/acme/roles",
        json!({"name": "No key"}),
    );
    assert_eq!(error_of(res, 422, "missing key")["field"], "key");
    let res = app.admin_post(
        "/admin/v1/organizations",
        json!({"name": "Bad", "slug": "Not A Slug"}),
    );
    assert_eq!(error_of(res, 422, "bad slug")["field"], "slug");
    let res = app.admin_post(
        "/admin/v1/organizations",
        json!({"name": "Bad", "slug": "neg", "max_seats": -1}),
    );
    assert_eq!(error_of(res, 422, "negative seats")["field"], "max_seats");

    // Duplicates: slug and domain.
    let res = app.admin_post(
        "/admin/v1/organizations",
        json!({"name": "Dup", "slug": "acme"}),
    );
    assert_eq!(error_of(res, 409, "duplicate slug")["field"], "slug");
    let res = app.admin_post(
        "/admin/v1/organizations/acme/domains",
        json!({"domain": "acme.com"}),
    );
    assert_eq!(error_of(res, 409, "duplicate domain")["field"], "domain");

    // Bad query strings and unknown ids are JSON errors too.
    let res = app
        .admin(Method::GET, "/admin/v1/organizations?limit=abc")
        .send()
        .unwrap();
    error_of(res, 400, "bad query");
    let res = app
        .admin(Method::GET, "/admin/v1/organizations?limit=0")
        .send()
        .unwrap();
    error_of(res, 422, "limit out of range");
    let res = app
        .admin(Method::PATCH, "/admin/v1/organizations/ghost")
        .json(&json!({"name": "x"}))
        .send()
        .unwrap();
    error_of(res, 404, "unknown org");

    assert_eq!(
        app.events().len(),
        events_before,
        "bad input wrote an event"
    );
    assert_eq!(
        app.audit_count(),
        audit_before,
        "bad input wrote an audit entry"
    );
}

#[test]
fn every_class_of_bad_input_sqlite() {
    every_class_of_bad_input(Backend::Sqlite);
}

#[test]
#[cfg_attr(not(provisiond_test_pg), ignore = "needs PROVISIOND_TEST_DATABASE_URL")]
fn every_class_of_bad_input_postgres() {
    every_class_of_bad_input(Backend::Postgres);
}
