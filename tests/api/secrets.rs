//! Secrets at rest (issue 12, point 8): the stored columns hold no usable secret, a
//! server with the wrong key refuses to start, plaintext rows from older versions are
//! sealed at start, `provisiond secrets rotate` moves everything to a new key, and
//! PostgreSQL without a key does not start.

use std::sync::Arc;

use provisiond::app::AppState;
use provisiond::config::{Config, ConfigLayer, SecretText};
use provisiond::secrets::{classify, DataKey, Purpose, SecretKeys, Stored};
use provisiond::store::{sp_keys, webhooks};
use serde_json::{json, Value};

use crate::saml_support::block_on;
use crate::support::process::{command, ServerProcess};
use crate::support::receiver::Receiver;
use crate::support::{pg, shared_layer, Backend, TestApp, SECRET_KEY};

/// A replica's state on the app's database with `layer` on top of the test settings.
fn state(app_url: &str, layer: ConfigLayer) -> Result<AppState, String> {
    let base = shared_layer();
    let layer = ConfigLayer {
        database_url: Some(app_url.to_owned()),
        db_pool_size: Some(2),
        secret_key: layer.secret_key.or(base.secret_key),
        secret_key_previous: layer.secret_key_previous,
        ..base
    };
    let config = Config::load(None, &Default::default(), layer).unwrap();
    provisiond::server::build_state(config, None, None, Some(Arc::new(NoDns)))
        .map_err(|e| e.to_string())
}

struct NoDns;
impl provisiond::dns::TxtResolver for NoDns {
    fn lookup_txt<'a>(&'a self, _: &'a str) -> provisiond::dns::TxtFuture<'a> {
        Box::pin(async { Ok(Vec::new()) })
    }
}

/// Every stored secret, raw: `(column, row id, value)`, read over a plain connection
/// (no start-up step runs first).
fn raw_secrets(database_url: &str) -> Vec<(&'static str, String, String)> {
    let db = provisiond::db::Database::connect(database_url, 1).unwrap();
    let mut conn = db.get().unwrap();
    let mut out = Vec::new();
    for (id, v) in sp_keys::list_private_keys(&mut conn).unwrap() {
        out.push(("sp_keys", id, v));
    }
    for (id, v) in webhooks::list_secrets(&mut conn).unwrap() {
        out.push(("webhook", id, v));
    }
    for (id, v) in webhooks::list_previous_secrets(&mut conn).unwrap() {
        out.push(("webhook_previous", id, v));
    }
    out
}

fn key_id(text: &str) -> String {
    DataKey::parse(text).unwrap().id().to_owned()
}

/// A webhook endpoint with a rotated secret (so both columns hold one) and the server's
/// SP key pair; returns the endpoint id and its two secrets.
fn make_secrets(app: &TestApp) -> (String, String, String) {
    let made = make_webhook_secrets(app);
    let replica = state(&app.database_url, ConfigLayer::default()).unwrap();
    block_on(provisiond::sso::keys::ensure_server_key(&replica)).unwrap();
    made
}

/// A webhook endpoint with a rotated secret, made through the running server only.
fn make_webhook_secrets(app: &TestApp) -> (String, String, String) {
    let res = app.admin_post(
        "/admin/v1/webhooks",
        json!({"url": "https://example.com/hook"}),
    );
    assert_eq!(res.status(), 201);
    let created: Value = res.json().unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let rotated: Value = app
        .admin_post(&format!("/admin/v1/webhooks/{id}/rotate-secret"), json!({}))
        .json()
        .unwrap();
    (
        id,
        created["secret"].as_str().unwrap().to_owned(),
        rotated["secret"].as_str().unwrap().to_owned(),
    )
}

