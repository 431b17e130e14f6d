//! The route table (`provisiond::http::routes::table`) is the service's routes: it lists
//! each (method, path) once, every row answers over real HTTP as its access class says
//! (401 without credentials for keys and tokens, never 401 for anonymous rows), and paths
//! outside it are 404.

use std::collections::BTreeSet;
use std::path::Path;

use provisiond::http::routes::{table, Access, RouteInfo};
use reqwest::blocking::Response;
use reqwest::Method;
use serde_json::Value;

use crate::support::{Backend, TestApp};

/// The row's path with plausible ids in place of its parameters.
fn concrete(route: &RouteInfo) -> String {
    route
        .path
        .split('/')
        .map(
            |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some("org") => "acme",
                Some("domain") => "example.com",
                Some("role") => "member",
                Some("name") => "User",
                Some(_) => "0190c4c4-7d8e-7c1e-9f0a-5b6c7d8e9f00",
                None => seg,
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

fn send(app: &TestApp, method: &actix_web::http::Method, path: &str) -> Response {
    let method = Method::from_bytes(method.as_str().as_bytes()).unwrap();
    app.client.request(method, app.url(path)).send().unwrap()
}

/// A 404 the router produced (no route), as opposed to a handler's "no such thing".
fn is_route_404(res: Response) -> bool {
    if res.status() != 404 {
        return false;
    }
    let body: Value = res.json().unwrap_or(Value::Null);
    // The app's JSON 404 names the route; the SCIM scope's says "no SCIM endpoint".
    let message = body["message"]
        .as_str()
        .or(body["detail"].as_str())
        .unwrap_or("");
    message.starts_with("route ") || message.starts_with("no SCIM endpoint")
}

#[test]
fn the_table_lists_each_route_once() {
    let routes = table();
    assert!(routes.len() > 80, "{}", routes.len());
    let mut seen = BTreeSet::new();
    let mut ops = BTreeSet::new();
    for r in &routes {
        assert!(
            seen.insert((r.method.to_string(), r.path)),
            "{} {} is listed twice",
            r.method,
            r.path
        );
        assert!(
            ops.insert(r.operation_id),
            "operation id {} twice",
            r.operation_id
        );
        assert!(
            r.operation_id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "{} is not snake_case",
            r.operation_id
        );
        assert!(r.path.starts_with('/'), "{}", r.path);
    }
}

/// Every row answers as its access class says when called without credentials: a
/// key or token route is a 401 (which also shows it is mounted: an unmounted path is a
/// 404); an anonymous route is never a 401, nor the router's 404.
#[test]
fn every_route_answers_as_its_access_class_says() {
    let app = TestApp::builder(Backend::Sqlite).start().unwrap();
    let mut checked = 0;
    for r in table() {
        let path = concrete(&r);
        let ctx = format!("{} {path} ({:?})", r.method, r.access);
        let res = send(&app, &r.method, &path);
        match r.access {
            Access::AdminKey | Access::AppKey | Access::ScimToken => {
                assert_eq!(res.status(), 401, "{ctx}");
                assert!(res.headers().contains_key("www-authenticate"), "{ctx}");
            }
            Access::Anonymous => {
                assert_ne!(res.status(), 401, "{ctx}");
                assert!(!is_route_404(res), "{ctx}: not mounted");
            }
            // Not mounted by default: checked below with the simulator on and off.
            Access::DevSimulator => {
                assert!(is_route_404(res), "{ctx}: mounted with the simulator off");
                continue;
            }
        }
        checked += 1;
    }
    assert!(checked > 80, "{checked}");

    // Key routes refuse the other kind of key too (no route takes both).
    let admin_only = send(&app, &actix_web::http::Method::GET, "/api/v1/events");
    assert_eq!(admin_only.status(), 401);
    let res = app.admin(Method::GET, "/api/v1/events").send().unwrap();
    assert_eq!(res.status(), 401, "an admin key on an app route");
}

/// The [`Access::DevSimulator`] rows are mounted, and anonymous, exactly when the
/// simulator is on.
#[test]
fn dev_simulator_routes_are_mounted_only_when_it_is_on() {
    let app = TestApp::builder(Backend::Sqlite)
        .idp_simulator()
        .start()
        .unwrap();
    let dev: Vec<RouteInfo> = table()
        .into_iter()
        .filter(|r| r.access == Access::DevSimulator)
        .collect();
    assert_eq!(dev.len(), 4, "{dev:?}");
    for r in dev {
        assert!(r.path.starts_with("/dev/"), "{}", r.path);
        let path = concrete(&r);
        let res = send(&app, &r.method, &path);
        assert_ne!(res.status(), 401, "{} {path}", r.method);
        assert!(!is_route_404(res), "{} {path}: not mounted", r.method);
    }
}

/// Every `.rs` file under `src/`: its path relative to `src/` (with `/`) and its text.
fn rust_sources() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut dirs = vec![src.clone()];
    let mut out = Vec::new();
    while let Some(p) = dirs.pop() {
        if p.is_dir() {
            dirs.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else if p.extension().is_some_and(|e| e == "rs") {
            let rel = p
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, std::fs::read_to_string(&p).unwrap()));
        }
    }
    out
}

