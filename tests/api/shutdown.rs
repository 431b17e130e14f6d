//! SIGTERM while writes are in flight loses no committed write: every request that was
//! answered 201 is in the database after a restart, and every organization present is
//! complete (its built-in roles and its event committed with it).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::support::pg;
use crate::support::process::ServerProcess;

const KEY: &str = "shutdown-test-admin-key-0123456789";

fn sigterm_loses_no_committed_write(database_url: &str) {
    let server = ServerProcess::start(database_url, KEY);
    let base = server.url("");
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..6)
        .map(|w| {
            let (base, acknowledged, stop) = (base.clone(), acknowledged.clone(), stop.clone());
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(30))
                    .build()
                    .unwrap();
                // Bounded: at most 200 requests per worker, ending at the first refusal.
                for i in 0..200 {
                    let slug = format!("w{w}-{i}");
                    let res = client
                        .post(format!("{base}/admin/v1/organizations"))
                        .bearer_auth(KEY)
                        .json(&json!({"name": slug, "slug": slug}))
                        .send();
                    match res {
                        Ok(r) if r.status() == 201 => acknowledged.lock().unwrap().push(slug),
                        Ok(r) => panic!("unexpected status {} during shutdown", r.status()),
                        Err(_) if stop.load(Ordering::SeqCst) => return,
                        Err(e) => panic!("request failed before SIGTERM: {e}"),
                    }
                }
            })
        })
        .collect();
    // Let writes flow, then terminate mid-stream.
    while acknowledged.lock().unwrap().len() < 30 {
        std::thread::sleep(Duration::from_millis(10));
    }
    stop.store(true, Ordering::SeqCst);
    let status = server.terminate();
    assert!(
        status.success(),
        "graceful shutdown exits 0, got {status:?}"
    );
    for w in workers {
        w.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();

    let server = ServerProcess::start(database_url, KEY);
    let client = reqwest::blocking::Client::new();
    let get = |path: &str| -> Value {
        let res = client
            .get(server.url(path))
            .bearer_auth(KEY)
            .send()
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        res.json().unwrap()
    };
    for slug in &acknowledged {
        get(&format!("/admin/v1/organizations/{slug}"));
    }
    let orgs = get("/admin/v1/organizations?limit=500");
    let orgs = orgs["data"].as_array().unwrap();
    assert!(orgs.len() >= acknowledged.len());
    let events = get("/admin/v1/events?limit=1000");
    let created = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "organization.created")
        .count();
    assert_eq!(
        created,
        orgs.len(),
        "each organization committed together with its event"
    );
    for org in orgs {
        let roles = get(&format!(
            "/admin/v1/organizations/{}/roles",
            org["id"].as_str().unwrap()
        ));
        assert_eq!(roles["data"].as_array().unwrap().len(), 2);
    }
    drop(server);
}

#[test]
fn sigterm_loses_no_committed_write_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    sigterm_loses_no_committed_write(&dir.path().join("p.db").to_string_lossy());
}

#[test]
#[cfg_attr(not(provisiond_test_pg), ignore = "needs PROVISIOND_TEST_DATABASE_URL")]
fn sigterm_loses_no_committed_write_postgres() {
    let server = crate::support::require_postgres_url();
    let db = pg::TestDatabase::create(&server);
    sigterm_loses_no_committed_write(&db.url);
    db.drop_database();
}