fn a_database_dump_reveals_no_secret(backend: Backend) {
    let Some(app) = TestApp::builder(backend).start() else {
        return;
    };
    // Written by the running server (no later start-up step has sealed anything).
    let (id, old, new) = make_webhook_secrets(&app);
    assert_eq!(raw_secrets(&app.database_url).len(), 2);
    assert!(raw_secrets(&app.database_url)
        .iter()
        .all(|r| r.2.starts_with("enc:v1:")));
    let replica = state(&app.database_url, ConfigLayer::default()).unwrap();
    block_on(provisiond::sso::keys::ensure_server_key(&replica)).unwrap();
    let raw = raw_secrets(&app.database_url);
    assert_eq!(raw.len(), 3, "{raw:?}");
    let current = key_id(SECRET_KEY);
    for (column, _, value) in &raw {
        assert_eq!(
            classify(value).unwrap(),
            Stored::Sealed { key_id: &current },
            "{column}"
        );
        assert!(
            !value.contains("PRIVATE KEY") && !value.contains("whsec_"),
            "{column}"
        );
    }
    // The sealed values are the secrets (under the key), bound to their row.
    let keys = SecretKeys::new(DataKey::parse(SECRET_KEY).unwrap(), None);
    let sealed = |col: &str| raw.iter().find(|r| r.0 == col).unwrap().2.clone();
    assert_eq!(
        keys.open_string(Purpose::WebhookSecret, &id, &sealed("webhook"))
            .unwrap(),
        new
    );
    assert_eq!(
        keys.open_string(Purpose::WebhookSecret, &id, &sealed("webhook_previous"))
            .unwrap(),
        old
    );
    assert!(keys
        .open(Purpose::WebhookSecret, "another-row", &sealed("webhook"))
        .is_err());
    if backend == Backend::Sqlite {
        // The file itself (and its write-ahead log) carries no secret in any form.
        let mut bytes = std::fs::read(&app.database_url).unwrap();
        bytes.extend(std::fs::read(format!("{}-wal", app.database_url)).unwrap_or_default());
        let text = String::from_utf8_lossy(&bytes);
        for needle in [old.as_str(), new.as_str(), "PRIVATE KEY"] {
            assert!(!text.contains(needle), "the database file holds `{needle}`");
        }
    }
}

fn the_wrong_key_refuses_to_start(backend: Backend) {
    let Some(app) = TestApp::builder(backend).start() else {
        return;
    };
    make_secrets(&app);
    let other = DataKey::generate().unwrap();
    let err = state(
        &app.database_url,
        ConfigLayer {
            secret_key: Some(SecretText::new(other.to_text())),
            ..ConfigLayer::default()
        },
    )
    .err()
    .expect("a server with the wrong key must not start");
    assert!(err.contains("PROVISIOND_SECRET_KEY"), "{err}");
    assert!(
        err.contains(&key_id(SECRET_KEY)) && err.contains(other.id()),
        "names both key ids: {err}"
    );
}

fn plaintext_rows_from_before_are_sealed_at_start(backend: Backend) {
    let Some(app) = TestApp::builder(backend).start() else {
        return;
    };
    let receiver = Receiver::start(0);
    let res = app.admin_post("/admin/v1/webhooks", json!({"url": receiver.url()}));
    let id = res.json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // What an older version wrote: the secret and a server SP key in plaintext.
    let replica = state(&app.database_url, ConfigLayer::default()).unwrap();
    let (key_pem, cert_pem) =
        provisiond::sso::keys::generate_key_pair("legacy", chrono::Utc::now()).unwrap();
    {
        let mut conn = replica.db.get().unwrap();
        let (_, sealed) = webhooks::list_secrets(&mut conn).unwrap().pop().unwrap();
        assert_eq!(
            webhooks::replace_secret(&mut conn, &id, &sealed, "whsec_legacy").unwrap(),
            1
        );
        sp_keys::insert_or_get_sp_key(
            &mut conn,
            &sp_keys::NewSpKey {
                id: "legacy-key",
                scope: sp_keys::SERVER_SCOPE,
                connection_id: None,
                private_key_sealed: &key_pem,
                certificate_pem: &cert_pem,
                created_at: chrono::Utc::now().naive_utc(),
            },
        )
        .unwrap();
    }
    drop(replica);
    assert!(raw_secrets(&app.database_url)
        .iter()
        .any(|r| r.2 == "whsec_legacy"));
    // The next start seals them, keeping their values; a second start changes nothing.
    let restarted = state(&app.database_url, ConfigLayer::default()).unwrap();
    let raw = raw_secrets(&app.database_url);
    assert!(
        raw.iter().all(|(_, _, v)| v.starts_with("enc:v1:")),
        "{raw:?}"
    );
    let before = raw.clone();
    drop(state(&app.database_url, ConfigLayer::default()).unwrap());
    assert_eq!(raw_secrets(&app.database_url), before);
    let pair = block_on(provisiond::sso::keys::sp_key_pair(&restarted, None)).unwrap();
    assert_eq!(
        pair.key.private_key_to_pem_pkcs8().unwrap(),
        key_pem.as_bytes(),
        "the same SP key, now sealed"
    );
    app.create_org("acme");
    let got = receiver.wait_for("a delivery", |r| !r.is_empty());
    assert!(
        super::webhooks::signed_with(&got[0], "whsec_legacy"),
        "signed with the same secret"
    );
}

