//! Webhooks: signed deliveries to a real local receiver, retries until a failing receiver
//! recovers, filters, secret rotation, the delivery log and manual redelivery; and the app
//! event feed (`/api/v1/events`), including a reader following it under concurrent writers.

use std::collections::HashSet;

use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;
use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::support::receiver::{Received, Receiver};
use crate::support::TestApp;

/// Checks `Provisiond-Signature: t=…,v1=…[,v1=…]` against `secret` (HMAC-SHA256 over
/// "<t>.<body>"), as a receiver would.
pub fn signed_with(delivery: &Received, secret: &str) -> bool {
    let header = delivery.header("provisiond-signature").unwrap();
    let mut parts = header.split(',');
    let t = parts.next().unwrap().strip_prefix("t=").unwrap();
    let key = PKey::hmac(secret.as_bytes()).unwrap();
    let mut signer = Signer::new(MessageDigest::sha256(), &key).unwrap();
    signer.update(format!("{t}.").as_bytes()).unwrap();
    signer.update(&delivery.body).unwrap();
    let expected = hex::encode(signer.sign_to_vec().unwrap());
    parts.any(|p| p.strip_prefix("v1=") == Some(expected.as_str()))
}

fn register(app: &TestApp, body: Value) -> Value {
    let res = app.admin_post("/admin/v1/webhooks", body);
    assert_eq!(res.status(), 201);
    res.json().unwrap()
}

fn app_key(app: &TestApp) -> String {
    let created: Value = app
        .admin_post("/admin/v1/api-keys", json!({"name": "backend"}))
        .json()
        .unwrap();
    created["key"].as_str().unwrap().to_owned()
}

