//! The scale-out story (design invariant 7): two replicas on ONE database. Over HTTP, two
//! real `provisiond serve` processes: a login started on one completes on the other, and
//! a Response posted to both at once is accepted once. Below HTTP, two independent
//! `AppState`s (two pools) pin the same for each kind of Response. On PostgreSQL this is
//! the production shape; SQLite (two processes on one file) is checked too.

use provisiond::sso::login::validate_and_consume;
use provisiond::sso::SsoError;
use std::sync::{Arc, Barrier};

use crate::saml_db_tests;
use crate::saml_support::*;
use crate::support::process::ServerProcess;

const KEY: &str = "scale-out-admin-key-0123456789abcdef";

/// Two real `provisiond serve` processes on one database fetch SP metadata at the same
/// moment: the server-wide SP key is generated once (insert-or-reselect) and both
/// advertise the same certificate.
fn two_processes_share_one_sp_key(url: &str) {
    let a = ServerProcess::start(url, KEY);
    let b = ServerProcess::start(url, KEY);
    let client = reqwest::blocking::Client::new();
    let res = client
        .post(a.url("/admin/v1/organizations"))
        .bearer_auth(KEY)
        .json(&serde_json::json!({"name": "Acme", "slug": "acme"}))
        .send()
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = client
        .post(a.url("/admin/v1/organizations/acme/saml-connections"))
        .bearer_auth(KEY)
        .json(&serde_json::json!({
            "idp_entity_id": OKTA,
            "idp_sso_url": "https://idp.example.com/sso",
            "idp_certificates": [fixture("keys/idp-rsa.crt")],
        }))
        .send()
        .unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<serde_json::Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = [a.url(""), b.url("")]
        .into_iter()
        .map(|base| {
            let (barrier, id) = (barrier.clone(), id.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let res = reqwest::blocking::get(format!("{base}/sso/saml/metadata/{id}")).unwrap();
                assert_eq!(res.status(), 200);
                res.text().unwrap()
            })
        })
        .collect();
    let xml: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(xml[0], xml[1]);
    let again = reqwest::blocking::get(b.url(&format!("/sso/saml/metadata/{id}")))
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(again, xml[0]);
}

