//! Real answers fit the schemas `GET /openapi.json` documents for them: every admin, app
//! and SSO JSON operation whose schema is derived from a DTO or described by hand (lists
//! with a cursor, redirect URIs, health, the code exchange's profile) is called once with
//! real data and its body checked against the document — types, required fields, and no
//! field the schema does not list. The checker covers the subset of JSON Schema the
//! document uses (`$ref`, `type`, `properties`, `required`, `additionalProperties`,
//! `items`, `allOf`, `format: date-time`).

use reqwest::blocking::Response;
use reqwest::Method;
use serde_json::{json, Value};

use crate::lifecycle_support::api;
use crate::support::receiver::Receiver;
use crate::support::{Backend, TestApp};

/// The first place where `value` does not fit `schema`, if any.
fn misfit(doc: &Value, schema: &Value, value: &Value, at: &str) -> Option<String> {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        let target = &doc["components"]["schemas"][name];
        assert!(target.is_object(), "{at}: dangling $ref {r}");
        return misfit(doc, target, value, at);
    }
    if let Some(m) = misfit_open(doc, schema, value, at) {
        return Some(m);
    }
    // No field the schema (with its allOf parts) does not list.
    if let Some(object) = value.as_object() {
        let known = listed(doc, schema);
        if let Some(known) = known {
            for key in object.keys() {
                if !known.contains(key) {
                    return Some(format!("{at}.{key}: not in the schema"));
                }
            }
        }
    }
    None
}

/// The property names `schema` lists (through `$ref` and `allOf`), or `None` when it
/// admits any (no `properties`, or `additionalProperties` set).
fn listed(doc: &Value, schema: &Value) -> Option<Vec<String>> {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        return listed(doc, &doc["components"]["schemas"][name]);
    }
    if schema
        .get("additionalProperties")
        .is_some_and(|a| a != false)
    {
        return None;
    }
    let mut out: Vec<String> = schema["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    let parts = schema["allOf"].as_array();
    for part in parts.into_iter().flatten() {
        out.extend(listed(doc, part)?);
    }
    if out.is_empty() && parts.is_none() {
        return None;
    }
    Some(out)
}

/// `misfit` without the closed-object check (for one `allOf` part).
fn misfit_open(doc: &Value, schema: &Value, value: &Value, at: &str) -> Option<String> {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        return misfit_open(doc, &doc["components"]["schemas"][name], value, at);
    }
    for part in schema["allOf"].as_array().into_iter().flatten() {
        if let Some(m) = misfit_open(doc, part, value, at) {
            return Some(m);
        }
    }
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => panic!("{at}: type {types}"),
        };
        let fits = types.iter().any(|t| match *t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            other => panic!("{at}: type {other}"),
        });
        if !fits {
            return Some(format!("{at}: {value} is not {types:?}"));
        }
    }
    if value.is_null() {
        return None;
    }
    if schema["format"] == "date-time" {
        let text = value.as_str().unwrap_or_default();
        if chrono::DateTime::parse_from_rfc3339(text).is_err() {
            return Some(format!("{at}: {value} is not a date-time"));
        }
    }
    if let Some(object) = value.as_object() {
        for key in schema["required"].as_array().into_iter().flatten() {
            let key = key.as_str().unwrap_or_default();
            if !object.contains_key(key) {
                return Some(format!("{at}: `{key}` is required"));
            }
        }
        let properties = schema["properties"].as_object();
        for (key, v) in object {
            let sub = properties
                .and_then(|p| p.get(key))
                .or_else(|| schema.get("additionalProperties").filter(|a| a.is_object()));
            if let Some(sub) = sub {
                if let Some(m) = misfit(doc, sub, v, &format!("{at}.{key}")) {
                    return Some(m);
                }
            }
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), value.as_array()) {
        for (i, v) in list.iter().enumerate() {
            if let Some(m) = misfit(doc, items, v, &format!("{at}[{i}]")) {
                return Some(m);
            }
        }
    }
    None
}

/// Checks `res` against what the document says `method path` answers with its status;
/// returns the body.
fn fits(doc: &Value, method: &str, path: &str, res: Response) -> Value {
    let status = res.status().as_u16().to_string();
    let body: Value = res.json().unwrap_or(Value::Null);
    let answer = &doc["paths"][path][method]["responses"][&status];
    let schema = &answer["content"]["application/json"]["schema"];
    assert!(
        schema.is_object(),
        "{method} {path} {status}: no JSON schema documented ({body})"
    );
    if let Some(m) = misfit(doc, schema, &body, "$") {
        panic!("{method} {path} {status}: {m}\n{body}");
    }
    body
}

fn str_of(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_owned()
}

