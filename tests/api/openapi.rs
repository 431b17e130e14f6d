//! The OpenAPI document is built from the route table and matches it exactly: every
//! documented row is one operation (same method, path, operation id, security) and the
//! document has nothing else. `GET /openapi.json` serves it and `docs/openapi.json` is a
//! committed copy; when the table or a schema changes, regenerate the copy with
//! `UPDATE_OPENAPI=1 cargo test --test api openapi`.

use std::collections::BTreeSet;
use std::path::Path;

use provisiond::http::openapi::{document_json, documented, undocumented};
use provisiond::http::routes::{table, Access};
use serde_json::Value;

use crate::support::{Backend, TestApp};

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn generated() -> Value {
    serde_json::from_str(&document_json()).unwrap()
}

#[test]
fn openapi_committed_copy_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/openapi.json");
    let fresh = document_json();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "docs/openapi.json differs from the document the code generates; regenerate it with \
         `UPDATE_OPENAPI=1 cargo test --test api openapi` and review the diff"
    );
}

#[test]
fn openapi_lists_exactly_the_table() {
    assert_eq!(
        undocumented(),
        Vec::<&str>::new(),
        "rows without a summary in src/http/openapi.rs"
    );
    let doc = generated();
    assert_eq!(doc["openapi"], "3.1.0");

    let mut in_doc = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (key, op) in item.as_object().unwrap() {
            assert!(
                METHODS.contains(&key.as_str()),
                "{path}: unexpected key {key}"
            );
            in_doc.push((key.to_uppercase(), path.clone(), op.clone()));
        }
    }
    let mut expected = BTreeSet::new();
    for r in table() {
        if !documented(&r) {
            // Only the development simulator's rows stay out: they are not mounted by
            // default (`dev_idp_simulator` is off).
            assert_eq!(
                r.access,
                Access::DevSimulator,
                "{} {} left out",
                r.method,
                r.path
            );
            continue;
        }
        let (_, _, op) = in_doc
            .iter()
            .find(|(m, p, _)| *m == r.method.as_str() && p == r.path)
            .unwrap_or_else(|| panic!("{} {} is not in the document", r.method, r.path));
        assert_eq!(op["operationId"], r.operation_id, "{} {}", r.method, r.path);
        assert_eq!(op["tags"][0], r.area.tag(), "{} {}", r.method, r.path);
        assert!(
            op["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{}",
            r.operation_id
        );
        let params: Vec<&str> = op["parameters"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .filter(|p| p["in"] == "path")
                    .filter_map(|p| p["name"].as_str())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(params, r.path_params(), "{}", r.operation_id);
        let security = match r.access {
            Access::AdminKey => Some("admin_key"),
            Access::AppKey => Some("app_key"),
            Access::ScimToken => Some("scim_token"),
            Access::Anonymous | Access::DevSimulator => None,
        };
        match security {
            Some(s) => {
                assert!(
                    op["security"][0].get(s).is_some(),
                    "{}: {}",
                    r.operation_id,
                    op["security"]
                );
                assert!(op["responses"].get("401").is_some(), "{}", r.operation_id);
            }
            None => {
                assert!(op.get("security").is_none(), "{}", r.operation_id);
                assert!(op["responses"].get("401").is_none(), "{}", r.operation_id);
            }
        }
        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses
                .keys()
                .any(|k| k.starts_with('2') || k.starts_with('3')),
            "{}: no success answer",
            r.operation_id
        );
        for (status, answer) in responses {
            if status.starts_with('4') && r.area.tag() != "sso" {
                let schema = answer["content"]
                    .as_object()
                    .and_then(|c| c.values().next())
                    .map(|c| c["schema"]["$ref"].clone());
                let want = if r.area.tag() == "scim" {
                    "#/components/schemas/ScimError"
                } else {
                    "#/components/schemas/Error"
                };
                assert_eq!(
                    schema,
                    Some(Value::from(want)),
                    "{} {status}",
                    r.operation_id
                );
            }
        }
        expected.insert((r.method.to_string(), r.path.to_owned()));
    }
    let listed: BTreeSet<(String, String)> = in_doc.into_iter().map(|(m, p, _)| (m, p)).collect();
    let extra: Vec<_> = listed.difference(&expected).collect();
    assert!(
        extra.is_empty(),
        "operations the table does not list: {extra:?}"
    );
    assert_eq!(listed.len(), expected.len());
}

/// The served document is the generated one, and the error schema matches a real error.
#[test]
fn openapi_json_is_served() {
    let app = TestApp::builder(Backend::Sqlite).start().unwrap();
    let res = app.get("/openapi.json").send().unwrap();
    assert_eq!(res.status(), 200);
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("application/json"), "{ct}");
    let served: Value = res.json().unwrap();
    assert_eq!(served, generated());

    let error: Value = app
        .get("/admin/v1/organizations")
        .send()
        .unwrap()
        .json()
        .unwrap();
    let props = served["components"]["schemas"]["Error"]["properties"]
        .as_object()
        .unwrap();
    for key in error.as_object().unwrap().keys() {
        assert!(
            props.contains_key(key),
            "`{key}` of {error} is not in the Error schema"
        );
    }
    // The code exchange's profile (built as JSON, described by hand) has what the
    // LoginProfile schema requires.
    let sso = crate::sso_support::setup(
        &app,
        "acme",
        serde_json::json!({}),
        &[],
        serde_json::json!({}),
    );
    let profile = sso.login(&sso.person("ada"));
    let schema = &served["components"]["schemas"]["LoginProfile"];
    for key in schema["required"].as_array().unwrap() {
        assert!(
            profile.get(key.as_str().unwrap()).is_some(),
            "`{key}` missing from {profile}"
        );
    }
    for key in schema["properties"]["organization"]["properties"]
        .as_object()
        .unwrap()
        .keys()
    {
        assert!(
            profile["organization"].get(key).is_some(),
            "organization.{key}: {profile}"
        );
    }
    assert!(
        profile["roles"].is_array() && profile["is_new_user"].is_boolean(),
        "{profile}"
    );

    let scim: Value = app.get("/scim/v2/Users").send().unwrap().json().unwrap();
    let props = served["components"]["schemas"]["ScimError"]["properties"]
        .as_object()
        .unwrap();
    for key in scim.as_object().unwrap().keys() {
        assert!(
            props.contains_key(key),
            "`{key}` of {scim} is not in the ScimError schema"
        );
    }
}