/// Two processes behind one public URL, as behind a load balancer: an SP-initiated login
/// started on A completes on B; the same Response then replayed to A is refused; an
/// IdP-initiated Response posted to both at the same instant is accepted exactly once.
fn two_processes_accept_each_login_once(url: &str) {
    use crate::sso_support::{browser, request_id_of, REDIRECT_URI};
    use crate::support::idp::{idp_certificate, Login, IDP_ENTITY_ID};
    let env = [
        ("PROVISIOND_PUBLIC_URL", "https://sp.example.com"),
        ("PROVISIOND_ALLOWED_REDIRECT_URIS", REDIRECT_URI),
    ];
    let a = ServerProcess::start_with(url, KEY, &env);
    let b = ServerProcess::start_with(url, KEY, &env);
    let client = browser();
    let admin = |path: &str, body: serde_json::Value| {
        let res = client
            .post(a.url(path))
            .bearer_auth(KEY)
            .json(&body)
            .send()
            .unwrap();
        assert_eq!(res.status(), 201, "{path}");
        res.json::<serde_json::Value>().unwrap()
    };
    admin(
        "/admin/v1/organizations",
        serde_json::json!({"name": "Acme", "slug": "acme"}),
    );
    admin(
        "/admin/v1/organizations/acme/domains",
        serde_json::json!({"domain": "acme.example", "verified": true}),
    );
    let c = admin(
        "/admin/v1/organizations/acme/saml-connections",
        serde_json::json!({
            "idp_entity_id": IDP_ENTITY_ID,
            "idp_sso_url": "https://idp.test.example/sso",
            "idp_certificates": [idp_certificate()],
            "default_redirect_uri": REDIRECT_URI,
        }),
    );
    let (acs, entity) = (
        c["acs_url"].as_str().unwrap(),
        c["sp_entity_id"].as_str().unwrap(),
    );
    let acs_path = format!("/sso/saml/acs/{}", c["id"].as_str().unwrap());
    // The browser's binding cookie from `/sso/authorize` (set by one replica, checked by
    // the other: the binding lives in the shared database).
    let cookie = std::sync::Mutex::new(String::new());
    let post = |server: &ServerProcess, b64: &str| {
        client
            .post(server.url(&acs_path))
            .header("cookie", cookie.lock().unwrap().as_str())
            .form(&[("SAMLResponse", b64)])
            .send()
            .unwrap()
    };
    let has_code = |res: &reqwest::blocking::Response| {
        res.status() == 302
            && res.headers()["location"]
                .to_str()
                .unwrap()
                .contains("code=")
    };

    let res = client
        .get(a.url("/sso/authorize"))
        .query(&[
            ("organization", "acme"),
            ("redirect_uri", REDIRECT_URI),
            ("state", "s1"),
        ])
        .send()
        .unwrap();
    assert_eq!(res.status(), 302);
    let set_cookie = res.headers()["set-cookie"].to_str().unwrap();
    *cookie.lock().unwrap() = set_cookie.split(';').next().unwrap().to_owned();
    let request_id = request_id_of(res.headers()["location"].to_str().unwrap());
    let sp_initiated = Login::new("nid-al", "al@acme.example")
        .answering(&request_id)
        .response_b64(acs, entity);
    assert!(
        has_code(&post(&b, &sp_initiated)),
        "completed on the other replica"
    );
    assert_eq!(
        post(&a, &sp_initiated).status(),
        403,
        "replayed to the first replica"
    );

    let idp_initiated = Login::new("nid-al", "al@acme.example").response_b64(acs, entity);
    let barrier = Arc::new(Barrier::new(2));
    let outcomes: Vec<bool> = std::thread::scope(|s| {
        let handles: Vec<_> = [&a, &b]
            .into_iter()
            .map(|server| {
                let (barrier, value) = (barrier.clone(), &idp_initiated);
                let (post, has_code) = (&post, &has_code);
                s.spawn(move || {
                    barrier.wait();
                    has_code(&post(server, value))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(outcomes.iter().filter(|ok| **ok).count(), 1, "{outcomes:?}");
}

/// Both replicas submit `fixture` at the same instant; returns each one's outcome.
fn race(
    a: &provisiond::app::AppState,
    b: &provisiond::app::AppState,
    fixture: &str,
) -> Vec<Result<(), SsoError>> {
    let barrier = Arc::new(Barrier::new(2));
    let value = b64(fixture);
    let handles: Vec<_> = [a.clone(), b.clone()]
        .into_iter()
        .map(|app| {
            let (barrier, value) = (barrier.clone(), value.clone());
            std::thread::spawn(move || {
                barrier.wait();
                block_on(validate_and_consume(&app, "conn_1", &value, at(12, 1))).map(|_| ())
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

fn exactly_one_accepted(outcomes: &[Result<(), SsoError>]) {
    let ok = outcomes.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 1, "{outcomes:?}");
    for r in outcomes.iter().filter_map(|r| r.as_ref().err()) {
        assert!(matches!(r, SsoError::Replayed), "{r:?}");
    }
}

saml_db_tests! {
    fn two_server_processes_share_one_generated_sp_key(db) {
        two_processes_share_one_sp_key(&db.url);
    }

    fn two_server_processes_accept_each_login_once(db) {
        // SQLite is the single-process embedded backend: two processes' write transactions
        // are not serialized (docs/architecture.md), so replicas need PostgreSQL.
        if db.backend == crate::support::Backend::Postgres {
            two_processes_accept_each_login_once(&db.url);
        }
    }

    fn replica_b_refuses_what_replica_a_accepted(db) {
        let (a, b) = (db.replica(), db.replica());
        insert_okta_connection(&a, "acme", "conn_1", true);
        insert_pending(&a, "conn_1", REQ, at(12, 10));
        block_on(validate_and_consume(&a, "conn_1", &b64("responses/okta-rsa-assertion.xml"), at(12, 1)))
            .unwrap();
        for f in ["responses/okta-rsa-assertion.xml", "responses/okta-rsa-idp-initiated.xml"] {
            let err = block_on(validate_and_consume(&b, "conn_1", &b64(f), at(12, 2))).unwrap_err();
            assert!(matches!(err, SsoError::Replayed), "{f}: {err:?}");
        }
    }

    fn racing_replicas_accept_an_idp_initiated_response_once(db) {
        let (a, b) = (db.replica(), db.replica());
        insert_okta_connection(&a, "acme", "conn_1", true);
        exactly_one_accepted(&race(&a, &b, "responses/okta-rsa-idp-initiated.xml"));
    }

    fn racing_replicas_accept_an_sp_initiated_response_once(db) {
        let (a, b) = (db.replica(), db.replica());
        insert_okta_connection(&a, "acme", "conn_1", false);
        insert_pending(&a, "conn_1", REQ, at(12, 10));
        exactly_one_accepted(&race(&a, &b, "responses/okta-rsa-assertion.xml"));
    }
}