#[test]
fn openapi_answers_fit_their_schemas() {
    let app = TestApp::builder(Backend::Sqlite).start().unwrap();
    let doc: Value = app.get("/openapi.json").send().unwrap().json().unwrap();
    let admin = |m: Method, path: &str, body: Option<Value>| {
        let mut req = app.admin(m, path);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().unwrap()
    };

    fits(&doc, "get", "/healthz", app.get("/healthz").send().unwrap());
    let served = app.get("/openapi.json").send().unwrap();
    fits(&doc, "get", "/openapi.json", served);
    fits(&doc, "get", "/readyz", app.get("/readyz").send().unwrap());

    // An organization wired for SSO (organization, role, domain, redirect URI, SAML
    // connection, app key), and a login through it.
    let sso = crate::sso_support::setup(&app, "acme", json!({}), &[("editor", false)], json!({}));
    let code = sso.post(&sso.person("ada")).code();
    let res = sso.exchange(&code, crate::sso_support::REDIRECT_URI);
    let profile = fits(&doc, "post", "/sso/token", res);
    let user_id = profile["user"]["id"].as_str().unwrap().to_owned();

    // Redirect URIs.
    let added = admin(
        Method::POST,
        "/admin/v1/redirect-uris",
        Some(json!({ "uri": "https://other.example/cb" })),
    );
    fits(&doc, "post", "/admin/v1/redirect-uris", added);
    let list = admin(Method::GET, "/admin/v1/redirect-uris", None);
    let list = fits(&doc, "get", "/admin/v1/redirect-uris", list);
    assert!(list["data"].as_array().unwrap().len() >= 2, "{list}");

    // SAML connections and the SP certificate.
    let base = "/admin/v1/organizations/{org}/saml-connections";
    let at = "/admin/v1/organizations/acme/saml-connections";
    fits(&doc, "get", base, admin(Method::GET, at, None));
    let one = format!("{at}/{}", sso.connection_id);
    let item = format!("{base}/{{connection}}");
    fits(&doc, "get", &item, admin(Method::GET, &one, None));
    let patched = admin(
        Method::PATCH,
        &one,
        Some(json!({ "clock_skew_secs": 90, "default_redirect_uri": null })),
    );
    fits(&doc, "patch", &item, patched);
    fits(
        &doc,
        "get",
        &format!("{item}/sp-certificate"),
        admin(Method::GET, &format!("{one}/sp-certificate"), None),
    );

    // Invitations, through the admin API and the app API.
    let base = "/admin/v1/organizations/{org}/invitations";
    let at = "/admin/v1/organizations/acme/invitations";
    let invitation = admin(
        Method::POST,
        at,
        Some(json!({ "email": "grace@acme.example", "role": "editor" })),
    );
    let invitation = fits(&doc, "post", base, invitation);
    fits(&doc, "get", base, admin(Method::GET, at, None));
    let revoked = admin(
        Method::DELETE,
        &format!("{at}/{}", str_of(&invitation, "id")),
        None,
    );
    fits(&doc, "delete", &format!("{base}/{{id}}"), revoked);
    let app_api = api(&app);
    let app_base = "/api/v1/organizations/{org}/invitations";
    let created = app_api.post(
        "/organizations/acme/invitations",
        json!({ "email": "linus@acme.example" }),
    );
    fits(&doc, "post", app_base, created);
    fits(
        &doc,
        "get",
        app_base,
        app_api.get("/organizations/acme/invitations"),
    );

    // App API users: list (a page of one, so the cursor is set), read, actions, roles,
    // states, the inactivity policy.
    let page = app_api.get("/organizations/acme/users?limit=1");
    let page = fits(&doc, "get", "/api/v1/organizations/{org}/users", page);
    assert!(page["next_cursor"].is_string(), "{page}");
    let last = app_api.get(&format!(
        "/organizations/acme/users?limit=1000&cursor={}",
        str_of(&page, "next_cursor")
    ));
    fits(&doc, "get", "/api/v1/organizations/{org}/users", last);
    let user = format!("/users/{user_id}");
    fits(&doc, "get", "/api/v1/users/{id}", app_api.get(&user));
    for action in ["suspend", "reactivate"] {
        let res = app_api.post(&format!("{user}/{action}"), json!({ "reason": "test" }));
        fits(&doc, "post", &format!("/api/v1/users/{{id}}/{action}"), res);
    }
    let res = app_api.post(&format!("{user}/roles"), json!({ "role": "editor" }));
    fits(&doc, "post", "/api/v1/users/{id}/roles", res);
    let res = app_api.send(Method::DELETE, &format!("{user}/roles/editor"), None);
    fits(&doc, "delete", "/api/v1/users/{id}/roles/{role}", res);
    let res = app_api.post(
        "/users/states",
        json!({ "user_ids": [user_id.as_str(), "unknown"] }),
    );
    fits(&doc, "post", "/api/v1/users/states", res);
    let res = app_api.get("/organizations/acme/inactivity/preview");
    fits(
        &doc,
        "get",
        "/api/v1/organizations/{org}/inactivity/preview",
        res,
    );
    let res = app_api.post("/organizations/acme/inactivity/run", json!({}));
    fits(
        &doc,
        "post",
        "/api/v1/organizations/{org}/inactivity/run",
        res,
    );
    let res = app_api.post(&format!("{user}/deprovision"), json!({}));
    fits(&doc, "post", "/api/v1/users/{id}/deprovision", res);

    // Webhooks: an endpoint on a local receiver, a delivery to it, redelivery.
    let receiver = Receiver::start(0);
    let created = admin(
        Method::POST,
        "/admin/v1/webhooks",
        Some(json!({ "url": receiver.url(), "event_types": ["organization.created"] })),
    );
    let endpoint = fits(&doc, "post", "/admin/v1/webhooks", created);
    let id = str_of(&endpoint, "id");
    let at = format!("/admin/v1/webhooks/{id}");
    fits(
        &doc,
        "get",
        "/admin/v1/webhooks",
        admin(Method::GET, "/admin/v1/webhooks", None),
    );
    fits(
        &doc,
        "get",
        "/admin/v1/webhooks/{id}",
        admin(Method::GET, &at, None),
    );
    let res = admin(
        Method::PATCH,
        &at,
        Some(json!({ "description": "fits", "enabled": true })),
    );
    fits(&doc, "patch", "/admin/v1/webhooks/{id}", res);
    let res = admin(Method::POST, &format!("{at}/rotate-secret"), None);
    fits(&doc, "post", "/admin/v1/webhooks/{id}/rotate-secret", res);
    app.create_org("beta");
    receiver.wait_for("a delivery", |r| !r.is_empty());
    let deliveries = admin(Method::GET, &format!("{at}/deliveries"), None);
    let deliveries = fits(
        &doc,
        "get",
        "/admin/v1/webhooks/{id}/deliveries",
        deliveries,
    );
    let delivery = str_of(&deliveries["data"][0], "id");
    let res = admin(
        Method::POST,
        &format!("{at}/deliveries/{delivery}/redeliver"),
        None,
    );
    fits(
        &doc,
        "post",
        "/admin/v1/webhooks/{id}/deliveries/{delivery}/redeliver",
        res,
    );

    // The event feeds and the audit trail, after all of the above.
    let feed = fits(
        &doc,
        "get",
        "/api/v1/events",
        app_api.get("/events?limit=1000"),
    );
    assert!(feed["data"].as_array().unwrap().len() > 5, "{feed}");
    let res = admin(Method::GET, "/admin/v1/events?limit=1000", None);
    fits(&doc, "get", "/admin/v1/events", res);
    let res = admin(Method::GET, "/admin/v1/audit-entries?limit=1000", None);
    fits(&doc, "get", "/admin/v1/audit-entries", res);
    // An empty page of the feed still carries its cursor.
    let end = feed["next_after"].as_i64().unwrap();
    let res = app_api.get(&format!("/events?after={}", end + 1000));
    fits(&doc, "get", "/api/v1/events", res);
}

