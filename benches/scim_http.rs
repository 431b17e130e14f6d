//! Adversarial SCIM requests against a real server (issue #12): the server process's
//! CPU time (utime + stime from `/proc/<pid>/stat`, all threads; on SQLite the
//! database work is in-process, so this is the whole server-side cost) per request,
//! for the worst member PATCH/POST bodies we can build within `scim::limits`, next to
//! an ordinary request of about the same size. One request at a time, on 127.0.0.1;
//! each case repeats `SCIM_HTTP_REPEAT` times (default 10) and the run stops by itself.
//!
//! `cargo bench --bench scim_http` (`SCIM_HTTP_USERS`, default 2000, sets the group
//! size). Prints a Markdown table for docs/performance.md.
#![expect(clippy::unwrap_used)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const ADMIN_KEY: &str = "bench-admin-key-0123456789abcdef";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

struct Server {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_provisiond"))
        .env("DATABASE_URL", dir.path().join("bench.db"))
        .env("PROVISIOND_LISTEN", format!("127.0.0.1:{port}"))
        .env("PROVISIOND_BOOTSTRAP_ADMIN_KEY", ADMIN_KEY)
        .env("RUST_LOG", "warn")
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Owned by `Server` at once, so its `Drop` kills and reaps the process on any path.
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if reqwest::blocking::get(format!("{}/healthz", server.base))
            .is_ok_and(|r| r.status() == 200)
        {
            return server;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("provisiond did not start");
}

/// CPU seconds (user + system, all threads) the process has used so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap();
    ticks as f64 / 100.0 // USER_HZ is 100 on Linux
}

struct Scim {
    client: reqwest::blocking::Client,
    base: String,
    token: String,
}