backend_tests! {
    fn deliveries_are_signed_ordered_and_complete(app) {
        let receiver = Receiver::start(0);
        let endpoint = register(&app, json!({"url": receiver.url()}));
        let secret = endpoint["secret"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("whsec_"));
        app.create_org("acme");
        app.admin_post("/admin/v1/organizations/acme/roles", json!({"key": "k", "name": "K"}));

        let got = receiver.wait_for("org and role events", |r| r.len() >= 2);
        let types: Vec<Value> = got.iter().map(|d| d.json()["type"].clone()).collect();
        assert_eq!(types, vec![json!("organization.created"), json!("role.created")]);
        for d in &got {
            assert!(signed_with(d, &secret), "signature must verify");
            assert!(!signed_with(d, "whsec_wrong"));
            assert_eq!(d.header("provisiond-event-id").unwrap(), d.json()["id"].as_str().unwrap());
        }
        // Events before the endpoint existed (its own creation, the key) are not sent.
        assert!(got.iter().all(|d| d.json()["type"] != "webhook_endpoint.created"));
        let seqs: Vec<i64> = got.iter().map(|d| d.json()["seq"].as_i64().unwrap()).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    }

    fn a_failing_receiver_gets_everything_after_it_recovers(app) {
        let receiver = Receiver::start(4);
        let endpoint = register(&app, json!({"url": receiver.url()}));
        for slug in ["a", "b", "c"] {
            app.create_org(slug);
        }
        let got = receiver.wait_for("all three events", |r| {
            r.iter().filter(|d| d.json()["type"] == "organization.created").count() == 3
        });
        assert_eq!(receiver.failures_left(), 0, "the receiver failed 4 times first");
        let ids: HashSet<String> = got.iter().map(|d| d.json()["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(ids.len(), got.len(), "no duplicates without a crash");

        // The receiver can see the last delivery a moment before the worker records it.
        let path = format!("/admin/v1/webhooks/{}/deliveries", endpoint["id"].as_str().unwrap());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let log = loop {
            let log = app.admin_get(&path)["data"].as_array().unwrap().clone();
            if log.iter().all(|d| d["status"] == "succeeded") || std::time::Instant::now() > deadline {
                break log;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        assert_eq!(log.len(), 3);
        assert!(log.iter().all(|d| d["status"] == "succeeded"));
        let attempts: i64 = log.iter().map(|d| d["attempts"].as_i64().unwrap()).sum();
        assert_eq!(attempts, 3 + 4, "each failure was retried");
        assert!(log.iter().any(|d| d["last_status_code"] == 200));
    }

    fn filters_rotation_and_redelivery(app) {
        let receiver = Receiver::start(0);
        app.create_org("acme");
        app.create_org("globex");
        let endpoint = register(&app, json!({"url": receiver.url(), "organization": "acme", "event_types": ["role.created"]}));
        let id = endpoint["id"].as_str().unwrap().to_owned();
        let old_secret = endpoint["secret"].as_str().unwrap().to_owned();
        app.admin_post("/admin/v1/organizations/globex/roles", json!({"key": "g", "name": "G"}));
        app.admin_post("/admin/v1/organizations/acme/roles", json!({"key": "a", "name": "A"}));
        let got = receiver.wait_for("acme's role", |r| !r.is_empty());
        assert_eq!(got[0].json()["type"], "role.created");
        assert_eq!(got[0].json()["data"]["role"]["key"], "a");

        let rotated: Value = app.admin_post(&format!("/admin/v1/webhooks/{id}/rotate-secret"), json!({})).json().unwrap();
        let new_secret = rotated["secret"].as_str().unwrap().to_owned();
        assert_ne!(new_secret, old_secret);
        app.admin_post("/admin/v1/organizations/acme/roles", json!({"key": "b", "name": "B"}));
        let got = receiver.wait_for("second role", |r| r.len() >= 2);
        assert!(signed_with(&got[1], &new_secret) && signed_with(&got[1], &old_secret), "both during rotation");

        let log = app.admin_get(&format!("/admin/v1/webhooks/{id}/deliveries"));
        let first = log["data"].as_array().unwrap().last().unwrap()["id"].as_str().unwrap().to_owned();
        let res = app.admin_post(&format!("/admin/v1/webhooks/{id}/deliveries/{first}/redeliver"), json!({}));
        assert_eq!(res.status(), 200);
        let got = receiver.wait_for("redelivery", |r| r.len() >= 3);
        assert_eq!(got[2].json()["id"], got[0].json()["id"], "the same event, again");

        let res = app.admin(Method::PATCH, &format!("/admin/v1/webhooks/{id}")).json(&json!({"url": "ftp://x"})).send().unwrap();
        assert_eq!(res.status(), 422);
        let res = app.admin(Method::DELETE, &format!("/admin/v1/webhooks/{id}")).send().unwrap();
        assert_eq!(res.status(), 204);
    }

    fn the_app_feed_needs_an_app_key_and_pages(app) {
        let key = app_key(&app);
        let res = app.get("/api/v1/events").bearer_auth(crate::support::ADMIN_KEY).send().unwrap();
        assert_eq!(res.status(), 401, "admin keys are not app keys");
        for slug in ["a", "b", "c"] {
            app.create_org(slug);
        }
        let page: Value = app.get("/api/v1/events?limit=2&types=organization.created").bearer_auth(&key).send().unwrap().json().unwrap();
        assert_eq!(page["data"].as_array().unwrap().len(), 2);
        let after = page["next_after"].as_i64().unwrap();
        let rest: Value = app.get(&format!("/api/v1/events?after={after}&types=organization.created")).bearer_auth(&key).send().unwrap().json().unwrap();
        assert_eq!(rest["data"].as_array().unwrap().len(), 1);
        assert_eq!(rest["data"][0]["data"]["organization"]["slug"], "c");
    }

    fn a_reader_following_the_feed_sees_every_event_once_in_order(app) {
        let key = app_key(&app);
        let app = std::sync::Arc::new(app);
        let start: Value = app.get("/api/v1/events?limit=1000").bearer_auth(&key).send().unwrap().json().unwrap();
        let mut cursor = start["next_after"].as_i64().unwrap();
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let app = app.clone();
                std::thread::spawn(move || {
                    for i in 0..10 {
                        app.create_org(&format!("w{w}-{i}"));
                    }
                })
            })
            .collect();
        let mut seen = Vec::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while seen.len() < 40 {
            assert!(std::time::Instant::now() < deadline, "reader saw only {} events", seen.len());
            let page: Value = app.get(&format!("/api/v1/events?after={cursor}&limit=7")).bearer_auth(&key).send().unwrap().json().unwrap();
            for e in page["data"].as_array().unwrap() {
                seen.push((e["seq"].as_i64().unwrap(), e["subject_id"].as_str().unwrap().to_owned()));
            }
            cursor = page["next_after"].as_i64().unwrap();
        }
        for w in writers {
            w.join().unwrap();
        }
        assert_eq!(seen.len(), 40);
        assert!(seen.windows(2).all(|p| p[1].0 == p[0].0 + 1), "gap-free and in order");
        let subjects: HashSet<&String> = seen.iter().map(|(_, s)| s).collect();
        assert_eq!(subjects.len(), 40, "each event exactly once");
    }
}

/// Crash the real binary (SIGKILL) while deliveries are pending and being retried,
/// restart it on the same database: every event still reaches the receiver.
fn crash_mid_delivery_loses_no_event(database_url: &str) {
    const KEY: &str = "webhook-crash-test-admin-key-0123456789";
    let fast = [
        ("PROVISIOND_WEBHOOK_POLL_INTERVAL_MS", "50"),
        ("PROVISIOND_WEBHOOK_INITIAL_BACKOFF_MS", "200"),
    ];
    let receiver = Receiver::start(5);
    let server = crate::support::process::ServerProcess::start_with(database_url, KEY, &fast);
    let client = reqwest::blocking::Client::new();
    let post = |server: &crate::support::process::ServerProcess, path: &str, body: Value| {
        let res = client
            .post(server.url(path))
            .bearer_auth(KEY)
            .json(&body)
            .send()
            .unwrap();
        assert_eq!(res.status(), 201, "{path}");
    };
    post(
        &server,
        "/admin/v1/webhooks",
        json!({"url": receiver.url(), "event_types": ["organization.created"]}),
    );
    for i in 0..10 {
        post(
            &server,
            "/admin/v1/organizations",
            json!({"name": format!("o{i}"), "slug": format!("o{i}")}),
        );
    }
    // Crash while the receiver is still refusing (5 failures to go through).
    server.crash();
    let server = crate::support::process::ServerProcess::start_with(database_url, KEY, &fast);
    for i in 10..15 {
        post(
            &server,
            "/admin/v1/organizations",
            json!({"name": format!("o{i}"), "slug": format!("o{i}")}),
        );
    }
    let got = receiver.wait_for("all 15 events", |r| {
        r.iter()
            .map(|d| d.json()["id"].as_str().unwrap().to_owned())
            .collect::<HashSet<_>>()
            .len()
            == 15
    });
    let slugs: HashSet<String> = got
        .iter()
        .map(|d| {
            d.json()["data"]["organization"]["slug"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(slugs.len(), 15);
    drop(server);
}

#[test]
fn crash_mid_delivery_loses_no_event_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    crash_mid_delivery_loses_no_event(&dir.path().join("p.db").to_string_lossy());
}

#[test]
#[cfg_attr(not(provisiond_test_pg), ignore = "needs PROVISIOND_TEST_DATABASE_URL")]
fn crash_mid_delivery_loses_no_event_postgres() {
    let server = crate::support::require_postgres_url();
    let db = crate::support::pg::TestDatabase::create(&server);
    crash_mid_delivery_loses_no_event(&db.url);
    db.drop_database();
}

// --- Outbound guard: webhooks cannot be aimed inward (issue 12, point 7) ---

/// Waits (bounded) until the endpoint's delivery log has an attempted delivery.
fn first_attempt(app: &TestApp, endpoint_id: &str) -> Value {
    let path = format!("/admin/v1/webhooks/{endpoint_id}/deliveries");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let log = app.admin_get(&path)["data"].as_array().unwrap().clone();
        if let Some(d) = log.iter().find(|d| d["attempts"].as_i64().unwrap() > 0) {
            return d.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no attempt recorded: {log:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn internal_targets_are_refused_without_the_setting(backend: crate::support::Backend) {
    let Some(app) = TestApp::builder(backend).outbound_allowed(vec![]).start() else {
        return;
    };
    let receiver = Receiver::start(0);
    let port = receiver.addr.port();
    // IP literals are refused when the endpoint is registered, in every spelling.
    for url in [
        format!("http://127.0.0.1:{port}/hooks"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://[::ffff:169.254.169.254]/".to_owned(),
        "http://[fd00:ec2::254]/".to_owned(),
        "http://[::1]/".to_owned(),
        "http://10.0.0.1/".to_owned(),
        "http://192.168.1.1/".to_owned(),
        "http://0.0.0.0/".to_owned(),
    ] {
        let res = app.admin_post("/admin/v1/webhooks", json!({ "url": url }));
        assert_eq!(res.status(), 422, "{url}");
    }
    // A name is checked after it resolves: `localhost` is 127.0.0.1 (and ::1).
    let endpoint = register(
        &app,
        json!({"url": format!("http://localhost:{port}/hooks")}),
    );
    app.create_org("acme");
    let attempt = first_attempt(&app, endpoint["id"].as_str().unwrap());
    assert_eq!(attempt["last_error"], "blocked_address", "{attempt}");
    assert_eq!(attempt["last_status_code"], Value::Null);
    assert!(
        receiver.received().is_empty(),
        "nothing reached the receiver"
    );
}

#[test]
fn internal_targets_are_refused_without_the_setting_sqlite() {
    internal_targets_are_refused_without_the_setting(crate::support::Backend::Sqlite);
}

#[test]
#[cfg_attr(not(provisiond_test_pg), ignore = "needs PROVISIOND_TEST_DATABASE_URL")]
fn internal_targets_are_refused_without_the_setting_postgres() {
    internal_targets_are_refused_without_the_setting(crate::support::Backend::Postgres);
}

/// A receiver that answers every request `302 Found` to `location`, counting requests.
fn redirecting_receiver(
    location: String,
) -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = std::sync::Arc::downgrade(&hits);
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        // Ends by itself once the test drops its counter.
        while let Some(hits) = counter.upgrade() {
            match listener.accept() {
                Ok((mut stream, _)) => {
                    stream.set_nonblocking(false).unwrap();
                    stream
                        .set_read_timeout(Some(std::time::Duration::from_secs(2)))
                        .unwrap();
                    let mut buf = [0u8; 65536];
                    let _ = stream.read(&mut buf);
                    hits.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let _ = write!(stream, "HTTP/1.1 302 Found\r\nlocation: {location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                }
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(5)),
            }
        }
    });
    (addr, hits)
}

mod outbound {
    use super::*;

    backend_tests! {
        fn redirects_are_not_followed(app) {
            let target = Receiver::start(0);
            let (addr, hits) = redirecting_receiver(target.url());
            let endpoint = register(&app, json!({"url": format!("http://{addr}/hooks")}));
            app.create_org("acme");
            let attempt = first_attempt(&app, endpoint["id"].as_str().unwrap());
            assert_eq!(attempt["last_status_code"], 302);
            assert_eq!(attempt["last_error"], "http_status");
            assert_eq!(attempt["status"], "pending", "a redirect is retried, not a success");
            assert!(hits.load(std::sync::atomic::Ordering::SeqCst) >= 1);
            assert!(target.received().is_empty(), "the redirect target was never called");
        }

        fn events_and_the_delivery_log_carry_no_url_credentials(app) {
            // A port nobody listens on: the delivery fails to connect.
            let port = crate::support::process::free_port();
            let url = format!("http://hookuser:s3cretpass@127.0.0.1:{port}/in?token=t0kenvalue#frag");
            let endpoint = register(&app, json!({ "url": url }));
            let id = endpoint["id"].as_str().unwrap();
            app.create_org("acme");
            let attempt = first_attempt(&app, id);
            assert_eq!(attempt["last_error"], "connect_failed", "{attempt}");

            let created = app
                .events()
                .into_iter()
                .find(|e| e["type"] == "webhook_endpoint.created")
                .unwrap();
            assert_eq!(
                created["data"]["webhook_endpoint"]["url"],
                format!("http://127.0.0.1:{port}/in")
            );
            let log = app.admin_get(&format!("/admin/v1/webhooks/{id}/deliveries")).to_string();
            let events = serde_json::to_string(&app.events()).unwrap();
            let audit = app.admin_get("/admin/v1/audit-entries?limit=1000").to_string();
            for (what, text) in [("delivery log", &log), ("events", &events), ("audit", &audit)] {
                for secret in ["s3cretpass", "hookuser", "t0kenvalue", "frag"] {
                    assert!(!text.contains(secret), "{what} carries `{secret}`");
                }
            }
        }
    }
}