/// A route outside the table cannot exist by construction: no handler carries a route
/// attribute (`#[get(..)]` …) and no module registers services; the only registration
/// code is `http::mount`, which mounts the rows of `http::routes`, and `server.rs` hands
/// the app to `http::routes::mount` alone (plus the JSON 404 default service). This test
/// holds the source to that — any `.service(`, `.route(`, `web::resource(`, `web::scope(`
/// or route attribute outside `src/http/` fails it — and probes a few paths that are not
/// in the table: each is the router's 404.
#[test]
fn no_route_exists_outside_the_table() {
    let registration = [
        ".service(",
        ".route(",
        "web::resource(",
        "web::scope(",
        "web::method(",
        "#[get(",
        "#[post(",
        "#[put(",
        "#[patch(",
        "#[delete(",
        "#[route(",
        "#[routes]",
        ".default_service(",
        ".configure(",
    ];
    let mut offenders = Vec::new();
    for (rel, text) in rust_sources() {
        if rel.starts_with("http/") {
            continue;
        }
        if rel == "server.rs" {
            // The app hands every route to the table, and unknown ones to the JSON 404.
            assert!(
                text.contains("crate::http::routes::mount(cfg"),
                "server.rs no longer mounts the table"
            );
        }
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for token in registration {
                let allowed =
                    rel == "server.rs" && matches!(token, ".configure(" | ".default_service(");
                if code.contains(token) && !allowed {
                    offenders.push(format!("src/{rel}:{}: {}", n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "route registration outside src/http/ (add a row to src/http/routes.rs instead): {offenders:#?}"
    );

    let app = TestApp::builder(Backend::Sqlite).start().unwrap();
    let listed: BTreeSet<(String, String)> = table()
        .into_iter()
        .map(|r| (r.method.to_string(), r.path.to_owned()))
        .collect();
    for (method, path) in [
        (Method::GET, "/"),
        (Method::GET, "/admin/v1"),
        (Method::GET, "/admin/v1/users"),
        (Method::GET, "/api/v1/organizations"),
        (Method::GET, "/sso/logout"),
        (Method::GET, "/openapi.yaml"),
        (Method::GET, "/scim/v2/Me"),
        (Method::POST, "/scim/v2/Bulk"),
        (Method::GET, "/dev/idp/metadata"),
    ] {
        assert!(
            !listed.contains(&(method.to_string(), path.to_owned())) || path.starts_with("/dev/")
        );
        let res = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .unwrap();
        assert!(is_route_404(res), "{method} {path}");
    }
}

/// The table is also the one place paths are *written*: code that needs a URL of this
/// server (SP metadata and ACS, the SCIM base URL, the simulator's pages) asks
/// `AppState::links`, which `http::routes::links` builds from the rows. This test fails
/// on any string literal outside `src/http/routes.rs` that contains a row's fixed part
/// (the path up to its first parameter) or a scope's prefix. Prose (a literal with a space, such as a hint
/// in an error message) and test modules are not URLs the code builds, and are skipped.
#[test]
fn no_path_is_written_outside_the_table() {
    let prefixes: BTreeSet<String> = table()
        .iter()
        .map(|r| r.path.split('{').next().unwrap_or("").to_owned())
        .filter(|p| p.len() >= 6)
        .chain(
            provisiond::http::routes::SCOPES
                .iter()
                .map(|s| s.prefix.to_owned()),
        )
        .collect();
    let mut offenders = Vec::new();
    for (rel, text) in rust_sources() {
        if rel == "http/routes.rs" || rel.ends_with("tests.rs") {
            continue;
        }
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (n, line) in code.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            // The string literals of the line (good enough for this source: no raw
            // strings hold paths).
            for literal in line.split('"').skip(1).step_by(2) {
                let url_like = !literal.contains(char::is_whitespace);
                if url_like && prefixes.iter().any(|p| literal.contains(p.as_str())) {
                    offenders.push(format!("src/{rel}:{}: {}", n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "paths written outside src/http/routes.rs (use AppState::links): {offenders:#?}"
    );
}