/// The checker above finds what it is meant to find.
#[test]
fn openapi_checker_catches_misfits() {
    let doc = json!({ "components": { "schemas": {
        "A": { "type": "object", "required": ["id"], "properties": {
            "id": { "type": "string" },
            "at": { "type": ["string", "null"], "format": "date-time" },
        } },
        "B": { "allOf": [{ "$ref": "#/components/schemas/A" },
                         { "type": "object", "properties": { "n": { "type": "integer" } } }] },
    } } });
    let a = json!({ "$ref": "#/components/schemas/A" });
    let b = json!({ "$ref": "#/components/schemas/B" });
    assert_eq!(
        misfit(&doc, &a, &json!({ "id": "x", "at": null }), "$"),
        None
    );
    assert_eq!(misfit(&doc, &b, &json!({ "id": "x", "n": 1 }), "$"), None);
    for (schema, value) in [
        (&a, json!({})),
        (&a, json!({ "id": 1 })),
        (&a, json!({ "id": "x", "extra": true })),
        (&a, json!({ "id": "x", "at": "yesterday" })),
        (&b, json!({ "id": "x", "n": "one" })),
        (&b, json!({ "id": "x", "m": 1 })),
    ] {
        assert!(misfit(&doc, schema, &value, "$").is_some(), "{value}");
    }
}