impl Scim {
    fn send(&self, method: reqwest::Method, path: &str, body: &str) -> reqwest::blocking::Response {
        self.client
            .request(method, format!("{}/scim/v2{path}", self.base))
            .bearer_auth(&self.token)
            .header("Content-Type", "application/scim+json")
            .body(body.to_owned())
            .send()
            .unwrap()
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list`: nothing to list.
    }
    let users: usize = std::env::var("SCIM_HTTP_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let repeat: usize = std::env::var("SCIM_HTTP_REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let server = start();
    let pid = server.child.id();
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let admin = |path: &str, body: Value| -> Value {
        let res = client
            .post(format!("{}{path}", server.base))
            .bearer_auth(ADMIN_KEY)
            .json(&body)
            .send()
            .unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.json().unwrap()
    };
    admin(
        "/admin/v1/organizations",
        json!({"name": "Acme", "slug": "acme"}),
    );
    let dir = admin("/admin/v1/organizations/acme/scim-directories", json!({}));
    let scim = Scim {
        client: client.clone(),
        base: server.base.clone(),
        token: dir["token"].as_str().unwrap().to_owned(),
    };
    eprintln!("creating {users} users ...");
    let ids: Vec<String> = (0..users)
        .map(|i| {
            let body = json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": format!("user{i}@acme.test"),
                "externalId": format!("ext-{i}"),
                "name": {"givenName": "A", "familyName": format!("B{i}")},
                "emails": [{"value": format!("user{i}@acme.test"), "type": "work", "primary": true}],
            });
            let res = scim.send(reqwest::Method::POST, "/Users", &body.to_string());
            assert_eq!(res.status(), 201);
            res.json::<Value>().unwrap()["id"].as_str().unwrap().to_owned()
        })
        .collect();
    let members = |ids: &[String]| ids.iter().map(|i| json!({"value": i})).collect::<Vec<_>>();
    let timed = |f: &mut dyn FnMut()| -> f64 {
        let before = cpu_seconds(pid);
        f();
        cpu_seconds(pid) - before
    };
    let mut n = 0usize;
    let mut next_name = || {
        n += 1;
        format!("group {n}")
    };
    // Each case: (name, closure making one request and checking its status).
    let mut rows: Vec<(String, usize, f64)> = Vec::new();
    // `f` does its own set-up and returns the body size and the CPU seconds of the one
    // request it measured (through `timed`).
    let mut measure = |name: &str, f: &mut dyn FnMut() -> (usize, f64)| {
        let _ = f(); // warm-up
        let mut size = 0;
        let mut total = 0.0;
        for _ in 0..repeat {
            let (s, cpu) = f();
            size = s;
            total += cpu;
        }
        let per = total / repeat as f64;
        eprintln!(
            "{name}: {size} B, {:.2} ms server CPU per request",
            per * 1000.0
        );
        rows.push((name.to_owned(), size, per));
    };

    // POST /Groups with every user as a member: ordinary.
    measure("POST Group, all distinct members (ordinary)", &mut || {
        let body = json!({"displayName": next_name(), "members": members(&ids)}).to_string();
        let cpu = timed(&mut || {
            assert_eq!(
                scim.send(reqwest::Method::POST, "/Groups", &body).status(),
                201
            )
        });
        (body.len(), cpu)
    });
    // The same size, each of a tenth of the users named ten times (old: Vec::contains).
    let tenth = &ids[..ids.len() / 10];
    let repeated: Vec<Value> = (0..ids.len())
        .map(|i| json!({"value": tenth[i % tenth.len()]}))
        .collect();
    measure("POST Group, ids repeated 10x (worst)", &mut || {
        let body = json!({"displayName": next_name(), "members": repeated}).to_string();
        let cpu = timed(&mut || {
            assert_eq!(
                scim.send(reqwest::Method::POST, "/Groups", &body).status(),
                201
            )
        });
        (body.len(), cpu)
    });
    // All valid but the last id unknown: validated to the end, then refused.
    let mut bad = members(&ids);
    bad.pop();
    bad.push(json!({"value": "00000000-0000-0000-0000-000000000000"}));
    measure("POST Group, last member unknown (refused)", &mut || {
        let body = json!({"displayName": next_name(), "members": bad}).to_string();
        let cpu = timed(&mut || {
            assert_eq!(
                scim.send(reqwest::Method::POST, "/Groups", &body).status(),
                400
            )
        });
        (body.len(), cpu)
    });

    // PATCH: one add op with every user (ordinary) on an empty group.
    let patch = |ops: Value| json!({"schemas": [PATCH_OP], "Operations": ops}).to_string();
    let new_group = |scim: &Scim, name: String| -> String {
        let res = scim.send(
            reqwest::Method::POST,
            "/Groups",
            &json!({"displayName": name}).to_string(),
        );
        res.json::<Value>().unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    measure("PATCH add all members, one op (ordinary)", &mut || {
        let g = new_group(&scim, next_name());
        let body = patch(json!([{"op": "add", "path": "members", "value": members(&ids)}]));
        let cpu = timed(&mut || {
            assert_eq!(
                scim.send(reqwest::Method::PATCH, &format!("/Groups/{g}"), &body)
                    .status(),
                204
            )
        });
        (body.len(), cpu)
    });
    // Okta style: one remove op per member, as many ops as allowed, on a full group.
    let k = 1000.min(ids.len());
    let full = new_group(&scim, next_name());
    let fill = patch(json!([{"op": "add", "path": "members", "value": members(&ids)}]));
    assert_eq!(
        scim.send(reqwest::Method::PATCH, &format!("/Groups/{full}"), &fill)
            .status(),
        204
    );
    let removes = patch(Value::Array(
        ids[..k]
            .iter()
            .map(|i| json!({"op": "remove", "path": format!("members[value eq \"{i}\"]")}))
            .collect(),
    ));
    let adds_back = patch(json!([{"op": "add", "path": "members", "value": members(&ids[..k])}]));
    measure("PATCH 1000 single-member removes (Okta style)", &mut || {
        let cpu = timed(&mut || {
            assert_eq!(
                scim.send(reqwest::Method::PATCH, &format!("/Groups/{full}"), &removes)
                    .status(),
                204
            )
        });
        // Put them back for the next round (not measured).
        assert_eq!(
            scim.send(
                reqwest::Method::PATCH,
                &format!("/Groups/{full}"),
                &adds_back
            )
            .status(),
            204
        );
        (removes.len(), cpu)
    });
    // 1000 ops alternating add/remove of members (no run of equal ops to merge).
    let alternating = patch(Value::Array(
        (0..1000)
            .map(|i| {
                let u = &ids[i / 2 % ids.len()];
                if i % 2 == 0 {
                    json!({"op": "add", "path": "members", "value": [{"value": u}]})
                } else {
                    json!({"op": "remove", "path": "members", "value": [{"value": u}]})
                }
            })
            .collect(),
    ));
    measure("PATCH 1000 alternating add/remove ops (worst)", &mut || {
        let g = new_group(&scim, next_name());
        let cpu = timed(&mut || {
            assert_eq!(
                scim.send(
                    reqwest::Method::PATCH,
                    &format!("/Groups/{g}"),
                    &alternating
                )
                .status(),
                204
            )
        });
        (alternating.len(), cpu)
    });

    println!("| request | body | server CPU per request |");
    println!("|---|---:|---:|");
    for (name, size, per) in &rows {
        println!("| {name} | {} KiB | {:.1} ms |", size / 1024, per * 1000.0);
    }
    println!("\n{users} users, {repeat} requests per case, SQLite, one request at a time");
}