fn rotation_moves_every_secret_to_the_new_key(backend: Backend) {
    let Some(app) = TestApp::builder(backend).start() else {
        return;
    };
    let (id, _, new_secret) = make_secrets(&app);
    let new_key = DataKey::generate().unwrap();
    let rotate = |previous: Option<&str>| {
        let mut cmd = command(&app.database_url);
        cmd.env("PROVISIOND_SECRET_KEY", new_key.to_text());
        if let Some(p) = previous {
            cmd.env("PROVISIOND_SECRET_KEY_PREVIOUS", p);
        }
        cmd.args(["secrets", "rotate"]).output().unwrap()
    };
    // Without the old key nothing can be read, so nothing is changed.
    let out = rotate(None);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("PROVISIOND_SECRET_KEY"), "{stderr}");

    let out = rotate(Some(SECRET_KEY));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("3 re-encrypted"), "{stdout}");
    drop(app.admin_get("/admin/v1/webhooks")); // the running server still answers

    let with_new = ConfigLayer {
        secret_key: Some(SecretText::new(new_key.to_text())),
        ..ConfigLayer::default()
    };
    let replica = state(&app.database_url, with_new).unwrap();
    for (column, _, value) in raw_secrets(&app.database_url) {
        assert_eq!(
            classify(&value).unwrap(),
            Stored::Sealed {
                key_id: new_key.id()
            },
            "{column}"
        );
    }
    let keys = SecretKeys::new(new_key.clone(), None);
    let (_, sealed) = webhooks::list_secrets(&mut replica.db.get().unwrap())
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(
        keys.open_string(Purpose::WebhookSecret, &id, &sealed)
            .unwrap(),
        new_secret
    );
    block_on(provisiond::sso::keys::sp_key_pair(&replica, None)).unwrap();
    // The old key alone no longer starts a server; a second rotation has nothing to do.
    assert!(state(&app.database_url, ConfigLayer::default()).is_err());
    let out = rotate(Some(SECRET_KEY));
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 re-encrypted"));
}

macro_rules! on_both_backends {
    ($($name:ident),*) => {
        mod sqlite { $(#[test] fn $name() { super::$name(super::Backend::Sqlite) })* }
        mod postgres { $(
            #[test]
            #[cfg_attr(not(provisiond_test_pg), ignore = "needs PROVISIOND_TEST_DATABASE_URL")]
            fn $name() { super::$name(super::Backend::Postgres) }
        )* }
    };
}

on_both_backends!(
    a_database_dump_reveals_no_secret,
    the_wrong_key_refuses_to_start,
    plaintext_rows_from_before_are_sealed_at_start,
    rotation_moves_every_secret_to_the_new_key
);

#[test]
#[cfg_attr(not(provisiond_test_pg), ignore = "needs PROVISIOND_TEST_DATABASE_URL")]
fn postgres_without_a_key_does_not_start() {
    let server = crate::support::require_postgres_url();
    let db = pg::TestDatabase::create(&server);
    let mut child = command(&db.url)
        .env_remove("PROVISIOND_SECRET_KEY")
        .env("PROVISIOND_LISTEN", "127.0.0.1:0")
        .arg("serve")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // It must exit by itself; a server that starts anyway is stopped (by its PID) and
    // fails the test rather than hanging it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("provisiond started on PostgreSQL without a secret key");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(!status.success());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(
        stderr.contains("PROVISIOND_SECRET_KEY") && stderr.contains("PostgreSQL"),
        "{stderr}"
    );
    db.drop_database();
}

#[test]
fn sqlite_generates_its_key_file_on_first_start() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("p.db").to_string_lossy().into_owned();
    let server = ServerProcess::start(&url, "bootstrap-key-for-secrets-test-0123456789");
    drop(server);
    let key_file = dir.path().join("p.db.secret-key");
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let key = std::fs::read_to_string(&key_file).unwrap();
    assert!(DataKey::parse(&key).is_ok());
    // A second start reads it (a new key would not open what the first one sealed).
    let server = ServerProcess::start(&url, "bootstrap-key-for-secrets-test-0123456789");
    drop(server);
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), key);
}
